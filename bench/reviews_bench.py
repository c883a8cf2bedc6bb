"""Review lifecycle benchmarks: the dashboard and a review's pages over a national-scale data set. Prints figures; asserts nothing.

The data set (330 partnerships, 2,000 reviews across the lifecycle, 20,000 panel members) is
written once with ``bulk_create``, bypassing the services, and reused by later runs. It is
invented but whole: every review has its people (sealed, with blind indexes), the steps that
brought it to its state, and from set-up on a secure space, a confirmed chair, a panel, terms of
reference, meetings with actions, and for some pauses and extensions, so the pages render it
as they would real work.
"""

import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.django_bench import configure, signed_in  # noqa: E402

BENCH_DB = configure("postgres://postgres@127.0.0.1:5432/dhr_bench_reviews", "bench-reviews")

from django.core.management import call_command  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.reporting import require, say  # noqa: E402
from dhr_tracker import blindindex  # noqa: E402
from dhr_tracker.accounts.models import (  # noqa: E402
    Agency,
    AgencyKind,
    AgencyMembership,
    Partnership,
    PartnershipRole,
    PartnershipRoleKind,
    User,
)
from dhr_tracker.reviews.deadlines import PauseReason  # noqa: E402
from dhr_tracker.reviews.lifecycle import PAUSABLE, State  # noqa: E402
from dhr_tracker.reviews.models import (  # noqa: E402
    ChairAppointment,
    ClockKind,
    Criterion,
    Extension,
    Meeting,
    MeetingAction,
    Participant,
    ParticipantKind,
    Pause,
    Person,
    PersonRole,
    Review,
    ScopedAgency,
    Seniority,
    StepRecord,
    TermsOfReference,
    TermsStatus,
)
from sharing.models import (  # noqa: E402
    Classification,
    LegalBasis,
    Protocol,
    ProtocolParty,
    ProtocolStatus,
    Space,
    SpaceMember,
)

PARTNERSHIPS = 330
REVIEWS = 2_000
PANEL_MEMBERS = 20_000
# The busiest partnership's reviews; a few others have more than the usual five or six.
BUSIEST = 40
BUSY = (15, 15, 15, 15)
SHOWCASE_PANEL = 10
REQUESTS = 50
WARM_UP = 5
TARGET_MS = 150
BATCH = 2_000

# Regional bodies serve neighbouring partnerships: (kind, name, partnerships per body, staff).
REGIONAL = (
    (AgencyKind.POLICE, "Police Force {:02d}", 8, 6),
    (AgencyKind.ICB_GP, "Integrated Care Board {:02d}", 8, 6),
    (AgencyKind.PROBATION, "Probation Region {:02d}", 28, 6),
    (AgencyKind.AMBULANCE, "Ambulance Service {:02d}", 30, 4),
    (AgencyKind.MENTAL_HEALTH, "Mental Health Trust {:02d}", 6, 5),
    (AgencyKind.HEALTH_TRUST, "Hospitals Trust {:03d}", 3, 4),
)
# Each partnership's own: (kind, name, responsible authority, staff).
LOCAL = (
    (AgencyKind.ADULT_SOCIAL_CARE, "Borough {:03d} Council", True, 5),
    (AgencyKind.DOMESTIC_ABUSE, "Borough {:03d} Domestic Abuse Service", False, 3),
    (AgencyKind.HOUSING, "Borough {:03d} Homes", False, 3),
)
# Independent chairs work for firms that serve any partnership.
CHAIR_FIRMS = 20
CHAIRS_PER_FIRM = 10

