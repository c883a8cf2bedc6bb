"""The load test's world: the reviews bench's national-scale data set, what the mixed workload needs besides, and its cast.

Django must be configured (``django_bench.configure``) before this module is imported.

The reviews bench's seeder writes the data set (330 partnerships, 2,000 reviews, 20,000 panel
members). Then, in one transaction (all or nothing), this module adds:

- an audit trail of ``TRAIL_SIZE`` events over the past year, written with COPY before anything
  else records an event, by the people of each partnership (see ``trail_events``);
- combined chronologies on ``CHRONOLOGY_REVIEWS`` open reviews, one in each of the busiest
  partnership, the four busy ones and three typical ones: every scoped agency's accepted
  chronology of 200 to 1,000 entries, about 5,500 a review, written with ``bulk_create`` like the
  combined chronology bench's;
- ``CONTRIBUTORS`` agency contributors on each of those reviews, added through the panel service
  (so they join the secure space), and the combined chronology released to them through its
  service;
- documents in the secure spaces of up to ``SPACES_PER_PARTNERSHIP`` open reviews of those
  partnerships, uploaded, encrypted, stored and audited through the sharing services: one from
  each member of the space, and ``CHAIR_DOCUMENTS`` from the independent chair, shared with every
  other agency of the space;
- an auditor for each of those partnerships and four more.

``cast(users)`` then chooses the signed-in people of the load test and what each of them opens.
"""

import itertools
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db import connection, models, transaction
from django.utils import timezone

from audit import chain
from audit.chaining import chain_pending
from audit.checkpoints import publish_checkpoint
from audit.models import AuditEvent, Outcome, PendingEvent
from bench.combined_bench import agency_entries
from bench.django_bench import write_trail
from bench.reporting import require, say
from bench.sharing_bench import PDF_HEADER
from dhr_tracker.accounts.models import (
    Agency,
    AgencyKind,
    AgencyMembership,
    Partnership,
    PartnershipRole,
    PartnershipRoleKind,
    User,
)
from dhr_tracker.chronologies import access as chronology_access
from dhr_tracker.chronologies.models import (
    AgencyRequest,
    Entry,
    Release,
    RequestKind,
    RequestStatus,
    Submission,
    SubmissionStatus,
)
from dhr_tracker.chronologies.services.combined import release_combined
from dhr_tracker.chronologies.services.requests import answer_name
from dhr_tracker.chronologies.views import PAGE_SIZE
from dhr_tracker.reviews.access import REVIEW_READERS
from dhr_tracker.reviews.lifecycle import FINAL, State
from dhr_tracker.reviews.models import Participant, ParticipantKind, Person, Review, ScopedAgency
from dhr_tracker.reviews.services.panel import add_participant
from sharing import access as sharing_access
from sharing.models import Classification, Document, DocumentVersion, Space, SpaceMember, VersionStatus
from sharing.services import documents

TRAIL_SIZE = 500_000
CHRONOLOGY_REVIEWS = 8
ENTRIES_PER_AGENCY = (200, 1_000)
CONTRIBUTORS = 4
SPACES_PER_PARTNERSHIP = 3
CHAIR_DOCUMENTS = ("Panel meeting minutes", "Overview report, working draft", "Terms of reference as agreed")
EXTRA_AUDITORS = 4
# Documents of a DHR's secure space (minutes, chronologies, reports) are small: 10 KB to 600 KB.
DOCUMENT_BYTES = (10_000, 600_000)
# Where chronologies exist: from information gathering until the panel signs the report off.
GATHERED = (State.INFORMATION_GATHERING, State.ANALYSIS_DRAFTING, State.FAMILY_REVIEW, State.PANEL_SIGNOFF)
# The titles of the documents the load test uploads start with this; the seeded ones do not.
UPLOAD_PREFIX = "Load test upload"
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0"

