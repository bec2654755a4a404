"""Deterministic, realistic company data: what a year in a small business's QuickBooks looks like.

Same seed and same clock give identical records (and so identical responses). The data holds
what real files hold and the happy path forgets: names and addresses outside ASCII (some outside
ISO-8859-1), jobs under customers, an inactive customer, taxable and non-taxable customers,
invoices with a discount line and a sales-tax line, paid and partly paid invoices.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.sandbox.qbd.records import ListRecord

if TYPE_CHECKING:
    from connector.sandbox.qbd.simulator import QuickBooksSimulator

__all__ = ["seed_company"]

_HISTORY = timedelta(days=365)
_FIRST = ("Kristy", "Brian", "Ana", "Jürgen", "Chloé", "Tomasz", "Mei", "Olu", "Sofía", "Lars",
          "Priya", "Noah", "Ingrid", "Diego", "Hana", "Marek")
_LAST = ("Abercrombie", "Baker", "Castillo", "Dąbrowski", "Eriksen", "Fournier", "García",
         "Hoffmann", "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Müller", "Nakamura",
         "O'Brien", "Petrović")
# Company names with characters QuickBooks stores as-is (é, ü, ø) and some it cannot (Ł, ř, ő).
_COMPANIES = (
    "Café Olé",
    "Müller GmbH",
    "Łódź Trading Sp. z o.o.",
    "Søren & Co",
    "Dvořák Musik",
    "Nuñez e Hijos",
    "Ångström Optics",
    "Erdős Consulting",
    "Cedar Valley Farms",
    "Blue Harbor Marine",
    "Summit Dental Group",
    "Northwind Traders",
    "Pine Street Bakery",
    "Redwood Analytics",
    "Golden Gate Florist",
    "Bayshore Auto Repair",
)
_JOBS = ("Kitchen remodel", "Office fit-out", "Roof repair", "Annual maintenance",
         "Warehouse expansion", "Website redesign", "Réfection façade")
_PLACES = (("Hauptstraße 12", "München", "BY", "80331", "DE"),
           ("5647 Cypress Hill Rd", "Bayshore", "CA", "94326", "US"),
           ("ul. Piotrkowska 104", "Łódź", None, "90-006", "PL"),
           ("12 rue de Rivoli", "Paris", None, "75001", "FR"),
           ("Strøget 3", "København", None, "1160", "DK"),
           ("350 Fifth Avenue", "New York", "NY", "10118", "US"),
           ("Calle de Alcalá 45", "Madrid", None, "28014", "ES"),
           ("1 Market Street", "San Francisco", "CA", "94105", "US"))
_TERMS = ("Net 30", "Net 30", "Net 15", "Due on receipt")
# (kind, name, description, price): what a small service-and-goods business sells.
_CATALOGUE = (
    ("ItemService", "Consulting", "Consulting per hour", "150"),
    ("ItemNonInventory", "Cabinet hardware", "Cabinet pulls, brushed nickel", "12.5"),
    ("ItemInventory", "Oak panel", "Oak panel 4×8 ft", "89.99"),  # noqa: RUF001 - as printed on the label
    ("ItemService", "Installation", "Installation labour", "95"),
    ("ItemOtherCharge", "Freight", "Freight and handling", "35"),
    ("ItemService", "Design review", "Design review session", "220"),
    ("ItemNonInventory", "Crème wall paint", "Crème wall paint, 1 gal", "42"),
    ("ItemInventory", "Tile pack", "Ceramic tiles, pack of 20", "64.2"),
)
_SPECIAL: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "ItemDiscount",
        "Loyalty 10%",
        {
            "ItemDesc": "Loyalty discount",
            "DiscountRatePercent": Decimal("10"),
            "AccountRef": "Discounts Given",
        },
    ),
    (
        "ItemSalesTax",
        "CA State Tax",
        {"ItemDesc": "California sales tax", "TaxRate": Decimal("7.25")},
    ),
    ("ItemSalesTax", "City Tax", {"ItemDesc": "City surcharge", "TaxRate": Decimal("1.0")}),
)


def seed_company(qb: QuickBooksSimulator, *, customers: int, invoices: int, lines_per_invoice: int,
                 items: int = 25, seed: int = 0) -> None:
    """Fill ``qb``'s company with ``customers`` CustomerRets (jobs included), ``items`` sellable
    items plus a discount item and two sales-tax items, and ``invoices`` invoices of exactly
    ``lines_per_invoice`` lines each; all dated over the year before the simulator's clock."""
    if min(customers, invoices, lines_per_invoice, items) < 0 or (invoices and not customers):
        raise ValueError("counts must be >= 0, and invoices need at least one customer")
    rng = random.Random(seed)
    clock = qb.clock
    total = customers + items + len(_SPECIAL) + invoices
    start = clock.now() - _HISTORY
    moments = iter(start + _HISTORY * (n / max(total, 1)) for n in range(total))
    special: dict[str, ListRecord] = {}
    for kind, name, fields in _SPECIAL:
        with clock.at(next(moments)):
            special[name] = qb.company.add_item(kind, name, **fields)
    catalogue = []
    for n in range(items):
        with clock.at(next(moments)):
            catalogue.append(_add_item(qb, n))
    people: list[ListRecord] = []
    for n in range(customers):
        with clock.at(next(moments)):
            people.append(_add_customer(qb, rng, n, people))
    for n in range(invoices):
        moment = next(moments)
        with clock.at(moment):
            invoice = qb.company.add_invoice(
                rng.choice(people).list_id, _lines(rng, n, lines_per_invoice, catalogue, special),
                **_invoice_header(rng, n))
        _maybe_pay(qb, rng, invoice.txn_id, moment)


