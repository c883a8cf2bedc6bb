"""The action plan: the plan of a review, its recommendations and actions, one action's page with
its history and the owner's update, a person's own actions across reviews, and the plan's export.

The plan and its export are for those who read the review; writing it is for those who plan
(403 for the panel, who read it). An action's page is for them and for the action's owner, who
may see nothing else of the review (``access.access_action``: 404 for anyone else).
"""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.downloads import attachment
from dhr_tracker.forms import posted, submit
from dhr_tracker.reports import access, planexports
from dhr_tracker.reports.forms.actions import (
    ActionForm,
    DeleteForm,
    EditActionForm,
    EditRecommendationForm,
    PlanFilters,
    ProgressForm,
    RecommendationForm,
)
from dhr_tracker.reports.models import RAG, Action, Recommendation
from dhr_tracker.reports.services import actions as services
from dhr_tracker.reports.views import PAGE_SIZE, post_only, report_page
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.views import review_for_change
from sharing.access import visible_documents

SECTION = "reports:action_plan"


def _openable(user: Any, review: Review) -> set[int]:
    """The documents of the review's space the user may open, so evidence links only where they work."""
    if review.space is None:
        return set()
    return set(visible_documents(user, review.space).values_list("pk", flat=True))


def _filtered(review: Review, chosen: dict[str, Any]) -> QuerySet[Recommendation]:
    """The recommendations the filters select, each with the actions they select.

    Scope selects recommendations; status and owner select actions, and the recommendations
    that have one. Filtered by owner alone, the recommendations that person owns are listed too.
    """
    shown = Q()
    if chosen["rag"]:
        shown &= services.rag_filter(chosen["rag"], timezone.localdate())
    if chosen["owner"]:
        shown &= Q(owner_id=chosen["owner"])
    listed = services.plan(review, shown)
    if chosen["scope"]:
        listed = listed.filter(scope=chosen["scope"])
    if chosen["rag"] or chosen["owner"]:
        matching = Exists(Action.objects.filter(shown, recommendation=OuterRef("pk")))
        owned = Q(owner_id=chosen["owner"]) if chosen["owner"] and not chosen["rag"] else Q(pk__in=[])
        listed = listed.filter(matching | owned)
    return listed


def _rows(recommendations: Any, today: date) -> list[dict[str, Any]]:
    return [
        {
            "recommendation": recommendation,
            "actions": [{"action": action, "rag": action.rag(today)} for action in recommendation.actions.all()],
        }
        for recommendation in recommendations
    ]


