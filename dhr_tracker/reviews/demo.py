"""The demo partnership's reviews, at three points of the lifecycle; everything here is invented.

Added when ``manage.py seed_demo`` runs (through ``accounts.demo.demo_seeded``), through the same
services people use, so the demo is audited like real work. Running it again changes nothing.
"""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from dhr_tracker.accounts.models import Agency, Partnership, User
from dhr_tracker.reviews.models import Criterion, ParticipantKind, PersonRole, Review, Seniority
from dhr_tracker.reviews.services import notifications, panel, steps, terms
from dhr_tracker.reviews.services.notifications import PersonLine
from sharing.models import Protocol, ProtocolStatus

DOMAIN = "exampleshire.example"


def _user(name: str) -> User:
    return User.objects.get(email=f"{name}@{DOMAIN}")


def notify(partnership: Partnership, reference: str, *, notified_on: date, victim: str, other: str) -> Review:
    return notifications.record_notification(
        actor=_user("coordinator"),
        partnership_id=partnership.pk,
        fields={
            "reference": reference,
            "notified_on": notified_on,
            "notifier_kind": "police",
            "notifier_name": "Exampleshire Police major crime team",
            "died_on": notified_on - timedelta(days=3),
            "death_type": "homicide",
            "coroner_involved": True,
            "relationship": "former_partner",
            "relationship_detail": "",
            "police_force": "Exampleshire Police",
            "senior_investigating_officer": "DCI Demo",
            "criminal_status": "charged",
            "other_partnerships": "",
        },
        place_of_death="1 Demo Street, Exampletown",
        people=[
            PersonLine(PersonRole.VICTIM, victim, f"Demo {victim} Realname", date(1985, 6, 1), "1 Demo Street"),
            PersonLine(PersonRole.PERPETRATOR, other, f"Demo {other} Realname", None, ""),
        ],
        not_a_duplicate=True,
        request=None,
    )


def commission(review: Review, decided_on: date) -> Review:
    coordinator, chair = _user("coordinator"), _user("csp-chair")
    for name in ("start_scoping", "brief_chair"):
        steps.take_step(review, name, actor=coordinator, rationale="", version=None, request=None)
    steps.decide(
        review,
        actor=chair,
        commission=True,
        decided_on=decided_on,
        reasons="The statutory criteria are met and several agencies knew the family.",
        criteria=[Criterion.AGED_16, Criterion.ABUSE, Criterion.RELATIONSHIP],
        partners_consulted="Police, adult social care, the hospitals trust",
        version=None,
        request=None,
    )
    steps.record_home_office(
        review, actor=coordinator, told_on=decided_on, method="E-mail", response="", version=None, request=None
    )
    steps.take_step(review, "begin_setup", actor=coordinator, rationale="", version=None, request=None)
    return Review.objects.get(pk=review.pk)


def form_panel(review: Review, protocol: Protocol, today: date) -> Review:
    coordinator = _user("coordinator")
    panel.open_space(review, actor=coordinator, protocol_id=protocol.pk, request=None)
    appointment = panel.appoint_chair(
        review,
        actor=coordinator,
        chair_id=_user("independent-chair").pk,
        accreditation="AAFDA DHR chair training",
        procurement="Three quotes; best value chosen",
        fee_pence=650_000,
        budget_pence=900_000,
        starts_on=today,
        ends_on=None,
        author_id=None,
        version=None,
        request=None,
    )
    declaration = "No current or past involvement with the agencies or the people in this review."
    panel.record_independence(appointment, actor=coordinator, statement=declaration, confirmed=True, request=None)
    panel.confirm_chair(appointment, actor=coordinator, request=None)
    police = Agency.objects.get(name="Exampleshire Police")
    for agency in (police, Agency.objects.get(name="Exampleshire Hospitals NHS Foundation Trust")):
        panel.scope_agency(review, actor=coordinator, agency_id=agency.pk, request=None)
    panel.add_participant(
        review,
        actor=coordinator,
        user_id=_user("police").pk,
        agency_id=police.pk,
        kind=ParticipantKind.PANEL_MEMBER,
        role_title="Detective Superintendent, public protection",
        seniority=Seniority.SENIOR_MANAGER,
        independence_statement="Not involved in the case and not managing anyone who was.",
        independence_declared_on=today,
        confidentiality_declared_on=today,
        request=None,
    )
    return Review.objects.get(pk=review.pk)


def _approve_terms(review: Review, today: date) -> None:
    coordinator = _user("coordinator")
    fields: dict[str, Any] = {
        "period_start": review.died_on - timedelta(days=3 * 365),
        "period_end": review.died_on,
        "period_start_reason": "Three years before the death, when Adult A and Adult B began their relationship.",
        "lines_of_enquiry": "Risk assessment (DASH, MARAC)\nCoercive control and economic abuse\nInformation sharing",
        "equality_and_diversity": "The protected characteristics of Adult A and Adult B.",
        "family_involvement": "Adult A's family, with their AAFDA advocate.",
        "perpetrator_involvement": "Adult B will be invited after the trial.",
        "parallel_processes": "Criminal trial; liaison with the senior investigating officer and the coroner.",
        "method": "Chronologies and individual management reviews from each agency.",
        "timetable": "Six months from the decision.",
    }
    agencies = list(review.scoped_agencies.values_list("agency_id", flat=True))
    draft = terms.draft_terms(
        review, actor=coordinator, fields=fields, agency_ids=agencies, subjects=["Adult A", "Adult B"], request=None
    )
    terms.record_agreement(draft, actor=coordinator, agreed_on=today, request=None)
    terms.approve_terms(draft, actor=_user("csp-chair"), request=None)


def seed(partnership: Partnership) -> None:
    """Three reviews: one gathering information, one paused for an inquest, one awaiting an overdue decision."""
    if Review.objects.filter(partnership=partnership).exists():
        return
    protocol = Protocol.objects.filter(scope=partnership, status=ProtocolStatus.ACTIVE).order_by("-pk").first()
    if protocol is None:
        return
    today = timezone.localdate()
    gathering = commission(
        notify(partnership, "DHR-2025-07", notified_on=today - timedelta(days=70), victim="Adult A", other="Adult B"),
        today - timedelta(days=60),
    )
    gathering = form_panel(gathering, protocol, today)
    _approve_terms(gathering, today)
    steps.take_step(
        gathering, "start_gathering", actor=_user("independent-chair"), rationale="", version=None, request=None
    )

    paused = commission(
        notify(partnership, "DHR-2026-03", notified_on=today - timedelta(days=45), victim="Ms C", other="Mr D"),
        today - timedelta(days=30),
    )
    steps.pause_review(
        paused,
        actor=_user("csp-chair"),
        reason="inquest",
        body="HM Coroner for Exampleshire",
        reference="INQ-2026-114",
        started_on=today - timedelta(days=12),
        expected_end_on=today + timedelta(days=60),
        requested_by=_user("coordinator"),
        rationale="The coroner asked that family interviews wait for the inquest.",
        version=None,
        request=None,
    )

    notify(partnership, "DHR-2026-04", notified_on=today - timedelta(days=40), victim="Mrs E", other="Mr F")


def on_demo_seeded(sender: Any, partnership: Partnership, **kwargs: Any) -> None:
    seed(partnership)
