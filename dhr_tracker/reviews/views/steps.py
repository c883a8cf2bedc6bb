"""Lifecycle pages: a generic step, the decision, the Home Office, pauses and extensions."""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.forms import posted, submit
from dhr_tracker.reviews import access, lifecycle
from dhr_tracker.reviews.forms.steps import (
    DecisionForm,
    DirectionForm,
    ExtensionForm,
    HomeOfficeForm,
    PauseForm,
    ResumeForm,
    StepForm,
)
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import steps as services
from dhr_tracker.reviews.views import review_for_change, review_page

# Steps with a page of their own, by the URL name of that page.
_OWN_PAGES = {
    "commission": "reviews:decision",
    "decline": "reviews:decision",
    "home_office_direction": "reviews:direction",
    "pause": "reviews:pause",
    "resume": "reviews:resume",
}


def step_links(user: Any, review: Review) -> list[tuple[str, str, bool]]:
    """The steps the user may take now: (label, URL, whether it is a warning such as withdrawal)."""
    links: dict[str, tuple[str, str, bool]] = {}
    for transition in lifecycle.available(State(review.state), access.lifecycle_roles(user, review)):
        page = _OWN_PAGES.get(transition.name) or services.other_pages().get(transition.name)
        if page == "reviews:decision":
            links[page] = ("Record the decision", reverse(page, args=[review.pk]), False)
        elif page is not None:
            links[page] = (transition.label, reverse(page, args=[review.pk]), False)
        else:
            url = reverse("reviews:step", args=[review.pk, transition.name])
            links[transition.name] = (transition.label, url, transition.name == "withdraw")
    return list(links.values())


@verified()
def step(request: SignedInRequest, review_id: int, name: str) -> HttpResponse:
    transition = lifecycle.TRANSITIONS.get(name)
    if transition is None or services.has_own_page(name):
        raise Http404
    review = review_for_change(request, review_id, lambda user, r: access.has_step_role(user, r, name))
    form = StepForm(posted(request), initial={"version": review.version}, needs_rationale=transition.needs_rationale)
    moved = submit(
        form,
        lambda data: services.take_step(
            review, name, actor=request.user, rationale=data["rationale"], version=data["version"], request=request
        ),
    )
    if moved is not None:
        return redirect("reviews:review", review_id=review.pk)
    return review_page(
        request,
        "reviews/step.html",
        review,
        "reviews:review",
        {
            "form": form,
            "transition": transition,
            "target_label": lifecycle.LABELS.get(transition.target) if transition.target else None,
        },
    )


@verified()
def decision(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, lambda user, r: access.has_step_role(user, r, "commission"))
    form = DecisionForm(posted(request), initial={"version": review.version, "decided_on": timezone.localdate()})
    decided = submit(
        form,
        lambda data: services.decide(
            review,
            actor=request.user,
            commission=data["outcome"] == "commission",
            decided_on=data["decided_on"],
            reasons=data["reasons"],
            criteria=data["criteria"],
            partners_consulted=data["partners_consulted"],
            version=data["version"],
            request=request,
        ),
    )
    if decided is not None:
        return redirect("reviews:home_office", review_id=review.pk)
    return review_page(request, "reviews/decision.html", review, "reviews:review", {"form": form})


@verified()
def home_office(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_record_home_office)
    initial = {
        "version": review.version,
        "told_on": review.home_office_told_on or timezone.localdate(),
        "method": review.home_office_method,
        "response": review.home_office_response,
    }
    form = HomeOfficeForm(posted(request), initial=initial)
    told = submit(
        form,
        lambda data: services.record_home_office(
            review,
            actor=request.user,
            told_on=data["told_on"],
            method=data["method"],
            response=data["response"],
            version=data["version"],
            request=request,
        ),
    )
    if told is not None:
        return redirect("reviews:review", review_id=review.pk)
    return review_page(
        request,
        "reviews/home_office.html",
        review,
        "reviews:review",
        {"form": form, "notification_text": services.home_office_text(review)},
    )


@verified()
def direction(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(
        request, review_id, lambda user, r: access.has_step_role(user, r, "home_office_direction")
    )
    form = DirectionForm(posted(request), initial={"version": review.version})
    directed = submit(
        form,
        lambda data: services.record_direction(
            review,
            actor=request.user,
            directed_on=data["directed_on"],
            rationale=data["rationale"],
            version=data["version"],
            request=request,
        ),
    )
    if directed is not None:
        return redirect("reviews:review", review_id=review.pk)
    return review_page(request, "reviews/direction.html", review, "reviews:review", {"form": form})


@verified()
def pause(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, lambda user, r: access.has_step_role(user, r, "pause"))
    requesters = list(
        User.objects.filter(pk__in=access.managers_and_chair(review))
        .order_by("full_name")
        .values_list("pk", "full_name")
    )
    form = PauseForm(
        posted(request), requesters=requesters, initial={"version": review.version, "started_on": timezone.localdate()}
    )

    def do(data: dict[str, Any]) -> Any:
        return services.pause_review(
            review,
            actor=request.user,
            reason=data["reason"],
            body=data["body"],
            reference=data["reference"],
            started_on=data["started_on"],
            expected_end_on=data["expected_end_on"],
            requested_by=User.objects.get(pk=data["requested_by"]),
            rationale=data["rationale"],
            version=data["version"],
            request=request,
        )

    if submit(form, do) is not None:
        return redirect("reviews:review", review_id=review.pk)
    return review_page(request, "reviews/pause.html", review, "reviews:review", {"form": form})


@verified()
def resume(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, lambda user, r: access.has_step_role(user, r, "resume"))
    open_pause = review.pauses.filter(ended_on__isnull=True).first()
    form = ResumeForm(posted(request), initial={"version": review.version, "ended_on": timezone.localdate()})
    resumed = submit(
        form,
        lambda data: services.end_pause(
            review,
            actor=request.user,
            ended_on=data["ended_on"],
            outcome=data["outcome"],
            version=data["version"],
            request=request,
        ),
    )
    if resumed is not None:
        return redirect("reviews:review", review_id=review.pk)
    return review_page(request, "reviews/resume.html", review, "reviews:review", {"form": form, "pause": open_pause})


@verified()
def extension(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_extend)
    form = ExtensionForm(posted(request))
    granted = submit(
        form,
        lambda data: services.extend(
            review, actor=request.user, clock=data["clock"], days=data["days"], reason=data["reason"], request=request
        ),
    )
    if granted is not None:
        return redirect("reviews:review", review_id=review.pk)
    return review_page(request, "reviews/extension.html", review, "reviews:review", {"form": form})


urlpatterns = [
    path("<int:review_id>/step/<str:name>/", step, name="step"),
    path("<int:review_id>/decision/", decision, name="decision"),
    path("<int:review_id>/home-office/", home_office, name="home_office"),
    path("<int:review_id>/direction/", direction, name="direction"),
    path("<int:review_id>/pause/", pause, name="pause"),
    path("<int:review_id>/resume/", resume, name="resume"),
    path("<int:review_id>/extension/", extension, name="extension"),
]
