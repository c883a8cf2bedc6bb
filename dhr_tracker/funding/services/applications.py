"""Funding applications from draft to paid: building a draft, supporting documents, submission after
the eligibility check, the funder's decision, the payment, and withdrawal.

A draft is built by the partnership's CSP chairs and coordinators; only the CSP chair submits it,
and only once every eligibility rule of its stream passes (``services.eligibility``). After that
its content never changes: the funder's decision (with its letter, uploaded into one of the
partnership's secure spaces), the payment and a withdrawal are recorded on it. An award becomes
a contribution in the ledger of each review covered, shared as the funder says or equally; the
payment is received across those contributions in proportion to them, to the penny.

Refusals caused by where the application stands say so ("This application was submitted on
3 May 2026, so it cannot be changed"); everything else about access is ``PermissionDenied``.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies.services.requests import TEXT_LIMIT, text_of
from dhr_tracker.funding import access, money
from dhr_tracker.funding.models import (
    AWARDED,
    Application,
    ApplicationCost,
    ApplicationReview,
    ApplicationStatus,
    Contribution,
    CostCategory,
    FundingStream,
    PartnerKind,
    SupportingDocument,
)
from dhr_tracker.funding.services import STALE_MESSAGE, eligibility, record_change
from dhr_tracker.funding.services.ledger import ledger_of
from dhr_tracker.funding.years import long_date
from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import check_not_before, check_not_future
from sharing import access as sharing_access
from sharing.models import Classification, Space, SpaceMember
from sharing.services import documents
from sharing.uploads import SpooledUpload

TITLE_LIMIT = 200
NOTE_LIMIT = 200
PARTNER_NAME_LIMIT = 200
OUTCOMES = (ApplicationStatus.APPROVED, ApplicationStatus.PART_APPROVED, ApplicationStatus.REJECTED)

# What each refused action is, as the end of a sentence saying why.
CHANGE = "it cannot be changed"
SUBMIT = "it cannot be submitted"
DECIDE = "a decision cannot be recorded"
PAY = "a payment cannot be recorded"
WITHDRAW = "it cannot be withdrawn"

Predicate = Callable[[Any, Application], bool]


def status_refusal(application: Application, consequence: str) -> str:
    """Why ``consequence`` follows from where the application stands, as one sentence."""
    status = application.status
    if status == ApplicationStatus.DRAFT:
        where = "has not been submitted"
    elif status == ApplicationStatus.WITHDRAWN and application.withdrawn_on is not None:
        where = f"was withdrawn on {long_date(application.withdrawn_on)}"
    elif status == ApplicationStatus.PAID and application.paid_on is not None:
        where = f"was paid on {long_date(application.paid_on)}"
    elif status in OUTCOMES and application.decided_on is not None:
        where = f"was {ApplicationStatus(status).label.lower()} on {long_date(application.decided_on)}"
    elif application.submitted_on is not None:
        where = f"was submitted on {long_date(application.submitted_on)}"
    else:
        where = f"is {ApplicationStatus(status).label.lower()}"
    return f"This application {where}, so {consequence}"


def _check(actor: Any, application: Application, predicate: Predicate, statuses: frozenset[str], doing: str) -> None:
    """Refuse someone who does not manage the partnership, then an application in the wrong status."""
    if not access.manages(actor, application.partnership_id):
        raise PermissionDenied
    if application.status not in statuses:
        raise ValidationError(status_refusal(application, doing), code="status")
    if not predicate(actor, application):
        raise PermissionDenied


def _locked(
    application: Application,
    actor: Any,
    predicate: Predicate,
    statuses: frozenset[str],
    doing: str,
    *,
    version: int | None = None,
) -> Application:
    """Lock the application's row and ask again on it; ``version`` is the one the person's form was built from."""
    current = Application.objects.select_for_update().get(pk=application.pk)
    _check(actor, current, predicate, statuses, doing)
    if version is not None and current.version != version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    return current


def _save(current: Application, *fields: str) -> None:
    """Save the locked row's changed fields with its version bumped, so forms opened before go stale."""
    current.version += 1
    current.save(update_fields=["version", *fields])


def _optional_text(value: str, field: str, label: str) -> str:
    text = value.strip()
    if len(text) > TEXT_LIMIT:
        raise ValidationError({field: f"{label} must be 10,000 characters or fewer"})
    return text


def upload_spaces(user: Any, partnership_id: int) -> list[Space]:
    """The partnership's secure spaces the user may upload into now: a current member, protocol in force."""
    members = (
        SpaceMember.objects.current()
        .filter(user=user, space__protocol__scope_id=partnership_id)
        .select_related("space__protocol")
        .order_by("space__name", "space_id")
    )
    spaces = {member.space_id: member.space for member in members}
    return [space for space in spaces.values() if sharing_access.can_upload(user, space)]


