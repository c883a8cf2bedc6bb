"""The anonymisation checker against the planted corpus: every identifier found, near-misses left alone."""

from datetime import date

import pytest

from dhr_tracker.reports.anonymisation import KINDS, Finding, Identity, check, scan
from dhr_tracker.reports.textextract import Passage, Unreadable
from tests.reports import corpus

CORPUS = corpus.build()


def one_line(text: str) -> str:
    return " ".join(text.split())


def matches(finding: Finding, item: corpus.Planted) -> bool:
    return (
        finding.location == item.location
        and finding.kind == item.kind
        and one_line(finding.found) == one_line(item.text)
    )


@pytest.fixture(scope="module")
def findings() -> dict[str, list[Finding]]:
    checked = {}
    for name, content in CORPUS.documents.items():
        file_type, found = check(content, name, corpus.REGISTER)
        checked[file_type] = found
    return checked


def test_the_corpus_plants_every_kind_in_every_format_and_over_sixty_identifiers() -> None:
    assert len(CORPUS.planted) >= 60
    # Every kind of identifier; an unchecked page is not an identifier (test_textextract covers it).
    assert {p.kind for p in CORPUS.planted} == set(KINDS) - {"unchecked_page"}
    assert {p.file_type for p in CORPUS.planted} == {"docx", "pdf", "odt", "txt"}


@pytest.mark.parametrize(
    "item", CORPUS.planted, ids=[f"{p.file_type}:{p.location}:{p.kind}:{p.text}" for p in CORPUS.planted]
)
def test_every_planted_identifier_is_found(findings: dict[str, list[Finding]], item: corpus.Planted) -> None:
    assert any(matches(f, item) for f in findings[item.file_type]), [
        (f.kind, f.found) for f in findings[item.file_type] if f.location == item.location
    ]


@pytest.mark.parametrize(
    "item", CORPUS.near_misses, ids=[f"{p.file_type}:{p.location}:{p.text}" for p in CORPUS.near_misses]
)
def test_near_misses_are_not_found(findings: dict[str, list[Finding]], item: corpus.Planted) -> None:
    planted_here = [p for p in CORPUS.planted if p.file_type == item.file_type and p.location == item.location]
    at_location = [
        f.found
        for f in findings[item.file_type]
        if f.location == item.location and not any(matches(f, p) for p in planted_here)
    ]

    assert not [found for found in at_location if found in item.text or item.text in found]


def test_nothing_else_is_found_but_the_expected_false_positives(findings: dict[str, list[Finding]]) -> None:
    """Recall comes first, so a surname that is also a word is flagged; nothing else may be."""
    unexpected = [
        f
        for file_type, found in findings.items()
        for f in found
        if not any(matches(f, p) for p in CORPUS.planted if p.file_type == file_type)
    ]

    assert sorted((f.location, f.found) for f in unexpected) == sorted(
        (p.location, p.text) for p in CORPUS.expected_false_positives
    )


def test_context_shows_the_finding_on_one_line_cut_at_words(findings: dict[str, list[Finding]]) -> None:
    for found in findings.values():
        for f in found:
            assert one_line(f.found) in f.context
            assert "\n" not in f.context
            assert len(f.context) <= len(f.found) + 2 * 60 + 2
            for end in (f.context.removeprefix("…").split()[0], f.context.removesuffix("…").split()[-1]):
                assert end.strip("…")  # never a lone ellipsis


def test_context_is_cut_with_an_ellipsis_between_words() -> None:
    text = "word " * 30 + "Mary Smith" + " more" * 30
    (finding,) = scan([Passage("Paragraph 1", text)], corpus.REGISTER)

    assert finding.context.startswith("…word ")
    assert finding.context.endswith(" more…")
    assert "Mary Smith" in finding.context


def test_register_finds_name_whose_identifier_and_pattern_finds_do_not(findings: dict[str, list[Finding]]) -> None:
    by_found = {(f.location, f.found): f for f in findings["docx"]}

    assert by_found[("Paragraph 2", "Mary Jane Smith")].pseudonym == "Adult A"
    assert by_found[("Table 1, row 2", "SMITH")].pseudonym == "Adult A, Child C"  # a shared surname
    assert by_found[("Paragraph 11", "07700 900123")].kind == "phone"  # a pattern, and in the register
    assert by_found[("Paragraph 11", "07700 900123")].pseudonym == "Adult A"
    assert by_found[("Paragraph 11", "943 476 5919")].pseudonym == ""


