"""The one way a run starts and ends: take the lease, open the audit unit, do the work, and
always close both. A held lease makes the run end as ``skipped``, naming the holder; any
exception ends it ``failed`` with the error's type and message, or ``waiting`` when it says a
person must act first."""

from __future__ import annotations

import logging
from collections.abc import Callable

from connector.audit import (
    AuditRecorder,
    audited,
    close_abandoned,
    describe_error,
    record_skipped,
)
from connector.errors import WaitsForPerson
from connector.runs.env import RunEnv, UseCase
from connector.runs.heap import quiet_gc
from connector.runs.leases import LeaseKeeper, acquire, live_holders, new_holder, process_info
from connector.runs.result import RunResult

__all__ = ["Body", "run_exclusive", "lease_key"]

log = logging.getLogger(__name__)

# The work of a run: it records into the audit and may call ``check`` between steps, which
# raises once the lease was lost.
Body = Callable[[AuditRecorder, Callable[[], None]], None]


def lease_key(use_case: UseCase, scope: str) -> str:
    return f"{use_case.lane}:{scope}"


def run_exclusive(env: RunEnv, use_case: UseCase, *, scope: str, target: str,
                  company_id: int | None, body: Body) -> RunResult:
    """Run ``body`` as one audited unit while holding the lease of (use case, scope)."""
    key, holder = lease_key(use_case, scope), new_holder()
    held = acquire(env.db, key, holder, info=process_info(env.origin), ttl=env.lease_ttl,
                   wait=env.lease_wait, clock=env.clock)
    if held is None:
        # After taking the lease: one taken from a holder whose process is gone closes its run.
        now = env.clock()
        for run_id in close_abandoned(env.db, live_holders(env.db, now), now):
            log.warning("audit run %s was abandoned by a process that stopped; closed it",
                        run_id)
    else:
        reason = f"{target} is busy: {use_case.lane} {held.describe()}"
        log.info("%s %s skipped: %s", use_case, target, reason)
        summary = record_skipped(env.db, flow=use_case, direction=use_case.direction,
                                 company_id=company_id, reason=reason,
                                 external_run_id=env.run_id, attempt=env.attempt,
                                 clock=env.clock)
        return RunResult(use_case, target, summary)
    error: BaseException | None = None
    audit: AuditRecorder | None = None
    with LeaseKeeper(env.db, key, holder, env.lease_ttl, env.clock) as keeper:

        def check() -> None:
            keeper.check()
            env.interrupt()

        try:
            with audited(env.db, flow=use_case, direction=use_case.direction,
                         company_id=company_id, external_run_id=env.run_id, holder=holder,
                         attempt=env.attempt, clock=env.clock) as audit, quiet_gc():
                body(audit, check)
        except Exception as exc:
            if audit is None:  # not even the audit row could be written
                raise
            level = logging.WARNING if isinstance(exc, WaitsForPerson) else logging.ERROR
            log.log(level, "%s %s stopped: %s", use_case, target, describe_error(exc))
            error = exc
    if audit is None or audit.summary is None:
        raise RuntimeError(f"{use_case} {target}: the audit run did not end")
    result = RunResult(use_case, target, audit.summary, error)
    log.info("%s", result.message)
    return result
