"""Our WSDL against Intuit's: QBWC is strict about operation names, elements, order and types."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import zeep
from lxml import etree

from connector.qbwc.service import UNKNOWN_TICKET
from tests.bridge.conftest import USER, LiveServer
from tests.conftest import FIXTURES

INTUIT_WSDL = FIXTURES / "wsdl" / "QBWebConnectorSvc.wsdl"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"
NS = {"wsdl": WSDL, "soap": WSDL_SOAP, "xs": XS}
OPERATIONS = {"serverVersion", "clientVersion", "authenticate", "connectionError",
              "sendRequestXML", "receiveResponseXML", "getLastError", "closeConnection"}

Field = tuple[str, str, str, str, str]  # name, type, minOccurs, maxOccurs, nillable


class WsdlShape:
    """A WSDL reduced to what reaches the wire, whatever way the schema is written."""

    def __init__(self, doc: etree._Element) -> None:
        self.doc = doc
        self.tns = doc.get("targetNamespace")
        self.schema = doc.find("wsdl:types/xs:schema", NS)
        assert self.schema is not None

    def _qname_local(self, node: etree._Element, value: str) -> str:
        prefix, _, local = value.rpartition(":")
        namespace = node.nsmap.get(prefix or None)
        kind = "xs" if namespace == XS else "tns" if namespace == self.tns else namespace
        return f"{kind}:{local}"

    def _complex_type(self, element: etree._Element) -> etree._Element | None:
        inline = element.find("xs:complexType", NS)
        if inline is not None or element.get("type") is None:
            return inline
        local = element.get("type", "").rpartition(":")[2]
        return self.schema.find(f"xs:complexType[@name='{local}']", NS)  # type: ignore[union-attr]

    def fields(self, complex_type: etree._Element | None) -> list[Field]:
        if complex_type is None:
            return []
        return [
            (
                el.get("name", ""),
                self._qname_local(el, el.get("type", "")),
                el.get("minOccurs", "1"),
                el.get("maxOccurs", "1"),
                el.get("nillable", "false"),
            )
            for el in complex_type.iterfind("xs:sequence/xs:element", NS)
        ]

    def element_fields(self, name: str) -> list[Field]:
        element = self.schema.find(f"xs:element[@name='{name}']", NS)  # type: ignore[union-attr]
        assert element is not None, f"no global element {name}"
        return self.fields(self._complex_type(element))

    def type_fields(self, name: str) -> list[Field]:
        return self.fields(self.schema.find(f"xs:complexType[@name='{name}']", NS))  # type: ignore[union-attr]

    def _message_element(self, message_ref: str) -> str:
        message = self.doc.find(f"wsdl:message[@name='{message_ref.rpartition(':')[2]}']", NS)
        assert message is not None
        parts = message.findall("wsdl:part", NS)
        assert len(parts) == 1, "document/literal wraps each message in exactly one part"
        return parts[0].get("element", "").rpartition(":")[2]

    def operations(self) -> dict[str, tuple[str, str]]:
        """operation -> (input element, output element)."""
        out = {}
        for op in self.doc.iterfind("wsdl:portType/wsdl:operation", NS):
            out[op.get("name", "")] = (
                self._message_element(op.find("wsdl:input", NS).get("message", "")),  # type: ignore[union-attr]
                self._message_element(op.find("wsdl:output", NS).get("message", "")),  # type: ignore[union-attr]
            )
        return out

    def soap11_actions(self) -> dict[str, str]:
        binding = next(b for b in self.doc.iterfind("wsdl:binding", NS)
                       if b.find("soap:binding", NS) is not None)
        return {op.get("name", ""): op.find("soap:operation", NS).get("soapAction", "")  # type: ignore[union-attr]
                for op in binding.iterfind("wsdl:operation", NS)}


def _ours(live: LiveServer) -> WsdlShape:
    reply = httpx.get(live.qbwc_url + "?wsdl")
    assert reply.status_code == 200
    return WsdlShape(etree.fromstring(reply.content))


def _intuit() -> WsdlShape:
    return WsdlShape(etree.parse(str(INTUIT_WSDL)).getroot())


def test_wsdl_has_intuits_target_namespace_and_eight_operations(live: LiveServer) -> None:
    ours, intuit = _ours(live), _intuit()
    assert ours.tns == intuit.tns == "http://developer.intuit.com/"
    assert set(ours.operations()) == set(intuit.operations()) == OPERATIONS


def test_wsdl_messages_match_intuits_elements_order_and_types(live: LiveServer) -> None:
    ours, intuit = _ours(live), _intuit()
    assert ours.operations() == intuit.operations()
    for op, (request, response) in intuit.operations().items():
        assert ours.element_fields(request) == intuit.element_fields(request), op
        assert ours.element_fields(response) == intuit.element_fields(response), op


def test_authenticate_returns_intuits_array_of_string(live: LiveServer) -> None:
    ours, intuit = _ours(live), _intuit()
    assert ours.element_fields("authenticateResponse") == [
        ("authenticateResult", "tns:ArrayOfString", "0", "1", "false")]
    assert ours.type_fields("ArrayOfString") == intuit.type_fields("ArrayOfString") == [
        ("string", "xs:string", "0", "unbounded", "true")]


def test_soap_actions_carry_the_intuit_namespace(live: LiveServer) -> None:
    assert _ours(live).soap11_actions() == _intuit().soap11_actions() == {
        op: f"http://developer.intuit.com/{op}" for op in OPERATIONS}


@pytest.fixture
def zeep_client(live: LiveServer) -> Iterator[zeep.Client]:
    client = zeep.Client(live.qbwc_url + "?wsdl")
    yield client
    client.transport.session.close()


def test_zeep_reads_our_wsdl_and_calls_it(
    live: LiveServer, zeep_client: zeep.Client, company: object
) -> None:
    client = zeep_client
    service = client.create_service(
        "{http://developer.intuit.com/}QBWebConnectorSvc", live.qbwc_url)
    assert service.serverVersion().startswith("ml-connector")
    assert service.clientVersion(strVersion="2.3.0.215") in ("", None)
    answer = service.authenticate(strUserName=USER, strPassword="wrong")
    assert [text or "" for text in answer] == ["", "nvu", "", ""]
    assert service.receiveResponseXML(ticket="nope", response="", hresult="", message="") == -1
    assert service.getLastError(ticket="nope") == UNKNOWN_TICKET


def test_zeep_reads_intuits_wsdl_with_the_same_signatures(zeep_client: zeep.Client) -> None:
    def signatures(client: zeep.Client) -> dict[str, str]:
        service = next(iter(client.wsdl.services.values()))
        port = next(iter(service.ports.values()))
        return {name: op.input.signature() + " -> " + op.output.signature()
                for name, op in port.binding._operations.items()}

    ours = signatures(zeep_client)
    intuit = signatures(zeep.Client(str(INTUIT_WSDL)))
    assert ours == intuit
