"""Key material read back from places an attacker or an accident may have changed: wrapped keys
from the database, the keyring file, keyring backups, and document ciphertext from storage.

Each reader refuses with its own named error (and never writes anything on refusal); a change to
ciphertext or a backup is always detected, never decrypted into something else.
"""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from sharing import crypto
from sharing.keys import (
    BackupError,
    KeyUnavailable,
    LocalKeyring,
    ScryptParams,
    WrappedKey,
    WrappedKeyFormatError,
    backup_keyring,
    restore_keyring,
)
from tests.fuzz.strategies import fuzz, hostile_text, outcome

# Key derivation strength is not what these tests measure.
FAST_SCRYPT = ScryptParams(log2_n=10, r=8, p=1)
PASSPHRASE = "correct horse battery staple"
VERSION = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e")
DATA_KEY = bytes(range(32))


@fuzz(max_examples=300)
@given(st.one_of(hostile_text, st.from_regex(r"\A[a-z]{1,6}:[!-~]{0,20}:[A-Za-z0-9_=-]{0,20}\Z")))
def test_wrapped_key_text_is_read_or_refused(text: str) -> None:
    wrapped = outcome(lambda: WrappedKey.from_text(text), WrappedKeyFormatError)
    if isinstance(wrapped, WrappedKeyFormatError):
        assert str(wrapped)
        return
    assert wrapped.to_text() == text


# The keyring file, as an operator's editor or a failing disk may leave it.

_KEY_ENTRY = {"id": "k1", "created": "2026-01-15T09:00:00+00:00", "key": "A" * 43}
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=5,
)


@st.composite
def keyring_documents(draw: st.DrawFn) -> bytes:
    document: dict[str, Any] = {
        "format": "dhr-sharing-keyring",
        "version": 1,
        "current": "k1",
        "keys": [dict(_KEY_ENTRY)],
    }
    target: dict[str, Any] = draw(st.sampled_from([document, document["keys"][0]]))
    name = draw(st.sampled_from(sorted(target)))
    target[name] = draw(json_values)
    event(f"changed {name}")
    return json.dumps(document).encode()


def _private_file(tmp_path: Path, content: bytes) -> Path:
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / "keyring.json"
    path.write_bytes(content)
    path.chmod(0o600)
    return path


@fuzz(max_examples=200)
@example(
    content=json.dumps({"format": "dhr-sharing-keyring", "version": 1, "current": [], "keys": [_KEY_ENTRY]}).encode()
)
@example(content=b"[" * 100_000 + b"]" * 100_000)
@given(content=st.one_of(keyring_documents(), st.binary(max_size=300)))
def test_a_damaged_keyring_file_is_unavailable_never_a_crash(content: bytes, tmp_path: Path) -> None:
    keyring = outcome(lambda: LocalKeyring(_private_file(tmp_path, content)), KeyUnavailable)
    if isinstance(keyring, KeyUnavailable):
        assert "corrupt" in str(keyring)
        return
    assert keyring.current_key_id() in keyring.key_ids()


# Keyring backups: the file restore_keyring is given may have been altered.


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("keyring", numbered=True) / "keyring.json"
    LocalKeyring(path, create=True).rotate()
    return backup_keyring(path, PASSPHRASE, scrypt=FAST_SCRYPT)


@st.composite
def altered(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with bytes changed, cut short, or with bytes added to the end."""
    how = draw(st.sampled_from(["changed", "cut", "extended"]))
    if how == "cut":
        return original[: draw(st.integers(0, len(original) - 1))]
    if how == "extended":
        return original + draw(st.binary(min_size=1, max_size=20))
    data = bytearray(original)
    positions = draw(st.sets(st.integers(0, len(data) - 1), min_size=1, max_size=4))
    for position in positions:
        data[position] ^= draw(st.integers(1, 255))
    return bytes(data)


@fuzz(max_examples=60)
@given(data=st.data())
def test_an_altered_backup_restores_nothing(backup: bytes, tmp_path: Path, data: st.DataObject) -> None:
    target = tmp_path / "restored" / "keyring.json"
    with pytest.raises(BackupError) as refused:
        restore_keyring(data.draw(st.one_of(altered(backup), st.binary(max_size=200))), PASSPHRASE, target)
    assert str(refused.value)
    assert not target.exists()


# Document ciphertext as storage returns it.

_PLAINTEXT = b"".join(f"Line {number} of the IMR.\n".encode() for number in range(20))
_CIPHERTEXT = b"".join(crypto.encrypt_chunks(DATA_KEY, VERSION, [_PLAINTEXT], chunk_size=64))


def test_the_ciphertext_decrypts_untouched() -> None:
    assert b"".join(crypto.decrypt_chunks(DATA_KEY, VERSION, [_CIPHERTEXT])) == _PLAINTEXT


@fuzz(max_examples=200)
@given(altered(_CIPHERTEXT), st.integers(1, 200))
def test_any_change_to_ciphertext_is_detected(changed: bytes, piece: int) -> None:
    """Read in pieces of any size, as storage streams it; the reader raises only ``IntegrityError``."""
    pieces = [changed[start : start + piece] for start in range(0, len(changed), piece)]
    with pytest.raises(crypto.IntegrityError):
        b"".join(crypto.decrypt_chunks(DATA_KEY, VERSION, pieces))
