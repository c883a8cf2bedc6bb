"""The access matrix of every URL the app matrices do not walk: accounts, the audit trail, sharing,
the home page and health check, the few pages of reviews and chronologies that are about no one
record, and Django's admin. Every role against every URL, GET and an empty POST, on objects of
their own partnership (Exampleshire) and of the other (Otherborough) (see ``matrix_world``).

- Deny by default. An object a verified user may not see is a 404; a page whose rule they do not
  meet (site administration, the audit trail, notifying a death, statistics) or an object they see
  but may not change is a 403. Signed out, or without a second factor, they are sent to sign in or
  to the second factor; only sign-in, password reset and the health check answer everyone.
- Protocols are seen by the partnership's CSP chair and coordinator, who run them, and by the
  people of their parties; spaces by those who run them and by their members; documents only by
  members acting for the owning agency or holding a grant, never by those who merely run the space.
- The audit trail is the partnership's auditor's, for its own events only. People, roles and
  memberships are the site administrator's, who sees no review, document or audit event.
- The admin answers a redirect, 403 or 404 to everyone but a verified site administrator, for
  whom partnerships and agencies are editable, people, roles and memberships read-only, and
  groups and django-auditlog's history out of reach.

No request may change a row of the accounts or sharing models, nor record an allowed audit event,
but for audited reads (downloads, audit searches, views and exports) and for the cells that act
without any input (signing out, revoking a role or a grant, removing a member, ...): those must
record their event, and are then rolled back so that the walk goes on in the same world. Every
403 and 404 is recorded in the audit trail as a refusal, as the security model promises.
"""

import copy
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import get_resolver, reverse

from audit.models import Outcome
from dhr_tracker.accounts.models import User
from dhr_tracker.accounts.rules import PASSWORD_ONLY, PUBLIC, VERIFIED
from tests.accounts.test_url_rules import walk
from tests.security.matrix_world import Fingerprint, Matrix, Taken, build, watched
from tests.sharing.conftest import World, clean_storage, world

__all__ = ["clean_storage", "world"]  # fixtures, used by name

pytestmark = pytest.mark.django_db

# The roles. Those signed in with a verified second factor; then those sent away before any view.
VERIFIED_ROLES = (
    "csp_chair",
    "coordinator",
    "auditor",
    "contributor_a",
    "contributor_b",
    "colleague_a",
    "other_member",
    "site_admin",
    "outsider",
)
SENT_TO = {"anonymous": "accounts:sign_in", "unverified": "accounts:enrol", "chair_password_only": "accounts:verify"}
ROLES = (*VERIFIED_ROLES, *SENT_TO)

EVERYONE = frozenset(VERIFIED_ROLES)
ALL = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
EXAMPLESHIRE = frozenset({"csp_chair", "coordinator"})
OTHERBOROUGH = frozenset({"outsider"})
MANAGERS = EXAMPLESHIRE | OTHERBOROUGH
SITE_ADMIN = frozenset({"site_admin"})
AUDITORS = frozenset({"auditor"})
# Agency A's and B's people: parties to Exampleshire's protocols; the first two are space members.
MEMBERS_A = frozenset({"contributor_a", "contributor_b"})
PARTIES_A = MEMBERS_A | {"colleague_a"}
MEMBERS_B = frozenset({"other_member"})
MEMBERS = MEMBERS_A | MEMBERS_B

