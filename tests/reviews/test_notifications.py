"""Recording a notification: the form, sealed personal data, duplicates, and who sees what."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.reviews.models import Participant, Person, Review
from dhr_tracker.reviews.services import meetings as meeting_services
from tests.conftest import EventLog
from tests.reviews.conftest import ReviewWorld, notification_fields
from tests.reviews.panel_helpers import form_panel

pytestmark = pytest.mark.django_db

Clients = Callable[..., Client]


def form_data(**overrides: Any) -> dict[str, Any]:
    """What the notification page posts: the notification, then the people formset."""
    fields = notification_fields(**{"reference": "DHR-2026-02", **overrides.pop("fields", {})})
    data: dict[str, Any] = {
        name: ("on" if value is True else "" if value is False else value) for name, value in fields.items()
    }
    data["place_of_death"] = "2 Other Road, Exampletown"
    people = overrides.pop(
        "people",
        [
            {
                "role": "victim",
                "pseudonym": "Adult C",
                "name": "Mary Otherperson",
                "birth_date": "1990-03-04",
                "address": "2 Other Road",
            },
            {
                "role": "perpetrator",
                "pseudonym": "Adult D",
                "name": "Mark Otherperson",
                "birth_date": "",
                "address": "",
            },
        ],
    )
    data.update(
        {
            "people-TOTAL_FORMS": "5",
            "people-INITIAL_FORMS": "0",
            "people-MIN_NUM_FORMS": "0",
            "people-MAX_NUM_FORMS": "20",
        }
    )
    for index in range(5):
        row = people[index] if index < len(people) else {}
        for name in ("role", "pseudonym", "name", "birth_date", "address"):
            data[f"people-{index}-{name}"] = row.get(name, "")
    data.update(overrides)
    return data


def test_coordinator_records_a_notification_with_sealed_people(
    review_world: ReviewWorld, verified_client: Clients, security_events: EventLog
) -> None:
    client = verified_client(review_world.personas.coordinator)

    response = client.post(reverse("reviews:notify"), form_data())

    review = Review.objects.get(reference="DHR-2026-02")
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:review", args=[review.pk])
    assert review.state == "notified"
    victim = review.people.get(role="victim")
    assert victim.pseudonym == "Adult C"
    assert "Mary" not in victim.name_enc
    assert victim.unseal("name") == "Mary Otherperson"
    assert victim.birth_date == date(1990, 3, 4)
    assert "Other Road" not in review.place_of_death_enc
    assert review.place_of_death == "2 Other Road, Exampletown"
    event = security_events.find("reviews.notified")
    assert event.target_label == "DHR-2026-02"
    assert "Mary" not in str(event.details)


def test_review_pages_show_pseudonyms_never_real_names(review_world: ReviewWorld, verified_client: Clients) -> None:
    client = verified_client(review_world.personas.coordinator)
    for name in ("reviews:review", "reviews:people"):
        page = client.get(reverse(name, args=[review_world.review.pk])).text
        assert "Adult A" in page
        assert "Jane Realname" not in page
        assert "Real Street" not in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"died_on": "2099-01-01"}, "died_on", "The date of death must be today or in the past"),
        ({"notified_on": "2099-01-01"}, "notified_on", "The date notified must be today or in the past"),
        (
            {"died_on": "2026-01-10", "notified_on": "2026-01-09"},
            "notified_on",
            "The date notified must be on or after the date of death",
        ),
    ],
)
def test_dates_out_of_order_are_refused_naming_the_field(
    review_world: ReviewWorld, verified_client: Clients, fields: dict[str, str], field: str, message: str
) -> None:
    client = verified_client(review_world.personas.coordinator)

    response = client.post(reverse("reviews:notify"), form_data(fields=fields))

    assert response.status_code == 400
    assert message in response.text
    assert f'href="#id_{field}"' in response.text
    assert not Review.objects.filter(reference="DHR-2026-02").exists()


def test_a_notification_needs_the_person_who_died(review_world: ReviewWorld, verified_client: Clients) -> None:
    client = verified_client(review_world.personas.coordinator)

    response = client.post(reverse("reviews:notify"), form_data(people=[{}]))

    assert response.status_code == 400
    assert "Enter a pseudonym" in response.text
    assert not Review.objects.filter(reference="DHR-2026-02").exists()


def test_the_same_death_notified_twice_is_caught_until_confirmed(
    review_world: ReviewWorld, verified_client: Clients
) -> None:
    """Name matched however it is written (case, accents, order), with the same date of birth."""
    client = verified_client(review_world.personas.coordinator)
    same_victim = [{"role": "victim", "pseudonym": "Adult Z", "name": "REALNAME, Jané", "birth_date": "1980-05-17"}]

    refused = client.post(reverse("reviews:notify"), form_data(people=same_victim))

    assert refused.status_code == 400
    assert "This death may already be notified: DHR-2026-01" in refused.text
    assert "the same name and date of birth" in refused.text
    assert not Review.objects.filter(reference="DHR-2026-02").exists()

    confirmed = client.post(reverse("reviews:notify"), form_data(people=same_victim, not_a_duplicate="on"))

    assert confirmed.status_code == 302
    assert Review.objects.filter(reference="DHR-2026-02").exists()


def test_a_duplicate_in_another_partnership_names_the_partnership_but_not_its_reference(
    review_world: ReviewWorld, verified_client: Clients
) -> None:
    outsider = review_world.personas.outsider
    same_death = [{"role": "victim", "pseudonym": "Adult Q", "name": "Jane Realname", "birth_date": ""}]
    died_on = review_world.review.died_on.isoformat()

    response = verified_client(outsider).post(
        reverse("reviews:notify"), form_data(people=same_death, fields={"died_on": died_on, "reference": "OB-1"})
    )

    assert response.status_code == 400
    assert "Exampleshire Community Safety Partnership" in response.text
    assert "the same name and date of death" in response.text
    assert "DHR-2026-01" not in response.text


def test_a_different_person_is_not_a_duplicate(review_world: ReviewWorld, verified_client: Clients) -> None:
    response = verified_client(review_world.personas.coordinator).post(reverse("reviews:notify"), form_data())
    assert response.status_code == 302


def test_only_the_partnership_records_notifications(review_world: ReviewWorld, verified_client: Clients) -> None:
    p = review_world.personas
    for user in (p.contributor_a, p.auditor, p.site_admin):
        assert verified_client(user).get(reverse("reviews:notify")).status_code == 403
        assert verified_client(user).post(reverse("reviews:notify"), form_data()).status_code == 403
    assert not Review.objects.filter(reference="DHR-2026-02").exists()


def test_review_is_invisible_outside_the_partnership_and_its_panel(
    review_world: ReviewWorld, verified_client: Clients
) -> None:
    p = review_world.personas
    url = reverse("reviews:review", args=[review_world.review.pk])
    for user in (p.outsider, p.auditor, p.contributor_a, p.site_admin, review_world.panel_member):
        assert verified_client(user).get(url).status_code == 404, user.email
    Participant.objects.create(
        review=review_world.review,
        user=review_world.panel_member,
        kind="panel_member",
        agency=review_world.agency_a,
        added_by=p.coordinator,
    )
    assert verified_client(review_world.panel_member).get(url).status_code == 200
    assert verified_client(p.csp_chair).get(url).status_code == 200


def test_panel_member_cannot_edit_the_notification(review_world: ReviewWorld, verified_client: Clients) -> None:
    p = review_world.personas
    Participant.objects.create(
        review=review_world.review,
        user=review_world.panel_member,
        kind="panel_member",
        agency=review_world.agency_a,
        added_by=p.coordinator,
    )
    client = verified_client(review_world.panel_member)
    assert client.get(reverse("reviews:edit", args=[review_world.review.pk])).status_code == 403
    assert client.get(reverse("reviews:people_reveal", args=[review_world.review.pk])).status_code == 403


def _edit_data(review: Review, **changes: Any) -> dict[str, Any]:
    data = {
        name: ("on" if value is True else "" if value is False else value)
        for name, value in notification_fields().items()
    }
    data.update({"place_of_death": review.place_of_death, "version": review.version, **changes})
    return data


def test_second_of_two_simultaneous_edits_is_refused_not_overwritten(
    review_world: ReviewWorld, verified_client: Clients
) -> None:
    review = review_world.review
    url = reverse("reviews:edit", args=[review.pk])
    first, second = verified_client(review_world.personas.coordinator), verified_client(review_world.personas.csp_chair)
    opened_by_both = _edit_data(review)

    assert first.post(url, {**opened_by_both, "police_force": "First force"}).status_code == 302
    response = second.post(url, {**opened_by_both, "police_force": "Second force"})

    assert response.status_code == 400
    assert "Someone else changed this review after you opened this page" in response.text
    assert Review.objects.get(pk=review.pk).police_force == "First force"


def test_editing_records_which_fields_changed_without_their_values(
    review_world: ReviewWorld, verified_client: Clients, security_events: EventLog
) -> None:
    review = review_world.review
    client = verified_client(review_world.personas.coordinator)

    response = client.post(reverse("reviews:edit", args=[review.pk]), _edit_data(review, place_of_death="3 New Lane"))

    assert response.status_code == 302
    assert Review.objects.get(pk=review.pk).place_of_death == "3 New Lane"
    event = security_events.find("reviews.notification_changed")
    assert event.details["fields"] == ["place_of_death"]
    assert "New Lane" not in str(event.details)


def test_real_details_need_a_fresh_second_factor_and_are_audited(
    review_world: ReviewWorld, verified_client: Clients, security_events: EventLog
) -> None:
    url = reverse("reviews:people_reveal", args=[review_world.review.pk])
    coordinator = review_world.personas.coordinator

    without = verified_client(coordinator).get(url)
    assert without.status_code == 302
    assert without["Location"].startswith(reverse("accounts:sudo"))

    page = verified_client(coordinator, sudo=True).get(url)

    assert page.status_code == 200
    assert "Jane Realname" in page.text
    assert "17 May 1980" in page.text
    assert security_events.find("reviews.identities_revealed").details == {"people": 2}


def test_adding_a_child_later(review_world: ReviewWorld, verified_client: Clients, security_events: EventLog) -> None:
    client = verified_client(review_world.personas.coordinator)
    url = reverse("reviews:person_add", args=[review_world.review.pk])

    response = client.post(
        url, {"role": "child", "pseudonym": "Child 1", "name": "Kid Realname", "birth_date": "2015-01-01"}
    )

    assert response.status_code == 302
    assert Person.objects.get(pseudonym="Child 1").unseal("name") == "Kid Realname"
    assert security_events.find("reviews.person_added").details == {"role": "child", "pseudonym": "Child 1"}

    again = client.post(url, {"role": "other", "pseudonym": "child 1", "name": "Someone"})
    assert again.status_code == 400
    assert "Another person in this review has this pseudonym" in again.text

    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    unborn = client.post(url, {"role": "child", "pseudonym": "Child 2", "name": "X", "birth_date": future})
    assert unborn.status_code == 400
    assert "Child 2: the date of birth must be today or in the past" in unborn.text


def test_review_page_queries_do_not_grow_with_its_records(
    review_world: ReviewWorld, verified_client: Clients, django_assert_max_num_queries: Any
) -> None:
    """Steps, pauses, meetings and panel members each add rows, never queries."""
    review = form_panel(review_world)
    coordinator = review_world.personas.coordinator
    today = timezone.localdate()
    for number in range(8):
        meeting = meeting_services.record_meeting(
            review,
            actor=coordinator,
            held_on=today,
            title=f"Panel {number}",
            attendee_ids=[],
            decisions="",
            minutes_document_id=None,
            request=None,
        )
        meeting_services.add_action(
            meeting, actor=coordinator, text=f"Action {number}", owner_id=coordinator.pk, due_on=today, request=None
        )
    client = verified_client(coordinator)
    url = reverse("reviews:review", args=[review.pk])
    client.get(url)

    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200


def test_people_are_listed_victim_first(review_world: ReviewWorld, verified_client: Clients) -> None:
    client = verified_client(review_world.personas.coordinator)
    for name in ("reviews:review", "reviews:people"):
        page = client.get(reverse(name, args=[review_world.review.pk])).text
        assert page.index("Adult A") < page.index("Adult B"), name


def test_title_adds_the_partnerships_name_for_a_review_only_when_the_reference_lacks_it(
    review_world: ReviewWorld,
) -> None:
    review = review_world.review
    assert review.title == "DHR-2026-01"
    review.reference = "2026/07"
    assert review.title == "DHR 2026/07"
