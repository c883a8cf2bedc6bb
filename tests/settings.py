"""Test settings: the real settings, with throwaway keys and fast password hashing."""

import os
import tempfile

# Keys and files for this run only, never the developer's var/.
os.environ["DHR_VAR_DIR"] = tempfile.mkdtemp(prefix="dhr-test-")
os.environ.setdefault("DHR_ENV", "embedded")

from dhr_tracker.settings import *  # noqa: F403

# Tests only: a flush that lifts the audit triggers for the reset between transactional tests.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.dbreset"]  # noqa: F405

# Events are chained when a test reads the trail (``EventLog`` in tests/conftest.py chains what is
# pending first), not after every event: a pass per event was a third of the suite's time. The
# tests of chaining itself and the browser journeys (which read the trail through its pages) set
# the interval to 0.
AUDIT_CHAIN_INTERVAL_SECONDS = 10**6

# Hashing strength is not what these tests measure; MD5 keeps each sign-in fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The broker is the real Redis throughout, but tasks run inline unless a test starts a real
# worker (tests/integration/test_worker.py), which turns eager mode off for its duration.
_redis = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Under pytest-xdist each worker process has a database of its own (pytest-django adds a suffix) and
# takes the Redis database below the last one's, so one worker's Celery workers never take the
# other's tasks: gw0 uses the given database, gw1 the one below it.
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
_base, _, _db = _redis.rpartition("/")
CELERY_BROKER_URL = f"{_base}/{int(_db) - _worker}"
CELERY_TASK_ALWAYS_EAGER = True
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# WhiteNoise looks for collected files at start-up; tests serve them from the finders instead.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
