"""What the connector keeps per Zoho connection about the org: its fields metadata (cached,
read again when stale) and the user's value-mapping overrides.

The metadata is read at ``zoho setup``, by ``ping``, and at the start of a sync when the
cached copy is older than ``max_age`` (a day by default) or was marked stale: Zoho refused
a value of a picklist field (INVALID_DATA naming it), so an admin changed the org since.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from connector.store import Database, ZohoOrgMetadata, ZohoValueMapping
from connector.zoho.fields import SYNC_MODULES, MetadataApi
from connector.zoho.metadata import OrgMeta

__all__ = ["cached_meta", "org_meta", "refresh_meta", "mark_stale", "load_overrides",
           "save_overrides"]

log = logging.getLogger(__name__)


def cached_meta(db: Database, connection_id: int) -> tuple[OrgMeta | None, str | None]:
    """The stored metadata and why it is stale (None: fresh or never read)."""
    with db.session() as s:
        row = s.get(ZohoOrgMetadata, connection_id)
        if row is None:
            return None, None
        try:
            return OrgMeta.from_json(row.body), row.stale_reason
        except (KeyError, TypeError, ValueError):
            return None, "the stored copy cannot be read"


def refresh_meta(db: Database, api: MetadataApi, connection_id: int, *, now: datetime,
                 modules: Sequence[str] = SYNC_MODULES) -> OrgMeta:
    """Read the metadata from Zoho now and store it as the connection's copy."""
    meta = api.org_meta(modules, now=now)
    with db.session() as s:
        row = s.get(ZohoOrgMetadata, connection_id) or ZohoOrgMetadata(
            connection_id=connection_id, fetched_at=now)
        row.fetched_at, row.body, row.stale_reason = now, meta.to_json(), None
        s.add(row)
    log.info("Zoho fields metadata read for connection #%s: %s", connection_id,
             ", ".join(meta.modules))
    return meta


def org_meta(db: Database, api: MetadataApi, connection_id: int, *, now: datetime,
             max_age: timedelta) -> OrgMeta:
    """The connection's metadata: the stored copy while fresh, else read again."""
    meta, stale = cached_meta(db, connection_id)
    if meta is not None and stale is None and now - meta.fetched_at < max_age:
        return meta
    if stale:
        log.info("Zoho fields metadata of connection #%s is stale (%s)", connection_id, stale)
    return refresh_meta(db, api, connection_id, now=now)


def mark_stale(db: Database, connection_id: int, reason: str) -> None:
    with db.session() as s:
        row = s.get(ZohoOrgMetadata, connection_id)
        if row is not None and row.stale_reason is None:
            row.stale_reason = reason
            s.add(row)


def load_overrides(db: Database, connection_id: int) -> dict[str, str]:
    with db.session() as s:
        row = s.get(ZohoValueMapping, connection_id)
        return dict(row.overrides) if row is not None else {}


def save_overrides(db: Database, connection_id: int, overrides: Mapping[str, str], *,
                   now: datetime) -> None:
    with db.session() as s:
        row = s.get(ZohoValueMapping, connection_id) or ZohoValueMapping(
            connection_id=connection_id)
        row.overrides, row.updated_at = dict(overrides), now
        s.add(row)
