"""A low bid's re-approval shows its approvers the bid, the appraisal and the floor (评估值 × 90%) they decide on, on
the department's and finance's forms alike (issue 12 §1.2; the 审批表 第2版 prints them: tests/documents/test_issue)."""

import pytest

from workflows.flows import DisposalFlow
from workflows.models import CaseState

from ..cases import AUCTION_PLAN
from .test_flow_urls import auction, claim, do, fresh, pdf, url, verified_via_urls

pytestmark = pytest.mark.django_db

FIGURES = ("成交价", "1,700,000.00", "评估值", "2,000,000.00", "成交价下限（评估值的90%）", "1,800,000.00")


def test_the_reapproval_forms_show_the_bid_the_appraisal_and_the_floor(client, building, alice, henry, hugo, fiona):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {**AUCTION_PLAN, "method": "auction", "summary": "进场公开拍卖", "justification": "公示期无单位申请",
            "minutes": pdf()}  # fmt: skip
    do(client, alice, case, DisposalFlow.plan, plan)
    # The first approval is of the plan only: no bid yet, so no figures.
    task = claim(client, hugo, case, DisposalFlow.dept_review)
    assert 'id="reapproval-figures"' not in client.get(url(DisposalFlow.dept_review, task)).content.decode()
    do(client, hugo, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"}, claim_first=False)
    do(client, fiona, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})
    do(client, alice, case, DisposalFlow.execute, {**auction("1700000"), "reserve_price": "1600000"})
    assert fresh(case).state == CaseState.PLAN_SUBMITTED

    for user, node in ((hugo, DisposalFlow.dept_review), (fiona, DisposalFlow.finance_approve)):
        task = claim(client, user, case, node)
        page = client.get(url(node, task)).content.decode()
        box = page[page.index('id="reapproval-figures"') :]
        box = box[: box.index("</dl>")]
        for figure in FIGURES:
            assert figure in box, (node.name, figure)
        do(client, user, case, node, {"decision": "approve", "opinion": "同意按成交价处置"}, claim_first=False)
    assert fresh(case).state == CaseState.PLAN_APPROVED
