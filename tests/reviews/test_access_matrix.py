"""The access matrix: every role against every review URL, on a review of their own partnership
and on one of another partnership.

- Outsiders, auditors, site administrators, agency contributors (of the review or not) and anyone
  of another partnership get a 404 for every page and action of a review: existence never leaks.
- The CSP chair and coordinator, the independent chair and a panel member see the review's pages.
- A panel member changes nothing: every POST is refused or answered as a read, and no change is recorded.

New URLs join the matrix by themselves; a URL with a parameter the fixture cannot fill fails here.
"""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.reviews.models import ChairAppointment, Participant
from dhr_tracker.reviews.services import family as family_services
from dhr_tracker.reviews.services import meetings as meeting_services
from dhr_tracker.reviews.services import notifications
from dhr_tracker.reviews.services import terms as terms_services
from tests.conftest import allowed_since, newest_event
from tests.reviews.conftest import VICTIM, ReviewWorld, notification_fields, terms_fields
from tests.reviews.panel_helpers import form_panel

pytestmark = pytest.mark.django_db

# Pages of the reviews app that are not about one review; they are tested in their own modules.
NOT_REVIEW_SCOPED = {"reviews:dashboard", "reviews:statistics", "reviews:notify"}


def review_patterns() -> Iterator[tuple[str, str]]:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "reviews":
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern)
                yield f"reviews:{pattern.name}", f"/{entry.pattern}{pattern.pattern}"


PATTERNS = sorted(set(review_patterns()))
SCOPED = [(name, route) for name, route in PATTERNS if name not in NOT_REVIEW_SCOPED]


def fill(route: str, values: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        assert name in values, f"the access matrix has no value for <{name}> in {route}"
        return str(values[name])

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


@pytest.fixture
def matrix(review_world: ReviewWorld) -> dict[str, Any]:
    """A review with every kind of record, its people, and a review of another partnership."""
    world = review_world
    review = form_panel(world)
    p = world.personas
    contributor = Participant.objects.create(
        review=review, user=p.contributor_b, kind="agency_contributor", agency=world.agency_b, added_by=p.coordinator
    )
    today = timezone.localdate()
    terms = terms_services.draft_terms(
        review, actor=p.coordinator, fields=terms_fields(world), agency_ids=[], subjects=["Adult A"], request=None
    )
    member = family_services.add_family_member(
        review,
        actor=p.coordinator,
        pseudonym="Sister",
        name="Jane Family",
        relationship="Sister",
        contact_details="",
        advocate="AAFDA",
        consent="not_asked",
        consent_on=None,
        preferred_contact="",
        request=None,
    )
    meeting = meeting_services.record_meeting(
        review,
        actor=p.coordinator,
        held_on=today,
        title="First panel",
        attendee_ids=[],
        decisions="",
        minutes_document_id=None,
        request=None,
    )
    action = meeting_services.add_action(
        meeting, actor=p.coordinator, text="Send the requests", owner_id=p.coordinator.pk, due_on=today, request=None
    )
    values = {
        "review_id": review.pk,
        "name": "start_gathering",
        "fmt": "pdf",
        "terms_id": terms.pk,
        "member_id": member.pk,
        "meeting_id": meeting.pk,
        "action_id": action.pk,
        "appointment_id": ChairAppointment.objects.get(review=review).pk,
        "participant_id": contributor.pk,
    }
    other = notifications.record_notification(
        actor=p.outsider,
        partnership_id=p.other_partnership.pk,
        fields=notification_fields(reference="OB-2026-01"),
        place_of_death="",
        people=[VICTIM],
        not_a_duplicate=True,
        request=None,
    )
    return {"world": world, "values": values, "contributor": contributor, "other": other}


def _persona(matrix: dict[str, Any], role: str) -> User:
    world: ReviewWorld = matrix["world"]
    if role == "independent_chair":
        return world.independent_chair
    if role == "panel_member":
        return world.panel_member
    user: User = getattr(world.personas, role)
    return user


SEES_NOTHING = ("outsider", "auditor", "site_admin", "contributor_a", "contributor_b")
SEES_REVIEW = ("csp_chair", "coordinator", "independent_chair", "panel_member")


@pytest.mark.parametrize(("name", "route"), SCOPED)
def test_every_role_against_this_url(
    matrix: dict[str, Any], verified_client: Callable[..., Client], name: str, route: str
) -> None:
    """One URL, every role, on the review of their own partnership and on another's (one world per URL)."""
    url = fill(route, matrix["values"])
    other_url = fill(route, {**matrix["values"], "review_id": matrix["other"].pk})
    for role in SEES_NOTHING:
        client = verified_client(_persona(matrix, role), sudo=True)
        before = newest_event()
        assert client.get(url).status_code == 404, f"{role} GET {name}"
        assert client.post(url, {}).status_code == 404, f"{role} POST {name}"
        assert allowed_since(before, reads=("exported", "revealed")) == [], f"{role} POST {name}"
    for role in SEES_REVIEW:
        client = verified_client(_persona(matrix, role), sudo=True)
        assert client.get(other_url).status_code == 404, f"{role} GET {name} of another partnership"
        assert client.post(other_url, {}).status_code == 404, f"{role} POST {name} of another partnership"
        # They may be refused an action (403) or asked for a code (302), but the review exists for them.
        status = client.get(url).status_code
        assert status in {200, 302, 403, 405}, f"{role} GET {name}: {status}"
    member = verified_client(matrix["world"].panel_member, sudo=True)
    before = newest_event()
    response = member.post(url, {"version": matrix["world"].refresh().version})
    # A read-only page answers a POST as it answers a GET; nothing may change either way.
    assert response.status_code in {200, 403, 405}, f"panel member POST {name}: {response.status_code}"
    assert allowed_since(before, reads=("exported", "revealed")) == [], f"panel member POST {name}"
