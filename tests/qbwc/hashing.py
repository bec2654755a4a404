"""A password check that counts: the real scrypt check, with a record of every hash it ran on."""

from __future__ import annotations

import threading

from connector.qbwc.passwords import verify_password


class CountingVerifier:
    """Passed to ``QbwcService(verify=...)``: which stored hash each check ran against."""

    def __init__(self) -> None:
        self.checked: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, password: str, encoded: str) -> bool:
        with self._lock:
            self.checked.append(encoded)
        return verify_password(password, encoded)

    def against(self, encoded: str) -> int:
        """How many checks ran against ``encoded`` (a company's real hash)."""
        return sum(1 for seen in self.checked if seen == encoded)

    def costs(self) -> list[tuple[str, str, str]]:
        """The scrypt cost (N, r, p) of every check made, in order."""
        return [tuple(seen.split("$")[1:4]) for seen in self.checked]  # type: ignore[misc]

    def reset(self) -> None:
        with self._lock:
            self.checked.clear()
