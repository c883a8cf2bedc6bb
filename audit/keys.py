"""The checkpoint signing key and the public keys that verify checkpoints.

The private key comes from ``AUDIT_SIGNING_KEY`` (base64url of a 32-byte Ed25519 seed): from the
environment or a mounted file in production, generated under ``var/keys/`` in the embedded
default. It never enters the database.
"""

import base64
import binascii
import functools

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from audit import signing


def _decode(text: str, name: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{name} is not base64url") from None
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must decode to 32 bytes")
    return raw


@functools.cache
def _private(seed_text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_decode(seed_text, "AUDIT_SIGNING_KEY"))


def signing_key() -> Ed25519PrivateKey:
    return _private(settings.AUDIT_SIGNING_KEY)


def current_public_key() -> bytes:
    return signing.public_bytes(signing_key().public_key())


def public_keys() -> dict[str, bytes]:
    """Every public key a checkpoint may be signed with, by key id (current key first)."""
    keys = [current_public_key()] + [
        _decode(text, "AUDIT_RETIRED_PUBLIC_KEYS") for text in settings.AUDIT_RETIRED_PUBLIC_KEYS
    ]
    return {signing.key_id(key): key for key in keys}
