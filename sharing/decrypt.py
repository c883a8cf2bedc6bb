"""Decrypt one stored document version with nothing but its ciphertext, its wrapped key and the KEK.

For disaster recovery: no Django, no database. The wrapped key and the version id are copied
from the version's row (or a database export), the object from storage (or a backup)::

    python -m sharing.decrypt --keyring var/keys/keyring.json \\
        --wrapped-key local:3f2a...:AbC... --version-id 6f1c... --output report.pdf object.bin

A ``kms:`` wrapped key is unwrapped through AWS KMS instead (credentials from the usual boto3
sources; ``--kms-region`` and ``--kms-endpoint`` when the defaults will not do).

The plaintext goes to ``--output`` (created mode 0600, never over an existing file) or to
standard output, in constant memory. Only authenticated chunks are written, but a stream cut
short is only known at the end: then an output file is removed, and whatever reached standard
output must be discarded.

Exit status: 0 decrypted; 1 integrity failure (the object or the wrapped key does not
authenticate: altered, truncated, another version's, or the wrong key); 2 usage error (bad
arguments, a missing object, an existing output); 3 the key or a file could not be used
(keyring missing or too widely readable, key not in it, KMS unreachable, a read or write failed).
"""

import argparse
import os
import sys
import uuid
from typing import BinaryIO

from sharing.crypto import CHUNK_SIZE, Decryptor, IntegrityError
from sharing.keys import (
    KMS,
    LOCAL,
    KeyProvider,
    KeyUnavailable,
    KmsKeyProvider,
    LocalKeyring,
    UnwrapFailed,
    WrappedKey,
    WrappedKeyFormatError,
)

EXIT_OK = 0
EXIT_INTEGRITY = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
PROG = "python -m sharing.decrypt"


def _wrapped_key(text: str) -> WrappedKey:
    try:
        return WrappedKey.from_text(text)
    except WrappedKeyFormatError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _version_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a UUID: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Decrypt a stored document version without the application or its database."
    )
    parser.add_argument("--keyring", help="the local keyring file, for a local: wrapped key")
    parser.add_argument("--wrapped-key", required=True, type=_wrapped_key, help="the version's wrapped data key")
    parser.add_argument("--version-id", required=True, type=_version_id, help="the document version's id")
    parser.add_argument("--output", default="-", help="where to write the plaintext (default: - for standard output)")
    parser.add_argument("--kms-region", help="AWS region of the KMS key, for a kms: wrapped key")
    parser.add_argument("--kms-endpoint", help="KMS endpoint URL, for a kms: wrapped key")
    parser.add_argument("object", metavar="OBJECT_FILE", help="the encrypted object")
    return parser


def _provider(args: argparse.Namespace, parser: argparse.ArgumentParser) -> KeyProvider:
    """Return the provider for the wrapped key, or call ``parser.error`` (exit 2)."""
    wrapped: WrappedKey = args.wrapped_key
    kms_options = args.kms_region is not None or args.kms_endpoint is not None
    if wrapped.provider == LOCAL:
        if args.keyring is None:
            parser.error("a local: wrapped key needs --keyring")
        if kms_options:
            parser.error("--kms-region and --kms-endpoint apply only to a kms: wrapped key")
        return LocalKeyring(args.keyring)
    if wrapped.provider == KMS:
        return KmsKeyProvider(wrapped.key_id, region=args.kms_region, endpoint_url=args.kms_endpoint)
    parser.error(f"unknown key provider {wrapped.provider!r} (expected {LOCAL!r} or {KMS!r})")


def _decrypt(data_key: bytes, version_id: uuid.UUID, source: BinaryIO, target: BinaryIO) -> int:
    """Stream ``source`` to ``target``; return the plaintext length."""
    decryptor = Decryptor(data_key, version_id)
    written = 0
    while piece := source.read(CHUNK_SIZE):
        written += target.write(decryptor.update(piece))
    written += target.write(decryptor.finalize())
    return written


def _error(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        to_stdout = args.output == "-"
        if not os.path.isfile(args.object):
            parser.error(f"no such object file: {args.object}")
        if not to_stdout and os.path.lexists(args.output):
            parser.error(f"the output {args.output} already exists; choose a new name")
        provider = _provider(args, parser)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyUnavailable as exc:
        _error(f"key unavailable: {exc}")
        return EXIT_UNAVAILABLE

    try:
        data_key = provider.unwrap(args.wrapped_key, str(args.version_id))
    except UnwrapFailed as exc:
        _error(f"integrity failure: {exc}")
        return EXIT_INTEGRITY
    except KeyUnavailable as exc:
        _error(f"key unavailable: {exc}")
        return EXIT_UNAVAILABLE

    if to_stdout:
        return _to_stdout(data_key, args.version_id, args.object)
    return _to_file(data_key, args.version_id, args.object, args.output)


def _to_stdout(data_key: bytes, version_id: uuid.UUID, object_path: str) -> int:
    try:
        with open(object_path, "rb") as source:
            _decrypt(data_key, version_id, source, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    except IntegrityError as exc:
        _error(f"integrity failure: {exc}; discard everything already written to standard output")
        return EXIT_INTEGRITY
    except OSError as exc:
        _error(f"cannot decrypt: {exc}")
        return EXIT_UNAVAILABLE
    return EXIT_OK


def _to_file(data_key: bytes, version_id: uuid.UUID, object_path: str, output: str) -> int:
    try:
        # O_EXCL: never replace a file, even one created since the check above.
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _error(f"the output {output} already exists; choose a new name")
        return EXIT_USAGE
    except OSError as exc:
        _error(f"cannot create the output: {exc}")
        return EXIT_UNAVAILABLE
    try:
        with open(object_path, "rb") as source, open(fd, "wb") as target:
            written = _decrypt(data_key, version_id, source, target)
            target.flush()
            os.fsync(target.fileno())
    except BaseException as exc:
        # Whatever stopped it, even an interrupt, no partial plaintext stays on disk.
        os.unlink(output)
        if isinstance(exc, IntegrityError):
            _error(f"integrity failure: {exc}; the partial output was removed")
            return EXIT_INTEGRITY
        if isinstance(exc, OSError):
            _error(f"cannot decrypt: {exc}; the partial output was removed")
            return EXIT_UNAVAILABLE
        raise
    sys.stderr.write(f"decrypted {written} bytes to {output}\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
