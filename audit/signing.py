"""Ed25519 signatures over checkpoints (signed tree heads). Pure: no Django.

Threat: someone with write access to the database rewrites history and recomputes every hash,
which an unsigned chain cannot reveal. A checkpoint's signature is made with a key the database
never holds, so a rewritten chain no longer matches any signed tree head, and anyone holding
the public key (printed on the auditors' pages and in every export) can check it offline.

Key lifetime: one signing key per deployment, rotated by adding a new key; old public keys stay
listed so earlier checkpoints still verify. Key ids are the first 16 bytes of SHA-256 of the raw
public key, in hex.

The signed message for a checkpoint is the UTF-8 text
    "dhr-audit-checkpoint-v1\\n{tree_size}\\n{root hex}\\n{chain head hex}\\n{time}\\n"
with ``time`` in the canonical form of ``audit.chain.format_time``.
"""

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class SignatureInvalid(ValueError):
    """A checkpoint signature does not verify under the key it names."""


def checkpoint_message(tree_size: int, root: bytes, chain_head: bytes, time: str) -> bytes:
    return f"dhr-audit-checkpoint-v1\n{tree_size}\n{root.hex()}\n{chain_head.hex()}\n{time}\n".encode()


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """Name a public key by the first 16 bytes of its SHA-256, in hex."""
    return hashlib.sha256(public).digest()[:16].hex()


def sign(private: Ed25519PrivateKey, message: bytes) -> bytes:
    return private.sign(message)


def verify(public: bytes, message: bytes, signature: bytes) -> None:
    """Raise ``SignatureInvalid`` unless ``signature`` is ``public``'s over ``message``."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError) as exc:
        raise SignatureInvalid("the checkpoint signature does not verify") from exc