# Who sees each object of ``matrix_world`` (a page's rule is checked first).
SEEN: dict[str, frozenset[str]] = {
    "protocol_a": EXAMPLESHIRE | PARTIES_A,
    "draft_a": EXAMPLESHIRE | PARTIES_A,
    "protocol_b": OTHERBOROUGH | MEMBERS_B,
    "party_a": EXAMPLESHIRE | PARTIES_A,
    "draft_party_a": EXAMPLESHIRE | PARTIES_A,
    "party_c": OTHERBOROUGH | MEMBERS_B,
    "space_a": EXAMPLESHIRE | MEMBERS_A,
    "space_b": OTHERBOROUGH | MEMBERS_B,
    "member_b": EXAMPLESHIRE | MEMBERS_A,
    "member_c": OTHERBOROUGH | MEMBERS_B,
    "hold_a": EXAMPLESHIRE | MEMBERS_A,
    "hold_c": OTHERBOROUGH | MEMBERS_B,
    # Contributor B holds a grant to contributor A's document.
    "doc_a": MEMBERS_A,
    "doc_b": frozenset({"contributor_b"}),
    "doc_c": MEMBERS_B,
    "version_a": MEMBERS_A,
    "version_b": frozenset({"contributor_b"}),
    "version_c": MEMBERS_B,
    "grant_a": MEMBERS_A,
    "grant_c": MEMBERS_B,
    "event_a": AUDITORS,
    "event_b": NOBODY,
    # Who did or touched what: a search of the auditor's own scope, whoever is asked about.
    "actor_a": AUDITORS,
    "actor_b": AUDITORS,
    "target_a": AUDITORS,
    "target_b": AUDITORS,
    "person_a": SITE_ADMIN,
    "person_b": SITE_ADMIN,
    "role_a": SITE_ADMIN,
    "role_b": SITE_ADMIN,
    "membership_a": SITE_ADMIN,
    "membership_b": SITE_ADMIN,
    "reset_link": ALL,
    "stale_link": ALL,
    "stats_a": EXAMPLESHIRE,
    "stats_b": OTHERBOROUGH,
}
# Those acting for each document's owning agency.
OWNERS = {
    "doc_a": frozenset({"contributor_a"}),
    "doc_b": frozenset({"contributor_b"}),
    "doc_c": MEMBERS_B,
    "grant_a": frozenset({"contributor_a"}),
    "grant_c": MEMBERS_B,
}
# Those who run each active protocol.
RUN_BY = {"protocol_a": EXAMPLESHIRE, "protocol_b": OTHERBOROUGH}
PROTOCOLS = ("protocol_a", "protocol_b")
SPACES = ("space_a", "space_b")
DOCUMENTS = ("doc_a", "doc_b", "doc_c")
PEOPLE = ("person_a", "person_b")


@dataclass(frozen=True)
class Page:
    """How a page answers.

    ``rule`` is the view's access rule; a verified user not among ``holders`` (the view's
    predicate) is refused with a 403 before anything is looked up. Then, for each of ``objects``:
    404 to those who do not see it, ``refused`` to those who see it but are not among ``acts``
    (everyone who sees it, without ``acts``; a mapping gives them per object), and ``get`` and
    ``post`` (an empty one) to those who act. ``get=None`` is a page that only takes a POST: it
    answers a GET with 405 before looking anything up. ``redirects``: those the page itself sends
    on, and where (the sign-in pages, once a step is done).

    ``effect`` is the event a POST by those who act records (the cells that act without input);
    ``read`` the audited read that answering them records; ``failed`` the failure recorded for those
    refused without a 403 or 404 (which always record ``access.denied``). ``lists``: objects whose
    names the page shows exactly to those who see them. ``sudo``: those who act must have given a
    code lately.
    """

    get: int | None
    post: int
    objects: tuple[str, ...] = ()
    rule: str = VERIFIED
    holders: frozenset[str] = EVERYONE
    acts: Mapping[str, frozenset[str]] | frozenset[str] | None = None
    refused: int = 403
    redirects: Mapping[str, str] = field(default_factory=dict)
    effect: str = ""
    read: str = ""
    failed: str = ""
    lists: tuple[str, ...] = ()
    sudo: bool = False


