"""Forms for protocols and spaces. Styling comes from the project's form renderer."""

from typing import Any, cast

from django import forms
from django.forms import formset_factory

from sharing.integration import hooks
from sharing.models import Classification, LegalBasis
from sharing.services.protocols import PartyLine

# Browsers read a date input's value only in ISO form, whatever the language of the page.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "govuk-input--width-10"})
RETENTION_MAX_MONTHS = 1200


class ProtocolForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    purposes = forms.CharField(label="Purposes of sharing", widget=forms.Textarea(attrs={"rows": 4}))
    legal_bases = forms.MultipleChoiceField(
        label="Legal bases",
        choices=LegalBasis.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one legal basis for sharing"},
    )
    legal_basis_other = forms.CharField(
        label="Other legal basis", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    max_classification = forms.ChoiceField(
        label="Highest classification allowed",
        choices=Classification.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the highest classification the protocol allows"},
    )
    data_categories = forms.CharField(
        label="Categories of data",
        help_text="For example: health records, police intelligence, social care case notes",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    retention_months = forms.IntegerField(
        label="Retention period, in months",
        min_value=1,
        max_value=RETENTION_MAX_MONTHS,
        help_text="How long shared documents are kept before they are destroyed",
    )
    valid_from = forms.DateField(label="Valid from", widget=DATE)
    valid_to = forms.DateField(label="Valid to", widget=DATE)
    review_date = forms.DateField(label="Review date", widget=DATE)

    def __init__(self, *args: Any, scopes: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scopes is not None and len(scopes) > 1:
            self.fields["scope"] = forms.TypedChoiceField(
                label="Partnership", choices=[("", "Choose"), *scopes], coerce=int
            )


class PartyForm(forms.Form):
    party = forms.TypedChoiceField(label="Agency", coerce=int, required=False)
    signatory = forms.TypedChoiceField(label="Signatory", coerce=int, required=False)
    signatory_role = forms.CharField(
        label="Signatory's role", max_length=200, required=False, help_text="For example: Caldicott Guardian"
    )

    def __init__(
        self,
        *args: Any,
        parties: list[tuple[int, str]],
        people: list[tuple[str, list[tuple[int, str]]]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        party, signatory = (
            cast(forms.ChoiceField, self.fields["party"]),
            cast(forms.ChoiceField, self.fields["signatory"]),
        )
        party.choices = [("", "None"), *parties]
        signatory.choices = [("", "None"), *people]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        given = [cleaned.get(name) for name in ("party", "signatory", "signatory_role")]
        if any(given) and not all(given):
            raise forms.ValidationError("Give the agency, its signatory and the signatory's role, or leave all three")
        return cleaned

    def line(self) -> PartyLine | None:
        data = self.cleaned_data
        if not data.get("party"):
            return None
        return PartyLine(data["party"], data["signatory"], data["signatory_role"])


PartyFormSet = formset_factory(PartyForm, extra=3, max_num=50)


def party_formset(data: Any, *, scope_id: int, initial: list[dict[str, Any]] | None = None) -> Any:
    """The parties' rows: those given, and three empty ones to add more.

    The choices are looked up once for every row, not once per row.
    """
    parties = hooks().party_choices(scope_id)
    people = [(name, hooks().people_of_party(pk)) for pk, name in parties]
    return PartyFormSet(data, initial=initial, prefix="parties", form_kwargs={"parties": parties, "people": people})


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Enter the reason"}
    )


class SpaceForm(forms.Form):
    name = forms.CharField(label="Name of the space", max_length=200)


class MemberForm(forms.Form):
    def __init__(self, *args: Any, choices: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"] = forms.ChoiceField(
            label="Person and the agency they act for",
            choices=[("", "Choose"), *choices],
            error_messages={"required": "Choose the person to add"},
        )


class UploadForm(forms.Form):
    """The file itself arrives through ``sharing.uploads``, never through this form's cleaning."""

    file = forms.Field(
        label="File",
        required=False,
        widget=forms.FileInput,
        help_text="PDF, Word, Excel, OpenDocument, CSV, text, RTF, email, PNG, JPEG or TIFF",
    )


class DocumentForm(UploadForm):
    title = forms.CharField(label="Title", max_length=200, error_messages={"required": "Enter a title"})
    description = forms.CharField(label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    classification = forms.ChoiceField(
        label="Classification",
        choices=Classification.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the document's classification"},
    )
    access_ends_on = forms.DateField(
        label="Last day of access (optional)",
        required=False,
        widget=DATE,
        help_text="After this date nobody can open the document, though it is kept until its retention ends",
    )
    field_order = ("file", "title", "description", "classification", "access_ends_on")


class GrantForm(forms.Form):
    def __init__(self, *args: Any, choices: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grantee"] = forms.ChoiceField(
            label="Share with",
            choices=[("", "Choose"), *choices],
            error_messages={"required": "Choose who to share the document with"},
        )
        self.fields["expires_on"] = forms.DateField(label="Last day of access (optional)", required=False, widget=DATE)
