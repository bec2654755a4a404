"""Child order and leaf types of qbXML aggregates, read once from Intuit's 13.0 XSD.

The simulator writes every ``*Ret`` in the schema's sequence order and reads typed values from
requests; taking both from the XSD itself means a writer can never drift from the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from lxml import etree

from connector.qbxml.schema import SCHEMA_DIR

__all__ = ["Child", "children", "positions", "is_list_ref"]

_XS = "{http://www.w3.org/2001/XMLSchema}"
_SIMPLE_TYPES = frozenset({
    "STRTYPE", "IDTYPE", "ENUMTYPE", "GUIDTYPE", "UUIDTYPE", "AMTTYPE", "PRICETYPE", "QUANTYPE",
    "PERCENTTYPE", "BOOLTYPE", "DATETYPE", "DATETIMETYPE", "INTTYPE", "FLOATTYPE",
    "TIMEINTERVALTYPE", "MACROTYPE",
})


@dataclass(frozen=True, slots=True)
class Child:
    """One child of an aggregate: qbXML type (``None`` for an aggregate), repeats, length cap."""

    name: str
    type: str | None
    repeats: bool
    max_length: int | None = None


class _Index:
    def __init__(self) -> None:
        self.elements: dict[str, etree._Element] = {}
        self.groups: dict[str, etree._Element] = {}
        self.types: dict[str, etree._Element] = {}
        for file in ("qbxml130.xsd", "qbxmlops130.xsd"):
            for node in etree.parse(str(SCHEMA_DIR / file)).getroot():
                name = node.get("name")
                table = {f"{_XS}element": self.elements, f"{_XS}group": self.groups,
                         f"{_XS}complexType": self.types}.get(str(node.tag))
                if table is not None and name:
                    table[name] = node

    def content(self, element: etree._Element) -> etree._Element | None:
        """The complexType holding ``element``'s children, or None for a simple element."""
        type_name = element.get("type")
        if type_name:
            return self.types.get(type_name)
        return element.find(f"{_XS}complexType")

    def simple_type(self, element: etree._Element) -> tuple[str | None, int | None]:
        type_name = element.get("type")
        if type_name in _SIMPLE_TYPES:
            return type_name, None
        restriction = element.find(f"{_XS}simpleType/{_XS}restriction")
        if restriction is None:
            return None, None
        cap = restriction.find(f"{_XS}maxLength")
        return restriction.get("base"), int(cap.get("value", "0")) if cap is not None else None

    def walk(self, node: etree._Element, repeats: bool, out: dict[str, Child]) -> None:
        for item in node:
            many = repeats or item.get("maxOccurs", "1") != "1"
            if item.tag == f"{_XS}element":
                name = item.get("name") or item.get("ref") or ""
                target = item if item.get("name") else self.elements[name]
                simple, cap = self.simple_type(target)
                out.setdefault(name, Child(name, simple, many, cap))
            elif item.tag == f"{_XS}group":
                self.walk(self.groups[item.get("ref", "")], many, out)
            elif item.tag in (f"{_XS}sequence", f"{_XS}choice", f"{_XS}complexContent"):
                self.walk(item, many, out)
            elif item.tag == f"{_XS}extension":
                base = self.types.get(item.get("base", ""))
                if base is not None:
                    self.walk(base, many, out)
                self.walk(item, many, out)


@lru_cache(maxsize=1)
def _index() -> _Index:
    return _Index()


@cache
def children(element: str) -> dict[str, Child]:
    """Children of the global element (``CustomerRet``) or named complex type
    (``ListDelRsType``) ``element``, in schema order."""
    index = _index()
    node = index.elements.get(element)
    body = index.content(node) if node is not None else index.types.get(element)
    if node is None and body is None:
        raise KeyError(f"{element} is neither a global qbXML element nor a complex type")
    out: dict[str, Child] = {}
    if body is not None:
        index.walk(body, False, out)
    return out


@cache
def positions(element: str) -> dict[str, tuple[int, Child]]:
    """Each child of ``element`` with its place in the schema's sequence."""
    return {name: (n, child) for n, (name, child) in enumerate(children(element).items())}


@cache
def is_list_ref(element: str) -> bool:
    """True for reference aggregates (``TermsRef``), false for look-alikes
    (``AdditionalContactRef``)."""
    try:
        parts = children(element)
    except KeyError:
        return False
    return "ListID" in parts or "FullName" in parts
