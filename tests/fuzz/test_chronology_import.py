"""A chronology import from upload to its end, with hostile files: the service holds the file, the
task reads it, and the job ends imported, with rows to correct, or refused, never "something went
wrong" (the status the task gives an unexpected exception, which would be a bug in the reader).

The reader alone is fuzzed harder beside it (tests/chronologies/test_importing.py and
test_spreadsheets.py); this follows a few of each kind of file through the whole path.
"""

from django.core.exceptions import ValidationError
from hypothesis import event, given
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from dhr_tracker.chronologies.models import ImportJob, ImportStatus, Submission
from dhr_tracker.chronologies.services import imports, submissions
from tests.chronologies.conftest import ChronologyWorld
from tests.chronologies.upload_helpers import GOOD_ROW, csv_bytes, xlsx
from tests.fuzz.strategies import NASTY, ZIP_BOMB, file_contents, fuzz, hostile_text, outcome

_CELL = st.one_of(hostile_text, st.sampled_from(GOOD_ROW), st.sampled_from(NASTY))
_ROWS = st.one_of(
    st.lists(st.lists(_CELL, min_size=0, max_size=10), min_size=1, max_size=6),
    st.lists(st.just(list(GOOD_ROW)), min_size=1, max_size=3),
)
files = st.one_of(
    st.tuples(_ROWS.map(csv_bytes), st.just("chronology.csv")),
    # openpyxl will not write control characters into a cell, so a workbook never holds them.
    st.tuples(
        _ROWS.map(lambda rows: xlsx([[ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row] for row in rows])),
        st.just("c.xlsx"),
    ),
    st.tuples(file_contents, st.sampled_from(["chronology.csv", "chronology.xlsx"])),
    st.just((ZIP_BOMB, "bomb.xlsx")),
)


@fuzz(max_examples=25)
@given(upload=files)
def test_a_hostile_upload_is_imported_or_refused_never_failed(
    chronology_world: ChronologyWorld, upload: tuple[bytes, str]
) -> None:
    content, name = upload
    contributor = chronology_world.contributor_a
    draft = _draft(chronology_world)
    before = list(draft.entries.values_list("pk", flat=True))
    started = outcome(
        lambda: imports.start_import(draft, actor=contributor, content=content, file_name=name, request=None),
        ValidationError,
    )
    if isinstance(started, ValidationError):
        assert list(started.message_dict) == ["file"]
        event("refused before it was held")
        return
    status = imports.run_import(started.pk)
    event(status)
    job = ImportJob.objects.get(pk=started.pk)
    assert status in (ImportStatus.DONE, ImportStatus.PROBLEMS, ImportStatus.REFUSED), job.message
    assert job.status == status
    assert job.content_enc == "", "the held file outlived its import"
    if status == ImportStatus.REFUSED:
        assert job.message.strip()
    if status == ImportStatus.PROBLEMS:
        assert job.problems
        assert all(problem["message"] for problem in job.problems)
    if status != ImportStatus.DONE:
        assert list(Submission.objects.get(pk=draft.pk).entries.values_list("pk", flat=True)) == before


def _draft(world: ChronologyWorld) -> Submission:
    """The agency's draft chronology of its one request, started the first time."""
    found = Submission.objects.filter(request__agency=world.agency_a).first()
    if found is not None:
        return found
    agency_request = world.send(world.agency_a)
    return submissions.start_draft(agency_request, actor=world.contributor_a, request=None)
