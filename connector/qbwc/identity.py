"""Is the company file QBWC has open the company this registration is for?

The Web Connector reports the path it opened (sendRequestXML's strCompanyFileName), and one
file has many paths: a mapped drive (``Z:\\QB\\Acme.qbw``) and its UNC path
(``\\\\server\\share\\QB\\Acme.qbw``), a drive letter that moved. So a path that differs from the
registered one is not yet a different company: the file check every session starts with
(HostQuery + CompanyQuery) says which company it is. The first session on a matching path
teaches the bridge the company's identity; from then on the identity decides, whatever the path.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from connector.hints import shell_arg
from connector.qbwc.companies import normalize_company_file, same_company_file
from connector.qbxml.models import CompanyInfo
from connector.qbxml.parse import QbxmlParseError, iter_records
from connector.store import Company, QbwcSession

__all__ = ["CompanyIdentity", "read_identity", "same_file_elsewhere", "path_problem",
           "confirm_company"]

log = logging.getLogger(__name__)

_FIX = ("Open the right company file in QuickBooks; or, if this is the right company after "
        "all, accept it with `ml-connector company set-file {name} {path}`.")


@dataclass(frozen=True)
class CompanyIdentity:
    key: str  # SHA-256 of the normalised company and legal names
    name: str
    country: str | None = None  # of the company's address: where its phone numbers are local


def read_identity(response: str) -> CompanyIdentity | None:
    """The company a CompanyQuery answer describes, or None if it names none."""
    try:
        info = next((r for r in iter_records(response, strict=False)
                     if isinstance(r, CompanyInfo)), None)
    except QbxmlParseError:
        return None
    if info is None or not (info.company_name or info.legal_company_name):
        return None
    names = [(n or "").strip().casefold() for n in (info.company_name, info.legal_company_name)]
    key = hashlib.sha256("\x1f".join(names).encode("utf-8")).hexdigest()
    country = (info.address.country or "").strip() if info.address else ""
    return CompanyIdentity(key, (info.company_name or info.legal_company_name or "").strip(),
                           country or None)


def _tail(path: str) -> list[str]:
    """The folders and file name below the drive letter or the UNC share."""
    norm = normalize_company_file(path)
    if norm.startswith("\\\\"):
        parts = norm[2:].split("\\")[2:]  # \\server\share\...
    elif norm[1:2] == ":":
        parts = norm[2:].split("\\")
    else:
        parts = norm.split("\\")
    return [part for part in parts if part]


def same_file_elsewhere(registered: str, reported: str) -> bool:
    """The same folders and file name under another drive letter or share: how one file looks
    through a mapped drive and through its UNC path."""
    mine, theirs = _tail(registered), _tail(reported)
    depth = min(len(mine), len(theirs))
    return depth > 0 and mine[-depth:] == theirs[-depth:]


def path_problem(company: Company, reported: str) -> str | None:
    """At the first sendRequestXML: a reason to stop at once, or None (go on to the file
    check, which decides where the path alone cannot)."""
    registered = company.company_file
    if not registered or same_company_file(registered, reported):
        return None
    if company.company_identity or same_file_elsewhere(registered, reported):
        return None
    return (f"ml-connector: the Web Connector has {shell_arg(reported)} open, but company "
            f"{company.name!r} is registered for {shell_arg(registered)}, and it is not yet "
            "known which QuickBooks company that is. Nothing was read or written. "
            + _FIX.format(name=shell_arg(company.name), path=shell_arg(reported)))


def _unnamed(company: Company, reported: str, why: str) -> str | None:
    """QuickBooks named no company, or the file check failed: the path alone must vouch for
    the file. The registered path does; before anything is known of an unregistered company's
    file any path does (the first company seen becomes the company); otherwise stop."""
    registered = company.company_file
    if registered:
        vouched = same_company_file(registered, reported)
        company.last_file_matched = vouched
    else:
        vouched = company.company_identity is None
        company.last_file_matched = None
    if vouched:
        return None
    known = (f"registered for {shell_arg(registered)}" if registered
             else f"QuickBooks company {company.qb_company_name!r}")
    return (f"ml-connector: the Web Connector has {shell_arg(reported)} open, but company "
            f"{company.name!r} is {known} and {why}. Nothing was read or written. "
            + _FIX.format(name=shell_arg(company.name), path=shell_arg(reported)))


def confirm_company(company: Company, session: QbwcSession, response: str, *,
                    failure: str | None = None) -> str | None:
    """At the file check's answer: a reason to stop before anything else is sent, or None.
    ``failure``: why the check got no answer to read (QuickBooks refused it or answered with
    an error); the check then names no company.

    Learns the company's identity on the first session whose path agrees with the registration
    (or on any path when none is registered).
    """
    reported = session.company_file or ""
    registered = company.company_file
    path_same = registered is None or same_company_file(registered, reported)
    seen = None if failure else read_identity(response)
    if seen is None:
        return _unnamed(company, reported,
                        f"the file check failed ({failure})" if failure
                        else "QuickBooks did not say which company is open")
    if company.company_identity is None:
        if registered and not (path_same or same_file_elsewhere(registered, reported)):
            return path_problem(company, reported)
        company.company_identity, company.qb_company_name = seen.key, seen.name
        company.qb_country = seen.country or company.qb_country
        company.last_file_matched = True if registered else None
        log.info("company %s: learned its QuickBooks company %r from %s", company.name,
                 seen.name, reported)
        return None
    if seen.key == company.company_identity:
        company.qb_country = seen.country or company.qb_country
        company.last_file_matched = True if registered else None
        if not path_same:
            log.info("company %s: %s is the registered QuickBooks company %r under another path",
                     company.name, reported, seen.name)
        return None
    company.last_file_matched = False
    return (f"ml-connector: the Web Connector has {shell_arg(reported)} open, which is QuickBooks "
            f"company {seen.name!r}, but company {company.name!r} is QuickBooks company "
            f"{company.qb_company_name!r}"
            + (f" ({shell_arg(registered)})" if registered else "")
            + ". Nothing was read or written. "
            + _FIX.format(name=shell_arg(company.name), path=shell_arg(reported)))
