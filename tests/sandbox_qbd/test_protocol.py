"""What QuickBooks' request processor refuses outright, and how text travels through it."""

from __future__ import annotations

import pytest
from lxml import etree

from connector.sandbox.qbd import (
    PARSE_ERROR_HRESULT,
    PARSE_ERROR_MESSAGE,
    QbxmlRequestRejected,
    QuickBooksHResultError,
)
from tests.sandbox_qbd.qbxml import ask_one, document, read, status


def test_request_out_of_schema_order_is_rejected_with_quickbooks_parse_error(qb):
    out_of_order = document(
        "<CustomerQueryRq><ActiveStatus>All</ActiveStatus><MaxReturned>5</MaxReturned>"
        "</CustomerQueryRq>"
    )
    with pytest.raises(QbxmlRequestRejected) as rejected:
        qb.handle(out_of_order)
    assert isinstance(rejected.value, QuickBooksHResultError)
    assert (rejected.value.hresult, rejected.value.message) == (
        PARSE_ERROR_HRESULT,
        PARSE_ERROR_MESSAGE,
    )
    assert rejected.value.hresult == "0x80040400"
    assert "MaxReturned" in rejected.value.detail


def test_the_same_request_in_schema_order_is_answered(qb):
    reply = ask_one(
        qb,
        "<CustomerQueryRq><MaxReturned>5</MaxReturned><ActiveStatus>All</ActiveStatus>"
        "</CustomerQueryRq>",
    )
    assert status(reply) == 1


def test_one_bad_request_rejects_the_whole_document_and_changes_nothing(qb):
    request = document(
        "<CustomerAddRq><CustomerAdd><Name>Good</Name></CustomerAdd></CustomerAddRq>",
        "<CustomerAddRq><CustomerAdd><Email>x@y.z</Email><Name>Bad</Name></CustomerAdd>"
        "</CustomerAddRq>",
    )
    with pytest.raises(QbxmlRequestRejected):
        qb.handle(request)
    assert qb.company.find("Customer", "Good") is None


@pytest.mark.parametrize("broken", [
    "<QBXML><QBXMLMsgsRq onError='stopOnError'><HostQueryRq/></QBXMLMsgsRq>",
    "<QBXML><QBXMLMsgsRq onError='stopOnError'><HostQueryRq/></QBXMLMsgsRq></QBXML>",
    document("<HostQueryRq/>", on_error="explode"),
    document("<CustomerQueryRq><MaxReturned>many</MaxReturned></CustomerQueryRq>"),
    document("<NoSuchRq/>"),
    '<?qbxml version="13.0"?><!DOCTYPE QBXML [<!ENTITY x "y">]><QBXML/>',
], ids=["not well-formed", "no qbxml version", "bad onError", "bad type", "unknown request", "dtd"])
def test_documents_quickbooks_cannot_parse_are_rejected(qb, broken):
    with pytest.raises(QbxmlRequestRejected):
        qb.handle(broken)


def test_characters_outside_latin1_arrive_as_references_are_stored_and_go_back_as_references(qb):
    reply = ask_one(
        qb,
        "<CustomerAddRq><CustomerAdd><Name>&#321;&#243;d&#378; Dvo&#345;&#225;k</Name>"
        "<BillAddress><City>K&#248;benhavn</City></BillAddress></CustomerAdd></CustomerAddRq>",
    )
    assert reply[0].findtext("Name") == "Łódź Dvořák"
    stored = qb.company.find("Customer", "Łódź Dvořák")
    assert stored is not None and stored.fields["BillAddress"]["City"] == "København"
    raw = qb.handle(document("<CustomerQueryRq/>"))
    assert "<Name>&#321;ód&#378; Dvo&#345;ák</Name>" in raw
    assert "<City>København</City>" in raw


def test_requests_in_utf8_bytes_and_in_strings_with_a_declaration_read_the_same(qb):
    text = document("<CustomerAddRq><CustomerAdd><Name>Zoë</Name></CustomerAdd></CustomerAddRq>")
    assert status(read(qb.handle(text))[0]) == 0
    again = text.replace("Zoë", "Chloé").encode("utf-8")
    assert status(read(qb.handle(again))[0]) == 0
    latin = text.replace("utf-8", "ISO-8859-1").replace("Zoë", "Zoé 2").encode("latin-1")
    assert status(read(qb.handle(latin))[0]) == 0
    assert {r.name for r in qb.company.records.values() if r.kind == "Customer"} == {
        "Zoë",
        "Chloé",
        "Zoé 2",
    }


def test_response_is_a_qbxml_document_without_encoding_declaration(qb):
    raw = qb.handle(document('<HostQueryRq requestID="h"/>'))
    assert raw.startswith('<?xml version="1.0" ?>\n<QBXML>')
    root = etree.fromstring(raw.encode("utf-8"))
    assert root.find("QBXMLMsgsRs/HostQueryRs").get("requestID") == "h"


def test_counters_count_documents_and_requests(qb):
    qb.handle(document("<HostQueryRq/>", "<CustomerQueryRq/>"))
    with pytest.raises(QbxmlRequestRejected):
        qb.handle("<garbage")
    assert qb.requests_handled == 2
    assert qb.requests_by_type == {"HostQueryRq": 1, "CustomerQueryRq": 1}
