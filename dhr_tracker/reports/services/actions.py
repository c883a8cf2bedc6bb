"""The action plan: recommendations and their actions, the owners' updates, the plan's export, and
its deadlines in the review's status (DHR.md s10, s20).

Those who run the review write the plan (``access.can_plan``); an action's owner, who may work
for an agency and see nothing else of the review, records its progress, milestones, evidence and
completion (``access.can_update_action``). Owners are people connected with the review's
partnership, and lead agencies are the partnership's agencies, so a plan never names someone the
partnership cannot hold to it.

Every change locks the review's row first (``locked``), as the lifecycle's steps do, so closing
the review, which needs every action complete, never races an action being reopened. Rows edited
through a form carry a ``version`` (optimistic locking: two people editing the same
recommendation never silently overwrite each other).

An open action is a deadline of its review (``DEADLINES``, registered from ``ReportsConfig.ready``)
owned by its owner: it turns the review amber and red, and its reminders go to the owner with a
link to the action's page. Its label names the action by number only, since reminders carry no
free text.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, AgencyMembership, PartnershipRole, User
from dhr_tracker.chronologies.exports import Made
from dhr_tracker.chronologies.services.requests import TEXT_LIMIT, text_of
from dhr_tracker.reports import access, planexports
from dhr_tracker.reports.models import RAG, Action, ActionUpdate, Recommendation, Scope
from dhr_tracker.reviews import deadlines, schedule
from dhr_tracker.reviews.access import CSP_ROLES
from dhr_tracker.reviews.models import Participant, Review
from dhr_tracker.reviews.services import STALE_MESSAGE, check_not_future, locked, record_change
from sharing.access import visible_documents
from sharing.models import Document

# The department addressed is a name, as the model holds it.
DEPARTMENT_LIMIT = 200
CHOOSE_OWNER = "Choose who owns this recommendation"
CHOOSE_ACTION_OWNER = "Choose who owns this action"
OWNER_NOT_CONNECTED = "Choose an owner from the list: someone connected with the review's partnership"
AGENCY_NOT_PARTNER = "Choose a lead agency from the partnership's agencies"


@dataclass(frozen=True)
class RecommendationFields:
    """What a recommendation says and who answers for it, as the form gives it."""

    text: str
    scope: str
    multi_agency: bool
    lead_agency_id: int | None
    owner_id: int | None
    department: str
    target_on: date | None


@dataclass(frozen=True)
class ActionFields:
    """What an action is, who leads and owns it, and when it is due."""

    text: str
    lead_agency_id: int | None
    owner_id: int | None
    target_on: date | None


@dataclass(frozen=True)
class Progress:
    """An owner's update: a note for the history, and the action's milestones, risk, evidence and completion."""

    note: str
    milestones: str
    at_risk: bool
    evidence_ids: tuple[int, ...]
    completed_on: date | None
    outcome: str


# Who and what a plan may name ---------------------------------------------------------------


def connected_users(review: Review) -> QuerySet[User]:
    """The active people connected with the review's partnership.

    Its CSP chairs and coordinators, anyone holding a role on the review (the independent chair,
    the panel, the agencies' contributors), and the members of the partnership's agencies.
    """
    roles = PartnershipRole.objects.current().filter(partnership_id=review.partnership_id, role__in=CSP_ROLES)
    participants = Participant.objects.current().filter(review=review)
    members = AgencyMembership.objects.filter(ended_at__isnull=True, agency__partnerships=review.partnership_id)
    return User.objects.filter(
        Q(pk__in=roles.values("user_id"))
        | Q(pk__in=participants.values("user_id"))
        | Q(pk__in=members.values("user_id")),
        is_active=True,
    )


def owner_choices(review: Review, current: User | None = None) -> list[tuple[int, str]]:
    """The people who may own a recommendation or action, with the present owner kept."""
    people = {user.pk: user for user in connected_users(review)}
    if current is not None:
        people.setdefault(current.pk, current)
    ordered = sorted(people.values(), key=lambda user: (user.full_name.lower(), user.email))
    return [(user.pk, f"{user.full_name} ({user.email})") for user in ordered]


def partner_agencies(review: Review) -> QuerySet[Agency]:
    return Agency.objects.filter(partnerships=review.partnership_id).order_by("name")


def agency_choices(review: Review, current: Agency | None = None) -> list[tuple[int, str]]:
    """The partnership's agencies, with the present lead agency kept."""
    agencies = dict(partner_agencies(review).values_list("pk", "name"))
    if current is not None:
        agencies.setdefault(current.pk, current.name)
    return sorted(agencies.items(), key=lambda item: item[1])


def evidence_choices(user: Any, review: Review) -> list[tuple[int, str]]:
    """The documents of the review's secure space the user may open, to choose as evidence."""
    if review.space is None:
        return []
    documents = visible_documents(user, review.space).order_by("title", "pk")
    return list(documents.values_list("pk", "title"))


def _check_owner(review: Review, owner_id: int | None, *, kept: int | None, missing: str) -> None:
    if owner_id is None:
        raise ValidationError({"owner": missing})
    if owner_id != kept and not connected_users(review).filter(pk=owner_id).exists():
        raise ValidationError({"owner": OWNER_NOT_CONNECTED})


def _check_agency(review: Review, agency_id: int | None, *, kept: int | None) -> None:
    if agency_id is None or agency_id == kept:
        return
    if not partner_agencies(review).filter(pk=agency_id).exists():
        raise ValidationError({"lead_agency": AGENCY_NOT_PARTNER})


def _collect(errors: dict[str, str], check: Callable[[], Any]) -> Any:
    """Run ``check``; put the message of a refusal on ``errors`` rather than raising it."""
    try:
        return check()
    except ValidationError as exc:
        errors.update({field: messages[0] for field, messages in exc.message_dict.items()})
        return None


def _check_people(
    errors: dict[str, str],
    review: Review,
    owner_id: int | None,
    agency_id: int | None,
    *,
    kept: Recommendation | Action | None,
    missing: str,
) -> None:
    """Check the owner and lead agency (the row's present ones may stay), then raise every error found."""
    owner, agency = (kept.owner_id, kept.lead_agency_id) if kept else (None, None)
    _collect(errors, lambda: _check_owner(review, owner_id, kept=owner, missing=missing))
    _collect(errors, lambda: _check_agency(review, agency_id, kept=agency))
    if errors:
        raise ValidationError(errors)


def _recommendation_values(review: Review, fields: RecommendationFields, kept: Recommendation | None) -> dict[str, Any]:
    """The recommendation's columns from ``fields``, or a ``ValidationError`` naming every field at fault."""
    errors: dict[str, str] = {}
    text = _collect(errors, lambda: text_of(fields.text, "text", "Enter the recommendation", "The recommendation"))
    if fields.scope not in Scope.values:
        errors["scope"] = "Choose whether the recommendation is local, regional or national"
    department = fields.department.strip()
    if fields.scope == Scope.NATIONAL and not department:
        errors["department"] = "Enter the government department a national recommendation is addressed to"
    elif len(department) > DEPARTMENT_LIMIT:
        errors["department"] = "The department must be 200 characters or fewer"
    if fields.target_on is None:
        errors["target_on"] = "Enter the target date"
    _check_people(errors, review, fields.owner_id, fields.lead_agency_id, kept=kept, missing=CHOOSE_OWNER)
    return {
        "text": text,
        "scope": fields.scope,
        "multi_agency": fields.multi_agency,
        "lead_agency_id": fields.lead_agency_id,
        "owner_id": fields.owner_id,
        "department": department if fields.scope == Scope.NATIONAL else "",
        "target_on": fields.target_on,
    }


def _action_values(review: Review, fields: ActionFields, kept: Action | None, *, earliest: date) -> dict[str, Any]:
    """The action's columns from ``fields``, or a ``ValidationError`` naming every field at fault."""
    errors: dict[str, str] = {}
    text = _collect(errors, lambda: text_of(fields.text, "text", "Enter the action", "The action"))
    if fields.target_on is None:
        errors["target_on"] = "Enter the target date"
    elif fields.target_on < earliest:
        errors["target_on"] = (
            "The target date must be today or later"
            if kept is None
            else "The target date must be on or after the day the action was added"
        )
    _check_people(errors, review, fields.owner_id, fields.lead_agency_id, kept=kept, missing=CHOOSE_ACTION_OWNER)
    return {
        "text": text,
        "lead_agency_id": fields.lead_agency_id,
        "owner_id": fields.owner_id,
        "target_on": fields.target_on,
    }


def _changed(row: Any, values: dict[str, Any]) -> list[str]:
    """Set ``values`` on ``row``; return the names of those that changed."""
    changed = sorted(name for name, value in values.items() if getattr(row, name) != value)
    for name, value in values.items():
        setattr(row, name, value)
    return changed


def _bump(row: Recommendation | Action, version: int | None) -> None:
    """Refuse a form opened on an older copy of the (locked) row, and count this change.

    ``None`` for changes that overwrite nothing typed on the row (adding an action to it).
    """
    if version is None:
        return
    if row.version != version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    row.version += 1


# Recommendations ------------------------------------------------------------------------------


def add_recommendation(
    review: Review, *, actor: Any, fields: RecommendationFields, request: HttpRequest | None
) -> Recommendation:
    """Add a recommendation to the plan, numbered after the last."""
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_plan(actor, r))
        values = _recommendation_values(current, fields, None)
        last = Recommendation.objects.filter(review=current).aggregate(last=Max("number"))["last"] or 0
        recommendation = Recommendation.objects.create(review=current, number=last + 1, created_by=actor, **values)
        record_change(
            "reports.recommendation_added",
            actor=actor,
            review=current,
            target=recommendation,
            request=request,
            number=recommendation.number,
            scope=recommendation.scope,
            owner=recommendation.owner_id,
            target_on=recommendation.target_on.isoformat(),
        )
    return recommendation