# Page(what a GET answers those who may use it, what an empty POST answers them, the objects, ...).
PAGES: dict[str, Page] = {
    # The pages of every signed-in person.
    "home": Page(200, 200),
    "health": Page(200, 200, rule=PUBLIC),
    "reviews:dashboard": Page(200, 200),
    "reviews:notify": Page(200, 400, holders=MANAGERS),
    "reviews:statistics": Page(200, 200, ("stats_a", "stats_b"), holders=MANAGERS),
    "chronologies:my_requests": Page(200, 200),
    # Signing in: each step sends on those who have done it.
    "accounts:sign_in": Page(200, 400, rule=PUBLIC, redirects=dict.fromkeys(EVERYONE, "home")),
    "accounts:verify": Page(
        200, 400, rule=PASSWORD_ONLY, redirects=dict.fromkeys(EVERYONE, "home") | {"unverified": "accounts:enrol"}
    ),
    # Holding a password alone must never be enough to add a device: those who have one give its code.
    "accounts:enrol": Page(
        200, 400, rule=PASSWORD_ONLY, redirects=dict.fromkeys({*EVERYONE, "chair_password_only"}, "accounts:verify")
    ),
    "accounts:backup_code_used": Page(200, 200),
    "accounts:sign_out": Page(None, 302, rule=PASSWORD_ONLY, effect="auth.logout"),
    "accounts:sudo": Page(200, 400),
    "accounts:password_reset": Page(200, 400, rule=PUBLIC),
    "accounts:password_reset_confirm": Page(
        200,
        400,
        ("reset_link", "stale_link"),
        rule=PUBLIC,
        acts={"reset_link": ALL},
        refused=400,
        failed="auth.password_reset_failed",
    ),
    # One's own account.
    "accounts:account": Page(200, 200),
    "accounts:change_password": Page(200, 400),
    "accounts:new_backup_codes": Page(200, 200, effect="auth.backup_codes_regenerated", sudo=True),
    "accounts:sign_out_everywhere": Page(None, 302, effect="auth.signed_out_everywhere"),
    # Site administration.
    "accounts:manage_users": Page(200, 200, holders=SITE_ADMIN),
    "accounts:manage_user_new": Page(200, 400, holders=SITE_ADMIN),
    "accounts:manage_user": Page(200, 200, PEOPLE, holders=SITE_ADMIN),
    "accounts:manage_grant_role": Page(200, 400, PEOPLE, holders=SITE_ADMIN, sudo=True),
    "accounts:manage_revoke_role": Page(
        None, 302, ("role_a", "role_b"), holders=SITE_ADMIN, effect="role.revoked", sudo=True
    ),
    # Without the box ticked it removes national oversight, which neither person has: nothing to do.
    "accounts:manage_national_oversight": Page(None, 302, PEOPLE, holders=SITE_ADMIN, sudo=True),
    "accounts:manage_add_membership": Page(200, 400, PEOPLE, holders=SITE_ADMIN),
    "accounts:manage_end_membership": Page(
        None, 302, ("membership_a", "membership_b"), holders=SITE_ADMIN, effect="membership.ended"
    ),
    "accounts:manage_unlock": Page(None, 302, PEOPLE, holders=SITE_ADMIN, effect="auth.unlocked"),
    "accounts:manage_reset_second_factor": Page(
        200, 302, PEOPLE, holders=SITE_ADMIN, effect="auth.device_removed", sudo=True
    ),
    "accounts:manage_set_active": Page(None, 302, PEOPLE, holders=SITE_ADMIN, effect="user.deactivated"),
    # The audit trail: reading it is itself recorded.
    "audit:home": Page(200, 200, holders=AUDITORS),
    "audit:search": Page(200, 200, holders=AUDITORS, read="audit.searched"),
    "audit:event": Page(200, 200, ("event_a", "event_b"), holders=AUDITORS, read="audit.viewed"),
    "audit:actor": Page(302, 302, ("actor_a", "actor_b"), holders=AUDITORS),
    "audit:target": Page(302, 302, ("target_a", "target_b"), holders=AUDITORS),
    "audit:download_csv": Page(200, 200, holders=AUDITORS, read="audit.exported", sudo=True),
    "audit:download_jsonl": Page(200, 200, holders=AUDITORS, read="audit.exported", sudo=True),
    # Protocols: only a draft nobody has signed can be edited; an active one cannot be reinstated.
    "sharing:protocols": Page(200, 200, lists=("protocol_a", "draft_a", "protocol_b")),
    "sharing:protocol_new": Page(200, 400, acts=MANAGERS),
    "sharing:protocol": Page(200, 200, PROTOCOLS),
    "sharing:protocol_edit": Page(200, 400, (*PROTOCOLS, "draft_a"), acts={"draft_a": EXAMPLESHIRE}),
    "sharing:protocol_sign": Page(
        200,
        302,
        ("party_a", "draft_party_a", "party_c"),
        acts={"draft_party_a": frozenset({"contributor_a"})},
        effect="sharing.protocol_signed",
        sudo=True,
    ),
    # A draft cannot be suspended.
    "sharing:protocol_suspend": Page(200, 400, (*PROTOCOLS, "draft_a"), acts=RUN_BY, sudo=True),
    "sharing:protocol_reinstate": Page(None, 302, PROTOCOLS, acts=NOBODY, sudo=True),
    "sharing:protocol_withdraw": Page(200, 400, PROTOCOLS, acts=MANAGERS, sudo=True),
    "sharing:protocol_redraft": Page(None, 302, PROTOCOLS, acts=MANAGERS, effect="sharing.protocol_drafted"),
    "sharing:space_new": Page(200, 400, PROTOCOLS, acts=MANAGERS),
    # Spaces: run by the partnership, used by their members.
    "sharing:spaces": Page(200, 200, lists=SPACES),
    "sharing:space": Page(200, 200, SPACES),
    "sharing:member_add": Page(200, 400, SPACES, acts=MANAGERS),
    "sharing:member_remove": Page(None, 302, ("member_b", "member_c"), acts=MANAGERS, effect="sharing.member_removed"),
    "sharing:document_upload": Page(200, 400, SPACES, acts=MEMBERS),
    "sharing:legal_hold": Page(200, 400, ("hold_a", "hold_c"), acts=MANAGERS, sudo=True),
    # Documents: the owning agency's members change them; a grant only opens them.
    "sharing:document": Page(200, 200, DOCUMENTS),
    "sharing:version_upload": Page(200, 400, DOCUMENTS, acts=OWNERS),
    "sharing:version_download": Page(
        200, 200, ("version_a", "version_b", "version_c"), read="sharing.document_downloaded"
    ),
    "sharing:grant_add": Page(None, 400, DOCUMENTS, acts=OWNERS),
    "sharing:grant_revoke": Page(None, 302, ("grant_a", "grant_c"), acts=OWNERS, effect="sharing.access_revoked"),
}