@verified()
def action_plan(request: SignedInRequest, review_id: int) -> HttpResponse:
    """The review's recommendations in number order with their actions, filtered by scope, status and owner."""
    user = request.user
    review = access.access_review(user, review_id)
    owners = [(owner.pk, owner.full_name) for owner in services.plan_owners(review)]
    form = PlanFilters(request.GET, owners=owners)
    page = Paginator(_filtered(review, form.chosen()), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    counts = services.rag_counts(review, today)
    selection = form.selection()
    context = {
        "filters": form,
        "page": page,
        "rows": _rows(page, today),
        "counts": [(RAG(value), count) for value, count in counts.items()],
        "total": sum(counts.values()),
        "any_recommendations": Recommendation.objects.filter(review=review).exists(),
        "selection": selection,
        "page_param": f"{selection}&page" if selection else "page",
        "can_plan": access.can_plan(user, review),
        "can_export": access.can_export_plan(user, review),
        "formats": planexports.FORMATS,
        "openable": _openable(user, review),
    }
    return report_page(request, "reports/actions_plan.html", review, SECTION, context)


@verified()
def my_actions(request: SignedInRequest) -> HttpResponse:
    """Every action the person owns across reviews: overdue first, then open by target date, complete last."""
    today = timezone.localdate()
    order = Case(
        When(completed_on__isnull=False, then=Value(2)),
        When(target_on__lt=today, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    listed = (
        Action.objects.filter(owner=request.user)
        .select_related("recommendation__review__partnership")
        .annotate(order=order)
        .order_by("order", "target_on", "recommendation__review__reference", "recommendation__number", "number")
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"action": action, "rag": action.rag(today)} for action in page]
    return render(request, "reports/actions_mine.html", {"page": page, "rows": rows})


def _recommendation_fields(data: dict[str, Any]) -> services.RecommendationFields:
    return services.RecommendationFields(
        text=data["text"],
        scope=data["scope"],
        multi_agency=data["multi_agency"],
        lead_agency_id=data["lead_agency"],
        owner_id=data["owner"],
        department=data["department"],
        target_on=data["target_on"],
    )


def _action_fields(data: dict[str, Any]) -> services.ActionFields:
    return services.ActionFields(
        text=data["text"], lead_agency_id=data["lead_agency"], owner_id=data["owner"], target_on=data["target_on"]
    )


@verified()
def recommendation_new(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_plan)
    form = RecommendationForm(
        posted(request),
        owners=services.owner_choices(review),
        agencies=services.agency_choices(review),
        initial={"multi_agency": "no"},
    )
    added = submit(
        form,
        lambda data: services.add_recommendation(
            review, actor=request.user, fields=_recommendation_fields(data), request=request
        ),
    )
    if added is not None:
        return redirect("reports:action_plan", review_id=review.pk)
    return report_page(request, "reports/actions_recommendation_new.html", review, SECTION, {"form": form})


def _planned(request: SignedInRequest, recommendation_id: int) -> Recommendation:
    """The recommendation, if the user may change the plan: 404 if they cannot see it, 403 if they may not."""
    recommendation = access.access_recommendation(request.user, recommendation_id)
    if not access.can_plan(request.user, recommendation.review):
        raise PermissionDenied
    return recommendation


@verified()
def recommendation_edit(request: SignedInRequest, recommendation_id: int) -> HttpResponse:
    recommendation = _planned(request, recommendation_id)
    review = recommendation.review
    initial = {
        "text": recommendation.text,
        "scope": recommendation.scope,
        "department": recommendation.department,
        "multi_agency": "yes" if recommendation.multi_agency else "no",
        "lead_agency": recommendation.lead_agency_id,
        "owner": recommendation.owner_id,
        "target_on": recommendation.target_on,
        "version": recommendation.version,
    }
    form = EditRecommendationForm(
        posted(request),
        owners=services.owner_choices(review, recommendation.owner),
        agencies=services.agency_choices(review, recommendation.lead_agency),
        initial=initial,
    )
    changed = submit(
        form,
        lambda data: services.change_recommendation(
            recommendation,
            actor=request.user,
            fields=_recommendation_fields(data),
            version=data["version"],
            request=request,
        ),
    )
    if changed is not None:
        return redirect("reports:action_plan", review_id=review.pk)
    context = {"form": form, "recommendation": recommendation}
    return report_page(request, "reports/actions_recommendation_edit.html", review, SECTION, context)


@verified()
def recommendation_delete(request: SignedInRequest, recommendation_id: int) -> HttpResponse:
    """Ask to confirm, then remove a recommendation that has no actions."""
    recommendation = _planned(request, recommendation_id)
    review = recommendation.review
    form = DeleteForm(posted(request), initial={"version": recommendation.version})
    deleted = submit(
        form,
        lambda data: services.delete_recommendation(
            recommendation, actor=request.user, version=data["version"], request=request
        ),
    )
    if deleted is not None:
        return redirect("reports:action_plan", review_id=review.pk)
    context = {"form": form, "recommendation": recommendation, "has_actions": recommendation.actions.exists()}
    return report_page(request, "reports/actions_recommendation_delete.html", review, SECTION, context)


@verified()
def action_new(request: SignedInRequest, recommendation_id: int) -> HttpResponse:
    recommendation = _planned(request, recommendation_id)
    review = recommendation.review
    initial = {"owner": recommendation.owner_id, "lead_agency": recommendation.lead_agency_id}
    form = ActionForm(
        posted(request),
        owners=services.owner_choices(review, recommendation.owner),
        agencies=services.agency_choices(review, recommendation.lead_agency),
        initial=initial,
    )
    added = submit(
        form,
        lambda data: services.add_action(
            recommendation, actor=request.user, fields=_action_fields(data), request=request
        ),
    )
    if added is not None:
        return redirect("reports:action", action_id=added.pk)
    context = {"form": form, "recommendation": recommendation}
    return report_page(request, "reports/actions_action_new.html", review, SECTION, context)


@verified()
def action_edit(request: SignedInRequest, action_id: int) -> HttpResponse:
    action = access.access_action(request.user, action_id)
    if not access.can_edit_action(request.user, action):
        raise PermissionDenied
    review = action.recommendation.review
    initial = {
        "text": action.text,
        "lead_agency": action.lead_agency_id,
        "owner": action.owner_id,
        "target_on": action.target_on,
        "version": action.version,
    }
    form = EditActionForm(
        posted(request),
        owners=services.owner_choices(review, action.owner),
        agencies=services.agency_choices(review, action.lead_agency),
        initial=initial,
    )
    changed = submit(
        form,
        lambda data: services.change_action(
            action, actor=request.user, fields=_action_fields(data), version=data["version"], request=request
        ),
    )
    if changed is not None:
        return redirect("reports:action", action_id=action.pk)
    context = {"form": form, "action": action, "recommendation": action.recommendation}
    return report_page(request, "reports/actions_action_edit.html", review, SECTION, context)


def _progress_form(request: SignedInRequest, action: Action) -> ProgressForm:
    documents = services.evidence_choices(request.user, action.recommendation.review)
    offered = {pk for pk, _ in documents}
    initial = {
        "milestones": action.milestones,
        "at_risk": "yes" if action.at_risk else "no",
        "evidence": [pk for pk in action.evidence.values_list("pk", flat=True) if pk in offered],
        "completed_on": action.completed_on,
        "outcome": action.outcome,
        "version": action.version,
    }
    return ProgressForm(posted(request), documents=documents, initial=initial)


def _action_page(request: SignedInRequest, action: Action, form: ProgressForm | None) -> HttpResponse:
    user = request.user
    review = action.recommendation.review
    context = {
        "action": action,
        "recommendation": action.recommendation,
        "rag": action.rag(timezone.localdate()),
        "evidence": list(action.evidence.order_by("title", "pk")),
        "openable": _openable(user, review),
        "updates": list(action.updates.select_related("author")),
        "form": form,
        "can_edit": access.can_edit_action(user, action),
        "reads_review": access.reads_review(user, review),
    }
    return report_page(request, "reports/actions_action.html", review, SECTION, context)


@verified()
def action_detail(request: SignedInRequest, action_id: int) -> HttpResponse:
    """One action: what it is, its status, evidence and history, and the owner's update form."""
    action = access.access_action(request.user, action_id)
    form = _progress_form(request, action) if access.can_update_action(request.user, action) else None
    return _action_page(request, action, form)


@verified()
def action_update(request: SignedInRequest, action_id: int) -> HttpResponse:
    """The owner's (or the review's runners') progress update; errors show on the action's page."""
    action = access.access_action(request.user, action_id)
    if not access.can_update_action(request.user, action):
        raise PermissionDenied
    refused = post_only(request)
    if refused is not None:
        return refused
    form = _progress_form(request, action)
    updated = submit(
        form,
        lambda data: services.update_action(
            action,
            actor=request.user,
            progress=services.Progress(
                note=data["note"],
                milestones=data["milestones"],
                at_risk=data["at_risk"],
                evidence_ids=tuple(data["evidence"]),
                completed_on=data["completed_on"],
                outcome=data["outcome"],
            ),
            version=data["version"],
            request=request,
        ),
    )
    if updated is not None:
        return redirect("reports:action", action_id=action.pk)
    return _action_page(request, action, form)


@verified()
def action_plan_export(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Download the plan as XLSX or DOCX (``?format=``); every download is audited."""
    review = access.access_review(request.user, review_id)
    if not access.can_export_plan(request.user, review):
        raise PermissionDenied
    fmt = request.GET.get("format", "")
    kind = planexports.FORMATS.get(fmt)
    if kind is None:
        raise Http404
    made = services.export_plan(review, actor=request.user, fmt=fmt, request=request)
    return attachment(
        made.content, content_type=kind.content_type, file_name=f"{review.reference} action plan.{kind.extension}"
    )


urlpatterns = [
    path("actions/", my_actions, name="my_actions"),
    path("reviews/<int:review_id>/action-plan/", action_plan, name="action_plan"),
    path("reviews/<int:review_id>/action-plan/export/", action_plan_export, name="action_plan_export"),
    path("reviews/<int:review_id>/action-plan/recommendations/new/", recommendation_new, name="recommendation_new"),
    path("recommendations/<int:recommendation_id>/edit/", recommendation_edit, name="recommendation_edit"),
    path("recommendations/<int:recommendation_id>/delete/", recommendation_delete, name="recommendation_delete"),
    path("recommendations/<int:recommendation_id>/actions/new/", action_new, name="action_new"),
    path("actions/<int:action_id>/", action_detail, name="action"),
    path("actions/<int:action_id>/edit/", action_edit, name="action_edit"),
    path("actions/<int:action_id>/update/", action_update, name="action_update"),
]
