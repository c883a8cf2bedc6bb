"""The review lifecycle as an explicit state machine (DHR.md section 19), pure and without Django.

A review is always in one ``State``. It moves only by a named ``Transition``, which says from
which states it may be taken, by which review roles, whether a rationale is required, and which
facts about the review must hold first (a confirmed chair, approved terms of reference, the Home
Office told of the decision...). ``check`` answers for one proposed move: the state it leads to,
or ``TransitionRefused`` with a message that names the rule, for the person and for the audit
record. The services in ``reviews/services.py`` gather the facts, call ``check``, change the row
and record the event with the actor and rationale in one transaction.

Two moves are cross-cutting, as the guidance describes them:
- ``pause`` (parallel proceedings: trial, inquest, IOPC, another statutory review, a family
  request) may be taken from any state from set-up to amending. The coordinator or independent
  chair asks and the CSP chair approves, so the move itself is the CSP chair's. ``resume``
  returns to the state the review was paused in, which the caller keeps.
- ``withdraw`` may be taken by the CSP chair from any state before publication, with reasons.
"""

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    NOTIFIED = "notified"
    SCOPING = "scoping"
    DECISION_PENDING = "decision_pending"
    NOT_COMMISSIONED = "not_commissioned"
    CLOSED_NO_REVIEW = "closed_no_review"
    COMMISSIONED = "commissioned"
    SETUP = "setup"
    INFORMATION_GATHERING = "information_gathering"
    ANALYSIS_DRAFTING = "analysis_drafting"
    FAMILY_REVIEW = "family_review"
    PANEL_SIGNOFF = "panel_signoff"
    CSP_SIGNOFF = "csp_signoff"
    SUBMITTED_TO_HO = "submitted_to_ho"
    QA_OUTCOME = "qa_outcome"
    AMENDING = "amending"
    READY_TO_PUBLISH = "ready_to_publish"
    PUBLISHED = "published"
    ACTION_MONITORING = "action_monitoring"
    CLOSED = "closed"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"


LABELS: dict[State, str] = {
    State.NOTIFIED: "Notified",
    State.SCOPING: "Scoping",
    State.DECISION_PENDING: "Awaiting decision",
    State.NOT_COMMISSIONED: "Not commissioned",
    State.CLOSED_NO_REVIEW: "Closed: no review",
    State.COMMISSIONED: "Commissioned",
    State.SETUP: "Setting up",
    State.INFORMATION_GATHERING: "Gathering information",
    State.ANALYSIS_DRAFTING: "Analysis and drafting",
    State.FAMILY_REVIEW: "With the family",
    State.PANEL_SIGNOFF: "Panel sign-off",
    State.CSP_SIGNOFF: "CSP sign-off",
    State.SUBMITTED_TO_HO: "With the Home Office",
    State.QA_OUTCOME: "Quality assurance outcome",
    State.AMENDING: "Amending",
    State.READY_TO_PUBLISH: "Ready to publish",
    State.PUBLISHED: "Published",
    State.ACTION_MONITORING: "Monitoring actions",
    State.CLOSED: "Closed",
    State.PAUSED: "Paused",
    State.WITHDRAWN: "Withdrawn",
}

# The states from which nothing moves on.
FINAL = frozenset({State.CLOSED_NO_REVIEW, State.CLOSED, State.WITHDRAWN})
# Set-up to amending (states 6 to 14 of section 19): where parallel proceedings can stop the clock.
PAUSABLE = frozenset(
    {
        State.SETUP,
        State.INFORMATION_GATHERING,
        State.ANALYSIS_DRAFTING,
        State.FAMILY_REVIEW,
        State.PANEL_SIGNOFF,
        State.CSP_SIGNOFF,
        State.SUBMITTED_TO_HO,
        State.QA_OUTCOME,
        State.AMENDING,
    }
)
# Withdrawal is possible until the report is published.
WITHDRAWABLE = frozenset(State) - FINAL - {State.PUBLISHED, State.ACTION_MONITORING}


class Role(StrEnum):
    """Who may move a review: the partnership's roles, the review's chair, and the system itself."""

    CSP_CHAIR = "csp_chair"
    CSP_COORDINATOR = "csp_coordinator"
    INDEPENDENT_CHAIR = "independent_chair"
    SYSTEM = "system"


