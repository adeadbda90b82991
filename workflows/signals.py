"""The signals workflows sends for the rooms above it, which it never imports (the layers: contracts -> workflows)."""

from django.dispatch import Signal

# The execution of a case recorded in full (its state now 已执行，待销号), sent inside that step's transaction (a
# receiver's failure undoes the step): `case` is the executed case, `user` who recorded it. The `contracts` app
# listens, and creates the contract of a method that runs over time (Method.contract), so its schedule, payments and
# arrears run from the execution on, before 销号 (issue 14 §1).
case_executed = Signal()

# Finance confirmed the case's proceeds reached the treasury (财政确认收入上缴), inside that step's transaction: the
# `contracts` app confirms the payments the execution's receipt was booked as on the contract's schedule, with the
# same person, moment and receipt, so the rent ledger's 上缴 and the case's agree.
remittance_confirmed = Signal()
