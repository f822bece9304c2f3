"""The one settings module.

Every setting that differs between a laptop and production is read from an
environment variable with an embedded default, so `make run` needs no servers
(SQLite, local files, Celery on SQLite files through kombu's SQLAlchemy transport,
console email; the files they need are made by config/embedded.py), and production is
configured without code changes. docs/configuration.md lists them all.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from config import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the embedded defaults write (database, media, broker folders) lives here.
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# Named here because the embedded broker's file is made with it. A worker started on
# another queue (the tests' workers) sets it too, so the tasks it queues stay there.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A key written in the code signs for anyone who reads the code (download links,
# sessions): without SECRET_KEY, each installation makes its own and keeps it.
SECRET_KEY = (
    env.str("SECRET_KEY", default="")
    or embedded.made_once(VAR_DIR / "secret_key", embedded.random_secret_key).read_text().strip()
)
# `make run ADDR=host:port` (or just a port, as runserver takes it) serves there: the
# printed demo logins and the links in emails follow it unless SITE_URL says otherwise.
_ADDR = env.str("ADDR", default="127.0.0.1:8000")
_ADDR = _ADDR if ":" in _ADDR else f"127.0.0.1:{_ADDR}"
_ADDR_HOST = _ADDR.rsplit(":", 1)[0].strip("[]")
_LOCAL_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# Every address (0.0.0.0, ::) names no host a browser would send.
if _ADDR_HOST not in (*_LOCAL_HOSTS, "0.0.0.0", "::"):  # noqa: S104
    _LOCAL_HOSTS.append(_ADDR_HOST)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_LOCAL_HOSTS)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_NAME = env.str("SITE_NAME", default="PartnerHub")
SITE_URL = env.str("SITE_URL", default=f"http://{_ADDR}").rstrip("/")

INSTALLED_APPS = [
    "config.apps.StaffAdminConfig",  # django.contrib.admin with the staff desk as home
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "axes",
    # Single sign-on (docs/sso.md): allauth's social accounts with its OpenID Connect
    # provider; its account app is required by it, but its pages are not served.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "storages",
    "import_export",
    "partners",
    "assets",
    "campaigns",
    "mdf",
    "analytics",
    "deals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "partners.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "partners.middleware.PartnerScopeMiddleware",
    "partners.middleware.UserLanguageMiddleware",
    # allauth's request context (its sign-in flow and ImmediateHttpResponse); before axes.
    "allauth.account.middleware.AccountMiddleware",
    # Last, as django-axes asks, so it sees the outcome of every login attempt.
    "axes.middleware.AxesMiddleware",
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
                "partners.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# An empty DATABASE_URL (`DATABASE_URL= make run`) means the embedded default, as unset does.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'partnerhub.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the web server and the Celery worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: PostgreSQL compiles a query whose estimated cost passes
    # `jit_above_cost`, which the staff leaderboard's GROUP BY over a period does, and
    # the compilation took longer than the query (EXPLAIN ANALYZE's "JIT: … Total").
    # Pages run short queries many times; they gain nothing from it.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Prepared statements (off unless asked for): psycopg binds the parameters on the
    # server and prepares a statement the fifth time a connection runs it. PostgreSQL
    # may then reuse one generic plan for it, but a generic plan knows nothing of the
    # dates a report asks for, and the staff leaderboard's period queries got slower
    # with them. Never behind a pooler that cannot keep prepared
    # statements per client (PgBouncer in transaction mode without
    # `max_prepared_statements`).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=False):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling, login lockouts) ---------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    # No server needed: messages and results are rows in SQLite files, written in a
    # transaction, so a consumer never reads a half-written message (kombu's filesystem
    # transport could hand one over and stop the worker: kombu issue #1551). The
    # transport polls, and has no fanout, so no remote control (`celery inspect`).
    _celery_dir = VAR_DIR / "celery"
    _celery_dir.mkdir(parents=True, exist_ok=True)
    _broker = embedded.embedded_broker(
        _celery_dir / "broker.sqlite3", queue=CELERY_TASK_DEFAULT_QUEUE
    )
    CELERY_BROKER_URL = f"sqla+sqlite:///{_broker}"
    # Passed to SQLAlchemy's create_engine: wait for a writer's lock, as Django does.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"connect_args": {"timeout": 20}}
    _results = embedded.made_once(
        _celery_dir / "results.sqlite3", embedded.sqlite_database_in_wal_mode
    )
    CELERY_RESULT_BACKEND = f"db+sqlite:///{_results}"
    CELERY_DATABASE_ENGINE_OPTIONS = {"connect_args": {"timeout": 20}}
    # The worker takes messages only while fewer than its prefetch are unfinished, and
    # otherwise waits a whole polling interval (kombu's, one second): with one message
    # per process it would start no more tasks per interval than it has processes.
    CELERY_WORKER_PREFETCH_MULTIPLIER = 16
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
if REDIS_URL:
    # One task at a time per process: a long task never holds others back on Redis.
    CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# What tasks print (the console email backend of `make run`) is output, not a warning.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    # The decision events are the outbox of decision emails (mdf.notifications).
    "mdf-decision-emails": {
        "task": "mdf.tasks.send_decision_emails",
        "schedule": env.float("MDF_DECISION_EMAIL_SECONDS", default=15.0),
    },
    "mdf-roll-over-pools": {
        "task": "mdf.tasks.roll_over_pools",
        "schedule": crontab(hour=1, minute=0),
    },
    "mdf-deadline-reminders": {
        "task": "mdf.tasks.send_deadline_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    "purge-idempotency-records": {
        "task": "partners.tasks.purge_idempotency_records",
        "schedule": crontab(hour=3, minute=15),
    },
    "mdf-sweep-orphan-proof-files": {
        "task": "mdf.tasks.sweep_orphan_proof_files",
        "schedule": crontab(hour=4, minute=0),
    },
    "mdf-sla-reminders": {
        "task": "mdf.tasks.send_sla_reminders",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon-fri"),
    },
}
CELERY_BEAT_SCHEDULE["assets-purge-cobranded-copies"] = {
    "task": "assets.tasks.purge_cobranded_copies",
    "schedule": crontab(hour=2, minute=30),
}
# Results are fresh within a minute: the rollup reads what arrived since its last run.
CELERY_BEAT_SCHEDULE["analytics-rollup-metrics"] = {
    "task": "analytics.tasks.rollup_metrics",
    "schedule": env.float("ANALYTICS_ROLLUP_SECONDS", default=60.0),
}
CELERY_BEAT_SCHEDULE["analytics-purge-visitor-salts"] = {
    "task": "analytics.tasks.purge_visitor_salts",
    "schedule": crontab(hour=0, minute=5),
}
# Business reviews: attendees are reminded this many days before (hourly check, once
# per review); overdue action items are told to their owner once (daily).
REVIEW_REMINDER_DAYS = env.int("REVIEW_REMINDER_DAYS", default=2)
CELERY_BEAT_SCHEDULE["campaigns-review-reminders"] = {
    "task": "campaigns.tasks.send_review_reminders",
    "schedule": crontab(minute=20),
}
CELERY_BEAT_SCHEDULE["campaigns-overdue-action-items"] = {
    "task": "campaigns.tasks.send_overdue_action_item_reminders",
    "schedule": crontab(hour=7, minute=45),
}
# Plans whose period has ended close with their scorecard frozen (after the night's
# rollup has the period's last results).
CELERY_BEAT_SCHEDULE["campaigns-close-ended-plans"] = {
    "task": "campaigns.tasks.close_ended_plans",
    "schedule": crontab(hour=5, minute=30),
}
# Partner surveys: rounds open on their send date, reminders before they close.
CELERY_BEAT_SCHEDULE["partners-run-surveys"] = {
    "task": "partners.tasks.run_partner_surveys",
    "schedule": crontab(hour=8, minute=0),
}
# Invitations whose after-commit email task never sent them (a message the broker lost,
# a send that failed) are emailed by this sweep; it leaves fresh ones to their own task
# (partners.services.recruitment.INVITATION_SWEEP_DELAY, longer than this period).
CELERY_BEAT_SCHEDULE["partners-owed-invitation-emails"] = {
    "task": "partners.tasks.send_owed_invitation_emails",
    "schedule": crontab(minute="*/5"),
}
# Tier compliance: each active partner's recommended tier over its trailing windows.
CELERY_BEAT_SCHEDULE["partners-assess-tiers"] = {
    "task": "partners.tasks.assess_tiers",
    "schedule": crontab(hour=5, minute=0),
}
# Deal registration: protection ends (after midnight), reminders 14 and 3 days before,
# and a sweep for decision emails whose after-commit task never ran.
CELERY_BEAT_SCHEDULE["deals-expire"] = {
    "task": "deals.tasks.expire_deals",
    "schedule": crontab(hour=0, minute=30),
}
CELERY_BEAT_SCHEDULE["deals-expiry-reminders"] = {
    "task": "deals.tasks.send_deal_expiry_reminders",
    "schedule": crontab(hour=7, minute=15),
}
CELERY_BEAT_SCHEDULE["deals-pending-emails"] = {
    "task": "deals.tasks.send_pending_deal_emails",
    "schedule": env.float("DEALS_EMAIL_SWEEP_SECONDS", default=300.0),
}
# Lead SLA: offers not answered in time expire and their leads are routed on.
CELERY_BEAT_SCHEDULE["deals-leads-sla"] = {
    "task": "deals.tasks.reroute_overdue_leads",
    "schedule": crontab(minute="*/5"),
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Files -------------------------------------------------------------------
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Media are never served from a public URL; downloads go through access-checked views.
MEDIA_URL = "/media-not-public/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="path"),
            "signature_version": "s3v4",
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Largest non-file request body (JSON, form fields) accepted; larger answers 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
# Largest whole request (file uploads included); later issues raise it for assets.
REQUEST_MAX_BODY_SIZE = env.int("REQUEST_MAX_BODY_SIZE", default=600 * 1024 * 1024)
# The results sync (POST /api/v1/results/) reads its JSON itself: 5,000 events with
# every field at its longest fit in this. Paths here get their own limit.
RESULTS_MAX_BODY_SIZE = env.int("RESULTS_MAX_BODY_SIZE", default=8 * 1024 * 1024)
REQUEST_BODY_LIMITS = {"/api/v1/results": RESULTS_MAX_BODY_SIZE}
# The partner CSV import of the admin (django-import-export): one transaction per file,
# so a file with a bad row imports nothing.
PARTNER_IMPORT_MAX_BYTES = env.int("PARTNER_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
IMPORT_EXPORT_USE_TRANSACTIONS = True
LOGO_MAX_BYTES = env.int("LOGO_MAX_BYTES", default=2 * 1024 * 1024)
LOGO_MAX_PIXELS = env.int("LOGO_MAX_PIXELS", default=16_000_000)
# Content library (assets/): the largest file, image pixel limit, signed URL lifetime,
# PostgreSQL text search configuration.
ASSET_MAX_BYTES = env.int("ASSET_MAX_BYTES", default=500 * 1024 * 1024)
ASSET_MAX_PIXELS = env.int("ASSET_MAX_PIXELS", default=100_000_000)
ASSET_DOWNLOAD_URL_TTL = env.int("ASSET_DOWNLOAD_URL_TTL", default=300)
ASSET_SEARCH_CONFIG = env.str("ASSET_SEARCH_CONFIG", default="english")

# --- Email -------------------------------------------------------------------
# Either one URL (EMAIL_URL) or its parts (EMAIL_HOST, …); with neither, the console.
if env.str("EMAIL_HOST", default="") and not env.str("EMAIL_URL", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
else:
    vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PartnerHub <noreply@partnerhub.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth --------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Signs in the user an identity provider vouched for (docs/sso.md).
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# An address that fails for this many usernames within the cool-off time is locked out
# whatever the username (config.lockout): well above one person's typos behind a shared
# office address, well below a list of usernames tried with one password.
AXES_HANDLER = "config.lockout.AccountAndAddressLockoutHandler"
LOGIN_LOCKOUT_USERNAMES_PER_ADDRESS = env.int("LOGIN_LOCKOUT_USERNAMES_PER_ADDRESS", default=10)
AXES_LOCKOUT_TEMPLATE = "portal/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Reverse proxies in front of the app, each appending to X-Forwarded-For: the client's
# address is that many entries from the right (0: REMOTE_ADDR, the header is ignored).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT

# --- Single sign-on (docs/sso.md) ----------------------------------------------------
# django-allauth's OpenID Connect provider signs people in through their company's
# identity provider; the rules (who may, into which partner, with which role) are
# partners/services/sso.py, asked by partners.sso.SignOnAdapter.
SOCIALACCOUNT_ADAPTER = "partners.sso.SignOnAdapter"
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in starts with a POST from our login pages
SOCIALACCOUNT_AUTO_SIGNUP = True  # just-in-time accounts, no signup form
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # the identity provider vouches for the address
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # our rules find the user, not allauth's
SOCIALACCOUNT_STORE_TOKENS = False  # we need who signed in, not access to their IdP
SOCIALACCOUNT_QUERY_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_EMAIL_NOTIFICATIONS = False
# allauth's own account pages are not served (config/urls.py): these go to ours.
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
# The staff identity provider, when configured here rather than in the admin. Its
# allauth provider_id is "staff"; `SSO_STAFF_ROLE_MAP` maps values of the role claim to
# staff roles (partners/roles.py): "partnerhub-finance=Finance approver,…".
SSO_STAFF_PROVIDER_ID = "staff"
SSO_STAFF_OIDC_SERVER_URL = env.str("SSO_STAFF_OIDC_SERVER_URL", default="")
SSO_STAFF_OIDC_CLIENT_ID = env.str("SSO_STAFF_OIDC_CLIENT_ID", default="")
SSO_STAFF_OIDC_CLIENT_SECRET = env.str("SSO_STAFF_OIDC_CLIENT_SECRET", default="")
SSO_STAFF_OIDC_NAME = env.str("SSO_STAFF_OIDC_NAME", default="Company account")
SSO_STAFF_ROLE_CLAIM = env.str("SSO_STAFF_ROLE_CLAIM", default="groups")
SSO_STAFF_ROLE_MAP = env.dict("SSO_STAFF_ROLE_MAP", default={})
# False: staff cannot sign in with a password (the login pages say to use the company
# account); partner users are not affected.
SSO_STAFF_PASSWORD_LOGIN = env.bool("SSO_STAFF_PASSWORD_LOGIN", default=True)
# The addresses a partner admin gives for the company's identity provider (issuer URL,
# SAML metadata URL) are fetched by our server: off (the production default), they must
# be https and reach the public internet only, never our own network (a provider on
# localhost or an intranet is what development and the tests use).
SSO_PARTNER_PRIVATE_ADDRESSES = env.bool("SSO_PARTNER_PRIVATE_ADDRESSES", default=DEBUG)
SOCIALACCOUNT_PROVIDERS: dict = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": SSO_STAFF_PROVIDER_ID,
                    "name": SSO_STAFF_OIDC_NAME,
                    "client_id": SSO_STAFF_OIDC_CLIENT_ID,
                    "secret": SSO_STAFF_OIDC_CLIENT_SECRET,
                    "settings": {
                        "server_url": SSO_STAFF_OIDC_SERVER_URL,
                        "oauth_pkce_enabled": True,
                    },
                }
            ]
            if SSO_STAFF_OIDC_SERVER_URL and SSO_STAFF_OIDC_CLIENT_ID
            else []
        ),
    }
}

# --- Security (strict whenever DEBUG is off) ----------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # /healthz answers load balancers over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- I18N --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("de", _("German")),
    ("fr", _("French")),
    ("es", _("Spanish")),
    ("pt-br", _("Portuguese (Brazil)")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The login page's language choice outlives the browser session (a year).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- REST API ------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "partners.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "config.api_input.SearchFilter",  # errors name `search`
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["partners.authentication.PerClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "client": env.str("API_THROTTLE_RATE", default="600/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "config.api_input.JSONParser",  # refuses deeply nested bodies with a 400
        "rest_framework.parsers.MultiPartParser",
    ],
    "COERCE_DECIMAL_TO_STRING": True,
    "DEFAULT_VERSIONING_CLASS": None,
}
DRF_STANDARDIZED_ERRORS = {
    # Adds Django's RequestDataTooBig & co. (multipart bodies) as 413s.
    "EXCEPTION_HANDLER_CLASS": "config.api.ExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "413", "415", "429"],
    # 413 comes from partners.middleware.RequestSizeLimitMiddleware, not from DRF.
    "ERROR_SCHEMAS": {"413": "config.openapi.ErrorResponse413Serializer"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PartnerHub API",
    "DESCRIPTION": (
        "Partner marketing platform API. Authenticate with an API key in the "
        "`Authorization: Api-Key <key>` header. Errors share one format: "
        "`{type, errors: [{code, detail, attr}]}` where `attr` names the field."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in (
            "ValidationErrorEnum",
            "ClientErrorEnum",
            "ServerErrorEnum",
            "ErrorCode401Enum",
            "ErrorCode403Enum",
            "ErrorCode404Enum",
            "ErrorCode405Enum",
            "ErrorCode406Enum",
            "ErrorCode415Enum",
            "ErrorCode429Enum",
            "ErrorCode500Enum",
        )
    }
    | {
        # Campaigns: one name per choice set shared by several serializers.
        "ChannelEnum": "campaigns.models.Channel",
        "LaunchStatusEnum": "campaigns.models.Launch.Status",
        "CampaignKitStatusEnum": "campaigns.models.CampaignKit.Status",
        "PlanStatusEnum": "campaigns.models.Plan.Status",
        "PlanActivityStatusEnum": "campaigns.models.PlanActivity.Status",
        # The 400 of a request whose body may also fail to parse (a claim's, a results
        # batch's): a validation error or the parse error.
        "ValidationOrParseErrorEnum": ["validation_error", "client_error"],
    }
    | {"ErrorCode413Enum": "config.openapi.ErrorCode413Enum.choices"}
    # Business reviews: an action item's owner side and an attendee's side are one set.
    | {"OwnerSideEnum": "campaigns.models.PlanActivity.OwnerSide"}
    # Deals: statuses and actions of several deal and lead tables, each set named once.
    | {
        "DealStatusEnum": "deals.models.Deal.Status",
        "DealExtensionStatusEnum": "deals.models.DealExtension.Status",
        "DealEventActionEnum": "deals.models.DealEvent.Action",
        "LeadStatusEnum": "deals.models.Lead.Status",
        "LeadOfferStatusEnum": "deals.models.LeadOffer.Status",
        "LeadRoutingActionEnum": "deals.models.LeadRoutingEntry.Action",
        "DeclineReasonEnum": "deals.models.LeadOffer.DeclineReason",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "config.openapi.item_error_attr_patterns",
    ],
    # Tags and operation ids from the path after /api/v1 ("partners", not "v1").
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Generation runs with partner scopes disabled (the schema holds no partner data).
    "DEFAULT_GENERATOR_CLASS": "config.openapi.SchemaGenerator",
    # The ApiKeyAuth security scheme comes from config.openapi.APIKeyAuthenticationScheme.
}

# --- Logging -------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # 4xx answers are the client's business, not ours: keep them out of error logs.
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
    },
}

# --- MDF -------------------------------------------------------------------------
PROOF_MAX_BYTES = env.int("PROOF_MAX_BYTES", default=25 * 1024 * 1024)
PROOF_MAX_PIXELS = env.int("PROOF_MAX_PIXELS", default=50_000_000)

# --- Onboarding --------------------------------------------------------------------
# An onboarding partner with no completed step for this many days is listed as stalled.
ONBOARDING_STALLED_DAYS = env.int("ONBOARDING_STALLED_DAYS", default=14)
