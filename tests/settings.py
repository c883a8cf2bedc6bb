"""Test settings: the real settings, with throwaway keys and fast password hashing."""

import os
import tempfile

# Keys and files for this run only, never the developer's var/.
os.environ["DHR_VAR_DIR"] = tempfile.mkdtemp(prefix="dhr-test-")
# Tasks run inline unless a test starts a real worker (tests/integration/test_worker.py).
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.setdefault("DHR_ENV", "embedded")

from dhr_tracker.settings import *  # noqa: F403

# Hashing strength is not what these tests measure; MD5 keeps each sign-in fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# WhiteNoise looks for collected files at start-up; tests serve them from the finders instead.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
