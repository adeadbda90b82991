"""What contracts does when workflows signals (workflows.signals): 销号 of a method that runs over time creates its
contract, in the 销号's own transaction."""

from django.dispatch import receiver

from workflows.signals import case_closed

from .services import contract_create_for_case


@receiver(case_closed, dispatch_uid="contracts.case_closed")
def contract_on_close(sender, *, case, user=None, **kwargs):
    contract_create_for_case(case=case, user=user)
