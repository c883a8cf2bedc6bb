"""Panel meetings: the list with the open actions and their RAG, each meeting's record, and
recording meetings and actions."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.forms import posted, submit
from dhr_tracker.reviews import access, deadlines, schedule
from dhr_tracker.reviews.forms.meetings import ActionDoneForm, ActionForm, MeetingEditForm, MeetingForm
from dhr_tracker.reviews.models import Meeting, MeetingAction, Participant, Review
from dhr_tracker.reviews.services import meetings as services
from dhr_tracker.reviews.views import PAGE_SIZE, review_for_change, review_page

SECTION = "reviews:meetings"


def _meeting(review: Review, meeting_id: int) -> Meeting:
    return get_object_or_404(Meeting, pk=meeting_id, review=review)


def _with_rag(actions: Any) -> list[dict[str, Any]]:
    today, rules = timezone.localdate(), schedule.policy()
    return [
        {
            "action": action,
            "rag": deadlines.action_target(action.due_on, today, rules, done_on=action.done_on),
        }
        for action in actions
    ]


@verified()
def meetings(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    listed = (
        Meeting.objects.filter(review=review)
        .annotate(
            attended=Count("attendees", distinct=True),
            open_actions=Count("actions", filter=Q(actions__done_on__isnull=True), distinct=True),
        )
        .order_by("-held_on", "-pk")
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    open_actions = (
        MeetingAction.objects.filter(meeting__review=review, done_on__isnull=True)
        .select_related("owner", "meeting")
        .order_by("due_on", "pk")
    )
    actions = Paginator(open_actions, PAGE_SIZE).get_page(request.GET.get("actions_page"))
    return review_page(
        request,
        "reviews/meetings.html",
        review,
        SECTION,
        {
            "page": page,
            "actions": actions,
            "action_rows": _with_rag(actions),
            "can_record": access.can_record_meetings(request.user, review),
        },
    )


def _participant_label(participant: Participant) -> str:
    agency = f" ({participant.agency})" if participant.agency else ""
    return f"{participant.user.full_name}, {participant.get_kind_display()}{agency}"


def _attendee_choices(review: Review, meeting: Meeting | None = None) -> list[tuple[int, str]]:
    """The review's current participants, and anyone who attended this meeting and has left since."""
    who = Q(removed_at__isnull=True)
    if meeting is not None:
        who |= Q(meetings_attended=meeting)
    participants = Participant.objects.filter(who, review=review).select_related("user", "agency").distinct()
    return [(participant.pk, _participant_label(participant)) for participant in participants]


@verified()
def meeting_new(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_record_meetings)
    form = MeetingForm(
        posted(request),
        attendees=_attendee_choices(review),
        minutes=services.minutes_choices(review, request.user),
        initial={"held_on": timezone.localdate()},
    )
    meeting = submit(
        form,
        lambda data: services.record_meeting(
            review,
            actor=request.user,
            held_on=data["held_on"],
            title=data["title"],
            attendee_ids=data["attendees"],
            decisions=data["decisions"],
            minutes_document_id=data["minutes"],
            request=request,
        ),
    )
    if meeting is not None:
        return redirect("reviews:meeting", review_id=review.pk, meeting_id=meeting.pk)
    return review_page(request, "reviews/meeting_new.html", review, SECTION, {"form": form})


