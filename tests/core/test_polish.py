"""The product's own face (issue 12 §6): documents link to the address the site is served on, and no page or message
doubles its 已."""

import ast
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from documents.services import verify_url

from ..cases import issue_all, verified

pytestmark = pytest.mark.django_db

BASE_DIR = Path(settings.BASE_DIR)


def pdf_text(document) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f, document.file.open("rb") as pdf:
        f.write(pdf.read())
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


# -- the public address in documents --------------------------------------------------------------------------------


def test_a_document_prints_the_configured_public_address_in_its_verification_link(building, alice, henry, hugo):
    site = "http://192.0.2.10:8101/"  # e.g. `PORT=8101 make run` on a machine others reach at 192.0.2.10
    with override_settings(PANHUO={**settings.PANHUO, "SITE_URL": site}):
        case = verified(building, alice, henry, hugo)
        document = issue_all(case)[0]
        url = verify_url(document)
    assert url == f"http://192.0.2.10:8101/verify/{document.uuid}/"
    text = pdf_text(document)
    assert f"核验地址：{url}" in re.sub(r"\s+", "", text)  # a long address may wrap in the PDF
    assert "127.0.0.1:8000" not in text


def test_make_run_and_serve_pass_the_served_address_unless_one_is_set():
    def dry_run(target: str, **env: str) -> str:
        command = ["make", "-n", "-s", "-o", "demo", "-o", "deps", target, *(f"{k}={v}" for k, v in env.items())]
        return subprocess.run(command, cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout

    assert 'PANHUO_SITE_URL="http://127.0.0.1:8101"' in dry_run("run", PORT="8101")
    assert 'PANHUO_SITE_URL="http://127.0.0.1:8101"' in dry_run("serve", PORT="8101")
    assert 'PANHUO_SITE_URL="https://panhuo.example.gov.cn"' in dry_run(
        "serve", PORT="8101", PANHUO_SITE_URL="https://panhuo.example.gov.cn"
    )
