"""Forms for the terms of reference. Styling comes from the project's form renderer."""

from typing import Any, cast

from django import forms

from dhr_tracker.forms import DATE_INPUT as DATE
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services.terms import REQUIRED, agency_choices, subject_choices

# A date input shows its value only in ISO form, whatever the locale's input format.


def _date(label: str, name: str, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DATE,
        error_messages={"required": REQUIRED[name], "invalid": f"{label} must be a real date"},
        **kwargs,
    )


def _text(label: str, name: str | None = None, *, rows: int = 4, **kwargs: Any) -> forms.CharField:
    required = name is not None
    messages = {"required": REQUIRED[name]} if name else {}
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), error_messages=messages, **kwargs
    )


class TermsForm(forms.Form):
    """One version's content; subjects are the review's pseudonyms, agencies those scoped into it."""

    period_start = _date("Start of the period under review", "period_start")
    period_end = _date(
        "End of the period under review", "period_end", help_text="Usually the date of death, or shortly before it"
    )
    period_start_reason = _text("Why the period starts then", "period_start_reason", rows=3)
    subjects = forms.MultipleChoiceField(
        label="Subjects of the review",
        help_text="Listed by pseudonym; real names never appear in the terms of reference",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": REQUIRED["subjects"],
            "invalid_choice": "Choose subjects from the people recorded in this review",
        },
    )
    agencies = forms.TypedMultipleChoiceField(
        label="Agencies",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose agencies from those scoped into this review"},
    )
    lines_of_enquiry = _text(
        "Key lines of enquiry",
        "lines_of_enquiry",
        rows=6,
        help_text="For example: risk assessment (DASH, MARAC), coercive control and economic abuse, "
        "information sharing, suicide where relevant. Put each on its own line",
    )
    equality_and_diversity = _text("Equality and diversity", "equality_and_diversity")
    family_involvement = _text("Involvement of family, friends and colleagues", "family_involvement")
    perpetrator_involvement = _text("Involvement of the perpetrator")
    parallel_processes = _text(
        "Parallel processes",
        help_text="For example the criminal trial or inquest, and how the review will liaise with "
        "the senior investigating officer, the CPS and the coroner",
    )
    method = _text("Method", "method", help_text="For example: IMRs, short reports, chronologies, learning events")
    timetable = _text("Timetable", "timetable", help_text="Also confidentiality, dissemination and media handling")

    def __init__(self, *args: Any, review: Review, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        subjects = cast(forms.MultipleChoiceField, self.fields["subjects"])
        agencies = cast(forms.MultipleChoiceField, self.fields["agencies"])
        subjects.choices = subject_choices(review)
        scoped = agency_choices(review)
        if scoped:
            agencies.choices = scoped
        else:
            # Nothing to choose until agencies are scoped on the "Chair and panel" page.
            del self.fields["agencies"]


class TermsEditForm(TermsForm):
    """A draft's content, with the review's version it was built from (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class AgreeForm(forms.Form):
    agreed_on = forms.DateField(
        label="Date the panel agreed it",
        widget=DATE,
        error_messages={
            "required": "Enter the date the panel agreed the terms of reference",
            "invalid": "The date the panel agreed must be a real date",
        },
    )
