"""The one typed settings object. Every knob is an ``MLC_``-prefixed environment variable."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_data_dir"]

APP_NAME = "ml-connector"


def default_data_dir() -> Path:
    # platformdirs gives %LOCALAPPDATA% on Windows, where most bridges run beside QuickBooks.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MLC_", env_file=None, extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    secret_key: SecretStr | None = Field(
        default=None, description="Fernet key for secrets at rest; else <data_dir>/secret.key"
    )
    log_level: str = "INFO"

    bridge_host: str = "127.0.0.1"
    bridge_port: int = 8765
    max_body_bytes: int = 50 * 1024 * 1024

    # QBWC security and pacing.
    login_max_failures: int = 5
    lockout_minutes: int = 15
    ticket_idle_minutes: int = 30
    # authenticate answers "none" when no write waits and the last full read is this fresh.
    min_poll_seconds: int = 60
    # QB stores local time with unreliable DST, so every delta window reaches back this far.
    overlap_minutes: int = 120
    # Sized so one page stays far below QBWC's ~60 s per-request limit on a slow company file.
    max_returned_customers: int = 500
    max_returned_items: int = 500
    max_returned_invoices: int = 100

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

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ml-connector.db').as_posix()}"

    @property
    def overlap(self) -> timedelta:
        return timedelta(minutes=self.overlap_minutes)

    @property
    def ticket_idle(self) -> timedelta:
        return timedelta(minutes=self.ticket_idle_minutes)

    @property
    def lockout(self) -> timedelta:
        return timedelta(minutes=self.lockout_minutes)

    @property
    def key_file(self) -> Path:
        return self.data_dir / "secret.key"
