"""Periodic jobs of the contracts; each calls one service."""

from celery import shared_task

from .reminders import rent_reminders_sweep


@shared_task
def rent_reminders() -> dict:
    """Run by beat every hour: rent falling due and rent in arrears, each notice once (contracts.reminders)."""
    return rent_reminders_sweep()
