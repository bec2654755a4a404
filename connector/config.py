"""The one typed settings object. Every knob is an ``MLC_``-prefixed environment variable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir"]

APP_NAME = "ml-connector"


def default_data_dir() -> Path:
    # platformdirs gives %LOCALAPPDATA% on Windows, where most bridges run beside QuickBooks.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MLC_", env_file=None, extra="ignore")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_name(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key for secrets at rest; else <data_dir>/secret.key"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    bridge_host: str = "127.0.0.1"
    bridge_port: int = 8765
    # A receiveResponseXML of a live session may be this large (one QuickBooks answer).
    max_body_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    # Every other SOAP call, and any call before its ticket is known: QBWC's are under 1 kB,
    # and nobody has to log in to send a body, so memory is spent only on a live session.
    max_call_bytes: int = Field(default=64 * 1024, ge=1024)

    # QBWC security and pacing. Wrong passwords for a user from one address are free this
    # often, then each further try from there waits (first delay, doubling, at most
    # lockout_minutes); other addresses are not slowed until the user's failures over all
    # addresses (or the address's over all user names) reach login_spread_max_failures, and a
    # user is never slowed at an address its right password came from.
    login_max_failures: int = Field(default=5, ge=1)
    login_spread_max_failures: int = Field(default=20, ge=1)
    login_first_delay_seconds: int = Field(default=30, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    # Behind a reverse proxy: the header carrying the client's address (e.g. X-Forwarded-For),
    # believed only from these peers (comma-separated addresses or networks).
    trusted_proxy_header: str | None = None
    trusted_proxies: str = "127.0.0.1,::1"
    ticket_idle_minutes: int = 30
    # How long the Web Connector waits for one answer before it gives up on a call. A session
    # silent for longer is dead (QBWC itself has stopped waiting), so a new login with the
    # right password takes the company over instead of being told "busy" for ticket_idle.
    qbwc_request_timeout_seconds: int = Field(default=120, ge=1)
    # authenticate answers "none" when no write waits and the last full read is this fresh.
    min_poll_seconds: int = 60
    # QB stores local time with unreliable DST, so every delta window reaches back this far.
    overlap_minutes: int = 120
    # Sized so one page stays far below QBWC's ~60 s per-request limit on a slow company file.
    max_returned_customers: int = 500
    max_returned_items: int = 500
    max_returned_invoices: int = 100
    # QuickBooks lists deletions (ListDeleted/TxnDeleted) for about this long; a company not
    # read for longer gets a key scan of every live record instead. ping warns this many days
    # before the window closes.
    deleted_retention_days: float = Field(default=90, gt=0)
    deleted_retention_warn_days: float = Field(default=14, ge=0)
    key_scan_page: int = Field(default=1000, ge=1)

    zoho_region: str = "us"
    zoho_accounts_url: str | None = None
    zoho_client_id: str | None = None
    zoho_client_secret: SecretStr | None = None
    # Zoho client limits: ml-connector's share of the org's daily API credits (Zoho shows the
    # org's total under Setup > Developer Hub > APIs), calls in flight (default: the edition's
    # concurrency), and how long one call may take.
    zoho_daily_credit_budget: int = 20_000
    zoho_concurrency: int | None = None
    zoho_timeout_seconds: float = 60.0

    # Zoho change notifications and the Zoho -> QuickBooks write-back. Zoho keeps a channel at
    # most a week (a longer expiry silently becomes one hour), so ask for a little less.
    zoho_channel_lifetime_hours: int = Field(default=167, ge=1, le=167)
    zoho_channel_renew_within_hours: int = Field(default=24, ge=1)
    # Callbacks carry ids only; anything much larger than this is not Zoho.
    zoho_notify_max_bytes: int = 256 * 1024
    # After a lapse, changes are fetched from a little before it: clocks and Zoho's own lag.
    zoho_catchup_overlap_minutes: int = 10
    # A Mod refused for a stale EditSequence (3200) is re-queried and re-applied this often.
    sync_back_max_attempts: int = Field(default=3, ge=1)

    # QuickBooks -> Zoho sync. Stored responses are read this many at a time, and a chunk
    # ends once it holds this many records (pages differ tenfold: 500 customers, 100
    # invoices), so memory stays flat however large the company; a response whose records
    # keep failing is retried this many runs, then left.
    sync_chunk_responses: int = 20
    sync_chunk_records: int = Field(default=5000, ge=1)
    sync_max_attempts: int = 5
    # Phone numbers typed without a country code are read as this country's (ISO code, e.g.
    # DE); default: the country of the QuickBooks company's address, else US.
    phone_region: str | None = None
    # The first sync of a company into a Zoho org that already holds Accounts writes only
    # what a person confirmed (`sync --plan`, then `sync --confirm PLAN_ID`); false waives it.
    first_load_needs_plan: bool = True
    # A customer matching no Account by e-mail or phone but sharing its company name (0.6),
    # website domain (0.5) or postal address (0.4) goes to review; a single candidate
    # scoring at least this much (the weights add up) is linked without a person. Unset:
    # never.
    match_auto_link_score: float | None = Field(default=None, gt=0, le=1)
    # Deal stages and Invoice statuses come from the org's metadata, chosen by meaning (see
    # ``ml-connector zoho mapping``); this only pre-sets the open invoices' stage for every
    # connection that has not chosen one (a value the org does not list is not used).
    sync_open_deal_stage: str | None = None
    # The org's fields metadata is read again when the stored copy is older than this.
    zoho_metadata_max_age_hours: float = Field(default=24.0, gt=0)
    # Runs hold a lease per company (or Zoho connection) and use case in the store, renewed
    # every third of its life: a run whose process died is found once it expires.
    run_lease_seconds: int = Field(default=120, ge=5)
    # A run that finds its company busy waits this long, then ends as skipped.
    run_lease_wait_seconds: float = Field(default=10.0, ge=0)
    # How often a watching qb-to-zoho flow run looks for companies whose session just closed.
    sync_poll_seconds: float = Field(default=5.0, gt=0)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ml-connector.db').as_posix()}"

    @property
    def overlap(self) -> timedelta:
        return timedelta(minutes=self.overlap_minutes)

    @property
    def deleted_retention(self) -> timedelta:
        return timedelta(days=self.deleted_retention_days)

    @property
    def deleted_retention_warning(self) -> timedelta:
        return timedelta(days=self.deleted_retention_warn_days)

    @property
    def metadata_max_age(self) -> timedelta:
        return timedelta(hours=self.zoho_metadata_max_age_hours)

    @property
    def channel_lifetime(self) -> timedelta:
        return timedelta(hours=self.zoho_channel_lifetime_hours)

    @property
    def channel_renew_within(self) -> timedelta:
        return timedelta(hours=self.zoho_channel_renew_within_hours)

    @property
    def ticket_idle(self) -> timedelta:
        return timedelta(minutes=self.ticket_idle_minutes)

    @property
    def qbwc_request_timeout(self) -> timedelta:
        return timedelta(seconds=self.qbwc_request_timeout_seconds)

    @property
    def lockout(self) -> timedelta:
        return timedelta(minutes=self.lockout_minutes)

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"
