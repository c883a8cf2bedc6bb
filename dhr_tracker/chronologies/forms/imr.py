"""Forms for an IMR or short report: its details, the panel's feedback, the agency's response."""

from typing import Any, cast

from django import forms

from dhr_tracker.chronologies.services.imr import NAME_LIMIT
from dhr_tracker.forms import DATE_INPUT as DATE

PSEUDONYMS = "Use the pseudonyms of the review, never real names"


def _text(label: str, required: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10_000,
        help_text=help_text,
        error_messages={"required": required},
    )


class IMRForm(forms.Form):
    """The record of the report; every field may wait until it is submitted."""

    document = forms.TypedChoiceField(
        label="The report",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="A document your agency uploaded to the review's secure space",
        error_messages={
            "invalid_choice": "Choose the report from your agency's documents in the review's secure space"
        },
    )
    author = forms.CharField(
        label="Author",
        max_length=NAME_LIMIT,
        required=False,
        help_text="Their name and role",
    )
    independence_statement = forms.CharField(
        label="The author's statement of independence",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="That the author had no involvement with the subjects and does not manage anyone who had",
    )
    signed_off_by = forms.CharField(
        label="Signed off by",
        max_length=NAME_LIMIT,
        required=False,
        help_text="The name and role of the senior manager who signed the report off",
    )
    signed_off_on = forms.DateField(
        label="Date signed off",
        widget=DATE,
        required=False,
        error_messages={"invalid": "The date signed off must be a real date"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, documents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["document"]).choices = [("", "Not chosen yet"), *documents]


class VersionForm(forms.Form):
    """A button that changes an IMR, with the version of the page it was pressed on."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class FeedbackForm(VersionForm):
    feedback = _text(
        "The panel's feedback",
        "Enter the panel's feedback",
        f"What the agency should add, correct or explain before the panel can accept it. {PSEUDONYMS}",
    )
    field_order = ("feedback", "version")


class ResponseForm(VersionForm):
    response = _text(
        "Your agency's response",
        "Enter your agency's response to the feedback",
        f"How the report now answers each point; upload the revised report to the secure space first. {PSEUDONYMS}",
    )
    field_order = ("response", "version")
