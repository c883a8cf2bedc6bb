"""A varied world committed to the database, and an empty PostgreSQL database and folder to restore into.

``RestoreTarget`` is a fresh service as a new server would be: its own database (named after the
test database, so runs on other databases never collide), its own ``DHR_VAR_DIR`` (document
storage, spool and keyring), and the same keys as this test process, given through the
environment as production gives them. Commands run against it in a subprocess.
"""

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from django.test import TestCase
from psycopg import sql

from audit.chaining import chain_pending
from audit.checkpoints import publish_checkpoint
from dhr_tracker.backup import services
from sharing.keys import ScryptParams
from sharing.models import DocumentVersion, Space
from sharing.services import documents
from sharing.services import protocols as sharing_services
from tests.reviews.conftest import ReviewWorld, review_world
from tests.sharing.conftest import clean_storage, world
from tests.sharing.samples import sample
from tests.subprocesses import database_url

__all__ = ["clean_storage", "review_world", "world"]  # fixtures, used by name

PASSPHRASE = "a long backup passphrase 2026"
# More than one 1 MiB chunk, so a document's chunking and the archive's framing both show.
LONG_NOTES = b"Agency A Police: contact log, 2024-2026.\n" * 40_000


@dataclass
class Uploaded:
    version: DocumentVersion
    content: bytes


@dataclass
class BackupWorld:
    coordinator_email: str
    uploaded: list[Uploaded]
    shredded: DocumentVersion


def upload_stored(space: Space, actor: Any, content: bytes, name: str, title: str) -> Uploaded:
    """Upload a document through the services and store it, as the task after the commit does."""
    fields = documents.DocumentFields(title=title, description="", classification="official", access_expires_at=None)
    with TestCase.captureOnCommitCallbacks(execute=True):
        document = documents.upload_document(
            space, actor=actor, fields=fields, upload=documents.receive_bytes(content, name), request=None
        )
    return Uploaded(document.versions.get(), content)


@pytest.fixture
def backup_world(review_world: ReviewWorld, clean_storage: None) -> BackupWorld:
    """A review with sealed personal data, documents stored (one in two versions, one shredded), a signed checkpoint."""
    world, personas = review_world, review_world.personas
    space = sharing_services.create_space(world.protocol, actor=personas.coordinator, name="DHR-2026-01", request=None)
    sharing_services.add_member(
        space, actor=personas.coordinator, user_id=personas.contributor_a.pk, party_id=world.agency_a.pk, request=None
    )
    contributor = personas.contributor_a
    chronology = upload_stored(space, contributor, sample("pdf"), "chronology.pdf", "Police chronology")
    with TestCase.captureOnCommitCallbacks(execute=True):
        second = documents.add_version(
            chronology.version.document,
            actor=contributor,
            upload=documents.receive_bytes(sample("docx"), "chronology-v2.docx"),
            request=None,
        )
    notes = upload_stored(space, contributor, LONG_NOTES, "contact-log.txt", "Contact log")
    expired = upload_stored(space, contributor, sample("txt"), "old.txt", "Superseded notes")
    documents.shred_document(
        expired.version.document, today=expired.version.document.retention_ends_on + timedelta(days=1)
    )
    chain_pending()
    publish_checkpoint()
    # Events after the last checkpoint, so the restored chain must verify beyond a signed head too.
    sharing_services.create_space(world.protocol, actor=personas.coordinator, name="DHR-2026-01 panel", request=None)
    expired.version.refresh_from_db()
    return BackupWorld(
        coordinator_email=personas.coordinator.email,
        uploaded=[chronology, Uploaded(second, sample("docx")), notes],
        shredded=expired.version,
    )


def _maintenance() -> psycopg.Connection[Any]:
    return psycopg.connect(database_url(name="postgres"), autocommit=True)


@dataclass
class RestoreTarget:
    database: str
    var_dir: Path

    @property
    def storage(self) -> Path:
        return self.var_dir / "documents"

    @property
    def keyring(self) -> Path:
        return self.var_dir / "keys" / "sharing-keyring.json"

    def environment(self) -> dict[str, str]:
        # Nothing of this process's storage, keyring, broker or key files; its keys, given directly.
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AWS_", "SHARING_", "CELERY_", "DJANGO_")) and not name.endswith("_FILE")
        }
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "dhr_tracker.settings",
            "DHR_ENV": "embedded",
            "DATABASE_URL": database_url(name=self.database),
            "DHR_VAR_DIR": str(self.var_dir),
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
            "AUDIT_SIGNING_KEY": settings.AUDIT_SIGNING_KEY,
            "LOG_LEVEL": "WARNING",
        }

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``manage.py`` against this service, as an operator on the new server would."""
        return subprocess.run(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def query(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(database_url(name=self.database), autocommit=True) as conn:
            return conn.execute(text, params).fetchall()

    def tables(self) -> list[str]:
        return sorted(row[0] for row in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))

    def written(self) -> list[str]:
        """Everything a restore might have written: tables, stored objects and the keyring."""
        stored = sorted(str(path.relative_to(self.var_dir)) for path in self.storage.rglob("*") if path.is_file())
        return self.tables() + stored + ([str(self.keyring)] if self.keyring.exists() else [])


@pytest.fixture
def restore_target(tmp_path: Path) -> Iterator[RestoreTarget]:
    """A new, empty database and an empty ``DHR_VAR_DIR``; the database is dropped afterwards."""
    name = f"{connection.settings_dict['NAME'].removeprefix(TEST_DATABASE_PREFIX)}_restore"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with _maintenance() as conn:
        # Left behind by an interrupted run, perhaps.
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    var_dir = tmp_path / "new-server"
    var_dir.mkdir(mode=0o700)
    try:
        yield RestoreTarget(name, var_dir)
    finally:
        with _maintenance() as conn:
            conn.execute(drop)


@pytest.fixture(autouse=True)
def _fast_key_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap scrypt: these tests are not about the cost of guessing. Restores read it from the archive."""
    monkeypatch.setattr(services, "ARCHIVE_SCRYPT", ScryptParams(log2_n=10, r=8, p=1))


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n")
    path.chmod(0o600)
    return path
