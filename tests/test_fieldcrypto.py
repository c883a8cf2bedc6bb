"""Field-level encryption: round trip, binding to context, tampering, key rotation."""

import base64
import os
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from dhr_tracker import fieldcrypto


def new_key(key_id: str) -> str:
    return f"{key_id}={base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


@pytest.fixture
def keyring(settings: Any) -> list[str]:
    settings.FIELD_ENCRYPTION_KEYS = [new_key("k1")]
    return settings.FIELD_ENCRYPTION_KEYS


def test_round_trip(keyring: list[str]) -> None:
    stored = fieldcrypto.encrypt(b"Jane Example, 1 Any Street", context="reviews.person:name=1")
    assert b"Jane" not in stored.encode()
    assert fieldcrypto.decrypt(stored, context="reviews.person:name=1") == b"Jane Example, 1 Any Street"


def test_same_plaintext_encrypts_differently(keyring: list[str]) -> None:
    assert fieldcrypto.encrypt(b"x", context="c") != fieldcrypto.encrypt(b"x", context="c")


def test_wrong_context_fails(keyring: list[str]) -> None:
    stored = fieldcrypto.encrypt(b"secret", context="row=1")
    with pytest.raises(fieldcrypto.FieldDecryptionError, match="authentication"):
        fieldcrypto.decrypt(stored, context="row=2")


def test_tampering_is_detected(keyring: list[str]) -> None:
    stored = fieldcrypto.encrypt(b"secret", context="c")
    prefix, key_id, payload = stored.split(".")
    blob = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    blob[-1] ^= 1
    altered = f"{prefix}.{key_id}.{base64.urlsafe_b64encode(bytes(blob)).decode().rstrip('=')}"
    with pytest.raises(fieldcrypto.FieldDecryptionError):
        fieldcrypto.decrypt(altered, context="c")


@pytest.mark.parametrize("garbage", ["", "plain text", "f1.k1.", "f1.k1.!!!", "f1.k1.AAAA"])
def test_malformed_values_are_refused(keyring: list[str], garbage: str) -> None:
    with pytest.raises(fieldcrypto.FieldDecryptionError):
        fieldcrypto.decrypt(garbage, context="c")


def test_rotation_keeps_old_values_readable(settings: Any, keyring: list[str]) -> None:
    old = fieldcrypto.encrypt(b"before rotation", context="c")
    settings.FIELD_ENCRYPTION_KEYS = [new_key("k2"), *keyring]
    new = fieldcrypto.encrypt(b"after rotation", context="c")
    assert new.split(".")[1] == "k2"
    assert fieldcrypto.decrypt(old, context="c") == b"before rotation"
    settings.FIELD_ENCRYPTION_KEYS = [keyring[0]]
    with pytest.raises(fieldcrypto.FieldDecryptionError, match="no key"):
        fieldcrypto.decrypt(new, context="c")


@pytest.mark.parametrize("entry", ["nokey", "k1=short", "k1=" + "*" * 43, "a.b=" + "A" * 43])
def test_bad_keyring_is_refused(settings: Any, entry: str) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [entry]
    with pytest.raises(ImproperlyConfigured):
        fieldcrypto.encrypt(b"x", context="c")
