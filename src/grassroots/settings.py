"""Settings, read from the environment so one build serves demo, tests and production.

`DATABASE_URL` selects the database (SQLite file under `var/` when unset); `GRASSROOTS_SECRET_KEY`,
`GRASSROOTS_DEBUG` and `GRASSROOTS_ALLOWED_HOSTS` do what their names say.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("GRASSROOTS_HOME", Path.cwd())).resolve()
VAR_DIR = BASE_DIR / "var"

DEBUG = os.environ.get("GRASSROOTS_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("GRASSROOTS_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("GRASSROOTS_SECRET_KEY must be set when GRASSROOTS_DEBUG=0")
    SECRET_KEY = "insecure-development-key-only-for-local-demo"
ALLOWED_HOSTS = [h for h in os.environ.get("GRASSROOTS_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its templates and static files: the API docs load Swagger UI from here, not from a CDN
    "grassroots.core",
    "grassroots.orgs",
    "grassroots.needs",
    "grassroots.funding",
    "grassroots.applications",
    "grassroots.review",
    "grassroots.awards",
    "grassroots.contracts",
    "grassroots.delivery",
    "grassroots.evaluation",
    "grassroots.disclosure",
    "grassroots.governance",
    "grassroots.simulation",
    "grassroots.api",
    "grassroots.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "grassroots.urls"
WSGI_APPLICATION = "grassroots.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

_default_sqlite = f"sqlite:///{VAR_DIR / 'grassroots.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer rather than failing at once; IMMEDIATE makes write transactions take the
    # lock up front, which is what serialises concurrent payments on SQLite.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["TEST"] = {"NAME": ""}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Dates and numbers as each language writes them (web/formats/<language>/formats.py, over Django's own).
FORMAT_MODULE_PATH = ["grassroots.web.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

GRASSROOTS = {
    # Number of reviewers each application gets unless a call says otherwise.
    "REVIEWERS_PER_APPLICATION": 3,
    # Largest file accepted as a photo, sign-in sheet or receipt.
    "ATTACHMENT_MAX_BYTES": int(os.environ.get("GRASSROOTS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)),
}

OPEN_DATA = {
    # Open data (OCDS): each call's ocid is "<prefix>-<call reference>"; register a prefix with the Open
    # Contracting Partnership before publishing for real.
    "OCID_PREFIX": os.environ.get("GRASSROOTS_OCID_PREFIX", "ocds-grsrts"),
    # The address the platform is reached at, for the URIs of exported packages and releases.
    "PUBLIC_URL": os.environ.get("GRASSROOTS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
    # Who publishes the open data (the package's publisher).
    "PUBLISHER": os.environ.get("GRASSROOTS_OCDS_PUBLISHER", "Grassroots"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRASSROOTS_LOG_LEVEL", "WARNING")},
}
