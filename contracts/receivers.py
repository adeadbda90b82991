"""What contracts does when workflows signals (workflows.signals): the recorded execution of a method that runs over
time creates its contract, and finance's confirmation of the case's remittance confirms the payments its receipt was
booked as; each in that step's own transaction."""

from django.dispatch import receiver

from workflows.signals import case_executed, remittance_confirmed

from .services import contract_create_for_case, receipt_confirm_for_case


@receiver(case_executed, dispatch_uid="contracts.case_executed")
def contract_on_execution(sender, *, case, user=None, **kwargs):
    contract_create_for_case(case=case, user=user)


@receiver(remittance_confirmed, dispatch_uid="contracts.remittance_confirmed")
def contract_on_remittance(sender, *, case, user=None, **kwargs):
    receipt_confirm_for_case(case=case)
