"""Tables of what the connector remembers about QuickBooks itself, beside the links."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

__all__ = ["PaymentApplication"]


class PaymentApplication(SQLModel, table=True):
    """A QuickBooks payment (ReceivePayment) and an invoice it was last read applied to.

    A deleted payment appears in TxnDeletedQuery with its TxnID only, so the invoices it paid
    (which are unpaid again) are known only from this record of the last read.
    """

    __tablename__ = "mlc_payment_application"
    company_id: int = Field(foreign_key="mlc_company.id", primary_key=True)
    payment_id: str = Field(primary_key=True)
    invoice_id: str = Field(primary_key=True)