@verified()
def meeting(request: SignedInRequest, review_id: int, meeting_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    record = _meeting(review, meeting_id)
    rows = _with_rag(record.actions.select_related("owner", "done_by"))
    for row in rows:
        row["can_complete"] = row["action"].done_on is None and access.can_complete_action(
            request.user, review, row["action"].owner_id
        )
    return review_page(
        request,
        "reviews/meeting.html",
        review,
        SECTION,
        {
            "meeting": record,
            "attendees": [_participant_label(p) for p in record.attendees.select_related("user", "agency")],
            "action_rows": rows,
            "can_record": access.can_record_meetings(request.user, review),
        },
    )


@verified()
def meeting_edit(request: SignedInRequest, review_id: int, meeting_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_record_meetings)
    record = _meeting(review, meeting_id)
    minutes = services.minutes_choices(review, request.user)
    if record.minutes_id is not None and record.minutes_id not in {pk for pk, _ in minutes}:
        # Minutes another agency attached stay attached even if this person cannot open them.
        minutes.append((record.minutes_id, "The minutes already attached"))
    initial = {
        "held_on": record.held_on,
        "title": record.title,
        "attendees": list(record.attendees.values_list("pk", flat=True)),
        "decisions": record.decisions,
        "minutes": record.minutes_id,
        "version": review.version,
    }
    form = MeetingEditForm(
        posted(request), attendees=_attendee_choices(review, record), minutes=minutes, initial=initial
    )
    saved = submit(
        form,
        lambda data: services.update_meeting(
            record,
            actor=request.user,
            held_on=data["held_on"],
            title=data["title"],
            attendee_ids=data["attendees"],
            decisions=data["decisions"],
            minutes_document_id=data["minutes"],
            version=data["version"],
            request=request,
        ),
    )
    if saved is not None:
        return redirect("reviews:meeting", review_id=review.pk, meeting_id=record.pk)
    return review_page(request, "reviews/meeting_edit.html", review, SECTION, {"form": form, "meeting": record})


def _owner_choices(review: Review) -> list[tuple[int, str]]:
    owners = User.objects.filter(pk__in=services.action_owners(review)).order_by("full_name")
    return list(owners.values_list("pk", "full_name"))


@verified()
def meeting_action_add(request: SignedInRequest, review_id: int, meeting_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_record_meetings)
    record = _meeting(review, meeting_id)
    form = ActionForm(posted(request), owners=_owner_choices(review))
    action = submit(
        form,
        lambda data: services.add_action(
            record,
            actor=request.user,
            text=data["text"],
            owner_id=data["owner"],
            due_on=data["due_on"],
            request=request,
        ),
    )
    if action is not None:
        return redirect("reviews:meeting", review_id=review.pk, meeting_id=record.pk)
    return review_page(request, "reviews/meeting_action_add.html", review, SECTION, {"form": form, "meeting": record})


@verified()
def meeting_action_done(request: SignedInRequest, review_id: int, meeting_id: int, action_id: int) -> HttpResponse:
    """The owner may mark their own action done, even as a panel member who changes nothing else."""
    review = access.access_review(request.user, review_id, for_write=False)
    record = _meeting(review, meeting_id)
    action = get_object_or_404(MeetingAction.objects.select_related("meeting"), pk=action_id, meeting=record)
    if not access.can_complete_action(request.user, review, action.owner_id):
        raise PermissionDenied
    if action.done_on is not None:
        return redirect("reviews:meeting", review_id=review.pk, meeting_id=record.pk)
    form = ActionDoneForm(posted(request), initial={"done_on": timezone.localdate()})
    done = submit(
        form,
        lambda data: services.complete_action(action, actor=request.user, done_on=data["done_on"], request=request),
    )
    if done is not None:
        return redirect("reviews:meeting", review_id=review.pk, meeting_id=record.pk)
    return review_page(
        request,
        "reviews/meeting_action_done.html",
        review,
        SECTION,
        {"form": form, "meeting": record, "action": action},
    )


urlpatterns = [
    path("<int:review_id>/meetings/", meetings, name="meetings"),
    path("<int:review_id>/meetings/new/", meeting_new, name="meeting_new"),
    path("<int:review_id>/meetings/<int:meeting_id>/", meeting, name="meeting"),
    path("<int:review_id>/meetings/<int:meeting_id>/edit/", meeting_edit, name="meeting_edit"),
    path("<int:review_id>/meetings/<int:meeting_id>/actions/add/", meeting_action_add, name="meeting_action_add"),
    path(
        "<int:review_id>/meetings/<int:meeting_id>/actions/<int:action_id>/done/",
        meeting_action_done,
        name="meeting_action_done",
    ),
]
