"""Zoho data centres: which accounts server issues tokens for which region.

Only the accounts server is chosen here. Every API call goes to the ``api_domain`` that the
token response names, so the API host below is informative (shown by ``ping``), never used
to build a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from connector.errors import ConfigError

__all__ = ["Region", "REGIONS", "region", "accounts_url_for", "region_of_accounts_url"]


@dataclass(frozen=True, slots=True)
class Region:
    key: str
    name: str
    accounts_url: str
    api_domain: str


REGIONS: dict[str, Region] = {
    r.key: r
    for r in (
        Region("us", "United States", "https://accounts.zoho.com", "https://www.zohoapis.com"),
        Region("eu", "Europe", "https://accounts.zoho.eu", "https://www.zohoapis.eu"),
        Region("in", "India", "https://accounts.zoho.in", "https://www.zohoapis.in"),
        Region("au", "Australia", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
        Region("jp", "Japan", "https://accounts.zoho.jp", "https://www.zohoapis.jp"),
        Region("ca", "Canada", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
        Region("sa", "Saudi Arabia", "https://accounts.zoho.sa", "https://www.zohoapis.sa"),
        Region("cn", "China", "https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    )
}


def region(key: str) -> Region:
    try:
        return REGIONS[key.strip().lower()]
    except KeyError:
        known = ", ".join(REGIONS)
        raise ConfigError(f"unknown Zoho region {key!r}; use one of: {known}") from None


def accounts_url_for(region_key: str | None, override: str | None = None) -> str:
    """The accounts server to talk to: an explicit URL (simulator, private cloud) wins."""
    if override:
        parts = urlsplit(override)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"Zoho accounts URL {override!r} is not an http(s) URL; "
                "expected something like https://accounts.zoho.eu"
            )
        return override.rstrip("/")
    return region(region_key or "us").accounts_url


def region_of_accounts_url(url: str) -> str | None:
    """The region key whose accounts server this is, or None for a simulator/private URL."""
    host = urlsplit(url).netloc.lower()
    for r in REGIONS.values():
        if urlsplit(r.accounts_url).netloc == host:
            return r.key
    return None
