"""The .qwc file a user opens in the Web Connector to register one company."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from lxml import etree
from lxml.builder import E

from connector.errors import ConfigError
from connector.store import Company

__all__ = ["render_qwc", "check_app_url"]

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def check_app_url(url: str) -> str:
    """QBWC refuses plain http except for localhost; say so before the user finds out in QBWC."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            "--url must be an absolute http(s) URL such as https://sync.example.com/qbwc, "
            f"got {url!r}"
        )
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        raise ConfigError(
            f"the Web Connector only accepts https URLs except for localhost; {url!r} would be "
            "refused. Put the bridge behind an https reverse proxy (see README) and use its "
            "https URL."
        )
    return urlunsplit(parts)


def render_qwc(company: Company, app_url: str) -> str:
    url = check_app_url(app_url)
    parts = urlsplit(url)
    # QBWC requires AppSupport on the same host as AppURL.
    support = urlunsplit((parts.scheme, parts.netloc, "/healthz", "", ""))
    doc = E.QBWCXML(
        E.AppName(f"ml-connector ({company.name})"),
        E.AppID(""),
        E.AppURL(url),
        E.AppDescription(f"Syncs QuickBooks company {company.name!r} with Zoho CRM"),
        E.AppSupport(support),
        E.UserName(company.qbwc_user),
        E.OwnerID(company.owner_id),
        E.FileID(company.file_id),
        E.QBType("QBFS"),
        E.Scheduler(E.RunEveryNMinutes(str(company.poll_minutes))),
        E.IsReadOnly("false"),
    )
    return etree.tostring(doc, xml_declaration=True, encoding="utf-8", pretty_print=True).decode(
        "utf-8"
    )
