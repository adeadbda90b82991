"""Test data the way users make it: a clerk fills in the import template, uploads it, commits it and uploads evidence,
all through the register's URLs. Tests that need assets start from here (not from factories), so that whatever an
import stores (its batch, its normalized codes, its defaults) is what the later steps meet."""

import datetime
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from assets.imports import DATA_SHEET, HEADERS, XLSX_CONTENT_TYPE
from assets.models import Asset, ImportBatch, ImportStatus, User

GENERAL_EQUIPMENT = "其他：办公设备、专用设备、通用设备"
BUILDING = "房屋构筑物（含标准厂房、存量商品房）"
# A PDF in as few bytes as the evidence check accepts (its content is sniffed, not parsed).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ledger_row(**fields) -> dict:
    """One row of the template, by its Chinese headers: an idle office computer unless `fields` say otherwise."""
    row = {
        "资产编号": "MX-T-PC-0001",
        "资产名称": "台式计算机",
        "资产类别": GENERAL_EQUIPMENT,
        "资产子类": "计算机",
        "数量": 1,
        "计量单位": "台",
        "原值（元）": 6500,
        "净值（元）": 1200,
        "取得日期": datetime.date(2012, 5, 1),
        "资产位置": "茂县凤仪镇",
        "使用状况": "正常使用",
        "责任人": "张三",
    }
    row.update(fields)
    return {key: float(value) if isinstance(value, Decimal) else value for key, value in row.items()}


def filled_template(client: Client, rows: list[dict]) -> SimpleUploadedFile:
    """The template as the logged-in user downloads it, its example row replaced by `rows`."""
    response = client.get(reverse("register:import_template"))
    assert response.status_code == 200, response.status_code
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb[DATA_SHEET]
    ws.delete_rows(2)
    for row in rows:
        unknown = set(row) - set(HEADERS)
        assert not unknown, f"not headers of the template: {unknown}"
        ws.append([row.get(header) for header in HEADERS])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("资产台账.xlsx", out.getvalue(), content_type=XLSX_CONTENT_TYPE)


def import_ledger(clerk: User, *rows: dict) -> list[Asset]:
    """`clerk` imports `rows` through the pages (template, upload, preview, commit); the assets, in row order."""
    client = Client()
    client.force_login(clerk)
    unit = clerk.organization.name if clerk.organization_id else None
    rows = [{"持有单位": unit, **row} for row in rows]
    response = client.post(reverse("register:import"), {"file": filled_template(client, rows)})
    assert response.status_code == 302, response.content.decode()[:2000]
    batch = ImportBatch.objects.get(created_by=clerk, pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert batch.status == ImportStatus.VALID, batch.errors
    response = client.post(reverse("register:import_commit", args=[batch.pk]))
    assert response.status_code == 302
    batch = ImportBatch.objects.get(pk=batch.pk)
    assert batch.status == ImportStatus.COMMITTED, batch.message
    return list(Asset.objects.filter(import_batch=batch).order_by("pk"))


def upload_evidence(clerk: User, asset: Asset, *kinds: str) -> None:
    """`clerk` uploads one PDF per kind of evidence on the asset's page."""
    client = Client()
    client.force_login(clerk)
    for kind in kinds:
        upload = SimpleUploadedFile(f"{kind}.pdf", PDF, content_type="application/pdf")
        response = client.post(reverse("register:attachment_upload", args=[asset.pk]), {"kind": kind, "file": upload})
        assert response.status_code == 302, response.content.decode()[:2000]