class Fact(StrEnum):
    """What must be true of a review before some moves; the services establish each."""

    HOME_OFFICE_TOLD = "home_office_told"
    CHAIR_CONFIRMED = "chair_confirmed"
    PANEL_FORMED = "panel_formed"
    TERMS_APPROVED = "terms_approved"
    PANEL_AGREED = "panel_agreed"
    CSP_APPROVED = "csp_approved"
    AREAS_DONE = "areas_done"
    ANONYMISATION_CLEAR = "anonymisation_clear"
    ACTIONS_CLOSED = "actions_closed"


FACT_MESSAGES: dict[Fact, str] = {
    Fact.HOME_OFFICE_TOLD: "Record when and how the Home Office was told of the decision first",
    Fact.CHAIR_CONFIRMED: "Confirm the independent chair's appointment, with their independence declaration, first",
    Fact.PANEL_FORMED: "Add the panel's members, each with signed declarations, first",
    Fact.TERMS_APPROVED: "The terms of reference must be agreed by the panel and approved by the chair first",
    Fact.PANEL_AGREED: "Record the panel's agreement to the final report first",
    Fact.CSP_APPROVED: "Record the CSP chair's approval of the report first",
    Fact.AREAS_DONE: "Complete every area for final development the Home Office named first",
    Fact.ANONYMISATION_CLEAR: "Resolve every hit of the anonymisation check first",
    Fact.ACTIONS_CLOSED: "Every action of the action plan must be complete first",
}


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[State]
    # None: back to the state the review was in before it was paused.
    target: State | None
    roles: frozenset[Role]
    needs_rationale: bool = False
    requires: tuple[Fact, ...] = ()


def _t(
    name: str,
    label: str,
    sources: Collection[State],
    target: State | None,
    roles: Collection[Role],
    *,
    needs_rationale: bool = False,
    requires: tuple[Fact, ...] = (),
) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(roles), needs_rationale, requires)


