"""Every setting is in the README's Configuration table: an error message that says "raise
MLC_ZOHO_DAILY_CREDIT_BUDGET" must send its reader somewhere."""

from __future__ import annotations

import re
from pathlib import Path

from connector.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def _documented() -> set[str]:
    """The variables the table names; a row's ``_SUFFIX`` shorthand stands for its first
    variable with that ending (``MLC_MAX_RETURNED_CUSTOMERS`` / ``_ITEMS``)."""
    names: set[str] = set()
    for row in README.read_text(encoding="utf-8").splitlines():
        if not row.startswith("| `MLC_"):
            continue
        cell = row.split("|")[1]
        found = re.findall(r"`(MLC_\w+|_\w+)`", cell)
        words = found[0].split("_")
        for name in found:
            if name.startswith("MLC_"):
                names.add(name)
            else:  # any cut of the first variable's words, then the suffix
                names.update("_".join(words[:i]) + name for i in range(2, len(words)))
    return names


def test_every_setting_is_in_the_readmes_configuration_table() -> None:
    missing = [f"MLC_{name.upper()}" for name in Settings.model_fields
               if f"MLC_{name.upper()}" not in _documented()]
    assert missing == []
