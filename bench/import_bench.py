"""Chronology import benchmark: a 50,000-row XLSX from the template, read, checked and saved into a draft.

Prints figures; asserts nothing but that the import succeeded. The workbook is made once from
``template.template_xlsx`` with invented but varied rows (days, months and years, times, every
subject, risk indicators, long events) and kept under ``var/bench-chronologies/``. Each run
imports it in a fresh process through the same service path as the upload page with Celery eager
(``imports.start_import``, whose commit runs ``tasks.run_import``): the file held encrypted, read
and checked whole, then the draft's entries replaced in one transaction. The parent times the
child from before ``start_import`` to the job's end, and the child reports its peak resident set (``VmHWM``), start-up included.

Two runs: into an empty draft, then again over the 50,000 entries the first left (the import
deletes them in the same transaction). Targets (issue 6): under 15 s and under 300 MB.

PostgreSQL database ``dhr_bench_chronologies`` by default; ``BENCH_DATABASE_URL=`` (empty) runs on
SQLite in ``var/bench-chronologies/db.sqlite3``.
"""

import io
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dhr_bench_chronologies")
if BENCH_DB:
    os.environ["DATABASE_URL"] = BENCH_DB
else:
    os.environ.pop("DATABASE_URL", None)
VAR_DIR = ROOT / "var" / "bench-chronologies"
os.environ["DHR_VAR_DIR"] = str(VAR_DIR)
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dhr_tracker.settings")
os.environ["DEBUG"] = "false"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ.pop("CELERY_BROKER_URL", None)

if BENCH_DB:
    from bench.django_bench import ensure_database

    ensure_database(BENCH_DB)

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.reporting import require, say  # noqa: E402
from dhr_tracker.accounts.models import Agency, AgencyKind, Partnership, User  # noqa: E402
from dhr_tracker.chronologies import template  # noqa: E402
from dhr_tracker.chronologies.models import (  # noqa: E402
    AgencyRequest,
    Entry,
    ImportJob,
    ImportStatus,
    RequestKind,
    Submission,
)
from dhr_tracker.chronologies.services import imports  # noqa: E402
from dhr_tracker.reviews.models import Participant, ParticipantKind, Review  # noqa: E402

ROWS = 50_000
TARGET_SECONDS = 15
TARGET_MB = 300
WORKBOOK = VAR_DIR / f"chronology-{ROWS}.xlsx"
ROLES = ("Police constable", "Health visitor", "GP", "Social worker", "IDVA", "Housing officer", "Paramedic")
EVENTS = (
    "Called to the address after a neighbour reported shouting; Adult A had a cut to her lip and said she fell.",
    "Adult A attended the surgery with anxiety and poor sleep; she mentioned arguments at home about money.",
    "Adult B arrested for criminal damage to the front door; released under investigation the same night.",
    "Home visit: Child C well cared for; Adult A quiet and Adult B answered most questions for her.",
    "DASH completed with Adult A by telephone; she declined a referral to the outreach service.",
    "Missed antenatal appointment; the midwife could not reach Adult A by telephone or letter.",
)


