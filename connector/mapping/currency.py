"""Invoice currencies: keep them where the Zoho org has multiple currencies, else convert.

QuickBooks names currencies ("Euro") and quotes ``ExchangeRate`` as home-currency units per
foreign unit (1 EUR = 1.08 USD -> 1.08). Zoho wants ISO codes and the opposite rate, foreign
units per home unit. Without multi-currency in Zoho (Enterprise and up), amounts go over in
the home currency and the original amount and rate are written into the description.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.qbxml.models import Invoice

__all__ = ["QB_CURRENCY_CODES", "OrgCurrency", "Conversion", "conversion", "CENT"]

CENT = Decimal("0.01")
# Zoho keeps at most nine decimals of an exchange rate.
_RATE_PLACES = Decimal("0.000000001")
# QuickBooks Desktop's built-in currency list, by the names its CurrencyRef carries.
QB_CURRENCY_CODES: dict[str, str] = {
    "US Dollar": "USD", "Euro": "EUR", "British Pound Sterling": "GBP",
    "Canadian Dollar": "CAD", "Australian Dollar": "AUD", "New Zealand Dollar": "NZD",
    "Japanese Yen": "JPY", "Swiss Franc": "CHF", "Mexican Peso": "MXN", "Indian Rupee": "INR",
    "Chinese Yuan Renminbi": "CNY", "Hong Kong Dollar": "HKD", "Singapore Dollar": "SGD",
    "Swedish Krona": "SEK", "Danish Krone": "DKK", "Norwegian Krone": "NOK",
    "Polish Zloty": "PLN", "South African Rand": "ZAR", "Brazilian Real": "BRL",
    "Philippine Peso": "PHP", "United Arab Emirates Dirham": "AED",
}


@dataclass(frozen=True)
class OrgCurrency:
    """What the Zoho org allows: its home currency and whether records may carry another."""

    home: str | None = None
    multi_currency: bool = False


def _iso(name: str | None) -> str | None:
    if not name:
        return None
    code = QB_CURRENCY_CODES.get(name.strip())
    if code:
        return code
    text = name.strip().upper()
    return text if len(text) == 3 and text.isalpha() else None


@dataclass(frozen=True)
class Conversion:
    """How one invoice's amounts reach Zoho."""

    currency: str | None  # ISO code, or QuickBooks' name when it has none
    rate: Decimal | None  # QuickBooks' rate: home units per foreign unit
    keep: bool  # True: Zoho records the foreign currency itself

    @property
    def converts(self) -> bool:
        return not self.keep and self.rate is not None

    def amount(self, value: Decimal) -> Decimal:
        """An amount as Zoho records it (home currency unless the currency is kept)."""
        return (value * self.rate).quantize(CENT) if self.converts and self.rate else value

    def zoho_fields(self) -> dict[str, Any]:
        if not self.keep or not self.rate:
            return {}
        return {"Currency": self.currency,
                "Exchange_Rate": (Decimal(1) / self.rate).quantize(_RATE_PLACES)}

    def note(self, total: Decimal) -> str | None:
        """The original amount, for the description, when it was converted."""
        if not self.converts:
            return None
        return (f"QuickBooks amount: {total:,.2f} {self.currency} at exchange rate "
                f"{self.rate} (converted to the home currency)")


def conversion(invoice: Invoice, org: OrgCurrency) -> Conversion:
    name = invoice.currency.full_name if invoice.currency else None
    rate = invoice.exchange_rate
    code = _iso(name)
    home = org.home.upper() if org.home else None
    # Without a known home currency, a rate of 1 is the only sign of a home-currency invoice.
    differs = code != home if home else rate != 1
    foreign = name is not None and rate is not None and rate > 0 and differs
    if not foreign:
        return Conversion(code, None, keep=False)
    keep = org.multi_currency and code is not None
    return Conversion(code or name, rate, keep=keep)
