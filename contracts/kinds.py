"""The signed documents of a contract's end (issue 14 §3: each ending is a step with its own document), registered
with `documents` as the 盘活方式 register theirs; their templates are documents/<kind>.html."""

from documents.kinds import register_step_kind

RETURN_KIND = "contract_return"
TERMINATION_KIND = "contract_termination"
RENEWAL_KIND = "contract_renewal"

register_step_kind(RETURN_KIND, "资产收回确认单", ("收回单位",))
register_step_kind(TERMINATION_KIND, "合同提前终止备案表", ("资产持有单位",))
# Signed by the unit, the department that reviewed it and finance when the route went there (contracts.endings).
register_step_kind(RENEWAL_KIND, "合同续签备案表", ("资产持有单位", "主管部门", "财政部门"))
