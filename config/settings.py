"""All settings, read from the environment; with no environment at all the embedded default runs:
SQLite, media on local disk, Celery jobs in-process."""

import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("PANHUO_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    # A real key on a fresh checkout without anyone having to invent one: made once, kept in var/.
    if env("DJANGO_SECRET_KEY", default=""):
        return env("DJANGO_SECRET_KEY")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "viewflow",
    "viewflow.workflow",
    "audit",
    "assets",
    "accounts",
    "documents",
    "workflows",
    "contracts",
    "supervision",
    "demo",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Every page needs a login unless its view is marked login_not_required (login, public verification).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # …and a second factor for the roles that need one, when the deployment asks (accounts/security.py).
    "accounts.middleware.TwoFactorRequiredMiddleware",
    # Pages and downloads of a signed-in user are never kept by a browser or proxy cache.
    "accounts.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # With no Redis (no Celery beat), the web process runs the periodic jobs itself (core/embedded.py).
    "core.embedded.EmbeddedBeatMiddleware",
    # Lockout after repeated failed logins (django-axes): last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
    # viewflow appends its SiteMiddleware and HotwireTurboMiddleware in AppConfig.ready()
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'panhuo.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the register be read while an import commits.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "assets.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Task permissions "role in organization" for viewflow's queue (workflows/permissions.py).
    "workflows.permissions.RoleInOrganizationBackend",
]
# All of Django's validators, in Chinese, and letters with digits (core/passwords.py).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "core.passwords.UserAttributeSimilarityValidator"},
    {"NAME": "core.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "core.passwords.CommonPasswordValidator"},
    {"NAME": "core.passwords.NumericPasswordValidator"},
    {"NAME": "core.passwords.LettersAndDigitsValidator"},
]
LOGIN_URL = "/accounts/login/"

# Repeated failures lock the account and the address (等保: 登录失败处理): five wrong passwords in a row lock for 15
# minutes; the lockout page says so in Chinese (accounts.views.locked_out). The trail keeps one event per account and
# address per window (workflows.signals).
AXES_FAILURE_LIMIT = env.int("PANHUO_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PANHUO_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "core.http.client_ip"
AXES_VERBOSE = False
# A second factor (TOTP, django-otp) for finance approvers, supervisors and administrators: off in the demo, on in
# production (README).
OTP_TOTP_ISSUER = "盘活"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
# Chinese for the packages that ship none (django-axes' admin pages): locale/zh_Hans, the .mo committed beside its .po.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by whitenoise straight from the apps' folders, so the embedded default needs no collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env("PANHUO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# No MEDIA_URL: evidence files are only served through views that check who may see them.
# The deployment's CA and the organizations' signing keys (documents/signing.py, `manage.py init_pki`): outside
# the database and the media folder, keys mode 0600.
PANHUO_PKI_DIR = Path(env("PANHUO_PKI_DIR", default=str(VAR_DIR / "pki")))

FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Embedded default: no broker, every job runs in the process that queued it.
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env("PANHUO_CELERY_QUEUE", default="panhuo")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Overdue steps: remind the assignee, then the organization's head (workflows.services.overdue_sweep).
    "cases-mark-overdue": {"task": "workflows.tasks.cases_mark_overdue", "schedule": 3600.0},
    # Documents still missing some minutes after their step are queued again (documents.services.documents_sweep).
    "documents-sweep": {"task": "documents.tasks.documents_sweep_task", "schedule": 300.0},
    # Bulk archive packages whose job was lost (supervision.archive.archive_batches_sweep).
    "archive-batches-sweep": {"task": "supervision.tasks.archive_batches_sweep_task", "schedule": 300.0},
    # Ledger imports whose job was lost (assets.imports.import_batches_sweep).
    "import-batches-sweep": {"task": "assets.tasks.import_batches_sweep_task", "schedule": 300.0},
    # Every stored document and evidence file still hashes to what was recorded (documents.integrity).
    "stored-files-check": {"task": "documents.tasks.stored_files_check_task", "schedule": 24 * 3600.0},
    # Rent falling due and rent in arrears: the holding unit hears once of each (contracts.reminders).
    "rent-reminders": {"task": "contracts.tasks.rent_reminders", "schedule": 3600.0},
}

