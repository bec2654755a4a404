"""The Web Connector's well-formed calls, answered without spyne's per-request machinery.

Spyne builds a method context, runs the envelope through its XSD validator and its generic
object mapper, fires a dozen events and serializes through a generic protocol on every call:
about a quarter of a polling bridge's CPU, for eight fixed signatures of strings and ints.
A call whose envelope has exactly the shape of Intuit's WSDL (Envelope > Body > the operation,
its parameters in order, plain text, no attributes, ints as bare digits in range) is handed
to the same ``@rpc`` functions here, and answered with the bytes spyne writes. Anything else
-- an unknown operation, a missing or extra element, a SOAP Header, ``xsi:nil``, an int
spyne's validator may read differently -- goes to spyne as before, which validates it and
writes its Fault. The signatures are read from the spyne service, so there is one of each.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from spyne.model.complex import Array
from spyne.model.primitive import Integer32, Unicode

from soap_bridge.envelope import SOAP11_ENV
from soap_bridge.gate import soap_fault

__all__ = ["DirectCalls"]

# Spyne's own logger for failures inside a method, so a failure logs as it did through spyne.
_server_log = logging.getLogger("spyne.application.server")

_ENVELOPE = f"{{{SOAP11_ENV}}}Envelope"
_BODY = f"{{{SOAP11_ENV}}}Body"
_INT = re.compile(r"[+-]?[0-9]{1,10}")
_INT32 = range(-(2**31), 2**31)
# XML's whitespace; str.strip() alone also strips NBSP, NEL, U+3000 ..., which the WSDL's
# element-only content refuses (spyne answers a SchemaValidationError Fault).
_XML_SPACE = " \t\r\n"
# What spyne checks of a value beyond its type, each left at the type's default in Intuit's
# WSDL. A parameter declared with one of them set is spyne's to validate.
_FACETS = ("min_len", "max_len", "pattern", "values", "ge", "gt", "le", "lt", "total_digits",
           "fraction_digits", "default")


@dataclass(frozen=True)
class _Param:
    tag: str
    integer: bool
    required: bool  # spyne refuses the call without it


@dataclass(frozen=True)
class _Method:
    function: Any
    params: tuple[_Param, ...]
    response: str  # the response element's tag
    result: str  # the result element's tag
    item: str | None  # an array result's item tag; None: one text result


@dataclass(frozen=True)
class _Transport:
    req_env: dict[str, Any]


@dataclass(frozen=True)
class _Context:
    """What the ``@rpc`` functions read of spyne's method context."""

    app: Any
    transport: _Transport


def _plain(kind: Any, base: Any) -> bool:
    """Whether spyne checks nothing of a ``kind`` value but what ``base`` says: one of it, no
    facet, no default."""
    attrs, plain = kind.Attributes, base.Attributes
    return attrs.max_occurs == 1 and all(
        getattr(attrs, facet, None) == getattr(plain, facet, None) for facet in _FACETS)


def _method(tns: str, descriptor: Any) -> _Method | None:
    params = []
    for name, kind in descriptor.in_message._type_info.items():
        base = next((b for b in (Integer32, Unicode) if issubclass(kind, b)), None)
        if base is None or not _plain(kind, base):
            return None
        params.append(_Param(f"{{{tns}}}{name}", integer=base is Integer32,
                             required=kind.Attributes.min_occurs > 0))
    (result, kind), = descriptor.out_message._type_info.items()
    item = None
    if issubclass(kind, Array):
        (item, item_kind), = kind._type_info.items()
        if not issubclass(item_kind, Unicode):
            return None
    elif not issubclass(kind, Unicode | Integer32):
        return None
    return _Method(descriptor.function, tuple(params), f"{{{tns}}}{descriptor.name}Response",
                   f"{{{tns}}}{result}", None if item is None else f"{{{tns}}}{item}")


def _blank(text: str | None) -> bool:
    return text is None or not text.strip(_XML_SPACE)


class DirectCalls:
    """``__call__(envelope, environ)`` answers a call of the WSDL's exact shape with the
    response bytes, or returns None (the envelope untouched) for spyne to handle."""

    def __init__(self, app: Any, service: Any) -> None:
        self.app = app
        self.tns: str = app.tns
        self.nsmap = {"soap11env": SOAP11_ENV, "tns": self.tns}
        self.methods: dict[str, _Method] = {}
        for descriptor in service.public_methods.values():
            method = _method(self.tns, descriptor)
            if method is not None:
                self.methods[f"{{{self.tns}}}{descriptor.name}"] = method

    def __call__(self, envelope: etree._Element,
                 environ: dict[str, Any]) -> tuple[str, bytes] | None:
        found = self._arguments(envelope)
        if found is None:
            return None
        method, arguments = found
        # The arguments are Python strings now; a large QuickBooks answer kept as the tree's
        # text as well would be held twice while the service stores it.
        envelope.clear()
        try:
            result = method.function(_Context(self.app, _Transport(environ)), *arguments)
            # Inside the try: a result XML cannot carry (a control character in a company's
            # name, which closeConnection's summary quotes) fails here, and gets the Server
            # fault rather than a traceback out of the WSGI app.
            return "200 OK", self._response(method, result)
        except Exception as exc:  # noqa: BLE001 - spyne's answer to any failure in a method
            _server_log.critical(exc, exc_info=True)
            return "500 Internal Server Error", soap_fault("Server", "Internal Error", actor="")

    def _arguments(self, envelope: etree._Element) -> tuple[_Method, list[Any]] | None:
        if envelope.tag != _ENVELOPE or envelope.attrib or not _blank(envelope.text):
            return None
        if len(envelope) != 1:
            return None
        body = envelope[0]
        if body.tag != _BODY or body.attrib or not _blank(body.text) or not _blank(body.tail):
            return None
        if len(body) != 1:
            return None
        call = body[0]
        method = self.methods.get(call.tag) if isinstance(call.tag, str) else None
        if method is None or call.attrib or not _blank(call.text) or not _blank(call.tail):
            return None
        if not method.params and call.text:
            return None  # an operation without parameters has empty content: not even spaces
        given = list(call)
        arguments: list[Any] = []
        for param in method.params:
            element = given[0] if given and given[0].tag == param.tag else None
            if element is None:
                if param.required:
                    return None
                arguments.append(None)
                continue
            given.pop(0)
            if element.attrib or len(element) or not _blank(element.tail):
                return None
            text = element.text
            if param.integer:
                if text is None or not _INT.fullmatch(text) or int(text) not in _INT32:
                    return None
                arguments.append(int(text))
            else:
                # Spyne hands an empty element on as "" (an absent one as None).
                arguments.append("" if text is None else text)
        return None if given else (method, arguments)

    def _response(self, method: _Method, result: Any) -> bytes:
        root = etree.Element(_ENVELOPE, nsmap=self.nsmap)
        response = etree.SubElement(etree.SubElement(root, _BODY), method.response)
        element = etree.SubElement(response, method.result)
        if method.item is None:
            element.text = str(result)
        else:
            for value in result:
                etree.SubElement(element, method.item).text = value
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
