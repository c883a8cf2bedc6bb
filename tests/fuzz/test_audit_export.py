"""The offline verifier of audit exports (``python -m audit.verify``) on damaged and forged files.

Whoever checks an export may be handed a file someone has tampered with, or one damaged in
transit; the verifier must answer with its exit status and a message (0 verified, 1 failed
verification, 2 malformed), never a traceback. The export here is built from the format's own
pure modules, signed with a throwaway key, so no database is needed.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import event, example, given
from hypothesis import strategies as st

from audit import chain, merkle, signing, verify
from tests.fuzz.strategies import fuzz, hostile_text

EVENTS = 6
FIRST_CHECKPOINT = 4


def _event(seq: int) -> dict[str, Any]:
    return {
        "time": f"2026-11-0{seq}T09:00:00.000000Z",
        "actor_id": seq,
        "actor_email": f"person{seq}@agency.example",
        "actor_organisation": "Agency A Police",
        "action": "document.downloaded",
        "target_type": "sharing.document",
        "target_id": str(100 + seq),
        "target_label": f"IMR {seq}",
        "outcome": "allowed",
        "ip": "192.0.2.1",
        "user_agent": "Firefox",
        "request_id": f"req-{seq}",
        "partnership_id": 1,
        "details": {"size": seq * 1024, "classification": "OFFICIAL-SENSITIVE"},
    }


def build_export() -> list[dict[str, Any]]:
    """A contiguous export of ``EVENTS`` events with two signed checkpoints, as ``audit.export`` writes one."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    public = signing.public_bytes(key.public_key())
    key_id = signing.key_id(public)
    events, hashes, previous = [], [], chain.GENESIS
    for seq in range(1, EVENTS + 1):
        fields = _event(seq)
        digest = chain.entry_hash(previous, seq, chain.canonical(fields))
        events.append({"type": "event", "seq": seq, "prev_hash": previous.hex(), "hash": digest.hex(), **fields})
        hashes.append(digest)
        previous = digest

    def checkpoint(size: int) -> dict[str, Any]:
        root, head, time = merkle.root(hashes[:size]), hashes[size - 1], "2026-11-10T09:00:00.000000Z"
        signature = signing.sign(key, signing.checkpoint_message(size, root, head, time))
        return {
            "type": "checkpoint",
            "tree_size": size,
            "root": root.hex(),
            "chain_head": head.hex(),
            "time": time,
            "key_id": key_id,
            "signature": signature.hex(),
        }

    tree = merkle.Tree(hashes)
    lines: list[dict[str, Any]] = [
        {
            "type": "header",
            "format": verify.FORMAT,
            "exported_at": "2026-11-10T09:05:00.000000Z",
            "public_keys": {key_id: public.hex()},
            "first_seq": 1,
            "last_seq": EVENTS,
            "count": EVENTS,
            "contiguous": True,
        },
        checkpoint(FIRST_CHECKPOINT),
        checkpoint(EVENTS),
        {
            "type": "consistency",
            "old_size": FIRST_CHECKPOINT,
            "new_size": EVENTS,
            "proof": [p.hex() for p in merkle.consistency_proof(hashes, FIRST_CHECKPOINT, EVENTS)],
        },
    ]
    for item in events:
        lines.append(item)
        proof = [p.hex() for p in tree.inclusion_proof(item["seq"] - 1)]
        lines.append({"type": "inclusion", "seq": item["seq"], "tree_size": EVENTS, "proof": proof})
    return lines


EXPORT = build_export()


def _text(lines: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines)


def run(tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "export.jsonl"
    path.write_bytes(content)
    code = verify.main([str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_export_built_here_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run(tmp_path, _text(EXPORT).encode(), capsys)
    assert (code, output.startswith(f"Verified {EVENTS} events against 2 signed checkpoint(s)")) == (0, True)


# Any JSON value, nested a little: what a forger or a damaged file may put in place of a field.
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(hostile_text, inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def field_changed(draw: st.DrawFn) -> list[dict[str, Any]]:
    lines = json.loads(json.dumps(EXPORT))
    line = draw(st.sampled_from(lines))
    name = draw(st.sampled_from(sorted(line)))
    if draw(st.booleans()):
        line[name] = draw(json_values)
    else:
        del line[name]
    event(f"changed {line.get('type', '?')}.{name}")
    return lines


ORIGINAL = _text(EXPORT).encode()


def _flipped(draw: st.DrawFn) -> bytes:
    data = bytearray(ORIGINAL)
    for _ in range(draw(st.integers(1, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _reordered(order: list[int]) -> list[dict[str, Any]]:
    return [EXPORT[index] for index in order]


edits: dict[str, Callable[[st.DrawFn], bytes]] = {
    "a field": lambda draw: _text(draw(field_changed())).encode(),
    "lines reordered, dropped or repeated": lambda draw: _text(
        _reordered(draw(st.lists(st.integers(0, len(EXPORT) - 1), max_size=len(EXPORT) + 2)))
    ).encode(),
    "bytes": lambda draw: _flipped(draw),
    "cut short": lambda draw: ORIGINAL[: draw(st.integers(0, len(ORIGINAL)))],
    "any text": lambda draw: draw(st.text(max_size=200)).encode(),
}


@st.composite
def damaged_exports(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(sorted(edits)))
    event(kind)
    return edits[kind](draw)


@fuzz(max_examples=300)
@example(content=_text(EXPORT).replace('"seq": 3,', f'"seq": {2**64},', 1).encode())
@example(content=_text(EXPORT).replace('"tree_size": 6', f'"tree_size": {2**64}', 1).encode())
@example(content=_text(EXPORT[:1]).encode() + b"[" * 100_000 + b"]" * 100_000 + b"\n")
@example(content=_text(EXPORT).replace('"seq": 3,', '"seq": ' + "1" * 5_000 + ",", 1).encode())
@given(content=damaged_exports())
def test_a_damaged_export_is_reported_never_a_traceback(
    content: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run(tmp_path, content, capsys)
    assert code in (0, 1, 2)
    assert output.strip()
    if code == 0:
        assert output.startswith("Verified")
    else:
        assert output.startswith(("VERIFICATION FAILED:", "malformed export:"))
        assert "Traceback" not in output
