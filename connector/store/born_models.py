"""Accounts created in Zoho on their way into QuickBooks as new customers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from connector.store.types import UTCDateTime, utcnow

__all__ = ["CustomerAddState", "ZohoBornCustomer"]


class CustomerAddState(StrEnum):
    QUEUED = "queued"  # the CustomerAdd waits in the QBWC queue (or was sent)
    ADDED = "added"  # QuickBooks made the customer; the links point at the Account
    FAILED = "failed"  # refused (e.g. 3100, the name is taken): a person decides again
    # The Account changed before QuickBooks was handed the request: a fresh one replaced it.
    SUPERSEDED = "superseded"


class ZohoBornCustomer(SQLModel, table=True):
    """One CustomerAdd for a Zoho-born Account, kept until QuickBooks has answered: the
    bridge links the new ListID to the Account (and its Contact) from it, and an Account
    with one of these is never added twice."""

    __tablename__ = "mlc_zoho_born_customer"
    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="mlc_company.id", index=True)
    account_id: str = Field(index=True)  # the Zoho Account
    contact_id: str | None = None  # its primary Contact, the customer's contact fields
    name: str  # the customer Name asked for
    request_id: int | None = Field(default=None, foreign_key="mlc_queued_request.id",
                                   index=True)
    review_id: int | None = Field(default=None, foreign_key="mlc_review_item.id")
    state: str = CustomerAddState.QUEUED
    list_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow,
                                 sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow,
                                 sa_column=Column(UTCDateTime(), nullable=False))
    # When a sync-back run audited QuickBooks' answer (None: not yet).
    settled_at: datetime | None = Field(default=None,
                                        sa_column=Column(UTCDateTime(), nullable=True))
    error_code: str | None = None
    error_message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
