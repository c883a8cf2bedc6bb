"""The action plan: recommendations and actions written by those who run the review, updated by
the actions' owners, and refused to everyone else. Helpers here are shared by the other tests
of the plan (exports, reminders, closing)."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.reports.models import RAG, Action, ActionUpdate, Recommendation, Scope
from dhr_tracker.reports.services import actions as services
from dhr_tracker.reviews.services import STALE_MESSAGE
from sharing.models import Classification, Document, SpaceMember
from tests.conftest import EventLog
from tests.factories import AgencyFactory
from tests.reports.conftest import ReportWorld

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def add_recommendation(world: ReportWorld, **changes: Any) -> Recommendation:
    """The coordinator adds a recommendation owned by the coordinator, due in 90 days."""
    values: dict[str, Any] = {
        "text": "Agencies should share risk assessments at MARAC",
        "scope": Scope.LOCAL,
        "multi_agency": True,
        "lead_agency_id": world.chronologies.agency_a.pk,
        "owner_id": world.coordinator.pk,
        "department": "",
        "target_on": TODAY() + timedelta(days=90),
    }
    values.update(changes)
    return services.add_recommendation(
        world.refresh(), actor=world.coordinator, fields=services.RecommendationFields(**values), request=None
    )


def add_action(world: ReportWorld, recommendation: Recommendation, owner: User, **changes: Any) -> Action:
    """The coordinator adds an action owned by ``owner``, due in 60 days unless ``target_on``."""
    values: dict[str, Any] = {
        "text": "Train the public protection unit on DASH",
        "lead_agency_id": world.chronologies.agency_a.pk,
        "owner_id": owner.pk,
        "target_on": TODAY() + timedelta(days=60),
    }
    values.update(changes)
    return services.add_action(
        Recommendation.objects.get(pk=recommendation.pk),
        actor=world.coordinator,
        fields=services.ActionFields(**values),
        request=None,
    )


def fresh_action(action: Action) -> Action:
    return Action.objects.select_related("recommendation__review").get(pk=action.pk)


def progress(**changes: Any) -> services.Progress:
    values: dict[str, Any] = {
        "note": "Training booked for March",
        "milestones": "Trainer found",
        "at_risk": False,
        "evidence_ids": (),
        "completed_on": None,
        "outcome": "",
    }
    values.update(changes)
    return services.Progress(**values)


def update(action: Action, actor: User, **changes: Any) -> Action:
    current = fresh_action(action)
    return services.update_action(
        current, actor=actor, progress=progress(**changes), version=current.version, request=None
    )


def complete(action: Action, actor: User) -> Action:
    return update(action, actor, completed_on=TODAY(), outcome="Every officer trained")


def document_of(world: ReportWorld, user: User, title: str) -> Document:
    """A document in the review's space owned by the party ``user`` acts for."""
    space = world.refresh().space
    assert space is not None
    member = SpaceMember.objects.current().get(space=space, user=user)
    return Document.objects.create(
        space=space,
        title=title,
        owner_party_id=member.party_id,
        classification=Classification.OFFICIAL_SENSITIVE,
        retention_ends_on=TODAY() + timedelta(days=3650),
        created_by=user,
    )


def personas(world: ReportWorld) -> Any:
    return world.chronologies.reviews.personas


def form_data(world: ReportWorld, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "text": "Health should ask about domestic abuse at every appointment",
        "scope": "local",
        "department": "",
        "multi_agency": "no",
        "lead_agency": world.chronologies.agency_b.pk,
        "owner": world.coordinator.pk,
        "target_on": (TODAY() + timedelta(days=120)).isoformat(),
    }
    data.update(changes)
    return data


# Recommendations --------------------------------------------------------------------------------


