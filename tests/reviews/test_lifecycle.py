"""The review lifecycle: every state reachable, every refusal named, pauses and withdrawal."""

from collections import deque

import pytest

from dhr_tracker.reviews.lifecycle import (
    FINAL,
    PAUSABLE,
    TRANSITIONS,
    WITHDRAWABLE,
    Fact,
    Role,
    State,
    TransitionRefused,
    available,
    check,
)

EVERYONE = set(Role)
ALL_FACTS = set(Fact)


def refusal(name: str, **kwargs: object) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as caught:
        check(name, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_the_whole_path_from_notification_to_closure() -> None:
    path = [
        ("start_scoping", Role.CSP_COORDINATOR, State.SCOPING),
        ("brief_chair", Role.CSP_COORDINATOR, State.DECISION_PENDING),
        ("commission", Role.CSP_CHAIR, State.COMMISSIONED),
        ("begin_setup", Role.CSP_COORDINATOR, State.SETUP),
        ("start_gathering", Role.INDEPENDENT_CHAIR, State.INFORMATION_GATHERING),
        ("start_drafting", Role.INDEPENDENT_CHAIR, State.ANALYSIS_DRAFTING),
        ("share_with_family", Role.INDEPENDENT_CHAIR, State.FAMILY_REVIEW),
        ("seek_panel_signoff", Role.INDEPENDENT_CHAIR, State.PANEL_SIGNOFF),
        ("seek_csp_signoff", Role.INDEPENDENT_CHAIR, State.CSP_SIGNOFF),
        ("submit_to_home_office", Role.CSP_COORDINATOR, State.SUBMITTED_TO_HO),
        ("record_qa_outcome", Role.CSP_COORDINATOR, State.QA_OUTCOME),
        ("start_amending", Role.CSP_COORDINATOR, State.AMENDING),
        ("resubmit", Role.CSP_COORDINATOR, State.SUBMITTED_TO_HO),
        ("record_qa_outcome", Role.CSP_COORDINATOR, State.QA_OUTCOME),
        ("prepare_publication", Role.CSP_COORDINATOR, State.READY_TO_PUBLISH),
        ("publish", Role.CSP_CHAIR, State.PUBLISHED),
        ("monitor_actions", Role.SYSTEM, State.ACTION_MONITORING),
        ("close", Role.CSP_CHAIR, State.CLOSED),
    ]
    state = State.NOTIFIED
    for name, role, expected in path:
        state = check(name, state=state, roles={role}, rationale="Criteria met", facts=ALL_FACTS)
        assert state == expected, name


def test_every_state_is_reachable_from_notification() -> None:
    seen, queue = {State.NOTIFIED}, deque([State.NOTIFIED])
    while queue:
        state = queue.popleft()
        for transition in available(state, EVERYONE):
            targets = [transition.target] if transition.target else list(PAUSABLE)
            for target in targets:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    assert seen == set(State)


def test_nothing_leaves_a_final_state() -> None:
    for state in FINAL:
        assert available(state, EVERYONE) == []


def test_a_no_review_decision_is_closed_or_overturned_by_a_home_office_direction() -> None:
    state = check("decline", state=State.DECISION_PENDING, roles={Role.CSP_CHAIR}, rationale="No agency contact")
    assert state == State.NOT_COMMISSIONED
    assert refusal("close_no_review", state=state, roles={Role.CSP_COORDINATOR}).rule == Fact.HOME_OFFICE_TOLD
    assert (
        check("close_no_review", state=state, roles={Role.CSP_COORDINATOR}, facts={Fact.HOME_OFFICE_TOLD})
        == State.CLOSED_NO_REVIEW
    )
    directed = check(
        "home_office_direction", state=state, roles={Role.CSP_COORDINATOR}, rationale="Direction under s9(2)"
    )
    assert directed == State.COMMISSIONED


@pytest.mark.parametrize("role", [Role.CSP_COORDINATOR, Role.INDEPENDENT_CHAIR, Role.SYSTEM])
def test_only_the_csp_chair_decides(role: Role) -> None:
    refused = refusal("commission", state=State.DECISION_PENDING, roles={role}, rationale="Criteria met")
    assert refused.rule == "role"
    assert refused.message == "Your role in this review does not allow this step"


@pytest.mark.parametrize("name", ["commission", "decline"])
def test_a_decision_needs_its_reasons(name: str) -> None:
    refused = refusal(name, state=State.DECISION_PENDING, roles={Role.CSP_CHAIR}, rationale="   ")
    assert refused.rule == "rationale"
    assert refused.message == "Enter the reasons for this step"


def test_a_step_not_allowed_from_the_current_state_says_so() -> None:
    refused = refusal("publish", state=State.SETUP, roles={Role.CSP_CHAIR}, facts=ALL_FACTS)
    assert refused.rule == "state"
    assert refused.message == "“Publish” is not possible while the review is at the stage “Setting up”"


def test_information_gathering_waits_for_chair_panel_and_terms_in_that_order() -> None:
    facts: set[Fact] = set()
    for missing in (Fact.CHAIR_CONFIRMED, Fact.PANEL_FORMED, Fact.TERMS_APPROVED):
        refused = refusal("start_gathering", state=State.SETUP, roles={Role.INDEPENDENT_CHAIR}, facts=facts)
        assert refused.rule == missing
        facts.add(missing)
    assert check("start_gathering", state=State.SETUP, roles={Role.INDEPENDENT_CHAIR}, facts=facts) == (
        State.INFORMATION_GATHERING
    )


@pytest.mark.parametrize("state", sorted(PAUSABLE))
def test_a_pause_returns_to_the_state_it_was_taken_from(state: State) -> None:
    paused = check("pause", state=state, roles={Role.CSP_CHAIR}, rationale="Criminal trial listed")
    assert paused == State.PAUSED
    for role in (Role.CSP_COORDINATOR, Role.INDEPENDENT_CHAIR, Role.CSP_CHAIR):
        assert check("resume", state=paused, roles={role}, paused_from=state) == state


@pytest.mark.parametrize("state", sorted(set(State) - PAUSABLE))
def test_reviews_outside_set_up_to_amending_cannot_be_paused(state: State) -> None:
    assert refusal("pause", state=state, roles={Role.CSP_CHAIR}, rationale="Inquest").rule == "state"


def test_a_pause_is_approved_by_the_csp_chair_and_resumed_only_to_a_known_state() -> None:
    assert refusal("pause", state=State.SETUP, roles={Role.CSP_COORDINATOR}, rationale="Trial").rule == "role"
    assert refusal("resume", state=State.PAUSED, roles={Role.CSP_CHAIR}).rule == "paused_from"
    assert refusal("resume", state=State.PAUSED, roles={Role.CSP_CHAIR}, paused_from=State.NOTIFIED).rule == (
        "paused_from"
    )


@pytest.mark.parametrize("state", sorted(set(State)))
def test_withdrawal_is_the_csp_chairs_until_publication(state: State) -> None:
    if state in WITHDRAWABLE:
        assert check("withdraw", state=state, roles={Role.CSP_CHAIR}, rationale="Duplicate") == State.WITHDRAWN
        assert refusal("withdraw", state=state, roles={Role.CSP_COORDINATOR}, rationale="Duplicate").rule == "role"
    else:
        assert refusal("withdraw", state=state, roles={Role.CSP_CHAIR}, rationale="Duplicate").rule == "state"
    assert State.PUBLISHED not in WITHDRAWABLE
    assert State.PAUSED in WITHDRAWABLE


def test_publication_waits_for_the_anonymisation_check() -> None:
    refused = refusal("publish", state=State.READY_TO_PUBLISH, roles={Role.CSP_CHAIR})
    assert refused.rule == Fact.ANONYMISATION_CLEAR
    assert "anonymisation" in refused.message


def test_an_unknown_step_is_refused() -> None:
    assert refusal("jump", state=State.NOTIFIED, roles=EVERYONE).rule == "unknown"


def test_every_transition_is_named_by_its_key_and_reaches_a_real_state() -> None:
    for name, transition in TRANSITIONS.items():
        assert transition.name == name
        assert transition.sources
        assert transition.roles
        assert transition.target is None or transition.target in set(State)
