"""The independent chair, the agencies scoped into a review and its panel, kept in step with the
review's secure space (sharing).

Whoever takes a review-level role that acts for an agency (the confirmed chair, panel members,
agency contributors) becomes a member of the space in the same transaction, acting for that
agency; whoever leaves loses the membership in the transaction that ends their role, so their
access to the review's documents ends with it. Only agencies that are parties to the space's
protocol can be scoped into the review, and only people who work for a scoped agency can join.
"""

from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, AgencyMembership, User
from dhr_tracker.reviews import access
from dhr_tracker.reviews.models import (
    ChairAppointment,
    Participant,
    ParticipantKind,
    Review,
    ScopedAgency,
    Seniority,
)
from dhr_tracker.reviews.services import check_not_before, check_not_future, locked, record_change
from sharing.models import Protocol, ProtocolStatus, Space, SpaceMember
from sharing.services import protocols as sharing

NO_SPACE_MESSAGE = "Open the review's secure space first"
# The kinds ``add_participant`` grants; the independent chair joins through the appointment.
AGENCY_KINDS = (ParticipantKind.PANEL_MEMBER, ParticipantKind.AGENCY_CONTRIBUTOR)


def _allow(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _commissioned(review: Review, message: str) -> None:
    if not access.is_commissioned(review):
        raise ValidationError(message)


def _at(day: date | None) -> datetime | None:
    """The start of ``day`` in local time, for the declarations stored as moments."""
    return timezone.make_aware(datetime.combine(day, time())) if day is not None else None


# The secure space ----------------------------------------------------------------------------


def open_space(review: Review, *, actor: Any, protocol_id: int, request: HttpRequest | None) -> Space:
    """Open the review's secure space under one of the partnership's active protocols."""
    _allow(access.can_manage_panel(actor, review))
    protocol = Protocol.objects.filter(
        pk=protocol_id, scope_id=review.partnership_id, status=ProtocolStatus.ACTIVE
    ).first()
    if protocol is None:
        raise ValidationError({"protocol": "Choose an active information-sharing protocol of the partnership"})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_manage_panel(actor, r))
        _commissioned(current, "The secure space can be opened once the review is commissioned")
        if current.space_id is not None:
            raise ValidationError("The review's secure space is already open")
        name = current.title
        space = sharing.create_space(protocol, actor=actor, name=name, request=request)
        current.space = space
        current.save(update_fields=["space"])
        record_change(
            "reviews.space_opened", actor=actor, review=current, request=request, space=space.pk, protocol=protocol.pk
        )
    review.space = space
    return space


def _membership(space: Space, *, actor: Any, user: User, agency: Agency, request: HttpRequest | None) -> SpaceMember:
    """The user's space membership for ``agency``: their current one, or a new one."""
    current = SpaceMember.objects.current().filter(space=space, user=user).first()
    if current is None:
        return sharing.add_member(space, actor=actor, user_id=user.pk, party_id=agency.pk, request=request)
    if current.party_id != agency.pk:
        raise ValidationError(
            {"user": f"{user.full_name} already acts for another agency in the review's secure space"}
        )
    return current


def _join(
    review: Review,
    *,
    space: Space,
    actor: Any,
    user: User,
    agency: Agency,
    kind: str,
    request: HttpRequest | None,
    **fields: Any,
) -> Participant:
    """Give the user a role on the review and, in the caller's transaction, its space membership."""
    member = _membership(space, actor=actor, user=user, agency=agency, request=request)
    return Participant.objects.create(
        review=review, user=user, kind=kind, agency=agency, space_member=member, added_by=actor, **fields
    )


def _leave(participant: Participant, *, actor: Any, reason: str, request: HttpRequest | None) -> None:
    """End a role and, unless another current role of the review shares it, the space membership."""
    participant.removed_at, participant.removed_by, participant.removal_reason = timezone.now(), actor, reason
    participant.save(update_fields=["removed_at", "removed_by", "removal_reason"])
    member = participant.space_member
    if member is None or member.removed_at is not None:
        return
    if not Participant.objects.current().filter(space_member=member).exists():
        sharing.remove_member(member, actor=actor, request=request)


# The independent chair -----------------------------------------------------------------------


