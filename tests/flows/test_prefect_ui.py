"""The Prefect UI, looked at in a real browser: what the data team sees of a sync cycle.

A real ``prefect server start`` with its dashboard, a Web Connector session through the real
bridge into the store, and a ``qb-to-zoho`` flow run in its own process against that server;
then headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) opens the flow
run's page and must show the run, the connector's own log lines and the audit artifact with
its records table. ``make test-ui`` keeps screenshots of both in ``docs/`` for the README.

Skipped, saying why, where there is no ``/usr/bin/chromium`` (``make test-ui`` installs it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.qbwc import add_company
from connector.sandbox.qbd import QuickBooksSimulator, seed_company
from connector.sandbox.webconnector import WebConnector
from tests.flows.prefect_server import (
    ROOT,
    Server,
    clean_env,
    served_zoho_org,
    start_bridge,
    start_server,
)

CHROMIUM = Path("/usr/bin/chromium")
QBW = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Dashboard Ltd.qbw"
USER, PASSWORD = "dashboard", "dashboard-web-connector-pw"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="no /usr/bin/chromium: `make test-ui` installs it (Debian's "
                              "chromium) and runs this test"),
]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with start_server(tmp_path_factory.mktemp("prefect-ui-home"), ui=True) as server:
        yield server


def _flow_run(server: Server) -> dict[str, Any]:
    runs = server.api("POST", "/flow_runs/filter",
                      {"flows": {"name": {"any_": ["qb-to-zoho"]}}, "limit": 5})
    assert len(runs) == 1, runs
    return dict(runs[0])


def test_the_dashboard_shows_the_run_its_connector_logs_and_the_audit_artifact(
        dashboard: Server, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with served_zoho_org(tmp_path, f"sqlite:///{(tmp_path / 'mlc.db').as_posix()}") as org, \
            start_bridge(tmp_path, org.env | {"MLC_MIN_POLL_SECONDS": "0"}) as bridge:
        qb = QuickBooksSimulator(QBW, company_name="Dashboard Ltd")
        seed_company(qb, customers=6, invoices=3, lines_per_invoice=2, seed=11)
        add_company(org.db, "Dashboard Ltd", USER, PASSWORD, company_file=QBW)
        with WebConnector(bridge.qbwc_url, USER, PASSWORD, qb) as wc:
            assert wc.run_session().last_error is None
        customer = next(c.name for c in qb.company.listed("Customer") if c.parent_id is None)
        # The flow run in its own process, reporting to the dashboard's server.
        done = subprocess.run(
            [sys.executable, "-c",
             ("import asyncio; from flows.qb_to_zoho import qb_to_zoho; "
              "asyncio.run(qb_to_zoho('Dashboard Ltd'))")],
            cwd=ROOT, env=clean_env() | org.env | {
                "PYTHONPATH": str(ROOT), "PREFECT_API_URL": dashboard.api_url,
                "PREFECT_HOME": str(tmp_path / "client-home")},
            capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = _flow_run(dashboard)
    # `make test-ui` keeps the screenshots for the README (docs/); other runs leave them here.
    screenshots = Path(os.environ.get("MLC_UI_SCREENSHOTS_DIR") or tmp_path)
    assert run["state_type"] == "COMPLETED", run
    base = dashboard.api_url.removesuffix("/api")

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/runs/flow-run/{run['id']}", wait_until="networkidle")
            expect = sync_api.expect
            expect(page.get_by_text(run["name"]).first).to_be_visible(timeout=30_000)
            expect(page.get_by_text("Completed").first).to_be_visible()
            # The Logs tab: the connector's own lines (logger names and all), forwarded into
            # the flow run's logs.
            expect(page.get_by_text("Dashboard Ltd: completed (").first).to_be_visible(
                timeout=30_000)
            expect(page.get_by_text("connector.runs.exclusive").first).to_be_visible()
            screenshots.mkdir(exist_ok=True)
            page.screenshot(path=str(screenshots / "prefect-ui-logs.png"))
            # The Artifacts tab: the audit unit, counts and the records table.
            page.get_by_text("Artifacts", exact=True).first.click()
            page.get_by_text("qb-to-zoho-", exact=False).first.click()
            expect(page.get_by_text("QuickBooks record").first).to_be_visible(timeout=30_000)
            expect(page.get_by_text(customer, exact=False).first).to_be_visible()
            expect(page.get_by_text("completed", exact=False).first).to_be_visible()
            page.screenshot(path=str(screenshots / "prefect-ui-artifact.png"))
        finally:
            browser.close()