# (step, the state it enters, typical days since the step before): the way most reviews go.
MAIN_LINE = (
    ("start_scoping", State.SCOPING, 3),
    ("brief_chair", State.DECISION_PENDING, 12),
    ("commission", State.COMMISSIONED, 10),
    ("begin_setup", State.SETUP, 21),
    ("start_gathering", State.INFORMATION_GATHERING, 50),
    ("start_drafting", State.ANALYSIS_DRAFTING, 120),
    ("share_with_family", State.FAMILY_REVIEW, 75),
    ("seek_panel_signoff", State.PANEL_SIGNOFF, 30),
    ("seek_csp_signoff", State.CSP_SIGNOFF, 20),
    ("submit_to_home_office", State.SUBMITTED_TO_HO, 20),
    ("record_qa_outcome", State.QA_OUTCOME, 90),
    ("start_amending", State.AMENDING, 14),
    ("prepare_publication", State.READY_TO_PUBLISH, 45),
    ("publish", State.PUBLISHED, 30),
    ("monitor_actions", State.ACTION_MONITORING, 7),
    ("close", State.CLOSED, 365),
)
DECLINED_LINE = (
    *MAIN_LINE[:2],
    ("decline", State.NOT_COMMISSIONED, 10),
    ("close_no_review", State.CLOSED_NO_REVIEW, 60),
)
# How a national data set accumulated over years is spread: most reviews are under way or done.
STATE_WEIGHTS = {
    State.NOTIFIED: 1,
    State.SCOPING: 1,
    State.DECISION_PENDING: 1,
    State.NOT_COMMISSIONED: 1,
    State.CLOSED_NO_REVIEW: 4,
    State.COMMISSIONED: 2,
    State.SETUP: 6,
    State.INFORMATION_GATHERING: 13,
    State.ANALYSIS_DRAFTING: 10,
    State.FAMILY_REVIEW: 4,
    State.PANEL_SIGNOFF: 2,
    State.CSP_SIGNOFF: 2,
    State.SUBMITTED_TO_HO: 5,
    State.QA_OUTCOME: 2,
    State.AMENDING: 2,
    State.READY_TO_PUBLISH: 2,
    State.PUBLISHED: 10,
    State.ACTION_MONITORING: 9,
    State.CLOSED: 15,
    State.PAUSED: 6,
    State.WITHDRAWN: 2,
}
# Where the paused and withdrawn reviews stopped.
STOPPED_IN = (State.SETUP, State.INFORMATION_GATHERING, State.INFORMATION_GATHERING, State.ANALYSIS_DRAFTING)
# The steps taken by the CSP chair and the independent chair; the coordinator takes the others.
CSP_CHAIR_STEPS = frozenset({"commission", "decline", "publish", "close", "pause", "withdraw"})
CHAIR_STEPS = frozenset({"start_gathering", "start_drafting", "share_with_family", "seek_panel_signoff"})
FIRST_NAMES = ("Amira", "Beth", "Carla", "Dana", "Fatima", "Grace", "Jade", "Lena", "Priya", "Sian", "Ben", "Liam")
SURNAMES = ("Ahmed", "Baker", "Clarke", "Davies", "Evans", "Hughes", "Khan", "Nowak", "O'Brien", "Patel", "Smith")
TEXT = "Recorded for the benchmark."


def pick_state(rng: random.Random) -> State:
    return rng.choices(list(STATE_WEIGHTS), weights=list(STATE_WEIGHTS.values()))[0]


@dataclass
class Plan:
    """One review to write: its state, the steps that led there (with their days) and what it holds."""

    partnership: int
    number: int
    notified_on: date
    state: State
    paused_from: State | None
    steps: list[tuple[str, State, State, date]]
    pauses: list[tuple[date, date | None, PauseReason]]
    staffed: bool
    panel_size: int = 0
    meetings: int = 0
    extension: bool = False
    replaced_member: bool = False
    terms_versions: int = 0

    def day_of(self, step: str) -> date | None:
        return next((on for name, _, _, on in self.steps if name == step), None)

    @property
    def ended_on(self) -> date | None:
        final = {"close", "close_no_review", "withdraw"}
        return next((on for name, _, _, on in self.steps if name in final), None)