@dataclass(frozen=True)
class Target:
    """One URL of a page: the object it is about (if any), who sees it and who acts on it."""

    label: str
    url: str
    seen: frozenset[str]
    acts: frozenset[str]


def targets(name: str, page: Page, matrix: Matrix) -> list[Target]:
    """Each object of ``page`` as a URL, or the page itself when it is about no object."""
    if not page.objects:
        acts = ALL if page.acts is None else page.acts
        assert isinstance(acts, frozenset), f"{name} has no objects to give acts per object"
        return [Target("", reverse(name), ALL, acts)]
    found = []
    for label in page.objects:
        seen = SEEN[label]
        acts = (
            page.acts.get(label, NOBODY)
            if isinstance(page.acts, Mapping)
            else (seen if page.acts is None else page.acts)
        )
        url = reverse(name, kwargs=matrix.objects[label]) + matrix.queries.get(label, "")
        found.append(Target(label, url, seen, seen & acts))
    return found


def passes_rule(role: str, page: Page) -> bool:
    """Whether ``role`` gets past the middleware and the view's rule to the page itself."""
    if page.rule == PUBLIC:
        return True
    if page.rule == PASSWORD_ONLY:
        return role != "anonymous"
    return role in page.holders


def acting(role: str, page: Page, target: Target) -> bool:
    return passes_rule(role, page) and role not in page.redirects and role in target.acts


