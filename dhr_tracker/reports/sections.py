"""The sections of the overview report and the executive summary (DHR.md s10), as (key, label).

The starting draft is laid out in these sections, and panel members comment on one of them; a
comment's ``section`` is a key of its report's kind, or ``WHOLE`` for the document as a whole.
"""

from dhr_tracker.reports.models import ReportKind

OVERVIEW: tuple[tuple[str, str], ...] = (
    ("preface", "Preface or tribute"),
    ("introduction", "Introduction: case summary, timescales, confidentiality, terms of reference, methods"),
    ("family", "Involvement of family, friends and colleagues"),
    ("contributors", "Contributors and the panel"),
    ("independence", "Independence of the author and the chair"),
    ("parallel", "Parallel reviews"),
    ("equality", "Equality and diversity"),
    ("dissemination", "Dissemination"),
    ("background", "Background facts"),
    ("chronology", "Chronology"),
    ("overview", "Overview"),
    ("analysis", "Analysis"),
    ("conclusions", "Conclusions, including whether the death was preventable"),
    ("lessons", "Lessons learned"),
    ("recommendations", "Recommendations"),
    ("appendices", "Appendices: action plan and glossary"),
)

SUMMARY: tuple[tuple[str, str], ...] = (
    ("process", "The review process"),
    ("panel", "The panel"),
    ("family_contact", "Contact with the family"),
    ("equality", "Equality and diversity"),
    ("key_facts", "Key facts"),
    ("conclusions", "Conclusions"),
    ("recommendations", "Recommendations"),
)

WHOLE = ("whole", "The document as a whole")

BY_KIND: dict[str, tuple[tuple[str, str], ...]] = {ReportKind.OVERVIEW: OVERVIEW, ReportKind.SUMMARY: SUMMARY}


def comment_choices(kind: str) -> list[tuple[str, str]]:
    """What a comment on a report of ``kind`` may be about: the whole document or one section."""
    return [WHOLE, *BY_KIND[kind]]


def label(kind: str, key: str) -> str:
    """The section's label, or the key itself for one no longer in the layout."""
    return dict(comment_choices(kind)).get(key, key)
