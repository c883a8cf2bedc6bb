"""The access matrix of funding: every role against every URL of the ``funding`` namespace, GET and
POST, on each partnership's objects (see ``matrix_helpers``).

- Exampleshire's CSP chair and coordinator see the national fund and Exampleshire's, its
  applications and the ledgers of its commenced reviews; Otherborough's CSP chair (the outsider)
  sees the national fund and Otherborough's. Anything of the other partnership is a 404, and so is
  the ledger of a review not yet commenced, to everyone.
- Site administrators see the funds (and change the national one only); no application, no ledger.
- The review's independent chair and panel member, agency contributors and auditors: 404 everywhere.
- Visible but not allowed is a 403: a coordinator submitting, a partnership changing the national
  fund or applying to another's, an application changed, decided, paid or withdrawn where its
  status rules that out. Submitting is POST only: a GET by the chair is a 405.
- Exports answer those who see what they export, in "csv" or "xlsx"; any other format is a 404.
- Signed out, or without a verified second factor: sent to sign in, or to the second factor.

POSTs are empty, so those who may act are answered with the form's errors (the empty draft has
nothing to submit). So no request may change any row of the funding models or the secure
spaces' documents, nor record an allowed or ``funding.*`` audit event, but for the audited read
(``funding.exported``) of each export answered. Every pattern of ``funding.urls`` needs its row
in ``PAGES``.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from audit.models import Outcome, PendingEvent
from dhr_tracker.accounts.models import User
from dhr_tracker.funding.exports import EXPORTED
from dhr_tracker.funding.urls import urlpatterns
from tests.conftest import newest_event
from tests.funding.conftest import FundingWorld
from tests.funding.matrix_helpers import Matrix, build, snapshot
from tests.reviews.conftest import ReviewWorld, review_world
from tests.sharing.conftest import clean_storage

__all__ = ["clean_storage", "review_world"]  # fixtures, used by name

pytestmark = pytest.mark.django_db

READ, FORM, ACTION, DOWNLOAD = "read", "form", "action", "download"

EXAMPLESHIRE = frozenset({"csp_chair", "coordinator"})
OTHERBOROUGH = frozenset({"outsider"})
MANAGERS = EXAMPLESHIRE | OTHERBOROUGH
ADMIN = frozenset({"site_admin"})
NOBODY: frozenset[str] = frozenset()
CHAIRS = frozenset({"csp_chair", "outsider"})
VERIFIED = (
    "csp_chair",
    "coordinator",
    "independent_chair",
    "panel_member",
    "contributor_a",
    "contributor_b",
    "auditor",
    "site_admin",
    "outsider",
)
# Where those who may not go on are sent: the sign-in page, or the second factor's set-up or check.
SENT_AWAY = {"anonymous": "accounts:sign_in", "unverified": "accounts:enrol", "chair_password_only": "accounts:verify"}
ROLES = (*VERIFIED, *SENT_AWAY)

# Who sees each object of ``matrix_helpers``.
SEEN: dict[str, frozenset[str]] = {
    "local": EXAMPLESHIRE,
    "national": MANAGERS | ADMIN,
    "other_stream": OTHERBOROUGH,
    "draft": EXAMPLESHIRE,
    "submitted": EXAMPLESHIRE,
    "approved": EXAMPLESHIRE,
    "other_draft": OTHERBOROUGH,
    "first": EXAMPLESHIRE,
    "panel": EXAMPLESHIRE,
    "pending": NOBODY,
    "lone": OTHERBOROUGH,
    "cost": EXAMPLESHIRE,
    "other_cost": OTHERBOROUGH,
    "contribution": EXAMPLESHIRE,
    "other_contribution": OTHERBOROUGH,
    "exampleshire": EXAMPLESHIRE,
    "otherborough": OTHERBOROUGH,
}
STREAMS = ("local", "national", "other_stream")
APPLICATIONS = ("draft", "submitted", "approved", "other_draft")
REVIEWS = ("first", "panel", "pending", "lone")
DRAFTS = {"draft": EXAMPLESHIRE, "other_draft": OTHERBOROUGH}
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Page:
    """How a page answers for each of ``objects``: 404 to those who do not see the object, 403 to
    those who see it but are not among ``acts[object]`` (everyone who sees it, without ``acts``).

    A page of no object is seen by ``seen``.
    """

    kind: str
    objects: tuple[str, ...] = ()
    acts: Mapping[str, frozenset[str]] | None = None
    seen: frozenset[str] = NOBODY


PAGES: dict[str, Page] = {
    # Streams.
    "streams": Page(READ, seen=MANAGERS | ADMIN),
    "stream_new": Page(FORM, seen=MANAGERS | ADMIN),
    "stream": Page(READ, STREAMS),
    "stream_edit": Page(FORM, STREAMS, {"local": EXAMPLESHIRE, "national": ADMIN, "other_stream": OTHERBOROUGH}),
    # Applications.
    "applications": Page(READ, seen=MANAGERS),
    "application_new": Page(FORM, STREAMS, {"local": EXAMPLESHIRE, "national": MANAGERS, "other_stream": OTHERBOROUGH}),
    "application": Page(READ, APPLICATIONS),
    "application_edit": Page(FORM, APPLICATIONS, DRAFTS),
    "application_submit": Page(ACTION, APPLICATIONS, {"draft": EXAMPLESHIRE & CHAIRS, "other_draft": CHAIRS}),
    "application_decision": Page(FORM, APPLICATIONS, {"submitted": EXAMPLESHIRE}),
    "application_payment": Page(FORM, APPLICATIONS, {"approved": EXAMPLESHIRE}),
    "application_withdraw": Page(
        FORM,
        APPLICATIONS,
        {"draft": EXAMPLESHIRE, "submitted": EXAMPLESHIRE, "approved": EXAMPLESHIRE, "other_draft": OTHERBOROUGH},
    ),
    "application_document_add": Page(FORM, APPLICATIONS, DRAFTS),
    # Ledgers.
    "ledger": Page(READ, REVIEWS),
    "ledger_budget": Page(FORM, REVIEWS),
    "cost_new": Page(FORM, REVIEWS),
    "cost_cancel": Page(FORM, ("cost", "other_cost")),
    "contribution_new": Page(FORM, REVIEWS),
    "contribution_receive": Page(FORM, ("contribution", "other_contribution")),
    "contribution_cancel": Page(FORM, ("contribution", "other_contribution")),
    "partnership_ledger": Page(READ, ("exampleshire", "otherborough")),
    # Exports.
    "applications_export": Page(DOWNLOAD, seen=MANAGERS),
    "application_export": Page(DOWNLOAD, APPLICATIONS),
    "ledger_export": Page(DOWNLOAD, REVIEWS),
    "partnership_ledger_export": Page(DOWNLOAD, ("exampleshire", "otherborough")),
}

# What a request that is let through answers, GET and POST.
DONE = {200, 302, 400}
ANSWERS: dict[str, tuple[set[int], set[int]]] = {
    READ: ({200}, {200}),
    FORM: ({200}, DONE),
    ACTION: ({405}, DONE),
    DOWNLOAD: ({200}, {200}),
}


@dataclass(frozen=True)
class Target:
    """One URL of a page: the object it is about (if any), with who sees it and who acts on it."""

    label: str
    kwargs: dict[str, Any]
    seen: frozenset[str]
    acts: frozenset[str]


def targets(page: Page, objects: dict[str, dict[str, Any]]) -> list[Target]:
    """Each object of ``page``; for an export, each in CSV, the first in XLSX too, and in a format there is not."""
    found = [
        Target(name, objects[name], SEEN[name], SEEN[name] if page.acts is None else page.acts.get(name, NOBODY))
        for name in page.objects
    ] or [Target("", {}, page.seen, page.seen)]
    if page.kind != DOWNLOAD:
        return found
    first = found[0]
    return [
        *(Target(f"{target.label}.csv", target.kwargs | {"fmt": "csv"}, target.seen, target.acts) for target in found),
        Target(f"{first.label}.xlsx", first.kwargs | {"fmt": "xlsx"}, first.seen, first.acts),
        Target(f"{first.label}.pdf", first.kwargs | {"fmt": "pdf"}, NOBODY, NOBODY),
    ]


def expected(role: str, page: Page, target: Target) -> tuple[set[int], set[int]]:
    """The statuses a GET and a POST of ``target`` may answer ``role``."""
    if role in SENT_AWAY:
        return {302}, {302}
    if role not in target.seen:
        return {404}, {404}
    if page.kind == READ or role in target.acts:
        return ANSWERS[page.kind]
    return {403}, {403}


def patterns() -> list[URLPattern]:
    found = []
    for entry in urlpatterns:
        assert isinstance(entry, URLPattern)
        found.append(entry)
    return found


@dataclass
class Walk:
    """Requests against a world that must not change; what went otherwise than expected, one line each."""

    rows: dict[str, Any]
    mark: int
    problems: list[str] = field(default_factory=list)
    count: int = 0

    def request(
        self,
        client: Client,
        method: str,
        url: str,
        *,
        allowed: set[int],
        sent_to: str | None,
        download: bool,
        label: str,
    ) -> None:
        """Make one request: its status among ``allowed``, nothing changed, only an answered export audited."""
        response = getattr(client, method)(url)
        self.count += 1
        status = response.status_code
        if status not in allowed:
            self.problems.append(f"{label}: {status}, expected {sorted(allowed)}")
        if sent_to is not None and not response.get("Location", "").startswith(reverse(sent_to)):
            self.problems.append(f"{label}: sent to {response.get('Location')}, expected {sent_to}")
        events = PendingEvent.objects.filter(id__gt=self.mark).order_by("id").values_list("id", "action", "outcome")
        recorded = []
        for self.mark, action, outcome in events:
            if outcome == Outcome.ALLOWED or action.startswith("funding."):
                recorded.append(action)
        read = [EXPORTED] if download and status == 200 else []
        if recorded != read:
            self.problems.append(f"{label}: recorded {recorded}, expected {read}")
        rows = snapshot()
        if rows != self.rows:
            self.problems.append(f"{label}: changed funding rows")
            self.rows = rows


@pytest.fixture
def matrix(review_world: ReviewWorld, funding_world: FundingWorld, clean_storage: None) -> Matrix:
    # The review world first: its notification is checked for duplicates of funding_world's, and refused.
    return build(funding_world, review_world)


def clients(
    matrix: Matrix,
    world: FundingWorld,
    password_only_client: Callable[[User], Client],
) -> dict[str, Client]:
    """A client for each role; the CSP chair signed in with a password only once their device is enrolled."""
    signed_in = {role: world.client(matrix.users[role]) for role in VERIFIED}
    return signed_in | {
        "anonymous": Client(),
        "unverified": password_only_client(world.personas.unverified),
        "chair_password_only": password_only_client(world.csp_chair),
    }


def test_every_funding_url_for_every_role(
    matrix: Matrix, funding_world: FundingWorld, password_only_client: Callable[[User], Client]
) -> None:
    by_role = clients(matrix, funding_world, password_only_client)
    walk = Walk(rows=snapshot(), mark=newest_event())
    for pattern in patterns():
        name = str(pattern.name)
        page = PAGES[name]
        for target in targets(page, matrix.objects):
            url = reverse(f"funding:{name}", kwargs=target.kwargs)
            for role in ROLES:
                get, post = expected(role, page, target)
                for method, allowed in (("get", get), ("post", post)):
                    label = f"{role} {method.upper()} funding:{name} {target.label}"
                    walk.request(
                        by_role[role],
                        method,
                        url,
                        allowed=allowed,
                        sent_to=SENT_AWAY.get(role),
                        download=page.kind == DOWNLOAD,
                        label=label,
                    )
    assert walk.problems == [], "\n".join(walk.problems)
    assert walk.count == 2 * len(ROLES) * sum(len(targets(page, matrix.objects)) for page in PAGES.values())


def test_the_matrix_covers_every_funding_url() -> None:
    names = [str(pattern.name) for pattern in patterns()]
    assert len(names) == len(set(names))
    assert set(names) == set(PAGES), "every funding URL needs its row in PAGES, and no row may be left over"
    for pattern in patterns():
        page = PAGES[str(pattern.name)]
        parameters = set(pattern.pattern.converters) - {"fmt"}
        assert (page.kind == DOWNLOAD) == ("fmt" in pattern.pattern.converters), pattern.name
        for name in page.objects:
            assert name in SEEN, f"funding:{pattern.name}: who sees {name}?"
        assert bool(page.objects) == bool(parameters), f"funding:{pattern.name} needs objects for {parameters}"