def test_the_coordinator_adds_recommendations_numbered_in_order(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    client = report_world.client(report_world.coordinator)
    url = reverse("reports:recommendation_new", args=[report_world.review.pk])

    assert client.get(url).status_code == 200
    first = client.post(url, form_data(report_world))
    second = client.post(url, form_data(report_world, scope="national", department="Department of Health"))

    assert first.status_code == second.status_code == 302
    assert first["Location"] == reverse("reports:action_plan", args=[report_world.review.pk])
    saved = list(Recommendation.objects.filter(review=report_world.review).order_by("number"))
    assert [(r.number, r.scope, r.department) for r in saved] == [
        (1, "local", ""),
        (2, "national", "Department of Health"),
    ]
    assert saved[0].owner == report_world.coordinator
    assert saved[0].lead_agency == report_world.chronologies.agency_b
    assert saved[0].multi_agency is False
    event = security_events.find("reports.recommendation_added")
    assert event.actor_id == report_world.coordinator.pk
    assert event.details["number"] == 2
    assert event.details["scope"] == "national"
    assert "Department of Health" not in str(event.details)


def test_a_recommendation_with_no_owner_or_target_date_is_refused(report_world: ReportWorld) -> None:
    client = report_world.client(report_world.coordinator)
    url = reverse("reports:recommendation_new", args=[report_world.review.pk])

    response = client.post(url, form_data(report_world, owner="", target_on=""))

    assert response.status_code == 400
    assert "Choose who owns this recommendation" in response.text
    assert "Enter the target date" in response.text
    assert not Recommendation.objects.exists()


def test_the_service_refuses_a_recommendation_with_no_owner_or_target_date(report_world: ReportWorld) -> None:
    with pytest.raises(ValidationError) as refused:
        add_recommendation(report_world, owner_id=None, target_on=None, text="  ")

    assert refused.value.message_dict == {
        "owner": [services.CHOOSE_OWNER],
        "target_on": ["Enter the target date"],
        "text": ["Enter the recommendation"],
    }
    assert not Recommendation.objects.exists()


def test_a_national_recommendation_names_the_department_addressed(report_world: ReportWorld) -> None:
    client = report_world.client(report_world.coordinator)
    url = reverse("reports:recommendation_new", args=[report_world.review.pk])

    response = client.post(url, form_data(report_world, scope="national"))

    assert response.status_code == 400
    assert "Enter the government department a national recommendation is addressed to" in response.text
    assert not Recommendation.objects.exists()


def test_a_local_recommendation_keeps_no_department(report_world: ReportWorld) -> None:
    recommendation = add_recommendation(report_world, department="Home Office")

    assert recommendation.department == ""


@pytest.mark.parametrize("who", ["outsider", "site_admin", "auditor"])
def test_the_owner_must_be_connected_with_the_partnership(report_world: ReportWorld, who: str) -> None:
    stranger = getattr(personas(report_world), who)

    with pytest.raises(ValidationError) as refused:
        add_recommendation(report_world, owner_id=stranger.pk)

    assert refused.value.message_dict == {"owner": [services.OWNER_NOT_CONNECTED]}
    page = report_world.client(report_world.coordinator).post(
        reverse("reports:recommendation_new", args=[report_world.review.pk]), form_data(report_world, owner=stranger.pk)
    )
    assert page.status_code == 400
    assert "Choose someone from the list" in page.text
    assert not Recommendation.objects.exists()


def test_owners_are_the_partnership_the_review_and_the_partnership_agencies(report_world: ReportWorld) -> None:
    """A contributor, the panel, the chairs and a colleague at a partner agency may own; others may not."""
    choices = {pk for pk, _ in services.owner_choices(report_world.refresh())}
    people = personas(report_world)

    assert {
        report_world.coordinator.pk,
        report_world.csp_chair.pk,
        report_world.independent_chair.pk,
        report_world.panel_member.pk,
        report_world.contributor_a.pk,
        report_world.contributor_b.pk,
    } <= choices
    assert not {people.outsider.pk, people.site_admin.pk, people.auditor.pk} & choices


def test_the_lead_agency_is_one_of_the_partnership_agencies(report_world: ReportWorld) -> None:
    elsewhere = AgencyFactory.create(name="Agency Elsewhere")

    with pytest.raises(ValidationError) as refused:
        add_recommendation(report_world, lead_agency_id=elsewhere.pk)

    assert refused.value.message_dict == {"lead_agency": [services.AGENCY_NOT_PARTNER]}


def test_text_longer_than_the_limit_is_refused_with_a_message(report_world: ReportWorld) -> None:
    client = report_world.client(report_world.coordinator)

    response = client.post(
        reverse("reports:recommendation_new", args=[report_world.review.pk]), form_data(report_world, text="x" * 10_001)
    )

    assert response.status_code == 400
    assert "Recommendation must be 10,000 characters or fewer" in response.text
    with pytest.raises(ValidationError, match="10,000 characters or fewer"):
        add_recommendation(report_world, text="x" * 10_001)


def test_editing_a_recommendation_opened_before_another_change_is_refused(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    recommendation = add_recommendation(report_world)
    url = reverse("reports:recommendation_edit", args=[recommendation.pk])
    coordinator = report_world.client(report_world.coordinator)
    chair = report_world.client(report_world.independent_chair)
    assert coordinator.get(url).status_code == 200

    saved = chair.post(url, form_data(report_world, text="The chair's wording", version=1))
    stale = coordinator.post(url, form_data(report_world, text="The coordinator's wording", version=1))

    assert saved.status_code == 302
    assert stale.status_code == 400
    assert STALE_MESSAGE.split(",")[0] in stale.text
    recommendation.refresh_from_db()
    assert recommendation.text == "The chair's wording"
    assert recommendation.version == 2
    event = security_events.find("reports.recommendation_changed")
    assert event.actor_id == report_world.independent_chair.pk
    assert "text" in event.details["changed"]


def test_a_recommendation_is_deleted_only_while_it_has_no_actions(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    empty = add_recommendation(report_world)
    acted = add_recommendation(report_world)
    add_action(report_world, acted, report_world.contributor_a)
    client = report_world.client(report_world.coordinator)

    refused_page = client.get(reverse("reports:recommendation_delete", args=[acted.pk]))
    refused = client.post(reverse("reports:recommendation_delete", args=[acted.pk]), {"version": 1})
    deleted = client.post(reverse("reports:recommendation_delete", args=[empty.pk]), {"version": 1})

    assert "cannot be deleted" in refused_page.text
    assert refused.status_code == 400
    assert "This recommendation has actions, so it cannot be deleted" in refused.text
    assert deleted.status_code == 302
    assert list(Recommendation.objects.values_list("number", flat=True)) == [2]
    assert security_events.find("reports.recommendation_deleted").details["number"] == 1
    assert add_recommendation(report_world).number == 3


# Actions --------------------------------------------------------------------------------------


def test_actions_are_numbered_within_their_recommendation_and_may_be_due_after_it(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    recommendation = add_recommendation(report_world, target_on=TODAY() + timedelta(days=30))
    client = report_world.client(report_world.coordinator)
    url = reverse("reports:action_new", args=[recommendation.pk])
    data = {
        "text": "Audit MARAC referrals",
        "lead_agency": report_world.chronologies.agency_a.pk,
        "owner": report_world.contributor_a.pk,
        "target_on": (TODAY() + timedelta(days=200)).isoformat(),
    }

    assert client.get(url).status_code == 200
    first = client.post(url, data)
    second = client.post(url, data)

    actions = list(recommendation.actions.order_by("number"))
    assert [action.number for action in actions] == [1, 2]
    assert first["Location"] == reverse("reports:action", args=[actions[0].pk])
    assert second.status_code == 302
    assert actions[0].owner == report_world.contributor_a
    event = security_events.find("reports.action_added")
    assert event.details["recommendation"] == 1
    assert event.details["number"] == 2
    assert event.details["owner"] == report_world.contributor_a.pk


def test_an_action_cannot_be_due_before_the_day_it_is_added(report_world: ReportWorld) -> None:
    recommendation = add_recommendation(report_world)
    client = report_world.client(report_world.coordinator)

    response = client.post(
        reverse("reports:action_new", args=[recommendation.pk]),
        {"text": "Audit", "owner": report_world.coordinator.pk, "target_on": (TODAY() - timedelta(days=1)).isoformat()},
    )

    assert response.status_code == 400
    assert "The target date must be today or later" in response.text
    assert not Action.objects.exists()


def test_an_action_with_no_owner_is_refused(report_world: ReportWorld) -> None:
    recommendation = add_recommendation(report_world)

    with pytest.raises(ValidationError) as refused:
        add_action(report_world, recommendation, report_world.coordinator, owner_id=None)

    assert refused.value.message_dict == {"owner": [services.CHOOSE_ACTION_OWNER]}


def test_those_who_run_the_review_change_an_action(report_world: ReportWorld, security_events: EventLog) -> None:
    action = add_action(report_world, add_recommendation(report_world), report_world.contributor_a)
    client = report_world.client(report_world.independent_chair)
    url = reverse("reports:action_edit", args=[action.pk])
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "text": "Train every officer on DASH",
            "owner": report_world.contributor_b.pk,
            "lead_agency": report_world.chronologies.agency_b.pk,
            "target_on": (TODAY() + timedelta(days=10)).isoformat(),
            "version": 1,
        },
    )

    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.text, action.owner, action.version) == ("Train every officer on DASH", report_world.contributor_b, 2)
    assert security_events.find("reports.action_changed").details["changed"] == [
        "lead_agency_id",
        "owner_id",
        "target_on",
        "text",
    ]


# The plan page --------------------------------------------------------------------------------


def test_the_plan_lists_recommendations_in_order_with_their_actions_and_status(report_world: ReportWorld) -> None:
    first = add_recommendation(report_world, text="Share risk assessments")
    second = add_recommendation(
        report_world, text="Fund advocates", scope=Scope.NATIONAL, department="Ministry of Justice", multi_agency=False
    )
    overdue = add_action(report_world, first, report_world.contributor_a, text="Write the protocol")
    Action.objects.filter(pk=overdue.pk).update(target_on=TODAY() - timedelta(days=3))
    done = add_action(report_world, second, report_world.contributor_b, text="Bid for funding")
    document = document_of(report_world, report_world.contributor_b, "Funding letter")
    update(done, report_world.contributor_b, evidence_ids=(document.pk,), completed_on=TODAY(), outcome="Funded")

    response = report_world.client(report_world.panel_member).get(
        reverse("reports:action_plan", args=[report_world.review.pk])
    )

    assert response.status_code == 200
    text = response.text
    assert text.index("Recommendation 1") < text.index("Share risk assessments") < text.index("Recommendation 2")
    assert "National, single agency" in text
    assert "Ministry of Justice" in text
    assert "Local, multi-agency" in text
    assert '<strong class="govuk-tag govuk-tag--red">Red: overdue</strong>' in text
    assert '<strong class="govuk-tag govuk-tag--blue">Complete</strong>' in text
    assert "Funding letter" in text
    assert "Funded" in text
    assert dict(response.context["counts"]) == {RAG.RED: 1, RAG.AMBER: 0, RAG.GREEN: 0, RAG.COMPLETE: 1}


def test_the_plan_filters_by_scope_status_and_owner(report_world: ReportWorld) -> None:
    local = add_recommendation(report_world, text="Local one")
    national = add_recommendation(report_world, text="National one", scope=Scope.NATIONAL, department="Home Office")
    add_action(report_world, local, report_world.contributor_a, text="Action of A")
    late = add_action(report_world, national, report_world.contributor_b, text="Action of B")
    Action.objects.filter(pk=late.pk).update(target_on=TODAY() - timedelta(days=1))
    client = report_world.client(report_world.coordinator)
    url = reverse("reports:action_plan", args=[report_world.review.pk])

    def shown(**query: Any) -> list[tuple[int, list[str]]]:
        rows = client.get(url, query).context["rows"]
        return [(row["recommendation"].number, [item["action"].text for item in row["actions"]]) for row in rows]

    assert shown() == [(1, ["Action of A"]), (2, ["Action of B"])]
    assert shown(scope="national") == [(2, ["Action of B"])]
    assert shown(rag="red") == [(2, ["Action of B"])]
    assert shown(rag="green") == [(1, ["Action of A"])]
    assert shown(owner=report_world.contributor_a.pk) == [(1, ["Action of A"])]
    assert shown(owner=report_world.coordinator.pk) == [(1, []), (2, [])]
    assert shown(rag="nonsense") == shown()


def test_a_long_plan_is_paginated_and_the_links_keep_the_filters(report_world: ReportWorld) -> None:
    review = report_world.refresh()
    Recommendation.objects.bulk_create(
        Recommendation(
            review=review,
            number=number,
            text=f"Recommendation text {number}",
            scope=Scope.LOCAL,
            owner=report_world.coordinator,
            target_on=TODAY(),
            created_by=report_world.coordinator,
        )
        for number in range(1, 56)
    )
    client = report_world.client(report_world.coordinator)

    response = client.get(reverse("reports:action_plan", args=[review.pk]), {"scope": "local"})

    assert len(response.context["rows"]) == 50
    assert "?scope=local&amp;page=2" in response.text
    second = client.get(reverse("reports:action_plan", args=[review.pk]), {"scope": "local", "page": "2"})
    assert [row["recommendation"].number for row in second.context["rows"]] == list(range(51, 56))


def test_the_plan_page_costs_a_fixed_number_of_queries(
    report_world: ReportWorld, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        recommendation = add_recommendation(report_world)
        for owner in (report_world.contributor_a, report_world.contributor_b):
            action = add_action(report_world, recommendation, owner)
            action.evidence.add(document_of(report_world, owner, "Evidence"))
    client = report_world.client(report_world.coordinator)

    with django_assert_max_num_queries(25):
        response = client.get(reverse("reports:action_plan", args=[report_world.review.pk]))

    assert len(response.context["rows"]) == 5


def test_the_plan_links_to_changes_only_for_those_who_plan(report_world: ReportWorld) -> None:
    recommendation = add_recommendation(report_world)
    url = reverse("reports:action_plan", args=[report_world.review.pk])
    edit = reverse("reports:recommendation_edit", args=[recommendation.pk])

    assert edit in report_world.client(report_world.coordinator).get(url).text
    panel_view = report_world.client(report_world.panel_member).get(url).text
    assert edit not in panel_view
    assert reverse("reports:recommendation_new", args=[report_world.review.pk]) not in panel_view
    assert reverse("reports:action_plan_export", args=[report_world.review.pk]) in panel_view


@pytest.mark.parametrize(
    ("rag", "target_days", "at_risk", "done"),
    [
        (RAG.RED, -1, False, False),
        (RAG.AMBER, 0, False, False),
        (RAG.AMBER, 14, False, False),
        (RAG.AMBER, 60, True, False),
        (RAG.GREEN, 15, False, False),
        (RAG.COMPLETE, -5, True, True),
    ],
)
def test_the_status_filter_agrees_with_the_status_shown(
    report_world: ReportWorld, rag: RAG, target_days: int, at_risk: bool, done: bool
) -> None:
    action = add_action(report_world, add_recommendation(report_world), report_world.coordinator)
    today = TODAY()
    Action.objects.filter(pk=action.pk).update(
        target_on=today + timedelta(days=target_days), at_risk=at_risk, completed_on=today if done else None
    )

    assert fresh_action(action).rag(today) == rag
    assert list(Action.objects.filter(services.rag_filter(rag, today))) == [action]
    for other in set(RAG) - {rag}:
        assert not Action.objects.filter(services.rag_filter(other, today)).exists()


# Owners' updates ------------------------------------------------------------------------------


def test_the_owner_records_progress_evidence_and_completion(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    owner = report_world.contributor_a
    action = add_action(report_world, add_recommendation(report_world), owner)
    mine = document_of(report_world, owner, "Training register")
    client = report_world.client(owner)
    url = reverse("reports:action_update", args=[action.pk])

    page = client.get(reverse("reports:action", args=[action.pk]))
    first = client.post(
        url,
        {"note": "Half trained", "milestones": "Course written", "at_risk": "yes", "evidence": [mine.pk], "version": 1},
    )
    second = client.post(
        url,
        {
            "note": "All trained",
            "milestones": "Course written\nEveryone trained",
            "at_risk": "no",
            "evidence": [mine.pk],
            "completed_on": TODAY().isoformat(),
            "outcome": "Every officer uses DASH",
            "version": 2,
        },
    )

    assert page.status_code == 200
    assert "Training register" in page.text
    assert 'aria-label="Review sections"' not in page.text
    assert first.status_code == second.status_code == 302
    action = fresh_action(action)
    assert action.completed_on == TODAY()
    assert action.outcome == "Every officer uses DASH"
    assert list(action.evidence.all()) == [mine]
    assert action.rag(TODAY()) == RAG.COMPLETE
    assert list(ActionUpdate.objects.filter(action=action).values_list("text", "author")) == [
        ("All trained", owner.pk),
        ("Half trained", owner.pk),
    ]
    history = client.get(reverse("reports:action", args=[action.pk])).text
    assert history.index("All trained") < history.index("Half trained")
    event = security_events.find("reports.action_updated")
    assert event.actor_id == owner.pk
    assert event.details["completed_on"] == TODAY().isoformat()
    assert event.details["evidence"] == 1
    assert "All trained" not in str(event.details)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"completed_on": "tomorrow", "outcome": "Done"},
            "completed_on",
            "The completion date must be today or in the past",
        ),
        ({"completed_on": "yesterday", "outcome": "Done"}, "completed_on", "on or after the day the action was added"),
        ({"completed_on": "today", "outcome": " "}, "outcome", "Enter the outcome of the completed action"),
        ({"note": "", "milestones": "Trainer found"}, "note", "Enter a progress note, or change something"),
    ],
)
def test_bad_updates_are_refused_and_nothing_changes(
    report_world: ReportWorld, changes: dict[str, Any], field: str, message: str
) -> None:
    action = add_action(report_world, add_recommendation(report_world), report_world.contributor_a)
    update(action, report_world.contributor_a)
    days = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if "completed_on" in changes:
        changes["completed_on"] = TODAY() + timedelta(days=days[changes["completed_on"]])

    with pytest.raises(ValidationError) as refused:
        update(action, report_world.contributor_a, **changes)

    assert message in refused.value.message_dict[field][0]
    current = fresh_action(action)
    assert (current.completed_on, current.version, current.updates.count()) == (None, 2, 1)


