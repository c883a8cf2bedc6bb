"""Forms of publication: telling the family, publishing, unpublishing, and the public search."""

from typing import Any, cast

from django import forms

from dhr_tracker.forms import DATE_INPUT


class FamilyToldForm(forms.Form):
    told_on = forms.DateField(
        label="When was the family told?",
        widget=DATE_INPUT,
        error_messages={"required": "Enter the date the family was told", "invalid": "The date must be a real date"},
    )
    how = forms.CharField(
        label="How were they told?",
        max_length=200,
        help_text="For example in person, with their advocate",
        error_messages={"required": "Enter how the family was told, for example by their advocate"},
    )
    media_note = forms.CharField(
        label="Media lines agreed (optional)",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Use pseudonyms, never real names",
    )


class PublishForm(forms.Form):
    title = forms.CharField(
        label="Title on the public page (optional)",
        required=False,
        max_length=200,
        help_text="Leave it empty for the review's reference. Pseudonyms only: the title is public",
    )


class UnpublishForm(forms.Form):
    reason = forms.CharField(
        label="Why is the review taken off the public page?",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter why the review is taken off the public page"},
    )


class PublicSearchForm(forms.Form):
    q = forms.CharField(label="Search by title, reference or partnership", required=False, max_length=200)
    partnership = forms.ChoiceField(label="Partnership", required=False)

    def __init__(self, *args: Any, partnerships: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["partnership"]).choices = [("", "All partnerships"), *partnerships]
