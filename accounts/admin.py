"""The sign-in apps' records in the admin (django-axes' lockouts, django-otp's devices), named in Chinese."""

from audit.admin import admin_names_in_chinese

admin_names_in_chinese("axes", "登录失败与锁定", {"AccessAttempt": "登录失败记录", "AccessFailureLog": "登录失败日志",
                                                   "AccessLog": "登录日志"})  # fmt: skip
admin_names_in_chinese("otp_static", "双因素认证：备用码", {"StaticDevice": "备用码设备"})
admin_names_in_chinese("otp_totp", "双因素认证：动态口令", {"TOTPDevice": "动态口令设备"})
