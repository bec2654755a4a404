"""WSGI gate in front of spyne: caps the body and refuses unsafe or malformed XML.

Spyne would log an unparsable body verbatim (an ``authenticate`` carries a password) and its
default body cap is 2 MB, so every POST is read here with our own cap and parsed once with
entities, DTDs and network access off before spyne sees a byte.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lxml import etree

from connector.xmlsafe import UnsafeXmlError, parse_xml

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["SoapGate", "BodyRefusedError", "read_capped", "soap_fault"]

log = logging.getLogger(__name__)

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
BLOCK = 64 * 1024
WsgiEnviron = dict[str, Any]


TOO_LARGE = "413 Request Entity Too Large"
BAD_REQUEST = "400 Bad Request"


class BodyRefusedError(ValueError):
    """The request body is over the configured cap, or its length is unreadable."""

    def __init__(self, message: str, status: str = TOO_LARGE) -> None:
        super().__init__(message)
        self.status = status


def read_capped(environ: WsgiEnviron, max_bytes: int) -> bytes:
    """Read the whole body, refusing it as soon as it passes ``max_bytes``.

    A declared Content-Length over the cap is refused before reading; a chunked body (no
    Content-Length, ``wsgi.input_terminated`` set by the server) is read block by block and
    refused once it outgrows the cap.
    """
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    stream = environ["wsgi.input"]
    if declared:
        try:
            length = int(declared)
        except ValueError as exc:
            raise BodyRefusedError(f"unreadable Content-Length {declared!r}", BAD_REQUEST) from exc
        if length > max_bytes:
            raise BodyRefusedError(f"body of {length} bytes exceeds the {max_bytes}-byte cap")
        return bytes(stream.read(length)) if length > 0 else b""
    if not environ.get("wsgi.input_terminated"):
        return b""  # PEP 3333: no length and no terminated stream means no body
    chunks: list[bytes] = []
    total = 0
    while True:
        block = stream.read(min(BLOCK, max_bytes + 1 - total))
        if not block:
            return b"".join(chunks)
        total += len(block)
        if total > max_bytes:
            raise BodyRefusedError(f"body exceeds the {max_bytes}-byte cap")
        chunks.append(block)


def soap_fault(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault envelope, as spyne writes its own (``soap11env:Client.…``)."""
    env = etree.Element(f"{{{SOAP11_ENV}}}Envelope", nsmap={"soap11env": SOAP11_ENV})
    fault = etree.SubElement(
        etree.SubElement(env, f"{{{SOAP11_ENV}}}Body"), f"{{{SOAP11_ENV}}}Fault"
    )
    etree.SubElement(fault, "faultcode").text = f"soap11env:{code}"
    etree.SubElement(fault, "faultstring").text = message
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


class SoapGate:
    """Wraps the spyne WSGI app; GETs (the WSDL) pass straight through."""

    def __init__(self, app: WSGIApplication, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: WsgiEnviron, start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
            return self.app(environ, start_response)
        try:
            body = read_capped(environ, self.max_bytes)
        except BodyRefusedError as exc:
            log.warning("refused SOAP request: %s", exc)
            return self._refuse(start_response, exc.status, "Client.BodyRefused", str(exc))
        try:
            _refuse_dtd(body)
            parse_xml(body)
        except UnsafeXmlError as exc:
            log.warning("refused SOAP request of %d bytes: %s", len(body), _first_line(exc))
            # SOAP 1.1 over HTTP answers every fault with 500; the Fault body says why.
            return self._refuse(start_response, "500 Internal Server Error",
                                "Client.XmlRefused", f"request refused: {_first_line(exc)}")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)

    @staticmethod
    def _refuse(start_response: Any, status: str, code: str, message: str) -> list[bytes]:
        payload = soap_fault(code, message)
        start_response(status, [
            ("Content-Type", "text/xml; charset=utf-8"),
            ("Content-Length", str(len(payload))),
        ])
        return [payload]


def _refuse_dtd(body: bytes) -> None:
    # parse_xml refuses DTDs too, but libxml2 may first stop on entity amplification with a
    # murkier message. QBWC escapes qbXML as text, so "<!DOCTYPE" can only be markup here.
    if b"<!DOCTYPE" in body:
        raise UnsafeXmlError("XML with a DOCTYPE/DTD is refused (no entities, no external files)")


def _first_line(exc: Exception) -> str:
    # lxml messages quote the offending line, which may hold a password; keep the reason only.
    return str(exc).splitlines()[0][:300]
