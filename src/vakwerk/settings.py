"""Vakwerk's one settings module: every knob is an environment variable with a safe default.

The defaults suit development on one machine (SQLite, DEBUG on). With ``VAKWERK_DEBUG=false`` the
system checks in ``vakwerk.shell.checks`` refuse to start without a real secret key, allowed hosts
and secure cookies. Every variable is listed in docs/operations.md.
"""

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from vakwerk import env

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = SRC_DIR.parent.parent

DEBUG = env.get_bool("VAKWERK_DEBUG", True)
# The development key is public on purpose; the production check refuses it.
DEV_SECRET_KEY = "dev-only-insecure-key-vakwerk-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.get_str("VAKWERK_SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env.get_list("VAKWERK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.get_list("VAKWERK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "vakwerk.shell",
    "vakwerk.accounts",
    "vakwerk.organisations",
    "vakwerk.people",
    "vakwerk.frameworks",
    "vakwerk.assessments",
    "vakwerk.measurement",
    "vakwerk.insights",
    "vakwerk.development",
    "vakwerk.practice",
    "vakwerk.nudges",
    "vakwerk.api",
    "vakwerk.badges",
    "django_tasks_db",
    "crontask",
    "vakwerk.audit",
    "vakwerk.lib",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "vakwerk.lib.middleware.PermissionsPolicyMiddleware",
    "vakwerk.shell.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "vakwerk.lib.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "vakwerk.organisations.middleware.ActiveOrganisationMiddleware",
    "vakwerk.accounts.middleware.RequireMfaMiddleware",
]

if not DEBUG:  # in development runserver serves static files itself
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "vakwerk.urls"
WSGI_APPLICATION = "vakwerk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vakwerk.organisations.context_processors.organisation",
                "vakwerk.shell.navigation.navigation",
                "vakwerk.nudges.context_processors.notifications",
            ],
        },
    },
]

# SQLite with WAL by default; PostgreSQL (production) through DATABASE_URL. Connections are
# kept for a minute and checked before each request reuses one: after a database restart the
# first request of every process would otherwise fail on its broken connection (test_faults).
DATABASES = {
    "default": dj_database_url.parse(
        env.get_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file, not memory: with an in-memory database Django shares one connection
    # between the live server's threads, which is not safe for concurrent (htmx) requests.
    # Two test runs at once need two files: VAKWERK_TEST_DB names another one.
    DATABASES["default"]["TEST"] = {
        "NAME": env.get_str("VAKWERK_TEST_DB", str(BASE_DIR / "var" / "test.sqlite3"))
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
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
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "shell:home"
LOGOUT_REDIRECT_URL = "account_login"

# django-allauth: email login, no self sign-up (people come from HR, SCIM or SSO), MFA.
ACCOUNT_ADAPTER = "vakwerk.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "vakwerk.accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
# Throttling and lockout: at most 5 failed logins per account per 15 minutes, 20 per address.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.get_str("VAKWERK_LOGIN_RATE_LIMIT", "20/m/ip,5/15m/key"),
    "reset_password": "10/m/ip,3/15m/key",
}
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_ONLY = False
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_TOTP_ISSUER = "Vakwerk"
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_PASSKEY_LOGIN_ENABLED = False

SESSION_COOKIE_AGE = env.get_int("VAKWERK_SESSION_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# The age counts from the last request, an idle timeout: lib.middleware.SessionIdleTimeoutMiddleware
# saves the session again when it was last saved longer ago than SESSION_REFRESH seconds (Django's
# SESSION_SAVE_EVERY_REQUEST would write it on every request).
# At most a tenth of the session age, so that a short age stays an idle timeout.
SESSION_REFRESH = min(env.get_int("VAKWERK_SESSION_REFRESH", 5 * 60), SESSION_COOKIE_AGE // 10)
SESSION_COOKIE_SECURE = env.get_bool("VAKWERK_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_HSTS_SECONDS = env.get_int("VAKWERK_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_SSL_REDIRECT = env.get_bool("VAKWERK_SSL_REDIRECT", False)
if env.get_bool("VAKWERK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy: nothing inline, nothing from elsewhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF, "https:", "http://127.0.0.1:*", "http://localhost:*"],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if not DEBUG:
    SECURE_CSP["form-action"] = [CSP.SELF, "https:"]
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [SRC_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.get_str("VAKWERK_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
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
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

_EMAIL_HOST = env.get_str("VAKWERK_EMAIL_HOST", "")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST,
                "port": env.get_int("VAKWERK_EMAIL_PORT", 587),
                "username": env.get_str("VAKWERK_EMAIL_USER", ""),
                "password": env.get_str("VAKWERK_EMAIL_PASSWORD", ""),
                "use_tls": env.get_bool("VAKWERK_EMAIL_TLS", True),
            },
        }
        if _EMAIL_HOST
        # Without a mail server, mail is printed to the console (development, demo).
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
# Where Vakwerk is reached; used for links in emails sent by background jobs.
BASE_URL = env.get_str("VAKWERK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env.get_str("VAKWERK_FROM_EMAIL", "Vakwerk <noreply@vakwerk.invalid>")

# Open Badges (docs/badges.md): the Ed25519 private key (PEM) that signs badges, and the public
# keys (PEM) of earlier signing keys, still published so that older badges keep verifying. With
# DEBUG off a system check refuses to start without a signing key; in development one is
# generated once into var/ (never used when a key is configured).
BADGE_SIGNING_KEY = env.get_str("VAKWERK_BADGE_SIGNING_KEY", "")
BADGE_RETIRED_KEYS = env.get_str("VAKWERK_BADGE_RETIRED_KEYS", "")
BADGE_DEV_KEY_FILE = str(BASE_DIR / "var" / "badge-signing-key.pem") if DEBUG else ""

# Demo data: the shared password and TOTP secret of the demo logins (printed by `make demo`).
DEMO_PASSWORD = env.get_str("VAKWERK_DEMO_PASSWORD", "vakwerk-demo-2026")
DEMO_TOTP_SECRET = env.get_str("VAKWERK_DEMO_TOTP_SECRET", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.get_str("VAKWERK_LOG_LEVEL", "INFO")},
    # WeasyPrint and the font subsetter it uses log every step of every PDF at INFO.
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
    },
}

# A cache shared by all workers: login throttling and one-time TOTP codes depend on it.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "vakwerk_cache",
    }
}
# REST API (/api/v1): requests per token per minute; 0 switches the limit off.
API_RATE_LIMIT = env.get_int("VAKWERK_API_RATE_LIMIT", 600)
# An LRS endpoint on this machine or in a private network (api.xapi.endpoint_problem).
LRS_PRIVATE_ADDRESSES = env.get_bool("VAKWERK_LRS_PRIVATE_ADDRESSES", False)

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Background tasks (Django's tasks API) with the queue in our own database: run
# `manage.py db_worker` next to the web server (docs/operations.md). Large people imports use it.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
