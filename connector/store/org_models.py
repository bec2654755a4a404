"""Tables of what the connector keeps about each Zoho org: the fields metadata it maps with
(a cache, refreshed when stale) and the user's choices for the org's picklist values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from connector.store.types import UTCDateTime, utcnow

__all__ = ["ZohoOrgMetadata", "ZohoValueMapping"]


class ZohoOrgMetadata(SQLModel, table=True):
    """The fields metadata of the modules we write (``OrgMeta.to_json``), per connection."""

    __tablename__ = "mlc_zoho_org_metadata"
    connection_id: int = Field(foreign_key="mlc_zoho_connection.id", primary_key=True)
    fetched_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Set when Zoho refused a value of a picklist field: the next sync reads the metadata again.
    stale_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ZohoValueMapping(SQLModel, table=True):
    """The user's overrides of the value mapping (``ml-connector zoho mapping --set``): target
    key (``open-stage``, ``Deals.Region``) -> the org's value, or "" for "leave it unset"."""

    __tablename__ = "mlc_zoho_value_mapping"
    connection_id: int = Field(foreign_key="mlc_zoho_connection.id", primary_key=True)
    overrides: dict[str, str] = Field(default_factory=dict,
                                      sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow,
                                 sa_column=Column(UTCDateTime(), nullable=False))
