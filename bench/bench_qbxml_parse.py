"""Parsing a large InvoiceQueryRs: speed next to bare lxml, and memory flat as files grow.

A deterministic InvoiceQueryRs with 100,000 InvoiceLineRet (25,000 invoices x 4 lines) is
written to a temporary file with lxml's incremental writer, plus one four times larger.

* ``qbxml_parse_rate``: invoice lines per second turned into typed ``Invoice`` records by
  ``ResponseStream``, against a bare lxml ``iterparse`` of the same file in the same run (every
  end event, counting lines and freeing each finished invoice, extracting nothing). Best of
  two runs each. Target: at least half the bare rate.
* ``qbxml_parse_rss_growth``: how far RSS rises above its level before parsing (peak minus
  start, with the kernel's high-water mark reset after the imports) while parsing the 4x file,
  against the same for the 1x file, each in a fresh subprocess. Target: at most 1.5x, i.e.
  memory does not grow with the response. (Building the 1x file as one tree would add
  several hundred MB, and four times that for the 4x file.)
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from connector.qbxml import Invoice, ResponseStream

ROOT = Path(__file__).resolve().parent.parent
LINES = 100_000
LINES_PER_INVOICE = 4
SEED = 20260105


def _sub(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text


def _invoice(n: int, rnd: random.Random) -> etree._Element:
    invoice = etree.Element("InvoiceRet")
    for tag, text in (("TxnID", f"{n:X}-1767600000"), ("TimeCreated", "2026-01-05T10:11:12-08:00"),
                      ("TimeModified", "2026-01-06T09:30:00-08:00"),
                      ("EditSequence", str(1767600000 + n)), ("TxnNumber", str(n))):
        _sub(invoice, tag, text)
    customer = etree.SubElement(invoice, "CustomerRef")
    _sub(customer, "ListID", f"8000{n % 997:04X}-1767600000")
    _sub(customer, "FullName", f"Kunde {n % 997} Müller")
    _sub(invoice, "TxnDate", "2026-01-05")
    _sub(invoice, "RefNumber", f"INV-{n:07d}")
    subtotal = Decimal(0)
    lines = []
    for j in range(LINES_PER_INVOICE):
        quantity, rate = rnd.randint(1, 20), Decimal(rnd.randint(100, 99_999)) / 100
        amount = quantity * rate
        subtotal += amount
        line = etree.Element("InvoiceLineRet")
        _sub(line, "TxnLineID", f"{n:X}-{j}")
        item = etree.SubElement(line, "ItemRef")
        _sub(item, "ListID", f"{j + 1:X}0000-1767600000")
        _sub(item, "FullName", f"Item {j + 1}")
        for tag, text in (("Desc", f"Line {j} of invoice {n}"), ("Quantity", str(quantity)),
                          ("Rate", str(rate)), ("Amount", f"{amount:.2f}")):
            _sub(line, tag, text)
        tax = etree.SubElement(line, "SalesTaxCodeRef")
        _sub(tax, "FullName", "Tax")
        lines.append(line)
    for tag, text in (("Subtotal", f"{subtotal:.2f}"), ("SalesTaxPercentage", "7.25"),
                      ("SalesTaxTotal", f"{subtotal * Decimal('0.0725'):.2f}"),
                      ("BalanceRemaining", f"{subtotal:.2f}"), ("IsPaid", "false")):
        _sub(invoice, tag, text)
    invoice.extend(lines)
    return invoice


def write_response(path: Path, lines: int) -> None:
    """A deterministic InvoiceQueryRs holding ``lines`` InvoiceLineRet."""
    rnd = random.Random(SEED)
    attrs = {"requestID": "bench-1", "statusCode": "0", "statusSeverity": "Info",
             "statusMessage": "Status OK", "iteratorRemainingCount": "0",
             "iteratorID": "{00000000-0000-0000-0000-000000000000}"}
    with etree.xmlfile(str(path), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("QBXML"), xf.element("QBXMLMsgsRs"), xf.element("InvoiceQueryRs", attrs):
            for n in range(lines // LINES_PER_INVOICE):
                xf.write(_invoice(n, rnd))


def bare_iterparse(path: Path) -> int:
    lines = 0
    for _, element in etree.iterparse(str(path), events=("end",), resolve_entities=False,
                                      no_network=True, load_dtd=False):
        tag = element.tag
        if tag == "InvoiceLineRet":
            lines += 1
        elif tag == "InvoiceRet":
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    return lines


def our_parser(path: Path) -> int:
    lines = 0
    for record in ResponseStream(path):
        assert isinstance(record, Invoice)
        lines += len(record.lines)
    return lines


def _best_rate(parse: Any, path: Path, runs: int = 2) -> float:
    best = 0.0
    for _ in range(runs):
        start = time.perf_counter()
        lines = parse(path)
        elapsed = time.perf_counter() - start
        if lines != LINES:
            raise RuntimeError(f"{parse.__name__} counted {lines} lines, expected {LINES}")
        best = max(best, lines / elapsed)
    return best


def _peak_rss_mb(path: Path) -> dict[str, float]:
    """Peak RSS of parsing ``path`` in a fresh interpreter, and its growth while parsing."""
    out = subprocess.run([sys.executable, "-m", "bench.bench_qbxml_parse", "--rss", str(path)],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1])


def _child_rss(path: Path) -> None:
    """Peak RSS while parsing, after resetting the high-water mark left by the imports."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # Linux: reset VmHWM to the current RSS
        before = _status_kb("VmRSS")
        lines = our_parser(path)
        peak = _status_kb("VmHWM")
    except OSError:  # not Linux: the lifetime peak is the best there is (ru_maxrss is KB)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        lines = our_parser(path)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"lines": lines, "peak_mb": peak / 1024, "growth_mb": (peak - before) / 1024}))


def _ratio(value: float, reference: float) -> float:
    if reference > 0:
        return value / reference
    return 1.0 if value <= 0 else float("inf")


def run() -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="mlc-bench-qbxml-") as tmp:
        small, large = Path(tmp) / "invoices-1x.xml", Path(tmp) / "invoices-4x.xml"
        write_response(small, LINES)
        write_response(large, 4 * LINES)
        bare = _best_rate(bare_iterparse, small)
        ours = _best_rate(our_parser, small)
        one, four = _peak_rss_mb(small), _peak_rss_mb(large)
        size_mb = small.stat().st_size / 2**20
    return [
        {"name": "qbxml_parse_rate", "value": ours, "unit": "lines/s", "reference": bare,
         "ratio": ours / bare, "target": ">= 0.5",
         "detail": f"{LINES} InvoiceLineRet, {size_mb:.1f} MB; reference = bare lxml iterparse"},
        {"name": "qbxml_parse_rss_growth", "value": four["growth_mb"], "unit": "MB",
         "reference": one["growth_mb"], "ratio": _ratio(four["growth_mb"], one["growth_mb"]),
         "target": "<= 1.5",
         "detail": f"parsing {4 * LINES} vs {LINES} lines; peak RSS {four['peak_mb']:.1f} MB "
                   f"vs {one['peak_mb']:.1f} MB"},
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--rss"]:
        _child_rss(Path(sys.argv[2]))
    else:
        for entry in run():
            print(entry)
