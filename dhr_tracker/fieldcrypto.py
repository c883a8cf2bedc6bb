"""Field-level encryption of secrets and special-category data kept in the database.

Threat: a database dump, a backup or read access to the database reveals second-factor seeds
or the personal data of the people in a review. The keys live outside the database (the
environment, a mounted file, or ``var/keys/`` in the embedded default), so a copy of the
database alone reveals nothing.

Construction: AES-256-GCM with a fresh 96-bit random nonce per value. The associated data is
the caller's ``context`` (for example ``accounts.totp:user=42``), which binds each ciphertext to
its column and row: a value copied into another row or column fails to decrypt. The stored form
is ``f1.<key id>.<base64url(nonce || ciphertext || tag)>``.

Key lifetime: ``FIELD_ENCRYPTION_KEYS`` lists ``id=base64url(32 bytes)`` entries, newest first.
The newest key encrypts; every listed key decrypts, so a key is rotated by prepending a new one
and is retired once nothing refers to its id. Random nonces are safe for far more than the
2**32 values per key at which GCM's collision bound would begin to matter here.

Failure: a value that is malformed, names an unknown key or fails authentication raises
``FieldDecryptionError``; callers must treat that as an integrity failure, never as empty data.
"""

import base64
import binascii
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "f1"
NONCE_BYTES = 12
KEY_BYTES = 32


class FieldDecryptionError(Exception):
    """A stored value could not be decrypted and authenticated."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.cache
def _parse_keyring(entries: tuple[str, ...]) -> tuple[str, dict[str, AESGCM]]:
    if not entries:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    keys: dict[str, AESGCM] = {}
    for entry in entries:
        key_id, sep, encoded = entry.partition("=")
        if not sep or not key_id or "." in key_id:
            raise ImproperlyConfigured("Each FIELD_ENCRYPTION_KEYS entry must look like id=base64url-key")
        try:
            material = _b64decode(encoded)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS entry {key_id!r} is not base64url") from None
        if len(material) != KEY_BYTES:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS entry {key_id!r} must decode to 32 bytes")
        if key_id in keys:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS lists {key_id!r} twice")
        keys[key_id] = AESGCM(material)
    return entries[0].partition("=")[0], keys


def _keyring() -> tuple[str, dict[str, AESGCM]]:
    return _parse_keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: bytes, *, context: str) -> str:
    """Encrypt ``plaintext`` under the newest key, bound to ``context``."""
    current_id, keys = _keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = keys[current_id].encrypt(nonce, plaintext, context.encode())
    return f"{PREFIX}.{current_id}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def decrypt(stored: str, *, context: str) -> bytes:
    """Decrypt a value produced by :func:`encrypt` with the same ``context``."""
    prefix, _, rest = stored.partition(".")
    key_id, _, payload = rest.partition(".")
    if prefix != PREFIX or not key_id or not payload:
        raise FieldDecryptionError("not an encrypted field value")
    key = _keyring()[1].get(key_id)
    if key is None:
        raise FieldDecryptionError(f"no key with id {key_id!r} is configured")
    try:
        blob = _b64decode(payload)
    except (binascii.Error, ValueError):
        raise FieldDecryptionError("encrypted field value is not base64url") from None
    if len(blob) <= NONCE_BYTES:
        raise FieldDecryptionError("encrypted field value is truncated")
    try:
        return key.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except InvalidTag:
        raise FieldDecryptionError("encrypted field value failed authentication") from None
