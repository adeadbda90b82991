"""The second factor: enrolling a TOTP app, checking a code, recovery codes. Every step is on the trail."""

from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from assets.models import User
from audit.services import audit_record

RECOVERY_CODES = 10
TOTP_NAME = "动态口令"
RECOVERY_NAME = "备用码"


class SecondFactorError(Exception):
    """A refused code, in Chinese."""


def totp_device_confirmed(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_enrol_start(user: User) -> TOTPDevice:
    """The unconfirmed device whose secret the setup page shows (the same one until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def _token(text: str) -> str:
    return "".join(text.split())[:16]


def totp_enrol_confirm(*, request, user: User, token: str) -> list[str]:
    """Confirms the device with a code from the app; returns the new recovery codes, shown once."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is not None and not device.verify_is_allowed()[0]:
        raise SecondFactorError("输错后须稍候几秒再试。")
    if device is None or not device.verify_token(_token(token)):
        raise SecondFactorError("动态口令不正确，请在手机应用中查看当前的 6 位数字（注意手机时间须准确）。")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # a new phone replaces the old one
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_new(user)
        audit_record(user=user, action="otp_enrol", ip=_ip(request), data={"device": TOTP_NAME})
    otp_login(request, device)
    return codes


def recovery_codes_new(user: User) -> list[str]:
    """Ten one-time codes for when the phone is lost; any earlier ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_verify(*, request, user: User, token: str) -> None:
    """A code from the app, or one of the recovery codes (each works once)."""
    token = _token(token)
    totp = totp_device_confirmed(user)
    if totp is not None and totp.verify_is_allowed()[0] and totp.verify_token(token):
        otp_login(request, totp)
        return
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME, confirmed=True).first()
    if recovery is not None and recovery.verify_token(token):
        otp_login(request, recovery)
        left = recovery.token_set.count()
        audit_record(user=user, action="otp_recovery_used", ip=_ip(request), data={"left": left})
        return
    if totp is not None:
        totp.refresh_from_db(fields=["throttling_failure_count"])
    if totp is None or totp.throttling_failure_count <= 1:
        # The first wrong code of a series is on the trail; django-otp's throttling slows the rest down.
        audit_record(user=user, action="otp_failed", ip=_ip(request), data={"username": user.get_username()})
    raise SecondFactorError("动态口令或备用码不正确。多次输错后需等待片刻才能再试。")


def _ip(request) -> str | None:
    from core.http import client_ip

    return client_ip(request)
