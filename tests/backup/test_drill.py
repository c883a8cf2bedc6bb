"""The backup and restore drill: back up a varied world, restore it on a new, empty server, and
show from outside the restore that every document decrypts byte for byte, the audit trail
verifies, no row is missing and sealed personal data still reads back. Plus each refusal.
"""

import io
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditEvent
from dhr_tracker.backup import postgres, services
from dhr_tracker.reviews.models import Person
from sharing import config, keyops
from sharing.crypto import decrypt_chunks
from sharing.keys import LocalKeyring, WrappedKey
from tests.backup.conftest import LONG_NOTES, BackupWorld, RestoreTarget, upload_stored
from tests.reviews.conftest import VICTIM
from tests.sharing.conftest import World, stored_objects
from tests.sharing.samples import sample

# What the restore itself adds to the restored trail: the keyring's restore and its own event
# (pending, then chained), and its verification run.
RESTORE_ADDS = {"audit_pendingevent": 2, "audit_auditevent": 2, "audit_verificationrun": 1}


def run(name: str, *args: Any, **options: Any) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def archive(backup_world: BackupWorld, tmp_path: Path, passphrase_file: Path) -> Path:
    path = tmp_path / "media" / "dhr-2026.bak"
    path.parent.mkdir()
    run("backup", output=path, passphrase_file=passphrase_file, actor=backup_world.coordinator_email)
    return path


def flipped(archive: Path, at: int) -> Path:
    data = bytearray(archive.read_bytes())
    data[at] ^= 0x01
    copy = archive.with_name("tampered.bak")
    copy.write_bytes(data)
    return copy


def decrypted(target: RestoreTarget, version_id: str) -> bytes:
    """Decrypt a restored document with nothing but the restored keyring, row and object."""
    [(wrapped, name)] = target.query(
        "SELECT wrapped_key, object_name FROM sharing_documentversion WHERE id = %s", [version_id]
    )
    data_key = LocalKeyring(target.keyring).unwrap(WrappedKey.from_text(wrapped), version_id)
    ciphertext = (target.storage / name).read_bytes()
    return b"".join(decrypt_chunks(data_key, uuid.UUID(version_id), [ciphertext]))


def restored_counts(target: RestoreTarget) -> dict[str, int]:
    return {table: target.query(f'SELECT count(*) FROM "{table}"')[0][0] for table in target.tables()}  # noqa: S608


