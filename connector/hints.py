"""Commands that messages tell a person to run, with each argument quoted to paste as is.

A company is named by a person ("Acme Ltd"), a path by Windows (``C:\\QB\\Acme Ltd.qbw``):
``repr`` quotes the first in single quotes, which cmd.exe does not read, and doubles every
backslash of the second. Double quotes are read as one argument by cmd.exe, PowerShell and
POSIX shells alike.
"""

from __future__ import annotations

import re

__all__ = ["shell_arg"]

# What every shell takes as one plain word.
_PLAIN = re.compile(r"[\w.:/\\@%+=,-]+")


def shell_arg(value: str) -> str:
    """``value`` as one argument of a printed command: bare when it is one plain word, else
    in double quotes (a double quote inside escaped with a backslash, as Windows' own
    argument parsing and POSIX shells read it)."""
    if _PLAIN.fullmatch(value):
        return value
    return '"' + value.replace('"', '\\"') + '"'
