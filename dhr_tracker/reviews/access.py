"""Who may see and change reviews. Deny by default.

- CSP chairs and coordinators: every review of their partnership.
- The independent chair and panel members: the reviews they currently hold that role on.
- Agency contributors: nothing here; the chronologies give them their own agency's requests.
- Auditors, site administrators and other partnerships: nothing, and a 404 rather than a 403.

``access_review(user, review_id, *, for_write)`` returns the review or raises: 404 when it is
unknown or invisible, 403 when it is visible but ``for_write`` and the user may change nothing
on it. The predicates ``can_<verb>(user, review)`` decide single actions; services call them
again inside their transaction.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from dhr_tracker.accounts.models import PartnershipRole, PartnershipRoleKind
from dhr_tracker.reviews import lifecycle
from dhr_tracker.reviews.lifecycle import FINAL, Role, State
from dhr_tracker.reviews.models import Participant, ParticipantKind, Review

CSP_ROLES = (PartnershipRoleKind.CSP_CHAIR, PartnershipRoleKind.CSP_COORDINATOR)
# The review-level roles that see the review itself (contributors see only their requests).
REVIEW_READERS = (ParticipantKind.INDEPENDENT_CHAIR, ParticipantKind.PANEL_MEMBER)


def _active(user: Any) -> bool:
    """A signed-in, active user. Pages also need a verified second factor, which the middleware
    enforces before any view runs; services serve commands and tasks too, where there is none."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def managed_partnerships(user: Any) -> set[int]:
    """The partnerships in which ``user`` is a CSP chair or coordinator."""
    if not _active(user):
        return set()
    roles = PartnershipRole.objects.current().filter(user=user, role__in=CSP_ROLES)
    return set(roles.values_list("partnership_id", flat=True))


def visible_reviews(user: Any) -> QuerySet[Review]:
    if not _active(user):
        return Review.objects.none()
    managed = PartnershipRole.objects.current().filter(user=user, role__in=CSP_ROLES).values("partnership_id")
    held = Participant.objects.current().filter(user=user, kind__in=REVIEW_READERS).values("review_id")
    return Review.objects.filter(Q(partnership_id__in=managed) | Q(pk__in=held))


def roles_in(user: Any, review: Review) -> frozenset[str]:
    """The user's roles on this review: ``lifecycle.Role`` values plus ``panel_member``.

    Memoised on the review object for the request, since pages ask many predicates at once.
    """
    if not _active(user):
        return frozenset()
    cache: dict[int, frozenset[str]] = review.__dict__.setdefault("_roles_cache", {})
    if user.pk not in cache:
        partnership_roles = PartnershipRole.objects.current().filter(
            user=user, partnership_id=review.partnership_id, role__in=CSP_ROLES
        )
        held = Participant.objects.current().filter(user=user, review=review, kind__in=REVIEW_READERS)
        cache[user.pk] = frozenset(
            {*partnership_roles.values_list("role", flat=True), *held.values_list("kind", flat=True)}
        )
    return cache[user.pk]


def forget_roles(review: Review) -> None:
    """Drop the memoised roles after a change of participants."""
    review.__dict__.pop("_roles_cache", None)


def lifecycle_roles(user: Any, review: Review) -> frozenset[Role]:
    return frozenset(Role(role) for role in roles_in(user, review) if role in Role.__members__.values())


def access_review(user: Any, review_id: int, *, for_write: bool) -> Review:
    """Return the review if ``user`` may see it (404 otherwise); 403 if ``for_write`` and read-only."""
    try:
        review = visible_reviews(user).select_related("partnership").get(pk=review_id)
    except Review.DoesNotExist:
        raise Http404 from None
    if for_write and not can_change(user, review):
        raise PermissionDenied
    return review


def is_final(review: Review) -> bool:
    return State(review.state) in FINAL


def is_manager(user: Any, review: Review) -> bool:
    """A CSP chair or coordinator of the review's partnership."""
    return bool(roles_in(user, review) & {Role.CSP_CHAIR, Role.CSP_COORDINATOR})


def is_csp_chair(user: Any, review: Review) -> bool:
    return Role.CSP_CHAIR in roles_in(user, review)


def is_independent_chair(user: Any, review: Review) -> bool:
    return Role.INDEPENDENT_CHAIR in roles_in(user, review)


