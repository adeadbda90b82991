"""Periodic jobs of the workflow; each calls one service."""

from celery import shared_task

from .services import overdue_sweep, window_closed_sweep


@shared_task
def cases_mark_overdue() -> dict:
    """Run by beat every hour: remind the holders of overdue steps, then their heads (DESIGN.md "Time"); and tell a
    unit its asset's 调剂 window has closed."""
    return overdue_sweep() | {"windows_closed": window_closed_sweep()}
