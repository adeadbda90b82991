"""Issue 12 §6: an unknown /verify/<uuid>/ is the verify page saying 未找到该文书 and what to check, as a 404."""

import uuid

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_document_is_not_found_on_the_verify_page(client, settings):
    settings.DEBUG = False
    response = client.get(f"/verify/{uuid.uuid4()}/")  # a citizen with no account
    page = response.content.decode()
    assert response.status_code == 404
    assert "未找到该文书" in page and "核验地址是否完整" in page
    assert "页面不存在" not in page  # not the generic 404
    assert "核验手中的 PDF" in page  # the upload stays offered
