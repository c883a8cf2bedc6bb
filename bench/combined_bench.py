"""Combined chronology benchmarks: one review of 20 agencies x 5,000 accepted entries on PostgreSQL. Prints figures; asserts nothing.

The data set is written once with ``bulk_create`` (about a minute), bypassing the services, and
reused while its size matches: a partnership, its CSP chair, 20 agencies each with a complete
chronology request and an accepted version holding 5,000 entries, spread over six years as
agencies' records are (most dated to the day, some to a month or only a year, a third with a
time), with risk indicators, one in fifty marked significant, 500 panel notes, and two pauses.

Requests go through Django's test client in the bench's process, signed in as the CSP chair with
a verified second factor, with ``DEBUG`` off. Each page is requested ``WARM_UP`` times, once to
count its queries, then ``REQUESTS`` times to time (the timeline, which reads every entry, fewer).
The full XLSX export is timed end to end, with its peak memory: the growth of the process's peak
resident set (``VmHWM``) over its resident set when the export starts. Word and PDF documents hold
at most ``exports.MAX_DOCUMENT_ENTRIES`` entries, so they are timed on one agency's 5,000.
"""

import os
import random
import statistics
import sys
import time
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.django_bench import configure, signed_in  # noqa: E402

BENCH_DB = configure("postgres://postgres@127.0.0.1:5432/dhr_bench_combined", "bench-combined")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.reporting import require, say  # noqa: E402
from bench.sharing_bench import memory_kib, reset_peak  # noqa: E402
from dhr_tracker.accounts.models import (  # noqa: E402
    Agency,
    AgencyKind,
    AgencyMembership,
    Partnership,
    PartnershipRole,
    PartnershipRoleKind,
    User,
)
from dhr_tracker.chronologies import exports  # noqa: E402
from dhr_tracker.chronologies.importing import Subject  # noqa: E402
from dhr_tracker.chronologies.models import (  # noqa: E402
    AgencyRequest,
    Entry,
    PanelNote,
    RequestKind,
    RequestStatus,
    Submission,
    SubmissionStatus,
)
from dhr_tracker.chronologies.partialdates import PartialDate  # noqa: E402
from dhr_tracker.reviews.deadlines import PauseReason  # noqa: E402
from dhr_tracker.reviews.lifecycle import State  # noqa: E402
from dhr_tracker.reviews.models import Pause, Review  # noqa: E402

AGENCIES = 20
ENTRIES_PER_AGENCY = 5_000
NOTES = 500
WARM_UP = 5
REQUESTS = 30
TIMELINE_REQUESTS = 5
EXPORTS = 3
BATCH = 5_000
FIRST_PAGE_TARGET_MS = 300
XLSX_TARGET_S = 20
AGENCY_NAMES = (
    "Police",
    "Ambulance Service",
    "Hospitals Trust",
    "Mental Health Trust",
    "GP Practice",
    "Probation",
    "Adult Social Care",
    "Children's Social Care",
    "Housing",
    "Domestic Abuse Service",
    "Substance Misuse Service",
    "Education",
    "Health Visiting",
    "Midwifery",
    "Fire and Rescue",
    "Job Centre",
    "Citizens Advice",
    "Drug and Alcohol Team",
    "Community Mental Health",
    "Victim Support",
)
EVENTS = (
    "Adult A attended with bruising to her arm and said she had fallen",
    "Call from a neighbour who heard shouting at the address",
    "Adult B arrested for criminal damage; released under investigation",
    "Home visit: no answer, card left",
    "Adult A disclosed that Adult B checks her phone and controls the money",
    "Appointment missed; letter sent",
    "Referral received from the GP about low mood",
    "Adult A asked about refuge spaces and then declined",
)
OUTCOMES = (
    "DASH completed: medium risk",
    "Referred to the IDVA service",
    "No further action",
    "Safeguarding referral made to adult social care",
    "Advice given; follow-up booked",
    "",
)
ROLES = ("Police constable", "Health visitor", "GP", "Social worker", "Call handler", "Midwife", "Support worker")
TEXT = "Recorded for the benchmark."


def seeded() -> Review | None:
    """The benchmark's review if the database holds the data set; None if it is empty; stop otherwise."""
    entries = Entry.objects.count()
    if entries == AGENCIES * ENTRIES_PER_AGENCY:
        return Review.objects.get()
    require(
        entries == 0 and not Review.objects.exists(),
        f"the bench database holds {entries} entries, not the data set this bench writes: drop it "
        f"(dropdb {BENCH_DB.rsplit('/', 1)[1]}) and run again",
    )
    return None