# The trail's mix: (action, weight, target type, in a partnership, outcome). Sign-ins and sign-outs
# belong to no partnership, as the app records them; the rest is the work of reviews.
TRAIL_ACTIONS = (
    ("auth.login", 22, "accounts.user", False, Outcome.ALLOWED),
    ("auth.logout", 10, "accounts.user", False, Outcome.ALLOWED),
    ("auth.login_failed", 2, "", False, Outcome.FAILED),
    ("auth.session_expired", 3, "", False, Outcome.DENIED),
    ("sharing.document_downloaded", 22, "sharing.document", True, Outcome.ALLOWED),
    ("sharing.document_uploaded", 6, "sharing.document", True, Outcome.ALLOWED),
    ("chronologies.entry_added", 10, "chronologies.submission", True, Outcome.ALLOWED),
    ("chronologies.submission_submitted", 1, "chronologies.submission", True, Outcome.ALLOWED),
    ("chronologies.combined_exported", 2, "reviews.review", True, Outcome.ALLOWED),
    ("reviews.meeting_recorded", 3, "reviews.review", True, Outcome.ALLOWED),
    ("reviews.terms_changed", 3, "reviews.review", True, Outcome.ALLOWED),
    ("reviews.identities_revealed", 2, "reviews.review", True, Outcome.ALLOWED),
    ("reviews.step", 2, "reviews.review", True, Outcome.ALLOWED),
    ("reviews.participant_added", 2, "reviews.review", True, Outcome.ALLOWED),
    ("access.denied", 3, "reviews.review", True, Outcome.DENIED),
    ("audit.searched", 3, "", True, Outcome.ALLOWED),
)


# Seeding -----------------------------------------------------------------------------------------


def seeded() -> bool:
    """Whether the database holds the load test's additions: yes, no, or partly (the bench then stops)."""
    auditors = PartnershipRole.objects.filter(role=PartnershipRoleKind.AUDITOR).count()
    if auditors == CHRONOLOGY_REVIEWS + EXTRA_AUDITORS:
        return True
    require(
        auditors == 0 and not AuditEvent.objects.exists() and not PendingEvent.objects.exists(),
        f"the bench database holds {auditors} auditors and an audit trail, not what this bench writes: drop it "
        f"(dropdb {connection.settings_dict['NAME']}) and run again",
    )
    return False


def by_size() -> list[Partnership]:
    """Partnerships, the busiest first."""
    return list(Partnership.objects.annotate(size=models.Count("reviews")).order_by("-size", "slug"))


def people_of() -> dict[int, list[tuple[int, str, str]]]:
    """The people of each partnership as its auditors see them (its agencies' staff): id, e-mail, agency."""
    staff: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for user_id, email, agency_id, agency in AgencyMembership.objects.filter(ended_at__isnull=True).values_list(
        "user_id", "user__email", "agency_id", "agency__name"
    ):
        staff[agency_id].append((user_id, email, agency))
    people: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for partnership_id, agency_id in Agency.partnerships.through.objects.values_list("partnership_id", "agency_id"):
        people[partnership_id] += staff[agency_id]
    return people


def trail_events(size: int, end: datetime) -> Iterator[dict[str, Any]]:
    """A year of a national service's trail up to ``end``, by the people of each partnership.

    Partnerships are as busy as their reviews are many. A third of the events are sign-ins and
    sign-outs, which belong to no partnership: an auditor finds them through the people of their
    partnership, as the app's scope does. What the events need from the database is read here, at
    once: ``write_trail`` holds the connection while it copies.
    """
    rng = random.Random(20261122)  # noqa: S311 - benchmark data, not security
    sizes = {partnership.pk: partnership.size for partnership in by_size()}  # type: ignore[attr-defined]
    partnerships = list(sizes)
    busy = list(itertools.accumulate(sizes[pk] for pk in partnerships))
    mix = list(itertools.accumulate(weight for _, weight, _, _, _ in TRAIL_ACTIONS))
    people = people_of()
    reviews: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, partnership_id, reference in Review.objects.values_list("pk", "partnership_id", "reference"):
        reviews[partnership_id].append((pk, reference))
    start = end - timedelta(days=365)
    step = (end - start) / size

    def events() -> Iterator[dict[str, Any]]:
        for seq in range(1, size + 1):
            partnership = rng.choices(partnerships, cum_weights=busy)[0]
            user_id, email, agency = rng.choice(people[partnership])
            action, _, target_type, scoped, outcome = rng.choices(TRAIL_ACTIONS, cum_weights=mix)[0]
            # A failed sign-in names nobody: the address typed may belong to no one.
            known = outcome != Outcome.FAILED
            target_id, label = "", ""
            if target_type == "accounts.user":
                target_id, label = str(user_id), email
            elif target_type == "reviews.review":
                review_id, label = rng.choice(reviews[partnership])
                target_id = str(review_id)
            elif target_type:
                target_id = str(rng.randrange(1, 50_000))
                label = "Chronology" if target_type.startswith("chronologies.") else "Minutes"
            yield {
                "time": chain.format_time(start + step * seq),
                "actor_id": user_id if known else None,
                "actor_email": email if known else "",
                "actor_organisation": agency if known else "",
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
                "target_label": label,
                "outcome": str(outcome),
                "ip": f"10.{partnership % 250}.{user_id % 250}.{seq % 250}",
                "user_agent": USER_AGENT,
                "request_id": f"{seq:032x}",
                "partnership_id": partnership if scoped else None,
                "details": {"seeded": True},
            }

    return events()


