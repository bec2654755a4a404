"""Undo a QuickBooks -> Zoho run from its audit: ``plan_undo`` says what would be done (writing
nothing), ``apply_undo`` does it as an audited run of its own."""

from connector.undo.apply import apply_undo, mark_undo
from connector.undo.plan import UndoPlan, UndoRefused, UndoStep, plan_undo, undoable
from connector.undo.show import undo_lines

__all__ = ["UndoPlan", "UndoRefused", "UndoStep", "apply_undo", "mark_undo", "plan_undo",
           "undoable", "undo_lines"]
