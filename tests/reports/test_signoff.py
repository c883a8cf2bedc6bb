"""Sign-off: the panel's agreement, then the CSP chair's approval of the same latest versions;
withdrawal; and the lifecycle step that needs the panel's agreement."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.reports.models import ReportKind, ReportVersion, SignOff, SignOffKind
from dhr_tracker.reports.services import signoff as services
from dhr_tracker.reviews.lifecycle import State
from tests.conftest import EventLog, Personas
from tests.reports.conftest import ReportWorld, make_version

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def url(name: str, *args: int) -> str:
    return reverse(f"reports:{name}", args=args)


def agree(world: ReportWorld, *, client: Client | None = None, **data: Any) -> Any:
    fields = {"signed_on": TODAY.isoformat(), "person": world.independent_chair.pk, "note": "Agreed at the meeting"}
    return (client or world.client(world.independent_chair)).post(
        url("panel_agreement", world.review.pk), {**fields, **data}
    )


def approve(world: ReportWorld, overview: ReportVersion, summary: ReportVersion | None = None, **data: Any) -> Any:
    fields = {"signed_on": TODAY.isoformat(), "overview": overview.pk, "summary": summary.pk if summary else ""}
    return world.client(world.csp_chair).post(url("csp_approval", world.review.pk), {**fields, **data})


def live() -> dict[str, SignOff]:
    return {row.kind: row for row in SignOff.objects.filter(withdrawn_at__isnull=True)}


@pytest.fixture
def overview(report_world: ReportWorld) -> ReportVersion:
    return make_version(report_world)


def test_panel_agreement_names_the_latest_versions(
    report_world: ReportWorld, overview: ReportVersion, security_events: EventLog
) -> None:
    world = report_world
    make_version(world)
    latest = make_version(world)
    summary = make_version(world, ReportKind.SUMMARY)
    page = world.client(world.coordinator).get(url("panel_agreement", world.review.pk)).content.decode()
    assert "Version 3" in page
    assert world.panel_member.full_name in page
    response = agree(world, client=world.client(world.coordinator), person=world.panel_member.pk)
    assert response.status_code == 302
    signoff = live()[SignOffKind.PANEL]
    assert (signoff.overview, signoff.summary, signoff.person, signoff.recorded_by) == (
        latest,
        summary,
        world.panel_member,
        world.coordinator,
    )
    event = security_events.find("reports.panel_agreed")
    assert (event.details["overview"], event.details["summary"]) == (3, 1)
    assert "Agreed at" not in str(event.details)
    page = world.client(world.panel_member).get(url("reports", world.review.pk)).content.decode()
    assert "Panel agreement" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"signed_on": (TODAY + timedelta(days=1)).isoformat()}, "The date must be today or in the past"),
        ({"signed_on": ""}, "Enter the date the panel agreed the report"),
        ({"person": ""}, "Choose who spoke for the panel"),
    ],
)
def test_bad_panel_agreement_is_refused(
    report_world: ReportWorld, overview: ReportVersion, data: dict[str, Any], message: str
) -> None:
    response = agree(report_world, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SignOff.objects.exists()


def test_someone_outside_the_panel_cannot_speak_for_it(report_world: ReportWorld, overview: ReportVersion) -> None:
    world = report_world
    response = agree(world, person=world.contributor_a.pk)
    assert response.status_code == 400
    assert "Choose who spoke for the panel" in response.content.decode()
    assert not SignOff.objects.exists()


def test_no_agreement_without_an_overview_report(report_world: ReportWorld) -> None:
    response = agree(report_world)
    assert response.status_code == 400
    assert "Upload the overview report before recording its sign-off" in response.content.decode()
    assert not SignOff.objects.exists()


def test_one_live_panel_agreement(report_world: ReportWorld, overview: ReportVersion) -> None:
    world = report_world
    agree(world)
    again = agree(world)
    assert again.status_code == 400
    assert "already recorded" in again.content.decode()
    assert SignOff.objects.count() == 1


def test_csp_chair_approves_what_the_panel_agreed(
    report_world: ReportWorld, overview: ReportVersion, security_events: EventLog
) -> None:
    world = report_world
    agree(world)
    page = world.client(world.csp_chair).get(url("csp_approval", world.review.pk)).content.decode()
    assert f'value="{overview.pk}"' in page
    response = approve(world, overview)
    assert response.status_code == 302
    approval = live()[SignOffKind.CSP]
    assert (approval.overview, approval.person, approval.signed_on) == (overview, world.csp_chair, TODAY)
    assert security_events.find("reports.csp_approved").details["overview"] == 1


def test_approval_needs_the_panels_agreement_first(report_world: ReportWorld, overview: ReportVersion) -> None:
    response = approve(report_world, overview)
    assert response.status_code == 400
    assert "The panel must agree this version first" in response.content.decode()
    assert not SignOff.objects.exists()


def test_a_version_newer_than_the_panels_agreement_needs_it_again(
    report_world: ReportWorld, overview: ReportVersion
) -> None:
    world = report_world
    agree(world)
    newer = make_version(world)
    response = approve(world, newer)
    assert response.status_code == 400
    assert "The panel must agree this version first" in response.content.decode()
    assert SignOffKind.CSP not in live()


def test_approving_an_older_version_than_the_latest_is_refused(
    report_world: ReportWorld, overview: ReportVersion
) -> None:
    world = report_world
    agree(world)
    make_version(world)
    response = approve(world, overview)
    assert response.status_code == 400
    assert "A newer version of the report has been uploaded" in response.content.decode()
    assert SignOffKind.CSP not in live()


def test_an_executive_summary_added_after_the_agreement_needs_it_again(
    report_world: ReportWorld, overview: ReportVersion
) -> None:
    world = report_world
    agree(world)
    summary = make_version(world, ReportKind.SUMMARY)
    response = approve(world, overview, summary)
    assert response.status_code == 400
    assert "The panel must agree this version first" in response.content.decode()


def test_future_approval_date_is_refused(report_world: ReportWorld, overview: ReportVersion) -> None:
    world = report_world
    agree(world)
    response = approve(world, overview, signed_on=(TODAY + timedelta(days=2)).isoformat())
    assert response.status_code == 400
    assert "must be today or in the past" in response.content.decode()
    assert SignOffKind.CSP not in live()


def test_independent_chair_and_panel_member_cannot_approve(report_world: ReportWorld, overview: ReportVersion) -> None:
    world = report_world
    agree(world)
    for user in (world.independent_chair, world.coordinator, world.panel_member):
        client = world.client(user)
        assert client.get(url("csp_approval", world.review.pk)).status_code == 403, user
        data = {"signed_on": TODAY.isoformat(), "overview": overview.pk}
        assert client.post(url("csp_approval", world.review.pk), data).status_code == 403, user
    assert SignOffKind.CSP not in live()


def test_panel_member_cannot_record_the_agreement(report_world: ReportWorld, overview: ReportVersion) -> None:
    world = report_world
    client = world.client(world.panel_member)
    assert client.get(url("panel_agreement", world.review.pk)).status_code == 403
    assert agree(world, client=client).status_code == 403
    assert not SignOff.objects.exists()


def test_withdrawing_the_panels_agreement_withdraws_the_approval(
    report_world: ReportWorld, overview: ReportVersion, security_events: EventLog
) -> None:
    world = report_world
    agree(world)
    approve(world, overview)
    panel = live()[SignOffKind.PANEL]
    client = world.client(world.independent_chair)
    page = client.get(url("reports", world.review.pk)).content.decode()
    assert url("signoff_withdraw", panel.pk) in page
    empty = client.post(url("signoff_withdraw", panel.pk), {f"withdraw-{panel.pk}-reason": " "})
    assert empty.status_code == 400
    assert "Enter why the sign-off is withdrawn" in empty.content.decode()
    assert len(live()) == 2
    response = client.post(
        url("signoff_withdraw", panel.pk), {f"withdraw-{panel.pk}-reason": "Version 2 needs the panel's agreement"}
    )
    assert response.status_code == 302
    assert live() == {}
    assert all(row.withdrawal_reason == "Version 2 needs the panel's agreement" for row in SignOff.objects.all())
    event = security_events.find("reports.signoff_withdrawn")
    assert len(event.details["withdrawn"]) == 2
    assert "Version 2" not in str(event.details)
    # A new agreement may now be recorded.
    assert agree(world).status_code == 302


def test_only_the_csp_chair_withdraws_the_approval(report_world: ReportWorld, overview: ReportVersion) -> None:
    world = report_world
    agree(world)
    approve(world, overview)
    approval = live()[SignOffKind.CSP]
    data = {f"withdraw-{approval.pk}-reason": "Mistake"}
    assert world.client(world.independent_chair).post(url("signoff_withdraw", approval.pk), data).status_code == 403
    assert world.client(world.panel_member).post(url("signoff_withdraw", approval.pk), data).status_code == 403
    assert len(live()) == 2
    assert world.client(world.csp_chair).post(url("signoff_withdraw", approval.pk), data).status_code == 302
    assert set(live()) == {SignOffKind.PANEL}


def test_outsiders_get_404_and_change_nothing(
    report_world: ReportWorld, overview: ReportVersion, personas: Personas
) -> None:
    world = report_world
    agree(world)
    panel = live()[SignOffKind.PANEL]
    for user in (world.contributor_a, personas.outsider, personas.auditor, personas.site_admin):
        client = world.client(user)
        for path in (url("panel_agreement", world.review.pk), url("csp_approval", world.review.pk)):
            assert client.get(path).status_code == 404, (user, path)
            assert client.post(path, {"signed_on": TODAY.isoformat(), "overview": overview.pk}).status_code == 404
        withdraw = client.post(url("signoff_withdraw", panel.pk), {f"withdraw-{panel.pk}-reason": "x"})
        assert withdraw.status_code == 404, user
    assert list(live()) == [SignOffKind.PANEL]
    assert SignOff.objects.count() == 1


def test_service_refuses_a_second_approval(report_world: ReportWorld, overview: ReportVersion) -> None:
    world = report_world
    agree(world)
    approve(world, overview)
    response = approve(world, overview)
    assert response.status_code == 400
    assert "already recorded" in response.content.decode()
    assert SignOff.objects.filter(kind=SignOffKind.CSP).count() == 1
    assert services.live_signoffs(world.review)[SignOffKind.CSP].person == world.csp_chair


def test_seeking_csp_signoff_needs_the_panels_agreement(report_world: ReportWorld, overview: ReportVersion) -> None:
    """The generic step page refuses ``seek_csp_signoff`` until the panel's agreement is recorded."""
    world = report_world
    world.step("share_with_family")
    review = world.step("seek_panel_signoff")
    assert review.state == State.PANEL_SIGNOFF
    step_url = reverse("reviews:step", args=[review.pk, "seek_csp_signoff"])
    client = world.client(world.independent_chair)
    refused = client.post(step_url, {"version": review.version, "rationale": "Ready"})
    assert refused.status_code == 400
    assert world.refresh().state == State.PANEL_SIGNOFF
    agree(world)
    review = world.refresh()
    moved = client.post(step_url, {"version": review.version, "rationale": "Ready"})
    assert moved.status_code == 302
    assert world.refresh().state == State.CSP_SIGNOFF
