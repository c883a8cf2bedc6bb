from dhr_tracker.reports.models import ReportKind
from dhr_tracker.reviews.lifecycle import Fact, State
from dhr_tracker.reviews.services.steps import facts_of
from tests.reports.conftest import ReportWorld, make_version


def test_the_world_is_drafting_and_has_none_of_the_report_facts_yet(report_world: ReportWorld) -> None:
    review = report_world.refresh()
    assert review.state == State.ANALYSIS_DRAFTING
    version = make_version(report_world, ReportKind.OVERVIEW)
    assert version.number == 1
    assert make_version(report_world, ReportKind.OVERVIEW).number == 2
    later = {Fact.PANEL_AGREED, Fact.CSP_APPROVED, Fact.AREAS_DONE, Fact.ANONYMISATION_CLEAR, Fact.ACTIONS_CLOSED}
    assert not facts_of(review) & later