def _partnership_person(review: Review, user_id: int, field: str, message: str) -> User:
    """An active user who works for one of the partnership's agencies."""
    user = (
        User.objects.filter(
            pk=user_id,
            is_active=True,
            agency_memberships__ended_at__isnull=True,
            agency_memberships__agency__partnerships=review.partnership_id,
        )
        .distinct()
        .first()
    )
    if user is None:
        raise ValidationError({field: message})
    return user


def _check_money(pence: int, field: str, label: str) -> None:
    if pence < 0:
        raise ValidationError({field: f"{label} must be £0 or more"})


def appoint_chair(
    review: Review,
    *,
    actor: Any,
    chair_id: int,
    accreditation: str,
    procurement: str,
    fee_pence: int,
    budget_pence: int,
    starts_on: date,
    ends_on: date | None,
    author_id: int | None,
    version: int | None,
    request: HttpRequest | None,
) -> ChairAppointment:
    """Appoint the review's independent chair; confirmed later, once they declare their independence."""
    _allow(access.can_manage_chair(actor, review))
    _check_money(fee_pence, "fee_pence", "The fee")
    _check_money(budget_pence, "budget_pence", "The budget")
    check_not_before(
        starts_on, review.decided_on, "starts_on", "The appointment cannot start before the decision to hold a review"
    )
    check_not_before(ends_on, starts_on, "ends_on", "The end of the appointment must be on or after its start")
    chair = _partnership_person(
        review, chair_id, "chair", "Choose a chair who works for one of the partnership's agencies"
    )
    author = None
    if author_id is not None:
        author = _partnership_person(
            review, author_id, "author", "Choose an author who works for one of the partnership's agencies"
        )
    with transaction.atomic():
        current = locked(review, version=version, allowed=lambda r: access.can_manage_chair(actor, r))
        _commissioned(current, "A chair can be appointed once the review is commissioned")
        if ChairAppointment.objects.filter(review=current, ended_at__isnull=True).exists():
            raise ValidationError("End the current chair's appointment first")
        appointment = ChairAppointment.objects.create(
            review=current,
            chair=chair,
            accreditation=accreditation.strip(),
            procurement=procurement.strip(),
            fee_pence=fee_pence,
            budget_pence=budget_pence,
            starts_on=starts_on,
            ends_on=ends_on,
            author=author,
            created_by=actor,
        )
        record_change(
            "reviews.chair_appointed",
            actor=actor,
            review=current,
            target=appointment,
            request=request,
            chair=chair.pk,
            fee_pence=fee_pence,
            budget_pence=budget_pence,
        )
    return appointment


def _current_appointment(appointment: ChairAppointment) -> ChairAppointment:
    """The appointment's row, locked; refused once it has ended."""
    current = ChairAppointment.objects.select_for_update(of=("self",)).select_related("chair").get(pk=appointment.pk)
    if current.ended_at is not None:
        raise ValidationError("This appointment has ended")
    return current


def record_independence(
    appointment: ChairAppointment, *, actor: Any, statement: str, confirmed: bool, request: HttpRequest | None
) -> ChairAppointment:
    """Record the chair's signed declaration of no current or past involvement with the agencies or people."""
    review = appointment.review
    _allow(access.can_manage_chair(actor, review))
    errors: dict[str, str] = {}
    if not statement.strip():
        errors["independence_statement"] = "Enter the chair's independence declaration"
    if not confirmed:
        errors["confirmed"] = "Confirm that the chair has signed the declaration"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked(review, version=None, allowed=lambda r: access.can_manage_chair(actor, r))
        current = _current_appointment(appointment)
        if current.confirmed_at is not None:
            raise ValidationError("The appointment is confirmed, so its declaration can no longer be changed")
        current.independence_statement, current.declared_at = statement.strip(), timezone.now()
        current.save(update_fields=["independence_statement", "declared_at"])
        record_change("reviews.chair_declared", actor=actor, review=review, target=current, request=request)
    return current


def _party_agency(user: User, protocol: Protocol) -> Agency | None:
    """An agency the user works for that is a party to ``protocol``."""
    return (
        Agency.objects.filter(
            memberships__user=user,
            memberships__ended_at__isnull=True,
            pk__in=protocol.parties.values("party_id"),
        )
        .order_by("name")
        .first()
    )