def can_change(user: Any, review: Review) -> bool:
    """Whether the user may change anything at all on this review."""
    if is_final(review):
        return False
    return is_manager(user, review) or is_independent_chair(user, review)


def can_notify(user: Any, partnership_id: int) -> bool:
    """Only a CSP coordinator or chair records a notification for their partnership."""
    return partnership_id in managed_partnerships(user)


def can_edit_notification(user: Any, review: Review) -> bool:
    if is_final(review):
        return False
    return is_manager(user, review)


def can_reveal_identities(user: Any, review: Review) -> bool:
    """Real names, dates of birth and addresses: the partnership and the independent chair (in sudo mode)."""
    return is_manager(user, review) or is_independent_chair(user, review)


def has_step_role(user: Any, review: Review, step: str) -> bool:
    """Whether the user's role on the review allows this lifecycle step at all.

    Pages and services check this; the state and the other rules of the step are checked by
    ``lifecycle.check``, so a step no longer possible gets its own message rather than a 403.
    """
    transition = lifecycle.TRANSITIONS.get(step)
    if transition is None or is_final(review):
        return False
    return bool(transition.roles & lifecycle_roles(user, review))


def can_take(user: Any, review: Review, step: str) -> bool:
    """Whether the step is open to the user now: their role allows it and the review is in a state it starts from."""
    if not has_step_role(user, review, step):
        return False
    return State(review.state) in lifecycle.TRANSITIONS[step].sources


def can_record_home_office(user: Any, review: Review) -> bool:
    if review.decided_on is None or is_final(review):
        return False
    return is_manager(user, review)


def can_extend(user: Any, review: Review) -> bool:
    if is_final(review):
        return False
    return is_csp_chair(user, review)


def can_manage_chair(user: Any, review: Review) -> bool:
    """Appoint, confirm and end the independent chair: the partnership."""
    if is_final(review):
        return False
    return is_manager(user, review)


def can_manage_panel(user: Any, review: Review) -> bool:
    """Scope agencies and change the panel: the partnership.

    Joining or leaving the panel adds or removes a member of the review's secure space, and
    sharing lets only those who run the partnership's protocols and spaces (its CSP chairs and
    coordinators) change a space's members; the independent chair asks the coordinator.
    """
    if is_final(review):
        return False
    return is_manager(user, review)


def can_draft_terms(user: Any, review: Review) -> bool:
    return can_change(user, review)


def can_approve_terms(user: Any, review: Review) -> bool:
    if is_final(review):
        return False
    return is_csp_chair(user, review)


def can_manage_family(user: Any, review: Review) -> bool:
    return can_change(user, review)


def can_record_meetings(user: Any, review: Review) -> bool:
    return can_change(user, review)


def managers_and_chair(review: Review) -> set[int]:
    """The people who run the review: the partnership's chairs and coordinators, and the independent chair."""
    managers = PartnershipRole.objects.current().filter(partnership_id=review.partnership_id, role__in=CSP_ROLES)
    chairs = Participant.objects.current().filter(review=review, kind=ParticipantKind.INDEPENDENT_CHAIR)
    return {*managers.values_list("user_id", flat=True), *chairs.values_list("user_id", flat=True)}


# Independent chair, scoped agencies and the panel ---------------------------------------------

# Before the decision to commission there is nobody to appoint and no secure space to open.
UNCOMMISSIONED = frozenset({State.NOTIFIED, State.SCOPING, State.DECISION_PENDING, State.NOT_COMMISSIONED})


def is_commissioned(review: Review) -> bool:
    """Commissioned or later, and not final: the review can be staffed."""
    if is_final(review):
        return False
    return State(review.state) not in UNCOMMISSIONED


def can_open_space(user: Any, review: Review) -> bool:
    """Open the review's secure space: the partnership, once, after commissioning."""
    if review.space_id is not None:
        return False
    if not is_commissioned(review):
        return False
    return is_manager(user, review)


# Terms of reference ---------------------------------------------------------------------------


def can_export_terms(user: Any, review: Review) -> bool:
    """Anyone who can see the review may download its terms of reference."""
    return bool(roles_in(user, review))


# Meetings -------------------------------------------------------------------------------------


def can_complete_action(user: Any, review: Review, owner_id: int) -> bool:
    """Mark a meeting action done: its owner, or those who record the review's meetings."""
    if is_final(review):
        return False
    if _active(user) and user.pk == owner_id:
        return True
    return can_record_meetings(user, review)