def _locked_recommendation(recommendation: Recommendation, actor: Any, version: int | None) -> Recommendation:
    """Lock the review, then the recommendation, for a change by those who plan."""
    if not access.can_plan(actor, recommendation.review):
        raise PermissionDenied
    review = locked(recommendation.review, version=None, allowed=lambda r: access.can_plan(actor, r))
    current = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    current.review = review
    _bump(current, version)
    return current


def change_recommendation(
    recommendation: Recommendation,
    *,
    actor: Any,
    fields: RecommendationFields,
    version: int,
    request: HttpRequest | None,
) -> Recommendation:
    """Change what a recommendation says, its scope, lead agency, owner, department or target date."""
    with transaction.atomic():
        current = _locked_recommendation(recommendation, actor, version)
        values = _recommendation_values(current.review, fields, current)
        changed = _changed(current, values)
        current.save(update_fields=[*values, "version"])
        record_change(
            "reports.recommendation_changed",
            actor=actor,
            review=current.review,
            target=current,
            request=request,
            number=current.number,
            changed=changed,
        )
    return current


def delete_recommendation(
    recommendation: Recommendation, *, actor: Any, version: int, request: HttpRequest | None
) -> Recommendation:
    """Remove a recommendation that has no actions yet, and return it; its number is not reused."""
    with transaction.atomic():
        current = _locked_recommendation(recommendation, actor, version)
        if current.actions.exists():
            raise ValidationError(
                "This recommendation has actions, so it cannot be deleted. Change it instead, "
                "or ask the service administrator to remove its actions first"
            )
        record_change(
            "reports.recommendation_deleted",
            actor=actor,
            review=current.review,
            target=current,
            request=request,
            number=current.number,
        )
        current.themes.all().delete()
        current.delete()
    return current


