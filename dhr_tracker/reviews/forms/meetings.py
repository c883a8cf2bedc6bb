"""Forms for panel meetings and their actions."""

from typing import Any, cast

from django import forms

from dhr_tracker.forms import DATE_INPUT as DATE


class MeetingForm(forms.Form):
    held_on = forms.DateField(
        label="Date of the meeting", widget=DATE, error_messages={"required": "Enter the date of the meeting"}
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        initial="Panel meeting",
        error_messages={"required": "Enter the title of the meeting"},
    )
    attendees = forms.TypedMultipleChoiceField(
        label="Who attended",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose the attendees from the people on the review's panel"},
    )
    decisions = forms.CharField(
        label="Decisions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Use pseudonyms, not real names",
    )
    minutes = forms.TypedChoiceField(
        label="Minutes (optional)",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="A document you can open in the review's secure space; upload it there first",
        error_messages={"invalid_choice": "Choose the minutes from the documents in the review's secure space"},
    )

    def __init__(
        self,
        *args: Any,
        attendees: list[tuple[int, str]],
        minutes: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["attendees"]).choices = attendees
        cast(forms.ChoiceField, self.fields["minutes"]).choices = [("", "No minutes yet"), *minutes]


class MeetingEditForm(MeetingForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ActionForm(forms.Form):
    text = forms.CharField(
        label="Action",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Use pseudonyms, not real names",
        error_messages={"required": "Enter the action"},
    )
    owner = forms.TypedChoiceField(
        label="Owner",
        coerce=int,
        error_messages={
            "required": "Choose the owner of the action",
            "invalid_choice": "Choose an owner from the people on the review",
        },
    )
    due_on = forms.DateField(label="Due date", widget=DATE, error_messages={"required": "Enter the due date"})

    def __init__(self, *args: Any, owners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["owner"]).choices = [("", "Choose"), *owners]


class ActionDoneForm(forms.Form):
    done_on = forms.DateField(
        label="Date the action was done", widget=DATE, error_messages={"required": "Enter the date the action was done"}
    )
