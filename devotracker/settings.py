"""DevoTracker settings.

One settings module for every deployment. Every value that differs between machines comes from an
environment variable (DESIGN.md §10 names them) and has a safe default for the quick start: an
embedded SQLite file, Celery on kombu's filesystem broker, a development secret key kept in a
git-ignored file. ``PRODUCTION=true`` switches on the hardening that ``manage.py check --deploy``
looks for; it is the only switch, so production and development share one code path.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp import constants as csp
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime files of the quick start (SQLite database, the development secret key, the embedded
# broker's folders, built reports) live here; the folder is git-ignored.
VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean strictly: an unrecognised value is a configuration error, not False."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int) -> int:
    value = env_int_or_none(name)
    return default if value is None else value


def env_int_or_none(name: str) -> int | None:
    """A whole number from the environment, or None when it is unset (the code's default applies)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds such as 0.25, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (container secrets)."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return None


def development_secret_key() -> str:
    """Generate the development key once and keep it, so web, worker and beat agree on it."""
    key_file = VAR_DIR / ".secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when PRODUCTION is on")

SECRET_KEY = env_secret("SECRET_KEY") or ""
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when PRODUCTION is on")
    SECRET_KEY = development_secret_key()
# Earlier keys, comma-separated, still accepted while things signed or sealed with them age out
# (sessions, password-reset links, webhook signing secrets: docs/operations.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PORT = env_int("PORT", 8000)
# The address people use to reach the service: used in e-mails and reports, which have no request.
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "boards",
    "pilots",
    "commitments",
    "finance",
    "reporting",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "devotracker.middleware.PolicyHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "devotracker.middleware.LoginRequiredMiddleware",
    "devotracker.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "devotracker.urls"
WSGI_APPLICATION = "devotracker.wsgi.application"
ASGI_APPLICATION = "devotracker.asgi.application"

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
                "devotracker.context_processors.service",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# `or` rather than a default argument: DATABASE_URL="" (set but empty) means "the default" too.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'devotracker.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file in the quick start: WAL lets readers run beside a
    # writer, IMMEDIATE transactions take the write lock up front (no upgrade deadlocks) and the
    # timeout makes a busy writer wait rather than fail with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DATABASE_CONNECT_TIMEOUT", 5)
    # A cap on any one statement (seconds; 0, the default, is none): a query that runs away ends
    # with an error naming it instead of holding a connection and its locks. The test command sets
    # it, so that a runaway query fails its test rather than stalling the run.
    if statement_timeout := env_int("DATABASE_STATEMENT_TIMEOUT", 0):
        given = DATABASES["default"]["OPTIONS"].get("options", "")  # e.g. from DATABASE_URL's ?options=
        DATABASES["default"]["OPTIONS"]["options"] = f"{given} -c statement_timeout={statement_timeout * 1000}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Content security policy (django-csp) ---------------------------------------------------
# Scripts only from our origin or carrying this response's nonce (``request.csp_nonce``, which
# templates put on the one inline script GOV.UK Frontend needs), never 'unsafe-inline'; everything
# else from our origin. Inline styles stay allowed because GOV.UK Frontend and Swagger UI set style
# attributes. The API docs pages add their own script hashes (devotracker.middleware).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}

# --- Cache ----------------------------------------------------------------------------------
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith("redis"):
    # Everything in the cache can be recomputed, so a Redis that has gone away is a miss, not an
    # error: django-redis answers a read as a miss and skips a write, and logs each one it ignored
    # (docs/decisions/0011-django-redis.md). Short timeouts make one that hangs cost a request a moment.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_IGNORE_EXCEPTIONS = True
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "devotracker.cache"

# --- Authentication -------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# Sign-in throttling: this many failures per username (and per client address) in the window
# locks further attempts out until the window has passed.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)
# The privacy notice promises the sign-in log is kept for 12 months; a nightly task deletes older rows.
SIGN_IN_LOG_RETENTION_DAYS = env_int("SIGN_IN_LOG_RETENTION_DAYS", 365)
# The per-address limit (defaults to the per-username one) and how many reverse proxies add to
# X-Forwarded-For in front of the web processes (0: use the connection's address).
LOGIN_FAILURE_LIMIT_PER_ADDRESS = env_int("LOGIN_FAILURE_LIMIT_PER_ADDRESS", LOGIN_FAILURE_LIMIT)
LOGIN_TRUSTED_PROXIES = env_int("LOGIN_TRUSTED_PROXIES", 0)
# Where the accessibility statement and privacy notice send people (empty: "your administrator").
SERVICE_CONTACT_EMAIL = os.environ.get("SERVICE_CONTACT_EMAIL", "")

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# static/ holds our sources; static/build/ the compiled GOV.UK Frontend CSS (npm run build);
# node_modules/govuk-frontend/dist/govuk provides its JavaScript, fonts and images.
_GOVUK_DIST = BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
if _GOVUK_DIST.exists():  # absent until `npm ci` has run
    STATICFILES_DIRS.append(("govuk", _GOVUK_DIST))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