def expected(role: str, page: Page, target: Target) -> tuple[int, int]:
    """The statuses a GET and an empty POST of ``target`` answer ``role``."""
    if role in page.redirects:
        return 302, 302
    if not passes_rule(role, page):
        # Sent to sign in or to the second factor; or refused by the view's rule.
        return (302, 302) if role in SENT_TO else (403, 403)
    # A page that only takes a POST refuses a GET before looking anything up.
    post_only = 405 if page.get is None else None
    if role not in target.seen:
        return post_only or 404, 404
    if role not in target.acts:
        return post_only or page.refused, page.refused
    return post_only or page.get or 0, page.post


def events(role: str, page: Page, target: Target, method: str) -> list[str]:
    """The allowed audit events a request records: an action's, or an audited read's."""
    if not acting(role, page, target) or (method == "get" and page.get is None):
        return []
    if page.effect:
        return [page.effect] if method == "post" else []
    return [page.read] if page.read else []


def refusals(role: str, page: Page, target: Target, status: int) -> list[str]:
    """The refusals a request records: every 403 and 404, and a page's own failures."""
    if status in {403, 404}:
        return ["access.denied"]
    if page.failed and passes_rule(role, page) and role in target.seen and role not in target.acts:
        return [page.failed]
    return []


# The admin's pages for a verified site administrator, (GET, POST), by what they are.
ADMIN_PAGES = {
    # Our sign-in, password change and sign-out replace the admin's own (dhr_tracker/urls.py).
    "login": (403, 403),
    "logout": (405, 302),
    "password_change": (302, 302),
    "password_change_done": (200, 405),
    "index": (200, 200),
    "jsi18n": (200, 405),
    # Refused without the parameters the admin's widgets send.
    "autocomplete": (403, 405),
    # No model of ours has an address to go to.
    "view_on_site": (404, 404),
    "catch_all": (404, 404),
}
ADMIN_EFFECTS = {"logout": "auth.logout"}
EDITABLE = {
    "changelist": (200, 200),
    "add": (200, 200),
    "history": (200, 200),
    "delete": (403, 403),
    "change": (200, 200),
    "redirect": (302, 302),
}
READ_ONLY = EDITABLE | {"add": (403, 403), "change": (200, 403)}
HIDDEN = dict.fromkeys(EDITABLE, (403, 403)) | {"redirect": (302, 302)}
# People, roles and memberships change only through the audited pages under /manage/.
ADMIN_MODELS = {
    "accounts.partnership": EDITABLE,
    "accounts.agency": EDITABLE,
    "accounts.user": READ_ONLY,
    "accounts.partnershiprole": READ_ONLY,
    "accounts.agencymembership": READ_ONLY,
    "auth.group": HIDDEN,
    "auditlog.logentry": HIDDEN,
}
# The admin's page of each app: only accounts' has anything for the site administrator.
ADMIN_APPS = {"accounts": (200, 200), "auth": (404, 404), "auditlog": (404, 404)}


def fill(route: str, values: Mapping[str, Any]) -> str:
    """A route with its parameters, in path form (``<int:x>``) or regular-expression form, filled in."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: str(values[match.group(1)]), route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


@dataclass(frozen=True)
class AdminTarget:
    """One admin URL, the site administrator's answers to a GET and a POST, and what a POST records."""

    label: str
    url: str
    answers: tuple[int, int]
    effect: str = ""


def admin_patterns() -> Iterator[tuple[str, str]]:
    """The route and name of every admin URL (``admin:None`` for those without a name)."""
    for route, name, _ in walk(get_resolver()):
        if name.startswith("admin:"):
            yield route, name


def admin_kind(route: str, name: str) -> tuple[str, str]:
    """What an admin URL is: a model's label and which of its pages, or ``""`` and which page of the site."""
    short = name.removeprefix("admin:")
    app, model, *_ = [*route.removeprefix("admin/").split("/"), ""]
    if f"{app}.{model}" in ADMIN_MODELS:
        kind = "redirect" if short == "None" else short.removeprefix(f"{app}_{model}_")
        assert kind in ADMIN_MODELS[f"{app}.{model}"], f"the admin matrix has no answers for {name} ({route})"
        return f"{app}.{model}", kind
    kind = "catch_all" if short == "None" and route.endswith("(?P<url>.*)$") else short
    assert kind in ADMIN_PAGES or kind == "app_list", f"the admin matrix has no answers for {name} ({route})"
    return "", kind


