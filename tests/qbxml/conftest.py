"""Paths of the qbXML fixtures (copied into the project; see tests/fixtures/qbxml/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES

QBXML_FIXTURES: Path = FIXTURES / "qbxml"


@pytest.fixture
def qbxml_fixtures() -> Path:
    return QBXML_FIXTURES