def test_reopening_a_completed_action_needs_a_note(report_world: ReportWorld, security_events: EventLog) -> None:
    action = add_action(report_world, add_recommendation(report_world), report_world.contributor_a)
    complete(action, report_world.contributor_a)
    client = report_world.client(report_world.contributor_a)
    url = reverse("reports:action_update", args=[action.pk])
    reopen = {"note": "", "milestones": "", "at_risk": "no", "completed_on": "", "outcome": "", "version": 2}

    refused = client.post(url, reopen)
    reopened = client.post(url, {**reopen, "note": "The audit found two officers untrained"})

    assert refused.status_code == 400
    assert "Enter why the action is reopened" in refused.text
    assert reopened.status_code == 302
    assert fresh_action(action).completed_on is None
    assert security_events.find("reports.action_updated").details["reopened"] is True


def test_evidence_is_chosen_from_the_documents_the_owner_may_open(report_world: ReportWorld) -> None:
    owner = report_world.contributor_a
    action = add_action(report_world, add_recommendation(report_world), owner)
    theirs = document_of(report_world, report_world.contributor_b, "Agency B's private file")
    chairs = document_of(report_world, report_world.independent_chair, "Chair's notes")
    fresh_action(action).evidence.add(chairs)
    mine = document_of(report_world, owner, "Agency A's register")

    with pytest.raises(ValidationError) as refused:
        update(action, owner, evidence_ids=(theirs.pk,))
    page = report_world.client(owner).get(reverse("reports:action", args=[action.pk]))
    update(action, owner, evidence_ids=(mine.pk,))

    assert refused.value.message_dict == {"evidence": ["Choose evidence from the documents of the review you may open"]}
    assert "Agency B&#x27;s private file" not in page.text
    assert {document.title for document in fresh_action(action).evidence.all()} == {
        "Chair's notes",
        "Agency A's register",
    }


