"""WSGI gate in front of spyne: reads, caps and parses every SOAP request exactly once.

Nobody has to log in to send a body, so a body costs memory only once we know it may: every
call but ``receiveResponseXML`` is refused past ``MLC_MAX_CALL_BYTES`` (tens of kB; QBWC's
calls are well under one), and a larger ``receiveResponseXML`` is read further only when the
ticket at its head names a live session. The body is streamed into one parser with element,
depth, DTD and entity limits (``soap_bridge.envelope``); spyne then works on that tree
instead of parsing the body again. Spyne would also log an unparsable body verbatim (an
``authenticate`` carries a password): it never sees one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from lxml import etree

from connector.logsafe import clip
from connector.xmlsafe import UnsafeXmlError
from soap_bridge.envelope import RECEIVE_RESPONSE, SOAP11_ENV, EnvelopeReader

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["SoapGate", "DirectAnswer", "GateLimits", "ResponseGuard", "BodyRefusedError",
           "read_capped", "soap_fault", "PARSED_ENVELOPE"]

log = logging.getLogger(__name__)

TNS = "http://developer.intuit.com/"
BLOCK = 64 * 1024
WsgiEnviron = dict[str, Any]
# Where the gate leaves the parsed envelope for spyne (soap_bridge.service.GatedSoap11).
PARSED_ENVELOPE = "mlc.soap_envelope"

TOO_LARGE = "413 Request Entity Too Large"
BAD_REQUEST = "400 Bad Request"


class BodyRefusedError(ValueError):
    """The request body is over the configured cap, or its length is unreadable."""

    def __init__(self, message: str, status: str = TOO_LARGE) -> None:
        super().__init__(message)
        self.status = status


class _Answered(Exception):
    """``receiveResponseXML`` answered from the head of its body (the rest is never read)."""

    def __init__(self, percent: int, reason: str) -> None:
        super().__init__(reason)
        self.percent = percent


class ResponseGuard(Protocol):
    """What the gate asks the QBWC service before reading a large response."""

    def session_is_live(self, ticket: str) -> bool: ...

    def refuse_oversize_response(self, ticket: str, size: int | None, cap: int) -> int: ...


@dataclass(frozen=True)
class GateLimits:
    max_body_bytes: int  # MLC_MAX_BODY_BYTES: a live session's receiveResponseXML
    max_call_bytes: int  # MLC_MAX_CALL_BYTES: every other call, and any call without a ticket

    @property
    def small(self) -> int:
        return min(self.max_call_bytes, self.max_body_bytes)


def _declared_length(environ: WsgiEnviron) -> int | None:
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    if not declared:
        return None
    try:
        length = int(declared)
    except ValueError as exc:
        raise BodyRefusedError(f"unreadable Content-Length {clip(declared, 20)}",
                               BAD_REQUEST) from exc
    if length < 0:
        raise BodyRefusedError(f"unreadable Content-Length {length}", BAD_REQUEST)
    return length


def _blocks(environ: WsgiEnviron, length: int | None) -> Iterator[bytes]:
    """The body in blocks: ``length`` bytes, or (chunked: no Content-Length, the server sets
    ``wsgi.input_terminated``) up to the end of the stream; PEP 3333 says neither is no body."""
    stream = environ["wsgi.input"]
    if length is None and not environ.get("wsgi.input_terminated"):
        return
    remaining = length
    while remaining is None or remaining > 0:
        block = stream.read(BLOCK if remaining is None else min(BLOCK, remaining))
        if not block:
            return
        if remaining is not None:
            remaining -= len(block)
        yield bytes(block)


def read_capped(environ: WsgiEnviron, max_bytes: int) -> bytes:
    """Read the whole body, refusing it as soon as it passes ``max_bytes``.

    A declared Content-Length over the cap is refused before reading; a chunked body is read
    block by block and refused once it outgrows the cap.
    """
    length = _declared_length(environ)
    if length is not None and length > max_bytes:
        raise BodyRefusedError(f"body of {length} bytes exceeds the {max_bytes}-byte cap")
    chunks: list[bytes] = []
    total = 0
    stream = environ["wsgi.input"]
    if length is None and not environ.get("wsgi.input_terminated"):
        return b""
    while length is None or total < length:
        want = max_bytes + 1 - total if length is None else length - total
        block = stream.read(min(BLOCK, want))
        if not block:
            break
        total += len(block)
        if total > max_bytes:
            raise BodyRefusedError(f"body exceeds the {max_bytes}-byte cap")
        chunks.append(block)
    return b"".join(chunks)


def soap_fault(code: str, message: str, *, actor: str | None = None) -> bytes:
    """A SOAP 1.1 Fault envelope, as spyne writes its own (``soap11env:Client.…``; its
    Server faults carry an empty ``faultactor`` too)."""
    env = etree.Element(f"{{{SOAP11_ENV}}}Envelope", nsmap={"soap11env": SOAP11_ENV})
    fault = etree.SubElement(
        etree.SubElement(env, f"{{{SOAP11_ENV}}}Body"), f"{{{SOAP11_ENV}}}Fault"
    )
    etree.SubElement(fault, "faultcode").text = f"soap11env:{code}"
    etree.SubElement(fault, "faultstring").text = message
    if actor is not None:
        etree.SubElement(fault, "faultactor").text = actor
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def _receive_result(percent: int) -> bytes:
    """``receiveResponseXMLResponse`` as spyne writes it, for answers given by the gate."""
    env = etree.Element(f"{{{SOAP11_ENV}}}Envelope",
                        nsmap={"soap11env": SOAP11_ENV, "tns": TNS})
    body = etree.SubElement(env, f"{{{SOAP11_ENV}}}Body")
    reply = etree.SubElement(body, f"{{{TNS}}}{RECEIVE_RESPONSE}Response")
    etree.SubElement(reply, f"{{{TNS}}}{RECEIVE_RESPONSE}Result").text = str(percent)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


class DirectAnswer(Protocol):
    """Answers a parsed call itself (status, body), or None to leave it to the app."""

    def __call__(self, envelope: etree._Element,
                 environ: WsgiEnviron) -> tuple[str, bytes] | None: ...


class SoapGate:
    """Wraps the spyne WSGI app; GETs (the WSDL) pass straight through, and a call ``direct``
    answers never reaches spyne."""

    def __init__(self, app: WSGIApplication, *, limits: GateLimits,
                 guard: ResponseGuard, direct: DirectAnswer | None = None) -> None:
        self.app = app
        self.limits = limits
        self.guard = guard
        self.direct = direct

    def __call__(self, environ: WsgiEnviron, start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
            return self.app(environ, start_response)
        try:
            envelope = self._read(environ)
        except BodyRefusedError as exc:
            log.warning("refused SOAP request: %s", exc)
            return _reply(start_response, exc.status,
                          soap_fault("Client.BodyRefused", str(exc)))
        except UnsafeXmlError as exc:
            log.warning("refused SOAP request: %s", _first_line(exc))
            # SOAP 1.1 over HTTP answers every fault with 500; the Fault body says why.
            return _reply(start_response, "500 Internal Server Error",
                          soap_fault("Client.XmlRefused", f"request refused: {_first_line(exc)}"))
        except _Answered as answer:
            log.warning("receiveResponseXML answered %d unread: %s", answer.percent, answer)
            return _reply(start_response, "200 OK", _receive_result(answer.percent))
        if self.direct is not None:
            answered = self.direct(envelope, environ)
            if answered is not None:
                return _reply(start_response, *answered)
        environ[PARSED_ENVELOPE] = envelope
        environ["CONTENT_LENGTH"] = "0"
        return self.app(environ, start_response)

    def _read(self, environ: WsgiEnviron) -> etree._Element:
        length = _declared_length(environ)
        reader = EnvelopeReader()
        head: list[bytes] | None = []  # the bytes read before a large body was admitted
        read = 0
        for block in _blocks(environ, length):
            read += len(block)
            reader.feed(block)
            if head is None:
                if read > self.limits.max_body_bytes:
                    self._oversize(reader.ticket or "", None)
                continue
            head.append(block)
            if read > self.limits.small:
                self._admit(reader, length)
                # The head was parsed without libxml2's "huge" option; the body is read again
                # from its start by a parser that allows one text node past 10 MB.
                reader = EnvelopeReader(huge=True)
                reader.feed(b"".join(head))
                head = None
        if read == 0:
            raise UnsafeXmlError("malformed XML: the request has no body")
        return reader.close()

    def _admit(self, reader: EnvelopeReader, length: int | None) -> None:
        """Allow a body past the small cap, or refuse it (the rest is never read)."""
        small = self.limits.small
        size = f"body of {length} bytes" if length is not None else "body"
        if reader.operation != RECEIVE_RESPONSE:
            what = reader.operation or "a request whose SOAP Body did not start in it"
            raise BodyRefusedError(f"{size} exceeds the {small}-byte cap for {what[:60]}")
        if reader.ticket is None:
            raise BodyRefusedError(f"{size} exceeds the {small}-byte cap for a "
                                   "receiveResponseXML whose ticket does not come first")
        if not self.guard.session_is_live(reader.ticket):
            raise _Answered(-1, f"{size} past {small} bytes for an unknown or expired ticket")
        if length is not None and length > self.limits.max_body_bytes:
            self._oversize(reader.ticket, length)

    def _oversize(self, ticket: str, length: int | None) -> None:
        cap = self.limits.max_body_bytes
        raise _Answered(self.guard.refuse_oversize_response(ticket, length, cap),
                        f"response over the {cap}-byte cap (MLC_MAX_BODY_BYTES)")


def _reply(start_response: Any, status: str, payload: bytes) -> list[bytes]:
    start_response(status, [
        ("Content-Type", "text/xml; charset=utf-8"),
        ("Content-Length", str(len(payload))),
    ])
    return [payload]


def _first_line(exc: Exception) -> str:
    # lxml messages quote the offending line, which may hold a password; keep the reason only.
    return str(exc).splitlines()[0][:300]
