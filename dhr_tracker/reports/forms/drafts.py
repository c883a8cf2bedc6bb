"""Forms for report versions, comment rounds, the family's copy and sign-off."""

from typing import Any, cast

from django import forms

from dhr_tracker.forms import DATE_INPUT as DATE
from dhr_tracker.reports.models import CommentStatus
from sharing.forms import UploadForm

PSEUDONYMS = "Use the pseudonyms of the review, never real names"
TEXT_LIMIT = 10_000


def _date(label: str, required: str, invalid: str, *, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label, widget=DATE, help_text=help_text, error_messages={"required": required, "invalid": invalid}
    )


def _text(label: str, *, required: str = "", help_text: str = "", rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=bool(required),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
        error_messages={"required": required},
    )


class VersionUploadForm(UploadForm):
    """The file arrives through the encrypting upload handler; the note with it."""

    note = _text("What changed in this version (optional)", help_text=PSEUDONYMS)


class CirculateForm(forms.Form):
    due_on = _date(
        "Comments due by",
        "Enter the date comments are due",
        "The date comments are due must be a real date",
        help_text="A date in the future",
    )
    message = _text("Message to the panel (optional)")


class CommentForm(forms.Form):
    section = forms.ChoiceField(
        label="Section",
        error_messages={
            "required": "Choose the section your comment is about",
            "invalid_choice": "Choose the section your comment is about",
        },
    )
    text = _text("Your comment", required="Enter your comment", help_text=PSEUDONYMS, rows=6)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["section"]).choices = choices


class ResolveForm(forms.Form):
    status = forms.ChoiceField(
        label="Outcome",
        widget=forms.RadioSelect,
        choices=[
            (CommentStatus.RESOLVED.value, CommentStatus.RESOLVED.label),
            (CommentStatus.NOT_RESOLVED.value, CommentStatus.NOT_RESOLVED.label),
        ],
        error_messages={
            "required": "Choose whether the comment is resolved",
            "invalid_choice": "Choose whether the comment is resolved",
        },
    )
    response = _text("Your response", help_text="What was changed, or why not. Required when not taken up")


class FamilyCopyForm(forms.Form):
    member = forms.TypedChoiceField(
        label="Family member (optional)",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a member of the family recorded for this review"},
    )
    shared_on = _date("Date shared", "Enter the date the draft was shared", "The date shared must be a real date")

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["member"]).choices = [("", "The family"), *members]


class FamilyReturnForm(forms.Form):
    returned_on = _date(
        "Date returned", "Enter the date the family returned the draft", "The date returned must be a real date"
    )
    response = _text("The family's response (optional)", help_text="Kept encrypted")


class PanelAgreementForm(forms.Form):
    signed_on = _date(
        "Date the panel agreed", "Enter the date the panel agreed the report", "The date must be a real date"
    )
    person = forms.TypedChoiceField(
        label="Who spoke for the panel",
        coerce=int,
        empty_value=None,
        error_messages={
            "required": "Choose who spoke for the panel",
            "invalid_choice": "Choose who spoke for the panel",
        },
    )
    note = _text("Note (optional)")

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["person"]).choices = [("", "Choose"), *people]


class ApprovalForm(forms.Form):
    overview = forms.IntegerField(widget=forms.HiddenInput)
    summary = forms.IntegerField(widget=forms.HiddenInput, required=False)
    signed_on = _date("Date approved", "Enter the date you approved the report", "The date must be a real date")
    note = _text("Note (optional)")


class WithdrawForm(forms.Form):
    reason = _text("Why is it withdrawn?", required="Enter why the sign-off is withdrawn")
