"""What the Django benchmarks share: a PostgreSQL database of their own, a signed-in client, and a chained audit trail."""

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import psycopg

from bench.reporting import require

ROOT = Path(__file__).resolve().parent.parent
# The database of the benchmark that configured Django first, in this process.
_configured: str | None = None


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
    A benchmark that imports another for its pieces keeps its own database: the first call wins.
    """
    global _configured
    if _configured is not None:
        return _configured
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
    _configured = url
    return url


def write_trail(events: Iterable[Mapping[str, Any]]) -> int:
    """Write ``events`` (each with every name in ``audit.chain.FIELDS``) as a correctly chained trail; return how many.

    The trail must be empty. COPY is far faster than one insert each; it holds the connection,
    so ``events`` must not query the database. The events stand for pending events 1..n, so the
    pending sequence is moved past them: new events come after.
    """
    # Imported here, as in signed_in().
    from django.db import connection

    from audit import chain

    columns = [
        "seq",
        "source_id",
        "prev_hash",
        "hash",
        *("details_json" if f == "details" else f for f in chain.FIELDS),
    ]
    connection.ensure_connection()
    raw = connection.connection
    require(raw is not None, "no database connection")
    prev, seq = chain.GENESIS, 0
    with raw.cursor() as cursor, cursor.copy(f"COPY audit_auditevent ({', '.join(columns)}) FROM STDIN") as copy:
        for seq, fields in enumerate(events, start=1):
            content = chain.canonical(fields)
            digest = chain.entry_hash(prev, seq, content)
            values = [fields[name] for name in chain.FIELDS]
            values[chain.FIELDS.index("details")] = chain.canonical_details(fields["details"])
            copy.write_row([seq, seq, prev, digest, *values])
            prev = digest
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('audit_pendingevent', 'id'), %s)", [seq])
    return seq
