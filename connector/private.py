"""Files only ml-connector's own user may read: the data directory (0700), the SQLite database
(password hashes, customer data) and the key file (0600).

They are created that way; files that already exist are left as they are (an administrator
may have chosen otherwise) and ``ml-connector info`` says when they are open to others. POSIX
only: on Windows, %LOCALAPPDATA% is already private to the user and access is a matter of
ACLs, which this does not touch.
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "POSIX", "Access", "make_private_dir",
           "create_private_file", "access"]

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
POSIX = os.name == "posix"


def make_private_dir(path: Path) -> None:
    """Create ``path`` if missing (parents as usual), the directory itself owner-only."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkdir's mode is narrowed by the umask, never widened: 0700 at most.
    path.mkdir(mode=PRIVATE_DIR, exist_ok=True)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only, unless it exists. SQLite reads an empty file as
    an empty database, and gives its -wal and -shm files the database file's mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


@dataclass(frozen=True)
class Access:
    """Who may read one of our files, as ``info`` reports it."""

    path: Path
    mode: int | None  # permission bits; None when missing or not checked (Windows)
    directory: bool

    @property
    def too_open(self) -> bool:
        return self.mode is not None and bool(self.mode & 0o077)

    def describe(self) -> str:
        if not POSIX:
            return "access by Windows ACLs"
        return "not created yet" if self.mode is None else f"{self.mode:04o}"

    def advice(self) -> str:
        wanted = PRIVATE_DIR if self.directory else PRIVATE_FILE
        what = "directory" if self.directory else "file"
        return (f"the {what} {self.path} can be read by other users ({self.mode or 0:04o}); "
                f"run: chmod {wanted:o} {shlex.quote(str(self.path))}")


def access(path: Path, *, directory: bool = False) -> Access:
    if not POSIX:
        return Access(path, None, directory)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = None
    return Access(path, mode, directory)