def make_workbook() -> bytes:
    """The template filled with ``ROWS`` varied rows, made once and kept."""
    if WORKBOOK.exists():
        return WORKBOOK.read_bytes()
    rng = random.Random(6)  # noqa: S311 (invented data, not security)
    risks = settings.CHRONOLOGY_RISK_INDICATORS
    workbook = openpyxl.load_workbook(io.BytesIO(template.template_xlsx(risks)))
    sheet = workbook["Chronology"]
    for n in range(ROWS):
        year, month, day = rng.randint(2010, 2024), rng.randint(1, 12), rng.randint(1, 28)
        precision = rng.random()
        if precision < 0.85:
            on, at = (
                f"{day:02d}/{month:02d}/{year}",
                (f"{rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d}" if rng.random() < 0.4 else ""),
            )
        elif precision < 0.95:
            on, at = (
                f"{('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')[month - 1]} {year}",
                "",
            )
        else:
            on, at = str(year), ""
        sheet.append(
            (
                on,
                at,
                rng.choice(("victim", "perpetrator", "child", "other")),
                f"REC-{n:06d}",
                rng.choice(ROLES),
                f"{rng.choice(EVENTS)} (record {n})",
                rng.choice(
                    ("", "Advice given.", "Referred to MARAC.", "Safeguarding referral made to children's services.")
                ),
                "; ".join(rng.sample(risks, rng.randint(0, 3))),
            )
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    WORKBOOK.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def draft() -> Submission:
    """The bench's agency draft, made on first run: a review, a contributor, a chronology request."""
    today = timezone.localdate()
    partnership, _ = Partnership.objects.get_or_create(
        slug="bench-imports", defaults={"name": "Bench Imports CSP", "local_authority": "Bench Borough"}
    )
    agency, _ = Agency.objects.get_or_create(name="Bench Police", defaults={"kind": AgencyKind.POLICE})
    user, _ = User.objects.get_or_create(email="contributor@bench.example", defaults={"full_name": "Bench Contributor"})
    review, _ = Review.objects.get_or_create(
        partnership=partnership,
        reference="DHR-BENCH-01",
        defaults={
            "notified_on": today,
            "notifier_kind": "police",
            "notifier_name": "Bench Police",
            "died_on": today,
            "death_type": "homicide",
            "relationship": "partner",
            "created_by": user,
        },
    )
    Participant.objects.get_or_create(
        review=review, user=user, kind=ParticipantKind.AGENCY_CONTRIBUTOR, agency=agency, defaults={"added_by": user}
    )
    agency_request, _ = AgencyRequest.objects.get_or_create(
        review=review,
        agency=agency,
        kind=RequestKind.CHRONOLOGY,
        defaults={"period_start": today, "period_end": today, "due_on": today, "created_by": user},
    )
    submission, _ = Submission.objects.get_or_create(request=agency_request, number=1, defaults={"created_by": user})
    return submission


def memory_kib(field: str) -> int:
    """This process's resident set now (``VmRSS``) or at its peak (``VmHWM``), which exec resets, unlike ru_maxrss."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise SystemExit(f"benchmark aborted: /proc/self/status has no {field}")


def child(submission_id: int) -> None:
    """In the measured process: import the workbook into the draft and report the time and the job."""
    submission = Submission.objects.select_related("request__review", "request__agency").get(pk=submission_id)
    content = WORKBOOK.read_bytes()
    baseline_kib = memory_kib("VmRSS")
    started = time.perf_counter()
    job = imports.start_import(
        submission, actor=submission.created_by, content=content, file_name=WORKBOOK.name, request=None
    )
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    report = {
        "seconds": seconds,
        "status": job.status,
        "saved": job.entries_saved,
        "message": job.message,
        "baseline_kib": baseline_kib,
        "peak_kib": memory_kib("VmHWM"),
    }
    print(json.dumps(report))  # noqa: T201


def measure(label: str, submission: Submission) -> tuple[float, float]:
    """Run one import in a fresh process; return its time and the process's peak resident set in MB."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, __file__, "--child", str(submission.pk)], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    require(done.returncode == 0, f"the import process failed:\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    require(report["status"] == ImportStatus.DONE, f"the import ended {report['status']}: {report['message']}")
    require(report["saved"] == ROWS, f"the import saved {report['saved']} entries, not {ROWS:,}")
    peak_mb = report["peak_kib"] / 1024
    say(
        f"  {label}: import {report['seconds']:.1f} s (process {wall:.1f} s with start-up), "
        f"peak resident set {peak_mb:.0f} MB ({report['baseline_kib'] / 1024:.0f} MB before the import)"
    )
    return report["seconds"], peak_mb


def main() -> None:
    call_command("migrate", verbosity=0)
    engine = "PostgreSQL" if connection.vendor == "postgresql" else connection.vendor
    say(f"Chronology import benchmark on {engine} (load average {', '.join(f'{v:.2f}' for v in os.getloadavg())})")
    made = time.perf_counter()
    content = make_workbook()
    say(
        f"  workbook: {ROWS:,} rows from the template, {len(content) / 1e6:.1f} MB ({time.perf_counter() - made:.1f} s to make or load)"
    )
    submission = draft()
    ImportJob.objects.filter(submission=submission).delete()
    Entry.objects.filter(submission=submission).delete()
    results = [
        measure("into an empty draft", submission),
        measure(f"over the {ROWS:,} entries of the first run", submission),
    ]
    seconds = max(result[0] for result in results)
    peak = max(result[1] for result in results)
    say(
        f"  slowest {seconds:.1f} s (target under {TARGET_SECONDS} s): {'met' if seconds < TARGET_SECONDS else 'NOT met'}"
    )
    say(f"  largest peak {peak:.0f} MB (target under {TARGET_MB} MB): {'met' if peak < TARGET_MB else 'NOT met'}")
    say(f"(load average at the end {', '.join(f'{v:.2f}' for v in os.getloadavg())})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]))
    else:
        main()
