"""The org a sync writes to, as the mapping needs it: fields metadata and value mapping.

Loaded once per run (and again when Zoho refuses a picklist value mid-run), per Zoho
connection: the metadata from the store while fresh, the mapping from the user's overrides
over the meaning-based defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from connector.config import Settings
from connector.errors import ConfigError
from connector.mapping.values import OrgValues, resolve_values
from connector.store import Database
from connector.zoho.fields import MetadataApi, required_custom_fields
from connector.zoho.metadata import OrgMeta
from connector.zoho.org_state import load_overrides, org_meta, refresh_meta

__all__ = ["Org", "OrgSource", "load_org", "load_ready_org", "overrides_for"]


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


def _missing_fields(meta: OrgMeta) -> list[str]:
    return [f"{f.module}.{f.api_name}"
            for f in required_custom_fields(has_invoices=meta.has_invoices)
            if meta.module(f.module) is not None and meta.field(f.module, f.api_name) is None]


def load_ready_org(db: Database, api: MetadataApi, source: OrgSource, *,
                   now: datetime) -> Org:
    """``load_org`` for a run that reads or writes records: the fields ml-connector keys
    records by must exist, or every query and upsert naming them fails with Zoho's bare
    "column given seems to be invalid". Metadata from the store that lacks them is read
    again first: they may have been made in Zoho's Setup since."""
    org = load_org(db, api, source, now=now)
    if _missing_fields(org.meta):
        org = load_org(db, api, source, now=now, refresh=True)
    missing = _missing_fields(org.meta)
    if missing:
        raise ConfigError(f"Zoho CRM has no field {', '.join(missing)}, which ml-connector "
                          "keys records by; run `ml-connector zoho setup` to create them")
    return org
