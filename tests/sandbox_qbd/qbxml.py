"""Writing qbXML requests as text (as a test reads best) and reading answers, validated.

Every answer read through ``ask`` is checked against the qbXML 13.0 schema, so each test that
talks to the simulator also proves the Ret writers keep schema order.
"""

from __future__ import annotations

from lxml import etree

from connector.qbxml.schema import validate
from connector.sandbox.qbd import QuickBooksSimulator


def document(*requests: str, on_error: str = "stopOnError") -> str:
    body = "".join(requests)
    return (f'<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?>'
            f'<QBXML><QBXMLMsgsRq onError="{on_error}">{body}</QBXMLMsgsRq></QBXML>')


def read(response: str) -> list[etree._Element]:
    """The Rs elements of a response document, after validating it against the XSD."""
    assert response.startswith('<?xml version="1.0" ?>')
    root = etree.fromstring(response.encode("utf-8"))
    validate(root)
    return list(root.find("QBXMLMsgsRs"))


def ask(
    qb: QuickBooksSimulator, *requests: str, on_error: str = "stopOnError"
) -> list[etree._Element]:
    return read(qb.handle(document(*requests, on_error=on_error)))


def ask_one(qb: QuickBooksSimulator, request: str) -> etree._Element:
    (reply,) = ask(qb, request)
    return reply


def status(reply: etree._Element) -> int:
    return int(reply.get("statusCode", "-1"))


def names(reply: etree._Element) -> list[str]:
    return [ret.findtext("FullName") or "" for ret in reply]