def confirm_chair(appointment: ChairAppointment, *, actor: Any, request: HttpRequest | None) -> Participant:
    """Confirm the appointment: the chair takes the role and joins the secure space, for their agency."""
    review = appointment.review
    _allow(access.can_manage_chair(actor, review))
    with transaction.atomic():
        current_review = locked(review, version=None, allowed=lambda r: access.can_manage_chair(actor, r))
        current = _current_appointment(appointment)
        if current.confirmed_at is not None:
            raise ValidationError("The appointment is already confirmed")
        if current.declared_at is None:
            raise ValidationError(
                {
                    "independence_statement": "Record the chair's independence declaration before confirming the appointment"
                }
            )
        space = current_review.space
        if space is None:
            raise ValidationError(NO_SPACE_MESSAGE)
        agency = _party_agency(current.chair, space.protocol)
        if agency is None:
            raise ValidationError(
                f"{current.chair.full_name} does not work for an agency that is a party to the information-sharing "
                f'protocol "{space.protocol.title}". Add their agency to the protocol before confirming the appointment.'
            )
        participant = _join(
            current_review,
            space=space,
            actor=actor,
            user=current.chair,
            agency=agency,
            kind=ParticipantKind.INDEPENDENT_CHAIR,
            request=request,
            role_title="Independent chair",
            independence_statement=current.independence_statement,
            independence_declared_at=current.declared_at,
        )
        current.confirmed_at, current.confirmed_by = timezone.now(), actor
        current.save(update_fields=["confirmed_at", "confirmed_by"])
        record_change(
            "reviews.chair_confirmed",
            actor=actor,
            review=current_review,
            target=current,
            request=request,
            chair=current.chair_id,
            agency=agency.name,
        )
    access.forget_roles(review)
    return participant


def end_chair(
    appointment: ChairAppointment, *, actor: Any, reason: str, request: HttpRequest | None
) -> ChairAppointment:
    """End the appointment; the chair's role and their space membership end with it."""
    review = appointment.review
    _allow(access.can_manage_chair(actor, review))
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason the appointment ends"})
    with transaction.atomic():
        current_review = locked(review, version=None, allowed=lambda r: access.can_manage_chair(actor, r))
        current = _current_appointment(appointment)
        current.ended_at = timezone.now()
        current.save(update_fields=["ended_at"])
        held = Participant.objects.current().filter(
            review=current_review, user=current.chair, kind=ParticipantKind.INDEPENDENT_CHAIR
        )
        for participant in held.select_related("space_member", "review"):
            _leave(participant, actor=actor, reason=reason.strip(), request=request)
        record_change(
            "reviews.chair_ended",
            actor=actor,
            review=current_review,
            target=current,
            request=request,
            chair=current.chair_id,
            reason=reason.strip(),
        )
    access.forget_roles(review)
    return current


# Scoped agencies and the panel ---------------------------------------------------------------


def _space_of(review: Review, field: str) -> Space:
    if review.space is None:
        raise ValidationError({field: NO_SPACE_MESSAGE})
    return review.space


def scope_agency(review: Review, *, actor: Any, agency_id: int, request: HttpRequest | None) -> ScopedAgency:
    """Scope one of the partnership's agencies into the review; it must be a party to the space's protocol."""
    _allow(access.can_manage_panel(actor, review))
    protocol = _space_of(review, "agency").protocol
    agency = Agency.objects.filter(pk=agency_id, partnerships=review.partnership_id).first()
    if agency is None:
        raise ValidationError({"agency": "Choose one of the partnership's agencies"})
    if not protocol.parties.filter(party_id=agency.pk).exists():
        raise ValidationError(
            {
                "agency": f'{agency.name} is not a party to the information-sharing protocol "{protocol.title}" yet. '
                "Add it to the protocol before scoping it into this review."
            }
        )
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_manage_panel(actor, r))
        if ScopedAgency.objects.filter(review=current, agency=agency).exists():
            raise ValidationError({"agency": f"{agency.name} is already scoped into this review"})
        scoped = ScopedAgency.objects.create(review=current, agency=agency, added_by=actor)
        record_change("reviews.agency_scoped", actor=actor, review=current, request=request, agency=agency.name)
    return scoped


