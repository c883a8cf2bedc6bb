"""Forms for Home Office quality assurance: the submission, the letter and its areas, an area done."""

from typing import Any, cast

from django import forms

from dhr_tracker.forms import DATE_INPUT
from dhr_tracker.reports import qaoutcomes
from dhr_tracker.reports.services.qa import parse_areas
from sharing.forms import UploadForm


class SubmissionForm(forms.Form):
    submitted_on = forms.DateField(
        label="Date submitted",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the date the report was submitted", "invalid": "Enter a real date"},
    )
    versions = forms.TypedMultipleChoiceField(
        label="Versions sent",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Usually the latest overview report and executive summary",
        error_messages={"required": "Select the version of the overview report that was sent"},
    )
    action_plan_sent = forms.BooleanField(label="The action plan was sent with the report", required=False)
    commissioner_copied_on = forms.DateField(
        label="Date the Domestic Abuse Commissioner was sent a copy (optional)",
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": "Enter a real date"},
    )

    def __init__(self, *args: Any, versions: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["versions"]).choices = versions


class OutcomeForm(UploadForm):
    """The letter itself arrives through the encrypting upload handler, as in the secure space."""

    panel_met_on = forms.DateField(
        label="Date the quality assurance panel met",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the date the panel met", "invalid": "Enter a real date"},
    )
    letter_on = forms.DateField(
        label="Date of the letter",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the date of the letter", "invalid": "Enter a real date"},
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the outcome the letter gives"},
    )
    strengths = forms.CharField(
        label="Strengths (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="As the letter gives them",
    )
    areas = forms.CharField(
        label="Areas for final development",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="One a line, in the letter's order; they are numbered 1, 2, 3... Leave empty if there are none",
    )
    field_order = ("file", "panel_met_on", "letter_on", "outcome", "strengths", "areas")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "The letter"
        self.fields["file"].help_text = "PDF or Word; it is kept in the review's secure space"
        cast(forms.ChoiceField, self.fields["outcome"]).choices = qaoutcomes.choices()

    def clean_areas(self) -> tuple[str, ...]:
        return tuple(parse_areas(self.cleaned_data["areas"]))


class AreaDoneForm(forms.Form):
    done_on = forms.DateField(
        label="Date done",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the date it was done", "invalid": "Enter a real date"},
    )
    how_addressed = forms.CharField(
        label="How the report addresses it",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter how the report now addresses this area"},
    )
