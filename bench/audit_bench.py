"""Audit trail benchmarks: recording, verification and search. Prints figures; asserts nothing."""

import multiprocessing
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dhr_bench")
os.environ["DATABASE_URL"] = BENCH_DB
os.environ["DHR_VAR_DIR"] = str(ROOT / "var" / "bench")
# As in production: a broker (so Celery beat backs up the chainer); no task is sent during the bench.
os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/14"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dhr_tracker.settings")
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["ALLOWED_HOSTS"] = "testserver"

from bench.django_bench import ensure_database, signed_in, write_trail  # noqa: E402

ensure_database(BENCH_DB)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from audit import chain, triggers  # noqa: E402
from audit.chaining import chain_pending, unchained  # noqa: E402
from audit.checkpoints import publish_checkpoint  # noqa: E402
from audit.models import AuditEvent, Checkpoint, Outcome  # noqa: E402
from audit.trail import record  # noqa: E402
from audit.verification import verify  # noqa: E402
from bench.reporting import require, say  # noqa: E402
from dhr_tracker.accounts.models import (  # noqa: E402
    Agency,
    AgencyMembership,
    Partnership,
    PartnershipRole,
    PartnershipRoleKind,
    User,
)

TRAIL_SIZE = 1_000_000
PARTNERSHIPS = 330
ACTIONS = [
    "document.viewed",
    "document.downloaded",
    "review.viewed",
    "chronology.submitted",
    "auth.login",
    "auth.login_failed",
    "access.denied",
    "review.commissioned",
    "panel.member_added",
    "report.drafted",
]


def reset_trail() -> None:
    """Empty the benchmark's audit tables (its own database only)."""
    triggers.remove(connection)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent, audit_pendingevent, audit_checkpoint, audit_verificationrun")
    triggers.install(connection)


def people() -> tuple[User, list[int]]:
    """An auditor of partnership 1 and the ids of the people who work in it."""
    partnership, _ = Partnership.objects.get_or_create(
        slug="bench-1", defaults={"name": "Bench Partnership 1", "local_authority": "Bench Council"}
    )
    agency, _ = Agency.objects.get_or_create(name="Bench Police", defaults={"kind": "police"})
    agency.partnerships.add(partnership)
    auditor = User.objects.filter(email="auditor@bench.example").first()
    if auditor is None:
        auditor = User.objects.create_user(
            "auditor@bench.example", "bench-auditor-password-1", full_name="Bench Auditor"
        )
        PartnershipRole.objects.create(user=auditor, partnership=partnership, role=PartnershipRoleKind.AUDITOR)
        for n in range(40):
            worker = User.objects.create_user(f"worker{n}@bench.example", None, full_name=f"Worker {n}")
            AgencyMembership.objects.create(user=worker, agency=agency)
    ids = list(User.objects.filter(email__endswith="@bench.example").values_list("pk", flat=True))
    return auditor, ids


def seed_trail(size: int, staff: list[int]) -> None:
    """Write a realistic, correctly chained trail."""
    rng = random.Random(20261121)  # noqa: S311 - benchmark data, not security
    start = datetime(2024, 11, 21, tzinfo=UTC)
    step = timedelta(days=730) / size

    def events() -> Iterator[dict[str, Any]]:
        for seq in range(1, size + 1):
            actor = rng.choice(staff) if rng.random() < 0.02 else rng.randrange(10_000, 60_000)
            action = rng.choice(ACTIONS)
            yield {
                "time": chain.format_time(start + step * seq),
                "actor_id": actor,
                "actor_email": f"user{actor}@agency.example",
                "actor_organisation": f"Agency {actor % 400}",
                "action": action,
                "target_type": "sharing.document",
                "target_id": str(rng.randrange(1, 50_000)),
                "target_label": "Chronology",
                "outcome": Outcome.DENIED if action == "access.denied" else Outcome.ALLOWED,
                "ip": f"10.{actor % 250}.{seq % 250}.{actor % 7}",
                "user_agent": "Mozilla/5.0 (bench)",
                "request_id": f"{seq:032x}",
                "partnership_id": rng.randrange(1, PARTNERSHIPS + 1),
                "details": {"bench": True, "n": seq % 1000},
            }

    write_trail(events())
    triggers.install(connection)


