"""Keeping a simulated company file between runs as JSON (``ml-connector sandbox qb``).

Values keep their types through small tags (``{"$dec": "1.50"}``, ``{"$date": …}``,
``{"$time": …}``); the file is written to a temporary name and renamed, so a crash never
leaves half a company behind.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.sandbox.qbd.company import Company
from connector.sandbox.qbd.records import Deleted, Invoice, InvoiceLine, ListRecord, Payment
from connector.sandbox.qbd.values import QbClock

__all__ = ["save_company", "load_company", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_COUNTERS = ("next_list_number", "next_txn_number", "next_txn_seq", "next_ref_number")


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$time": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dec" in value:
            return Decimal(value["$dec"])
        if "$time" in value:
            return datetime.fromisoformat(value["$time"])
        if "$date" in value:
            return date.fromisoformat(value["$date"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def save_company(company: Company, path: Path) -> None:
    listed = [r for r in company.records.values() if r.family in ("Customer", "Item")]
    # Parents before children, so loading can index full names in one pass.
    listed.sort(key=company.sublevel)
    state = {
        "format": FORMAT_VERSION,
        "company_name": company.company_name,
        "address": company.address,
        "counters": {name: getattr(company, name) for name in _COUNTERS},
        "records": [asdict(r) for r in listed],
        "invoices": [asdict(i) for i in company.invoices.values()],
        "payments": [asdict(p) for p in company.payments.values()],
        "deleted_lists": [asdict(d) for d in company.deleted_lists],
        "deleted_txns": [asdict(d) for d in company.deleted_txns],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(_encode(state), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
    company.dirty = False


def load_company(path: Path, clock: QbClock) -> Company:
    """Read a company saved by ``save_company``; a wrong or damaged file raises ValueError."""
    try:
        state = _decode(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the simulated company file {path}: {exc}") from exc
    if state.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path} is not a simulated company file of format {FORMAT_VERSION}")
    company = Company(clock, company_name=state["company_name"], address=state.get("address"))
    for name, value in state["counters"].items():
        setattr(company, name, value)
    for raw in state["records"]:
        company.insert(ListRecord(**raw))
    for raw in state["invoices"]:
        lines = [InvoiceLine(**line) for line in raw.pop("lines")]
        invoice = Invoice(**raw, lines=lines)
        company.invoices[invoice.txn_id] = invoice
        company.invoices_of[invoice.customer_id].append(invoice.txn_id)
    # Files saved before payments were modelled have none.
    for raw in state.get("payments", []):
        payment = Payment(**raw)
        company.payments[payment.txn_id] = payment
    company.deleted_lists = [Deleted(**d) for d in state["deleted_lists"]]
    company.deleted_txns = [Deleted(**d) for d in state["deleted_txns"]]
    company.dirty = False
    return company
