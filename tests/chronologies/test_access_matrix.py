"""The access matrix of the chronologies: every role against every URL, each on a world of its own.

The world: agency A's chronology was submitted and returned (version 1, frozen) and is being
corrected in version 2 (a draft, with an import); agency A also owes a scoping answer and an IMR;
agency B's chronology was accepted, so the combined chronology has an entry. The combined
chronology is not released.

- Outsiders (another partnership's chair), auditors and site administrators: 404 for every page
  and action, and nothing changes.
- A contributor of agency C on the same review, who owns none of it, and agency B's contributor
  for anything of agency A's or of the unreleased combined chronology: 404, and nothing changes.
- The review's readers (CSP chair, coordinator, independent chair, panel member): the page exists
  for them (200, or 403/405 for an action they may not take, 302 to a code), except an import's
  progress, which only its agency follows, an IMR not yet submitted, and, for a panel member, a
  version not accepted (404). The review's list of requests shows a contributor only their own.
  A panel member's POST changes nothing, but for
  the two things the panel does: marking entries significant and noting them.

New URLs join the matrix by themselves; a URL with a parameter the fixture cannot fill fails here.
"""

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies.models import Entry, RequestKind
from dhr_tracker.chronologies.services import imports, submissions
from dhr_tracker.chronologies.services.submissions import EntryFields
from tests.chronologies.conftest import ChronologyWorld
from tests.chronologies.upload_helpers import GOOD_ROW, csv_bytes
from tests.conftest import allowed_since, newest_event

pytestmark = pytest.mark.django_db

# Not about one review's records: each person's own list, tested in test_requests.
NOT_SCOPED = {"chronologies:my_requests"}
# Followed only by the agency whose draft the import fills.
AGENCY_ONLY = {"chronologies:import_progress"}
# A review's list of requests shows its contributors their own agency's requests only.
OWN_ONLY = {"chronologies:requests"}
# What the panel itself does to the combined chronology.
PANEL_ACTIONS = {"chronologies:entry_significance", "chronologies:entry_note"}


def patterns() -> Iterator[tuple[str, str]]:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "chronologies":
            for pattern in entry.url_patterns:
                assert isinstance(pattern, URLPattern)
                yield f"chronologies:{pattern.name}", f"/{entry.pattern}{pattern.pattern}"


SCOPED = sorted((name, route) for name, route in set(patterns()) if name not in NOT_SCOPED)