def admin_targets(matrix: Matrix) -> Iterator[AdminTarget]:
    """Every admin URL, on one object of each model."""
    for route, name in admin_patterns():
        model, kind = admin_kind(route, name)
        if model:
            url = fill(route, matrix.objects[f"admin:{model}"])
            yield AdminTarget(f"{model} {kind}", url, ADMIN_MODELS[model][kind])
        elif kind == "app_list":
            for app_label, answers in ADMIN_APPS.items():
                yield AdminTarget(f"app_list {app_label}", fill(route, {"app_label": app_label}), answers)
        else:
            values = {"url": "no-such-page/", **matrix.objects.get(f"admin:{kind}", {})}
            yield AdminTarget(kind, fill(route, values), ADMIN_PAGES[kind], ADMIN_EFFECTS.get(kind, ""))


def expected_admin(role: str, target: AdminTarget) -> tuple[int, int]:
    """Sent to sign in or the second factor, the site administrator's answers, or refused."""
    if role in SENT_TO:
        return 302, 302
    if role in SITE_ADMIN:
        return target.answers
    # Django's admin sends others to its sign-in page, which refuses anyone signed in.
    return (403, 403) if target.label == "login" else (302, 302)


def sent_to_admin(role: str, target: AdminTarget) -> str | None:
    """Where the admin sends ``role``: to sign in or the second factor, or to its own sign-in page."""
    if role in SENT_TO:
        return SENT_TO[role]
    if role in SITE_ADMIN or target.label == "login":
        return None
    return "admin:index" if target.label == "logout" else "admin:login"


@dataclass
class Walk:
    """Requests against a world that must not change; what went otherwise than expected, one line each."""

    fingerprint: Fingerprint
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        taken = self.fingerprint.take(0)
        self.last, self.rows = taken.last, taken.rows

    def request(
        self,
        client: Client,
        method: str,
        url: str,
        *,
        status: int,
        label: str,
        read: list[str],
        denied: list[str],
        effect: str = "",
        sent_to: str | None = None,
    ) -> Any:
        """Make one request: its status, nothing changed, only ``read`` audited as allowed and
        ``denied`` as refused or failed; or, if it has an ``effect``, that event recorded, and the change
        rolled back."""
        if effect:
            response, taken = self._act(client, method, url)
            read = [effect]
        else:
            response = self._send(client, method, url)
            taken = self.fingerprint.take(self.last)
            self.last = taken.last
            if taken.rows != self.rows:
                self.problems.append(f"{label}: changed accounts or sharing rows")
                self.rows = taken.rows
        if taken.actions(Outcome.ALLOWED) != read:
            self.problems.append(f"{label}: recorded {taken.actions(Outcome.ALLOWED)}, expected {read}")
        if taken.refusals() != denied:
            self.problems.append(f"{label}: recorded refusals {taken.refusals()}, expected {denied}")
        if response.status_code != status:
            self.problems.append(f"{label}: {response.status_code}, expected {status}")
        if sent_to is not None and urlsplit(response.get("Location", "")).path != reverse(sent_to):
            self.problems.append(f"{label}: sent to {response.get('Location')}, expected {sent_to}")
        return response

    def _act(self, client: Client, method: str, url: str) -> tuple[Any, Taken]:
        cookies = copy.deepcopy(client.cookies)
        with transaction.atomic():
            response = self._send(client, method, url)
            taken = self.fingerprint.take(self.last)
            transaction.set_rollback(True)
        # Signing out drops the session cookie; the rollback has restored the session itself.
        client.cookies = cookies
        return response, taken

    @staticmethod
    def _send(client: Client, method: str, url: str) -> Any:
        response = getattr(client, method)(url)
        if response.streaming:
            b"".join(response.streaming_content)
        return response


@pytest.fixture
def matrix(world: World, clean_storage: None) -> Matrix:
    return build(world)


