"""Offline verifier of an audit export: ``python -m audit.verify EXPORT.jsonl``.

Needs no Django and no database: only this package's pure modules and ``cryptography``. It
checks every checkpoint signature against the public keys in the file, every event's hash
against its fields, every event's inclusion proof against the signed anchor, every consistency
proof between checkpoints, and, for a contiguous export, the hash chain from event to event.

Exit status: 0 verified; 1 the export fails verification (the first problem is printed, with
its sequence number); 2 the file is not a well-formed export (the line number is printed).
A verifier that someone else can run is only as good as the public key they compare: check the
printed key id against the one your auditors' page shows.
"""

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit import chain, merkle, signing

FORMAT = "dhr-audit-export-v1"


class MalformedExport(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


class VerificationFailed(ValueError):
    pass


def _hex(value: Any, line: int, name: str, length: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise MalformedExport(line, f"{name} must be a hex string")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise MalformedExport(line, f"{name} is not valid hex") from None
    if length is not None and len(raw) != length:
        raise MalformedExport(line, f"{name} must be {length} bytes")
    return raw


def _int(value: Any, line: int, name: str) -> int:
    # Sequence numbers and sizes are 64-bit in the chain's canonical form.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise MalformedExport(line, f"{name} must be a non-negative whole number below 2**63")
    return value


def _require(obj: dict[str, Any], line: int, names: tuple[str, ...]) -> None:
    missing = [name for name in names if name not in obj]
    if missing:
        raise MalformedExport(line, f"{obj.get('type', 'line')} is missing {', '.join(missing)}")


@dataclass
class Export:
    header: dict[str, Any]
    keys: dict[str, bytes]
    checkpoints: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[int, chain.Link]] = field(default_factory=list)
    inclusions: dict[int, tuple[int, int, list[bytes]]] = field(default_factory=dict)
    consistencies: list[tuple[int, int, int, list[bytes]]] = field(default_factory=list)


def parse(lines: list[str]) -> Export:
    """Read an export, refusing anything malformed with the line number where it is."""
    export: Export | None = None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedExport(number, f"not JSON ({exc.msg} at column {exc.colno})") from None
        except (ValueError, RecursionError):
            # An integer of thousands of digits, or nesting deeper than any export has.
            raise MalformedExport(number, "not JSON that an export can hold") from None
        if not isinstance(obj, dict) or "type" not in obj:
            raise MalformedExport(number, "each line must be a JSON object with a type")
        kind = obj["type"]
        if export is None:
            if kind != "header" or obj.get("format") != FORMAT:
                raise MalformedExport(number, f"the first line must be the {FORMAT} header")
            _require(obj, number, ("public_keys", "first_seq", "last_seq", "count", "contiguous"))
            if not isinstance(obj["public_keys"], dict):
                raise MalformedExport(number, "public_keys must be an object")
            keys = {kid: _hex(key, number, "public key", 32) for kid, key in obj["public_keys"].items()}
            export = Export(header=obj, keys=keys)
        elif kind == "checkpoint":
            _require(obj, number, ("tree_size", "root", "chain_head", "time", "key_id", "signature"))
            size = _int(obj["tree_size"], number, "tree_size")
            export.checkpoints[size] = {
                "root": _hex(obj["root"], number, "root", 32),
                "chain_head": _hex(obj["chain_head"], number, "chain_head", 32),
                "time": str(obj["time"]),
                "key_id": str(obj["key_id"]),
                "signature": _hex(obj["signature"], number, "signature", 64),
                "line": number,
            }
        elif kind == "event":
            _require(obj, number, ("seq", "prev_hash", "hash", *chain.FIELDS))
            try:
                content = chain.canonical(obj)
            except (TypeError, ValueError) as exc:
                raise MalformedExport(number, f"event fields cannot be read: {exc}") from None
            seq = _int(obj["seq"], number, "seq")
            link = chain.Link(
                seq, _hex(obj["prev_hash"], number, "prev_hash", 32), _hex(obj["hash"], number, "hash", 32), content
            )
            export.events.append((number, link))
        elif kind == "inclusion":
            _require(obj, number, ("seq", "tree_size", "proof"))
            proof = [_hex(p, number, "proof element", 32) for p in _list(obj["proof"], number)]
            export.inclusions[_int(obj["seq"], number, "seq")] = (
                number,
                _int(obj["tree_size"], number, "tree_size"),
                proof,
            )
        elif kind == "consistency":
            _require(obj, number, ("old_size", "new_size", "proof"))
            proof = [_hex(p, number, "proof element", 32) for p in _list(obj["proof"], number)]
            export.consistencies.append(
                (number, _int(obj["old_size"], number, "old_size"), _int(obj["new_size"], number, "new_size"), proof)
            )
        else:
            raise MalformedExport(number, f"unknown line type {kind!r}")
    if export is None:
        raise MalformedExport(1, "the file is empty")
    return export


def _list(value: Any, line: int) -> list[Any]:
    if not isinstance(value, list):
        raise MalformedExport(line, "proof must be a list")
    return value


def check(export: Export) -> str:
    """Verify a parsed export; return a summary or raise ``VerificationFailed``."""
    for size, cp in sorted(export.checkpoints.items()):
        public = export.keys.get(cp["key_id"])
        message = signing.checkpoint_message(size, cp["root"], cp["chain_head"], cp["time"])
        try:
            if public is None:
                raise signing.SignatureInvalid(f"unknown key {cp['key_id']}")
            signing.verify(public, message, cp["signature"])
        except signing.SignatureInvalid as exc:
            raise VerificationFailed(f"checkpoint at {size} (line {cp['line']}): forged signature: {exc}") from None
    for line, old, new, proof in export.consistencies:
        if old not in export.checkpoints or new not in export.checkpoints:
            raise VerificationFailed(f"line {line}: consistency proof names a checkpoint not in the file")
        try:
            merkle.verify_consistency(old, new, export.checkpoints[old]["root"], export.checkpoints[new]["root"], proof)
        except merkle.MerkleError as exc:
            raise VerificationFailed(f"line {line}: the tree of size {new} does not extend {old}: {exc}") from None
    links = [link for _, link in export.events]
    if len(links) != export.header["count"]:
        raise VerificationFailed(
            f"event {links[-1].seq + 1 if links else export.header['first_seq']}: tail truncated: "
            f"the header promises {export.header['count']} events, the file holds {len(links)}"
        )
    for link in links:
        if chain.entry_hash(link.prev_hash, link.seq, link.content) != link.hash:
            raise VerificationFailed(f"event {link.seq}: {chain.FIELD_ALTERED}: its fields do not match its hash")
    if export.header["contiguous"] and links:
        for item in chain.walk(links, start_seq=links[0].seq, start_hash=links[0].prev_hash):
            if isinstance(item, chain.Problem):
                raise VerificationFailed(str(item))
    for link in links:
        if link.seq not in export.inclusions:
            raise VerificationFailed(f"event {link.seq}: it has no inclusion proof")
        line, size, proof = export.inclusions[link.seq]
        anchor = export.checkpoints.get(size)
        if anchor is None:
            raise VerificationFailed(f"line {line}: inclusion proof names a checkpoint not in the file")
        try:
            merkle.verify_inclusion(link.hash, link.seq - 1, size, proof, anchor["root"])
        except merkle.MerkleError as exc:
            raise VerificationFailed(f"event {link.seq}: not in the signed tree of size {size}: {exc}") from None
    key_ids = ", ".join(sorted({cp["key_id"] for cp in export.checkpoints.values()})) or "none"
    return (
        f"Verified {len(links)} events against {len(export.checkpoints)} signed checkpoint(s) "
        f"and {len(export.consistencies)} consistency proof(s); signing key id(s): {key_ids}."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path, help="a JSON Lines export from the DHR tracker")
    args = parser.parse_args(argv)
    try:
        lines = args.export.read_text(encoding="utf-8").splitlines()
        summary = check(parse(lines))
    except OSError as exc:
        print(f"cannot read {args.export}: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except (MalformedExport, UnicodeDecodeError) as exc:
        print(f"malformed export: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except VerificationFailed as exc:
        print(f"VERIFICATION FAILED: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    print(summary)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
