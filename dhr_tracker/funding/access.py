"""Who may see and do what with funding streams, applications and the cost ledgers. Deny by default.

- **A partnership's CSP chairs and coordinators** see the national streams and their own
  partnership's, record their partnership's streams, build its applications while they are
  drafts, record the funder's decision, the payment and a withdrawal, and keep the ledger of
  each of its reviews that has commenced.
- **The CSP chair** alone submits an application.
- **Site administrators** record and change the national streams (open to every partnership);
  they see no application and no ledger.
- Everyone else, the independent chair, the panel, agency contributors and auditors included:
  a 404. Funding is the partnership's business, and an application names its reviews.

``access_<thing>(user, pk)`` return the object or raise ``Http404``; the ``can_<verb>``
predicates decide single actions, and services ask them again inside their transaction.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dhr_tracker.accounts.models import Partnership, PartnershipRole, PartnershipRoleKind
from dhr_tracker.funding.models import (
    Application,
    ApplicationStatus,
    Contribution,
    CostEntry,
    FundingStream,
)
from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.access import managed_partnerships
from dhr_tracker.reviews.models import Review

# What can still happen to an application at each status.
EDITABLE = frozenset({ApplicationStatus.DRAFT})
AWAITING_DECISION = frozenset({ApplicationStatus.SUBMITTED})
AWAITING_PAYMENT = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.PART_APPROVED})
WITHDRAWABLE = frozenset(
    {ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED, ApplicationStatus.PART_APPROVED}
)


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def manages(user: Any, partnership_id: int) -> bool:
    """A CSP chair or coordinator of the partnership."""
    return partnership_id in managed_partnerships(user)


def chairs(user: Any, partnership_id: int) -> bool:
    """The CSP chair of the partnership."""
    if not _active(user):
        return False
    roles = PartnershipRole.objects.current().filter(
        user=user, partnership_id=partnership_id, role=PartnershipRoleKind.CSP_CHAIR
    )
    return roles.exists()


def is_site_admin(user: Any) -> bool:
    return _active(user) and bool(user.is_site_admin)


# Streams --------------------------------------------------------------------------------------


def can_see_streams(user: Any) -> bool:
    return bool(managed_partnerships(user)) or is_site_admin(user)


def visible_streams(user: Any) -> QuerySet[FundingStream]:
    """The national streams and the streams of the partnerships the user manages."""
    if not can_see_streams(user):
        return FundingStream.objects.none()
    return FundingStream.objects.filter(Q(partnership__isnull=True) | Q(partnership_id__in=managed_partnerships(user)))


def access_stream(user: Any, stream_id: int) -> FundingStream:
    try:
        return visible_streams(user).select_related("partnership").get(pk=stream_id)
    except FundingStream.DoesNotExist:
        raise Http404 from None


def can_add_stream(user: Any, partnership_id: int | None) -> bool:
    """Record a national stream (``None``: site administrators) or a partnership's own."""
    if partnership_id is None:
        return is_site_admin(user)
    return manages(user, partnership_id)


def can_change_stream(user: Any, stream: FundingStream) -> bool:
    return can_add_stream(user, stream.partnership_id)


def stream_partnerships(user: Any, stream: FundingStream) -> QuerySet[Partnership]:
    """The partnerships the user may apply to ``stream`` for."""
    managed = managed_partnerships(user)
    if stream.partnership_id is not None:
        managed &= {stream.partnership_id}
    return Partnership.objects.filter(pk__in=managed).order_by("name")


def can_apply(user: Any, stream: FundingStream) -> bool:
    return stream_partnerships(user, stream).exists()


# Applications ---------------------------------------------------------------------------------


def visible_applications(user: Any) -> QuerySet[Application]:
    """The applications of the partnerships the user manages."""
    return Application.objects.filter(partnership_id__in=managed_partnerships(user))


def access_application(user: Any, application_id: int) -> Application:
    try:
        return visible_applications(user).select_related("partnership", "stream").get(pk=application_id)
    except Application.DoesNotExist:
        raise Http404 from None


def can_edit_application(user: Any, application: Application) -> bool:
    """Change the content of a draft: its reviews, costs, amount, justification and documents."""
    return application.status in EDITABLE and manages(user, application.partnership_id)


def can_submit_application(user: Any, application: Application) -> bool:
    return application.status in EDITABLE and chairs(user, application.partnership_id)


def can_record_decision(user: Any, application: Application) -> bool:
    return application.status in AWAITING_DECISION and manages(user, application.partnership_id)


def can_record_payment(user: Any, application: Application) -> bool:
    return application.status in AWAITING_PAYMENT and manages(user, application.partnership_id)


def can_withdraw_application(user: Any, application: Application) -> bool:
    return application.status in WITHDRAWABLE and manages(user, application.partnership_id)


# Ledgers --------------------------------------------------------------------------------------


def has_ledger(review: Review) -> bool:
    """A review has costs once it has commenced: the decision to review, or a direction to."""
    return schedule.completion_start(review) is not None


def access_ledger(user: Any, review_id: int) -> Review:
    """The review whose ledger the user keeps; 404 for anyone else, and for a review not commenced."""
    try:
        review = Review.objects.select_related("partnership").get(
            pk=review_id, partnership_id__in=managed_partnerships(user)
        )
    except Review.DoesNotExist:
        raise Http404 from None
    if not has_ledger(review):
        raise Http404
    return review


def can_change_ledger(user: Any, review: Review) -> bool:
    """Keep the ledger: invoices arrive after publication, closure or withdrawal, so the state does not matter."""
    return has_ledger(review) and manages(user, review.partnership_id)


def access_cost_entry(user: Any, entry_id: int) -> CostEntry:
    try:
        return CostEntry.objects.select_related("ledger__review__partnership").get(
            pk=entry_id, ledger__review__partnership_id__in=managed_partnerships(user)
        )
    except CostEntry.DoesNotExist:
        raise Http404 from None


def access_contribution(user: Any, contribution_id: int) -> Contribution:
    try:
        return Contribution.objects.select_related("ledger__review__partnership").get(
            pk=contribution_id, ledger__review__partnership_id__in=managed_partnerships(user)
        )
    except Contribution.DoesNotExist:
        raise Http404 from None


def access_partnership(user: Any, partnership_id: int) -> Partnership:
    """A partnership whose ledgers and applications the user sees; 404 otherwise."""
    if not manages(user, partnership_id):
        raise Http404
    return Partnership.objects.get(pk=partnership_id)
