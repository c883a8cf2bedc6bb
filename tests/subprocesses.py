"""The app run by a test in a process of its own: the URL of this run's database, and an
environment that gives the process this run's keys and files.

The process runs ``dhr_tracker.settings`` as in production, configured only through the
environment: the test's own ``DHR_VAR_DIR`` (so it holds the keys the test settings generated, and
sessions, sealed fields and documents made by the test are valid there), ``DEBUG`` off, and no
broker unless the test names one (tasks then run inline).
"""

import os
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def database_url(*, name: str | None = None, user: str | None = None) -> str:
    """This run's database server: the test database unless ``name``, as its own user unless ``user``."""
    db = connection.settings_dict
    credentials = quote(user or db["USER"] or "postgres", safe="")
    if db["PASSWORD"] and user is None:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name or db['NAME']}"


def app_environment(*, database: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of an app process on ``database`` (this run's test database by default)."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "dhr_tracker.settings",
        "DHR_VAR_DIR": str(settings.VAR_DIR),
        "SHARING_KEYRING_FILE": str(settings.SHARING_KEYRING_FILE),
        "SHARING_SPOOL_DIR": str(settings.SHARING_SPOOL_DIR),
        "DATABASE_URL": database or database_url(),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
