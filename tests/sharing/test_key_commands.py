"""Key operations from the command line: rotate, rewrap, back up and restore the local keyring."""

import io
import stat
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from sharing import config, keyops
from sharing.keys import LocalKeyring, WrappedKey
from sharing.models import Classification, Document, DocumentVersion, VersionStatus
from tests.conftest import EventLog
from tests.sharing.conftest import World

pytestmark = pytest.mark.django_db

PASSPHRASE = "correct horse battery staple"


def run(name: str, *args: Any, **options: Any) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fresh_provider() -> Iterator[None]:
    """Each test builds its provider from its own keyring, not one cached by an earlier test."""
    config.key_provider.cache_clear()
    yield
    config.key_provider.cache_clear()


@pytest.fixture
def keyring_file(settings: Any, tmp_path: Path) -> Path:
    settings.SHARING_KEY_PROVIDER = "local"
    settings.SHARING_KEYRING_FILE = tmp_path / "keys" / "keyring.json"
    return Path(settings.SHARING_KEYRING_FILE)


@pytest.fixture
def passphrase_file(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def document(world: World) -> Document:
    return Document.objects.create(
        space=world.space(),
        title="Police chronology",
        owner_party=world.agency_a,
        classification=Classification.OFFICIAL,
        retention_ends_on=date(2030, 1, 1),
        created_by=world.personas.contributor_a,
    )


class Versions:
    """Document versions with real wrapped keys, and the data keys they should unwrap to."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.data_keys: dict[uuid.UUID, bytes] = {}

    def add(self, *, context: str | None = None, shredded: bool = False) -> DocumentVersion:
        version_id = uuid.uuid4()
        data_key, wrapped = config.key_provider().new_data_key(context or str(version_id))
        if not shredded:
            self.data_keys[version_id] = data_key
        return DocumentVersion.objects.create(
            id=version_id,
            document=self.document,
            number=DocumentVersion.objects.filter(document=self.document).count() + 1,
            file_name="chronology.pdf",
            file_type="pdf",
            size=1024,
            sha256="0" * 64,
            wrapped_key="" if shredded else wrapped.to_text(),
            status=VersionStatus.SHREDDED if shredded else VersionStatus.AVAILABLE,
            uploaded_by=self.document.created_by,
        )

    def key_ids(self) -> set[str]:
        texts = DocumentVersion.objects.exclude(wrapped_key="").values_list("wrapped_key", flat=True)
        return {WrappedKey.from_text(text).key_id for text in texts}

    def wrapped_keys(self) -> dict[uuid.UUID, str]:
        return dict(DocumentVersion.objects.values_list("id", "wrapped_key"))

    def assert_all_unwrap(self) -> None:
        provider = config.key_provider()
        for version_id, data_key in self.data_keys.items():
            text = DocumentVersion.objects.get(pk=version_id).wrapped_key
            assert provider.unwrap(WrappedKey.from_text(text), str(version_id)) == data_key


@pytest.fixture
def versions(keyring_file: Path, document: Document) -> Versions:
    made = Versions(document)
    for _ in range(5):
        made.add()
    return made


def events(action: str, log: EventLog) -> list[AuditEvent]:
    return [event for event in log.rows() if event.action == action]


# --- rotation and rewrapping ---------------------------------------------------------------


def test_rotation_then_rewrap_moves_every_key_to_the_new_kek(versions: Versions, security_events: EventLog) -> None:
    old_key = config.key_provider().current_key_id()
    out = run("rotate_keyring")
    new_key = LocalKeyring(keyops.keyring_path()).current_key_id()
    assert new_key != old_key
    assert new_key in out
    assert "rewrap_keys" in out
    assert versions.key_ids() == {old_key}

    out = run("rewrap_keys", batch_size=2)

    assert "Rewrapped 5 document keys" in out
    assert versions.key_ids() == {new_key}
    versions.assert_all_unwrap()
    assert [event.details for event in events("sharing.keyring_rotated", security_events)] == [{"key_id": new_key}]
    batches = events("sharing.keys_rewrapped", security_events)
    assert [event.details["count"] for event in batches] == [2, 2, 1]
    assert {event.details["key_id"] for event in batches} == {new_key}
    assert all(event.actor_id is None for event in batches)


def test_rewrapping_again_changes_nothing(versions: Versions, security_events: EventLog) -> None:
    run("rotate_keyring")
    run("rewrap_keys")
    before = versions.wrapped_keys()

    out = run("rewrap_keys")

    assert "Rewrapped 0 document keys; 5 were already under the current key" in out
    assert versions.wrapped_keys() == before
    assert len(events("sharing.keys_rewrapped", security_events)) == 1


def test_rotate_with_rewrap_rewraps_at_once(versions: Versions) -> None:
    out = run("rotate_keyring", rewrap=True)

    new_key = LocalKeyring(keyops.keyring_path()).current_key_id()
    assert "Rewrapped 5 document keys" in out
    assert versions.key_ids() == {new_key}
    versions.assert_all_unwrap()


def test_shredded_versions_are_left_alone(versions: Versions) -> None:
    shredded = versions.add(shredded=True)
    run("rotate_keyring")

    out = run("rewrap_keys")

    assert "Rewrapped 5 document keys" in out
    shredded.refresh_from_db()
    assert shredded.wrapped_key == ""


def test_a_version_shredded_during_the_rewrap_stays_shredded(
    versions: Versions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider is asked before rows are locked, so a shred can land in between."""
    victim = next(iter(versions.data_keys))
    run("rotate_keyring")
    provider = config.key_provider()
    real_rewrap = provider.rewrap

    def rewrap_while_shredding(wrapped: WrappedKey, context: str) -> WrappedKey:
        if context == str(victim):
            DocumentVersion.objects.filter(pk=victim).update(wrapped_key="", status=VersionStatus.SHREDDED)
        return real_rewrap(wrapped, context)

    monkeypatch.setattr(provider, "rewrap", rewrap_while_shredding)

    result = keyops.rewrap_all()

    assert (result.rewrapped, result.skipped, result.failed) == (4, 1, 0)
    assert DocumentVersion.objects.get(pk=victim).wrapped_key == ""


def test_a_key_wrapped_for_another_version_fails_and_the_command_errors(
    versions: Versions, security_events: EventLog, caplog: pytest.LogCaptureFixture
) -> None:
    misplaced = versions.add(context=str(uuid.uuid4()))
    original = misplaced.wrapped_key
    run("rotate_keyring")

    with pytest.raises(CommandError, match=rf"1 document versions .* do not unwrap .*{misplaced.pk}"):
        run("rewrap_keys")

    misplaced.refresh_from_db()
    assert misplaced.wrapped_key == original
    assert f"Document version {misplaced.pk}: its data key cannot be rewrapped" in caplog.text
    new_key = LocalKeyring(keyops.keyring_path()).current_key_id()
    del versions.data_keys[misplaced.pk]
    assert {
        WrappedKey.from_text(DocumentVersion.objects.get(pk=pk).wrapped_key).key_id for pk in versions.data_keys
    } == {new_key}
    assert sum(event.details["count"] for event in events("sharing.keys_rewrapped", security_events)) == 5


def test_a_missing_kek_stops_the_rewrap_with_advice(versions: Versions, keyring_file: Path) -> None:
    keyring_file.unlink()
    config.key_provider.cache_clear()

    with pytest.raises(CommandError, match="run rewrap_keys again to carry on"):
        run("rewrap_keys")


def test_rotation_is_refused_for_kms(settings: Any) -> None:
    settings.SHARING_KEY_PROVIDER = "kms"

    with pytest.raises(CommandError, match=r"local keyring only.*AWS KMS"):
        run("rotate_keyring")


def test_rotation_needs_an_existing_keyring(keyring_file: Path) -> None:
    with pytest.raises(CommandError, match="there is no keyring"):
        run("rotate_keyring")
    assert not keyring_file.exists()


# --- backup and restore --------------------------------------------------------------------


def test_backup_then_restore_brings_back_every_key(
    versions: Versions, keyring_file: Path, passphrase_file: Path, tmp_path: Path, security_events: EventLog
) -> None:
    run("rotate_keyring")
    versions.add()  # wrapped under the second key, the rest under the first
    key_ids = LocalKeyring(keyring_file).key_ids()
    backup = tmp_path / "keyring.backup"

    out = run("backup_keyring", output=backup, passphrase_file=passphrase_file)

    assert f"Backed up 2 keys ({', '.join(key_ids)})" in out
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert PASSPHRASE.encode() not in backup.read_bytes()

    keyring_file.unlink()
    out = run("restore_keyring", backup, passphrase_file=passphrase_file)

    assert all(key_id in out for key_id in key_ids)
    assert LocalKeyring(keyring_file).key_ids() == key_ids
    versions.assert_all_unwrap()
    backed_up = events("sharing.keyring_backed_up", security_events)[0]
    assert backed_up.details == {"key_count": 2, "key_ids": key_ids}
    assert str(tmp_path) not in str(backed_up.details)
    restored = events("sharing.keyring_restored", security_events)[0]
    assert restored.details["key_ids"] == key_ids
    assert restored.details["replaced_existing"] is False


def test_backup_asks_for_the_passphrase_twice(
    keyring_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.key_provider()
    answers = iter([PASSPHRASE, PASSPHRASE])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    backup = tmp_path / "keyring.backup"

    run("backup_keyring", output=backup)

    assert backup.exists()
    keyring_file.unlink()
    answers = iter([PASSPHRASE])
    run("restore_keyring", backup)
    assert keyring_file.exists()


def test_backup_refuses_passphrases_that_differ(
    keyring_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security_events: EventLog
) -> None:
    config.key_provider()
    answers = iter([PASSPHRASE, PASSPHRASE + "!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    backup = tmp_path / "keyring.backup"

    with pytest.raises(CommandError, match="do not match"):
        run("backup_keyring", output=backup)

    assert not backup.exists()
    assert not events("sharing.keyring_backed_up", security_events)


@pytest.mark.parametrize("interactive", [True, False])
def test_backup_refuses_a_short_passphrase(
    keyring_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security_events: EventLog, interactive: bool
) -> None:
    config.key_provider()
    short = "too short"
    options: dict[str, Any] = {}
    if interactive:
        monkeypatch.setattr("getpass.getpass", lambda prompt="": short)
    else:
        options["passphrase_file"] = tmp_path / "short.txt"
        options["passphrase_file"].write_text(short)
    backup = tmp_path / "keyring.backup"

    with pytest.raises(CommandError, match="at least 12 characters"):
        run("backup_keyring", output=backup, **options)

    assert not backup.exists()
    assert not events("sharing.keyring_backed_up", security_events)


def test_backup_refuses_to_overwrite(keyring_file: Path, passphrase_file: Path, tmp_path: Path) -> None:
    config.key_provider()
    backup = tmp_path / "keyring.backup"
    backup.write_bytes(b"an older backup")

    with pytest.raises(CommandError, match="already exists; choose a new file name"):
        run("backup_keyring", output=backup, passphrase_file=passphrase_file)

    assert backup.read_bytes() == b"an older backup"


def test_backup_without_a_keyring_says_so(keyring_file: Path, passphrase_file: Path, tmp_path: Path) -> None:
    backup = tmp_path / "keyring.backup"

    with pytest.raises(CommandError, match="there is no keyring at"):
        run("backup_keyring", output=backup, passphrase_file=passphrase_file)

    assert not backup.exists()


def test_backup_and_restore_are_refused_for_kms(settings: Any, passphrase_file: Path, tmp_path: Path) -> None:
    settings.SHARING_KEY_PROVIDER = "kms"

    with pytest.raises(CommandError, match="back them up in AWS"):
        run("backup_keyring", output=tmp_path / "keyring.backup", passphrase_file=passphrase_file)
    with pytest.raises(CommandError, match="back them up in AWS"):
        run("restore_keyring", tmp_path / "keyring.backup", passphrase_file=passphrase_file)
    assert not (tmp_path / "keyring.backup").exists()


@pytest.fixture
def backup(keyring_file: Path, passphrase_file: Path, tmp_path: Path) -> Path:
    config.key_provider()
    path = tmp_path / "keyring.backup"
    run("backup_keyring", output=path, passphrase_file=passphrase_file)
    return path


def test_restore_refuses_a_wrong_passphrase(
    backup: Path, keyring_file: Path, tmp_path: Path, security_events: EventLog
) -> None:
    keyring_file.unlink()
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")

    with pytest.raises(CommandError, match=r"wrong passphrase.*Nothing was changed"):
        run("restore_keyring", backup, passphrase_file=wrong, force=True)

    assert not keyring_file.exists()
    assert not events("sharing.keyring_restored", security_events)


def test_restore_refuses_to_replace_a_keyring_without_force(
    backup: Path, keyring_file: Path, passphrase_file: Path, security_events: EventLog
) -> None:
    LocalKeyring(keyring_file).rotate()
    before = keyring_file.read_bytes()

    with pytest.raises(CommandError, match=r"already exists.*--force"):
        run("restore_keyring", backup, passphrase_file=passphrase_file)

    assert keyring_file.read_bytes() == before
    assert not events("sharing.keyring_restored", security_events)


def test_restore_with_force_names_the_keys_it_loses(
    backup: Path, keyring_file: Path, passphrase_file: Path, security_events: EventLog
) -> None:
    """A key added after the backup is gone once the backup replaces the keyring."""
    newer = LocalKeyring(keyring_file).rotate()

    out = run("restore_keyring", backup, passphrase_file=passphrase_file, force=True)

    assert f"Keys only in the replaced keyring are lost: {newer}" in out
    assert newer not in LocalKeyring(keyring_file).key_ids()
    restored = events("sharing.keyring_restored", security_events)[0]
    assert restored.details["replaced_existing"] is True
    assert restored.details["lost_key_ids"] == [newer]


def test_the_rotated_provider_is_used_straight_away(versions: Versions) -> None:
    """Rotating clears this process's cached provider, which would otherwise wrap under the old key."""
    run("rotate_keyring")
    assert config.key_provider().current_key_id() == LocalKeyring(keyops.keyring_path()).current_key_id()