def test_my_actions_lists_what_the_person_owns_overdue_first(report_world: ReportWorld) -> None:
    owner = report_world.contributor_a
    recommendation = add_recommendation(report_world)
    later = add_action(report_world, recommendation, owner, text="Later", target_on=TODAY() + timedelta(days=90))
    done = add_action(report_world, recommendation, owner, text="Done")
    complete(done, owner)
    overdue = add_action(report_world, recommendation, owner, text="Overdue")
    Action.objects.filter(pk=overdue.pk).update(target_on=TODAY() - timedelta(days=2))
    sooner = add_action(report_world, recommendation, owner, text="Sooner", target_on=TODAY() + timedelta(days=5))
    add_action(report_world, recommendation, report_world.contributor_b, text="Not theirs")

    response = report_world.client(owner).get(reverse("reports:my_actions"))

    assert [row["action"].pk for row in response.context["rows"]] == [overdue.pk, sooner.pk, later.pk, done.pk]
    assert "Red: overdue" in response.text
    assert "Not theirs" not in response.text


# Who may do what ------------------------------------------------------------------------------


def _every_page(world: ReportWorld, recommendation: Recommendation, action: Action) -> list[tuple[str, str]]:
    review_id = world.review.pk
    return [
        ("get", reverse("reports:action_plan", args=[review_id])),
        ("get", reverse("reports:action_plan_export", args=[review_id]) + "?format=xlsx"),
        ("get", reverse("reports:action_plan_export", args=[review_id]) + "?format=docx"),
        ("get", reverse("reports:recommendation_new", args=[review_id])),
        ("post", reverse("reports:recommendation_new", args=[review_id])),
        ("get", reverse("reports:recommendation_edit", args=[recommendation.pk])),
        ("post", reverse("reports:recommendation_edit", args=[recommendation.pk])),
        ("post", reverse("reports:recommendation_delete", args=[recommendation.pk])),
        ("get", reverse("reports:action_new", args=[recommendation.pk])),
        ("post", reverse("reports:action_new", args=[recommendation.pk])),
        ("get", reverse("reports:action", args=[action.pk])),
        ("get", reverse("reports:action_edit", args=[action.pk])),
        ("post", reverse("reports:action_edit", args=[action.pk])),
        ("get", reverse("reports:action_update", args=[action.pk])),
        ("post", reverse("reports:action_update", args=[action.pk])),
    ]


