"""Policy rules checked where their facts are first known (issue 12 §1): the reserve at execution, every problem of
an execution in one round, the low-bid re-approval's figures, and the report's idle evidence at 申报."""

import pytest

from workflows.flows import DisposalFlow
from workflows.models import CaseState

from ..cases import PLAN_FORMS
from ..clock import TODAY, years_after
from .test_flow_urls import LEASE, auction, claim, do, fresh, pdf, url, verified_via_urls

pytestmark = pytest.mark.django_db


def approved(client, asset, clerk, head, reviewer, finance, method):
    case = verified_via_urls(client, asset, clerk, head, reviewer, window_closed=True)
    plan = {
        **PLAN_FORMS[method],
        "method": method,
        "summary": "进场公开处置",
        "justification": "公示期无单位申请",
        "minutes": pdf(),
    }
    do(client, clerk, case, DisposalFlow.plan, plan)
    do(client, reviewer, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    do(client, finance, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})
    return fresh(case)


def test_a_bid_below_the_reserve_is_no_sale(client, building, alice, henry, hugo, fiona):
    case = approved(client, building, alice, henry, hugo, fiona, "auction")
    task = claim(client, alice, case, DisposalFlow.execute)
    # Reserve 2,000,000, bid 1,600,000: below the reserve and below the 90% floor too; refused, not re-approved.
    response = client.post(url(DisposalFlow.execute, task), auction("1600000"))
    page = response.content.decode()
    assert response.status_code == 422
    assert "成交价低于保留价，不能成交（保留价2,000,000.00元，成交价1,600,000.00元）" in page
    assert "《茂县闲置低效资产资源盘活利用工作实施方案》二(八)3" in page
    case = fresh(case)
    assert case.state == CaseState.PLAN_APPROVED and case.execution_or_none() is None


def test_a_lease_execution_breaking_three_rules_lists_all_three_at_once(client, building, alice, henry, hugo, fiona):
    case = approved(client, building, alice, henry, hugo, fiona, "lease")
    task = claim(client, alice, case, DisposalFlow.execute)
    # An 8-year term (cap 5), rent under the 底价, and a remittance that is not received minus fees.
    bad = {
        **LEASE, "lease_ends_on": years_after(TODAY, 8).isoformat(), "annual_rent": "40000", "received": "40000",
        "remitted": "39000",
    }  # fmt: skip
    response = client.post(url(DisposalFlow.execute, task), bad)
    page = response.content.decode()
    assert response.status_code == 422
    assert "出租期限不能超过5年。" in page
    assert "年租金不能低于底价。" in page
    assert "上缴金额应为实收减去费用：40,000.00 元。" in page
    assert fresh(case).state == CaseState.PLAN_APPROVED


def test_a_field_error_and_the_rules_show_together(client, building, alice, henry, hugo, fiona):
    case = approved(client, building, alice, henry, hugo, fiona, "lease")
    task = claim(client, alice, case, DisposalFlow.execute)
    bad = {**LEASE, "lessee": "", "annual_rent": "40000", "received": "40000", "remitted": "40000"}
    response = client.post(url(DisposalFlow.execute, task), bad)
    page = response.content.decode()
    assert response.status_code == 422
    assert "年租金不能低于底价。" in page and "这个字段是必填项" in page
    assert fresh(case).state == CaseState.PLAN_APPROVED