# Register rules that are configuration rather than per-row data.
PANHUO = {
    "ATTACHMENT_MAX_BYTES": env.int("PANHUO_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024),
    "IMPORT_MAX_BYTES": env.int("PANHUO_IMPORT_MAX_BYTES", default=30 * 1024 * 1024),
    # What a workbook may expand to, checked before it is opened (decompression bombs): each part, all parts, and
    # the compression ratio of parts over 1 MB. A 50,000-row ledger's sheet is ~150 MB at about 17:1.
    "IMPORT_PART_MAX_BYTES": env.int("PANHUO_IMPORT_PART_MAX_BYTES", default=256 * 1024 * 1024),
    "IMPORT_UNPACKED_MAX_BYTES": env.int("PANHUO_IMPORT_UNPACKED_MAX_BYTES", default=400 * 1024 * 1024),
    "IMPORT_MAX_RATIO": env.int("PANHUO_IMPORT_MAX_RATIO", default=100),
    # Imports with more rows than this run as a background job with progress.
    "IMPORT_ASYNC_ROWS": env.int("PANHUO_IMPORT_ASYNC_ROWS", default=1000),
    "LEDGER_PAGE_SIZE": 50,
    # Printed in each document's QR code: where anyone checks it (/verify/<uuid>/).
    "SITE_URL": env("PANHUO_SITE_URL", default="http://127.0.0.1:8000"),
    # A document still missing this long after its step is queued again; after this many tries it is marked failed.
    "DOCUMENT_SWEEP_MINUTES": env.int("PANHUO_DOCUMENT_SWEEP_MINUTES", default=5),
    "DOCUMENT_MAX_ATTEMPTS": env.int("PANHUO_DOCUMENT_MAX_ATTEMPTS", default=8),
    # The largest PDF the public verification page accepts.
    "VERIFY_MAX_BYTES": env.int("PANHUO_VERIFY_MAX_BYTES", default=30 * 1024 * 1024),
    # Without Redis there is no Celery beat: the web process runs the periodic jobs itself (core/embedded.py).
    "EMBEDDED_BEAT": env.bool("PANHUO_EMBEDDED_BEAT", default=not REDIS_URL),
    # A second factor (TOTP) for finance approvers, supervisors and administrators (accounts/security.py).
    "REQUIRE_2FA": env.bool("PANHUO_REQUIRE_2FA", default=False),
    # Whom the 忘记密码 page sends a user to (accounts.views.password_reset): no page resets a password by e-mail.
    "ADMIN_CONTACT": env("PANHUO_ADMIN_CONTACT", default="县财政局（县国有资产管理中心）系统管理员"),
}

# Mail: nothing is sent yet (a forgotten password is reset by an administrator, accounts.views.password_reset).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="panhuo@localhost")

# Sessions end after 30 idle minutes (each request moves the end on) and with the browser (等保: 会话超时).
SESSION_COOKIE_AGE = env.int("PANHUO_SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
if SESSION_COOKIE_SECURE:
    # Behind the TLS proxy (README, Production): HTTPS only, for a year, and the proxy says which requests were TLS.
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)

# Content-Security-Policy (django-csp): scripts only from this site, no inline script, nothing framed or embedded.
# Inline styles stay allowed (viewflow's theme colours and some layout attributes); they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
    # pyHanko logs a traceback for every untrusted signature, e.g. each foreign PDF checked on /verify/.
    "loggers": {"pyhanko": {"level": "ERROR"}, "pyhanko_certvalidator": {"level": "ERROR"}},
}
