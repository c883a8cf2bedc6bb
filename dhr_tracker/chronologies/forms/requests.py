"""Forms for sending, changing and cancelling requests, and for the agencies' nil returns and scoping answers."""

from typing import Any, cast

from django import forms

from dhr_tracker.chronologies.models import RequestKind, RequestStatus
from dhr_tracker.forms import DATE_INPUT as DATE

PSEUDONYMS = "Use the pseudonyms of the review, never real names"
YES_NO = [("yes", "Yes"), ("no", "No")]
# The filter of requests owed and past their due date, beside the statuses themselves.
OVERDUE = "overdue"


def _yes(value: str) -> bool:
    return value == "yes"


def _reason(label: str, required: str, help_text: str = PSEUDONYMS) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=help_text,
        error_messages={"required": required},
    )


def _version() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput)


class RequestFieldsForm(forms.Form):
    """What a request asks: the period, the subjects, the due date and the instructions."""

    period_start = forms.DateField(
        label="Start of the period",
        widget=DATE,
        error_messages={"required": "Enter the start of the period", "invalid": "The start must be a real date"},
    )
    period_end = forms.DateField(
        label="End of the period",
        widget=DATE,
        error_messages={"required": "Enter the end of the period", "invalid": "The end must be a real date"},
    )
    subjects = forms.MultipleChoiceField(
        label="People the agency should look for",
        help_text="Listed by pseudonym; the agency is never told real names here",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one person the agency should look for",
            "invalid_choice": "Choose the subjects from the people of the review",
        },
    )
    due_on = forms.DateField(
        label="Due date",
        widget=DATE,
        error_messages={"required": "Enter the due date", "invalid": "The due date must be a real date"},
    )
    instructions = forms.CharField(
        label="Instructions",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"What the agency should do, and how to send it. {PSEUDONYMS}",
    )

    def __init__(self, *args: Any, subjects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["subjects"]).choices = subjects


class NewRequestForm(RequestFieldsForm):
    agency = forms.TypedChoiceField(
        label="Agency",
        coerce=int,
        error_messages={
            "required": "Choose the agency to ask",
            "invalid_choice": "Choose an agency scoped into the review",
        },
    )
    kind = forms.ChoiceField(
        label="What the agency is asked for",
        choices=RequestKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the agency is asked for"},
    )

    def __init__(self, *args: Any, agencies: list[tuple[int, str]], usual_due: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["agency"]).choices = [("", "Choose an agency"), *agencies]
        # Left empty, the due date is the usual one for what is asked.
        due = self.fields["due_on"]
        due.required = False
        due.help_text = usual_due
        self.order_fields(["agency", "kind"])


class EditRequestForm(RequestFieldsForm):
    version = _version()


class CancelRequestForm(forms.Form):
    reason = _reason(
        "Why is the request cancelled?",
        "Enter why the request is cancelled",
        help_text=f"The agency sees this reason. {PSEUDONYMS}",
    )
    version = _version()


class NilReturnForm(forms.Form):
    reason = _reason(
        "What did your agency search, and why did it find no contact?",
        "Enter what your agency searched and why it found no contact",
        help_text=f"For example the systems searched, the names and dates of birth used, and the period. {PSEUDONYMS}",
    )
    version = _version()


class ScopingAnswerForm(forms.Form):
    had_contact = forms.TypedChoiceField(
        label="Did your agency have contact with any of the subjects in the period?",
        choices=YES_NO,
        coerce=_yes,
        widget=forms.RadioSelect,
        help_text="If not, your answer is a nil return",
        error_messages={"required": "Say whether your agency had contact with the subjects"},
    )
    summary = _reason(
        "Summary",
        "Enter a summary of your agency's contact, or what it searched if it had none",
        help_text=f"If you had contact: with whom, when and what kind. If not: what you searched. {PSEUDONYMS}",
    )
    records_secured = forms.TypedChoiceField(
        label="Has your agency secured its records?",
        choices=YES_NO,
        coerce=_yes,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Needed if your agency had contact: the records must not be changed or destroyed",
        error_messages={"invalid_choice": "Say whether your agency has secured its records"},
    )
    version = _version()


class RequestFilters(forms.Form):
    """The list's filters, read from the query string."""

    agency = forms.TypedChoiceField(label="Agency", coerce=int, empty_value=None, required=False)
    status = forms.ChoiceField(
        label="Status",
        choices=[("", "Any status"), (OVERDUE, "Overdue"), *RequestStatus.choices],
        required=False,
    )

    def __init__(self, *args: Any, agencies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["agency"]).choices = [("", "All agencies"), *agencies]

    def chosen(self) -> dict[str, Any]:
        """The filters given and valid; an invalid one is ignored."""
        self.is_valid()
        return {"agency": self.cleaned_data.get("agency"), "status": self.cleaned_data.get("status") or ""}
