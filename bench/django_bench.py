"""What the Django benchmarks share: a PostgreSQL database of their own, and a signed-in client."""

from typing import Any

import psycopg


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