# Actions --------------------------------------------------------------------------------------


def add_action(
    recommendation: Recommendation, *, actor: Any, fields: ActionFields, request: HttpRequest | None
) -> Action:
    """Add an action to a recommendation, numbered after its last; due today or later."""
    with transaction.atomic():
        current = _locked_recommendation(recommendation, actor, None)
        values = _action_values(current.review, fields, None, earliest=timezone.localdate())
        last = current.actions.aggregate(last=Max("number"))["last"] or 0
        action = Action.objects.create(recommendation=current, number=last + 1, created_by=actor, **values)
        record_change(
            "reports.action_added",
            actor=actor,
            review=current.review,
            target=action,
            request=request,
            recommendation=current.number,
            number=action.number,
            owner=action.owner_id,
            target_on=action.target_on.isoformat(),
        )
    return action


def _locked_action(action: Action, actor: Any, version: int | None, allowed: Callable[[Any, Action], bool]) -> Action:
    """Lock the review, then the action; ``allowed(actor, action)`` is asked before and on the locked rows."""
    if not allowed(actor, action):
        raise PermissionDenied
    review = locked(action.recommendation.review, version=None)
    current = Action.objects.select_for_update().select_related("recommendation").get(pk=action.pk)
    current.recommendation.review = review
    if not allowed(actor, current):
        raise PermissionDenied
    _bump(current, version)
    return current