def coordinator_of(partnership_id: int) -> User:
    return User.objects.get(
        partnership_roles__partnership_id=partnership_id, partnership_roles__role=PartnershipRoleKind.CSP_COORDINATOR
    )


def open_reviews(partnership: Partnership) -> models.QuerySet[Review]:
    """The partnership's reviews with a secure space that are not over, oldest first."""
    return Review.objects.filter(partnership=partnership, space__isnull=False).exclude(state__in=FINAL).order_by("pk")


def chronology_reviews() -> list[Review]:
    """One open review gathering information or later in each of the busiest, the busy and some typical partnerships."""
    ranked = by_size()
    chosen = []
    for partnership in ranked[:5] + ranked[len(ranked) // 2 :]:
        review = open_reviews(partnership).filter(state__in=GATHERED).first()
        if review is not None:
            chosen.append(review)
        if len(chosen) == CHRONOLOGY_REVIEWS:
            return chosen
    require(False, f"fewer than {CHRONOLOGY_REVIEWS} partnerships have a review gathering information")
    return chosen


def document_reviews(chronology: Review) -> list[Review]:
    """The reviews whose secure spaces hold documents: the one with the chronology, then the partnership's oldest open ones."""
    others = open_reviews(chronology.partnership).exclude(pk=chronology.pk)[: SPACES_PER_PARTNERSHIP - 1]
    return [chronology, *others]


def write_chronologies(review: Review, rng: random.Random) -> int:
    """Every scoped agency's chronology, accepted into the combined chronology; return the entries."""
    coordinator = coordinator_of(review.partnership_id)
    subjects = list(Person.objects.filter(review=review).order_by("role").values_list("pseudonym", flat=True))
    accepted = timezone.now() - timedelta(days=30)
    written = 0
    scoped = ScopedAgency.objects.filter(review=review).select_related("agency").order_by("agency__name")
    for agency in (row.agency for row in scoped):
        agency_request = AgencyRequest.objects.create(
            review=review,
            agency=agency,
            kind=RequestKind.CHRONOLOGY,
            period_start=date(2019, 1, 1),
            period_end=max(review.died_on, date(2025, 1, 1)),
            subjects=subjects,
            due_on=accepted.date(),
            status=RequestStatus.COMPLETE,
            completed_on=accepted.date(),
            created_by=coordinator,
        )
        submission = Submission.objects.create(
            request=agency_request,
            number=1,
            status=SubmissionStatus.ACCEPTED,
            created_by=coordinator,
            submitted_at=accepted,
            decided_by=coordinator,
            decided_at=accepted,
        )
        entries = agency_entries(rng, review, submission, agency, rng.randint(*ENTRIES_PER_AGENCY))
        Entry.objects.bulk_create(entries, batch_size=5_000)
        written += len(entries)
    return written


def add_contributors(review: Review, rng: random.Random) -> None:
    """Agency contributors for some of the scoped agencies, through the panel service; then release the combined chronology."""
    coordinator = coordinator_of(review.partnership_id)
    seated = set(Participant.objects.current().filter(review=review).values_list("user_id", flat=True))
    scoped = list(
        ScopedAgency.objects.filter(review=review).order_by("agency__name").values_list("agency_id", flat=True)
    )
    for agency_id in rng.sample(scoped, CONTRIBUTORS):
        staff = AgencyMembership.objects.filter(agency_id=agency_id, ended_at__isnull=True).exclude(user_id__in=seated)
        # The council's CSP chair and coordinator run reviews; its practitioners write its chronology.
        staff = staff.exclude(user__partnership_roles__isnull=False)
        user_id = rng.choice(list(staff.order_by("user_id").values_list("user_id", flat=True)))
        add_participant(
            review,
            actor=coordinator,
            user_id=user_id,
            agency_id=agency_id,
            kind=ParticipantKind.AGENCY_CONTRIBUTOR,
            role_title="Chronology author",
            seniority="",
            independence_statement="",
            independence_declared_on=None,
            confidentiality_declared_on=timezone.localdate() - timedelta(days=40),
            request=None,
        )
        seated.add(user_id)
    release_combined(review, actor=coordinator, request=None)


def document_content(rng: random.Random) -> bytes:
    """A PDF by its first bytes (uploads are sniffed), random after, of a size spread as documents are."""
    low, high = DOCUMENT_BYTES
    size = int(low * (high / low) ** rng.random())
    return PDF_HEADER + rng.randbytes(size - len(PDF_HEADER))


def upload(space_id: int, user: User, title: str, content: bytes, classification: str) -> int:
    """Upload a document through the sharing services, as the upload page does; return its id."""
    space = sharing_access.access_space(user, space_id, for_write=False)
    received = documents.receive_bytes(content, f"{title}.pdf")
    fields = documents.DocumentFields(
        title=title, description="", classification=classification, access_expires_at=None
    )
    return documents.upload_document(space, actor=user, fields=fields, upload=received, request=None).pk


def write_documents(review: Review, rng: random.Random) -> int:
    """A document from each member of the review's space; the chair's shared with every agency there. Return how many."""
    space_id = review.space_id
    if space_id is None:
        raise SystemExit(f"benchmark aborted: review {review.reference} has no secure space")
    members = list(SpaceMember.objects.current().filter(space_id=space_id).select_related("user", "party"))
    chair = Participant.objects.current().get(review=review, kind=ParticipantKind.INDEPENDENT_CHAIR)
    others = sorted({member.party_id for member in members if member.user_id != chair.user_id})
    written = 0
    for member in members:
        classification = rng.choice(Classification.values)
        if member.user_id != chair.user_id:
            title = f"{member.party.name} chronology notes"
            upload(space_id, member.user, title, document_content(rng), classification)
            written += 1
            continue
        for title in CHAIR_DOCUMENTS:
            document_id = upload(space_id, member.user, title, document_content(rng), classification)
            shared = Document.objects.select_related("space__protocol").get(pk=document_id)
            for party_id in others:
                documents.grant_access(shared, actor=member.user, party_id=party_id, request=None)
            written += 1
    return written


def add_auditors(partnerships: list[Partnership]) -> None:
    """An information governance auditor of each partnership, working for its council."""
    for partnership in partnerships:
        council = Agency.objects.get(partnerships=partnership, kind=AgencyKind.ADULT_SOCIAL_CARE)
        auditor = User(email=f"auditor.{partnership.slug}@bench.example", full_name=f"Auditor of {partnership.name}")
        auditor.set_unusable_password()
        auditor.save()
        AgencyMembership.objects.create(user=auditor, agency=council, job_title="Information governance auditor")
        PartnershipRole.objects.create(user=auditor, partnership=partnership, role=PartnershipRoleKind.AUDITOR)


def seed() -> None:
    started = time.perf_counter()
    rng = random.Random(20261123)  # noqa: S311 - benchmark data, not security
    with transaction.atomic():
        # First, so that what the services record below comes after it in the chain.
        write_trail(trail_events(TRAIL_SIZE, timezone.now() - timedelta(hours=1)))
        say(f"(wrote {TRAIL_SIZE:,} chained audit events in {time.perf_counter() - started:.0f}s)")
        reviews = chronology_reviews()
        entries = sum(write_chronologies(review, rng) for review in reviews)
        for review in reviews:
            add_contributors(review, rng)
        written = sum(write_documents(review, rng) for chronology in reviews for review in document_reviews(chronology))
        partnerships = [review.partnership for review in reviews]
        chosen = {partnership.pk for partnership in partnerships}
        extra = [partnership for partnership in by_size() if partnership.pk not in chosen][:EXTRA_AUDITORS]
        add_auditors(partnerships + extra)
    # Uploads are stored once the transaction commits (Celery runs inline while seeding).
    chain_pending()
    stuck = DocumentVersion.objects.exclude(status=VersionStatus.AVAILABLE).count()
    require(stuck == 0, f"{stuck} seeded document versions were not stored")
    publish_checkpoint()
    with connection.cursor() as cursor:
        # A live system's autovacuum keeps statistics fresh; a bulk load needs telling.
        cursor.execute("ANALYZE")
    say(
        f"(seeded {entries:,} chronology entries on {len(reviews)} reviews, {written} documents, "
        f"{len(partnerships) + len(extra)} auditors and {AuditEvent.objects.count():,} audit events "
        f"in {time.perf_counter() - started:.0f}s)"
    )


# The cast ----------------------------------------------------------------------------------------

# The people signed in at once, by role, per hundred: each role's share of the users.
ROLES = (
    ("CSP coordinator", 12),
    ("CSP chair", 8),
    ("independent chair", 12),
    ("panel member", 28),
    ("agency contributor", 28),
    ("auditor", 12),
)


@dataclass(frozen=True)
class Download:
    document_id: int
    version_id: str
    size: int
    sha256: str


@dataclass
class Persona:
    """One signed-in person of the load test and what their role lets them open."""

    role: str
    user: User
    # (review id, reference): overview pages, and the panel pages of those with a panel.
    reviews: list[tuple[int, str]] = field(default_factory=list)
    panels: list[tuple[int, str]] = field(default_factory=list)
    # (review id, reference, pages of 50 entries) of the combined chronologies they may read.
    combined: list[tuple[int, str, int]] = field(default_factory=list)
    # (request id, what it asks for, review reference) of their own agency's requests.
    requests: list[tuple[int, str, str]] = field(default_factory=list)
    spaces: list[int] = field(default_factory=list)
    downloads: list[Download] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)


