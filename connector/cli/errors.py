"""The CLI's one error boundary: what went wrong with the environment, in one line that names
the setting to change, exit code 1, and the traceback only with ``--debug``.

A connector is installed by people who did not write it; a stack trace for a wrong port or a
read-only disk sends them to the source code. Anything not recognised here is a bug and keeps
its traceback.
"""

from __future__ import annotations

import errno
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from connector.errors import ConnectorError
from connector.logsafe import clip

if TYPE_CHECKING:
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from connector.config import Settings

__all__ = ["ErrorBoundary", "explain"]


def _settings_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = "_".join(str(part) for part in first["loc"]).upper()
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return (f"the setting MLC_{field}={clip(first.get('input'), 60)} is not valid: "
            f"{first['msg']}{more}")


def _database(settings: Settings | None) -> str:
    if settings is None:
        return "the database"
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the database"


def _database_error(exc: OperationalError, settings: Settings | None) -> str:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
    where = _database(settings)
    if "readonly database" in reason or "read-only" in reason:
        return (f"the database {where} is read-only ({reason}); make it writable, or point "
                "MLC_DATABASE_URL at one this user can write")
    if "database is locked" in reason:
        # SQLite's busy timeout ran out: a writer holds the file, and the URL is right.
        return (f"the database {where} is locked: another ml-connector process or run is "
                "writing to it (a sync, a flow, the bridge); try again once it is done")
    if "unable to open database file" in reason:
        return (f"cannot open the database {where} ({reason}): its directory is missing or not "
                "writable; check MLC_DATA_DIR (or MLC_DATABASE_URL)")
    return (f"cannot reach the database {where} ({clip(reason, 200)[1:-1]}); is it running and "
            "reachable? check MLC_DATABASE_URL")


def _file_error(exc: OSError, settings: Settings | None) -> str:
    target = str(exc.filename or "a file")
    reason = exc.strerror or type(exc).__name__
    if settings is not None and settings.database_url and target in settings.database_url:
        advice = "point MLC_DATABASE_URL at a file this user can write"
    else:
        now = f" (now {settings.data_dir})" if settings is not None else ""
        advice = (f"set MLC_DATA_DIR to a directory this user can write{now}, or fix its "
                  "permissions")
    return f"cannot write {target} ({reason}); {advice}"


def explain(exc: BaseException, settings: Settings | None) -> str | None:
    """One line for an error of the environment, or None for anything else (a bug)."""
    # Imported only once something failed: `--help` and quick commands start without them.
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, ConnectorError):
        return str(exc)
    if isinstance(exc, ValidationError):
        return _settings_error(exc)
    if isinstance(exc, OperationalError):
        return _database_error(exc, settings)
    if isinstance(exc, (PermissionError, NotADirectoryError, FileExistsError, IsADirectoryError)):
        return _file_error(exc, settings)
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.ENOSPC, errno.EDQUOT):
        return _file_error(exc, settings)
    # A missing file anywhere else is ours to explain (a bug); under the data directory it is
    # a directory that cannot be made there (MLC_DATA_DIR=/proc/x).
    if (isinstance(exc, FileNotFoundError) and settings is not None and exc.filename
            and Path(str(exc.filename)).is_relative_to(settings.data_dir)):
        return _file_error(exc, settings)
    return None


class ErrorBoundary(click.Group):
    """A click group that turns environment errors (from its own callback, where the
    settings are read, or from any subcommand) into ``Error: <one line>`` and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.ClickException as exc:
            if exc.__cause__ is not None and ctx.params.get("debug"):
                traceback.print_exception(exc.__cause__, file=sys.stderr)
            raise
        except Exception as exc:
            from connector.config import Settings

            settings = getattr(ctx.obj, "settings", None)
            message = explain(exc, settings if isinstance(settings, Settings) else None)
            if message is None:
                raise
            if ctx.params.get("debug"):
                traceback.print_exception(exc, file=sys.stderr)
            raise click.ClickException(message) from exc
