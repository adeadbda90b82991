"""The 调剂 board (调剂优先, seed 000 二(八)2): its window holds back every plan but a 调剂 to an applicant, the asset
stays listed for the whole window, and other units open it, apply for it and withdraw."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from assets.models import AttachmentKind, Role
from audit.models import AuditEvent
from core.formatting import cn_date
from workflows.flows import DisposalFlow
from workflows.models import CaseState, Notification, ReallocationApplication

from ..cases import LEASE_PLAN
from ..clock import at
from ..factories import OrganizationFactory, UserFactory
from .test_flow_urls import claim, do, fresh, open_task, url, verified_via_urls

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db):
    """The clerk of a third unit, who also wants the asset."""
    unit = OrganizationFactory(name="茂县南新镇人民政府", short_name="茂南新", kind="township")
    return UserFactory(username="carol", full_name="马兰", organization=unit, roles=[Role.UNIT_CLERK])


@pytest.fixture
def listed(client, computer, alice, henry, rita):
    return verified_via_urls(client, computer, alice, henry, rita)


def apply(client, user, case, reason="镇便民服务中心缺少办公电脑"):
    client.force_login(user)
    return client.post(reverse("board:apply", args=[case.pk]), {"reason": reason})


def propose(client, alice, case, data):
    task = claim(client, alice, case, DisposalFlow.plan)
    return client.post(url(DisposalFlow.plan, task), data)


def past_the_window(clock, case, days=1):
    """To the window's last day (`days=0`) or `days` after it, at a working hour."""
    clock.move_to(at(case.listed_until + datetime.timedelta(days=days)))


SCRAP = {"method": "scrap", "summary": "报废后交由再生资源公司回收", "justification": "设备老化"}


# -- 1. the window -------------------------------------------------------------------------------------------------


class TestTheWindow:
    def test_a_scrap_plan_waits_until_the_window_closes_and_the_form_says_when(self, client, listed, alice, clock):
        response = propose(client, alice, listed, SCRAP)
        page = response.content.decode()
        assert response.status_code == 422
        assert "调剂优先" in page and cn_date(listed.listed_until) in page and "《茂县闲置低效资产" in page
        assert fresh(listed).state == CaseState.VERIFIED

        past_the_window(clock, listed, days=0)  # the last day of the window: still open
        client.force_login(alice)
        task = open_task(listed, DisposalFlow.plan)
        assert client.post(url(DisposalFlow.plan, task), SCRAP).status_code == 422

        clock.shift(datetime.timedelta(days=1))
        client.force_login(alice)
        assert client.post(url(DisposalFlow.plan, task), SCRAP).status_code == 302
        assert fresh(listed).state == CaseState.PLAN_SUBMITTED

    def test_no_applicant_in_the_window_is_not_accepted_before_the_window_ends(self, client, building, alice, henry,
                                                                              hugo, clock):  # fmt: skip
        case = verified_via_urls(client, building, alice, henry, hugo)
        lease = {**LEASE_PLAN, "method": "lease", "summary": "整体公开招租", "justification": "公示期内无单位申请调剂"}
        response = propose(client, alice, case, lease)
        assert response.status_code == 422 and cn_date(case.listed_until) in response.content.decode()
        past_the_window(clock, case)
        client.force_login(alice)
        task = open_task(case, DisposalFlow.plan)
        response = client.post(url(DisposalFlow.plan, task), lease)
        assert "调剂优先" not in response.content.decode()  # what is left is the rule's minutes, not the window

    def test_a_reallocation_to_an_applicant_may_go_on_day_0(self, client, listed, alice, bob, town):
        assert apply(client, bob, listed).status_code == 302
        data = {"method": "reallocate", "summary": "调剂给凤仪镇", "receiving_unit": town.pk}
        assert propose(client, alice, listed, data).status_code == 302
        assert fresh(listed).state == CaseState.PLAN_SUBMITTED

    def test_a_reallocation_to_a_unit_that_withdrew_is_refused(self, client, listed, alice, bob, town):
        apply(client, bob, listed)
        application = ReallocationApplication.objects.get(case=listed)
        client.post(reverse("board:withdraw", args=[application.pk]), {"confirm": "on"})
        data = {"method": "reallocate", "summary": "调剂给凤仪镇", "receiving_unit": town.pk}
        assert propose(client, alice, listed, data).status_code == 422
        assert fresh(listed).state == CaseState.VERIFIED


# -- 2. on the board for the whole window -----------------------------------------------------------------------