CSP = (Role.CSP_CHAIR, Role.CSP_COORDINATOR)
CHAIR_ONLY = (Role.CSP_CHAIR,)
IC = (Role.INDEPENDENT_CHAIR,)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        _t("start_scoping", "Ask agencies to check and secure their records", {State.NOTIFIED}, State.SCOPING, CSP),
        _t("brief_chair", "Brief the CSP chair for a decision", {State.SCOPING}, State.DECISION_PENDING, CSP),
        _t(
            "commission",
            "Commission a review",
            {State.DECISION_PENDING},
            State.COMMISSIONED,
            CHAIR_ONLY,
            needs_rationale=True,
        ),
        _t(
            "decline",
            "Decide not to hold a review",
            {State.DECISION_PENDING},
            State.NOT_COMMISSIONED,
            CHAIR_ONLY,
            needs_rationale=True,
        ),
        _t(
            "close_no_review",
            "Close: the Home Office accepts the decision",
            {State.NOT_COMMISSIONED},
            State.CLOSED_NO_REVIEW,
            CSP,
            requires=(Fact.HOME_OFFICE_TOLD,),
        ),
        _t(
            "home_office_direction",
            "Record a Home Office direction to hold a review",
            {State.NOT_COMMISSIONED},
            State.COMMISSIONED,
            CSP,
            needs_rationale=True,
        ),
        _t(
            "begin_setup",
            "Begin setting up the review",
            {State.COMMISSIONED},
            State.SETUP,
            CSP,
            requires=(Fact.HOME_OFFICE_TOLD,),
        ),
        _t(
            "start_gathering",
            "Start gathering information",
            {State.SETUP},
            State.INFORMATION_GATHERING,
            IC,
            requires=(Fact.CHAIR_CONFIRMED, Fact.PANEL_FORMED, Fact.TERMS_APPROVED),
        ),
        _t(
            "start_drafting",
            "Start analysis and drafting",
            {State.INFORMATION_GATHERING},
            State.ANALYSIS_DRAFTING,
            IC,
        ),
        _t("share_with_family", "Share the draft with the family", {State.ANALYSIS_DRAFTING}, State.FAMILY_REVIEW, IC),
        _t("seek_panel_signoff", "Ask the panel to sign off", {State.FAMILY_REVIEW}, State.PANEL_SIGNOFF, IC),
        _t(
            "seek_csp_signoff",
            "Ask the CSP to approve",
            {State.PANEL_SIGNOFF},
            State.CSP_SIGNOFF,
            IC,
            requires=(Fact.PANEL_AGREED,),
        ),
        _t(
            "submit_to_home_office",
            "Submit to the Home Office",
            {State.CSP_SIGNOFF},
            State.SUBMITTED_TO_HO,
            CSP,
            requires=(Fact.CSP_APPROVED,),
        ),
        _t(
            "record_qa_outcome",
            "Record the quality assurance outcome",
            {State.SUBMITTED_TO_HO},
            State.QA_OUTCOME,
            CSP,
        ),
        _t("start_amending", "Amend the report", {State.QA_OUTCOME}, State.AMENDING, CSP),
        _t("resubmit", "Resubmit to the Home Office", {State.AMENDING}, State.SUBMITTED_TO_HO, CSP),
        _t(
            "prepare_publication",
            "Prepare for publication",
            {State.QA_OUTCOME, State.AMENDING},
            State.READY_TO_PUBLISH,
            CSP,
            requires=(Fact.AREAS_DONE,),
        ),
        _t(
            "publish",
            "Publish",
            {State.READY_TO_PUBLISH},
            State.PUBLISHED,
            CHAIR_ONLY,
            requires=(Fact.ANONYMISATION_CLEAR,),
        ),
        _t(
            "monitor_actions",
            "Monitor the action plan",
            {State.PUBLISHED},
            State.ACTION_MONITORING,
            (*CSP, Role.SYSTEM),
        ),
        _t(
            "close",
            "Close the review",
            {State.ACTION_MONITORING},
            State.CLOSED,
            CHAIR_ONLY,
            requires=(Fact.ACTIONS_CLOSED,),
        ),
        _t("pause", "Pause the review", PAUSABLE, State.PAUSED, CHAIR_ONLY, needs_rationale=True),
        _t("resume", "Resume the review", {State.PAUSED}, None, (*CSP, Role.INDEPENDENT_CHAIR)),
        _t("withdraw", "Withdraw the review", WITHDRAWABLE, State.WITHDRAWN, CHAIR_ONLY, needs_rationale=True),
    )
}


class TransitionRefused(Exception):
    """A move that may not be made now; ``str(exc)`` says why, for the person and the record."""

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message)
        self.message = message
        # Stable, for tests and audit details: "unknown", "state", "role", "rationale", "paused_from" or a Fact.
        self.rule = rule


def check(
    name: str,
    *,
    state: State,
    roles: Collection[Role],
    rationale: str = "",
    facts: Collection[Fact] = (),
    paused_from: State | None = None,
) -> State:
    """Return the state that move ``name`` leads to from ``state``, or raise ``TransitionRefused``.

    ``roles`` are the acting person's roles in this review; ``facts`` what holds of the review;
    ``paused_from`` the state a paused review returns to. Checks run in a fixed order (state,
    role, rationale, facts) so the first message is the one that matters.
    """
    transition = TRANSITIONS.get(name)
    if transition is None:
        raise TransitionRefused(f"There is no step called {name!r}", rule="unknown")
    if state not in transition.sources:
        raise TransitionRefused(
            f"“{transition.label}” is not possible while the review is at the stage “{LABELS[state]}”",
            rule="state",
        )
    if not transition.roles & set(roles):
        raise TransitionRefused("Your role in this review does not allow this step", rule="role")
    if transition.needs_rationale and not rationale.strip():
        raise TransitionRefused("Enter the reasons for this step", rule="rationale")
    for fact in transition.requires:
        if fact not in facts:
            raise TransitionRefused(FACT_MESSAGES[fact], rule=fact)
    if transition.target is not None:
        return transition.target
    if paused_from is None or paused_from not in PAUSABLE:
        raise TransitionRefused("The state the review was paused in is not known", rule="paused_from")
    return paused_from


def available(state: State, roles: Collection[Role]) -> list[Transition]:
    """The moves these roles could take from ``state``, whether or not their facts hold yet."""
    held = set(roles)
    return [t for t in TRANSITIONS.values() if state in t.sources and t.roles & held]
