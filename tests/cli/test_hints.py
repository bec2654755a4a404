"""Commands printed for a person to paste: each argument arrives whole."""

from __future__ import annotations

import shlex

import pytest

from connector.hints import shell_arg


@pytest.mark.parametrize("name", ["Acme", "Acme Ltd", "O'Brien's Books", 'The "Best" Co',
                                  "Łódź Trading Sp. z o.o.", "A&B (Holdings)"])
def test_a_company_name_pastes_into_a_shell_as_one_argument(name: str) -> None:
    line = f"ml-connector qwc {shell_arg(name)} --url https://host/qbwc"
    assert shlex.split(line)[2] == name


def test_a_plain_word_stays_bare_and_the_rest_is_double_quoted() -> None:
    assert shell_arg("Acme") == "Acme"
    assert shell_arg("Acme Ltd") == '"Acme Ltd"'  # cmd.exe does not read single quotes
    # A Windows path as Windows wrote it: quoted when it has a space, never a doubled backslash.
    assert shell_arg(r"C:\QB\Acme Ltd.qbw") == r'"C:\QB\Acme Ltd.qbw"'
    assert shell_arg(r"\\server\QB\Acme.qbw") == r"\\server\QB\Acme.qbw"