def shares(users: int) -> dict[str, int]:
    """How many people of each role for ``users`` people: the largest remainders get the odd places."""
    exact = {role: users * share / 100 for role, share in ROLES}
    counts = {role: int(value) for role, value in exact.items()}
    for role in sorted(exact, key=lambda role: counts[role] - exact[role])[: users - sum(counts.values())]:
        counts[role] += 1
    return counts


def combined_of(reviews: list[Review]) -> list[tuple[int, str, int]]:
    """The combined chronologies among ``reviews``, with their number of pages."""
    released = {release.review_id for release in Release.objects.filter(withdrawn_at__isnull=True)}
    counted = dict(
        Entry.objects.filter(review_id__in=released, combined=True)
        .values_list("review_id")
        .annotate(count=models.Count("pk"))
        .values_list("review_id", "count")
    )
    return [
        (review.pk, review.reference, -(-counted[review.pk] // PAGE_SIZE)) for review in reviews if review.pk in counted
    ]


def downloads_of(user: User, space_ids: list[int]) -> list[Download]:
    """The seeded documents the user may open in those spaces, by the sharing app's own rules."""
    opened: list[Download] = []
    for space in Space.objects.filter(pk__in=space_ids).select_related("protocol"):
        visible = sharing_access.visible_documents(user, space)
        versions = DocumentVersion.objects.filter(document__in=visible, status=VersionStatus.AVAILABLE)
        opened += [
            Download(version.document_id, str(version.pk), version.size, version.sha256)
            for version in versions.exclude(document__title__startswith=UPLOAD_PREFIX).order_by("pk")
        ]
    return opened


def seated(kind: str, reviews: list[Review]) -> dict[int, list[Review]]:
    """The current holders of a review-level role on ``reviews``, each with the reviews they hold it on."""
    held: dict[int, list[Review]] = defaultdict(list)
    rows = Participant.objects.current().filter(kind=kind, review__in=reviews).select_related("review")
    for participant in rows.order_by("user_id", "review_id"):
        held[participant.user_id].append(participant.review)
    return held


def review_reader(role: str, user: User, reviews: list[Review]) -> Persona:
    """An independent chair or panel member: the reviews they read (not those they contribute to), chronologies and spaces."""
    mine = list(
        Review.objects.filter(
            participants__user=user, participants__removed_at__isnull=True, participants__kind__in=REVIEW_READERS
        ).distinct()
    )
    spaces = sorted({review.space_id for review in reviews if review.space_id})
    listed = [(review.pk, review.reference) for review in mine]
    return Persona(
        role,
        user,
        reviews=listed,
        panels=listed,
        combined=combined_of(mine),
        spaces=spaces,
        downloads=downloads_of(user, spaces),
    )


def auditor_searches(partnership: Partnership, people: list[tuple[int, str, str]], rng: random.Random) -> list[str]:
    """What an auditor looks for in their partnership's trail (of ``people``): the filters of the search page."""
    person, _, agency = rng.choice(people)
    review = Review.objects.filter(partnership=partnership).order_by("?").first()
    today = timezone.localdate()
    month_ago = (today - timedelta(days=30)).isoformat()
    return [
        "",
        urlencode({"action": "sharing.document_downloaded"}),
        urlencode({"action": "auth."}),
        urlencode({"outcome": "denied"}),
        urlencode({"actor": person}),
        urlencode({"organisation": agency}),
        urlencode({"target_type": "reviews.review", "target_id": review.pk if review else 1}),
        urlencode({"since": f"{month_ago} 00:00", "until": f"{today.isoformat()} 23:59"}),
        urlencode({"action": "sharing.document_downloaded", "outcome": "allowed", "since": f"{month_ago} 00:00"}),
    ]


def cast(users: int) -> list[Persona]:
    """The people of the load test, by role (``ROLES``), each with what they may open. Deterministic."""
    rng = random.Random(users)  # noqa: S311 - benchmark data, not security
    counts = shares(users)
    chronologies = [
        release.review
        for release in Release.objects.filter(withdrawn_at__isnull=True)
        .select_related("review__partnership")
        .order_by("review_id")
    ]
    partnerships = [review.partnership for review in chronologies]
    audited = list(Partnership.objects.filter(roles__role=PartnershipRoleKind.AUDITOR).order_by("pk"))
    others = [partnership for partnership in audited if partnership not in partnerships]
    reviews = [review for chronology in chronologies for review in document_reviews(chronology)]
    # Someone may contribute to one review's chronology and sit on another's panel: one person, one session.
    people: list[Persona] = []
    for role, kind in (
        ("CSP coordinator", PartnershipRoleKind.CSP_COORDINATOR),
        ("CSP chair", PartnershipRoleKind.CSP_CHAIR),
    ):
        for partnership in (partnerships + others)[: counts[role]]:
            user = User.objects.get(partnership_roles__partnership=partnership, partnership_roles__role=kind)
            theirs = list(Review.objects.filter(partnership=partnership).order_by("pk"))
            people.append(
                Persona(
                    role,
                    user,
                    reviews=[(review.pk, review.reference) for review in theirs],
                    panels=[(review.pk, review.reference) for review in theirs if review.space_id],
                    combined=combined_of(theirs),
                )
            )
    contributors = seated(ParticipantKind.AGENCY_CONTRIBUTOR, chronologies)
    free = sorted(set(contributors) - {person.user.pk for person in people})
    for user_id in rng.sample(free, min(counts["agency contributor"], len(free))):
        user = User.objects.get(pk=user_id)
        held = contributors[user_id]
        requests = chronology_access.visible_requests(user).select_related("agency", "review")
        spaces = sorted({review.space_id for review in held if review.space_id})
        people.append(
            Persona(
                "agency contributor",
                user,
                combined=combined_of(held),
                requests=[(row.pk, answer_name(row), row.review.reference) for row in requests],
                spaces=spaces,
                downloads=downloads_of(user, spaces),
            )
        )
    for role, seat in (
        ("independent chair", ParticipantKind.INDEPENDENT_CHAIR),
        ("panel member", ParticipantKind.PANEL_MEMBER),
    ):
        holders = seated(seat, reviews)
        free = sorted(set(holders) - {person.user.pk for person in people})
        chosen = rng.sample(free, min(counts[role], len(free)))
        people += [review_reader(role, User.objects.get(pk=user_id), holders[user_id]) for user_id in chosen]
    staff = people_of()
    for partnership in audited[: counts["auditor"]]:
        user = User.objects.get(
            partnership_roles__partnership=partnership, partnership_roles__role=PartnershipRoleKind.AUDITOR
        )
        people.append(Persona("auditor", user, searches=auditor_searches(partnership, staff[partnership.pk], rng)))
    missing = {role: count - sum(1 for person in people if person.role == role) for role, count in counts.items()}
    require(not any(missing.values()), f"the data set has too few people for {users} users: short of {missing}")
    return people