class TestListedForTheWholeWindow:
    def test_a_case_whose_plan_is_under_review_stays_on_the_board(self, client, listed, alice, bob, carol, rita, town):
        apply(client, bob, listed)
        propose(client, alice, listed, {"method": "reallocate", "summary": "调剂", "receiving_unit": town.pk})
        client.force_login(carol)
        assert listed.asset.code in client.get(reverse("board:list")).content.decode()
        assert apply(client, carol, listed, "南新镇也缺电脑").status_code == 302

        do(client, rita, listed, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
        assert fresh(listed).state == CaseState.PLAN_APPROVED  # promised to 凤仪镇: off the board
        client.force_login(carol)
        assert listed.asset.code not in client.get(reverse("board:list")).content.decode()
        assert client.get(reverse("board:asset", args=[listed.pk])).status_code == 404

    def test_the_asset_leaves_the_board_when_the_window_closes(self, client, listed, bob, clock):
        client.force_login(bob)
        assert listed.asset.code in client.get(reverse("board:list")).content.decode()
        past_the_window(clock, listed)
        client.force_login(bob)
        assert listed.asset.code not in client.get(reverse("board:list")).content.decode()
        assert apply(client, bob, listed).status_code == 404


# -- 3. the filters ------------------------------------------------------------------------------------------------


def test_every_filter_box_has_a_label(client, listed, bob):
    client.force_login(bob)
    page = client.get(reverse("board:list")).content.decode()
    for field_id, label in [("id_q", "搜索"), ("id_category", "资产类别"), ("id_min_area", "面积不小于"),
                            ("id_max_value", "原值不超过")]:  # fmt: skip
        assert f'<label for="{field_id}">{label}' in page
    response = client.get(reverse("board:list"), {"max_value": "abc", "q": listed.asset.code})
    assert response.status_code == 200 and "原值不超过（元）：" in response.content.decode()


# -- 4. the asset page -----------------------------------------------------------------------------------------------


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


def test_an_applicant_sees_the_asset_with_its_photos_and_a_contact(client, listed, alice, bob):
    alice.phone = "0837-7422001"
    alice.save()
    client.force_login(alice)
    upload = SimpleUploadedFile("教室.png", png(), content_type="image/png")
    response = client.post(
        reverse("register:attachment_upload", args=[listed.asset_id]), {"kind": AttachmentKind.PHOTO, "file": upload}
    )
    assert response.status_code == 302
    photo = listed.asset.attachments.get(kind=AttachmentKind.PHOTO)
    evidence = listed.asset.attachments.filter(content_type="application/pdf").first()

    client.force_login(bob)
    page = client.get(reverse("board:asset", args=[listed.pk])).content.decode()
    asset = listed.asset
    photo_url = reverse("board:photo", args=[listed.pk, photo.pk])
    apply_url = reverse("board:apply", args=[listed.pk])
    for shown in [asset.address, "数量", "原值", "净值", "使用状况", asset.get_usage_status_display(),
                  "茂县第一中学", "李晓红", "0837-7422001", f'src="{photo_url}"', apply_url]:  # fmt: skip
        assert shown in page, shown
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline" and b"".join(response.streaming_content) == png()
    # A PDF of the ledger is not a photo, and a photo is served only under its own listed case.
    assert client.get(reverse("board:photo", args=[listed.pk, evidence.pk])).status_code == 404
    assert client.get(reverse("board:photo", args=[listed.pk + 1000, photo.pk])).status_code == 404


def test_an_asset_not_on_the_board_is_not_there(client, computer, alice, bob):
    client.force_login(alice)
    client.post(f"/cases/report/{computer.pk}/", {"basis": "idle", "statement": "停用两年"})
    draft = computer.cases.get()
    client.force_login(bob)
    assert client.get(reverse("board:asset", args=[draft.pk])).status_code == 404
    assert client.get("/board/999999/").status_code == 404
    assert client.get("/board/abc/").status_code == 404


def test_a_user_without_a_role_may_not_open_the_board(client, listed):
    nobody = UserFactory(username="nobody", roles=[])
    client.force_login(nobody)
    assert client.get(reverse("board:asset", args=[listed.pk])).status_code == 403


# -- applying: wrong input -------------------------------------------------------------------------------------------


class TestApplying:
    def test_a_reason_of_100000_characters_is_refused_and_nothing_is_stored(self, client, listed, bob):
        response = apply(client, bob, listed, "缺" * 100_000)
        assert response.status_code == 422 and "1000" in response.content.decode()
        assert not ReallocationApplication.objects.exists()

    def test_a_control_character_is_refused_by_name(self, client, listed, bob):
        response = apply(client, bob, listed, "需要\x01电脑")
        assert response.status_code == 422 and "U+0001" in response.content.decode()
        assert not ReallocationApplication.objects.exists()

    def test_the_holding_unit_and_other_roles_may_not_apply(self, client, listed, alice, rita, henry):
        assert apply(client, alice, listed).status_code == 422  # its own asset: said on the form
        assert apply(client, rita, listed).status_code == 403
        assert apply(client, henry, listed).status_code == 403
        assert not ReallocationApplication.objects.exists()


# -- 5. 我的申请 and withdrawing -------------------------------------------------------------------------------------


class TestMyApplications:
    def test_the_units_applications_are_listed_with_their_state(self, client, listed, bob, carol):
        apply(client, bob, listed)
        client.force_login(bob)
        page = client.get(reverse("board:applications")).content.decode()
        assert listed.asset.code in page and "公示中，待持有单位选定" in page
        application = ReallocationApplication.objects.get()
        assert reverse("board:withdraw", args=[application.pk]) in page
        client.force_login(carol)
        assert listed.asset.code not in client.get(reverse("board:applications")).content.decode()

    def test_other_roles_have_no_applications_page(self, client, rita, sam):
        for user in (rita, sam):
            client.force_login(user)
            assert client.get(reverse("board:applications")).status_code == 403

    def test_withdrawing_asks_to_confirm_then_tells_the_holding_unit(self, client, listed, alice, bob):
        apply(client, bob, listed)
        application = ReallocationApplication.objects.get()
        withdraw = reverse("board:withdraw", args=[application.pk])
        page = client.get(withdraw)
        assert page.status_code == 200 and "确认撤回" in page.content.decode()
        response = client.post(withdraw, {})
        assert response.status_code == 422 and "请勾选确认" in response.content.decode()
        assert ReallocationApplication.objects.get().withdrawn_at is None

        assert client.post(withdraw, {"confirm": "on"}).status_code == 302
        assert ReallocationApplication.objects.get().withdrawn_at is not None
        assert AuditEvent.objects.filter(action="listing_withdraw", case=listed, actor=bob).exists()
        assert Notification.objects.filter(user=alice, message__contains="撤回调剂申请").exists()
        assert "已撤回" in client.get(reverse("board:applications")).content.decode()
        client.force_login(alice)  # the holding unit's case page no longer offers 凤仪镇
        assert 'id="applications"' not in client.get(f"/cases/{listed.pk}/").content.decode()
        client.force_login(bob)
        assert client.post(withdraw, {"confirm": "on"}).status_code == 422  # once is enough

        # While the window runs the unit may change its mind again.
        board = client.get(reverse("board:list")).content.decode()
        assert reverse("board:apply", args=[listed.pk]) in board and "已申请" not in board
        assert apply(client, bob, listed, "还是需要").status_code == 302
        assert ReallocationApplication.objects.get().withdrawn_at is None

    def test_no_withdrawing_once_chosen_or_after_the_window(self, client, listed, alice, bob, town, clock):
        apply(client, bob, listed)
        application = ReallocationApplication.objects.get()
        propose(client, alice, listed, {"method": "reallocate", "summary": "调剂", "receiving_unit": town.pk})
        client.force_login(bob)
        response = client.post(reverse("board:withdraw", args=[application.pk]), {"confirm": "on"})
        assert response.status_code == 422 and "已选定本单位" in response.content.decode()

    def test_no_withdrawing_after_the_window(self, client, listed, bob, clock):
        apply(client, bob, listed)
        application = ReallocationApplication.objects.get()
        past_the_window(clock, listed)
        client.force_login(bob)
        response = client.post(reverse("board:withdraw", args=[application.pk]), {"confirm": "on"})
        assert response.status_code == 422 and "不在调剂公示期内" in response.content.decode()
        assert ReallocationApplication.objects.get().withdrawn_at is None

    def test_only_the_applying_units_clerk_may_withdraw(self, client, listed, bob, carol, henry, rita):
        apply(client, bob, listed)
        application = ReallocationApplication.objects.get()
        withdraw = reverse("board:withdraw", args=[application.pk])
        client.force_login(carol)
        assert client.post(withdraw, {"confirm": "on"}).status_code == 404  # another unit's application
        for user in (henry, rita):
            client.force_login(user)
            assert client.post(withdraw, {"confirm": "on"}).status_code == 403
        client.force_login(bob)
        assert client.post(reverse("board:withdraw", args=[999999]), {"confirm": "on"}).status_code == 404
        assert ReallocationApplication.objects.get().withdrawn_at is None