def _person(email: str, name: str, agency: Agency) -> User:
    user = User(email=email, full_name=name)
    user.set_unusable_password()
    user.save()
    AgencyMembership.objects.create(user=user, agency=agency, job_title="Benchmark")
    return user


def agency_entries(
    rng: random.Random, review: Review, submission: Submission, agency: Agency, count: int = ENTRIES_PER_AGENCY
) -> list[Entry]:
    """An agency's ``count`` accepted entries over six years: dated mostly to the day, some to a month or a year."""
    first = date(2019, 1, 1).toordinal()
    risks = settings.CHRONOLOGY_RISK_INDICATORS
    entries = []
    for position in range(1, count + 1):
        day = date.fromordinal(first + rng.randrange(6 * 365))
        precision = rng.random()
        if precision < 0.05:
            on = PartialDate(day.year)
        elif precision < 0.2:
            on = PartialDate(day.year, day.month)
        else:
            on = PartialDate.from_date(day)
        at = clock(rng.randrange(24), rng.choice((0, 15, 30, 45))) if precision >= 0.2 and rng.random() < 0.4 else None
        entry = Entry(
            submission=submission,
            review=review,
            agency=agency,
            position=position,
            subject=rng.choice(list(Subject)),
            source_record=f"REC-{agency.pk}-{position:05d}",
            practitioner_role=rng.choice(ROLES),
            event=f"{rng.choice(EVENTS)}. {rng.choice(EVENTS)}.",
            action_or_outcome=rng.choice(OUTCOMES),
            risks=Entry.stored_risks(rng.sample(risks, rng.choice((0, 0, 1, 1, 2, 3)))),
            combined=True,
            significant=rng.random() < 0.02,
        )
        entry.set_date(on, at, agency.name)
        entries.append(entry)
    return entries


def seed() -> Review:
    started = time.perf_counter()
    rng = random.Random(20260601)  # noqa: S311 - benchmark data, not security
    with transaction.atomic():
        partnership = Partnership.objects.create(
            name="Benchshire Community Safety Partnership", slug="benchshire", local_authority="Benchshire Council"
        )
        agencies = [Agency.objects.create(name=f"Benchshire {name}", kind=AgencyKind.OTHER) for name in AGENCY_NAMES]
        for agency in agencies:
            agency.partnerships.add(partnership)
        chair = _person("csp-chair@bench.example", "Casey Chair", agencies[6])
        PartnershipRole.objects.create(user=chair, partnership=partnership, role=PartnershipRoleKind.CSP_CHAIR)
        today = timezone.localdate()
        review = Review.objects.create(
            partnership=partnership,
            reference="DHR-2025-01",
            state=State.INFORMATION_GATHERING,
            notified_on=date(2025, 3, 1),
            notifier_kind="police",
            notifier_name="Police major crime team",
            died_on=date(2025, 2, 20),
            death_type="homicide",
            relationship="partner",
            decided_on=date(2025, 3, 20),
            decided_by=chair,
            decision_reasons=TEXT,
            created_by=chair,
        )
        Pause.objects.bulk_create(
            [
                Pause(
                    review=review,
                    reason=reason,
                    started_on=start,
                    ended_on=end,
                    requested_by=chair,
                    approved_by=chair,
                )
                for reason, start, end in (
                    (PauseReason.CRIMINAL_TRIAL, date(2025, 5, 1), date(2025, 9, 1)),
                    (PauseReason.INQUEST, date(2025, 10, 1), None),
                )
            ]
        )
        decided = datetime(2025, 6, 1, 10, tzinfo=timezone.get_current_timezone())
        for agency in agencies:
            agency_request = AgencyRequest.objects.create(
                review=review,
                agency=agency,
                kind=RequestKind.CHRONOLOGY,
                period_start=date(2019, 1, 1),
                period_end=date(2025, 2, 20),
                subjects=["Adult A", "Adult B"],
                due_on=today,
                status=RequestStatus.COMPLETE,
                completed_on=today,
                created_by=chair,
            )
            submission = Submission.objects.create(
                request=agency_request,
                number=1,
                status=SubmissionStatus.ACCEPTED,
                created_by=chair,
                submitted_at=decided,
                decided_by=chair,
                decided_at=decided,
            )
            Entry.objects.bulk_create(agency_entries(rng, review, submission, agency), batch_size=BATCH)
        noted = Entry.objects.filter(review=review).order_by("?").values_list("pk", flat=True)[:NOTES]
        PanelNote.objects.bulk_create([PanelNote(entry_id=pk, text=TEXT, author=chair) for pk in noted])
    with connection.cursor() as cursor:
        # A live system's autovacuum keeps statistics fresh and the visibility map set; a bulk load needs telling.
        cursor.execute("VACUUM ANALYZE")
    say(f"(seeded {AGENCIES} agencies x {ENTRIES_PER_AGENCY:,} entries in {time.perf_counter() - started:.0f}s)")
    return review