MEDIA_URL = "/media/"
# Uploads (spreadsheet imports) are small: refuse anything larger rather than buffer it.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 2 * 1024 * 1024)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "DevoTracker <devotracker@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or ""
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker of the quick start: folders on disk, no server (ENV.md §4).
    _broker_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _results_dir = VAR_DIR / "celery" / "results"
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_broker_dir, _processed_dir, _results_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
    }
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or f"file://{_results_dir}"
else:
    # Redis redelivers a task that was never acknowledged after this many seconds; with
    # acks_late, that is what makes a task survive a worker killed mid-run.
    # A bounded connect, so a Redis host that drops packets fails an attempt in seconds rather
    # than the system's minutes (the worker and beat then retry as usual).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600), "socket_connect_timeout": 5}
    CELERY_RESULT_BACKEND = CELERY_RESULT_BACKEND or CELERY_BROKER_URL
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 5  # the Redis result backend's, likewise
# Handing work to the broker from a request (devotracker.celery.hand_off): one connection attempt
# of at most this many seconds and no retries; the outbox delivery covers a hand-off that failed.
BROKER_HANDOFF_TIMEOUT = env_float("BROKER_HANDOFF_TIMEOUT", 0.25)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXTENDED = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 14 * 60)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# DESIGN.md §10: overdue pass 06:00 daily; officers' digest 07:00 on weekdays; secretariat digest
# Mondays 07:00; all Europe/London.
CELERY_BEAT_SCHEDULE = {
    "flag-overdue": {"task": "commitments.tasks.flag_overdue_task", "schedule": crontab(hour=6, minute=0)},
    "officer-digests": {
        "task": "commitments.tasks.send_officer_digests_task",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon-fri"),
    },
    "secretariat-digests": {
        "task": "commitments.tasks.send_secretariat_digests_task",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
    "purge-sign-in-log": {"task": "boards.tasks.purge_sign_in_events_task", "schedule": crontab(hour=3, minute=30)},
    "deliver-outbox": {"task": "commitments.tasks.deliver_outbox_task", "schedule": 60.0},
    # After the overdue pass, so the day's snapshot records the escalations it took (issue 13).
    "daily-snapshot": {"task": "reporting.tasks.daily_snapshot_task", "schedule": crontab(hour=6, minute=30)},
    # After the snapshot: the day's open data package (issue 14).
    "open-data": {"task": "reporting.tasks.build_open_data_task", "schedule": crontab(hour=6, minute=45)},
    # Webhooks (issue 14): the sweep behind the after-commit hand-off, and the log's retention.
    "webhooks-sweep": {"task": "webhooks.tasks.fan_out_task", "schedule": 30.0},
    "webhooks-purge": {"task": "webhooks.tasks.purge_events_task", "schedule": crontab(hour=3, minute=40)},
}

# --- Webhooks (issue 14, docs/api.md "Webhooks") --------------------------------------------
# Plain http:// endpoints are refused unless this is on (development only).
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
# Networks webhooks may reach although not public (e.g. "127.0.0.1/32" for a receiver on the same
# host in development). Empty in production: private, loopback and link-local are refused.
WEBHOOKS_ALLOWED_NETWORKS = env_list("WEBHOOKS_ALLOWED_NETWORKS", [])
WEBHOOK_CONNECT_TIMEOUT = env_float("WEBHOOK_CONNECT_TIMEOUT", 3.0)
WEBHOOK_READ_TIMEOUT = env_float("WEBHOOK_READ_TIMEOUT", 5.0)
# Back-off: base × 4^(n-1) seconds, capped, ±20 % jitter; ten tries span about a day.
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 5.0)
WEBHOOK_RETRY_MAX_SECONDS = env_float("WEBHOOK_RETRY_MAX_SECONDS", 8 * 60 * 60)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 10)
WEBHOOK_DISABLE_AFTER_SECONDS = env_float("WEBHOOK_DISABLE_AFTER_SECONDS", 24 * 60 * 60)
WEBHOOK_SECRET_GRACE_SECONDS = env_float("WEBHOOK_SECRET_GRACE_SECONDS", 24 * 60 * 60)
WEBHOOK_DELIVERY_BUDGET_SECONDS = env_float("WEBHOOK_DELIVERY_BUDGET_SECONDS", 50.0)
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30)

