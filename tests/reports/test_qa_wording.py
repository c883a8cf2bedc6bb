"""The configurable wording of the Home Office outcomes, and the system check that guards it."""

from typing import Any

import pytest

from dhr_tracker import checks
from dhr_tracker.reports import qaoutcomes


def test_defaults_hold_without_a_setting(settings: Any) -> None:
    settings.REPORT_QA_OUTCOME_WORDING = ""
    assert qaoutcomes.wording() == {
        "publish": "May be published",
        "publish_with_changes": "May be published once changes are made",
        "resubmit": "Revise and resubmit",
    }
    assert checks.check_qa_outcome_wording(None) == []


def test_entries_override_only_their_outcome(settings: Any) -> None:
    settings.REPORT_QA_OUTCOME_WORDING = " publish = Approved for publication ; resubmit=Resubmit after revision;"
    assert qaoutcomes.choices() == [
        ("publish", "Approved for publication"),
        ("publish_with_changes", "May be published once changes are made"),
        ("resubmit", "Resubmit after revision"),
    ]
    assert qaoutcomes.label("resubmit") == "Resubmit after revision"
    assert qaoutcomes.label("") == ""
    assert checks.check_qa_outcome_wording(None) == []


@pytest.mark.parametrize(
    ("wording", "problem"),
    [
        ("publish_now=Go ahead", "'publish_now' is not an outcome"),
        ("publish=", "the wording for 'publish' is empty"),
        ("May be published", "is not of the form code=wording"),
    ],
)
def test_bad_wording_fails_the_system_check(settings: Any, wording: str, problem: str) -> None:
    settings.REPORT_QA_OUTCOME_WORDING = wording
    with pytest.raises(qaoutcomes.BadWording, match=problem):
        qaoutcomes.wording()
    messages = checks.check_qa_outcome_wording(None)
    assert [message.id for message in messages] == ["dhr.E011"]
    assert problem in messages[0].msg
