"""The landing page counts long-idle assets by the policy's idle period (data), not a number in the code."""

import datetime

import pytest

from workflows.models import Policy

from .clock import TODAY
from .ledgers import import_ledger, ledger_row

pytestmark = pytest.mark.django_db


def test_the_long_idle_count_follows_the_policys_idle_period(client, alice):
    def idle_for(days, code):
        since = TODAY - datetime.timedelta(days=days)
        return ledger_row(资产编号=code, 使用状况="闲置", 停用日期=since, 闲置原因="撤并")

    import_ledger(alice, idle_for(250, "MX-YZ-PC-301"), idle_for(420, "MX-YZ-PC-302"))
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "?idle_months=6&status=in_use" in page and "闲置超过6个月且未进入处置 <b>2</b> 项" in page

    Policy.objects.filter(pk=Policy.current().pk).update(idle_months=12)
    page = client.get("/").content.decode()
    assert "?idle_months=12&status=in_use" in page and "闲置超过12个月且未进入处置 <b>1</b> 项" in page
