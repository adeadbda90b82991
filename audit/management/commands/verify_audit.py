"""`python manage.py verify_audit`: proves the audit trail is untampered, or names the first broken link."""

import time

from django.core.management.base import BaseCommand, CommandError

from audit.chain import audit_chain_verify


class Command(BaseCommand):
    help = "逐条验证审计记录的哈希链，报告第一处断链或已验证的条数。"

    def handle(self, *args, **options):
        started = time.perf_counter()
        report = audit_chain_verify()
        seconds = time.perf_counter() - started
        if not report.ok:
            raise CommandError(f"审计链断裂：{report.broken}（此前 {report.verified} 条完好，用时 {seconds:.1f} 秒）")
        self.stdout.write(f"审计链完整：已验证 {report.verified} 条记录，用时 {seconds:.1f} 秒。")
