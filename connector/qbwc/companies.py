"""Registering QuickBooks company files, each with its own QBWC user and .qwc file."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import select

from connector.errors import ConfigError
from connector.qbwc.passwords import hash_password
from connector.qbwc.throttle import forget_user
from connector.store import Company, Database
from connector.store.rows import require_row
from connector.xmlsafe import mark_illegal_text

__all__ = [
    "add_company",
    "get_company",
    "list_companies",
    "set_password",
    "set_active",
    "set_company_file",
    "normalize_company_file",
    "same_company_file",
    "MAX_USER_NAME",
]


def normalize_company_file(path: str) -> str:
    # QBWC reports Windows paths; case and slash direction do not make a different file.
    return path.strip().replace("/", "\\").casefold()


# QBWC user names are typed by a person into a .qwc file; the bridge answers "nvu" to longer
# ones without looking them up.
MAX_USER_NAME = 256


def _xml_safe(value: str | None, what: str) -> None:
    # The name and the file travel in every .qwc and in closeConnection's and getLastError's
    # answers: a control character there makes each of those a document XML cannot carry.
    if value and mark_illegal_text(value) != value:
        raise ConfigError(f"a {what} may not hold control characters: {value!r}")


def same_company_file(registered: str, reported: str) -> bool:
    return normalize_company_file(registered) == normalize_company_file(reported)


def add_company(
    db: Database,
    name: str,
    qbwc_user: str,
    password: str,
    *,
    company_file: str | None = None,
    pin_company_file: bool = False,
    poll_minutes: int = 10,
) -> Company:
    name, qbwc_user = name.strip(), qbwc_user.strip()
    if not name or not qbwc_user:
        raise ConfigError("a company needs a non-empty name and QBWC user name")
    if pin_company_file and not (company_file or "").strip():
        raise ConfigError("--pin-company-file needs --company-file")
    if len(qbwc_user) > MAX_USER_NAME:
        raise ConfigError(f"a QBWC user name may have at most {MAX_USER_NAME} characters")
    for value, what in ((name, "company name"), (qbwc_user, "QBWC user name"),
                        (company_file, "company file")):
        _xml_safe(value, what)
    if poll_minutes < 1:
        raise ConfigError("--poll-minutes must be at least 1 (QBWC's smallest schedule)")
    with db.session() as s:
        for column, value, what in (
            (Company.name, name, "name"),
            (Company.qbwc_user, qbwc_user, "QBWC user"),
        ):
            if s.exec(select(Company).where(column == value)).first():
                raise ConfigError(f"a company with {what} {value!r} already exists")
        company = Company(
            name=name,
            qbwc_user=qbwc_user,
            password_hash=hash_password(password),
            company_file=company_file.strip() if company_file else None,
            pin_company_file=pin_company_file,
            poll_minutes=poll_minutes,
            owner_id=f"{{{uuid.uuid4()}}}".upper(),
            file_id=f"{{{uuid.uuid4()}}}".upper(),
        )
        s.add(company)
        s.flush()
        s.refresh(company)
        return company


def get_company(db: Database, name: str) -> Company:
    with db.session() as s:
        company = s.exec(select(Company).where(Company.name == name)).first()
    if company is None:
        raise ConfigError(f"no company named {name!r}; see `ml-connector company list`")
    return company


def list_companies(db: Database) -> Sequence[Company]:
    with db.session() as s:
        return s.exec(select(Company).order_by(Company.name)).all()


def _update(db: Database, name: str, **values: object) -> None:
    company = get_company(db, name)
    with db.session() as s:
        row = require_row(s, Company, company.id)
        for key, value in values.items():
            setattr(row, key, value)


def set_password(db: Database, name: str, password: str) -> None:
    """A new password; failed logins counted against the user so far are forgotten."""
    company = get_company(db, name)
    with db.session() as s:
        row = require_row(s, Company, company.id)
        row.password_hash = hash_password(password)
        forget_user(s, row.qbwc_user)


def set_active(db: Database, name: str, active: bool) -> None:
    _update(db, name, active=active)


def set_company_file(db: Database, name: str, company_file: str | None, *,
                     pin: bool | None = None) -> None:
    """Register the file's path (None: any path), pinned or not (None: as it was).

    The QuickBooks company learned from earlier sessions is forgotten: the next session's file
    check learns it again, so this is also how to accept a renamed or replaced company.
    """
    path = company_file.strip() if company_file else None
    _xml_safe(path, "company file")
    pinned = get_company(db, name).pin_company_file if pin is None else pin
    if pinned and not path:
        raise ConfigError("a pinned company file needs a path")
    _update(db, name, company_file=path, pin_company_file=pinned, company_identity=None,
            qb_company_name=None, last_file_matched=None)
