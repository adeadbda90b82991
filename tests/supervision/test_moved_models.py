"""The trail and 监督's models moved out of `workflows` by state only (issue 11 §2): the rows written before the move,
an issued 月调度 report hanging from its SupervisionReport by content type and the chained trail, still open and
verify after it."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from audit.chain import audit_chain_verify
from documents.models import Document, DocumentStatus
from documents.signing import verify_pdf
from supervision.models import SupervisionReport

BEFORE_THE_MOVE = [("workflows", "0009_supervision"), ("audit", None), ("supervision", None)]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_old_report_still_opens_and_verifies_after_the_move(client, sam, finance_bureau):
    client.force_login(sam)
    response = client.post(reverse("supervision:report_pdf"), {"kind": "monthly", "year": "2026", "period": "4"})
    assert response.status_code == 302, response.content.decode()[-3000:]
    report = SupervisionReport.objects.get()
    document = Document.objects.get(kind="monthly_report", status=DocumentStatus.ISSUED)

    # Back to before the move: the report's and the trail's content types are the workflows app's, as they were.
    migrate(BEFORE_THE_MOVE)
    labels = dict(
        ContentType.objects.filter(model__in=["supervisionreport", "auditevent"]).values_list("model", "app_label")
    )
    assert labels == {"supervisionreport": "workflows", "auditevent": "workflows"}

    call_command("migrate", verbosity=0)
    labels = dict(
        ContentType.objects.filter(model__in=["supervisionreport", "auditevent"]).values_list("model", "app_label")
    )
    assert labels == {"supervisionreport": "supervision", "auditevent": "audit"}
    assert not ContentType.objects.filter(app_label="workflows", model="supervisionreport").exists()

    document = Document.objects.get(pk=document.pk)
    assert document.subject == report  # through its content type
    response = client.get(reverse("supervision:report_document", args=[report.pk]))
    assert response.status_code == 200
    pdf = response.content
    assert pdf.startswith(b"%PDF") and verify_pdf(pdf).valid
    assert (
        "全县2026年4月闲置低效资产盘活月调度报告"
        in client.get(reverse("verify:document", args=[document.uuid])).content.decode()
    )
    assert audit_chain_verify().ok
