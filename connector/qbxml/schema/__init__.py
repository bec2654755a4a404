"""Intuit's qbXML 13.0 schemas, loaded once, for validating every request we build or receive."""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

__all__ = ["SCHEMA_DIR", "QbxmlSchemaError", "schema", "validate"]

SCHEMA_DIR = Path(__file__).parent


class QbxmlSchemaError(ValueError):
    """A qbXML document does not follow the 13.0 schema; ``errors`` lists lxml's messages."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors) or "invalid qbXML")
        self.errors = errors


_built: list[etree.XMLSchema] = []
_building = threading.Lock()


def schema() -> etree.XMLSchema:
    # Parsed once even when many threads ask at once (a bridge's first logins, a bench's
    # simulated companies): a bare cache would let each of them parse the XSDs (~0.2 s of CPU).
    with _building:
        if not _built:
            # The root includes the other three by relative path, so it must be parsed from
            # its file.
            _built.append(etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "qbxmlops130.xsd"))))
        return _built[0]


def validate(document: str | bytes | etree._Element) -> None:
    """Raise ``QbxmlSchemaError`` unless ``document`` is valid qbXML 13.0."""
    from connector.xmlsafe import parse_xml

    root = document if isinstance(document, etree._Element) else parse_xml(document)
    s = schema()
    if not s.validate(root):
        raise QbxmlSchemaError([f"line {e.line}: {e.message}" for e in s.error_log])
