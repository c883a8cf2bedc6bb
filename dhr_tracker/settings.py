"""Settings for the DHR tracker, read only from the environment.

With nothing set, the app runs in the embedded default: SQLite, local document storage and a
generated secret key, all under ``var/``; Celery in eager mode; e-mail printed to the console.
``DHR_ENV=production`` turns every default off: each production secret must be given, and the
system checks in ``dhr_tracker/checks.py`` refuse unsafe combinations.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from dhr_tracker.environment import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_secret,
    env_str,
    generated_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DHR_VAR_DIR", str(BASE_DIR / "var")))

DHR_ENV = env_choice("DHR_ENV", ("embedded", "production"), default="embedded")
PRODUCTION = DHR_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DHR_ENV=production")

_secret_key = env_secret("SECRET_KEY")
if _secret_key is None:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DHR_ENV=production")
    _secret_key = generated_secret(VAR_DIR / "secret_key", nbytes=50, purpose="Django secret key")
SECRET_KEY = _secret_key

_field_keys = env_list("FIELD_ENCRYPTION_KEYS")
if not _field_keys and (_field_keys_file := env_secret("FIELD_ENCRYPTION_KEYS")):
    _field_keys = [k.strip() for k in _field_keys_file.split(",") if k.strip()]
if not _field_keys:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS (or FIELD_ENCRYPTION_KEYS_FILE) must be set when DHR_ENV=production"
        )
    _field_keys = [
        "embedded-1="
        + generated_secret(VAR_DIR / "keys" / "field-encryption.key", nbytes=32, purpose="field encryption key")
    ]
# Newest first: the first key encrypts, all of them decrypt. See dhr_tracker/fieldcrypto.py.
FIELD_ENCRYPTION_KEYS = _field_keys

# The key of the blind indexes (keyed hashes) of sealed personal data. See dhr_tracker/blindindex.py.
_blind_key = env_secret("BLIND_INDEX_KEY")
if _blind_key is None:
    if PRODUCTION:
        raise ImproperlyConfigured("BLIND_INDEX_KEY (or BLIND_INDEX_KEY_FILE) must be set when DHR_ENV=production")
    _blind_key = generated_secret(VAR_DIR / "keys" / "blind-index.key", nbytes=32, purpose="blind index key")
BLIND_INDEX_KEY = _blind_key

# The Ed25519 key that signs audit checkpoints (base64url of the 32-byte private seed).
_audit_key = env_secret("AUDIT_SIGNING_KEY")
if _audit_key is None:
    if PRODUCTION:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY (or AUDIT_SIGNING_KEY_FILE) must be set when DHR_ENV=production")
    _audit_key = generated_secret(VAR_DIR / "keys" / "audit-signing.key", nbytes=32, purpose="audit signing key")
AUDIT_SIGNING_KEY = _audit_key
# Public keys (base64url) of earlier signing keys, so their checkpoints still verify.
AUDIT_RETIRED_PUBLIC_KEYS = env_list("AUDIT_RETIRED_PUBLIC_KEYS")
AUDIT_INTEGRATION = "dhr_tracker.accounts.audit_integration"
AUDIT_CHECKPOINT_SECONDS = env_int("AUDIT_CHECKPOINT_SECONDS", default=300, minimum=10)
# Each process chains recorded events at most this often, so that under load one pass takes many;
# Celery beat picks up what the limit leaves. Without a broker there is no beat: chain every time.
AUDIT_CHAIN_INTERVAL_SECONDS = 0.05 if env_str("CELERY_BROKER_URL") else 0.0

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DHR_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SITE_NAME = env_str("SITE_NAME", "Domestic Homicide Review tracker")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "auditlog",
    "audit",
    "sharing",
    "dhr_tracker.accounts",
    "dhr_tracker.reviews",
    "dhr_tracker.chronologies",
    "dhr_tracker.reports",
    "dhr_tracker.funding",
    "dhr_tracker.backup",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dhr_tracker.accounts.middleware.SecurityHeadersMiddleware",
    # Inside the headers, outside everything that queries the database (the session's save too).
    "dhr_tracker.unavailable.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "dhr_tracker.accounts.middleware.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "audit.middleware.AuditMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "dhr_tracker.accounts.middleware.SessionExpiryMiddleware",
    "dhr_tracker.accounts.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

# Django's security.W003 looks for its own CSRF middleware by name; ours is a subclass of it
# (see accounts/middleware.py), and dhr.E009 checks that it is installed instead.
SILENCED_SYSTEM_CHECKS = ["security.W003"]

ROOT_URLCONF = "dhr_tracker.urls"
WSGI_APPLICATION = "dhr_tracker.wsgi.application"

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
                "dhr_tracker.accounts.context_processors.service",
            ],
        },
    },
]
FORM_RENDERER = "dhr_tracker.forms.GovukFormRenderer"

_database_url = env_str("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must be set when DHR_ENV=production")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": dj_database_url.parse(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction begins, so audit writers queue instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60  # An hour: long enough to read the e-mail, short if it leaks.

# Sessions end after 30 idle minutes: every request pushes the expiry forward.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_NAME = "dhr_session"
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_NAME = "dhr_csrf"
CSRF_FAILURE_VIEW = "dhr_tracker.accounts.views.csrf_failure"

# Account protection (dhr_tracker/accounts/lockout.py).
LOCKOUT_ACCOUNT_FAILURES = env_int("LOCKOUT_ACCOUNT_FAILURES", default=5, minimum=1)
LOCKOUT_ADDRESS_FAILURES = env_int("LOCKOUT_ADDRESS_FAILURES", default=20, minimum=1)
LOCKOUT_WINDOW_MINUTES = env_int("LOCKOUT_WINDOW_MINUTES", default=15, minimum=1)
LOCKOUT_MINUTES = env_int("LOCKOUT_MINUTES", default=30, minimum=1)
SUDO_MODE_MINUTES = 15
# The number of proxies in front of the app whose X-Forwarded-For we trust (0: use the socket).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0, minimum=0)

# Transport and browser security. HSTS is only ever sent over HTTPS, so it is safe to set always.
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "manifest-src": [SELF],
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

# govuk-frontend's compiled CSS refers to /assets/fonts and /assets/images, so static files are
# served from /assets/ with its asset folder at the root.
STATIC_URL = "/assets/"
STATIC_ROOT = VAR_DIR / "static"
_GOVUK = BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"
STATICFILES_DIRS = [BASE_DIR / "static", _GOVUK / "assets", ("govuk", _GOVUK)]

_s3_bucket = env_str("AWS_STORAGE_BUCKET_NAME")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": _s3_bucket,
                "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
                "region_name": env_str("AWS_S3_REGION_NAME") or None,
                "default_acl": None,
                "querystring_auth": False,
                "file_overwrite": False,
            },
        }
        if _s3_bucket
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": VAR_DIR / "documents",
                "directory_permissions_mode": 0o700,
                "file_permissions_mode": 0o600,
            },
        }
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}

# Information sharing (sharing/): which models are parties and scopes, and how documents are kept.
SHARING_PARTY_MODEL = "accounts.Agency"
SHARING_SCOPE_MODEL = "accounts.Partnership"
SHARING_INTEGRATION = "dhr_tracker.sharing_integration"
# Key-encryption keys: a local keyring file (embedded default) or AWS KMS.
SHARING_KEY_PROVIDER = env_choice("SHARING_KEY_PROVIDER", ("local", "kms"), default="local")
SHARING_KEYRING_FILE = Path(env_str("SHARING_KEYRING_FILE", str(VAR_DIR / "keys" / "sharing-keyring.json")))
SHARING_KMS_KEY_ID = env_str("SHARING_KMS_KEY_ID")
SHARING_KMS_REGION = env_str("SHARING_KMS_REGION")
SHARING_KMS_ENDPOINT_URL = env_str("SHARING_KMS_ENDPOINT_URL")
if SHARING_KEY_PROVIDER == "kms" and not SHARING_KMS_KEY_ID:
    raise ImproperlyConfigured("SHARING_KMS_KEY_ID must be set when SHARING_KEY_PROVIDER=kms")
# Ciphertext of uploads waits here until it is checked and stored; web and workers must share it.
SHARING_SPOOL_DIR = Path(env_str("SHARING_SPOOL_DIR", str(VAR_DIR / "spool")))
SHARING_MAX_UPLOAD_BYTES = env_int("SHARING_MAX_UPLOAD_BYTES", default=2 * 1024**3, minimum=1)
# "" for none, clamd://host:3310 or clamd+unix:///run/clamav/clamd.sock.
SHARING_SCANNER_URL = env_str("SHARING_SCANNER_URL")

# Review deadlines (DHR.md s3, s19). The defaults are the guidance's; [U] items are local choices.
REVIEW_DECISION_MONTHS = env_int("REVIEW_DECISION_MONTHS", default=1, minimum=1)
REVIEW_COMPLETION_MONTHS = env_int("REVIEW_COMPLETION_MONTHS", default=6, minimum=1)
REVIEW_SCOPING_WORKING_DAYS = env_int("REVIEW_SCOPING_WORKING_DAYS", default=10, minimum=1)
REVIEW_REQUEST_WEEKS = env_int("REVIEW_REQUEST_WEEKS", default=8, minimum=1)
REVIEW_AMBER_DAYS = env_int("REVIEW_AMBER_DAYS", default=14, minimum=0)
# Reminders go this many days before a deadline, and once when it is overdue.
REVIEW_REMINDER_DAYS = [int(day) for day in env_list("REVIEW_REMINDER_DAYS", default=["14", "7", "1"])]

# The risk indicators a chronology entry may carry (DHR.md s7, issue 6), in the order shown.
CHRONOLOGY_RISK_INDICATORS = env_list(
    "CHRONOLOGY_RISK_INDICATORS",
    default=[
        "DASH standard risk",
        "DASH medium risk",
        "DASH high risk",
        "MARAC referral",
        "Coercive control",
        "Substance use",
        "Mental health",
        "Pregnancy",
        "Separation",
        "Children in the household",
        "Weapon",
        "Strangulation",
        "Stalking",
        "Threat to kill",
        "Suicidal thoughts",
    ],
)

# Reports, quality assurance and publication (DHR.md s10-12, issue 7).
# The themes reviews and recommendations are tagged with, for learning across reviews, in the order shown.
REPORT_THEMES = env_list(
    "REPORT_THEMES",
    default=[
        "Coercive control",
        "Suicide",
        "Mental health",
        "Substance misuse",
        "Older victims",
        "Economic abuse",
        "Stalking",
        "Children",
        "Domestic abuse of men",
        "Disability",
        "Honour-based abuse",
        "Information sharing",
        "Risk assessment",
        "Multi-agency working",
    ],
)
# The wording of the Home Office quality assurance panel's three outcomes, "code=wording;...":
# publish, publish_with_changes and resubmit; any left out keep their default wording.
REPORT_QA_OUTCOME_WORDING = env_str("REPORT_QA_OUTCOME_WORDING")
# The largest candidate publication the anonymisation check reads, and so the largest published file.
REPORT_MAX_PUBLICATION_BYTES = env_int("REPORT_MAX_PUBLICATION_BYTES", default=50 * 1024**2, minimum=1024)

_broker = env_str("CELERY_BROKER_URL")
CELERY_BROKER_URL = _broker or "memory://"
CELERY_TASK_ALWAYS_EAGER = not _broker
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With acks_late, Redis hands a task that was never acknowledged (its worker died) to another
# worker once this many seconds have passed since it was delivered. Longer than any task runs,
# and than any countdown a retry sets (at most 600 s), or a slow task would run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=5),
    # Without these kombu waits forever on a Redis that accepts connections but never answers, and
    # so does the page that queued a task. Above the consumer's BRPOP timeout (1 s).
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
}
# Two tries, not four: with Redis down a page answers in ~0.2 s (refused) or ~4 s (hung), and the
# sweeps queue the work again once it is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BEAT_SCHEDULE = {
    "audit-chain": {"task": "audit.tasks.chain_pending", "schedule": 5},
    "audit-chain-sweep": {"task": "audit.tasks.chain_pending", "schedule": 600, "kwargs": {"sweep": True}},
    "audit-checkpoint": {"task": "audit.tasks.publish_checkpoint", "schedule": AUDIT_CHECKPOINT_SECONDS},
    "sharing-expire-protocols": {"task": "sharing.tasks.expire_protocols", "schedule": crontab(hour=0, minute=5)},
    "sharing-shred-expired": {"task": "sharing.tasks.shred_expired", "schedule": crontab(hour=1, minute=0)},
    "sharing-sweep-uploads": {"task": "sharing.tasks.sweep_uploads", "schedule": 900},
    "chronologies-sweep-imports": {"task": "dhr_tracker.chronologies.tasks.sweep_imports", "schedule": 300},
    "reviews-send-reminders": {
        "task": "dhr_tracker.reviews.tasks.send_reminders",
        # Hourly through the working day: each e-mail goes once, so a run lost while Redis was
        # down is made good within the hour.
        "schedule": crontab(minute=0, hour="7-18"),
    },
    "reviews-weekly-digest": {
        "task": "dhr_tracker.reviews.tasks.send_digests",
        "schedule": crontab(minute=30, hour="7-18", day_of_week="mon-fri"),
    },
    "reports-unpublish-due": {
        "task": "dhr_tracker.reports.tasks.unpublish_due",
        "schedule": crontab(hour=0, minute=15),
    },
    "funding-stream-reminders": {
        "task": "dhr_tracker.funding.tasks.send_stream_reminders",
        "schedule": crontab(minute=10, hour="7-18"),
    },
}

_email_host = env_str("EMAIL_HOST")
if _email_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email_host
    EMAIL_PORT = env_int("EMAIL_PORT", default=587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "dhr-tracker@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # fontTools logs every font subset it makes for a PDF at INFO.
    "loggers": {"django.security": {"level": "INFO"}, "fontTools": {"level": "WARNING"}},
}
