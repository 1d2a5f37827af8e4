"""Frontdesk settings: read from the environment only (see the README's table).

Defaults give a working single-machine install: SQLite in WAL mode, Huey on SQLite,
a SQLite-backed channel layer, all under FRONTDESK_DATA_DIR. REDIS_URL moves the
task queue, the channel layer and the cache to Redis; DATABASE_URL moves the data
to PostgreSQL.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor as WhitenoiseCompressor

from frontdesk.env import (
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
    persistent_secret_key,
    private_data_dir,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("FRONTDESK_DATA_DIR", str(BASE_DIR.parent / "data"))).resolve()
private_data_dir(DATA_DIR)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY") or persistent_secret_key(DATA_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The address people and providers reach this install at, e.g. https://desk.example.org.
# Webhook signatures (Twilio signs the URL it called) and links in emails use it.
PUBLIC_BASE_URL = env_str("FRONTDESK_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Where browsers open the live-update websocket. Empty means "same origin, /ws/",
# which is right behind a proxy; `frontdesk serve` points it at its ASGI port.
WEBSOCKET_URL = env_str("FRONTDESK_WEBSOCKET_URL", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "channels_lite",
    "django_htmx",
    "huey.contrib.djhuey",
    "axes",
    # The API docs page then serves Swagger UI from the package, not from a CDN.
    "ninja",
    "frontdesk.core",
    "frontdesk.accounts",
    "frontdesk.live",
    "frontdesk.inbox",
    "frontdesk.triage",
    "frontdesk.api",
    # Domain apps above the inbox (DESIGN.md): listening, outreach, community.
    "frontdesk.listening",
    "frontdesk.outreach",
    "frontdesk.community",
    # Channels, one app per kind (frontdesk/channels/<kind>/); each declares its kind
    # (frontdesk/inbox/kinds.py), and URLs, setup pages and choices follow from it.
    # The public contact form: its templates and its rate-limit cache check.
    "frontdesk.channels.webform",
    # Text messages (Twilio first): channel configuration, webhooks, keywords.
    "frontdesk.channels.sms",
    # Email: IMAP mailboxes, the SMTP receiver, provider webhooks, threading, replies.
    "frontdesk.channels.email",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "frontdesk.core.middleware.RequestLogMiddleware",
    # Providers' webhooks (/hooks/…) skip the browser middleware below.
    "frontdesk.core.middleware.HookFastLaneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "frontdesk.core.middleware.CurrentWorkspaceMiddleware",
    # An action's refusal or error a view let through: the 403 page, a 400, an htmx toast.
    "frontdesk.core.middleware.ActionErrorMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "frontdesk.urls"
WSGI_APPLICATION = "frontdesk.wsgi.application"
ASGI_APPLICATION = "frontdesk.asgi.application"

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
                "frontdesk.core.context_processors.frontdesk",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'frontdesk.sqlite3'}")
_default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
IS_SQLITE = _default_db["ENGINE"] == "django.db.backends.sqlite3"

SQLITE_OPTIONS = {
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
    # BEGIN so two writers queue on the busy timeout instead of failing mid-transaction.
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA temp_store=MEMORY;"
        "PRAGMA mmap_size=134217728;"
        "PRAGMA cache_size=-32000;"
    ),
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if IS_SQLITE:
    _default_db["OPTIONS"] = {**SQLITE_OPTIONS, **_default_db.get("OPTIONS", {})}
    # A persistent SQLite connection is cheap and keeps the page cache warm.
    _default_db["CONN_MAX_AGE"] = None

DATABASES: dict[str, Any] = {
    "default": _default_db,
    # The channel layer's queue lives in its own SQLite file so its polling never
    # contends with the main database's writers (unused once REDIS_URL is set).
    "channels": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "channels.sqlite3",
        "OPTIONS": SQLITE_OPTIONS,
        "CONN_MAX_AGE": None,
        "TEST": {"NAME": DATA_DIR / "test-channels.sqlite3"},
    },
}
DATABASE_ROUTERS = ["frontdesk.live.router.ChannelLayerRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: task queue, channel layer and cache ---------------------------------------
REDIS_URL = env_str("REDIS_URL", "")

HUEY: dict[str, Any] = {
    "name": "frontdesk",
    "immediate": env_bool("FRONTDESK_HUEY_IMMEDIATE", False),
    "results": False,
    "utc": True,
    "consumer": {
        "workers": env_int("FRONTDESK_WORKER_THREADS", 4),
        "worker_type": "thread",
        "periodic": True,
        "check_worker_health": True,
    },
}
# Inbound events (frontdesk/inbox/intake.py): a claim older than this belongs to a
# worker that died mid-processing, and a row still pending after the grace period
# lost its task; the sweep (when a worker starts, then every minute) re-queues both.
# Keep the timeout well above the slowest processing of one message.
INBOX_CLAIM_TIMEOUT_SECONDS = env_int("FRONTDESK_INBOX_CLAIM_TIMEOUT", 300)
INBOX_PENDING_GRACE_SECONDS = env_int("FRONTDESK_INBOX_PENDING_GRACE", 30)
if INBOX_CLAIM_TIMEOUT_SECONDS < 1 or INBOX_PENDING_GRACE_SECONDS < 1:
    raise ImproperlyConfigured(
        "FRONTDESK_INBOX_CLAIM_TIMEOUT and FRONTDESK_INBOX_PENDING_GRACE are seconds, at least 1"
    )
# Outreach sending (docs/outreach.md): a claimed batch older than the timeout belongs
# to a dead worker and goes back to the queue; the rate is messages per second per
# sending account and worker thread (0: as fast as the server takes them); senders is
# how many sending loops a start or the minute tick asks for.
OUTREACH_CLAIM_TIMEOUT_SECONDS = env_int("FRONTDESK_OUTREACH_CLAIM_TIMEOUT", 120)
OUTREACH_RATE_PER_SECOND = env_int("FRONTDESK_OUTREACH_RATE", 0)
OUTREACH_SENDERS = env_int("FRONTDESK_OUTREACH_SENDERS", 2)
# SMTP connections a sending loop keeps to one account: its messages go out in waves
# of this many, one commit per wave (1: one message at a time).
OUTREACH_CONNECTIONS = env_int("FRONTDESK_OUTREACH_CONNECTIONS", 4)
# How a stored inbound event reaches a worker: "poll" (the default) leaves the event
# row as the queue: each worker's poller claims new rows in batches within a quarter
# of a second, sparing each webhook a second write, and processes a batch in one
# transaction (benchmarks/README.md, "Intake drain"). "push" enqueues a task per
# event, processed one at a time.
INBOX_INTAKE = env_str("FRONTDESK_INBOX_INTAKE", "poll").lower()
if INBOX_INTAKE not in ("push", "poll"):
    raise ImproperlyConfigured("FRONTDESK_INBOX_INTAKE must be push or poll")
if REDIS_URL:
    HUEY |= {"huey_class": "huey.PriorityRedisHuey", "url": REDIS_URL}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "frontdesk",
        }
    }
else:
    HUEY |= {
        "huey_class": "frontdesk.queue.SqliteHuey",
        "filename": str(DATA_DIR / "tasks.sqlite3"),
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_lite.layers.core.SQLiteChannelLayer",
            "CONFIG": {"database": "channels", "polling_interval": 0.05},
        }
    }
    CACHES = {
        "default": {
            # Shared by every web and worker process (rate limits must be), and
            # needs nothing beyond the database: `frontdesk migrate` creates the table.
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "frontdesk_cache",
        }
    }

# --- Accounts ---------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
INVITATION_TTL_DAYS = 14

# Login rate limiting (django-axes): lock a username+address pair after repeated
# failures, for a cool-off period, and say so on the page.
AXES_FAILURE_LIMIT = env_int("FRONTDESK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("FRONTDESK_LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("FRONTDESK_PROXY_COUNT", 0)
AXES_VERBOSE = False

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Files --------------------------------------------------------------------------------
STATIC_URL = "/static/"
# Collected (hashed, compressed) static files: in the data folder unless several
# installs or a front web server share one folder.
STATIC_ROOT = Path(env_str("FRONTDESK_STATIC_DIR", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("FRONTDESK_MEDIA_DIR", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
# Source maps (megabytes, opened only by browser developer tools) are served as they
# are: compressing them was most of `frontdesk setup`'s time.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*WhitenoiseCompressor.SKIP_COMPRESS_EXTENSIONS, "map")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email ------------------------------------------------------------------------------------
# Without a mail server, mail is printed (console); in the demo it is written to files
# in EMAIL_FILE_PATH instead, so the demo's notification emails do not bury the
# sign-in banner `frontdesk serve` prints (it names that folder).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend"
    if env_bool("FRONTDESK_DEMO", False)
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env_str("FRONTDESK_EMAIL_DIR", str(DATA_DIR / "sent-email"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Frontdesk <frontdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------------
# FRONTDESK_HTTPS=true is the production switch: secure cookies, HSTS, redirect to
# https. With it and a real SECRET_KEY, `manage.py check --deploy` is silent.
HTTPS = env_bool("FRONTDESK_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("FRONTDESK_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("FRONTDESK_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env_bool("FRONTDESK_HSTS_PRELOAD", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("FRONTDESK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("FRONTDESK_LOG_FORMAT", "text")  # text (logfmt-like) or json
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"()": "frontdesk.logs.KeyValueFormatter"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # Task failures and worker start-up, not a line for every periodic sweep.
        "huey": {"level": "WARNING"},
        "huey.consumer": {"level": "INFO"},
        "huey.consumer.Scheduler": {"level": "WARNING"},
        # The twilio SDK logs every API request (URLs with customers' numbers) at INFO.
        "twilio.http_client": {"level": "WARNING"},
        # httpx logs every request at INFO: a line per feed polled.
        "httpx": {"level": "WARNING"},
    },
}

# --- Frontdesk ----------------------------------------------------------------------------------
# SMS: the largest MMS picture or file fetched from the provider, and how long a call
# to the provider's REST API may take before it counts as a temporary failure.
SMS_MEDIA_MAX_BYTES = env_int("FRONTDESK_SMS_MEDIA_MAX_BYTES", 5 * 1024 * 1024)
SMS_API_TIMEOUT_SECONDS = env_int("FRONTDESK_SMS_API_TIMEOUT", 10)
# How long a web process remembers an SMS channel found by its webhook key
# (frontdesk/channels/sms/lookup.py); a change reaches every process within it.
SMS_CHANNEL_CACHE_SECONDS = env_int("FRONTDESK_SMS_CHANNEL_CACHE_SECONDS", 5)

FRONTDESK_DEMO = env_bool("FRONTDESK_DEMO", False)
# The demo app (frontdesk/demo: `load_demo`, the phone simulator, the Twilio stand-in)
# is installed in demo mode only. The test suite installs it without demo mode
# (FRONTDESK_DEMO_APP) to test it; its pages still answer 404 unless FRONTDESK_DEMO.
if FRONTDESK_DEMO or env_bool("FRONTDESK_DEMO_APP", False):
    INSTALLED_APPS.append("frontdesk.demo")
# The demo's published sign-in, shown on the sign-in page and by `serve` in demo mode.
DEMO_LOGIN = ("maya@riverside-library.example", "frontdesk-demo")
# Staff photos (MEDIA_ROOT/staff, shown to customers) served by Django itself: right
# for one machine; at scale let the proxy serve that folder and set this to false.
# Attachments are never served from /media/: only by the signed-in attachment view.
SERVE_MEDIA = env_bool("FRONTDESK_SERVE_MEDIA", True)
# {"provider": "base URL"} as JSON, e.g. {"twilio": "http://127.0.0.1:8765"}: points an
# adapter at another address (a loopback stand-in in tests, a regional endpoint).
# Read by frontdesk/connectors/http.py, the one outbound HTTP client.
try:
    CONNECTOR_BASE_URLS = json.loads(env_str("FRONTDESK_CONNECTOR_BASE_URLS", "") or "{}")
except ValueError as _exc:
    raise ImproperlyConfigured(f"FRONTDESK_CONNECTOR_BASE_URLS is not JSON: {_exc}") from None
if not isinstance(CONNECTOR_BASE_URLS, dict):
    raise ImproperlyConfigured("FRONTDESK_CONNECTOR_BASE_URLS must be a JSON object")
if FRONTDESK_DEMO and not CONNECTOR_BASE_URLS.get("twilio"):
    # The demo has no Twilio account: the worker's REST calls go to the stand-in the
    # demo serves itself (/demo/twilio/), which the phone simulator reads.
    CONNECTOR_BASE_URLS["twilio"] = PUBLIC_BASE_URL + "/demo/twilio"

# The contact address in the listening crawler's User-Agent ("Frontdesk/x (listening
# crawler; +<public URL>; <contact>)"); empty: DEFAULT_FROM_EMAIL's address.
LISTENING_CRAWLER_CONTACT = env_str("FRONTDESK_CRAWLER_CONTACT", "")

# Email by IMAP (frontdesk/channels/email/imap_poll.py): how often the worker reads each
# mailbox, how many messages one FETCH takes, how long a server may stay silent, and a
# CA bundle to trust for a mail server with a private certificate authority.
IMAP_POLL_SECONDS = max(60, env_int("FRONTDESK_IMAP_POLL_SECONDS", 60))
IMAP_BATCH_SIZE = max(1, env_int("FRONTDESK_IMAP_BATCH_SIZE", 25))
IMAP_TIMEOUT_SECONDS = max(5, env_int("FRONTDESK_IMAP_TIMEOUT_SECONDS", 30))
IMAP_CA_FILE = env_str("FRONTDESK_IMAP_CA_FILE", "")

# Amazon SES through SNS (frontdesk/connectors/email/sns.py): where SNS signing
# certificates and subscription confirmations may be fetched from, as URL prefixes in
# which `*` is one DNS label. Only AWS's own hosts by default; tests add a loopback one.
SNS_ALLOWED_URLS = env_list(
    "FRONTDESK_SNS_ALLOWED_URLS",
    ["https://sns.*.amazonaws.com/", "https://sns.*.amazonaws.com.cn/"],
)

# Listening (frontdesk/listening/polling.py): how many requests the poller makes to one
# host at once, the pause between two requests to one host (feeds often share one),
# and the threads one poll run fetches with.
LISTENING_HOST_CONCURRENCY = max(1, env_int("FRONTDESK_LISTENING_HOST_CONCURRENCY", 2))
LISTENING_HOST_DELAY_SECONDS = max(0, env_int("FRONTDESK_LISTENING_HOST_DELAY_MS", 1000)) / 1000
LISTENING_POLL_THREADS = max(1, env_int("FRONTDESK_LISTENING_POLL_THREADS", 8))
# Fetch and read sources in a process of their own beside each worker process (the
# feed reader, listening/fetcher.py), so parsing and storing each have a core; by
# default where there is more than one.
LISTENING_FETCH_PROCESS = env_bool("FRONTDESK_LISTENING_FETCH_PROCESS", (os.cpu_count() or 1) > 1)

# IMAP IDLE in the worker (frontdesk/channels/email/imap_idle.py): at most this many
# mailboxes keep a connection waiting for new mail (the rest are polled); 0: poll only.
IMAP_IDLE_MAILBOXES = max(0, env_int("FRONTDESK_IMAP_IDLE_MAILBOXES", 20))
