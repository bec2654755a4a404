"""Prefect flow ``zoho-to-qb``: Zoho notifications -> QuickBooks Mods, queued for the next
Web Connector session. One task, one library call, one audit unit; the summary is published
as the markdown artifact ``zoho-to-qb-<company or connection>``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from sqlmodel import col, select

from connector.audit import AuditSummary, get_run
from connector.errors import ConnectorError
from connector.store import AuditRun, Database
from connector.sync.zoho_to_qb import run_zoho_to_qb
from connector.zoho.client import ZohoClient
from connector.zoho.connection import load_connection, open_client
from flows.common import RETRY_DELAYS, App, artifact_key, open_app, retry_only_retriable

__all__ = ["zoho_to_qb", "sync_back_task", "run_published", "RETRY_SECONDS"]

RETRY_SECONDS = [float(d) for d in RETRY_DELAYS]
# (app, client, connection id, flow run id) -> the run's audit summary
Call = Callable[[App, ZohoClient, "int | None", "str | None"], AuditSummary]


def _publish(summary: AuditSummary, prefix: str, name: str) -> dict[str, Any]:
    create_markdown_artifact(summary.markdown(), key=artifact_key(prefix, name),
                             description=f"{summary.flow} audit run {summary.run_id}")
    return {"status": summary.status, "audit_run": summary.run_id, **summary.counts}


def _publish_stopped(db: Database, run_id: str | None, prefix: str, name: str) -> None:
    """Publish the audit of the run that just stopped (found by this flow run's id)."""
    with db.session() as s:
        audit_id = s.exec(select(AuditRun.id).where(AuditRun.external_run_id == run_id)
                          .order_by(col(AuditRun.id).desc())).first() if run_id else None
    if audit_id is not None:
        _publish(get_run(db, audit_id), prefix, name)


def run_published(connection: str, prefix: str, name: str,
                  call: Call) -> tuple[AuditSummary, dict[str, Any]]:
    """Run ``call`` with the connection's client; its audit becomes an artifact either way."""
    app = open_app()
    connection_id = load_connection(app.db, connection).id
    run_id = str(flow_run.id) if flow_run.id else None
    try:
        with open_client(app.settings, app.db, app.secrets, name=connection) as client:
            summary = call(app, client, connection_id, run_id)
    except ConnectorError:
        _publish_stopped(app.db, run_id, prefix, name)
        raise
    return summary, _publish(summary, prefix, name)


@task(retries=len(RETRY_SECONDS), retry_delay_seconds=RETRY_SECONDS,
      retry_condition_fn=retry_only_retriable)
def sync_back_task(connection: str, company: str | None) -> dict[str, Any]:
    def call(app: App, client: ZohoClient, connection_id: int | None,
             run_id: str | None) -> AuditSummary:
        return run_zoho_to_qb(app.db, client, app.settings, company=company,
                              connection_id=connection_id, external_run_id=run_id)

    return run_published(connection, "zoho-to-qb", company or connection, call)[1]


@flow(name="zoho-to-qb", log_prints=False)
def zoho_to_qb(connection: str = "default", company: str | None = None) -> dict[str, Any]:
    """Apply the Zoho edits notified on ``connection``'s channels (one company's, if named)."""
    return sync_back_task(connection, company)