# Committed for real: pg_dump and the restore's own processes see only what is committed.
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="backups are of PostgreSQL; SQLite is refused")
def test_a_backup_restores_whole_on_a_new_server(
    backup_world: BackupWorld,
    archive: Path,
    restore_target: RestoreTarget,
    passphrase_file: Path,
    tmp_path: Path,
) -> None:
    backed_up = postgres.table_counts()
    data = archive.read_bytes()
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert b"Police chronology" not in data
    assert LONG_NOTES[:200] not in data
    assert AuditEvent.objects.get(action="backup.created").actor_email == backup_world.coordinator_email

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")
    wrong.chmod(0o600)
    refused = restore_target.manage("restore", str(archive), "--passphrase-file", str(wrong))
    assert refused.returncode == 1
    assert "The passphrase is wrong" in refused.stderr
    assert restore_target.written() == []

    refused = restore_target.manage(
        "restore", str(flipped(archive, len(data) // 2)), "--passphrase-file", str(passphrase_file)
    )
    assert refused.returncode == 1
    assert "The backup cannot be used: the archive is damaged" in refused.stderr
    assert restore_target.written() == []

    restored = restore_target.manage(
        "restore", str(archive), "--passphrase-file", str(passphrase_file), "--actor", backup_world.coordinator_email
    )
    assert restored.returncode == 0, restored.stderr
    assert "Restored and checked: nothing is missing." in restored.stdout
    assert "Documents: 3 of 3 available versions decrypted" in restored.stdout

    for uploaded in backup_world.uploaded:
        assert decrypted(restore_target, str(uploaded.version.id)) == uploaded.content
    assert stat.S_IMODE(restore_target.keyring.stat().st_mode) == 0o600
    # The shredded version stays shredded: its row, without a key, and none of its object.
    assert not (restore_target.storage / backup_world.shredded.object_name).exists()
    expected = {table: rows + RESTORE_ADDS.get(table, 0) for table, rows in backed_up.items()}
    assert restored_counts(restore_target) == expected
    [(uid, name_enc)] = restore_target.query(
        "SELECT uid, name_enc FROM reviews_person WHERE pseudonym = %s", [VICTIM.pseudonym]
    )
    assert Person(uid=uid, name_enc=name_enc).unseal("name") == VICTIM.name
    shredded = restore_target.query(
        "SELECT status, wrapped_key FROM sharing_documentversion WHERE id = %s", [backup_world.shredded.id]
    )
    assert shredded == [("shredded", "")]
    last = restore_target.query("SELECT action, actor_email FROM audit_auditevent ORDER BY seq DESC LIMIT 3")
    assert last == [
        ("backup.restored", backup_world.coordinator_email),
        ("sharing.keyring_restored", backup_world.coordinator_email),
        ("backup.created", backup_world.coordinator_email),
    ]
    verified = restore_target.manage("verify_audit")
    assert verified.returncode == 0, verified.stderr
    assert "Audit trail verified" in verified.stdout


def test_a_backup_never_replaces_a_file(db: None, tmp_path: Path, passphrase_file: Path) -> None:
    existing = tmp_path / "dhr.bak"
    existing.write_bytes(b"last week's backup")

    with pytest.raises(CommandError, match="already exists; choose a new file name"):
        run("backup", output=existing, passphrase_file=passphrase_file)

    assert existing.read_bytes() == b"last week's backup"


def test_a_restore_into_a_service_in_use_is_refused_for_every_reason_at_once(
    db: None, clean_storage: None, tmp_path: Path, passphrase_file: Path
) -> None:
    backup = tmp_path / "dhr.bak"
    backup.write_bytes(b"any backup")
    stray = Path(settings.STORAGES["default"]["OPTIONS"]["location"]) / "documents" / "0123"  # type: ignore[index]
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left over")
    keyring = keyops.keyring_path()
    config.key_provider()  # as a started service would, it makes a keyring
    before = (postgres.table_counts(), stored_objects(), keyring.read_bytes())

    with pytest.raises(CommandError) as refused:
        run("restore", backup, passphrase_file=passphrase_file)

    message = str(refused.value)
    assert "is not empty: it has" in message
    assert "Restore only into a new, empty database" in message
    assert "The document storage already holds 1 objects" in message
    assert f"A keyring already exists at {keyring}" in message
    assert "Nothing was written" in message
    assert (postgres.table_counts(), stored_objects(), keyring.read_bytes()) == before


def test_the_checks_name_each_document_that_is_damaged_or_missing(world: World, clean_storage: None) -> None:
    space = world.space()
    damaged = upload_stored(space, world.personas.contributor_a, sample("pdf"), "chronology.pdf", "Chronology").version
    missing = upload_stored(space, world.personas.contributor_a, sample("txt"), "notes.txt", "Notes").version
    storage = Path(settings.STORAGES["default"]["OPTIONS"]["location"])  # type: ignore[index]
    ciphertext = bytearray((storage / damaged.object_name).read_bytes())
    ciphertext[-1] ^= 0x01
    (storage / damaged.object_name).write_bytes(ciphertext)
    (storage / missing.object_name).unlink()
    listed = [{"version_id": str(version.id), "object": version.object_name} for version in (damaged, missing)]
    report = services.RestoreReport({"documents": listed, "audit": {"last_seq": 0, "last_hash": ""}})

    services.check(report)

    assert (report.versions_checked, report.versions_intact) == (2, 0)
    assert len(report.problems) == 3
    assert f"Object {missing.object_name} is missing from the storage." in report.problems
    assert (
        f"{damaged.audit_label} ({damaged.id}) does not decrypt: chunk 0 failed authentication: the ciphertext "
        "was altered, truncated, reordered or spliced from another object, or the data key is wrong."
    ) in report.problems
    assert any(
        problem.startswith(f"{missing.audit_label} ({missing.id}) does not decrypt: could not read object")
        for problem in report.problems
    )
