"""Hypothesis sends the forms, the import rows and the uploads what a hostile or careless user might: control
characters, bidi marks, zero-width and full-width look-alikes, 4-byte CJK, very long strings, broken UTF-8, odd
numbers and dates. Every answer is a page with an error or a success, never a server error; a refused request writes
nothing; whatever is stored is clean text; and the audit trail's chain holds afterwards."""

import io
import urllib.parse

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.imports import DATA_SHEET, HEADERS
from assets.models import Asset, AssetAttachment, AttachmentKind, ImportBatch
from audit.chain import audit_chain_verify
from core.text import clean_text
from workflows.models import DisposalCase

from .assets.test_register_views import asset_form_data
from .ledgers import filled_template, import_ledger, ledger_row, upload_evidence

pytestmark = pytest.mark.django_db

HOSTILE = [
    "\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u202e", "\u202d", "\u2066", "\u200e", "\u200f", "\u061c",
    "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2028", "\ufffe", "\uffff", "𠀀", "𪚥", "𰀀", "Ａ", "０", "－", "\t",
    "\n", "\r\n", "'", '"', "<", ">", "&", "%", "=", "+", "@", "{{", "{%", "../", "\\", "_x0001_", "茂", "县", " ",
]  # fmt: skip
ODD_NUMBERS = ["", "0", "-1", "1e400", "NaN", "inf", "１２３", "1,234.5", "0.000001", "99999999999999999999", "12abc",
               "¥5", "-0", " 7 ", "1_000", "0x10"]  # fmt: skip
ODD_DATES = ["", "2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "1899-12-31", "２０２６－０１－０１",
             "2026/1/1", "yesterday", "2026-01-01T00:00", "-1"]  # fmt: skip