def commenced_reviews(partnership_id: int) -> list[tuple[Review, date]]:
    """The partnership's commenced reviews, each with its commencement date (T1), by reference."""
    reviews = (
        Review.objects.filter(partnership_id=partnership_id)
        .filter(Q(decided_on__isnull=False) | Q(directed_on__isnull=False))
        .select_related("partnership")
        .order_by("reference")
    )
    commenced = ((review, schedule.completion_start(review)) for review in reviews)
    return [(review, start) for review, start in commenced if start is not None]


def _check_space(application: Application, actor: Any, space: Space) -> None:
    if space.protocol.scope_id != application.partnership_id:
        raise ValidationError({"space": f"Choose a secure space of {application.partnership.name}"})
    if not sharing_access.can_upload(actor, space):
        raise ValidationError(
            {"space": "Only members of the secure space can upload into it, while its protocol is in force"}
        )


def _upload(space: Space, *, actor: Any, title: str, upload: SpooledUpload, request: HttpRequest | None) -> Any:
    """Upload the file into the space as an OFFICIAL-SENSITIVE document; call inside the transaction."""
    return documents.upload_document(
        space,
        actor=actor,
        fields=documents.DocumentFields(
            title=title,
            description="",
            classification=Classification.OFFICIAL_SENSITIVE,
            access_expires_at=None,
        ),
        upload=upload,
        request=request,
    )


# Drafts ---------------------------------------------------------------------------------------


def create_application(
    stream: FundingStream, *, actor: Any, partnership_id: int, request: HttpRequest | None
) -> Application:
    """Start a draft application to ``stream`` for one of the partnerships the user applies for."""
    if not access.can_apply(actor, stream):
        raise PermissionDenied
    if not access.stream_partnerships(actor, stream).filter(pk=partnership_id).exists():
        raise ValidationError({"partnership": "Choose the partnership this application is for"})
    if timezone.localdate() > stream.closes_on:
        raise ValidationError(f"This fund closed on {long_date(stream.closes_on)}: applications can no longer be made")
    with transaction.atomic():
        application = Application.objects.create(partnership_id=partnership_id, stream=stream, created_by=actor)
        record_change(
            "funding.application_created",
            actor=actor,
            target=application,
            partnership_id=partnership_id,
            request=request,
            stream=stream.pk,
        )
    return application