def fill(route: str, values: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(2)
        assert name in values, f"the access matrix has no value for <{name}> in {route}"
        return str(values[name])

    return re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def entry_fields(event: str) -> EntryFields:
    return EntryFields(
        on="12/03/2024",
        at="",
        subject="victim",
        source_record="REF-1",
        practitioner_role="Response officer",
        event=event,
        action_or_outcome="DASH completed",
        risks=(),
    )


def submitted(world: ChronologyWorld, kind_agency: Any, contributor: User) -> Any:
    """A chronology request of ``kind_agency`` with one entry, submitted by ``contributor``."""
    agency_request = world.send(kind_agency)
    draft = submissions.start_draft(agency_request, actor=contributor, request=None)
    submissions.add_entry(draft, actor=contributor, fields=entry_fields("Call to the police"), request=None)
    return submissions.submit(draft, actor=contributor, version=None, request=None)


@pytest.fixture
def matrix(chronology_world: ChronologyWorld) -> dict[str, Any]:
    world = chronology_world
    coordinator = world.coordinator
    version_1 = submitted(world, world.agency_a, world.contributor_a)
    submissions.return_submission(
        version_1, actor=coordinator, comments="Add the GP letters", version=None, request=None
    )
    draft = version_1.request.submissions.get(number=2)
    job = imports.start_import(
        draft, actor=world.contributor_a, content=csv_bytes([GOOD_ROW]), file_name="chronology.csv", request=None
    )
    accepted = submitted(world, world.agency_b, world.contributor_b)
    submissions.accept(accepted, actor=coordinator, comments="", version=None, request=None)
    scoping = world.send(world.agency_a, RequestKind.SCOPING)
    report = world.send(world.agency_a, RequestKind.IMR)
    _, stranger = world.add_agency("Agency C Housing")
    values = {
        "review_id": world.review.pk,
        "request_id": version_1.request_id,
        "submission_id": version_1.pk,
        "entry_id": version_1.entries.get().pk,
        "job_id": job.pk,
        "fmt": "csv",
    }
    combined_entry = Entry.objects.get(submission=accepted, combined=True).pk
    overrides: dict[str, dict[str, Any]] = {
        "chronologies:scoping_answer": {"request_id": scoping.pk},
        **{name: {"entry_id": combined_entry} for name in ("chronologies:combined_entry", *PANEL_ACTIONS)},
    }
    for name, _ in SCOPED:
        if name.startswith("chronologies:imr"):
            overrides[name] = {"request_id": report.pk}
    return {"world": world, "values": values, "overrides": overrides, "stranger": stranger}


def url_of(matrix: dict[str, Any], name: str, route: str) -> str:
    return fill(route, {**matrix["values"], **matrix["overrides"].get(name, {})})


def sees_nothing(matrix: dict[str, Any]) -> dict[str, User]:
    world: ChronologyWorld = matrix["world"]
    personas = world.reviews.personas
    return {
        "outsider": personas.outsider,
        "auditor": personas.auditor,
        "site_admin": personas.site_admin,
        "contributor of agency C": matrix["stranger"],
        "contributor of agency B": world.contributor_b,
    }


def readers(world: ChronologyWorld) -> dict[str, User]:
    return {
        "csp_chair": world.csp_chair,
        "coordinator": world.coordinator,
        "independent_chair": world.independent_chair,
        "panel_member": world.panel_member,
    }


@pytest.mark.parametrize(("name", "route"), SCOPED)
def test_every_role_against_this_url(
    matrix: dict[str, Any], verified_client: Callable[..., Client], name: str, route: str
) -> None:
    world: ChronologyWorld = matrix["world"]
    url = url_of(matrix, name, route)
    for role, user in sees_nothing(matrix).items():
        client = verified_client(user, sudo=True)
        before = newest_event()
        if name in OWN_ONLY and role.startswith("contributor"):
            page = client.get(url)
            assert page.status_code == 200, f"{role} GET {name}"
            assert world.agency_a.name not in page.content.decode(), f"{role} GET {name}"
            continue
        assert client.get(url).status_code == 404, f"{role} GET {name}"
        assert client.post(url, {}).status_code == 404, f"{role} POST {name}"
        assert allowed_since(before, reads=("exported",)) == [], f"{role} POST {name}"
    for role, user in readers(world).items():
        status = verified_client(user, sudo=True).get(url).status_code
        hidden = name in AGENCY_ONLY or (role == "panel_member" and "<int:submission_id>" in route)
        expected = {404} if hidden else {200, 302, 403, 405}
        if name.startswith("chronologies:imr"):
            # An IMR being written: its page is hidden, its actions refused.
            expected = {403, 404}
        assert status in expected, f"{role} GET {name}: {status}"
    member = verified_client(world.panel_member, sudo=True)
    before = newest_event()
    response = member.post(url, {})
    assert response.status_code in {200, 400, 403, 404, 405}, f"panel member POST {name}: {response.status_code}"
    if name not in PANEL_ACTIONS:
        assert allowed_since(before, reads=("exported",)) == [], f"panel member POST {name}"


def test_the_matrix_covers_every_chronology_url() -> None:
    names = {name for name, _ in patterns()}
    assert names - NOT_SCOPED == {name for name, _ in SCOPED}
    assert names >= AGENCY_ONLY | PANEL_ACTIONS | OWN_ONLY