def change_action(
    action: Action, *, actor: Any, fields: ActionFields, version: int, request: HttpRequest | None
) -> Action:
    """Change an action's text, lead agency, owner or target date (not before the day it was added)."""
    with transaction.atomic():
        current = _locked_action(action, actor, version, access.can_edit_action)
        added_on = timezone.localtime(current.created_at).date()
        values = _action_values(current.recommendation.review, fields, current, earliest=added_on)
        changed = _changed(current, values)
        current.save(update_fields=[*values, "version"])
        record_change(
            "reports.action_changed",
            actor=actor,
            review=current.recommendation.review,
            target=current,
            request=request,
            changed=changed,
            owner=current.owner_id,
            target_on=current.target_on.isoformat(),
        )
    return current


def _evidence(actor: Any, action: Action, chosen: tuple[int, ...]) -> set[int]:
    """The evidence after the update: what the actor chose of the documents they may open, plus
    what others attached that the actor cannot open (which they cannot see to remove)."""
    space = action.recommendation.review.space
    openable = set(visible_documents(actor, space).values_list("pk", flat=True)) if space is not None else set()
    if not set(chosen) <= openable:
        raise ValidationError({"evidence": "Choose evidence from the documents of the review you may open"})
    attached = set(action.evidence.values_list("pk", flat=True))
    return set(chosen) | (attached - openable)


def _completion(action: Action, progress: Progress) -> tuple[str, bool]:
    """The outcome to keep, and whether the action is reopened; or a ``ValidationError``."""
    completed_on = progress.completed_on
    outcome = progress.outcome.strip()
    if completed_on is None:
        reopened = action.completed_on is not None
        if reopened and not progress.note.strip():
            raise ValidationError({"note": "Enter why the action is reopened"})
        return outcome, reopened
    check_not_future(completed_on, "completed_on", "The completion date")
    if completed_on < timezone.localtime(action.created_at).date():
        raise ValidationError({"completed_on": "The completion date must be on or after the day the action was added"})
    return text_of(outcome, "outcome", "Enter the outcome of the completed action", "The outcome"), False


def update_action(
    action: Action, *, actor: Any, progress: Progress, version: int, request: HttpRequest | None
) -> Action:
    """Record the owner's progress: a note for the history, milestones, risk, evidence, completion.

    Completing needs the date (not in the future, not before the action was added) and the
    outcome; reopening a completed action needs a note saying why.
    """
    with transaction.atomic():
        current = _locked_action(action, actor, version, access.can_update_action)
        note = progress.note.strip()
        if len(note) > TEXT_LIMIT:
            raise ValidationError({"note": "The progress note must be 10,000 characters or fewer"})
        milestones = progress.milestones.strip()
        if len(milestones) > TEXT_LIMIT:
            raise ValidationError({"milestones": "The milestones must be 10,000 characters or fewer"})
        outcome, reopened = _completion(current, progress)
        evidence = _evidence(actor, current, progress.evidence_ids)
        values = {
            "milestones": milestones,
            "at_risk": progress.at_risk,
            "completed_on": progress.completed_on,
            "outcome": outcome,
        }
        changed = _changed(current, values)
        if evidence != set(current.evidence.values_list("pk", flat=True)):
            current.evidence.set(evidence)
            changed.append("evidence")
        if not changed and not note:
            raise ValidationError({"note": "Enter a progress note, or change something about the action"})
        current.save(update_fields=[*values, "version"])
        if note:
            ActionUpdate.objects.create(action=current, text=note, author=actor)
        record_change(
            "reports.action_updated",
            actor=actor,
            review=current.recommendation.review,
            target=current,
            request=request,
            changed=changed,
            note=bool(note),
            at_risk=current.at_risk,
            evidence=len(evidence),
            completed_on=current.completed_on.isoformat() if current.completed_on else None,
            reopened=reopened,
        )
    return current


# Reading the plan -----------------------------------------------------------------------------


def rag_filter(rag: str, today: date) -> Q:
    """The actions whose ``Action.rag(today)`` is ``rag``, as a query."""
    open_ = Q(completed_on__isnull=True)
    soon = today + timedelta(days=settings.REVIEW_AMBER_DAYS)
    if rag == RAG.COMPLETE:
        return Q(completed_on__isnull=False)
    if rag == RAG.RED:
        return open_ & Q(target_on__lt=today)
    if rag == RAG.AMBER:
        return open_ & Q(target_on__gte=today) & (Q(at_risk=True) | Q(target_on__lte=soon))
    return open_ & Q(target_on__gt=soon, at_risk=False)


