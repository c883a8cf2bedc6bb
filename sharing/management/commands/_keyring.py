"""What the keyring commands share: who is acting, reading a passphrase, reporting a rewrap."""

import getpass
import hmac
import stat
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import CommandError, CommandParser, OutputWrapper
from django.core.management.color import Style

from sharing import keyops
from sharing.keys import MIN_PASSPHRASE_LENGTH, KeyUnavailable

KMS_ADVICE = (
    "SHARING_KEY_PROVIDER is kms: the key-encryption keys are in AWS KMS, which never exports them, so back "
    "them up in AWS: replicate the key to a second Region and deny kms:ScheduleKeyDeletion in its key policy."
)


def add_actor_argument(parser: CommandParser) -> None:
    parser.add_argument("--actor", help="e-mail of the person doing this, recorded in the audit trail")


def find_actor(email: str | None) -> AbstractBaseUser | None:
    """Return the active user ``email`` names, or ``None`` if no e-mail was given."""
    if not email:
        return None
    actor: AbstractBaseUser | None = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if actor is None:
        raise CommandError(f"No active user has the e-mail {email!r}; name yourself with --actor, or leave it out.")
    return actor


def add_passphrase_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        help="read the backup passphrase from this file (one line) instead of asking for it",
    )


def read_passphrase(options: dict[str, Any], *, confirm: bool, stderr: OutputWrapper) -> str:
    """Return the passphrase from ``--passphrase-file``, or ask for it (twice if ``confirm``)."""
    path: Path | None = options["passphrase_file"]
    if path is not None:
        return _passphrase_from_file(path, stderr)
    try:
        passphrase = getpass.getpass("Backup passphrase: ")
        if not confirm:
            return passphrase
        if len(passphrase) < MIN_PASSPHRASE_LENGTH:
            raise CommandError(
                f"The passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters. Nothing was written."
            )
        again = getpass.getpass("Type the passphrase again: ")
    except EOFError:
        raise CommandError("No passphrase was given. Nothing was changed.") from None
    if not hmac.compare_digest(passphrase.encode(), again.encode()):
        raise CommandError("The passphrases do not match. Nothing was written.")
    return passphrase


def _passphrase_from_file(path: Path, stderr: OutputWrapper) -> str:
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except OSError as exc:
        raise CommandError(f"Cannot read the passphrase file {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise CommandError(f"The passphrase file {path} is not UTF-8 text.") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        stderr.write(f"Warning: {path} can be read by other users; keep the passphrase file mode 0600.")
    passphrase = text.removesuffix("\n").removesuffix("\r")
    if "\n" in passphrase or "\r" in passphrase:
        raise CommandError(f"The passphrase file {path} must hold the passphrase on a single line.")
    return passphrase


def run_rewrap(*, batch_size: int, stdout: OutputWrapper, style: Style) -> None:
    """Rewrap every document key, say what happened, and fail if any could not be rewrapped."""
    try:
        result = keyops.rewrap_all(batch_size=batch_size)
    except KeyUnavailable as exc:
        raise CommandError(
            f"Rewrapping stopped: {exc}. Batches already done are saved; "
            "fix the key provider and run rewrap_keys again to carry on."
        ) from exc
    stdout.write(
        style.SUCCESS(
            f"Rewrapped {result.rewrapped} document keys; {result.already_current} were already under the current key."
        )
    )
    if result.skipped:
        stdout.write(f"{result.skipped} were shredded or changed while this ran and were left as they are.")
    if result.failed:
        raise CommandError(
            f"{result.failed} document versions have keys that do not unwrap (altered, or copied from another "
            f"version) and were left as they are: {', '.join(result.failed_versions)}. "
            "Restore their wrapped_key from a database backup, or shred them."
        )
