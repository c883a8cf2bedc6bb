"""What the Django benchmarks share: a PostgreSQL database of their own, and a signed-in client."""

import os
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def ensure_database(url: str) -> None:
    """Create the benchmark's database if it does not exist (before Django starts)."""
    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def signed_in(user: Any) -> Any:
    """A test client signed in as ``user`` with a verified second factor, as after the sign-in pages."""
    # Imported here: the benchmarks call ensure_database() before Django is set up.
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from dhr_tracker.accounts.models import TOTPDevice, new_totp_secret

    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        device = TOTPDevice(user=user, name="bench", confirmed=True)
        device.set_secret(new_totp_secret())
        device.save()
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def configure(default_url: str, var_name: str) -> str:
    """Set Django up as in production on the benchmark's own database and ``var/<var_name>``; return the URL.

    ``BENCH_DATABASE_URL`` overrides ``default_url``. Call before importing anything of Django's.
    """
    url = os.environ.get("BENCH_DATABASE_URL", default_url)
    os.environ["DATABASE_URL"] = url
    var_dir = ROOT / "var" / var_name
    os.environ["DHR_VAR_DIR"] = str(var_dir)
    # Without DEBUG, WhiteNoise serves collected static files from here and warns if it is missing; none is requested.
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dhr_tracker.settings")
    # As in production: no debug bookkeeping of every query.
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    ensure_database(url)
    import django

    django.setup()
    return url
