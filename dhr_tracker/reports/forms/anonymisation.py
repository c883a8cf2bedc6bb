"""Forms of the pseudonym register, the candidate upload, resolving a hit and the override."""

from typing import Any, cast

from django import forms

from dhr_tracker.reports.models import HitResolution, IdentifierKind

SOMEONE_ELSE = "__someone_else__"


class RegisterAddForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of identifier is it?",
        choices=IdentifierKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what kind of identifier this is"},
    )
    pseudonym = forms.ChoiceField(
        label="Whose is it?",
        help_text="The person it identifies, by pseudonym",
        error_messages={
            "required": "Choose the person it identifies",
            "invalid_choice": "Choose the person it identifies",
        },
    )
    other_pseudonym = forms.CharField(
        label="Their pseudonym, if someone else",
        required=False,
        max_length=100,
        help_text="For someone not among the review's people and family: a pseudonym, never a real name",
    )
    value = forms.CharField(
        label="The identifier",
        max_length=500,
        help_text=(
            "As it might appear in a report: a nickname, former name, other spelling, address, phone or reference "
            "number. A date of birth as 17/05/1980"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Enter the identifier"},
    )

    def __init__(self, *args: Any, pseudonyms: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a person"), *((name, name) for name in pseudonyms), (SOMEONE_ELSE, "Someone else")]
        cast(forms.ChoiceField, self.fields["pseudonym"]).choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pseudonym") == SOMEONE_ELSE:
            if not data.get("other_pseudonym", "").strip():
                self.add_error("other_pseudonym", "Enter the pseudonym of the person it identifies")
            data["pseudonym"] = data.get("other_pseudonym", "")
        return data


class CandidateForm(forms.Form):
    file = forms.FileField(
        label="Upload the file to publish",
        help_text="The PDF to be published: DOCX, ODT and TXT files can be checked too, but only PDFs are published",
        error_messages={"required": "Select a file", "empty": "The selected file is empty"},
        widget=forms.FileInput(attrs={"accept": ".pdf,.docx,.odt,.txt"}),
    )

    def __init__(self, *args: Any, max_size: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = f"{self.fields['file'].help_text}. Smaller than {max_size}"


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        label="Does this identify someone?",
        choices=[
            (HitResolution.FIXED, "Yes: it will be fixed in a new upload"),
            (HitResolution.FALSE_POSITIVE, "No: it does not identify anyone (a false positive)"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether this identifies someone"},
    )
    note = forms.CharField(
        label="Why it does not identify anyone",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for a false positive. Use pseudonyms, never real names",
    )


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label="Why may this file be published despite what the check found?",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Your reason is recorded. Use pseudonyms, never real names",
        error_messages={"required": "Enter why this file may be published despite what the check found"},
    )
