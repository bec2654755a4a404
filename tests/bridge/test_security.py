"""The HTTP/SOAP boundary: size caps, hostile XML, malformed SOAP, and what reaches the logs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import psutil
import pytest
from flask import Flask

from connector.config import Settings
from connector.store import Database
from soap_bridge.app import create_app
from soap_bridge.gate import BodyRefusedError, read_capped
from tests.bridge.conftest import COMPANY_FILE, PASSWORD, USER, LiveServer, Post, StepClock

SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": '"http://developer.intuit.com/authenticate"'}

AUTHENTICATE = """<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body><authenticate xmlns="http://developer.intuit.com/">
    <strUserName>{user}</strUserName><strPassword>{password}</strPassword>
  </authenticate></soap:Body>
</soap:Envelope>"""

XXE = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE soap:Envelope [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body><authenticate xmlns="http://developer.intuit.com/">
    <strUserName>&xxe;</strUserName><strPassword>x</strPassword>
  </authenticate></soap:Body>
</soap:Envelope>"""

LAUGHS = "\n".join(
    ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", '<!ENTITY lol "lol">']
    + [
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    ]
    + [
        "]>",
        (
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            '<authenticate xmlns="http://developer.intuit.com/"><strUserName>&lol9;</strUserName>'
            "</authenticate></soap:Body></soap:Envelope>"
        ),
    ]
)


def _fault(reply: httpx.Response) -> str:
    assert reply.headers["content-type"].startswith("text/xml")
    assert b"<faultcode>" in reply.content and b"Traceback" not in reply.content
    return reply.text


@pytest.fixture
def small_app(settings: Settings, db: Database, clock: StepClock) -> Flask:
    settings.max_body_bytes = 4096
    return create_app(settings, db=db, clock=clock)


