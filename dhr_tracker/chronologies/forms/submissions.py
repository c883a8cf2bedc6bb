"""Forms for a chronology's entries, its submission and the panel's decision, and the import upload."""

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from dhr_tracker.chronologies.models import SUBJECT_CHOICES
from dhr_tracker.chronologies.partialdates import DATE_FORMS
from dhr_tracker.chronologies.services.submissions import TEXT_FIELDS, EntryFields, check_entry, risk_indicators
from dhr_tracker.chronologies.spreadsheets import MAX_BYTES, format_size

PSEUDONYMS = "Use the pseudonyms of the review, never real names"


def _limit(name: str) -> str:
    return f"Up to {TEXT_FIELDS[name][1]:,} characters"


class EntryForm(forms.Form):
    """One entry. The services read the date and time and check every field (``check_entry``); the
    form asks them too, so that every problem is shown at once rather than the form's first."""

    on = forms.CharField(
        label="Date",
        required=False,
        help_text=f"As precise as the record: a day, a month or a year. {DATE_FORMS}",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false"}),
    )
    at = forms.CharField(
        label="Time (optional)",
        required=False,
        help_text="Only if the record gives it, and only with a full date: 14:30 or 2.30pm",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "spellcheck": "false"}),
    )
    subject = forms.ChoiceField(
        label="Who the event is about",
        required=False,
        choices=SUBJECT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose who the event is about"},
    )
    source_record = forms.CharField(
        label="Source record (optional)",
        required=False,
        help_text=f"Your agency's reference for the record. {_limit('source_record')}",
    )
    practitioner_role = forms.CharField(
        label="Practitioner role (optional)",
        required=False,
        help_text=f"For example Health visitor. {_limit('practitioner_role')}",
    )
    event = forms.CharField(
        label="Event",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"What happened. {PSEUDONYMS}. {_limit('event')}",
    )
    action_or_outcome = forms.CharField(
        label="Action or outcome (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"What your agency did, or what came of it. {_limit('action_or_outcome')}",
    )
    risks = forms.MultipleChoiceField(
        label="Risk indicators (optional)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Select all that the record shows",
        error_messages={"invalid_choice": "Choose risk indicators from the list"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["risks"]).choices = [(name, name) for name in risk_indicators()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            check_entry(self.entry_fields())
        except ValidationError as refused:
            for name, messages in refused.message_dict.items():
                if name not in self.errors:
                    self.add_error(name, messages)
        return data

    def entry_fields(self) -> EntryFields:
        data = self.cleaned_data
        return EntryFields(
            on=data.get("on", ""),
            at=data.get("at", ""),
            subject=data.get("subject", ""),
            source_record=data.get("source_record", ""),
            practitioner_role=data.get("practitioner_role", ""),
            event=data.get("event", ""),
            action_or_outcome=data.get("action_or_outcome", ""),
            risks=tuple(data.get("risks", ())),
        )


class EntryEditForm(EntryForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class VersionForm(forms.Form):
    """A confirmation of a change to the version the page showed (delete, submit)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class ReturnForm(VersionForm):
    comments = forms.CharField(
        label="Comments for the agency",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"What the agency should correct or add. The agency sees these comments. {PSEUDONYMS}",
        error_messages={"required": "Enter your comments: what the agency should correct or add"},
    )


class AcceptForm(VersionForm):
    comments = forms.CharField(
        label="Note for the agency (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=PSEUDONYMS,
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Upload your chronology",
        help_text=f"An XLSX or CSV file made from the template, smaller than {format_size(MAX_BYTES)}",
        error_messages={"required": "Select a file", "empty": "The selected file is empty"},
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv"}),
    )