def test_the_same_text_at_the_same_place_is_one_finding() -> None:
    found = scan([Passage("Paragraph 1", "Mary Smith met Mary Smith. smith")], corpus.REGISTER)

    assert [(f.kind, f.found) for f in found] == [("name", "Mary Smith"), ("name", "smith")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Hall", ["Hall"]),
        ("Ms Hall's flat", ["Ms Hall's"]),
        ("in the hallway", []),
        ("the panel shall meet", []),
        ("Halls", ["Halls"]),
        ("Hallam and Whitehall", []),
        ("R. Hall", ["R. Hall"]),
        ("Hall, R.", ["Hall, R."]),
        ("HALL, Rebecca", ["HALL, Rebecca"]),
    ],
)
def test_names_respect_word_boundaries(text: str, found: list[str]) -> None:
    assert [f.found for f in scan([Passage("Line 1", text)], corpus.REGISTER)] == found


@pytest.mark.parametrize(
    "written",
    [
        "03/03/1985",
        "3/3/85",
        "03.03.1985",
        "03-03-1985",
        "1985-03-03",
        "3 March 1985",
        "3rd March 1985",
        "3rd of March 1985",
        "March 3, 1985",
        "3 Mar 1985",
        "3-Mar-85",
        "03031985",
        "3 MARCH 1985",
    ],
)
def test_a_date_of_birth_is_found_in_any_common_format(written: str) -> None:
    register = [Identity("Adult A", birth_dates=(date(1985, 3, 3),))]

    (finding,) = scan([Passage("Page 1", f"Her date was {written}, it seems.")], register)

    assert (finding.kind, finding.found, finding.pseudonym) == ("birth_date", written, "Adult A")


@pytest.mark.parametrize(
    "text", ["born on 4 April 1990", "DOB: 04/04/1990", "D.O.B. 1990-04-04", "date of birth 4th April 1990"]
)
def test_any_date_after_born_or_dob_is_a_date_of_birth(text: str) -> None:
    (finding,) = scan([Passage("Page 1", text)], [])

    assert finding.kind == "birth_date"
    assert finding.found in text
    assert finding.found[0].isdigit()


@pytest.mark.parametrize(
    "text",
    [
        "on 3 March 2019",
        "the meeting on 03/03/2019",
        "NHS 943 476 5918",
        "NI QQ 12 34 56 C",
        "NI GB 12 34 56 A",
        "log 12",
        "the incident on 12/03/2019",
        "in 2019 Family Court proceedings",
        "Section 42 of the Care Act 2014",
        "Adult A's GP",
    ],
)
def test_look_alikes_are_not_found(text: str) -> None:
    assert scan([Passage("Page 1", text)], corpus.REGISTER) == []


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("post to EX1 1AA today", "postcode", "EX1 1AA"),
        ("post to ex11aa today", "postcode", "ex11aa"),
        ("at 3 Mill Lane, Anytown", "address", "3 Mill Lane"),
        ("call 07700 900 123 now", "phone", "07700 900 123"),
        ("call +44 7700 900123 now", "phone", "+44 7700 900123"),
        ("NHS 9434765919.", "nhs_number", "9434765919"),
        ("NI AB123456C.", "ni_number", "AB123456C"),
        ("crime ref: 12/3456/21.", "police_reference", "12/3456/21"),
        ("occurrence number 2019-0012345.", "police_reference", "2019-0012345"),
    ],
)
def test_patterns_are_found_whoever_they_belong_to(text: str, kind: str, found: str) -> None:
    (finding,) = scan([Passage("Page 1", text)], [])

    assert (finding.kind, finding.found, finding.pseudonym) == (kind, found, "")


def test_others_are_matched_ignoring_case_spaces_and_punctuation() -> None:
    register = [Identity("Adult A", others=("AB12 CDE", "Case no. 77-1234"))]

    found = scan([Passage("Page 1", "The car ab12cde, and CASE NO 771234.")], register)

    assert [(f.kind, f.found) for f in found] == [("other", "ab12cde"), ("other", "CASE NO 771234")]


def test_check_raises_unreadable_for_a_scan() -> None:
    with pytest.raises(Unreadable) as caught:
        check(corpus.scanned_pdf(), "scan.pdf", corpus.REGISTER)

    assert caught.value.code == "no_text"
