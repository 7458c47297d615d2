"""Django settings, read from CLOSELOOP_* environment variables with safe demo defaults.

Two modes: ``demo``/development (the default, embedded SQLite in the data directory, a secret
generated and kept there) and ``production`` (``CLOSELOOP_MODE=production``), which refuses to
start with a missing, short or well-known secret key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from closeloop.core.config import (
    env_bool,
    env_int,
    env_list,
    load_or_create_secret_key,
    resolve_data_dir,
    validate_production_secret,
)

BASE_DIR = Path(__file__).resolve().parent

MODE = os.environ.get("CLOSELOOP_MODE", "demo").strip().lower()
if MODE not in {"demo", "development", "production"}:
    raise ImproperlyConfigured(
        f"CLOSELOOP_MODE must be demo, development or production, not {MODE!r}"
    )
IS_PRODUCTION = MODE == "production"

DATA_DIR = resolve_data_dir(os.environ.get("CLOSELOOP_DATA_DIR"))

if IS_PRODUCTION:
    SECRET_KEY = validate_production_secret(os.environ.get("CLOSELOOP_SECRET_KEY", ""))
else:
    SECRET_KEY = os.environ.get("CLOSELOOP_SECRET_KEY") or load_or_create_secret_key(DATA_DIR)

DEBUG = env_bool("CLOSELOOP_DEBUG", default=False)
ALLOWED_HOSTS = env_list(
    "CLOSELOOP_ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if IS_PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("CLOSELOOP_ALLOWED_HOSTS must be set in production mode")
CSRF_TRUSTED_ORIGINS = env_list("CLOSELOOP_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "closeloop.core",
    "closeloop.people",
    "closeloop.customers",
    "closeloop.sla",
    "closeloop.tickets",
    "closeloop.triage",
    "closeloop.knowledge",
    "closeloop.channels",
    "closeloop.portal",
    "closeloop.feedback",
    "closeloop.quality",
    "closeloop.workspace",
    "closeloop.analytics",
    "closeloop.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "closeloop.core.middleware.ApiJsonErrorsMiddleware",
    "closeloop.core.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "closeloop.urls"
WSGI_APPLICATION = "closeloop.wsgi.application"
ASGI_APPLICATION = "closeloop.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite runs in WAL mode with IMMEDIATE transactions, so concurrent writers queue on the lock
# instead of failing with "database is locked" when a read transaction upgrades to a write.
SQLITE_INIT = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA busy_timeout=20000;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA cache_size=-32000;"
)
DATABASE_URL = (
    os.environ.get("CLOSELOOP_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'closeloop.sqlite3'}"
)
_database = dj_database_url.parse(
    DATABASE_URL, conn_max_age=env_int("CLOSELOOP_DB_CONN_MAX_AGE", 60)
)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["CONN_MAX_AGE"] = (
        0 if DATABASE_URL.endswith(":memory:") else _database["CONN_MAX_AGE"]
    )
    _database["OPTIONS"] = {
        "init_command": SQLITE_INIT,
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _database.setdefault("TEST", {})["NAME"] = os.environ.get("CLOSELOOP_TEST_SQLITE_NAME")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = (
    [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    ]
    if IS_PRODUCTION
    else []
)
LOGIN_URL = "/admin/login/"

LANGUAGE_CODE = os.environ.get("CLOSELOOP_LANGUAGE", "en")
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("CLOSELOOP_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"

if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("CLOSELOOP_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Background work ------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CLOSELOOP_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "sweeps"],
    }
}

# --- Closeloop ------------------------------------------------------------------------------
CLOSELOOP: dict[str, Any] = {
    # Largest accepted request body; larger ones are refused with 413 before they are read.
    "MAX_REQUEST_BYTES": env_int("CLOSELOOP_MAX_REQUEST_BYTES", 1_048_576),
    # Largest form with files (multipart): the portal's attachments plus room for the text.
    "MAX_UPLOAD_REQUEST_BYTES": env_int("CLOSELOOP_MAX_UPLOAD_REQUEST_BYTES", 21 * 1024 * 1024),
    # Region used to read phone numbers written without a country code.
    "DEFAULT_PHONE_REGION": os.environ.get("CLOSELOOP_DEFAULT_PHONE_REGION", "CN"),
    # Seconds between two sweeps of `closeloop worker`.
    "WORKER_SWEEP_SECONDS": env_int("CLOSELOOP_WORKER_SWEEP_SECONDS", 30),
    # Largest file stored with a message; a larger one is noted on the message, not stored.
    "MAX_ATTACHMENT_BYTES": env_int("CLOSELOOP_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024),
    # Largest raw inbound email accepted (webhook and IMAP); the request limit applies to
    # the webhook as well.
    "MAX_EMAIL_BYTES": env_int("CLOSELOOP_MAX_EMAIL_BYTES", 25 * 1024 * 1024),
    # An inbound payload still unprocessed after this many seconds was left behind by a
    # worker that died; the worker's recovery sweep processes it again.
    "INBOUND_RECOVER_SECONDS": env_int("CLOSELOOP_INBOUND_RECOVER_SECONDS", 60),
    # Signs POST /api/v1/channels/email/inbound (HMAC, see docs/channels.md); empty: disabled.
    "EMAIL_WEBHOOK_SECRET": os.environ.get("CLOSELOOP_EMAIL_WEBHOOK_SECRET", ""),
    # Redis for the WebSocket channel layer when more than one web process serves chat.
    "REDIS_URL": os.environ.get("CLOSELOOP_REDIS_URL", ""),
    # Public base URL (links in mail, the chat widget's socket address behind a proxy).
    "PUBLIC_URL": os.environ.get("CLOSELOOP_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
    # SMS gateway for replies a channel cannot carry (HTTP POST, HMAC-signed JSON).
    "SMS_GATEWAY_URL": os.environ.get("CLOSELOOP_SMS_GATEWAY_URL", ""),
    "SMS_GATEWAY_SECRET": os.environ.get("CLOSELOOP_SMS_GATEWAY_SECRET", ""),
    # Portal: all files attached to one form together (each is also held to
    # MAX_ATTACHMENT_BYTES).
    "PORTAL_MAX_UPLOAD_BYTES": env_int("CLOSELOOP_PORTAL_MAX_UPLOAD_BYTES", 20 * 1024 * 1024),
    # Whether Django's EMAIL_* below name a real SMTP server. Without it (and without a
    # default mailbox with an SMTP host) the portal logs sign-in links instead of mailing them.
    "EMAIL_CONFIGURED": bool(os.environ.get("CLOSELOOP_EMAIL_HOST")),
    # Portal: how many reverse proxies in front of Closeloop append to X-Forwarded-For; the
    # client address (for the sign-in rate limit) is the entry that many from the right.
    # 0: the connection's own address (no proxy, or one not to be trusted).
    "PORTAL_PROXY_HOPS": env_int("CLOSELOOP_PORTAL_PROXY_HOPS", 0),
    # The QA check on chats: the longest the customer may wait for the agent (wall clock).
    "QA_SILENCE_MINUTES": env_int("CLOSELOOP_QA_SILENCE_MINUTES", 10),
}
# Outgoing mail when no support mailbox in the admin has an SMTP server (sign-in links,
# reply notices): CLOSELOOP_EMAIL_HOST, _PORT, _USER, _PASSWORD, _USE_TLS, _FROM.
EMAIL_HOST = os.environ.get("CLOSELOOP_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CLOSELOOP_EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("CLOSELOOP_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CLOSELOOP_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CLOSELOOP_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("CLOSELOOP_EMAIL_FROM", "webmaster@localhost")
# The portal keeps a signed-in customer in the session: two weeks, renewed as they use it.
SESSION_COOKIE_AGE = env_int("CLOSELOOP_SESSION_SECONDS", 14 * 24 * 3600)
DATA_UPLOAD_MAX_MEMORY_SIZE = CLOSELOOP["MAX_REQUEST_BYTES"]
# WebSockets (chat widget, live agent updates): in-process layer by default, Redis when
# CLOSELOOP_REDIS_URL is set (needed as soon as more than one process serves sockets).
CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CLOSELOOP["REDIS_URL"]]},
        }
        if CLOSELOOP["REDIS_URL"]
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CLOSELOOP_LOG_LEVEL", "INFO")},
    "loggers": {"django_tasks_db": {"level": "WARNING"}, "django_tasks": {"level": "WARNING"}},
}
