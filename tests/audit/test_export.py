"""Exports verify offline with nothing but the file, and every kind of tampering shows."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Q

from audit import chain
from audit import verify as offline
from audit.export import export_lines
from audit.models import AuditEvent, Checkpoint

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(line if line.endswith("\n") else line + "\n" for line in lines))
    return path


def run(path: Path, capsys: Any) -> tuple[int, str]:
    code = offline.main([str(path)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def objects(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def dump(items: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(item, ensure_ascii=False) for item in items]


@pytest.fixture
def exported(make_events: Any) -> list[str]:
    make_events(5)
    call_command("audit_checkpoint")
    make_events(4)
    return list(export_lines())


def test_a_full_export_verifies_offline(exported: list[str], tmp_path: Path, capsys: Any) -> None:
    code, output = run(write(tmp_path, exported), capsys)
    assert code == 0, output
    assert "Verified 9 events against 2 signed checkpoint(s) and 1 consistency proof(s)" in output
    # The export signed a fresh checkpoint so that every event it holds can be proved.
    assert Checkpoint.objects.order_by("-tree_size").first().tree_size == 9  # type: ignore[union-attr]


def test_the_verifier_runs_without_django(exported: list[str], tmp_path: Path) -> None:
    path = write(tmp_path, exported)
    program = (
        "import sys, runpy; sys.modules['django'] = None; "
        f"sys.argv = ['audit.verify', {str(path)!r}]; runpy.run_module('audit.verify', run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Verified 9 events" in result.stdout


def mutate_event(lines: list[str], seq: int, **changes: Any) -> list[str]:
    items = objects(lines)
    for item in items:
        if item["type"] == "event" and item["seq"] == seq:
            item.update(changes)
    return dump(items)


def test_altered_event_fails_with_its_number(exported: list[str], tmp_path: Path, capsys: Any) -> None:
    code, output = run(write(tmp_path, mutate_event(exported, 3, action="nothing.here")), capsys)
    assert code == 1
    assert "event 3: field altered" in output


def test_removed_event_fails(exported: list[str], tmp_path: Path, capsys: Any) -> None:
    items = [i for i in objects(exported) if not (i["type"] in {"event", "inclusion"} and i["seq"] == 4)]
    items[0]["count"] = 8
    code, output = run(write(tmp_path, dump(items)), capsys)
    assert code == 1
    assert "event 4: event missing" in output


def test_reordered_events_fail(exported: list[str], tmp_path: Path, capsys: Any) -> None:
    lines = list(exported)
    positions = [n for n, line in enumerate(lines) if '"type":"event"' in line]
    lines[positions[2]], lines[positions[3]] = lines[positions[3]], lines[positions[2]]
    code, output = run(write(tmp_path, lines), capsys)
    assert code == 1
    assert "event 3: events reordered" in output


def test_dropped_tail_fails(exported: list[str], tmp_path: Path, capsys: Any) -> None:
    items = [i for i in objects(exported) if not (i["type"] in {"event", "inclusion"} and i["seq"] == 9)]
    code, output = run(write(tmp_path, dump(items)), capsys)
    assert code == 1
    assert "tail truncated" in output


def test_forged_checkpoint_signature_fails(exported: list[str], tmp_path: Path, capsys: Any) -> None:
    items = objects(exported)
    next(i for i in items if i["type"] == "checkpoint")["signature"] = "00" * 64
    code, output = run(write(tmp_path, dump(items)), capsys)
    assert code == 1
    assert "forged signature" in output


def test_rewritten_chain_fails_the_inclusion_proof(exported: list[str], tmp_path: Path, capsys: Any) -> None:
    """Even with every hash recomputed to match, the signed tree head gives the rewrite away."""
    items = objects(exported)
    events = [i for i in items if i["type"] == "event"]
    events[1]["action"] = "rewritten"
    running = bytes.fromhex(events[0]["hash"])
    for item in events[1:]:
        item["prev_hash"] = running.hex()
        running = chain.entry_hash(running, item["seq"], chain.canonical(item))
        item["hash"] = running.hex()
    code, output = run(write(tmp_path, dump(items)), capsys)
    assert code == 1
    assert "event 2: not in the signed tree" in output


def test_broken_consistency_proof_fails(exported: list[str], tmp_path: Path, capsys: Any) -> None:
    items = objects(exported)
    consistency = next(i for i in items if i["type"] == "consistency")
    consistency["proof"][0] = "11" * 32
    code, output = run(write(tmp_path, dump(items)), capsys)
    assert code == 1
    assert "does not extend" in output


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: [*lines[:2], "{not json", *lines[3:]], "line 3: not JSON"),
        (lambda lines: [*lines[:2], '{"type": "event", "seq": 1}', *lines[3:]], "line 3: event is missing"),
        (lambda lines: [*lines[:2], '{"type": "mystery"}', *lines[3:]], "line 3: unknown line type"),
        (lambda lines: lines[1:], "line 1: the first line must be the dhr-audit-export-v1 header"),
        (lambda lines: [], "line 1: the file is empty"),
    ],
)
def test_malformed_export_names_the_line(
    exported: list[str], tmp_path: Path, capsys: Any, damage: Any, message: str
) -> None:
    code, output = run(write(tmp_path, damage(exported)), capsys)
    assert code == 2
    assert message in output


def test_a_filtered_export_proves_each_event_on_its_own(make_events: Any, tmp_path: Path, capsys: Any) -> None:
    """An auditor who may see only some events still gets an export a third party can check."""
    make_events(6)
    wanted = list(AuditEvent.objects.filter(seq__in=[2, 5]).values_list("seq", flat=True))
    lines = list(export_lines(Q(seq__in=wanted)))
    header = json.loads(lines[0])
    assert header["contiguous"] is False
    assert [json.loads(line)["seq"] for line in lines if '"type":"event"' in line] == [2, 5]
    code, output = run(write(tmp_path, lines), capsys)
    assert code == 0, output
    altered = mutate_event(lines, 5, outcome="denied")
    assert run(write(tmp_path, altered), capsys)[0] == 1


def test_export_command_writes_a_verifiable_file(personas: Any, make_events: Any, tmp_path: Path, capsys: Any) -> None:
    make_events(3)
    target = tmp_path / "out.jsonl"
    call_command("export_audit", str(target), "--actor", personas.auditor.email, "--from-seq", "2")
    assert run(target, capsys)[0] == 0
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor_id == personas.auditor.pk


def test_export_command_needs_a_real_actor_and_a_new_file(personas: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No active user"):
        call_command("export_audit", str(tmp_path / "a.jsonl"), "--actor", "nobody@x.example")
    existing = tmp_path / "b.jsonl"
    existing.write_text("keep me")
    with pytest.raises(CommandError, match="already exists"):
        call_command("export_audit", str(existing), "--actor", personas.auditor.email)
    assert existing.read_text() == "keep me"