def rag_counts(review: Review, today: date) -> dict[str, int]:
    """How many of the plan's actions are in each RAG status, in one query."""
    counts = Action.objects.filter(recommendation__review=review).aggregate(
        **{rag.value: Count("pk", filter=rag_filter(rag, today)) for rag in RAG}
    )
    return {rag.value: counts[rag.value] for rag in RAG}


def plan_actions() -> QuerySet[Action]:
    """Actions as the plan shows them, with what each row names."""
    return Action.objects.select_related("owner", "lead_agency").prefetch_related(
        Prefetch("evidence", queryset=Document.objects.order_by("title", "pk"))
    )


def plan(review: Review, shown: Q | None = None) -> QuerySet[Recommendation]:
    """The review's recommendations in number order, with their actions (those ``shown`` selects)."""
    actions = plan_actions().filter(shown) if shown is not None else plan_actions()
    return (
        Recommendation.objects.filter(review=review)
        .select_related("owner", "lead_agency")
        .prefetch_related(Prefetch("actions", queryset=actions))
        .order_by("number")
    )


def plan_owners(review: Review) -> QuerySet[User]:
    """Everyone the plan names as the owner of a recommendation or an action."""
    recommendations = Recommendation.objects.filter(review=review).values("owner_id")
    actions = Action.objects.filter(recommendation__review=review).values("owner_id")
    return User.objects.filter(Q(pk__in=recommendations) | Q(pk__in=actions)).order_by("full_name", "pk")


def export_plan(review: Review, *, actor: Any, fmt: str, request: HttpRequest | None) -> Made:
    """Make the review's action plan into an XLSX or DOCX file for ``actor``, and record the download."""
    if not access.can_export_plan(actor, review):
        raise PermissionDenied
    kind = planexports.FORMATS[fmt]
    with transaction.atomic():
        made = kind.render(review, list(plan(review)), timezone.localdate())
        record_change(
            "reports.action_plan_exported", actor=actor, review=review, request=request, format=fmt, count=made.count
        )
    return made


# Deadlines ------------------------------------------------------------------------------------

# Where ``schedule.with_schedule`` puts each review's recommendations that have open actions.
OPEN_ATTR = "recommendations_with_open_actions"
OPEN_ACTIONS_ATTR = "open_actions"


def _open_actions() -> QuerySet[Action]:
    return Action.objects.filter(completed_on__isnull=True).order_by("number")


def _open_lookups() -> schedule.Lookups:
    """Two queries for any number of reviews, and one only when none has an open action."""
    with_open = Recommendation.objects.filter(actions__completed_on__isnull=True).distinct().order_by("number")
    return (
        Prefetch("recommendations", queryset=with_open, to_attr=OPEN_ATTR),
        Prefetch(f"{OPEN_ATTR}__actions", queryset=_open_actions(), to_attr=OPEN_ACTIONS_ATTR),
    )


def label(recommendation: Recommendation, action: Action) -> str:
    """The action as reminders and lists name it: by number, never by its text."""
    return f"Action {recommendation.number}.{action.number} of the action plan"


def action_deadlines(review: Review, today: date, rules: deadlines.Policy) -> list[schedule.Deadline]:
    """Each open action of the plan, as a deadline of its review owned by the action's owner."""
    recommendations = getattr(review, OPEN_ATTR, None)
    if recommendations is None:
        recommendations = list(
            Recommendation.objects.filter(review=review).prefetch_related(
                Prefetch("actions", queryset=_open_actions(), to_attr=OPEN_ACTIONS_ATTR)
            )
        )
    return [
        schedule.Deadline(
            f"plan_action:{action.pk}",
            label(recommendation, action),
            action.target_on,
            deadlines.Rag(action.rag(today).value),
            None,
            f"user:{action.owner_id}",
            page=reverse("reports:action", args=[action.pk]),
        )
        for recommendation in recommendations
        for action in getattr(recommendation, OPEN_ACTIONS_ATTR)
    ]


DEADLINES = schedule.DeadlineSource(_open_lookups, action_deadlines)
