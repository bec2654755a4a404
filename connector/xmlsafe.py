"""Parsing untrusted XML: no entity expansion, no DTDs, no network, bounded size."""

from __future__ import annotations

from lxml import etree

__all__ = ["UnsafeXmlError", "safe_parser", "parse_xml"]


class UnsafeXmlError(ValueError):
    """The document is malformed, too large, or tries to use a DTD or entities."""


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


def parse_xml(data: str | bytes, *, max_bytes: int | None = None) -> etree._Element:
    """Parse ``data`` refusing DTDs (so no XXE, no billion laughs) and oversize bodies."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if max_bytes is not None and len(raw) > max_bytes:
        raise UnsafeXmlError(f"XML body of {len(raw)} bytes exceeds the {max_bytes}-byte cap")
    try:
        root = etree.fromstring(raw, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"malformed XML: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise UnsafeXmlError("XML with a DOCTYPE/DTD is refused")
    return root
