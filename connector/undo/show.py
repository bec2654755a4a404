"""An undo plan as people read it: counts, then a table of its steps (every record it skips,
since those need a person's eyes, and the first of the others)."""

from __future__ import annotations

from connector.undo.plan import UndoPlan, UndoStep

__all__ = ["undo_lines"]

_VERBS = {"delete": "deleted (to Zoho's recycle bin)", "restore": "given their values back",
          "unlink": "unlinked only", "skip": "skipped (changed since the run)"}


def _row(step: UndoStep) -> str:
    qb = " ".join(filter(None, (step.qb_type, step.name or step.qb_id))) or "-"
    zoho = f"{step.zoho_module} {step.zoho_id or ''}".strip()
    return f"  {step.action:<8} {zoho:<30} {qb[:40]:<40} {step.reason}"


def undo_lines(plan: UndoPlan, *, first: int | None = 30,
               rest: str = "--all shows every step") -> list[str]:
    """``first``: how many steps other than skips to show (None: all, 0: the skips only);
    ``rest``: where the others are to be seen."""
    totals = plan.totals()
    counts = ", ".join(f"{totals[a]} {verb}" for a, verb in _VERBS.items() if totals[a])
    lines = [f"undo of run {plan.run_id} ({plan.company}): {counts or 'nothing to undo'}",
             f"Zoho: {plan.zoho_reads} read call(s) made to plan it"]
    if plan.left:
        lines.append("left as the run recorded them: " + ", ".join(
            f"{n} {action}" for action, n in sorted(plan.left.items())))
    skips = plan.of("skip")
    others = [s for s in plan.steps if s.action != "skip"]
    shown = others if first is None else others[:first]
    if skips or shown:
        lines.append(f"  {'action':<8} {'Zoho record':<30} {'QuickBooks record':<40} why")
    lines += [_row(s) for s in skips + shown]
    if len(shown) < len(others):
        lines.append(f"  ... {len(others) - len(shown)} more ({rest})")
    return lines
