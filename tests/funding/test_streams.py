"""Funding streams: recording and changing them, who may, and their pages."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import PartnershipRoleKind, User
from dhr_tracker.funding.models import Application, ApplicationStatus, FundingStream
from dhr_tracker.funding.services import STALE_MESSAGE
from dhr_tracker.funding.services.streams import StreamFields, add_stream, change_stream
from dhr_tracker.funding.years import FinancialYear
from tests.conftest import EventLog
from tests.factories import PartnershipRoleFactory
from tests.funding.conftest import POUND, FundingWorld

pytestmark = pytest.mark.django_db

NOBODY_ELSE = ("auditor", "contributor_a", "contributor_b")


def fields(**overrides: Any) -> StreamFields:
    this = FinancialYear.of(timezone.localdate())
    values: dict[str, Any] = {
        "funder": "Exampleshire Police and Crime Commissioner",
        "name": "Translation fund",
        "financial_year": this.start_year,
        "total_pot_pence": 10_000 * POUND,
        "max_award_pence": 2_500 * POUND,
        "opens_on": this.start,
        "closes_on": this.end,
        "criteria": "For translation and interpreting in reviews of deaths in the county.",
        "min_reviews_commenced": 2,
        "death_types": ["suspected_suicide", "homicide"],
        "nations": ["england"],
        "reviews_in_year": True,
    }
    values.update(overrides)
    return StreamFields(**values)


def form_data(**overrides: Any) -> dict[str, Any]:
    this = FinancialYear.of(timezone.localdate())
    data: dict[str, Any] = {
        "funder": "Exampleshire Police and Crime Commissioner",
        "name": "Translation fund",
        "financial_year": str(this.start_year),
        "total_pot": "£10,000",
        "max_award": "2,500.50",
        "opens_on": this.start.isoformat(),
        "closes_on": this.end.isoformat(),
        "criteria": "For translation and interpreting.",
        "min_reviews_commenced": "2",
        "death_types": ["homicide", "suspected_suicide"],
        "nations": ["england"],
        "reviews_in_year": "on",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def funding_events(events: EventLog) -> list[str]:
    return [action for action in events.actions() if action.startswith("funding.")]


def snapshot() -> list[tuple[Any, ...]]:
    return list(FundingStream.objects.order_by("pk").values_list())


def persona(world: FundingWorld, name: str) -> User:
    user: User = getattr(world.personas, name)
    return user


# Recording a stream ---------------------------------------------------------------------------


def test_a_coordinator_records_their_partnerships_stream_and_the_audit_keeps_no_words(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world

    stream = add_stream(actor=world.coordinator, partnership_id=world.partnership.pk, fields=fields(), request=None)

    assert stream.partnership == world.partnership
    assert stream.created_by == world.coordinator
    assert (stream.total_pot_pence, stream.max_award_pence) == (1_000_000, 250_000)
    assert stream.death_types == ["homicide", "suspected_suicide"]  # in the order of the choices
    assert stream.nations == ["england"]
    assert (stream.min_reviews_commenced, stream.reviews_in_year, stream.version) == (2, True, 1)
    event = security_events.find("funding.stream_added")
    assert event.actor_id == world.coordinator.pk
    assert event.partnership_id == world.partnership.pk
    assert event.target_id == str(stream.pk)
    assert event.details == {
        "stream": stream.pk,
        "financial_year": world.this.start_year,
        "total_pot_pence": 1_000_000,
        "max_award_pence": 250_000,
        "opens_on": world.this.start.isoformat(),
        "closes_on": world.this.end.isoformat(),
        "min_reviews_commenced": 2,
        "death_types": ["homicide", "suspected_suicide"],
        "nations": ["england"],
        "reviews_in_year": True,
    }
    assert "translation" not in str(event.details).lower()
    assert "Commissioner" not in str(event.details)


def test_a_site_administrator_records_a_national_stream(funding_world: FundingWorld, security_events: EventLog) -> None:
    admin = funding_world.personas.site_admin

    stream = add_stream(actor=admin, partnership_id=None, fields=fields(nations=[]), request=None)

    assert stream.national
    assert security_events.find("funding.stream_added").partnership_id is None


@pytest.mark.parametrize(
    ("who", "whose"),
    [
        ("site_admin", "partnership"),
        ("coordinator", "national"),
        ("csp_chair", "national"),
        ("outsider", "partnership"),
        ("auditor", "partnership"),
        ("contributor_a", "partnership"),
        ("contributor_a", "national"),
    ],
)
def test_only_the_owners_of_a_stream_may_record_it(
    funding_world: FundingWorld, security_events: EventLog, who: str, whose: str
) -> None:
    """National streams are the site administrators'; a partnership's, its CSP chairs' and coordinators'."""
    before = snapshot()
    partnership_id = funding_world.partnership.pk if whose == "partnership" else None

    with pytest.raises(PermissionDenied):
        add_stream(actor=persona(funding_world, who), partnership_id=partnership_id, fields=fields(), request=None)

    assert snapshot() == before
    assert funding_events(security_events) == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"funder": "  "}, "funder", "Enter the funder"),
        ({"name": ""}, "name", "Enter the name of the fund"),
        ({"name": "x" * 201}, "name", "The name of the fund must be 200 characters or fewer"),
        ({"total_pot_pence": 0}, "total_pot", "The total pot must be more than £0"),
        ({"total_pot_pence": None}, "total_pot", "Enter the total pot"),
        ({"max_award_pence": -1}, "max_award", "The maximum award must be more than £0"),
        ({"max_award_pence": 10_000 * POUND + 1}, "max_award", "The maximum award cannot be more than the total pot"),
        ({"closes_on": FinancialYear.of(timezone.localdate()).start - timedelta(days=1)}, "closes_on",
         "The closing date must be on or after the opening date"),
        ({"opens_on": None}, "opens_on", "Enter the opening date"),
        ({"min_reviews_commenced": 0}, "min_reviews_commenced",
         "The minimum number of reviews commenced must be between 1 and 99, or left empty"),
        ({"min_reviews_commenced": 100}, "min_reviews_commenced",
         "The minimum number of reviews commenced must be between 1 and 99, or left empty"),
        ({"death_types": ["homicide", "murder"]}, "death_types", "Choose types of review from the list"),
        ({"nations": ["scotland"]}, "nations", "Choose nations from the list"),
        ({"financial_year": 1999}, "financial_year", "Choose a financial year from 2000-01 to 2098-99"),
        ({"criteria": "x" * 10_001}, "criteria", "The criteria must be 10,000 characters or fewer"),
    ],
)  # fmt: skip
def test_invalid_fields_are_refused_with_a_message_and_nothing_is_recorded(
    funding_world: FundingWorld, security_events: EventLog, overrides: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        add_stream(
            actor=funding_world.coordinator,
            partnership_id=funding_world.partnership.pk,
            fields=fields(**overrides),
            request=None,
        )

    assert refused.value.message_dict[field] == [message]
    assert snapshot() == before
    assert funding_events(security_events) == []


def test_no_minimum_no_types_and_no_nations_mean_the_rules_do_not_apply(funding_world: FundingWorld) -> None:
    stream = add_stream(
        actor=funding_world.csp_chair,
        partnership_id=funding_world.partnership.pk,
        fields=fields(min_reviews_commenced=None, death_types=[], nations=[], reviews_in_year=False, criteria=""),
        request=None,
    )

    assert (stream.min_reviews_commenced, stream.death_types, stream.nations) == (None, [], [])


# Changing a stream ----------------------------------------------------------------------------


def test_a_coordinator_changes_their_partnerships_stream_and_the_audit_names_what_changed(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    local = funding_world.local
    new_close = local.closes_on + timedelta(days=10)

    changed = change_stream(
        local,
        actor=funding_world.coordinator,
        version=local.version,
        fields=fields(
            funder=local.funder,
            name=local.name,
            financial_year=local.financial_year,
            total_pot_pence=local.total_pot_pence,
            max_award_pence=6_000 * POUND,
            opens_on=local.opens_on,
            closes_on=new_close,
            criteria="",
            min_reviews_commenced=None,
            death_types=[],
            nations=[],
            reviews_in_year=False,
        ),
        request=None,
    )

    local.refresh_from_db()
    assert changed.version == local.version == 2
    assert (local.max_award_pence, local.closes_on) == (6_000 * POUND, new_close)
    event = security_events.find("funding.stream_changed")
    assert event.details["changed"] == ["closes_on", "max_award_pence"]
    assert event.details["closes_on"] == new_close.isoformat()
    assert event.partnership_id == funding_world.partnership.pk


def test_a_stale_change_is_refused_and_changes_nothing(funding_world: FundingWorld, security_events: EventLog) -> None:
    local = funding_world.local
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        change_stream(local, actor=funding_world.coordinator, version=local.version - 1, fields=fields(), request=None)

    assert refused.value.messages == [STALE_MESSAGE]
    assert snapshot() == before
    assert funding_events(security_events) == []


@pytest.mark.parametrize(
    ("who", "stream"), [("coordinator", "national"), ("site_admin", "local"), ("outsider", "local")]
)
def test_only_the_owners_of_a_stream_may_change_it(
    funding_world: FundingWorld, security_events: EventLog, who: str, stream: str
) -> None:
    target: FundingStream = getattr(funding_world, stream)
    before = snapshot()

    with pytest.raises(PermissionDenied):
        change_stream(target, actor=persona(funding_world, who), version=target.version, fields=fields(), request=None)

    assert snapshot() == before
    assert funding_events(security_events) == []


def test_an_invalid_change_changes_nothing(funding_world: FundingWorld, security_events: EventLog) -> None:
    national = funding_world.national
    before = snapshot()

    with pytest.raises(ValidationError):
        change_stream(
            national,
            actor=funding_world.personas.site_admin,
            version=national.version,
            fields=fields(max_award_pence=20_000 * POUND),
            request=None,
        )

    assert snapshot() == before
    assert funding_events(security_events) == []


# The list -------------------------------------------------------------------------------------


def listed(response: Any) -> list[str]:
    return [stream.name for stream in response.context["page"]]


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("csp_chair", ["Review costs contribution", "Domestic Homicide Review fund"]),
        ("coordinator", ["Review costs contribution", "Domestic Homicide Review fund"]),
        ("outsider", ["Domestic Homicide Review fund"]),
        ("site_admin", ["Domestic Homicide Review fund"]),
    ],
)
def test_the_list_shows_national_streams_and_the_users_partnerships_own_newest_year_first(
    funding_world: FundingWorld, who: str, names: list[str]
) -> None:
    response = funding_world.client(persona(funding_world, who)).get(reverse("funding:streams"))

    assert response.status_code == 200
    assert listed(response) == names
    assert "Record a fund" in response.text


@pytest.mark.parametrize("who", NOBODY_ELSE)
def test_people_who_keep_no_funds_get_not_found_on_every_stream_page(funding_world: FundingWorld, who: str) -> None:
    client = funding_world.client(persona(funding_world, who))
    stream = funding_world.national
    before = snapshot()

    for url in (
        reverse("funding:streams"),
        reverse("funding:stream_new"),
        reverse("funding:stream", args=[stream.pk]),
        reverse("funding:stream_edit", args=[stream.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, form_data(owner="national", version=str(stream.version))).status_code == 404, url

    assert snapshot() == before


def test_the_list_filters_by_financial_year_and_by_being_open_today(funding_world: FundingWorld) -> None:
    world = funding_world
    today = timezone.localdate()
    FundingStream.objects.create(
        funder="Home Office",
        name="Last round",
        financial_year=world.last.start_year,
        total_pot_pence=100 * POUND,
        max_award_pence=10 * POUND,
        opens_on=world.last.start,
        closes_on=today - timedelta(days=1),
        created_by=world.personas.site_admin,
    )
    client = world.client(world.coordinator)

    by_year = client.get(reverse("funding:streams"), {"year": str(world.last.start_year)})
    open_now = client.get(reverse("funding:streams"), {"open_now": "on"})
    both = client.get(reverse("funding:streams"), {"year": str(world.last.start_year), "open_now": "on"})

    assert sorted(listed(by_year)) == ["Domestic Homicide Review fund", "Last round"]
    assert listed(open_now) == ["Review costs contribution", "Domestic Homicide Review fund"]
    assert listed(both) == ["Domestic Homicide Review fund"]
    assert "Closed on" in by_year.text


def test_the_list_is_paginated_in_a_bounded_number_of_queries(
    funding_world: FundingWorld, django_assert_max_num_queries: Any
) -> None:
    world = funding_world
    FundingStream.objects.bulk_create(
        FundingStream(
            partnership=world.partnership if number % 2 else None,
            funder="Funder",
            name=f"Fund {number:03d}",
            financial_year=world.this.start_year,
            total_pot_pence=1000 * POUND,
            max_award_pence=100 * POUND,
            opens_on=world.this.start,
            closes_on=world.this.end,
            created_by=world.coordinator,
        )
        for number in range(80)
    )
    client = world.client(world.coordinator)

    with django_assert_max_num_queries(13):
        first = client.get(reverse("funding:streams"))
    second = client.get(reverse("funding:streams"), {"year": str(world.this.start_year), "page": "2"})

    assert len(listed(first)) == 50
    assert first.context["page"].paginator.count == 82
    assert "?page=2" in first.text
    assert second.context["page"].number == 2
    assert f"year={world.this.start_year}&amp;page=1" in second.text


# One stream -----------------------------------------------------------------------------------


def test_a_stream_shows_its_money_its_dates_and_its_rules_in_words(funding_world: FundingWorld) -> None:
    world = funding_world
    year = world.last

    response = world.client(world.csp_chair).get(reverse("funding:stream", args=[world.national.pk]))

    assert response.status_code == 200
    text = response.text
    assert "£150,000.00" in text
    assert "£20,000.00" in text
    assert f"{year.label} ({year.span})" in text
    assert f"The partnership must have commenced at least 2 reviews in {year.label} ({year.span})." in text
    assert f"Each review must have commenced in {year.label} ({year.span})." in text
    assert "For partnerships commencing more than one review in the year." in text
    assert reverse("funding:application_new", args=[world.national.pk]) in text
    assert reverse("funding:stream_edit", args=[world.national.pk]) not in text


def test_a_stream_names_its_review_types_and_nations(funding_world: FundingWorld) -> None:
    local = funding_world.local
    FundingStream.objects.filter(pk=local.pk).update(death_types=["homicide", "unexplained"], nations=["wales"])

    response = funding_world.client(funding_world.coordinator).get(reverse("funding:stream", args=[local.pk]))

    assert "Each review must be of a death recorded as homicide or unexplained death." in response.text
    assert "The partnership must be in Wales." in response.text
    assert reverse("funding:stream_edit", args=[local.pk]) in response.text


def test_a_stream_lists_the_users_partnerships_applications_with_their_status(funding_world: FundingWorld) -> None:
    world = funding_world
    ours = Application.objects.create(
        partnership=world.partnership,
        stream=world.national,
        status=ApplicationStatus.SUBMITTED,
        requested_pence=12_000 * POUND,
        created_by=world.coordinator,
    )
    theirs = Application.objects.create(
        partnership=world.personas.other_partnership, stream=world.national, created_by=world.personas.outsider
    )

    response = world.client(world.coordinator).get(reverse("funding:stream", args=[world.national.pk]))

    assert reverse("funding:application", args=[ours.pk]) in response.text
    assert "Submitted" in response.text
    assert "£12,000.00" in response.text
    assert reverse("funding:application", args=[theirs.pk]) not in response.text


def test_a_closed_stream_offers_no_apply_button(funding_world: FundingWorld) -> None:
    national = funding_world.national
    FundingStream.objects.filter(pk=national.pk).update(closes_on=timezone.localdate() - timedelta(days=1))

    response = funding_world.client(funding_world.csp_chair).get(reverse("funding:stream", args=[national.pk]))

    assert "Closed" in response.text
    assert reverse("funding:application_new", args=[national.pk]) not in response.text


def test_a_site_administrator_may_change_a_national_stream_but_not_apply(funding_world: FundingWorld) -> None:
    national = funding_world.national

    response = funding_world.client(funding_world.personas.site_admin).get(
        reverse("funding:stream", args=[national.pk])
    )

    assert reverse("funding:stream_edit", args=[national.pk]) in response.text
    assert reverse("funding:application_new", args=[national.pk]) not in response.text


@pytest.mark.parametrize("who", ["outsider", "site_admin"])
def test_another_partnerships_stream_is_not_found(funding_world: FundingWorld, who: str) -> None:
    client = funding_world.client(persona(funding_world, who))
    local = funding_world.local
    before = snapshot()

    assert client.get(reverse("funding:stream", args=[local.pk])).status_code == 404
    assert client.get(reverse("funding:stream_edit", args=[local.pk])).status_code == 404
    post = client.post(reverse("funding:stream_edit", args=[local.pk]), form_data(version=str(local.version)))
    assert post.status_code == 404
    assert snapshot() == before


# Recording and changing through the pages -----------------------------------------------------


def test_a_coordinator_records_a_fund_for_their_only_partnership_without_being_asked_whose(
    funding_world: FundingWorld,
) -> None:
    world = funding_world
    client = world.client(world.coordinator)

    page = client.get(reverse("funding:stream_new"))
    response = client.post(reverse("funding:stream_new"), form_data(owner=str(world.partnership.pk)))

    assert "Whose fund is this?" not in page.text
    assert "Types of review the fund pays for" in page.text
    stream = FundingStream.objects.get(name="Translation fund")
    assert response.status_code == 302
    assert response["Location"] == reverse("funding:stream", args=[stream.pk])
    assert stream.partnership == world.partnership
    assert (stream.total_pot_pence, stream.max_award_pence) == (1_000_000, 250_050)
    assert (stream.death_types, stream.nations, stream.reviews_in_year) == (
        ["homicide", "suspected_suicide"],
        ["england"],
        True,
    )


def test_someone_managing_two_partnerships_chooses_whose_fund_it_is(funding_world: FundingWorld) -> None:
    world = funding_world
    other = world.personas.other_partnership
    PartnershipRoleFactory.create(user=world.coordinator, partnership=other, role=PartnershipRoleKind.CSP_COORDINATOR)
    client = world.client(world.coordinator)

    unchosen = client.post(reverse("funding:stream_new"), form_data())
    chosen = client.post(reverse("funding:stream_new"), form_data(owner=str(other.pk)))

    assert unchosen.status_code == 400
    assert "Choose whose fund this is" in unchosen.text
    assert chosen.status_code == 302
    assert FundingStream.objects.get(name="Translation fund").partnership == other


def test_a_site_administrator_records_a_national_fund_through_the_page(funding_world: FundingWorld) -> None:
    response = funding_world.client(funding_world.personas.site_admin).post(
        reverse("funding:stream_new"), form_data(owner="national", nations=None)
    )

    assert response.status_code == 302
    stream = FundingStream.objects.get(name="Translation fund")
    assert stream.national
    assert stream.nations == []


@pytest.mark.parametrize(
    ("who", "owner"), [("coordinator", "national"), ("site_admin", "partnership"), ("csp_chair", "other")]
)
def test_naming_an_owner_the_user_may_not_record_for_is_forbidden(
    funding_world: FundingWorld, security_events: EventLog, who: str, owner: str
) -> None:
    world = funding_world
    value = {
        "national": "national",
        "partnership": str(world.partnership.pk),
        "other": str(world.personas.other_partnership.pk),
    }[owner]
    before = snapshot()

    response = world.client(persona(world, who)).post(reverse("funding:stream_new"), form_data(owner=value))

    assert response.status_code == 403
    assert snapshot() == before
    assert funding_events(security_events) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"max_award": "20,000"}, "The maximum award cannot be more than the total pot"),
        ({"total_pot": "-5"}, "The total pot cannot be negative"),
        ({"total_pot": "ten thousand"}, "Enter the total pot as a number of pounds, like 1250 or 1,250.50"),
        ({"max_award": ""}, "Enter the maximum award"),
        ({"closes_on": "2020-02-30"}, "Closing date must be a real date"),
        ({"opens_on": FinancialYear.of(timezone.localdate()).end.isoformat(), "closes_on": FinancialYear.of(timezone.localdate()).start.isoformat()},
         "The closing date must be on or after the opening date"),
        ({"min_reviews_commenced": "two"}, "Enter the minimum number of reviews as a whole number, like 2"),
        ({"death_types": ["homicide", "murder"]}, "Choose types of review from the list"),
        ({"financial_year": "1999"}, "Choose a financial year from the list"),
    ],
)  # fmt: skip
def test_an_invalid_form_shows_the_problem_and_records_nothing(
    funding_world: FundingWorld, security_events: EventLog, overrides: dict[str, Any], message: str
) -> None:
    world = funding_world
    before = snapshot()

    response = world.client(world.coordinator).post(
        reverse("funding:stream_new"), form_data(owner=str(world.partnership.pk), **overrides)
    )

    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert message in response.text
    assert snapshot() == before
    assert funding_events(security_events) == []


def test_the_edit_page_changes_a_stream_and_warns_when_applications_were_submitted(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    national = world.national
    Application.objects.create(
        partnership=world.partnership, stream=national, status=ApplicationStatus.SUBMITTED, created_by=world.csp_chair
    )
    Application.objects.create(
        partnership=world.personas.other_partnership, stream=national, created_by=world.personas.outsider
    )
    client = world.client(world.personas.site_admin)
    url = reverse("funding:stream_edit", args=[national.pk])

    page = client.get(url)
    response = client.post(
        url,
        form_data(
            funder="Home Office",
            name="Domestic Homicide Review fund",
            financial_year=str(national.financial_year),
            total_pot="150000",
            max_award="25000",
            opens_on=national.opens_on.isoformat(),
            closes_on=national.closes_on.isoformat(),
            death_types=None,
            nations=None,
            version=str(national.version),
        ),
    )

    assert "1 application has been submitted to this fund" in page.text
    assert 'value="20000.00"' in page.text
    assert response.status_code == 302
    national.refresh_from_db()
    assert (national.max_award_pence, national.version) == (25_000 * POUND, 2)
    assert security_events.find("funding.stream_changed").details["changed"] == ["criteria", "max_award_pence"]


def test_an_edit_page_opened_before_someone_elses_change_is_refused(funding_world: FundingWorld) -> None:
    world = funding_world
    local = world.local
    url = reverse("funding:stream_edit", args=[local.pk])
    data = form_data(financial_year=str(local.financial_year), version=str(local.version))
    assert world.client(world.csp_chair).post(url, data).status_code == 302
    before = snapshot()

    response = world.client(world.coordinator).post(url, {**data, "name": "Another name"})

    assert response.status_code == 400
    assert "Someone else changed this after you opened this page" in response.text
    assert snapshot() == before


def test_a_coordinator_may_see_but_not_change_a_national_stream(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    national = world.national
    url = reverse("funding:stream_edit", args=[national.pk])
    client = world.client(world.coordinator)
    before = snapshot()

    assert client.get(url).status_code == 403
    assert client.post(url, form_data(version=str(national.version))).status_code == 403
    assert snapshot() == before
    assert funding_events(security_events) == []


# Template filters -----------------------------------------------------------------------------


def test_the_filters_show_pounds_and_financial_years() -> None:
    rendered = Template("{% load funding %}{{ a|pounds }}|{{ b|pounds }}|{{ c|pounds }}|{{ y|financial_year }}").render(
        Context({"a": 125050, "b": None, "c": -2000, "y": 2025})
    )

    assert rendered == "£1,250.50||-£20.00|2025-26"
