"""Forms for the lifecycle steps: the decision, the Home Office, pauses and extensions."""

from typing import Any

from django import forms

from dhr_tracker.forms import DATE_INPUT as DATE
from dhr_tracker.reviews.models import PAUSE_REASON_CHOICES, ClockKind, Criterion


class VersionedForm(forms.Form):
    """A form about a review, carrying the version of the review it was built from."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class StepForm(VersionedForm):
    rationale = forms.CharField(label="Reasons", required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, needs_rationale: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["rationale"]
        field.required = needs_rationale
        field.error_messages["required"] = "Enter the reasons for this step"
        if not needs_rationale:
            field.label = "Note (optional)"


class DecisionForm(VersionedForm):
    outcome = forms.ChoiceField(
        label="Decision",
        choices=[("commission", "Commission a review"), ("decline", "Do not hold a review")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select the decision"},
    )
    decided_on = forms.DateField(
        label="Date of the decision", widget=DATE, error_messages={"required": "Enter the date of the decision"}
    )
    criteria = forms.MultipleChoiceField(
        label="Criteria met", choices=Criterion.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    reasons = forms.CharField(
        label="Reasons for the decision",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Enter the reasons for the decision"},
    )
    partners_consulted = forms.CharField(
        label="Partners consulted",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter the partners consulted before the decision"},
    )


class HomeOfficeForm(VersionedForm):
    told_on = forms.DateField(
        label="Date the Home Office was told",
        widget=DATE,
        error_messages={"required": "Enter the date the Home Office was told"},
    )
    method = forms.CharField(
        label="How it was told",
        max_length=100,
        help_text="For example \u201cE-mail to the DHR mailbox\u201d",
        error_messages={"required": "Enter how the Home Office was told"},
    )
    response = forms.CharField(
        label="The Home Office's response, if any", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DirectionForm(VersionedForm):
    directed_on = forms.DateField(
        label="Date of the direction", widget=DATE, error_messages={"required": "Enter the date of the direction"}
    )
    rationale = forms.CharField(
        label="What the Home Office said",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter what the Home Office's direction said"},
    )


class PauseForm(VersionedForm):
    reason = forms.ChoiceField(
        label="Reason",
        choices=PAUSE_REASON_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the reason for the pause"},
    )
    body = forms.CharField(
        label="Body", max_length=200, required=False, help_text="For example the Crown Court or the coroner"
    )
    reference = forms.CharField(label="Their reference", max_length=100, required=False)
    started_on = forms.DateField(
        label="Pause starts", widget=DATE, error_messages={"required": "Enter the date the pause starts"}
    )
    expected_end_on = forms.DateField(label="Expected end", widget=DATE, required=False)
    requested_by = forms.TypedChoiceField(
        label="Asked for by", coerce=int, error_messages={"required": "Select who asked for the pause"}
    )
    rationale = forms.CharField(
        label="Why the review must pause",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter why the review must pause"},
    )

    def __init__(self, *args: Any, requesters: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requested_by"].choices = [("", "Choose"), *requesters]  # type: ignore[attr-defined]


class ResumeForm(VersionedForm):
    ended_on = forms.DateField(
        label="Pause ends", widget=DATE, error_messages={"required": "Enter the date the pause ends"}
    )
    outcome = forms.CharField(
        label="Outcome of the proceedings", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExtensionForm(forms.Form):
    clock = forms.ChoiceField(
        label="Deadline",
        choices=ClockKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the deadline to extend"},
    )
    days = forms.IntegerField(
        label="Extra days",
        min_value=1,
        max_value=730,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}),
        error_messages={
            "required": "Enter the number of extra days",
            "min_value": "Enter a number of days of 1 or more",
            "max_value": "An extension can be at most 730 days",
        },
    )
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason for the extension"},
    )