def _check_declarations(
    kind: str,
    *,
    role_title: str,
    seniority: str,
    independence_statement: str,
    independence_declared_on: date | None,
    confidentiality_declared_on: date | None,
) -> None:
    """Panel members need both declarations (and their role and seniority); contributors confidentiality."""
    errors: dict[str, str] = {}
    if kind == ParticipantKind.PANEL_MEMBER:
        if not role_title.strip():
            errors["role_title"] = "Enter their role, for example Head of public protection"
        if seniority not in Seniority.values:
            errors["seniority"] = "Select their seniority"
        if not independence_statement.strip():
            errors["independence_statement"] = "Enter their declaration of independence from the case"
        if independence_declared_on is None:
            errors["independence_declared_on"] = "Enter the date the independence declaration was signed"
    elif seniority and seniority not in Seniority.values:
        errors["seniority"] = "Select their seniority"
    if confidentiality_declared_on is None:
        errors["confidentiality_declared_on"] = "Enter the date the confidentiality agreement was signed"
    if errors:
        raise ValidationError(errors)
    check_not_future(
        independence_declared_on, "independence_declared_on", "The date the independence declaration was signed"
    )
    check_not_future(
        confidentiality_declared_on, "confidentiality_declared_on", "The date the confidentiality agreement was signed"
    )


def add_participant(
    review: Review,
    *,
    actor: Any,
    user_id: int,
    agency_id: int,
    kind: str,
    role_title: str,
    seniority: str,
    independence_statement: str,
    independence_declared_on: date | None,
    confidentiality_declared_on: date | None,
    request: HttpRequest | None,
) -> Participant:
    """Add a panel member or an agency contributor for a scoped agency; they join the secure space at once."""
    _allow(access.can_manage_panel(actor, review))
    if kind not in AGENCY_KINDS:
        raise ValidationError({"kind": "Select whether they join the panel or contribute for their agency"})
    space = _space_of(review, "agency")
    scoped = ScopedAgency.objects.filter(review=review, agency_id=agency_id).select_related("agency").first()
    if scoped is None:
        raise ValidationError({"agency": "Choose an agency scoped into this review"})
    agency = scoped.agency
    membership = (
        AgencyMembership.objects.filter(user_id=user_id, agency=agency, ended_at__isnull=True, user__is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ValidationError({"user": f"Choose someone who works for {agency.name}"})
    user = membership.user
    _check_declarations(
        kind,
        role_title=role_title,
        seniority=seniority,
        independence_statement=independence_statement,
        independence_declared_on=independence_declared_on,
        confidentiality_declared_on=confidentiality_declared_on,
    )
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_manage_panel(actor, r))
        if Participant.objects.current().filter(review=current, user=user, kind=kind).exists():
            label = ParticipantKind(kind).label.lower()
            raise ValidationError({"user": f"{user.full_name} is already a {label} of this review"})
        participant = _join(
            current,
            space=space,
            actor=actor,
            user=user,
            agency=agency,
            kind=kind,
            request=request,
            role_title=role_title.strip(),
            seniority=seniority,
            independence_statement=independence_statement.strip(),
            independence_declared_at=_at(independence_declared_on),
            confidentiality_declared_at=_at(confidentiality_declared_on),
        )
        record_change(
            "reviews.participant_added",
            actor=actor,
            review=current,
            target=participant,
            request=request,
            user=user.pk,
            kind=kind,
            agency=agency.name,
        )
    access.forget_roles(review)
    return participant


def remove_participant(
    participant: Participant, *, actor: Any, reason: str, request: HttpRequest | None
) -> Participant:
    """Take a panel member or contributor off the review; their space membership ends at once."""
    review = participant.review
    _allow(access.can_manage_panel(actor, review))
    if participant.kind not in AGENCY_KINDS:
        raise ValidationError("End the chair's appointment instead")
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason they are leaving the review"})
    with transaction.atomic():
        current_review = locked(review, version=None, allowed=lambda r: access.can_manage_panel(actor, r))
        current = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("space_member", "review", "agency")
            .get(pk=participant.pk)
        )
        if current.removed_at is not None:
            raise ValidationError("They have already left this review")
        _leave(current, actor=actor, reason=reason.strip(), request=request)
        record_change(
            "reviews.participant_removed",
            actor=actor,
            review=current_review,
            target=current,
            request=request,
            user=current.user_id,
            kind=current.kind,
            agency=current.agency.name if current.agency else "",
        )
    access.forget_roles(review)
    return current
