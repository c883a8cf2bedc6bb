"""The access matrix of the reports: every role against every URL of the ``reports`` namespace, GET
and POST, on a review with one of everything (see ``matrix_helpers``).

- Those who may not see the review (another partnership's chair and coordinator, an auditor, a
  site administrator, a user with national oversight only, agency B's contributor, who owns
  nothing): 404 everywhere, and nothing changes. Agency A's contributor owns an action: its page
  and its update, and nothing else of the review.
- The review's readers (panel member, independent chair, coordinator, CSP chair) see its pages;
  those who may not take an action get 403 for it, GET and POST, and nothing changes.
- Learning pages: a partnership's for its CSP chair and coordinator, the national one for national
  oversight; 404 for anyone else. Each person's own actions list answers everyone signed in.
- The public pages answer anyone, signed in or not, for live publications only; a publication never
  published, or taken down, is 404 to everyone.
- Signed out: every page but the public ones sends to sign in.

Each role walks a world of its own. POSTs are empty, so those who may act are mostly answered
with the form's errors; the few actions that need no input (closing the round, removing the
register entry, reopening an area, tagging) act on that role's world only. Every other request
must change no row of the reports models or of the review, and record no allowed audit event but
an audited read. Every pattern of ``reports.urls`` needs its row in ``PAGES``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from dhr_tracker.reports.urls import urlpatterns
from tests.conftest import allowed_since, newest_event
from tests.reports.conftest import ReportWorld
from tests.reports.matrix_helpers import LIVE_TITLE, TAKEN_DOWN_TITLE, Matrix, build, snapshot

pytestmark = pytest.mark.django_db

READ, FORM, ACTION, DOWNLOAD, SUDO, TAG, PUBLIC = "read", "form", "action", "download", "sudo", "tag", "public"

NOBODY = ("outsider_chair", "outsider_coordinator", "auditor", "site_admin", "national", "contributor_b")
ROLES = (*NOBODY, "contributor_a", "panel_member", "independent_chair", "coordinator", "csp_chair")
READERS = frozenset({"panel_member", "independent_chair", "coordinator", "csp_chair"})
RUNNERS = READERS - {"panel_member"}
MANAGERS = frozenset({"coordinator", "csp_chair"})
CSP_CHAIR = frozenset({"csp_chair"})
OWNER = frozenset({"contributor_a"})
EVERYONE = frozenset(ROLES)

# Audited reads: downloads, reveals in sudo mode, hits shown in context.
READS = ("exported", "revealed", "viewed")


@dataclass(frozen=True)
class Page:
    """How a page answers: ``seen`` may know it exists (404 otherwise); ``acts`` may use it (403 otherwise)."""

    kind: str
    acts: frozenset[str] = RUNNERS
    seen: frozenset[str] = READERS
    query: str = ""


PAGES: dict[str, Page] = {
    # Drafts, comments and sign-off.
    "reports": Page(READ),
    "starting_draft": Page(DOWNLOAD),
    "version_upload": Page(FORM),
    "panel_agreement": Page(FORM),
    "csp_approval": Page(FORM, CSP_CHAIR),
    "version": Page(READ),
    "circulate": Page(ACTION),
    "family_copy_add": Page(ACTION),
    "round": Page(READ),
    "comment_add": Page(ACTION, READERS),
    "round_close": Page(ACTION),
    "comment_resolve": Page(ACTION),
    "family_copy_return": Page(ACTION),
    "signoff_withdraw": Page(ACTION),
    # The action plan.
    "my_actions": Page(READ, seen=EVERYONE),
    "action_plan": Page(READ),
    "action_plan_export": Page(DOWNLOAD, READERS, query="?format=xlsx"),
    "recommendation_new": Page(FORM),
    "recommendation_edit": Page(FORM),
    "recommendation_delete": Page(FORM),
    "action_new": Page(FORM),
    "action": Page(READ, seen=READERS | OWNER),
    "action_edit": Page(FORM, seen=READERS | OWNER),
    "action_update": Page(ACTION, RUNNERS | OWNER, READERS | OWNER),
    # Home Office quality assurance.
    "qa": Page(READ),
    "qa_submit": Page(FORM, MANAGERS),
    "qa_outcome": Page(FORM, MANAGERS),
    "area_done": Page(ACTION),
    "area_reopen": Page(ACTION),
    # Anonymisation: the register is kept by the partnership and the independent chair.
    "register": Page(FORM),
    "register_add": Page(FORM),
    "register_reveal": Page(SUDO),
    "register_remove": Page(ACTION),
    "candidate_upload": Page(FORM),
    "candidate": Page(READ),
    "candidate_override": Page(SUDO, CSP_CHAIR),
    "hit_resolve": Page(ACTION),
    # Publication: the live publication is of another review of the partnership, which only the
    # partnership reads.
    "publication": Page(READ),
    "family_told": Page(FORM, MANAGERS),
    "publish": Page(FORM, CSP_CHAIR),
    "unpublish": Page(ACTION, MANAGERS, MANAGERS),
    "public_list": Page(PUBLIC),
    "public_partnership": Page(PUBLIC),
    "public_review": Page(PUBLIC),
    "public_file": Page(PUBLIC),
    # Learning.
    "themes": Page(TAG),
    "learning": Page(READ, seen=MANAGERS),
    "learning_export": Page(DOWNLOAD, MANAGERS, MANAGERS, query="?format=csv"),
    "national_learning": Page(READ, seen=frozenset({"national"})),
    "national_learning_export": Page(DOWNLOAD, frozenset({"national"}), frozenset({"national"}), query="?format=csv"),
}

# What a request that is let through answers.
DONE = {200, 302, 400}
ANSWERS: dict[str, tuple[set[int], set[int]]] = {
    # A page that only reads answers a POST as a read: with the page, or its form's errors.
    READ: ({200}, {200, 400}),
    FORM: ({200}, DONE),
    ACTION: ({405}, DONE),
    DOWNLOAD: ({200}, {200}),
    # A fresh second factor may be asked for.
    SUDO: ({200, 302}, DONE),
    TAG: ({200}, DONE),
    PUBLIC: ({200}, {200, 405}),
}


def expected(role: str, page: Page) -> tuple[set[int], set[int]]:
    """The statuses a GET and a POST of ``page`` may answer ``role``."""
    if page.kind == PUBLIC:
        return ANSWERS[PUBLIC]
    if role == "anonymous":
        return {302}, {302}
    if role not in page.seen:
        return {404}, {404}
    get, post = ANSWERS[page.kind]
    if page.kind == READ or role in page.acts:
        return get, post
    # Tagging: the page is read by all who see it; its POST is refused.
    return get if page.kind == TAG else {403}, {403}


def may_change(role: str, page: Page, method: str) -> bool:
    """Only a POST of a page that acts, by one who may act, may change something (audited reads aside)."""
    return method == "post" and page.kind not in (READ, PUBLIC) and role in page.acts and role in page.seen


def patterns() -> list[URLPattern]:
    found = []
    for entry in urlpatterns:
        assert isinstance(entry, URLPattern)
        found.append(entry)
    return found


def url_of(pattern: URLPattern, values: dict[str, Any]) -> str:
    missing = set(pattern.pattern.converters) - set(values)
    assert not missing, f"the access matrix has no value for {missing} in reports:{pattern.name}"
    kwargs = {name: values[name] for name in pattern.pattern.converters}
    return reverse(f"reports:{pattern.name}", kwargs=kwargs) + PAGES[str(pattern.name)].query


@dataclass
class Walk:
    """What went otherwise than expected, one line each."""

    problems: list[str] = field(default_factory=list)

    def request(self, client: Client, method: str, url: str, *, allowed: set[int], label: str, changes: bool) -> None:
        """One request: its status among ``allowed``; nothing changed unless ``changes``."""
        seq, before = (0, {}) if changes else (newest_event(), snapshot())
        status = getattr(client, method)(url).status_code
        if status not in allowed:
            self.problems.append(f"{label}: {status}, expected {sorted(allowed)}")
        if not changes:
            changed = allowed_since(seq, reads=READS)
            if changed or snapshot() != before:
                self.problems.append(f"{label}: changed something {changed}")


@pytest.fixture
def matrix(report_world: ReportWorld) -> Matrix:
    return build(report_world)


def client_of(matrix: Matrix, role: str, verified_client: Callable[..., Client]) -> Client:
    return Client() if role == "anonymous" else verified_client(matrix.users[role], sudo=True)


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_every_url_for_this_role(matrix: Matrix, verified_client: Callable[..., Client], role: str) -> None:
    client = client_of(matrix, role, verified_client)
    walk = Walk()
    for pattern in patterns():
        page = PAGES[str(pattern.name)]
        url = url_of(pattern, matrix.values)
        get, post = expected(role, page)
        for method, allowed in (("get", get), ("post", post)):
            label = f"{role} {method.upper()} reports:{pattern.name}"
            walk.request(client, method, url, allowed=allowed, label=label, changes=may_change(role, page, method))
    assert walk.problems == [], "\n".join(walk.problems)


def test_public_pages_show_only_live_publications(matrix: Matrix, verified_client: Callable[..., Client]) -> None:
    """A publication never published, or taken down, is not found by anyone; the lists show the live one only."""
    hidden = [
        reverse("reports:public_review", args=[publication.review.partnership.slug, publication.pk])
        for publication in matrix.hidden_publications
    ] + [reverse("reports:public_file", args=[item.pk]) for item in matrix.hidden_items]
    lists = [reverse("reports:public_list"), reverse("reports:public_partnership", args=[matrix.values["slug"]])]
    for role in ("anonymous", *ROLES):
        client = client_of(matrix, role, verified_client)
        for url in hidden:
            assert client.get(url).status_code == 404, f"{role} GET {url}"
        for url in lists:
            page = client.get(url).content.decode()
            assert LIVE_TITLE in page, f"{role} GET {url}"
            assert TAKEN_DOWN_TITLE not in page, f"{role} GET {url}"
            assert matrix.world.review.reference not in page, f"{role} GET {url}"


def test_the_matrix_covers_every_reports_url() -> None:
    names = [str(pattern.name) for pattern in patterns()]
    assert len(names) == len(set(names))
    assert set(names) == set(PAGES), "every reports URL needs its row in PAGES, and no row may be left over"
