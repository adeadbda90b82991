"""Logins and failed logins are on the chained trail, with the address they came from and never a password."""

import pytest

from audit.chain import audit_chain_verify
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_login_and_a_failed_login_are_recorded_on_the_chain(client, alice):
    alice.set_password("correct horse")
    alice.save()
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert client.post("/accounts/login/", {"username": "alice", "password": "correct horse"}).status_code == 302

    failed, ok = AuditEvent.objects.filter(action__in=["login_failed", "login"]).order_by("seq")
    assert (failed.action, failed.actor, failed.data, failed.ip) == (
        "login_failed",
        None,
        {"username": "alice"},
        "10.1.2.3",
    )
    assert "wrong" not in str(failed.data)
    assert (ok.action, ok.actor, ok.organization) == ("login", alice, alice.organization)
    assert audit_chain_verify().ok
