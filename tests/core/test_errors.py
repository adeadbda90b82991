"""One domain error, one place it is shown (issue 11 §3): a refusal the user can fix lands on the form with a 422; a
refusal of their role or organization is a 403 page that says why, in Chinese."""

import pytest

from ..cases import verified

pytestmark = pytest.mark.django_db


def test_a_role_refusal_is_a_403_that_says_why(client, computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    client.force_login(rita)  # the reviewer sees the case but is not its holding unit
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": "不想办了"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "只有资产持有单位（经办人或负责人）可以撤回处置事项。" in page and "无权访问" in page


def test_a_refusal_the_user_can_fix_is_shown_on_the_form(client, computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    client.force_login(alice)
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": "   "})
    assert response.status_code == 422
    assert "ph-errorlist" in response.content.decode()