def _add_item(qb: QuickBooksSimulator, n: int) -> ListRecord:
    kind, name, desc, price = _CATALOGUE[n % len(_CATALOGUE)]
    if n >= len(_CATALOGUE):
        name = f"{name} {n // len(_CATALOGUE) + 1}"
    fields: dict[str, Any] = {"SalesTaxCodeRef": "Non" if kind == "ItemService" else "Tax"}
    if kind == "ItemInventory":
        fields.update(SalesDesc=desc, SalesPrice=Decimal(price), IncomeAccountRef="Sales",
                      PurchaseDesc=desc, PurchaseCost=Decimal(price) * Decimal("0.6"),
                      COGSAccountRef="Cost of Goods Sold", AssetAccountRef="Inventory Asset",
                      QuantityOnHand=Decimal(40 + n), AverageCost=Decimal(price) * Decimal("0.6"))
    else:
        account = "Services" if kind == "ItemService" else "Sales"
        fields["SalesOrPurchase"] = {"Desc": desc, "Price": Decimal(price), "AccountRef": account}
    return qb.company.add_item(kind, name, **fields)


def _add_customer(qb: QuickBooksSimulator, rng: random.Random, n: int,
                  people: list[ListRecord]) -> ListRecord:
    company = qb.company
    parents = [p for p in people if p.parent_id is None]
    if n % 8 == 7 and parents:
        parent = parents[-1]
        return company.add_customer(
            _JOBS[n // 8 % len(_JOBS)], parent=parent.list_id, JobStatus="InProgress",
            JobDesc=f"Job {n // 8 + 1}", BillAddress=parent.fields.get("BillAddress"),
            SalesTaxCodeRef=parent.fields.get("SalesTaxCodeRef"),
            ItemSalesTaxRef=parent.fields.get("ItemSalesTaxRef"))
    k = n // 2
    # 256 distinct first/last pairs before a name needs a number.
    first, last = _FIRST[k % 16], _LAST[(k // 16 + k * 7) % 16]
    addr1, city, state, postal, country = _PLACES[n % len(_PLACES)]
    address = {
        "Addr1": addr1,
        "City": city,
        "State": state,
        "PostalCode": postal,
        "Country": country,
    }
    fields: dict[str, Any] = {
        "FirstName": first, "LastName": last, "BillAddress": address,
        "Phone": f"415-555-{1000 + n % 9000:04d}", "TermsRef": rng.choice(_TERMS),
        "Email": f"{_ascii(first)}.{_ascii(last)}{n}@example.com".lower(),
        "AccountNumber": f"C-{n + 1:05d}",
    }
    if n % 2:
        name = _unique(_COMPANIES[k % len(_COMPANIES)], k // len(_COMPANIES))
        fields.update(
            CompanyName=name, Contact=f"{first} {last}", Fax=f"415-555-{2000 + n % 8000:04d}"
        )
    else:
        name = _unique(f"{last}, {first}", k // 256)
    if n % 3 == 0:
        fields["ShipAddress"] = {**address, "Addr1": f"Dock {n % 9 + 1}, {addr1}"[:41]}
    taxable = rng.random() < 0.8
    fields["SalesTaxCodeRef"] = "Tax" if taxable else "Non"
    if taxable:
        fields["ItemSalesTaxRef"] = "CA State Tax"
    if n % 5 == 4:
        fields["Notes"] = "Prefers invoices by e-mail; ask for the PO number."
    # One inactive customer, as every long-lived company file has.
    return company.add_customer(name, is_active=n != 2, **fields)


def _lines(rng: random.Random, n: int, count: int, catalogue: list[ListRecord],
           special: dict[str, ListRecord]) -> list[dict[str, Any]]:
    extras = []
    if count >= 3 and n % 3 == 0:
        extras.append({"ItemRef": special["Loyalty 10%"].list_id})
    if count >= 3 and n % 4 == 0:
        extras.append({"ItemRef": special["City Tax"].list_id})
    lines: list[dict[str, Any]] = []
    for _ in range(count - len(extras)):
        item = rng.choice(catalogue) if catalogue else None
        line: dict[str, Any] = {"Quantity": Decimal(rng.randint(1, 16)) / 2}
        if item is not None:
            line["ItemRef"] = item.list_id
        else:
            line.update(Desc="Labour", Rate=Decimal("80"))
        if rng.random() < 0.15:
            line["Rate"] = Decimal(rng.randint(2000, 40000)) / 100
        lines.append(line)
    return lines + extras


def _invoice_header(rng: random.Random, n: int) -> dict[str, Any]:
    header: dict[str, Any] = {}
    if n % 4 == 1:
        header["PONumber"] = f"PO-{rng.randint(1000, 9999)}"
    if n % 5 == 2:
        header["Memo"] = "Thank you for your business — merci, danke, dziękujemy!"
    return header


def _maybe_pay(qb: QuickBooksSimulator, rng: random.Random, txn_id: str, moment: Any) -> None:
    roll = rng.random()
    if roll >= 0.5:
        return
    invoice = qb.company.invoices[txn_id]
    due = qb.company.totals(invoice).balance
    paid_at = moment + timedelta(days=rng.randint(3, 40))
    if paid_at >= qb.clock.now():
        return
    with qb.clock.at(paid_at):
        qb.company.record_payment(
            txn_id, due if roll < 0.4 else (due / 2).quantize(Decimal("0.01"))
        )


def _unique(name: str, round_: int) -> str:
    return name if round_ == 0 else f"{name} {round_ + 1}"[:41]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded if ch.isalnum()) or "client"