@pytest.fixture
def clients(
    matrix: Matrix, verified_client: Callable[..., Client], password_only_client: Callable[[User], Client]
) -> dict[str, Client]:
    """A client for each role, in sudo mode where signed in; the CSP chair's device is enrolled first.

    A view that fails answers 500 rather than stopping the walk.
    """
    signed_in = {role: verified_client(matrix.users[role], sudo=True) for role in VERIFIED_ROLES}
    found = signed_in | {
        "anonymous": Client(),
        "unverified": password_only_client(matrix.users["unverified"]),
        "chair_password_only": password_only_client(matrix.users["chair_password_only"]),
    }
    for client in found.values():
        client.raise_request_exception = False
    return found


def listing(response: Any, role: str, page: Page, matrix: Matrix, label: str) -> list[str]:
    """A list shows the names of exactly the objects the role sees."""
    if not page.lists or response.status_code != 200:
        return []
    text = response.content.decode()
    return [
        f"{label}: {'does not show' if role in SEEN[name] else 'shows'} {name}"
        for name in page.lists
        if (matrix.labels[name] in text) != (role in SEEN[name])
    ]


def answered_before_lookup(role: str, page: Page, method: str) -> bool:
    """Whether the answer comes before the view looks up its object: sent away, refused by the
    page's rule, or a GET of a page that only takes a POST. Those are asked on its first object only."""
    return not passes_rule(role, page) or (method == "get" and page.get is None)


def test_every_url_for_every_role(matrix: Matrix, clients: dict[str, Client]) -> None:
    run = Walk(watched())
    for name, page in PAGES.items():
        for index, target in enumerate(targets(name, page, matrix)):
            for role in ROLES:
                sent_to = page.redirects.get(role) or (None if passes_rule(role, page) else SENT_TO.get(role))
                for method, status in zip(("get", "post"), expected(role, page, target), strict=True):
                    if index and answered_before_lookup(role, page, method):
                        continue
                    label = f"{role} {method.upper()} {name} {target.label}".rstrip()
                    response = run.request(
                        clients[role],
                        method,
                        target.url,
                        status=status,
                        label=label,
                        read=events(role, page, target, method),
                        denied=refusals(role, page, target, status),
                        effect=page.effect if acting(role, page, target) and method == "post" else "",
                        sent_to=sent_to,
                    )
                    if method == "get":
                        run.problems += listing(response, role, page, matrix, label)
    assert run.problems == [], "\n".join(run.problems)


def test_every_admin_url_for_every_role(matrix: Matrix, clients: dict[str, Client]) -> None:
    run = Walk(watched())
    for target in admin_targets(matrix):
        for role in ROLES:
            for method, status in zip(("get", "post"), expected_admin(role, target), strict=True):
                run.request(
                    clients[role],
                    method,
                    target.url,
                    status=status,
                    label=f"{role} {method.upper()} admin:{target.label}",
                    read=[],
                    denied=["access.denied"] if status in {403, 404} else [],
                    effect=target.effect if role in SITE_ADMIN and method == "post" else "",
                    sent_to=sent_to_admin(role, target),
                )
    assert run.problems == [], "\n".join(run.problems)


def test_dangerous_pages_ask_for_a_fresh_code(matrix: Matrix, verified_client: Callable[..., Client]) -> None:
    """Those who may use a sudo-mode page are asked for a code first when they have not given one lately."""
    stale = {role: verified_client(matrix.users[role]) for role in VERIFIED_ROLES}
    run = Walk(watched())
    for name, page in PAGES.items():
        if not page.sudo:
            continue
        for target in targets(name, page, matrix):
            for role in sorted(role for role in VERIFIED_ROLES if acting(role, page, target)):
                client = stale[role]
                for method in ("get", "post"):
                    label = f"{role} without sudo mode {method.upper()} {name} {target.label}".rstrip()
                    run.request(
                        client,
                        method,
                        target.url,
                        status=302,
                        label=label,
                        read=[],
                        denied=[],
                        sent_to="accounts:sudo",
                    )
    assert run.problems == [], "\n".join(run.problems)
