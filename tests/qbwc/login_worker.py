"""Runs in a separate process: wrong guesses in parallel threads, counting real-hash checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlmodel import select

from connector.config import Settings
from connector.qbwc.service import QbwcService
from connector.store import Company, Database
from tests.qbwc.hashing import CountingVerifier


def guess_in_parallel(url: str, user: str, address: str, guesses: int, start: Any) -> int:
    """``guesses`` wrong passwords at once, once every process is ready (``start`` barrier);
    returns how many were checked against the real hash."""
    db = Database(url)
    try:
        with db.session() as s:
            real = s.exec(select(Company.password_hash).where(Company.qbwc_user == user)).one()
        verifier = CountingVerifier()
        service = QbwcService(db, Settings(database_url=url), verify=verifier)
        start.wait()
        with ThreadPoolExecutor(max_workers=guesses) as pool:
            list(pool.map(lambda i: service.authenticate(user, f"wrong-{i}", address),
                          range(guesses)))
        return verifier.against(real)
    finally:
        db.dispose()