def _check_costs(costs: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """The costs by category with nothing in them left out; each amount and note checked."""
    kept = {}
    for category, (pence, note) in costs.items():
        if category not in CostCategory.values:
            raise ValidationError({"costs": "Enter costs only in the categories listed"})
        label = CostCategory(category).label.lower()
        if pence < 0:
            raise ValidationError({f"cost_{category}": f"The cost of {label} cannot be negative"})
        if pence >= money.MAX_PENCE:
            raise ValidationError(
                {f"cost_{category}": f"The cost of {label} must be less than {money.pounds(money.MAX_PENCE)}"}
            )
        text = note.strip()
        if len(text) > NOTE_LIMIT:
            raise ValidationError({f"note_{category}": f"The note on {label} must be 200 characters or fewer"})
        if pence or text:
            kept[category] = (pence, text)
    return kept


def _check_requested(stream: FundingStream, requested_pence: int) -> None:
    if requested_pence < 0:
        raise ValidationError({"requested": "The amount requested cannot be negative"})
    if requested_pence > stream.max_award_pence:
        raise ValidationError(
            {
                "requested": f"The amount requested, {money.pounds(requested_pence)}, is more than this fund's "
                f"maximum award of {money.pounds(stream.max_award_pence)}"
            }
        )


def update_application(
    application: Application,
    *,
    actor: Any,
    version: int,
    review_ids: list[int],
    costs: dict[str, tuple[int, str]],
    requested_pence: int,
    justification: str,
    request: HttpRequest | None,
) -> Application:
    """Replace a draft's reviews, cost breakdown, amount requested and justification."""
    _check(actor, application, access.can_edit_application, access.EDITABLE, CHANGE)
    kept = _check_costs(costs)
    _check_requested(application.stream, requested_pence)
    text = _optional_text(justification, "justification", "The justification")
    with transaction.atomic():
        current = _locked(application, actor, access.can_edit_application, access.EDITABLE, CHANGE, version=version)
        partnership = current.partnership
        reviews = list(Review.objects.filter(pk__in=set(review_ids), partnership=partnership))
        if len(reviews) != len(set(review_ids)):
            raise ValidationError({"reviews": f"Choose reviews of {partnership.name}"})
        current.requested_pence, current.justification = requested_pence, text
        _save(current, "requested_pence", "justification")
        ApplicationReview.objects.filter(application=current).delete()
        ApplicationReview.objects.bulk_create(
            ApplicationReview(application=current, review=review) for review in reviews
        )
        ApplicationCost.objects.filter(application=current).delete()
        ApplicationCost.objects.bulk_create(
            ApplicationCost(application=current, category=category, amount_pence=pence, note=note)
            for category, (pence, note) in kept.items()
        )
        record_change(
            "funding.application_changed",
            actor=actor,
            target=current,
            partnership_id=current.partnership_id,
            request=request,
            reviews=sorted(review.pk for review in reviews),
            costs={category: pence for category, (pence, _) in sorted(kept.items())},
            requested=requested_pence,
        )
    application.version = current.version
    return current


def add_supporting_document(
    application: Application,
    *,
    actor: Any,
    space: Space,
    title: str,
    upload: SpooledUpload,
    request: HttpRequest | None,
) -> SupportingDocument:
    """Upload a supporting document into one of the partnership's secure spaces and attach it to the draft.

    If anything is refused after the upload, the version row that took the spooled file over is
    rolled back, so the file is handed back to the request to be deleted.
    """
    _check(actor, application, access.can_edit_application, access.EDITABLE, CHANGE)
    _check_space(application, actor, space)
    name = title.strip()
    if not name:
        raise ValidationError({"title": "Enter a title for the document"})
    if len(name) > TITLE_LIMIT:
        raise ValidationError({"title": "The title must be 200 characters or fewer"})
    try:
        with transaction.atomic():
            current = _locked(application, actor, access.can_edit_application, access.EDITABLE, CHANGE)
            document = _upload(space, actor=actor, title=name, upload=upload, request=request)
            supporting = SupportingDocument.objects.create(application=current, document=document, added_by=actor)
            record_change(
                "funding.document_added",
                actor=actor,
                target=current,
                partnership_id=current.partnership_id,
                request=request,
                document=document.pk,
                space=space.pk,
            )
    except BaseException:
        upload.kept = False
        raise
    return supporting


# Submission -----------------------------------------------------------------------------------


def submit_application(application: Application, *, actor: Any, request: HttpRequest | None) -> Application:
    """Submit a draft as the CSP chair, once every eligibility rule of its stream passes.

    Refused with every failing rule's message, so the chair sees all that needs fixing at once.
    """
    _check(actor, application, access.can_submit_application, access.EDITABLE, SUBMIT)
    today = timezone.localdate()
    with transaction.atomic():
        current = _locked(application, actor, access.can_submit_application, access.EDITABLE, SUBMIT)
        failures = eligibility.check(current, today)
        if failures:
            raise ValidationError([failure.message for failure in failures], code="ineligible")
        stream = current.stream
        current.status, current.submitted_on, current.submitted_by = ApplicationStatus.SUBMITTED, today, actor
        _save(current, "status", "submitted_on", "submitted_by")
        record_change(
            "funding.application_submitted",
            actor=actor,
            target=current,
            partnership_id=current.partnership_id,
            request=request,
            stream=stream.pk,
            rules={
                "min_reviews_commenced": stream.min_reviews_commenced,
                "death_types": stream.death_types,
                "nations": stream.nations,
                "reviews_in_year": stream.reviews_in_year,
                "max_award": stream.max_award_pence,
            },
            reviews=sorted(current.covered.values_list("review_id", flat=True)),
            requested=current.requested_pence,
            submitted_on=today.isoformat(),
        )
    return current


# The funder's decision ------------------------------------------------------------------------


def _check_award(application: Application, outcome: str, awarded_pence: int | None) -> int:
    """The amount awarded for ``outcome``: all that was requested, part of it, or nothing."""
    requested = application.requested_pence
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": "Select the funder's decision"})
    if outcome == ApplicationStatus.REJECTED:
        if awarded_pence:
            raise ValidationError({"awarded": "A rejected application is awarded nothing: leave the amount empty"})
        return 0
    if awarded_pence is None or awarded_pence <= 0:
        raise ValidationError({"awarded": "Enter the amount awarded"})
    if awarded_pence > application.stream.max_award_pence:
        raise ValidationError(
            {
                "awarded": f"The amount awarded, {money.pounds(awarded_pence)}, is more than this fund's maximum "
                f"award of {money.pounds(application.stream.max_award_pence)}"
            }
        )
    if awarded_pence > requested:
        raise ValidationError(
            {
                "awarded": f"The amount awarded, {money.pounds(awarded_pence)}, is more than the amount requested, "
                f"{money.pounds(requested)}"
            }
        )
    if outcome == ApplicationStatus.APPROVED and awarded_pence != requested:
        raise ValidationError(
            {
                "awarded": f"An approved application is awarded the amount requested, {money.pounds(requested)}: "
                "select part approved for less"
            }
        )
    if outcome == ApplicationStatus.PART_APPROVED and awarded_pence == requested:
        raise ValidationError(
            {
                "awarded": f"A part approved application is awarded less than the amount requested, {money.pounds(requested)}"
            }
        )
    return awarded_pence


def _check_pot(current: Application, stream: FundingStream, awarded: int) -> None:
    """The stream's awards, this one included, stay within its pot; the stream's row is locked."""
    others = (
        Application.objects.filter(stream=stream, status__in=AWARDED)
        .exclude(pk=current.pk)
        .aggregate(total=Sum("awarded_pence"))["total"]
        or 0
    )
    if others + awarded > stream.total_pot_pence:
        raise ValidationError(
            {
                "awarded": f"This award would bring the fund's awards to {money.pounds(others + awarded)}, more than "
                f"its total pot of {money.pounds(stream.total_pot_pence)}"
            }
        )


def _shares(covered: list[ApplicationReview], awarded: int, shares: dict[int, int] | None) -> dict[int, int]:
    """Each covered review's share of the award: as given, or equal shares when none is given."""
    ids = [row.review_id for row in covered]
    if not shares:
        return dict(zip(ids, money.split(awarded, [1] * len(ids)), strict=True))
    if set(shares) - set(ids):
        raise ValidationError({"shares": "Give shares only for the reviews this application covers"})
    if any(pence < 0 for pence in shares.values()):
        raise ValidationError({"shares": "A share cannot be negative"})
    total = sum(shares.values())
    if total != awarded:
        raise ValidationError(
            {
                "shares": f"The shares must add up to the amount awarded, {money.pounds(awarded)}; "
                f"they add up to {money.pounds(total)}"
            }
        )
    return {review_id: shares.get(review_id, 0) for review_id in ids}


def _share_award(
    current: Application, covered: list[ApplicationReview], split: dict[int, int], *, decided_on: date, actor: Any
) -> None:
    """Store each covered review's share, and make it an awarded-fund contribution in the review's ledger."""
    stream = current.stream
    partner = f"{stream.funder}: {stream.name}"[:PARTNER_NAME_LIMIT]
    for row in covered:
        row.awarded_pence = split[row.review_id]
        row.save(update_fields=["awarded_pence"])
        if row.awarded_pence:
            Contribution.objects.create(
                ledger=ledger_of(row.review),
                partner_kind=PartnerKind.AWARDED_FUND,
                partner_name=partner,
                amount_pence=row.awarded_pence,
                agreed_on=decided_on,
                application=current,
                recorded_by=actor,
            )


def record_decision(
    application: Application,
    *,
    actor: Any,
    outcome: str,
    decided_on: date,
    awarded_pence: int | None,
    conditions: str,
    shares: dict[int, int] | None,
    space: Space,
    upload: SpooledUpload,
    request: HttpRequest | None,
) -> Application:
    """Record the funder's decision on a submitted application, with its letter.

    An award is shared among the reviews covered and becomes an awarded-fund contribution in
    each review's ledger. The stream's row is locked so that two awards cannot together
    overspend its pot.
    """
    _check(actor, application, access.can_record_decision, access.AWAITING_DECISION, DECIDE)
    awarded = _check_award(application, outcome, awarded_pence)
    if outcome == ApplicationStatus.REJECTED and shares and any(shares.values()):
        raise ValidationError({"shares": "A rejected application has no shares to give"})
    check_not_future(decided_on, "decided_on", "The date of the decision")
    text = _optional_text(conditions, "conditions", "The conditions")
    _check_space(application, actor, space)
    try:
        with transaction.atomic():
            stream = FundingStream.objects.select_for_update().get(pk=application.stream_id)
            current = _locked(application, actor, access.can_record_decision, access.AWAITING_DECISION, DECIDE)
            current.stream = stream
            _check_award(current, outcome, awarded_pence)
            if current.submitted_on is not None:
                check_not_before(
                    decided_on,
                    current.submitted_on,
                    "decided_on",
                    f"The decision cannot be dated before the application was submitted, on {long_date(current.submitted_on)}",
                )
            _check_pot(current, stream, awarded)
            covered = list(ApplicationReview.objects.filter(application=current).select_related("review"))
            split = _shares(covered, awarded, shares) if awarded else {}
            title = f"Decision letter: {stream.funder}, {stream.name}"[:TITLE_LIMIT]
            letter = _upload(space, actor=actor, title=title, upload=upload, request=request)
            current.status, current.decided_on, current.awarded_pence = outcome, decided_on, awarded
            current.conditions, current.decision_letter, current.decision_recorded_by = text, letter, actor
            _save(
                current,
                "status",
                "decided_on",
                "awarded_pence",
                "conditions",
                "decision_letter",
                "decision_recorded_by",
            )
            if split:
                _share_award(current, covered, split, decided_on=decided_on, actor=actor)
            record_change(
                "funding.application_decided",
                actor=actor,
                target=current,
                partnership_id=current.partnership_id,
                request=request,
                outcome=outcome,
                decided_on=decided_on.isoformat(),
                awarded=awarded,
                shares={str(review_id): pence for review_id, pence in split.items()},
                letter=letter.pk,
            )
    except BaseException:
        upload.kept = False
        raise
    return current


# Payment and withdrawal -----------------------------------------------------------------------


def record_payment(
    application: Application, *, actor: Any, paid_on: date, paid_pence: int, request: HttpRequest | None
) -> Application:
    """Record the funder's payment of an award, received across its contributions in proportion to them."""
    _check(actor, application, access.can_record_payment, access.AWAITING_PAYMENT, PAY)
    if paid_pence <= 0:
        raise ValidationError({"paid": "Enter the amount paid"})
    check_not_future(paid_on, "paid_on", "The date of payment")
    with transaction.atomic():
        current = _locked(application, actor, access.can_record_payment, access.AWAITING_PAYMENT, PAY)
        awarded = current.awarded_pence or 0
        if paid_pence > awarded:
            raise ValidationError(
                {"paid": f"The amount paid cannot be more than the amount awarded, {money.pounds(awarded)}"}
            )
        if current.decided_on is not None:
            check_not_before(
                paid_on,
                current.decided_on,
                "paid_on",
                f"The payment cannot be dated before the decision, on {long_date(current.decided_on)}",
            )
        contributions = list(Contribution.objects.live().filter(application=current).select_for_update().order_by("pk"))
        live = sum(contribution.amount_pence for contribution in contributions)
        if paid_pence > live:
            raise ValidationError(
                {
                    "paid": f"The amount paid cannot be more than the award still in the reviews' ledgers, "
                    f"{money.pounds(live)}"
                }
            )
        received = money.split(paid_pence, [contribution.amount_pence for contribution in contributions])
        for contribution, pence in zip(contributions, received, strict=True):
            contribution.received_pence, contribution.received_on = pence, paid_on
            contribution.save(update_fields=["received_pence", "received_on"])
        current.status, current.paid_on, current.paid_pence = ApplicationStatus.PAID, paid_on, paid_pence
        _save(current, "status", "paid_on", "paid_pence")
        record_change(
            "funding.application_paid",
            actor=actor,
            target=current,
            partnership_id=current.partnership_id,
            request=request,
            paid_on=paid_on.isoformat(),
            paid=paid_pence,
            received={str(contribution.pk): pence for contribution, pence in zip(contributions, received, strict=True)},
        )
    return current


def withdraw_application(
    application: Application, *, actor: Any, reason: str, request: HttpRequest | None
) -> Application:
    """Withdraw an application not yet paid, cancelling the contributions its award made."""
    _check(actor, application, access.can_withdraw_application, access.WITHDRAWABLE, WITHDRAW)
    text = text_of(reason, "reason", "Enter why the application is being withdrawn", "The reason")
    now = timezone.now()
    with transaction.atomic():
        current = _locked(application, actor, access.can_withdraw_application, access.WITHDRAWABLE, WITHDRAW)
        was = current.status
        contributions = list(Contribution.objects.live().filter(application=current).select_for_update().order_by("pk"))
        for contribution in contributions:
            contribution.cancelled_at, contribution.cancelled_by = now, actor
            contribution.cancel_reason = f"The application was withdrawn: {text}"
            contribution.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
        current.status, current.withdrawn_on, current.withdrawn_reason = (
            ApplicationStatus.WITHDRAWN,
            timezone.localdate(),
            text,
        )
        _save(current, "status", "withdrawn_on", "withdrawn_reason")
        record_change(
            "funding.application_withdrawn",
            actor=actor,
            target=current,
            partnership_id=current.partnership_id,
            request=request,
            was=was,
            cancelled=[contribution.pk for contribution in contributions],
        )
    return current
