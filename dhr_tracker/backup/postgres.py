"""The database's part of a backup: one consistent snapshot, dumped by pg_dump and loaded by psql.

The dump is plain SQL, gzip-compressed by pg_dump itself, and goes through pipes only: it is read
from pg_dump's output into the archive's encryption, and from the archive's decryption into
psql's input, so no plaintext copy of the database is ever written to disk. Both programs get
the connection settings Django uses (``DATABASES["default"]``), password included, through
their environment rather than their command line.

The dump keeps owners and privileges, so a database set up with the two roles of
``docs/operations.md`` comes back with the audit tables still closed to the application role.
"""

import contextlib
import os
import subprocess
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, cast

from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from sharing.crypto import CHUNK_SIZE

# Enough of a failing program's own words to say what went wrong.
_STDERR_TAIL = 2000


class NotPostgreSQL(Exception):
    """The database is not PostgreSQL, which backups and restores need."""


class ToolFailed(Exception):
    """pg_dump or psql failed; the message ends with what it said."""


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise NotPostgreSQL(f"the database is {connection.vendor}, not PostgreSQL")


def database_name() -> str:
    return str(connection.settings_dict["NAME"])


def _command(program: str, parameters: list[str]) -> tuple[list[str], dict[str, str]]:
    """Return the arguments and environment to run ``program`` against Django's database."""
    args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, parameters)
    return [program, *args[1:]], {**os.environ, **(env or {})}


def _start(args: list[str], env: dict[str, str], **streams: Any) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(args, env=env, **streams)  # noqa: S603 fixed arguments, no shell
    except FileNotFoundError:
        raise ToolFailed(
            f"{args[0]} was not found: install the PostgreSQL client programs, of the server's version or newer"
        ) from None


def _said(stderr: IO[bytes]) -> str:
    stderr.seek(0)
    text = stderr.read().decode(errors="replace").strip()
    return text[-_STDERR_TAIL:] or "(it said nothing)"


@contextmanager
def snapshot() -> Iterator[str]:
    """Hold a repeatable-read transaction open and yield its exported snapshot's id.

    Queries made inside see exactly what ``dump`` of that id writes, however busy the database.
    The transaction must be the outermost (``durable``): only a new one can choose its isolation.
    """
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        yield str(cursor.fetchall()[0][0])


def table_names() -> list[str]:
    return sorted(connection.introspection.table_names())


def table_counts() -> dict[str, int]:
    """Count the rows of every table."""
    counts = {}
    with connection.cursor() as cursor:
        for name in table_names():
            # The names come from the catalogue, quoted; nothing here comes from a user.
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
            counts[name] = int(cursor.fetchall()[0][0])
    return counts


def applied_migrations() -> list[str]:
    """Return the applied migrations as ``app.name``, sorted."""
    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def migration_differences() -> tuple[list[str], list[str]]:
    """Return the code's migrations the database lacks, and the database's migrations the code lacks."""
    loader = MigrationLoader(connection)
    applied = set(loader.applied_migrations or {})
    known = set(loader.disk_migrations)
    unapplied = sorted(f"{app}.{name}" for app, name in known - applied)
    unknown = sorted(f"{app}.{name}" for app, name in applied - known)
    return unapplied, unknown


def dump(snapshot_id: str) -> Iterator[bytes]:
    """Yield the whole database as gzip-compressed SQL, as seen by the snapshot ``snapshot_id``.

    Raises ``ToolFailed`` (after yielding what it had) if pg_dump fails.
    """
    args, env = _command("pg_dump", ["--format=plain", "--compress=6", f"--snapshot={snapshot_id}", "--no-password"])
    with tempfile.TemporaryFile() as stderr:
        process = _start(args, env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
        output = cast(IO[bytes], process.stdout)  # stdout=PIPE
        try:
            while piece := output.read(CHUNK_SIZE):
                yield piece
        finally:
            # A reader that stopped early must not leave pg_dump running.
            if process.poll() is None:
                process.kill()
            output.close()
            returncode = process.wait()
        if returncode != 0:
            raise ToolFailed(f"pg_dump exited with status {returncode}: {_said(stderr)}")


def _gunzip(pieces: Iterable[bytes]) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    for piece in pieces:
        if data := decompressor.decompress(piece):
            yield data
    if tail := decompressor.flush():
        yield tail
    if not decompressor.eof or decompressor.unused_data:
        raise ToolFailed("the database dump is not one complete gzip stream")


def load(pieces: Iterable[bytes]) -> None:
    """Run the gzip-compressed SQL of ``pieces`` through psql in one transaction.

    On any error psql stops and the transaction is rolled back, so the database is left as it
    was (empty, for a restore). Raises ``ToolFailed`` saying what psql said.
    """
    args, env = _command(
        "psql",
        ["--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1", "--single-transaction", "--file=-"],
    )
    with tempfile.TemporaryFile() as stderr:
        process = _start(args, env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        script = cast(IO[bytes], process.stdin)  # stdin=PIPE
        try:
            with contextlib.suppress(BrokenPipeError), script:
                for data in _gunzip(pieces):
                    script.write(data)
        except BaseException:
            process.kill()
            process.wait()
            raise
        returncode = process.wait()
        if returncode != 0:
            raise ToolFailed(f"psql exited with status {returncode}: {_said(stderr)}")