# --- The public progress view (issue 15) ----------------------------------------------------
# /public/: the published state of every commitment, for anyone, without signing in. On by default
# in the quick start; a production deployment (PRODUCTION on) publishes it only when PUBLIC_VIEW
# says so. Off, every /public/ address answers 404.
PUBLIC_VIEW = env_bool("PUBLIC_VIEW", not PRODUCTION)
# Its own rate limit, per client address (the API's throttle, reporting.public): past it, a 429 page.
PUBLIC_RATE_LIMIT = os.environ.get("PUBLIC_RATE_LIMIT", "300/minute").strip()
if not re.fullmatch(r"[1-9][0-9]*/(second|minute|hour|day)", PUBLIC_RATE_LIMIT):
    raise ImproperlyConfigured(
        f"PUBLIC_RATE_LIMIT must be a number of requests per second, minute, hour or day such as 300/minute, not {PUBLIC_RATE_LIMIT!r}"
    )

# --- Snapshots (issue 13) -------------------------------------------------------------------
# Every snapshot of the last SNAPSHOT_DAILY_DAYS days is kept, then the last of each ISO week;
# frozen snapshots (held by closed reporting periods) are kept for ever.
SNAPSHOT_DAILY_DAYS = env_int("SNAPSHOT_DAILY_DAYS", 90)
if SNAPSHOT_DAILY_DAYS < 1:
    raise ImproperlyConfigured(f"SNAPSHOT_DAILY_DAYS must be at least 1, not {SNAPSHOT_DAILY_DAYS}")

# --- Overdue and escalation (DESIGN.md §10) -------------------------------------------------
# The escalation ladder's days; None (unset) means the defaults commitments.escalation owns (14, 28).
ESCALATE_TO_SECRETARIAT_AFTER_DAYS = env_int_or_none("ESCALATE_TO_SECRETARIAT_AFTER_DAYS")
ESCALATE_TO_COMMITTEE_AFTER_DAYS = env_int_or_none("ESCALATE_TO_COMMITTEE_AFTER_DAYS")
DIGEST_DUE_WITHIN_DAYS = env_int("DIGEST_DUE_WITHIN_DAYS", 14)

# --- Demo data ------------------------------------------------------------------------------
DEMO_PASSWORD = env_secret("DEMO_PASSWORD") or ""

# --- REST API (DESIGN.md §6) ----------------------------------------------------------------
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 500
# What the shared API machinery (devotracker.api) needs from the domain, named here so that it
# imports no app: the token model (as AUTH_USER_MODEL names the user model) and the function that
# reads the change log's head, which the conditional responses and the count cache are keyed by.
API_TOKEN_MODEL = "boards.ApiToken"
API_DATA_HEAD = "commitments.versioning.data_head"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "devotracker.api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "devotracker.api.pagination.PageNumberPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "devotracker.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["devotracker.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_RATE_LIMIT", "6000/minute"),
        "token_write": os.environ.get("API_WRITE_RATE_LIMIT", "600/minute"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DevoTracker partner API",
    "DESCRIPTION": (
        "Commitments, obligations and actions of the London Health and Care Devolution MoU (2017) "
        "and the 2015 Devolution Agreement, with their status history and a sync feed."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Partner API (issue 4): document /api/v1/ only, and give each choice set that several fields
    # share one stable enum name in the schema.
    "PREPROCESSING_HOOKS": ["devotracker.api.schema.only_api_v1"],
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "commitments.models.Status",
        "PilotStatusEnum": "pilots.models.Pilot.Status",
        "AgreementKindEnum": "commitments.models.Agreement.Kind",
        "CommitmentKindEnum": "commitments.models.Commitment.Kind",
        "BoardKindEnum": "boards.models.Board.Kind",
        "ReportKindEnum": "commitments.models.Report.Kind",
        "ReportStateEnum": "commitments.models.Report.State",
        "PeriodStateEnum": "reporting.models.ReportingPeriod.State",
        "BasisEnum": "boards.models.Basis",
        "DatePrecisionEnum": "commitments.models.DatePrecision",
        "RagEnum": "commitments.api.serializers.RAG_CHOICES",
        "FundingStreamKindEnum": "finance.models.FundingStream.Kind",
        "DisposalStatusEnum": "finance.models.Disposal.Status",
    },
}

# --- Logging: one line per event, key=value pairs, to stderr ---------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"kv": {"()": "devotracker.logging.KeyValueFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}
