"""The QBWC login throttle's table: failed logins per user name and source address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from connector.store.types import UTCDateTime, utcnow

__all__ = ["LoginThrottle", "ANY_ADDRESS", "ANY_USER"]

# The ``address`` of the row that counts a user name's failures over every address, and the
# ``user_key`` of the row that counts an address's failures over every user name.
ANY_ADDRESS = ANY_USER = "*"


class LoginThrottle(SQLModel, table=True):
    """Failures of one user name from one address (``"*"`` on either side: summed over all).

    Written only by ``connector.qbwc.throttle``. A try is counted here *before* its password is
    checked, so parallel guesses cannot all get through; a right password refunds it.
    """

    __tablename__ = "mlc_login_throttle"
    # SHA-256 of the user name as it was typed: unknown names are counted exactly like known
    # ones (no oracle), and no attacker-chosen text of any length is stored.
    user_key: str = Field(primary_key=True, max_length=64)
    address: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    # No try from here is checked before this time (None: no wait).
    next_try_at: datetime | None = Field(default=None,
                                         sa_column=Column(UTCDateTime(), nullable=True))
    # The right password came from here once: the user-wide count never slows this address.
    trusted: bool = False
    updated_at: datetime = Field(default_factory=utcnow,
                                 sa_column=Column(UTCDateTime(), nullable=False, index=True))
