"""Recording a notification, the review's overview page, and the people involved."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.models import Partnership
from dhr_tracker.accounts.rules import SignedInRequest, sudo_required, verified
from dhr_tracker.forms import posted, submit
from dhr_tracker.reviews import access, lifecycle, schedule, timeline
from dhr_tracker.reviews.forms.notifications import (
    AddPersonForm,
    NotificationEditForm,
    NotificationForm,
    people_formset,
    to_line,
)
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Person, PersonRole, Review
from dhr_tracker.reviews.services import notifications as services
from dhr_tracker.reviews.services import steps as step_services
from dhr_tracker.reviews.views import review_for_change, review_page
from dhr_tracker.reviews.views.steps import step_links


def in_role_order(review: Review) -> list[Person]:
    """The review's people as the form lists roles: the victim first, then the alleged perpetrator, children, others."""
    order = list(PersonRole.values)
    return sorted(review.people.all(), key=lambda person: (order.index(person.role), person.pseudonym))


@verified()
def notify(request: SignedInRequest) -> HttpResponse:
    managed = sorted(access.managed_partnerships(request.user))
    if not managed:
        raise PermissionDenied
    partnerships = list(Partnership.objects.filter(pk__in=managed).order_by("name").values_list("pk", "name"))
    first = Partnership.objects.get(pk=partnerships[0][0])
    today = timezone.localdate()
    form = NotificationForm(
        posted(request), partnerships=partnerships, initial={"reference": services.suggest_reference(first, today)}
    )
    people = people_formset(posted(request))
    if request.method == "POST" and people.is_valid():
        lines = [line for row in people.forms if (line := row.line()) is not None]
        review = submit(
            form,
            lambda data: services.record_notification(
                actor=request.user,
                partnership_id=data.get("partnership", partnerships[0][0]),
                fields=data,
                place_of_death=data["place_of_death"],
                people=lines,
                not_a_duplicate=data["not_a_duplicate"],
                request=request,
            ),
        )
        if review is not None:
            return redirect("reviews:review", review_id=review.pk)
    elif request.method == "POST":
        form.is_valid()
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/notify.html", {"form": form, "people": people}, status=status)


@verified()
def review_detail(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    schedule.load_schedule(review)
    today = timezone.localdate()
    status = schedule.status_of(review, today)
    pauses = list(review.pauses.all())
    records = list(review.steps.all())
    people = in_role_order(review)
    return review_page(
        request,
        "reviews/review.html",
        review,
        "reviews:review",
        {
            "status": status,
            "people": people,
            "victim": next((person for person in people if person.role == PersonRole.VICTIM), None),
            "steps": step_links(request.user, review),
            "facts_missing": _facts_missing(request.user, review),
            "timeline": timeline.build(review, status, records, pauses, today),
            "open_pause": next((pause for pause in pauses if pause.ended_on is None), None),
            "can_edit": access.can_edit_notification(request.user, review),
            "can_record_home_office": access.can_record_home_office(request.user, review),
            "can_extend": access.can_extend(request.user, review),
        },
    )


def _facts_missing(user: Any, review: Review) -> list[str]:
    """What the user must do before their next steps are possible, in the order the steps need it."""
    roles = access.lifecycle_roles(user, review)
    facts = step_services.facts_of(review)
    missing: list[str] = []
    for transition in lifecycle.available(State(review.state), roles):
        for fact in transition.requires:
            message = lifecycle.FACT_MESSAGES[fact]
            if fact not in facts and message not in missing:
                missing.append(message)
    return missing


@verified()
def review_edit(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_edit_notification)
    initial = {name: getattr(review, name) for name in services.NOTIFICATION_FIELDS}
    initial.update(place_of_death=review.place_of_death, version=review.version)
    form = NotificationEditForm(posted(request), initial=initial)
    saved = submit(
        form,
        lambda data: services.update_notification(
            review,
            actor=request.user,
            fields=data,
            place_of_death=data["place_of_death"],
            version=data["version"],
            request=request,
        ),
    )
    if saved is not None:
        return redirect("reviews:review", review_id=review.pk)
    return review_page(request, "reviews/review_edit.html", review, "reviews:review", {"form": form})


@verified()
def people(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    return review_page(
        request,
        "reviews/people.html",
        review,
        "reviews:people",
        {
            "people": in_role_order(review),
            "can_add": access.can_edit_notification(request.user, review),
            "can_reveal": access.can_reveal_identities(request.user, review),
        },
    )


@verified()
def person_add(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_edit_notification)
    form = AddPersonForm(posted(request), initial={"role": PersonRole.CHILD})

    added = submit(
        form, lambda data: services.add_person(review, actor=request.user, line=to_line(data), request=request)
    )
    if added is not None:
        return redirect("reviews:people", review_id=review.pk)
    return review_page(request, "reviews/person_add.html", review, "reviews:people", {"form": form})


@verified()
def people_reveal(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Refuse who may not reveal before asking anyone for a fresh second factor."""
    review = access.access_review(request.user, review_id, for_write=False)
    if not access.can_reveal_identities(request.user, review):
        raise PermissionDenied
    return _reveal_people(request, review)


@sudo_required
def _reveal_people(request: SignedInRequest, review: Review) -> HttpResponse:
    revealed = services.reveal_people(review, actor=request.user, request=request)
    return review_page(
        request,
        "reviews/people_reveal.html",
        review,
        "reviews:people",
        {"revealed": revealed, "place_of_death": review.place_of_death},
    )


urlpatterns = [
    path("new/", notify, name="notify"),
    path("<int:review_id>/", review_detail, name="review"),
    path("<int:review_id>/edit/", review_edit, name="edit"),
    path("<int:review_id>/people/", people, name="people"),
    path("<int:review_id>/people/add/", person_add, name="person_add"),
    path("<int:review_id>/people/real-details/", people_reveal, name="people_reveal"),
]
