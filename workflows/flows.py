"""The disposal flow. The step services in workflows.services already carry the whole path; the human task
nodes (inbox, queue, claim) that drive them are being built on top of this start (issue 3, open)."""

from viewflow import this
from viewflow.workflow import flow, lock

from .models import DisposalCase


class DisposalFlow(flow.Flow):
    """闲置低效资产盘活处置"""

    process_class = DisposalCase
    lock_impl = lock.select_for_update_lock
    process_title = "闲置低效资产盘活处置"

    start = flow.StartHandle(this.start_case).Next(this.end)
    end = flow.End()

    def start_case(self, activation, **kwargs):
        return activation.process
