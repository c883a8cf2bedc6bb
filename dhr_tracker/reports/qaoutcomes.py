"""The wording of the Home Office quality assurance outcomes, as the deployment configures it.

``REPORT_QA_OUTCOME_WORDING`` is "code=wording;code=wording" over the codes of
``models.QAOutcome`` (publish, publish_with_changes, resubmit); codes left out keep their
default wording. The exact wording of the Home Office's letters is not settled (DHR.md s11), so
a partnership can match its own. A code that is not an outcome, an entry without "=", or an
empty wording is an error: the system check ``dhr.E011`` refuses it at start-up.
"""

from django.conf import settings

from dhr_tracker.reports.models import QAOutcome


class BadWording(ValueError):
    """The setting cannot be read; ``str(exc)`` says which entry and why."""


def parse(text: str) -> dict[str, str]:
    """Each outcome's wording: the defaults, overridden by the entries of ``text``."""
    wording = {outcome.value: str(outcome.label) for outcome in QAOutcome}
    for entry in (piece.strip() for piece in text.split(";")):
        if not entry:
            continue
        code, sep, words = (part.strip() for part in entry.partition("="))
        if not sep:
            raise BadWording(f"REPORT_QA_OUTCOME_WORDING: {entry!r} is not of the form code=wording.")
        if code not in wording:
            known = ", ".join(QAOutcome.values)
            raise BadWording(f"REPORT_QA_OUTCOME_WORDING: {code!r} is not an outcome; use one of {known}.")
        if not words:
            raise BadWording(f"REPORT_QA_OUTCOME_WORDING: the wording for {code!r} is empty.")
        wording[code] = words
    return wording


def wording() -> dict[str, str]:
    """Each outcome's wording under the current settings."""
    return parse(settings.REPORT_QA_OUTCOME_WORDING or "")


def choices() -> list[tuple[str, str]]:
    """The outcomes in their configured wording, in the order of ``QAOutcome``."""
    words = wording()
    return [(code, words[code]) for code in QAOutcome.values]


def label(code: str) -> str:
    """The configured wording of one outcome; empty for no outcome yet."""
    return wording().get(code, "") if code else ""
