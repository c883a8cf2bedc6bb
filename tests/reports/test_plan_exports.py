"""The action plan as XLSX and DOCX: the columns of DHR.md s10 plus the tracker's, one row per
action, formula-looking text kept as text, the marking on the document, and every download audited."""

import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from docx import Document as open_docx

from dhr_tracker.reports import planexports
from dhr_tracker.reports.models import Action, Scope
from dhr_tracker.reviews.exports import MARKING
from tests.conftest import EventLog
from tests.reports.conftest import ReportWorld
from tests.reports.test_actions import add_action, add_recommendation, document_of, update

pytestmark = pytest.mark.django_db

HEADINGS = [
    "Recommendation",
    "Scope",
    "Action",
    "Lead agency",
    "Key milestones achieved",
    "Target date",
    "Completion date and outcome",
    "Owner",
    "RAG",
    "Evidence",
    "Department addressed",
]


def day(value: date) -> str:
    return date_format(value, "j F Y")


def planned(world: ReportWorld) -> dict[str, Action]:
    """A plan of two recommendations: one with a completed action and a formula-looking one, one without actions."""
    first = add_recommendation(
        world, text='=HYPERLINK("http://evil.example")', scope=Scope.NATIONAL, department="Home Office"
    )
    add_recommendation(world, text="Review the MARAC protocol", multi_agency=False)
    owner = world.contributor_a
    done = add_action(world, first, owner, text="Train officers")
    evidence = document_of(world, owner, "Training register")
    update(
        done,
        owner,
        milestones="Course written",
        evidence_ids=(evidence.pk,),
        completed_on=timezone.localdate(),
        outcome="All trained",
    )
    open_action = add_action(world, first, world.contributor_b, text="+cmd|' /C calc'!A0")
    return {"done": done, "open": open_action}


def download(world: ReportWorld, fmt: str) -> bytes:
    response = world.client(world.panel_member).get(
        reverse("reports:action_plan_export", args=[world.review.pk]), {"format": fmt}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"action plan.{fmt}" in response["Content-Disposition"]
    return response.content


def test_the_xlsx_has_the_plan_columns_and_keeps_formulas_as_text(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    made = planned(report_world)
    today = timezone.localdate()

    workbook = openpyxl.load_workbook(io.BytesIO(download(report_world, "xlsx")))

    sheet = workbook[planexports.SHEET]
    rows = [[cell.value or "" for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADINGS
    assert rows[1] == [
        '1. =HYPERLINK("http://evil.example")',
        "National, multi-agency",
        "1.1 Train officers",
        "Agency A Police",
        "Course written",
        day(made["done"].target_on),
        f"{day(today)}: All trained",
        report_world.contributor_a.full_name,
        "Complete",
        "Training register",
        "Home Office",
    ]
    assert rows[2][2] == "1.2 +cmd|' /C calc'!A0"
    assert rows[2][8] == "Green: on track"
    assert rows[3][:4] == ["2. Review the MARAC protocol", "Local, single agency", "", "Agency A Police"]
    assert len(rows) == 4
    assert sheet.oddHeader.center.text == MARKING
    event = security_events.find("reports.action_plan_exported")
    assert event.actor_id == report_world.panel_member.pk
    assert event.details == {"format": "xlsx", "count": 3}


def test_a_cell_starting_with_an_equals_sign_is_stored_as_text(report_world: ReportWorld) -> None:
    action = add_action(report_world, add_recommendation(report_world), report_world.contributor_a)
    update(action, report_world.contributor_a, milestones="=1+2")

    sheet = openpyxl.load_workbook(io.BytesIO(download(report_world, "xlsx")))[planexports.SHEET]

    cell = sheet.cell(row=2, column=5)
    assert cell.value == "=1+2"
    assert cell.data_type == "s"
    assert cell.quotePrefix


def test_the_docx_has_the_plan_as_a_marked_table(report_world: ReportWorld, security_events: EventLog) -> None:
    planned(report_world)

    document = open_docx(io.BytesIO(download(report_world, "docx")))

    [table] = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == HEADINGS
    assert [row[2] for row in rows[1:]] == ["1.1 Train officers", "1.2 +cmd|' /C calc'!A0", ""]
    assert rows[1][9] == "Training register"
    assert rows[3][0] == "2. Review the MARAC protocol"
    assert document.sections[0].header.paragraphs[0].text == MARKING
    assert document.core_properties.title == f"{report_world.review.title}: action plan"
    assert security_events.find("reports.action_plan_exported").details["format"] == "docx"


def test_an_unknown_format_is_not_found_and_not_audited(report_world: ReportWorld, security_events: EventLog) -> None:
    add_recommendation(report_world)
    client = report_world.client(report_world.coordinator)

    response = client.get(reverse("reports:action_plan_export", args=[report_world.review.pk]), {"format": "csv"})

    assert response.status_code == 404
    assert "reports.action_plan_exported" not in security_events.actions()


def test_an_empty_plan_exports_its_headings_only(report_world: ReportWorld) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(download(report_world, "xlsx")))[planexports.SHEET]

    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [HEADINGS]
