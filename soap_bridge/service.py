"""The QBWC SOAP surface: eight spyne methods, each a hand-off to ``QbwcService``.

Spyne declares them, writes the WSDL and answers every call of an unusual shape; the calls
shaped as the WSDL says reach the same methods through ``soap_bridge.direct``.

Parameter names, their order and their types are part of the wire contract: QBWC posts the
element names of Intuit's WSDL (``strUserName``, ``strHCPResponse``, ``qbXMLMajorVers``, …) and
reads back ``<op>Result``. Protocol decisions live in ``connector.qbwc``, never here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import spyne.const
from spyne import Application, Array, Fault, Integer32, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from soap_bridge.direct import DirectCalls
from soap_bridge.envelope import SOAP11_ENV
from soap_bridge.gate import PARSED_ENVELOPE, GateLimits, SoapGate

if TYPE_CHECKING:
    from connector.qbwc.service import QbwcService

__all__ = ["TNS", "SERVICE_NAME", "QbwcApplication", "QBWebConnectorSvc", "GatedSoap11",
           "soap_wsgi"]

TNS = "http://developer.intuit.com/"
SERVICE_NAME = "QBWebConnectorSvc"

# Intuit's WSDL: strings are optional (minOccurs=0), the two version ints and the percent are
# required. ArrayOfString must carry that exact type name or QBWC cannot read authenticate.
Str = Unicode(min_occurs=0, max_occurs=1, nillable=False)
Int = Integer32(min_occurs=1, max_occurs=1, nillable=False)
ArrayOfString = Array(Unicode(min_occurs=0, nillable=True), type_name="ArrayOfString").customize(
    min_occurs=0, nillable=False)
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
_ENVELOPE, _BODY, _FAULT = (f"{{{SOAP11_ENV}}}{name}" for name in ("Envelope", "Body", "Fault"))


class GatedSoap11(Soap11):
    """SOAP 1.1 that reads the envelope the gate has already parsed: one parse per request."""

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        envelope = getattr(ctx.transport, "req_env", {}).get(PARSED_ENVELOPE)
        if envelope is None:
            super().create_in_document(ctx, charset)
            return
        # The (root, ids) pair spyne's own parse gives; QBWC sends no SOAP multi-refs.
        ctx.in_document = (envelope, {})

    def decompose_incoming_envelope(self, ctx: Any, message: Any = Soap11.REQUEST) -> None:
        # Spyne reads the first Body's first element as the call, and raised AttributeError
        # (a traceback and a bare 500) for an envelope whose Body is missing, empty or holds a
        # Fault: anyone could fill the logs with those.
        envelope = ctx.in_document[0]
        if envelope.tag == _ENVELOPE:
            body = envelope.find(_BODY)
            if body is None or not len(body) or body[0].tag == _FAULT:
                raise Fault("Client.SoapError", "The SOAP Body holds no call.")
        super().decompose_incoming_envelope(ctx, message)


class QbwcApplication(Application):
    """A spyne Application that carries its own ``QbwcService`` (no globals: tests run many)."""

    def __init__(self, qbwc: QbwcService) -> None:
        super().__init__(
            [QBWebConnectorSvc],
            tns=TNS,
            name=SERVICE_NAME,
            in_protocol=GatedSoap11(validator="lxml"),
            out_protocol=Soap11(),
        )
        self.qbwc = qbwc
        self.event_manager.add_listener("method_call", _drop_parsed_envelope)


def _drop_parsed_envelope(ctx: Any) -> None:
    # By now the arguments are Python strings; a large QuickBooks answer also kept as the
    # tree's text would be held twice while the service stores and reads it.
    for element in (ctx.in_body_doc, ctx.in_document):
        if element is not None:
            element.clear()


def _qbwc(ctx: Any) -> QbwcService:
    app: QbwcApplication = ctx.app
    return app.qbwc


class QBWebConnectorSvc(ServiceBase):
    @rpc(_returns=Str)
    def serverVersion(ctx: Any) -> str:
        return _qbwc(ctx).server_version()

    @rpc(Str, _returns=Str)
    def clientVersion(ctx: Any, strVersion: str | None) -> str:
        return _qbwc(ctx).client_version(strVersion or "")

    @rpc(Str, Str, _returns=ArrayOfString)
    def authenticate(ctx: Any, strUserName: str | None, strPassword: str | None) -> list[str]:
        qbwc = _qbwc(ctx)
        address = qbwc.client_address(ctx.transport.req_env)
        return qbwc.authenticate(strUserName or "", strPassword or "", address)

    @rpc(Str, Str, Str, _returns=Str)
    def connectionError(ctx: Any, ticket: str | None, hresult: str | None,
                        message: str | None) -> str:
        return _qbwc(ctx).connection_error(ticket or "", hresult or "", message or "")

    @rpc(Str, Str, Str, Str, Int, Int, _returns=Str)
    def sendRequestXML(ctx: Any, ticket: str | None, strHCPResponse: str | None,
                       strCompanyFileName: str | None, qbXMLCountry: str | None,
                       qbXMLMajorVers: int, qbXMLMinorVers: int) -> str:
        return _qbwc(ctx).send_request_xml(
            ticket or "", strHCPResponse or "", strCompanyFileName or "", qbXMLCountry or "",
            qbXMLMajorVers, qbXMLMinorVers,
        )

    @rpc(Str, Str, Str, Str, _returns=Int)
    def receiveResponseXML(ctx: Any, ticket: str | None, response: str | None,
                           hresult: str | None, message: str | None) -> int:
        return _qbwc(ctx).receive_response_xml(
            ticket or "", response or "", hresult or "", message or ""
        )

    @rpc(Str, _returns=Str)
    def getLastError(ctx: Any, ticket: str | None) -> str:
        return _qbwc(ctx).get_last_error(ticket or "")

    @rpc(Str, _returns=Str)
    def closeConnection(ctx: Any, ticket: str | None) -> str:
        return _qbwc(ctx).close_connection(ticket or "")


def _soap_action_with_tns(doc: Any) -> None:
    # Spyne writes soapAction="<op>"; Intuit's WSDL (and QBWC) say "http://developer.intuit.com/<op>".
    for op in doc.root_elt.iter(f"{{{WSDL_SOAP}}}operation"):
        action = op.get("soapAction", "")
        if action and not action.startswith(TNS):
            op.set("soapAction", TNS + action)


def soap_wsgi(qbwc: QbwcService, *, max_body_bytes: int, max_call_bytes: int) -> SoapGate:
    """The QBWC endpoint as one WSGI app: the body gate, then spyne."""
    # Spyne runs a full gc.collect() at the end of a request once a second, "to return file
    # descriptors in a timely manner". We open no files in a request, and reference counting
    # closes what spyne opens; the full collection holds the GIL for 50-500 ms over the
    # bridge's heap (SQLAlchemy, lxml, the XSDs), which was most of what a polling bridge
    # spent. Python's own generational collector still runs as usual.
    spyne.const.MIN_GC_INTERVAL = math.inf
    application = QbwcApplication(qbwc)
    spyne_app = WsgiApplication(application, max_content_length=max_body_bytes)
    spyne_app.doc.wsdl11.event_manager.add_listener("wsdl_document_built", _soap_action_with_tns)
    limits = GateLimits(max_body_bytes=max_body_bytes, max_call_bytes=max_call_bytes)
    return SoapGate(spyne_app, limits=limits, guard=qbwc,
                    direct=DirectCalls(application, QBWebConnectorSvc))
