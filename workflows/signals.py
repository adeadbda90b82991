"""The signals workflows sends for the rooms above it, which it never imports (the layers: contracts -> workflows)."""

from django.dispatch import Signal

# 销号 of a case, sent inside its transaction (a receiver's failure undoes the 销号): `case` is the closed case. The
# `contracts` app listens, and creates the contract of a method that runs over time (Method.contract).
case_closed = Signal()