def bench_recording(seconds: float = 10.0, writers: int = 4) -> None:
    """Append to the trail from several processes at once, then check the chain is intact."""
    recorded = AuditEvent.objects.filter(action="bench.recorded")
    before = recorded.count()
    connections.close_all()
    deadline = time.time() + seconds

    def work(worker: int, out: "multiprocessing.Queue[int]") -> None:
        connections.close_all()
        count = 0
        while time.time() < deadline:
            record("bench.recorded", outcome=Outcome.ALLOWED, details={"worker": worker, "n": count})
            count += 1
        connections.close_all()
        out.put(count)

    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[int] = context.Queue()
    started = time.perf_counter()
    processes = [context.Process(target=work, args=(w, queue)) for w in range(writers)]
    for process in processes:
        process.start()
    counts = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    total = sum(counts)
    settled = time.perf_counter()
    chain_pending()
    settled = time.perf_counter() - settled
    result = verify(save=False)
    require(recorded.count() == before + total, f"{before + total - recorded.count()} events were not chained")
    require(not unchained().exists(), "events were left pending")
    say(
        f"recording: {total} events by {writers} concurrent writers in {elapsed:.1f}s = {total / elapsed:,.0f} events/s "
        f"(per writer {', '.join(str(c) for c in counts)}); {settled * 1000:.0f} ms to chain what was still pending "
        f"at the end; chain afterwards: {'intact' if result.ok else result.problem} [target >= 1,000 events/s]"
    )


def ensure_trail(staff: list[int]) -> None:
    if AuditEvent.objects.count() < TRAIL_SIZE or not Checkpoint.objects.exists():
        reset_trail()
        started = time.perf_counter()
        seed_trail(TRAIL_SIZE, staff)
        with connection.cursor() as cursor:
            # A live system's autovacuum keeps statistics fresh; a bulk load needs telling.
            cursor.execute("ANALYZE audit_auditevent")
        publish_checkpoint()
        say(f"(seeded {TRAIL_SIZE:,} chained events and signed a checkpoint in {time.perf_counter() - started:.0f}s)")


def bench_verification() -> None:
    size = AuditEvent.objects.count()
    runs = []
    for _ in range(3):
        result = verify(save=False)
        require(result.ok, f"the trail does not verify: {result.problem}")
        runs.append(result.rate)
    say(
        f"verify_audit (full): {size:,} events, median {statistics.median(runs):,.0f} events/s "
        f"(runs: {', '.join(f'{r:,.0f}' for r in runs)}) [target >= 200,000 events/s]"
    )


def bench_search(auditor: User, staff: list[int]) -> None:
    client = signed_in(auditor)
    sample = AuditEvent.objects.filter(partnership_id=1).order_by("-seq").values("target_id", "actor_id").first() or {}
    filters = {
        "no filter": "",
        "action": "action=document.downloaded",
        "action prefix": "action=auth.",
        "outcome": "outcome=denied",
        "person": f"actor={staff[0]}",
        "agency": "organisation=Agency 17",
        "partnership": "partnership=1",
        "target": f"target_type=sharing.document&target_id={sample.get('target_id', '1')}",
        "time range": "since=2025-06-01+00:00&until=2025-06-30+00:00",
        "combined": "action=document.viewed&outcome=allowed&since=2025-01-01+00:00",
    }
    say(
        f"auditor search over {AuditEvent.objects.count():,} events (first page, 50 rows, full request through Django):"
    )
    for name, query in filters.items():
        client.get(f"/audit/events/?{query}")
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(f"/audit/events/?{query}")
            timings.append((time.perf_counter() - started) * 1000)
            require(response.status_code == 200, f"search answered {response.status_code}")
        say(f"  {name:<14} median {statistics.median(timings):6.1f} ms, worst {max(timings):6.1f} ms [target < 200 ms]")


def main() -> None:
    call_command("migrate", verbosity=0)
    auditor, staff = people()
    say("Audit trail benchmarks on PostgreSQL")
    ensure_trail(staff)
    bench_verification()
    bench_search(auditor, staff)
    bench_recording()


if __name__ == "__main__":
    main()
