"""The API server's route table, most specific paths first."""

from __future__ import annotations

from connector.sandbox.zoho import (
    composite,
    coql,
    meta_api,
    records_api,
    related_api,
    search,
    watch_api,
)
from connector.sandbox.zoho.http import Route

__all__ = ["ROUTES"]

ROUTES: list[Route] = [
    *coql.ROUTES,
    *meta_api.ROUTES,
    *watch_api.ROUTES,
    *composite.ROUTES,
    *search.ROUTES,
    *related_api.ROUTES,
    *records_api.ROUTES,
]