def get(client: Client, url: str) -> bytes:
    response = client.get(url)
    require(response.status_code == 200, f"{url} answered {response.status_code}")
    return response.content


def queries_of(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    return len(queries)


def measure(label: str, client: Client, url: str, runs: int = REQUESTS, target_ms: float | None = None) -> None:
    """Warm up, count the queries of one request, then time ``runs`` requests through Django."""
    for _ in range(WARM_UP if runs >= WARM_UP else 1):
        get(client, url)
    count = queries_of(client, url)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        get(client, url)
        timings.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(timings, n=20, method="inclusive")[-1]
    target = f" [target < {target_ms:.0f} ms]" if target_ms else ""
    say(
        f"  {label:<52} median {statistics.median(timings):7.1f} ms, p95 {p95:7.1f} ms, "
        f"worst {max(timings):7.1f} ms, {count} queries{target}"
    )


def export(label: str, client: Client, url: str, runs: int, target_s: float | None = None) -> None:
    """Time whole downloads, with the peak memory growth of the largest."""
    timings, growth, size = [], 0.0, 0
    for _ in range(runs):
        baseline = reset_peak()
        started = time.perf_counter()
        content = get(client, url)
        timings.append(time.perf_counter() - started)
        if baseline is not None:
            growth = max(growth, (memory_kib()["VmHWM"] - baseline) / 1024)
        size = len(content)
    target = f" [target < {target_s:.0f} s]" if target_s else ""
    say(
        f"  {label:<52} median {statistics.median(timings):6.1f} s, worst {max(timings):6.1f} s, "
        f"{size / 1024**2:.1f} MiB, peak memory growth {growth:.0f} MiB{target}"
    )


def main() -> None:
    call_command("migrate", verbosity=0)
    say(f"Combined chronology benchmarks on PostgreSQL (load average {', '.join(f'{v:.2f}' for v in os.getloadavg())})")
    review = seeded()
    if review is None:
        review = seed()
    else:
        say(f"(the data set is already seeded: {AGENCIES} agencies x {ENTRIES_PER_AGENCY:,} entries)")
    chair = User.objects.get(email="csp-chair@bench.example")
    client = signed_in(chair)
    police = Agency.objects.get(name="Benchshire Police")
    page = reverse("chronologies:combined", args=[review.pk])
    timeline = reverse("chronologies:combined_timeline", args=[review.pk])
    last = -(-Entry.objects.filter(review=review).count() // 50)
    say(f"Pages, each {REQUESTS} requests after {WARM_UP} to warm up, in-process through Django's test client:")
    measure("combined chronology, first page", client, page, target_ms=FIRST_PAGE_TARGET_MS)
    measure("second page", client, f"{page}?page=2")
    measure(f"last page (page {last:,})", client, f"{page}?page={last}")
    measure("filtered: one agency and a risk indicator", client, f"{page}?agency={police.pk}&risk=MARAC+referral")
    measure("filtered: significant entries in 2022", client, f"{page}?significant=on&since=2022&until=2022")
    measure("filtered: text search", client, f"{page}?text=refuge")
    measure("timeline by agency, every entry", client, timeline, runs=TIMELINE_REQUESTS)
    say("Downloads, end to end through Django:")
    xlsx = reverse("chronologies:combined_export", args=[review.pk, "xlsx"])
    export("XLSX, every entry (100,000)", client, xlsx, EXPORTS, target_s=XLSX_TARGET_S)
    csv = reverse("chronologies:combined_export", args=[review.pk, "csv"])
    export("CSV, every entry (100,000)", client, csv, 1)
    one_agency = f"?agency={police.pk}"
    require(exports.MAX_DOCUMENT_ENTRIES >= ENTRIES_PER_AGENCY, "one agency's entries are over the document limit")
    for fmt in ("docx", "pdf"):
        url = reverse("chronologies:combined_export", args=[review.pk, fmt]) + one_agency
        export(f"{fmt.upper()}, one agency ({ENTRIES_PER_AGENCY:,} entries)", client, url, 1)
    say(f"(load average at the end {', '.join(f'{v:.2f}' for v in os.getloadavg())})")


if __name__ == "__main__":
    main()
