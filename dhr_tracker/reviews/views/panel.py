"""The chair and panel pages: the secure space, the independent chair, scoped agencies, the panel.

Everyone who sees the review sees the page; only the partnership (``can_manage_chair``,
``can_manage_panel``) changes it, because every change here also changes the secure space's members.
"""

from typing import Any

from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, AgencyMembership
from dhr_tracker.accounts.rules import verified
from dhr_tracker.forms import posted, submit
from dhr_tracker.reviews import access
from dhr_tracker.reviews.forms.panel import (
    STANDARD_DECLARATION,
    AgencyForm,
    ChairForm,
    ConfirmForm,
    DeclarationForm,
    ParticipantForm,
    ProtocolChoiceForm,
    ReasonForm,
)
from dhr_tracker.reviews.models import ChairAppointment, Participant, Review, ScopedAgency
from dhr_tracker.reviews.services import panel
from dhr_tracker.reviews.views import review_for_change, review_page
from sharing.models import Protocol, ProtocolStatus, Space

SECTION = "reviews:panel"


def pounds(pence: int) -> str:
    """Whole pence as pounds and pence, like £4,500.00."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _back(review: Review) -> HttpResponse:
    return redirect("reviews:panel", review_id=review.pk)


def _form_page(request: HttpRequest, template: str, review: Review, form: Any, **context: Any) -> HttpResponse:
    return review_page(request, template, review, SECTION, {"form": form, **context})


def _people(memberships: QuerySet[AgencyMembership]) -> list[tuple[str, list[tuple[int, str]]]]:
    """People who currently work for the given agencies, grouped by agency, for a choice field."""
    current = memberships.filter(ended_at__isnull=True, user__is_active=True).select_related("user", "agency")
    groups: dict[str, list[tuple[int, str]]] = {}
    for membership in current.order_by("agency__name", "user__full_name"):
        groups.setdefault(membership.agency.name, []).append((membership.user_id, membership.user.full_name))
    return list(groups.items())


def _current_appointment(review: Review, appointment_id: int) -> ChairAppointment:
    return get_object_or_404(
        ChairAppointment.objects.select_related("chair", "author"), pk=appointment_id, review=review, ended_at=None
    )


@verified()
def panel_page(request: HttpRequest, review_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    user = request.user
    space = Space.objects.select_related("protocol").filter(pk=review.space_id).first() if review.space_id else None
    parties = set(space.protocol.parties.values_list("party_id", flat=True)) if space else set()
    scoped = set(ScopedAgency.objects.filter(review=review).values_list("agency_id", flat=True))
    agencies = Agency.objects.filter(partnerships=review.partnership_id).order_by("name")
    appointments = list(
        review.chair_appointments.select_related("chair", "author", "confirmed_by").order_by("-created_at")
    )
    chair = next((appointment for appointment in appointments if appointment.ended_at is None), None)
    participants = (
        Participant.objects.current()
        .filter(review=review, kind__in=panel.AGENCY_KINDS)
        .select_related("user", "agency")
        .annotate(attended=Count("meetings_attended"))
        .order_by("agency__name", "kind", "user__full_name")
    )
    can_manage_chair = access.can_manage_chair(user, review)
    return review_page(
        request,
        "reviews/panel.html",
        review,
        SECTION,
        {
            "space": space,
            "commissioned": access.is_commissioned(review),
            "can_open_space": access.can_open_space(user, review),
            "chair": chair,
            "earlier_chairs": [appointment for appointment in appointments if appointment.ended_at is not None],
            # Fees are the partnership's commercial business, not the panel's.
            "costs": (pounds(chair.fee_pence), pounds(chair.budget_pence))
            if chair and access.is_manager(user, review)
            else None,
            "can_manage_chair": can_manage_chair,
            "can_appoint": can_manage_chair and chair is None and access.is_commissioned(review),
            "agencies": [
                {"agency": agency, "party": agency.pk in parties, "scoped": agency.pk in scoped} for agency in agencies
            ],
            "any_scoped": bool(scoped),
            "participants": participants,
            "can_manage_panel": access.can_manage_panel(user, review),
        },
    )


@verified()
def space_open(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_open_space)
    protocols = Protocol.objects.filter(scope_id=review.partnership_id, status=ProtocolStatus.ACTIVE)
    choices = [(protocol.pk, str(protocol)) for protocol in protocols.order_by("title", "version")]
    form = ProtocolChoiceForm(posted(request), protocols=choices)
    opened = submit(
        form, lambda data: panel.open_space(review, actor=request.user, protocol_id=data["protocol"], request=request)
    )
    if opened is not None:
        return _back(review)
    return _form_page(request, "reviews/panel_space_open.html", review, form, has_protocols=bool(choices))


@verified()
def chair_appoint(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_chair)
    people = _people(AgencyMembership.objects.filter(agency__partnerships=review.partnership_id))
    initial = {"version": review.version, "starts_on": timezone.localdate()}
    form = ChairForm(posted(request), initial=initial, people=people)
    appointed = submit(
        form,
        lambda data: panel.appoint_chair(
            review,
            actor=request.user,
            chair_id=data["chair"],
            accreditation=data["accreditation"],
            procurement=data["procurement"],
            fee_pence=data["fee_pence"],
            budget_pence=data["budget_pence"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            author_id=data["author"],
            version=data["version"],
            request=request,
        ),
    )
    if appointed is not None:
        return _back(review)
    return _form_page(request, "reviews/chair_appoint.html", review, form)


@verified()
def chair_declare(request: HttpRequest, review_id: int, appointment_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_chair)
    appointment = _current_appointment(review, appointment_id)
    initial = {"independence_statement": appointment.independence_statement or STANDARD_DECLARATION}
    form = DeclarationForm(posted(request), initial=initial)
    declared = submit(
        form,
        lambda data: panel.record_independence(
            appointment,
            actor=request.user,
            statement=data["independence_statement"],
            confirmed=bool(data["confirmed"]),
            request=request,
        ),
    )
    if declared is not None:
        return _back(review)
    return _form_page(request, "reviews/chair_declare.html", review, form, appointment=appointment)


@verified()
def chair_confirm(request: HttpRequest, review_id: int, appointment_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_chair)
    appointment = _current_appointment(review, appointment_id)
    form = ConfirmForm(posted(request))
    confirmed = submit(form, lambda _: panel.confirm_chair(appointment, actor=request.user, request=request))
    if confirmed is not None:
        return _back(review)
    return _form_page(request, "reviews/chair_confirm.html", review, form, appointment=appointment)


@verified()
def chair_end(request: HttpRequest, review_id: int, appointment_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_chair)
    appointment = _current_appointment(review, appointment_id)
    form = ReasonForm(posted(request))
    ended = submit(
        form, lambda data: panel.end_chair(appointment, actor=request.user, reason=data["reason"], request=request)
    )
    if ended is not None:
        return _back(review)
    return _form_page(request, "reviews/chair_end.html", review, form, appointment=appointment)


@verified()
def agency_scope(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_panel)
    agencies = Agency.objects.filter(partnerships=review.partnership_id).exclude(
        pk__in=ScopedAgency.objects.filter(review=review).values("agency_id")
    )
    form = AgencyForm(posted(request), agencies=list(agencies.order_by("name").values_list("pk", "name")))
    scoped = submit(
        form, lambda data: panel.scope_agency(review, actor=request.user, agency_id=data["agency"], request=request)
    )
    if scoped is not None:
        return _back(review)
    return _form_page(request, "reviews/panel_agency_scope.html", review, form)


@verified()
def participant_add(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_panel)
    scoped = ScopedAgency.objects.filter(review=review).select_related("agency").order_by("agency__name")
    agencies = [(row.agency_id, row.agency.name) for row in scoped]
    people = _people(AgencyMembership.objects.filter(agency__in=[pk for pk, _ in agencies]))
    form = ParticipantForm(posted(request), agencies=agencies, people=people)
    added = submit(
        form,
        lambda data: panel.add_participant(
            review,
            actor=request.user,
            user_id=data["user"],
            agency_id=data["agency"],
            kind=data["kind"],
            role_title=data["role_title"],
            seniority=data["seniority"],
            independence_statement=data["independence_statement"],
            independence_declared_on=data["independence_declared_on"],
            confidentiality_declared_on=data["confidentiality_declared_on"],
            request=request,
        ),
    )
    if added is not None:
        return _back(review)
    return _form_page(request, "reviews/panel_participant_add.html", review, form)


@verified()
def participant_remove(request: HttpRequest, review_id: int, participant_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_panel)
    participant = get_object_or_404(
        Participant.objects.current().filter(kind__in=panel.AGENCY_KINDS).select_related("user", "agency"),
        pk=participant_id,
        review=review,
    )
    form = ReasonForm(posted(request))
    removed = submit(
        form,
        lambda data: panel.remove_participant(participant, actor=request.user, reason=data["reason"], request=request),
    )
    if removed is not None:
        return _back(review)
    return _form_page(request, "reviews/panel_participant_remove.html", review, form, participant=participant)


urlpatterns = [
    path("<int:review_id>/panel/", panel_page, name="panel"),
    path("<int:review_id>/panel/space/", space_open, name="space_open"),
    path("<int:review_id>/panel/chair/", chair_appoint, name="chair_appoint"),
    path("<int:review_id>/panel/chair/<int:appointment_id>/declaration/", chair_declare, name="chair_declare"),
    path("<int:review_id>/panel/chair/<int:appointment_id>/confirm/", chair_confirm, name="chair_confirm"),
    path("<int:review_id>/panel/chair/<int:appointment_id>/end/", chair_end, name="chair_end"),
    path("<int:review_id>/panel/agencies/", agency_scope, name="agency_scope"),
    path("<int:review_id>/panel/members/new/", participant_add, name="participant_add"),
    path("<int:review_id>/panel/members/<int:participant_id>/remove/", participant_remove, name="participant_remove"),
]