@pytest.fixture
def small_live(small_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(small_app)
    yield server
    server.stop()


def test_body_over_the_cap_is_refused_with_413_before_parsing(small_live: LiveServer) -> None:
    body = AUTHENTICATE.format(user=USER, password="x" * 5000).encode()
    reply = httpx.post(small_live.qbwc_url, content=body, headers=SOAP_HEADERS)
    assert reply.status_code == 413
    assert "exceeds the 4096-byte cap" in _fault(reply)


def test_chunked_body_over_the_cap_is_refused_with_413(small_live: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        for _ in range(100):
            yield b"<!-- padding -->" * 8

    reply = httpx.post(small_live.qbwc_url, content=chunks(), headers=SOAP_HEADERS)
    assert reply.status_code == 413
    assert "exceeds the 4096-byte cap" in _fault(reply)


class _CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        block = super().read(size)
        self.consumed += len(block)
        return block


def test_unsized_body_is_read_no_further_than_one_byte_past_the_cap() -> None:
    # Chunked bodies reach WSGI without Content-Length and with wsgi.input_terminated set.
    stream = _CountingStream(b"x" * 1_000_000)
    with pytest.raises(BodyRefusedError, match="exceeds the 4096-byte cap"):
        read_capped({"wsgi.input": stream, "wsgi.input_terminated": True}, 4096)
    assert stream.consumed == 4097
    assert (
        read_capped({"wsgi.input": io.BytesIO(b"<a/>"), "wsgi.input_terminated": True}, 4096)
        == b"<a/>"
    )
    assert read_capped({"wsgi.input": io.BytesIO(b"<a/>")}, 4096) == b"", (
        "no length, no terminator: no body"
    )


def test_chunked_body_under_the_cap_is_served(small_live: LiveServer, company: object) -> None:
    body = AUTHENTICATE.format(user=USER, password="wrong").encode()
    reply = httpx.post(
        small_live.qbwc_url, content=iter([body[:100], body[100:]]), headers=SOAP_HEADERS
    )
    assert reply.status_code == 200 and "<tns:string>nvu</tns:string>" in reply.text


def test_xxe_body_is_refused_and_never_reads_the_file(
    post_soap: Post, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = post_soap(XXE.encode(), headers=SOAP_HEADERS)
    assert reply.status_code == 500
    text = _fault(reply)
    assert "DOCTYPE" in text and "root:" not in text
    assert "root:" not in caplog.text


def test_billion_laughs_is_refused_fast_with_bounded_memory(inprocess_http: httpx.Client) -> None:
    rss_before = psutil.Process().memory_info().rss
    reply = inprocess_http.post("/qbwc", content=LAUGHS.encode(), headers=SOAP_HEADERS)
    grown = psutil.Process().memory_info().rss - rss_before
    assert reply.status_code == 500 and "DOCTYPE" in _fault(reply)
    # Expanded, &lol9; is 10^9 characters; refusing it must not even approach that.
    assert grown < 50 * 1024 * 1024


@pytest.mark.parametrize(
    "body, code, reason",
    [
        ("this is not xml", "Client.XmlRefused", "malformed XML"),
        (
            (
                '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                "<soap:Body><authenticate>"
            ),
            "Client.XmlRefused",
            "malformed XML",
        ),
        ('<?xml version="1.0"?><notsoap/>', "Client", "Envelope"),
        (
            (
                '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                '<soap:Body><launchMissiles xmlns="http://developer.intuit.com/"/></soap:Body></soap:Envelope>'
            ),
            "Client.SchemaValidationError",
            "launchMissiles",
        ),
        (
            (
                '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
                '<soap:Body><sendRequestXML xmlns="http://developer.intuit.com/"><ticket>t</ticket>'
                "<qbXMLMajorVers>thirteen</qbXMLMajorVers><qbXMLMinorVers>0</qbXMLMinorVers>"
                "</sendRequestXML></soap:Body></soap:Envelope>"
            ),
            "Client.SchemaValidationError",
            "qbXMLMajorVers",
        ),
    ],
)
def test_malformed_or_wrong_soap_gets_a_clear_fault_not_a_stack_trace(
    inprocess_http: httpx.Client, body: str, code: str, reason: str
) -> None:
    reply = inprocess_http.post("/qbwc", content=body.encode(), headers=SOAP_HEADERS)
    assert reply.status_code == 500
    assert f"<faultcode>soap11env:{code}" in _fault(reply) and reason in reply.text


def test_passwords_and_full_tickets_never_reach_the_logs(
    inprocess_http: httpx.Client, company: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = inprocess_http.post("/qbwc", headers=SOAP_HEADERS,
                               content=AUTHENTICATE.format(user=USER, password=PASSWORD).encode())
    ticket = good.text.split("<tns:string>")[1].split("</tns:string>")[0]
    assert len(ticket) >= 22
    inprocess_http.post("/qbwc", headers=SOAP_HEADERS,
                        content=AUTHENTICATE.format(user=USER, password="hunter2-wrong").encode())
    # A truncated body with a password in it: spyne would log such a body verbatim.
    truncated = AUTHENTICATE.format(user=USER, password="s3cret-in-broken-xml")[:-40]
    inprocess_http.post("/qbwc", headers=SOAP_HEADERS, content=truncated.encode())
    for secret in (PASSWORD, "hunter2-wrong", "s3cret-in-broken-xml", ticket):
        assert secret not in caplog.text



def test_an_internal_failure_answers_a_server_fault_without_details(
    settings: Settings, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    tableless = Database(f"sqlite:///{tmp_path}/no-tables.db")
    app = create_app(settings, db=tableless)
    with httpx.Client(
        transport=httpx.WSGITransport(app=app), base_url="http://bridge.test"
    ) as http:
        reply = http.post("/qbwc", headers=SOAP_HEADERS,
                          content=AUTHENTICATE.format(user=USER, password=PASSWORD).encode())
    assert reply.status_code == 500
    fault = _fault(reply)
    assert (
        "<faultcode>soap11env:Server</faultcode>" in fault
        and "<faultstring>Internal Error<" in fault
    )
    assert "mlc_company" not in fault and PASSWORD not in caplog.text


def _authenticate(post: Post, password: str, forwarded_for: str | None = None) -> str:
    headers = dict(SOAP_HEADERS)
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    reply = post(AUTHENTICATE.format(user=USER, password=password).encode(), headers=headers)
    assert reply.status_code == 200
    return reply.text.split("<tns:string>")[2].split("</tns:string>")[0]


def test_a_forged_forwarding_header_does_not_dodge_the_login_throttle(
        post_soap: Post, company: object, clock: StepClock, settings: Settings) -> None:
    for i in range(settings.login_max_failures):
        assert _authenticate(post_soap, "wrong", forwarded_for=f"198.51.100.{i}") == "nvu"
    # Every guess came from the same peer: the next try from it waits, whatever it claims.
    assert _authenticate(post_soap, PASSWORD, forwarded_for="198.51.100.200") == "nvu"
    clock.advance(seconds=settings.login_first_delay_seconds)
    assert _authenticate(post_soap, PASSWORD, forwarded_for="198.51.100.201") != "nvu"


@pytest.fixture
def proxied_http(settings: Settings, db: Database, clock: StepClock) -> Iterator[httpx.Client]:
    """The bridge behind a reverse proxy on loopback that reports clients in X-Forwarded-For."""
    settings.trusted_proxy_header = "X-Forwarded-For"
    app = create_app(settings, db=db, clock=clock)
    with httpx.Client(transport=httpx.WSGITransport(app=app),
                      base_url="http://bridge.test") as client:
        yield client


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(
        proxied_http: httpx.Client, company: object, settings: Settings) -> None:
    def post(body: bytes, **kw: object) -> httpx.Response:
        return proxied_http.post("/qbwc", content=body, **kw)  # type: ignore[arg-type]

    for _ in range(settings.login_max_failures + 5):
        assert _authenticate(post, "wrong", forwarded_for="10.1.1.1, 203.0.113.66") == "nvu"
    assert _authenticate(post, PASSWORD, forwarded_for="203.0.113.66") == "nvu"
    assert _authenticate(post, PASSWORD, forwarded_for="192.0.2.10") == COMPANY_FILE

