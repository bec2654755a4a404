"""The org a sync writes to, as the mapping needs it: fields metadata and value mapping.

Loaded once per run (and again when Zoho refuses a picklist value mid-run), per Zoho
connection: the metadata from the store while fresh, the mapping from the user's overrides
over the meaning-based defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.config import Settings
from connector.mapping.values import OrgValues, resolve_values
from connector.store import Database
from connector.zoho.fields import MetadataApi
from connector.zoho.metadata import OrgMeta
from connector.zoho.org_state import load_overrides, org_meta, refresh_meta

__all__ = ["Org", "OrgSource", "load_org", "overrides_for"]


@dataclass(frozen=True)
class Org:
    meta: OrgMeta
    values: OrgValues


@dataclass(frozen=True)
class OrgSource:
    """Where a connection's org view comes from, and how fresh its metadata must be."""

    connection_id: int
    max_age: timedelta = timedelta(days=1)
    # MLC_SYNC_OPEN_DEAL_STAGE: the open stage of connections that chose none.
    open_stage: str | None = None

    @classmethod
    def from_settings(cls, connection_id: int, settings: Settings) -> OrgSource:
        return cls(connection_id, settings.metadata_max_age, settings.sync_open_deal_stage)


def overrides_for(db: Database, source: OrgSource) -> dict[str, str]:
    preset = {"open-stage": source.open_stage} if source.open_stage else {}
    return {**preset, **load_overrides(db, source.connection_id)}


def load_org(db: Database, api: MetadataApi, source: OrgSource, *, now: datetime,
             refresh: bool = False) -> Org:
    meta = (refresh_meta(db, api, source.connection_id, now=now) if refresh
            else org_meta(db, api, source.connection_id, now=now, max_age=source.max_age))
    return Org(meta, resolve_values(meta, overrides_for(db, source)))