def _snapshot() -> list[Any]:
    return [
        list(Recommendation.objects.order_by("pk").values()),
        list(Action.objects.order_by("pk").values()),
        ActionUpdate.objects.count(),
    ]


@pytest.mark.parametrize("who", ["outsider", "auditor", "site_admin", "contributor_b"])
def test_people_outside_the_plan_get_404_everywhere_and_change_nothing(
    report_world: ReportWorld, security_events: EventLog, who: str
) -> None:
    """Another partnership's chair, an auditor, a site administrator, and a contributor who owns nothing."""
    recommendation = add_recommendation(report_world)
    action = add_action(report_world, recommendation, report_world.contributor_a)
    before = _snapshot()
    client = report_world.client(getattr(personas(report_world), who))
    data = {**form_data(report_world), "version": 1, "note": "x", "at_risk": "no", "completed_on": TODAY().isoformat()}

    statuses = {
        url: getattr(client, method)(url, data if method == "post" else None).status_code
        for method, url in _every_page(report_world, recommendation, action)
    }

    assert set(statuses.values()) == {404}, statuses
    assert _snapshot() == before
    assert "reports.action_plan_exported" not in security_events.actions()


def test_the_panel_reads_the_plan_but_cannot_change_it(report_world: ReportWorld) -> None:
    recommendation = add_recommendation(report_world)
    action = add_action(report_world, recommendation, report_world.contributor_a)
    before = _snapshot()
    client = report_world.client(report_world.panel_member)
    data = {**form_data(report_world), "version": 1, "note": "x", "at_risk": "no"}

    statuses = {
        url: getattr(client, method)(url, data if method == "post" else None).status_code
        for method, url in _every_page(report_world, recommendation, action)
    }

    readable = {
        reverse("reports:action_plan", args=[report_world.review.pk]),
        reverse("reports:action_plan_export", args=[report_world.review.pk]) + "?format=xlsx",
        reverse("reports:action_plan_export", args=[report_world.review.pk]) + "?format=docx",
        reverse("reports:action", args=[action.pk]),
    }
    assert {url for url, status in statuses.items() if status == 200} == readable
    assert {status for url, status in statuses.items() if url not in readable} == {403}
    assert _snapshot() == before
    with pytest.raises(PermissionDenied):
        services.add_recommendation(
            report_world.refresh(),
            actor=report_world.panel_member,
            fields=services.RecommendationFields(
                "Text", "local", False, None, report_world.coordinator.pk, "", TODAY()
            ),
            request=None,
        )


def test_an_owner_sees_and_updates_only_their_own_action(report_world: ReportWorld) -> None:
    recommendation = add_recommendation(report_world)
    own = add_action(report_world, recommendation, report_world.contributor_a)
    other = add_action(report_world, recommendation, report_world.contributor_b)
    client = report_world.client(report_world.contributor_a)
    data = {"note": "Progress", "at_risk": "no", "version": 1}

    assert client.get(reverse("reports:action", args=[own.pk])).status_code == 200
    assert client.post(reverse("reports:action_update", args=[own.pk]), data).status_code == 302
    assert client.get(reverse("reports:action", args=[other.pk])).status_code == 404
    assert client.post(reverse("reports:action_update", args=[other.pk]), data).status_code == 404
    assert client.get(reverse("reports:action_plan", args=[report_world.review.pk])).status_code == 404
    assert client.get(reverse("reports:action_edit", args=[own.pk])).status_code == 403
    assert client.get(reverse("reports:action_update", args=[own.pk])).status_code == 405
    assert fresh_action(other).updates.count() == 0
    with pytest.raises(PermissionDenied):
        update(other, report_world.contributor_a)