MAGIC = [b"%PDF-", b"PK\x03\x04", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"]
FUZZ = settings(
    max_examples=40, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip

hostile_text = st.one_of(
    st.lists(st.sampled_from(HOSTILE) | st.text(max_size=3), max_size=40).map("".join),
    st.text(max_size=60),
    st.builds(lambda c, n: c * n, st.sampled_from(["长", "a", "\u202e", "𠀀"]), st.sampled_from([1000, 4000, 100_000])),
)
# Text a person means, with what core.text cleans away or keeps: Word's vertical tab, zero-width spaces, 4-byte CJK.
CLEANABLE = ["茂县", "库房", "𠀀", "Ａ", "\x0b", "\u200b", "\ufeff", " ", "-", "1"]
cleanable_text = (
    st.lists(st.sampled_from(CLEANABLE), min_size=1, max_size=12).map("".join).filter(lambda t: clean_text(t))
)
odd_number = st.sampled_from(ODD_NUMBERS) | st.decimals(allow_nan=True, allow_infinity=True).map(str)
odd_date = st.sampled_from(ODD_DATES) | st.dates().map(str)


def assert_clean(value: str, *, multiline: bool) -> None:
    assert clean_text(value, multiline=multiline) == value, repr(value[:80])


def test_the_asset_form_answers_every_input_with_a_page_and_writes_only_clean_rows(client, alice):
    client.force_login(alice)
    outcomes = set()

    # Each field is sane two times in three, so that some posts are saved and the cleaning is checked on them.
    @settings(FUZZ, max_examples=60)
    @given(name=st.one_of(cleanable_text, cleanable_text, hostile_text),
           address=st.one_of(cleanable_text, cleanable_text, hostile_text),
           code=st.one_of(st.uuids().map(str), st.uuids().map(str), hostile_text),
           remarks=st.one_of(cleanable_text, cleanable_text, hostile_text),
           value=st.one_of(st.just("3200"), st.just("3200"), odd_number),
           acquired=st.one_of(st.just("2019-04-01"), st.just("2019-04-01"), odd_date))  # fmt: skip
    def post(name, address, code, remarks, value, acquired):
        before = Asset.objects.count()
        data = asset_form_data(code=code, name=name, address=address, remarks=remarks, original_value=value,
                               net_value="0", acquired_on=acquired)  # fmt: skip
        response = client.post(reverse("register:add"), data)
        assert response.status_code in (302, 422), response.status_code
        outcomes.add(response.status_code)
        if response.status_code == 422:
            assert Asset.objects.count() == before
            return
        assert Asset.objects.count() == before + 1
        asset = Asset.objects.latest("pk")
        for text, multiline in ((asset.name, False), (asset.address, False), (asset.remarks, True)):
            assert_clean(text, multiline=multiline)

    post()
    assert outcomes == {302, 422}  # the run saved rows and refused others, both
    # Everything the run wrote went on the chained trail, and the chain holds.
    assert audit_chain_verify().ok


@FUZZ
@given(query=hostile_text, months=odd_number)
def test_the_ledger_search_answers_every_query(client, alice, query, months):
    client.force_login(alice)
    response = client.get(reverse("register:list"), {"q": query, "idle_months": months})
    assert response.status_code in (200, 400)
    export = client.get(reverse("register:export"), {"q": query})
    assert export.status_code in (200, 400)


@settings(FUZZ, max_examples=12)
@given(rows=st.lists(st.fixed_dictionaries({"资产名称": hostile_text, "备注": hostile_text, "原值（元）": odd_number,
                                             "取得日期": odd_date}), min_size=1, max_size=4))  # fmt: skip
def test_an_import_of_hostile_rows_commits_all_of_them_or_none(alice, rows):
    client = Client()
    client.force_login(alice)
    before = Asset.objects.count()
    filled = []
    for index, row in enumerate(rows):
        # openpyxl cannot write a control character: it goes in as Excel writes one, an _xHHHH_ escape.
        safe = {
            k: "".join(c if c.isprintable() or c in "\n" else f"_x{ord(c):04X}_" for c in v) for k, v in row.items()
        }
        filled.append(ledger_row(资产编号=f"FZ-{ImportBatch.objects.count()}-{index}", 持有单位="茂县第一中学", **safe))
    response = client.post(reverse("register:import"), {"file": filled_template(client, filled)})
    assert response.status_code in (302, 422)
    batch = ImportBatch.objects.order_by("-created_at").first()
    if response.status_code == 302 and batch.status == "valid":
        assert client.post(reverse("register:import_commit", args=[batch.pk])).status_code == 302
        assert Asset.objects.count() == before + len(rows)
        for asset in Asset.objects.filter(import_batch=batch):
            assert_clean(asset.name, multiline=False)
            assert_clean(asset.remarks, multiline=True)
    else:
        assert Asset.objects.count() == before


@settings(FUZZ, max_examples=30)
@given(content=st.binary(max_size=3000) | st.sampled_from(MAGIC),
       name=hostile_text, kind=st.sampled_from([*AttachmentKind.values, "nonsense", ""]))  # fmt: skip
def test_an_evidence_upload_of_any_bytes_and_name_is_stored_whole_or_not_at_all(client, alice, content, name, kind):
    if not Asset.objects.exists():
        import_ledger(alice, ledger_row())
    asset = Asset.objects.get()
    client.force_login(alice)
    before = AssetAttachment.objects.count()
    upload = SimpleUploadedFile((name or "x")[:200] + ".pdf", content)
    response = client.post(reverse("register:attachment_upload", args=[asset.pk]), {"kind": kind, "file": upload})
    assert response.status_code in (302, 422)
    assert AssetAttachment.objects.count() == before + (response.status_code == 302)


@settings(FUZZ, max_examples=30)
@given(statement=hostile_text, basis=st.sampled_from(["idle", "low_efficiency", "over_standard", "bogus", ""]))
def test_the_report_form_answers_every_statement(client, alice, statement, basis):
    if not Asset.objects.exists():
        [asset] = import_ledger(alice, ledger_row(使用状况="闲置", 停用日期="2020-01-01", 闲置原因="停用"))
        upload_evidence(alice, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    asset = Asset.objects.get()
    client.force_login(alice)
    before = DisposalCase.objects.count()
    response = client.post(f"/cases/report/{asset.pk}/", {"basis": basis, "statement": statement})
    assert response.status_code in (302, 422)
    if response.status_code == 302:
        case = DisposalCase.objects.latest("pk")
        assert_clean(case.statement, multiline=True)
        from workflows.services import Actor, case_withdraw

        case_withdraw(actor=Actor(user=alice, ip=None), case=case, reason="测试撤回")
    else:
        assert DisposalCase.objects.count() == before


def test_broken_utf_8_in_a_form_is_read_as_replacement_characters_not_a_server_error(client, alice):
    client.force_login(alice)
    fields = {**asset_form_data(), "name": "打印机"}
    body = urllib.parse.urlencode(fields).encode() + b"&remarks=%ED%A0%80%FF%FE"  # a lone surrogate, stray bytes
    response = client.post(reverse("register:add"), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 422)
    if response.status_code == 302:
        assert "\ufffd" in Asset.objects.get().remarks


def test_a_workbook_fuzzed_in_its_cells_never_fails_the_reader(alice):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(list(HEADERS))
    ws.append([1e308, -1e308, True, False, 0, "=1+1", "'x", None, 3.5, "x" * 32_767] + [None] * (len(HEADERS) - 10))
    out = io.BytesIO()
    wb.save(out)
    client = Client()
    client.force_login(alice)
    response = client.post(reverse("register:import"), {"file": SimpleUploadedFile("a.xlsx", out.getvalue())})
    assert response.status_code in (302, 422)
    batch = ImportBatch.objects.get()
    assert batch.status == "invalid" and batch.errors and not Asset.objects.exists()