def plan_review(partnership: int, number: int, state: State, rng: random.Random, today: date) -> Plan:
    """The steps that take a review to ``state``, dated backwards from today."""
    stopped = rng.choice(STOPPED_IN) if state in (State.PAUSED, State.WITHDRAWN) else state
    line = DECLINED_LINE if stopped in (State.NOT_COMMISSIONED, State.CLOSED_NO_REVIEW) else MAIN_LINE
    entered = [State.NOTIFIED, *(target for _, target, _ in line)]
    moves = [(name, target, rng.randint(days // 2 + 1, days * 3 // 2 + 1)) for name, target, days in line]
    moves = moves[: entered.index(stopped)]
    pausable = [index for index, (_, target, _) in enumerate(moves) if target in PAUSABLE]
    if pausable and state not in (State.PAUSED, State.WITHDRAWN) and rng.random() < 0.2:
        # An earlier pause, for a trial or an inquest, that has ended.
        index = rng.choice(pausable[:3])
        moves[index + 1 : index + 1] = [
            ("pause", State.PAUSED, rng.randint(5, 40)),
            ("resume", moves[index][1], rng.randint(60, 300)),
        ]
    if state == State.PAUSED:
        moves.append(("pause", State.PAUSED, rng.randint(5, 40)))
    elif state == State.WITHDRAWN:
        moves.append(("withdraw", State.WITHDRAWN, rng.randint(10, 60)))
    # How long it has been in its state: up to five years for the finished, about a usual stay otherwise.
    usual_stay = {source: days for source, (_, _, days) in zip(entered, line, strict=False)}
    if state in (State.CLOSED, State.CLOSED_NO_REVIEW, State.WITHDRAWN):
        stay = rng.randint(0, 1800)
    else:
        stay = rng.randint(0, usual_stay.get(state, 250))
    notified_on = today - timedelta(days=sum(days for _, _, days in moves) + stay)
    steps: list[tuple[str, State, State, date]] = []
    pauses: list[tuple[date, date | None, PauseReason]] = []
    on, current = notified_on, State.NOTIFIED
    for name, target, days in moves:
        on += timedelta(days=days)
        steps.append((name, current, target, on))
        current = target
        if name == "pause":
            pauses.append((on, None, rng.choice(list(PauseReason))))
        elif name == "resume":
            pauses[-1] = (pauses[-1][0], on, pauses[-1][2])
    staffed = any(name == "begin_setup" for name, _, _, _ in steps)
    # One meeting in set-up, one more for each stage after, up to six.
    stages = entered.index(stopped) - entered.index(State.SETUP) + 1 if staffed else 0
    return Plan(
        partnership=partnership,
        number=number,
        notified_on=notified_on,
        state=state,
        paused_from=stopped if state == State.PAUSED else None,
        steps=steps,
        pauses=pauses,
        staffed=staffed,
        meetings=min(6, stages),
        extension=staffed and rng.random() < 0.12,
        replaced_member=staffed and rng.random() < 0.05,
        terms_versions=(2 if rng.random() < 0.25 else 1) if staffed else 0,
    )


def showcase_plan(partnership: int, today: date) -> Plan:
    """A review with a full set of records: gathering information after a pause for a trial, four meetings."""
    notified_on = today - timedelta(days=420)
    steps: list[tuple[str, State, State, date]] = []
    on, current = notified_on, State.NOTIFIED
    for (name, target, _), gap in zip(MAIN_LINE[:4], (2, 10, 8, 20), strict=True):
        on += timedelta(days=gap)
        steps.append((name, current, target, on))
        current = target
    trial = (on + timedelta(days=15), on + timedelta(days=200), PauseReason.CRIMINAL_TRIAL)
    steps += [
        ("pause", State.SETUP, State.PAUSED, trial[0]),
        ("resume", State.PAUSED, State.SETUP, trial[1]),
        ("start_gathering", State.SETUP, State.INFORMATION_GATHERING, trial[1] + timedelta(days=30)),
    ]
    return Plan(
        partnership=partnership,
        number=1,
        notified_on=notified_on,
        state=State.INFORMATION_GATHERING,
        paused_from=None,
        steps=steps,
        pauses=[trial],
        staffed=True,
        panel_size=SHOWCASE_PANEL,
        meetings=4,
        extension=True,
        terms_versions=2,
    )


def review_counts(rng: random.Random) -> list[int]:
    """Reviews per partnership: the busiest first, a few busy ones, five or six for the rest; 2,000 in all."""
    counts = [BUSIEST, *BUSY]
    rest = PARTNERSHIPS - len(counts)
    left = REVIEWS - sum(counts)
    counts += [left // rest + (1 if index < left % rest else 0) for index in range(rest)]
    tail = counts[len(BUSY) + 1 :]
    rng.shuffle(tail)
    return counts[: len(BUSY) + 1] + tail


def panel_sizes(plans: Sequence[Plan]) -> None:
    """Share the 20,000 panel members among the staffed reviews, beyond the showcase's fixed ten."""
    staffed = [plan for plan in plans if plan.staffed and not plan.panel_size]
    fixed = sum(plan.panel_size for plan in plans)
    base, extra = divmod(PANEL_MEMBERS - fixed, len(staffed))
    for index, plan in enumerate(staffed):
        plan.panel_size = base + (1 if index < extra else 0)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def bulk(rows: Sequence[models.Model]) -> None:
    if rows:
        type(rows[0]).objects.bulk_create(rows, batch_size=BATCH)


@dataclass
class People:
    """A partnership and the people and agencies its reviews need."""

    partnership: Partnership
    csp_chair: User
    coordinator: User
    agencies: list[Agency]  # the nine that sit on panels
    firm: Agency  # the independent chairs' firm
    protocol: Protocol | None = None


@dataclass
class Rows:
    """What the reviews hold, gathered so that each kind is written in batches."""

    people: list[Person] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    pauses: list[Pause] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    chairs: list[ChairAppointment] = field(default_factory=list)
    scoped: list[ScopedAgency] = field(default_factory=list)
    members: list[SpaceMember] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    terms: list[tuple[TermsOfReference, list[Agency]]] = field(default_factory=list)

    def write(self) -> None:
        for rows in (
            self.people,
            self.steps,
            self.pauses,
            self.extensions,
            self.chairs,
            self.scoped,
            self.members,
            self.participants,
        ):
            bulk(rows)
        bulk([terms for terms, _ in self.terms])
        covers = TermsOfReference.agencies.through
        bulk(
            [
                covers(termsofreference_id=terms.pk, agency_id=agency.pk)
                for terms, agencies in self.terms
                for agency in agencies
            ]
        )


class Seeder:
    """Writes the data set: partnerships, agencies and people, then the reviews and what they hold."""

    def __init__(self) -> None:
        self.rng = random.Random(20260501)  # noqa: S311 - benchmark data, not security
        self.today = timezone.localdate()
        self.users: list[User] = []
        self.memberships: list[AgencyMembership] = []
        self.staff: dict[int, list[User]] = {}

    def _user(self, agency: Agency, label: str, job: str) -> User:
        user = User(email=f"{label}.{len(self.users)}@bench.example", full_name=self.name())
        user.set_unusable_password()
        self.users.append(user)
        self.memberships.append(AgencyMembership(user=user, agency=agency, job_title=job))
        return user

    def name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"

    def partnerships(self) -> list[People]:
        """Partnerships with their CSP chair and coordinator, agencies shared by neighbours, and their staff."""
        partnerships = [
            Partnership(
                name=f"Borough {n:03d} Community Safety Partnership",
                slug=f"borough-{n:03d}",
                local_authority=f"Borough {n:03d} Council",
            )
            for n in range(1, PARTNERSHIPS + 1)
        ]
        bulk(partnerships)
        regional = {
            (kind, index): Agency(name=name.format(index + 1), kind=kind)
            for kind, name, per, _ in REGIONAL
            for index in range(-(-PARTNERSHIPS // per))
        }
        local = {
            (kind, n): Agency(name=name.format(n + 1), kind=kind, is_responsible_authority=responsible)
            for kind, name, responsible, _ in LOCAL
            for n in range(PARTNERSHIPS)
        }
        firms = [
            Agency(name=f"Independent Review Chairs {n:02d} Ltd", kind=AgencyKind.OTHER)
            for n in range(1, CHAIR_FIRMS + 1)
        ]
        bulk([*regional.values(), *local.values(), *firms])
        staffing = {kind: staff for kind, _, _, staff in REGIONAL} | {kind: staff for kind, _, _, staff in LOCAL}
        for agency in [*regional.values(), *local.values()]:
            job = f"{agency.get_kind_display()} lead"
            self.staff[agency.pk] = [self._user(agency, "staff", job) for _ in range(staffing[agency.kind])]
        for firm in firms:
            self.staff[firm.pk] = [self._user(firm, "chair", "Independent chair") for _ in range(CHAIRS_PER_FIRM)]
        people = []
        for n, partnership in enumerate(partnerships):
            council = local[(AgencyKind.ADULT_SOCIAL_CARE, n)]
            people.append(
                People(
                    partnership=partnership,
                    csp_chair=self._user(council, "csp-chair", "Chair of the Community Safety Partnership"),
                    coordinator=self._user(council, "coordinator", "DHR coordinator"),
                    agencies=[regional[(kind, n // per)] for kind, _, per, _ in REGIONAL]
                    + [local[(kind, n)] for kind, _, _, _ in LOCAL],
                    firm=firms[n % CHAIR_FIRMS],
                )
            )
        bulk(self.users)
        bulk(self.memberships)
        served = Agency.partnerships.through
        bulk(
            [
                served(agency_id=agency.pk, partnership_id=group.partnership.pk)
                for group in people
                for agency in [*group.agencies, group.firm]
            ]
        )
        bulk(
            [
                PartnershipRole(user=user, partnership=group.partnership, role=role)
                for group in people
                for user, role in (
                    (group.csp_chair, PartnershipRoleKind.CSP_CHAIR),
                    (group.coordinator, PartnershipRoleKind.CSP_COORDINATOR),
                )
            ]
        )
        return people

    def protocols(self, people: list[People]) -> None:
        """One active information-sharing protocol per partnership, signed by all its agencies."""
        start = self.today - timedelta(days=2000)
        for group in people:
            group.protocol = Protocol(
                scope=group.partnership,
                title="Domestic homicide reviews information sharing",
                purposes="Domestic homicide reviews under section 9 of the Domestic Violence, Crime and Victims Act 2004.",
                legal_bases=[LegalBasis.DVCVA_2004_S9, LegalBasis.UK_GDPR_6_1_E, LegalBasis.UK_GDPR_9_2_G],
                max_classification=Classification.OFFICIAL_SENSITIVE,
                data_categories="Records of contact with the people named in the review.",
                retention_months=120,
                valid_from=start,
                valid_to=self.today + timedelta(days=1000),
                review_date=self.today + timedelta(days=300),
                status=ProtocolStatus.ACTIVE,
                created_by=group.coordinator,
                activated_at=at(start),
            )
        bulk([group.protocol for group in people])
        bulk(
            [
                ProtocolParty(
                    protocol=group.protocol,
                    party=agency,
                    signatory=group.coordinator,
                    signatory_role="Information governance lead",
                    signed_at=at(start),
                )
                for group in people
                for agency in [*group.agencies, group.firm]
            ]
        )

    def plans(self) -> list[Plan]:
        plans = [showcase_plan(0, self.today)]
        for partnership, count in enumerate(review_counts(self.rng)):
            first = 2 if partnership == 0 else 1
            plans += [
                plan_review(partnership, number, pick_state(self.rng), self.rng, self.today)
                for number in range(first, count + 1)
            ]
        panel_sizes(plans)
        return plans

    def person(self, review: Review, role: PersonRole, pseudonym: str, actor: User) -> Person:
        born = date(self.rng.randint(1950, 2004), self.rng.randint(1, 12), self.rng.randint(1, 28))
        name = self.name()
        person = Person(
            review=review,
            role=role,
            pseudonym=pseudonym,
            added_by=actor,
            added_at=review.created_at,
            name_index=blindindex.name_index(name),
            birth_date_index=blindindex.date_index(born),
        )
        person.seal("name", name)
        person.seal("birth_date", born.isoformat())
        person.seal("address", f"{self.rng.randint(1, 200)} Bench Street, Benchtown")
        return person

    def review(self, plan: Plan, group: People) -> Review:
        decided = plan.day_of("commission") or plan.day_of("decline")
        # Setting up and closing without a review both need the Home Office told; before that, half have.
        told_by_now = plan.day_of("begin_setup") or plan.day_of("close_no_review") or self.rng.random() < 0.5
        told = decided + timedelta(days=3) if decided and told_by_now else None
        review = Review(
            partnership=group.partnership,
            reference=f"DHR-{plan.notified_on.year}-{plan.number:02d}",
            state=plan.state,
            paused_from=plan.paused_from or "",
            state_changed_at=at(plan.steps[-1][3] if plan.steps else plan.notified_on),
            notified_on=plan.notified_on,
            notifier_kind="police",
            notifier_name="Police major crime team",
            died_on=plan.notified_on - timedelta(days=self.rng.randint(2, 20)),
            death_type="homicide" if self.rng.random() < 0.8 else "suspected_suicide",
            coroner_involved=True,
            relationship=self.rng.choice(["partner", "former_partner", "family"]),
            police_force=group.agencies[0].name,
            senior_investigating_officer="DCI Bench",
            criminal_status="convicted" if plan.staffed else "charged",
            decided_on=decided,
            decided_by=group.csp_chair if decided else None,
            decision_reasons=TEXT if decided else "",
            criteria_met=[Criterion.AGED_16, Criterion.ABUSE, Criterion.RELATIONSHIP] if decided else [],
            partners_consulted="Police, health, adult social care" if decided else "",
            home_office_told_on=told,
            home_office_method="E-mail to the Home Office DHR mailbox" if told else "",
            submitted_on=plan.day_of("submit_to_home_office"),
            published_on=plan.day_of("publish"),
            ended_on=plan.ended_on,
            created_by=group.coordinator,
            created_at=at(plan.notified_on),
        )
        review.place_of_death = "Their home, Benchtown"
        if plan.staffed:
            review.space = Space(protocol=group.protocol, name=f"DHR {review.reference}", created_by=group.coordinator)
        return review

    def reviews(self, plans: list[Plan], people: list[People]) -> None:
        reviews = [self.review(plan, people[plan.partnership]) for plan in plans]
        bulk([review.space for review in reviews if review.space is not None])
        bulk(reviews)
        rows = Rows()
        panels: dict[int, list[Participant]] = {}
        for plan, review in zip(plans, reviews, strict=True):
            group = people[plan.partnership]
            chair = self.rng.choice(self.staff[group.firm.pk]) if plan.staffed else None
            subjects = self.records(plan, review, group, chair, rows)
            if chair is not None:
                panels[review.pk] = self.staff_review(plan, review, group, chair, subjects, rows)
        rows.write()
        self.meetings(plans, reviews, panels)

    def records(self, plan: Plan, review: Review, group: People, chair: User | None, rows: Rows) -> list[str]:
        """The people, the lifecycle steps, the pauses and any extension; returns the people's pseudonyms."""
        victim, other = self.rng.sample(FIRST_NAMES, 2)
        rows.people += [
            self.person(review, PersonRole.VICTIM, victim, group.coordinator),
            self.person(review, PersonRole.PERPETRATOR, other, group.coordinator),
        ]
        for name, source, target, on in plan.steps:
            actor = group.csp_chair if name in CSP_CHAIR_STEPS else group.coordinator
            if name in CHAIR_STEPS and chair is not None:
                actor = chair
            rationale = TEXT if name in {"commission", "decline", "pause", "withdraw"} else ""
            rows.steps.append(
                StepRecord(
                    review=review,
                    name=name,
                    from_state=source,
                    to_state=target,
                    actor=actor,
                    at=at(on),
                    rationale=rationale,
                )
            )
        rows.pauses += [
            Pause(
                review=review,
                reason=reason,
                body="Crown Court" if reason == PauseReason.CRIMINAL_TRIAL else "",
                started_on=start,
                expected_end_on=start + timedelta(days=180),
                ended_on=end,
                outcome=TEXT if end else "",
                requested_by=group.coordinator,
                approved_by=group.csp_chair,
            )
            for start, end, reason in plan.pauses
        ]
        if plan.extension:
            granted = (plan.day_of("begin_setup") or plan.notified_on) + timedelta(days=30)
            rows.extensions.append(
                Extension(
                    review=review,
                    clock=ClockKind.COMPLETION,
                    days=60,
                    reason=TEXT,
                    granted_on=granted,
                    granted_by=group.csp_chair,
                )
            )
        return [victim, other]

    def staff_review(
        self, plan: Plan, review: Review, group: People, chair: User, subjects: list[str], rows: Rows
    ) -> list[Participant]:
        """A confirmed chair, the scoped agencies, the panel (members of the secure space) and the terms of reference.

        Returns the current participants, the chair first.
        """
        setup = plan.day_of("begin_setup") or plan.notified_on
        declared = at(setup)
        rows.chairs.append(
            ChairAppointment(
                review=review,
                chair=chair,
                accreditation="AAFDA chair training",
                procurement=TEXT,
                fee_pence=450_000,
                budget_pence=600_000,
                starts_on=(review.decided_on or setup) + timedelta(days=7),
                independence_statement=TEXT,
                declared_at=declared,
                confirmed_at=declared,
                confirmed_by=group.coordinator,
                created_by=group.coordinator,
            )
        )
        rows.scoped += [
            ScopedAgency(review=review, agency=agency, added_by=group.coordinator, added_at=declared)
            for agency in group.agencies
        ]
        # One member from each agency, then a second from the first ones, each a different person.
        seats = [(group.firm, chair, ParticipantKind.INDEPENDENT_CHAIR)]
        for seat in range(plan.panel_size):
            agency = group.agencies[seat % len(group.agencies)]
            taken = {user.pk for _, user, _ in seats}
            staff = self.rng.sample(self.staff[agency.pk], len(self.staff[agency.pk]))
            seats.append((agency, next(user for user in staff if user.pk not in taken), ParticipantKind.PANEL_MEMBER))
        panel = []
        for agency, user, kind in seats:
            member = SpaceMember(
                space=review.space, user=user, party=agency, added_by=group.coordinator, added_at=declared
            )
            rows.members.append(member)
            is_chair = kind == ParticipantKind.INDEPENDENT_CHAIR
            participant = Participant(
                review=review,
                user=user,
                kind=kind,
                agency=agency,
                role_title="Independent chair" if is_chair else f"{agency.get_kind_display()} lead",
                seniority="" if is_chair else self.rng.choice(Seniority.values),
                independence_declared_at=declared,
                independence_statement=TEXT,
                confidentiality_declared_at=declared,
                space_member=member,
                added_by=group.coordinator,
                added_at=declared,
            )
            rows.participants.append(participant)
            panel.append(participant)
        if plan.replaced_member:
            # The last member has left the panel, and with it the secure space.
            leaver = panel.pop()
            left = declared + timedelta(days=40)
            leaver.removed_at, leaver.removed_by, leaver.removal_reason = left, group.coordinator, "Left the agency."
            leaver.space_member.removed_at, leaver.space_member.removed_by = left, group.coordinator
        for version in range(1, plan.terms_versions + 1):
            if version < plan.terms_versions:
                status = TermsStatus.SUPERSEDED
            else:
                status = TermsStatus.APPROVED if plan.day_of("start_gathering") else TermsStatus.DRAFT
            settled = status != TermsStatus.DRAFT
            terms = TermsOfReference(
                review=review,
                version=version,
                status=status,
                period_start=review.died_on - timedelta(days=730),
                period_end=review.died_on,
                period_start_reason=TEXT,
                subjects=subjects,
                lines_of_enquiry=TEXT,
                equality_and_diversity=TEXT,
                family_involvement=TEXT,
                method=TEXT,
                timetable=TEXT,
                created_by=chair,
                created_at=declared + timedelta(days=version),
                agreed_on=setup + timedelta(days=version + 5) if settled else None,
                agreed_recorded_by=group.coordinator if settled else None,
                approved_at=declared + timedelta(days=version + 7) if settled else None,
                approved_by=group.csp_chair if settled else None,
            )
            rows.terms.append((terms, group.agencies))
        return panel

    def meetings(self, plans: list[Plan], reviews: list[Review], panels: dict[int, list[Participant]]) -> None:
        """Panel meetings from set-up on, attended by most of the panel, each with actions for its members."""
        meetings: list[Meeting] = []
        attended: list[tuple[Meeting, Participant]] = []
        actions: list[MeetingAction] = []
        for plan, review in zip(plans, reviews, strict=True):
            if not plan.meetings:
                continue
            setup = plan.day_of("begin_setup") or plan.notified_on
            until = min(self.today, plan.ended_on or self.today)
            gap = max(1, (until - setup).days // (plan.meetings + 1))
            panel = panels[review.pk]
            for n in range(1, plan.meetings + 1):
                held = setup + timedelta(days=gap * n)
                meeting = Meeting(
                    review=review,
                    held_on=held,
                    title=f"Panel meeting {n}",
                    decisions=TEXT,
                    recorded_by=panel[0].user,
                    recorded_at=at(held, 17),
                )
                meetings.append(meeting)
                attended += [(meeting, participant) for participant in panel if self.rng.random() < 0.85]
                due = held + timedelta(days=28)
                # Actions long past their date, or of a finished review, are done; recent ones are open.
                done = due - timedelta(days=3) if plan.ended_on or due < self.today - timedelta(days=10) else None
                actions += [
                    MeetingAction(
                        meeting=meeting,
                        text="Provide the agency's chronology of contact",
                        owner=owner.user,
                        due_on=due,
                        done_on=done,
                        done_by=owner.user if done else None,
                    )
                    for owner in self.rng.sample(panel[1:], 3)
                ]
        bulk(meetings)
        attendance = Meeting.attendees.through
        bulk([attendance(meeting_id=meeting.pk, participant_id=participant.pk) for meeting, participant in attended])
        bulk(actions)


def seeded() -> bool:
    """Whether the database holds the data set: yes, no, or something else (the bench then stops)."""
    sizes = (
        Partnership.objects.count(),
        Review.objects.count(),
        Participant.objects.filter(kind=ParticipantKind.PANEL_MEMBER).count(),
    )
    if sizes == (PARTNERSHIPS, REVIEWS, PANEL_MEMBERS):
        return True
    require(
        sizes == (0, 0, 0),
        f"the bench database holds {sizes[0]} partnerships, {sizes[1]} reviews and {sizes[2]} panel members, not the "
        f"data set this bench writes: drop it (dropdb {BENCH_DB.rsplit('/', 1)[1]}) and run again",
    )
    return False


def seed() -> None:
    started = time.perf_counter()
    seeder = Seeder()
    with transaction.atomic():
        people = seeder.partnerships()
        seeder.protocols(people)
        seeder.reviews(seeder.plans(), people)
    with connection.cursor() as cursor:
        # A live system's autovacuum keeps statistics fresh; a bulk load needs telling.
        cursor.execute("ANALYZE")
    say(
        f"(seeded {PARTNERSHIPS} partnerships, {REVIEWS:,} reviews, {PANEL_MEMBERS:,} panel members and "
        f"{User.objects.count():,} people in {time.perf_counter() - started:.0f}s)"
    )


def get(client: Client, url: str) -> None:
    response = client.get(url)
    require(response.status_code == 200, f"{url} answered {response.status_code}")


def queries_of(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        get(client, url)
    return len(queries)


def measure(label: str, client: Client, url: str) -> None:
    """Warm up, count the queries of one request, then time ``REQUESTS`` requests through Django."""
    for _ in range(WARM_UP):
        get(client, url)
    count = queries_of(client, url)
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        get(client, url)
        timings.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(timings, n=20)[-1]
    say(
        f"  {label:<46} median {statistics.median(timings):6.1f} ms, p95 {p95:6.1f} ms, "
        f"worst {max(timings):6.1f} ms, {count} queries [target < {TARGET_MS} ms]"
    )


def coordinator_of(partnership: Partnership) -> User:
    return User.objects.get(
        partnership_roles__partnership=partnership, partnership_roles__role=PartnershipRoleKind.CSP_COORDINATOR
    )


def main() -> None:
    call_command("migrate", verbosity=0)
    say(f"Review lifecycle benchmarks on PostgreSQL (load average {', '.join(f'{v:.2f}' for v in os.getloadavg())})")
    if seeded():
        say(
            f"(the data set is already seeded: {PARTNERSHIPS} partnerships, {REVIEWS:,} reviews, {PANEL_MEMBERS:,} panel members)"
        )
    else:
        seed()
    by_size = Partnership.objects.annotate(size=models.Count("reviews")).order_by("-size", "slug")
    busiest = by_size.first()
    typical = by_size.filter(size=statistics.median_low(by_size.values_list("size", flat=True))).last()
    require(busiest is not None and typical is not None, "no partnerships")
    showcase = Review.objects.get(partnership=busiest, reference__endswith="-01")
    sparse = (
        Review.objects.filter(partnership=typical).annotate(records=models.Count("steps")).order_by("records").first()
    )
    require(sparse is not None, "the typical partnership has no reviews")
    busy_client, typical_client = signed_in(coordinator_of(busiest)), signed_in(coordinator_of(typical))
    # The panel member who sits on most reviews: their dashboard spans many partnerships.
    seats = Participant.objects.current().filter(kind=ParticipantKind.PANEL_MEMBER).values("user")
    member = seats.annotate(reviews=models.Count("review")).order_by("-reviews", "user").first()
    require(member is not None, "no panel members")
    panel = showcase.participants.filter(kind=ParticipantKind.PANEL_MEMBER, removed_at__isnull=True).count()
    say(f"Pages, each {REQUESTS} requests after {WARM_UP} to warm up, in-process through Django's test client:")
    measure(f"dashboard, coordinator of {busiest.size} reviews", busy_client, "/reviews/")
    measure(f"dashboard, coordinator of {typical.size} reviews", typical_client, "/reviews/")
    member_client = signed_in(User.objects.get(pk=member["user"]))
    measure(f"dashboard, panel member on {member['reviews']} reviews", member_client, "/reviews/")
    measure(f"review overview ({panel} panel members)", busy_client, f"/reviews/{showcase.pk}/")
    measure(f"panel page ({panel} panel members)", busy_client, f"/reviews/{showcase.pk}/panel/")
    say(
        f"  queries for the typical partnership's review with the fewest records ({sparse.state_label}): "
        f"overview {queries_of(typical_client, f'/reviews/{sparse.pk}/')}, "
        f"panel page {queries_of(typical_client, f'/reviews/{sparse.pk}/panel/')}"
    )
    say(f"(load average at the end {', '.join(f'{v:.2f}' for v in os.getloadavg())})")


if __name__ == "__main__":
    main()
