"""The demo review's requests and chronologies; everything here is invented.

Added when ``manage.py seed_demo`` runs (through ``accounts.demo.demo_seeded``, after the reviews
demo), through the same services people use, so the demo is audited like real work. The police
chronology is accepted; the hospital trust's was returned once and its second version accepted,
so the combined chronology has two agencies and the differences page has something to show; the
police also owe an IMR. Running it again changes nothing.
"""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from dhr_tracker.accounts.models import Agency, Partnership, User
from dhr_tracker.chronologies.models import AgencyRequest, RequestKind, Submission
from dhr_tracker.chronologies.services import requests, submissions
from dhr_tracker.chronologies.services.submissions import EntryFields
from dhr_tracker.reviews.demo import DOMAIN
from dhr_tracker.reviews.models import ParticipantKind, Review
from dhr_tracker.reviews.services import panel

POLICE, HOSPITALS = "Exampleshire Police", "Exampleshire Hospitals NHS Foundation Trust"

# (date, time, subject, source record, practitioner role, event, action or outcome, risk indicators)
Line = tuple[str, str, str, str, str, str, str, tuple[str, ...]]

POLICE_LINES: list[Line] = [
    (
        "2022",
        "",
        "perpetrator",
        "PNC-DEMO-01",
        "Intelligence officer",
        "Adult B cautioned for criminal damage at a former partner's home.",
        "Caution; intelligence report.",
        (),
    ),
    (
        "Mar 2023",
        "",
        "victim",
        "STORM-DEMO-12",
        "Call handler",
        "Adult A called about shouting next door; no further details recorded.",
        "No deployment.",
        (),
    ),
    (
        "14/06/2023",
        "23:10",
        "victim",
        "CAD-DEMO-331",
        "Response officer",
        "Adult A reported that Adult B had pushed her and taken her phone.",
        "DASH completed: medium risk. Adult B arrested, released under investigation.",
        ("DASH medium risk", "Coercive control"),
    ),
    (
        "20/06/2023",
        "",
        "victim",
        "CAD-DEMO-331",
        "Domestic abuse officer",
        "Follow-up call to Adult A; she did not want to support a prosecution.",
        "Referred to the domestic abuse service.",
        ("Coercive control",),
    ),
    (
        "02/11/2023",
        "01:45",
        "victim",
        "CAD-DEMO-587",
        "Response officer",
        "Adult A reported threats to kill after she told Adult B she was leaving.",
        "DASH completed: high risk. MARAC referral made.",
        ("DASH high risk", "MARAC referral", "Separation", "Threat to kill"),
    ),
    (
        "16/11/2023",
        "",
        "victim",
        "MARAC-DEMO-44",
        "MARAC coordinator",
        "Case heard at MARAC; safety plan agreed.",
        "Target hardening; marker on the address.",
        ("MARAC referral",),
    ),
    (
        "Jan 2024",
        "",
        "perpetrator",
        "PNC-DEMO-02",
        "Investigating officer",
        "No further action on the November report: Adult A withdrew her statement.",
        "Case closed.",
        (),
    ),
]

HOSPITAL_LINES: list[Line] = [
    (
        "05/02/2023",
        "",
        "victim",
        "ED-DEMO-1092",
        "Emergency department nurse",
        "Adult A attended with a wrist injury she said came from a fall.",
        "Treated and discharged; routine enquiry not recorded.",
        (),
    ),
    (
        "Aug 2023",
        "",
        "victim",
        "MAT-DEMO-77",
        "Community midwife",
        "Booking appointment; Adult A disclosed that her partner checked her phone.",
        "Referral to the safeguarding midwife.",
        ("Pregnancy", "Coercive control"),
    ),
    (
        "03/10/2023",
        "10:30",
        "victim",
        "MAT-DEMO-77",
        "Safeguarding midwife",
        "Adult A did not attend; Adult B answered her phone and said she was unwell.",
        "Second appointment offered.",
        ("Pregnancy",),
    ),
]


def _user(name: str) -> User:
    return User.objects.get(email=f"{name}@{DOMAIN}")


def _contributor(review: Review, user: User, agency: Agency, today: Any) -> None:
    panel.add_participant(
        review,
        actor=_user("coordinator"),
        user_id=user.pk,
        agency_id=agency.pk,
        kind=ParticipantKind.AGENCY_CONTRIBUTOR,
        role_title="Safeguarding lead",
        seniority="",
        independence_statement="",
        independence_declared_on=None,
        confidentiality_declared_on=today,
        request=None,
    )


def _fields(line: Line) -> EntryFields:
    on, at, subject, source, role, event, outcome, risks = line
    return EntryFields(on, at, subject, source, role, event, outcome, risks)


def _submitted(agency_request: AgencyRequest, contributor: User, lines: list[Line]) -> Submission:
    draft = submissions.start_draft(agency_request, actor=contributor, request=None)
    for line in lines:
        submissions.add_entry(draft, actor=contributor, fields=_fields(line), request=None)
    return submissions.submit(draft, actor=contributor, version=None, request=None)


def seed(partnership: Partnership) -> None:
    review = Review.objects.filter(partnership=partnership, reference="DHR-2025-07").first()
    if review is None or AgencyRequest.objects.filter(review=review).exists():
        return
    today = timezone.localdate()
    coordinator = _user("coordinator")
    police, hospitals = Agency.objects.get(name=POLICE), Agency.objects.get(name=HOSPITALS)
    police_contributor, health_contributor = _user("police"), _user("health")
    _contributor(review, police_contributor, police, today)
    _contributor(review, health_contributor, hospitals, today)

    def ask(agency: Agency, kind: str, due_in_days: int) -> AgencyRequest:
        fields = requests.RequestFields(
            period_start=review.died_on - timedelta(days=3 * 365),
            period_end=review.died_on,
            subjects=("Adult A", "Adult B"),
            due_on=today + timedelta(days=due_in_days),
            instructions="Secure your records. List every contact in the period, using the pseudonyms only.",
        )
        return requests.send_request(
            Review.objects.get(pk=review.pk),
            actor=coordinator,
            agency_id=agency.pk,
            kind=kind,
            fields=fields,
            request=None,
        )

    police_version = _submitted(ask(police, RequestKind.CHRONOLOGY, 28), police_contributor, POLICE_LINES)
    submissions.accept(police_version, actor=coordinator, comments="", version=None, request=None)

    first = _submitted(ask(hospitals, RequestKind.CHRONOLOGY, 28), health_contributor, HOSPITAL_LINES)
    submissions.return_submission(
        first,
        actor=coordinator,
        comments="Please add the GP practice's contacts held in your records, and the time of the missed appointment.",
        version=None,
        request=None,
    )
    second = first.request.submissions.get(number=2)
    missed = second.entries.get(source_record="MAT-DEMO-77", at__isnull=False)
    on, at, subject, source, role, event, _, risks = HOSPITAL_LINES[2]
    changed = (
        on,
        at,
        subject,
        source,
        role,
        event,
        "Second appointment offered; the safeguarding midwife told.",
        risks,
    )
    submissions.change_entry(missed, actor=health_contributor, fields=_fields(changed), version=None, request=None)
    submissions.submit(second, actor=health_contributor, version=None, request=None)
    submissions.accept(second, actor=coordinator, comments="", version=None, request=None)

    ask(police, RequestKind.IMR, 21)


def on_demo_seeded(sender: Any, partnership: Partnership, **kwargs: Any) -> None:
    seed(partnership)
