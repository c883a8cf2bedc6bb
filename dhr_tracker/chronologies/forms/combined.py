"""The combined chronology's filters, read from the query string, and the panel's forms on an entry."""

from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings

from dhr_tracker.chronologies.combined import Filters
from dhr_tracker.chronologies.models import SUBJECT_CHOICES
from dhr_tracker.chronologies.partialdates import DATE_FORMS, DateError, PartialDate, parse_date
from dhr_tracker.chronologies.services.combined import NOTE_LIMIT

TEXT_LIMIT = 200
DATE_HELP = "For example 31/12/2019, Dec 2019 or 2019"


def _date_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=40,
        help_text=DATE_HELP,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
        error_messages={"max_length": DATE_FORMS},
    )


class CombinedFilterForm(forms.Form):
    """GOV.UK filters over the combined chronology; every field is optional."""

    agency = forms.TypedChoiceField(
        label="Agency",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )
    subject = forms.ChoiceField(
        label="Subject",
        choices=[("", "Anyone"), *SUBJECT_CHOICES],
        required=False,
        error_messages={"invalid_choice": "Choose a subject from the list"},
    )
    risk = forms.ChoiceField(
        label="Risk indicator",
        required=False,
        error_messages={"invalid_choice": "Choose a risk indicator from the list"},
    )
    significant = forms.BooleanField(label="Only entries marked significant", required=False)
    since = _date_field("From")
    until = _date_field("To")
    text = forms.CharField(
        label="Containing the words",
        required=False,
        max_length=TEXT_LIMIT,
        help_text="Searches the event, the action or outcome, the source record and the practitioner's role",
        error_messages={"max_length": f"Enter search words of {TEXT_LIMIT} characters or fewer"},
    )

    def __init__(self, *args: Any, agencies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["agency"]).choices = [("", "All agencies"), *agencies]
        risks = [(name, name) for name in settings.CHRONOLOGY_RISK_INDICATORS]
        cast(forms.ChoiceField, self.fields["risk"]).choices = [("", "Any or none"), *risks]

    @staticmethod
    def _date(value: str) -> PartialDate | None:
        if not value.strip():
            return None
        try:
            return parse_date(value)
        except DateError as error:
            raise forms.ValidationError(error.message) from error

    def clean_since(self) -> PartialDate | None:
        return self._date(self.cleaned_data["since"])

    def clean_until(self) -> PartialDate | None:
        return self._date(self.cleaned_data["until"])

    def clean_text(self) -> str:
        return " ".join(self.cleaned_data["text"].split())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until.end < since.start:
            self.add_error("until", "The \u2018to\u2019 date must be the same as or after the \u2018from\u2019 date")
        return data

    def filters(self) -> Filters | None:
        """The filters asked for, or ``None`` when any of them needs correcting (the form then shows why)."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        return Filters(
            agency=data["agency"],
            subject=data["subject"],
            risk=data["risk"],
            significant_only=data["significant"],
            since=data["since"],
            until=data["until"],
            text=data["text"],
        )

    def selection(self) -> str:
        """The filters as given, for links to other pages of the same selection; empty when there are none."""
        return urlencode([(name, self.data[name]) for name in self.fields if self.data.get(name)])


class SignificanceForm(forms.Form):
    significant = forms.TypedChoiceField(
        choices=[("yes", "Significant"), ("no", "Not significant")],
        coerce=lambda value: value == "yes",
        widget=forms.HiddenInput,
        error_messages={"required": "Choose whether the entry is significant"},
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Add a note",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTE_LIMIT,
        help_text="Use pseudonyms, never real names. Notes are the panel's: agencies' contributors never see them",
        error_messages={
            "required": "Enter the note",
            "max_length": f"The note must be {NOTE_LIMIT:,} characters or fewer",
        },
    )
