"""The parts the settings choose: the key provider, the document storage, the virus scanner.

``SHARING_KEY_PROVIDER`` is ``local`` (a keyring file at ``SHARING_KEYRING_FILE``, created on
first use) or ``kms`` (``SHARING_KMS_KEY_ID``, with ``SHARING_KMS_REGION`` and
``SHARING_KMS_ENDPOINT_URL`` when boto3's defaults will not do). Documents live in Django's
default storage; uploads wait as ciphertext in ``SHARING_SPOOL_DIR`` until checked and stored.
"""

import functools
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver

from sharing.keys import KeyProvider, KmsKeyProvider, LocalKeyring
from sharing.scanning import Scanner, scanner_from_url

_SETTINGS = frozenset(
    {
        "SHARING_KEY_PROVIDER",
        "SHARING_KEYRING_FILE",
        "SHARING_KMS_KEY_ID",
        "SHARING_KMS_REGION",
        "SHARING_KMS_ENDPOINT_URL",
        "SHARING_SCANNER_URL",
    }
)


@functools.cache
def key_provider() -> KeyProvider:
    if settings.SHARING_KEY_PROVIDER == "kms":
        return KmsKeyProvider(
            settings.SHARING_KMS_KEY_ID,
            region=settings.SHARING_KMS_REGION or None,
            endpoint_url=settings.SHARING_KMS_ENDPOINT_URL or None,
        )
    return LocalKeyring(settings.SHARING_KEYRING_FILE, create=True)


@functools.cache
def scanner() -> Scanner:
    return scanner_from_url(settings.SHARING_SCANNER_URL)


def storage() -> Storage:
    return default_storage


def spool_dir() -> Path:
    path = Path(settings.SHARING_SPOOL_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@receiver(setting_changed)
def _forget(*, setting: str, **_: object) -> None:
    """Tests that change a setting get a provider or scanner built from the new value."""
    if setting in _SETTINGS:
        key_provider.cache_clear()
        scanner.cache_clear()
