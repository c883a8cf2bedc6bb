"""Forms for recording a notification and the people involved."""

from typing import Any

from django import forms
from django.forms import formset_factory

from dhr_tracker.forms import DATE_INPUT as DATE
from dhr_tracker.reviews.models import CriminalStatus, DeathType, NotifierKind, PersonRole, Relationship
from dhr_tracker.reviews.services.notifications import PersonLine

PSEUDONYM_HELP = "The name used for them everywhere in the review, for example \u201cAdult A\u201d or an agreed name"


class NotificationFields(forms.Form):
    reference = forms.CharField(
        label="Reference", max_length=40, help_text="Your partnership's reference for the review"
    )
    notified_on = forms.DateField(
        label="Date the partnership was notified", widget=DATE, error_messages={"required": "Enter the date notified"}
    )
    notifier_kind = forms.ChoiceField(
        label="Who notified the partnership",
        choices=NotifierKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who notified the partnership"},
    )
    notifier_name = forms.CharField(
        label="Agency or role of the person who notified",
        max_length=200,
        help_text="For example \u201cExampleshire Police major crime team\u201d. Do not enter a family member's name",
        error_messages={"required": "Enter the agency or role of the person who notified"},
    )
    died_on = forms.DateField(
        label="Date of death", widget=DATE, error_messages={"required": "Enter the date of death"}
    )
    place_of_death = forms.CharField(
        label="Place of death",
        max_length=500,
        required=False,
        help_text="Kept encrypted and shown only to those who may see real details",
    )
    death_type = forms.ChoiceField(
        label="Type of death",
        choices=DeathType.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the type of death"},
    )
    coroner_involved = forms.BooleanField(label="The coroner is involved (an inquest is expected)", required=False)
    relationship = forms.ChoiceField(
        label="Relationship of the alleged perpetrator to the person who died",
        choices=[("", "Choose"), *Relationship.choices],
        error_messages={"required": "Select the relationship"},
    )
    relationship_detail = forms.CharField(label="About the relationship", max_length=200, required=False)
    police_force = forms.CharField(label="Police force", max_length=200, required=False)
    senior_investigating_officer = forms.CharField(label="Senior investigating officer", max_length=200, required=False)
    criminal_status = forms.ChoiceField(label="Criminal proceedings", choices=CriminalStatus.choices)
    other_partnerships = forms.CharField(
        label="Other partnerships involved",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example where the victim or perpetrator lived before",
    )


class NotificationForm(NotificationFields):
    not_a_duplicate = forms.BooleanField(
        label="This is a different death from the earlier notification shown", required=False
    )

    def __init__(self, *args: Any, partnerships: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(partnerships) > 1:
            self.fields["partnership"] = forms.TypedChoiceField(
                label="Partnership",
                choices=[("", "Choose"), *partnerships],
                coerce=int,
                error_messages={"required": "Select the partnership notified"},
            )
            self.order_fields(["partnership"])


class NotificationEditForm(NotificationFields):
    version = forms.IntegerField(widget=forms.HiddenInput)


class PersonForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=[("", "Choose"), *PersonRole.choices], required=False)
    pseudonym = forms.CharField(label="Pseudonym", max_length=100, required=False, help_text=PSEUDONYM_HELP)
    name = forms.CharField(label="Full name", max_length=200, required=False)
    birth_date = forms.DateField(label="Date of birth", widget=DATE, required=False)
    address = forms.CharField(label="Address", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.required = required

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        entered = any(cleaned.get(name) for name in ("pseudonym", "name", "birth_date", "address"))
        if not (entered or self.required):
            return cleaned
        if not cleaned.get("role"):
            self.add_error("role", "Select the person's role")
        if not cleaned.get("pseudonym", "").strip():
            self.add_error("pseudonym", "Enter a pseudonym")
        if not cleaned.get("name", "").strip():
            self.add_error("name", "Enter the person's full name")
        return cleaned

    def line(self) -> PersonLine | None:
        """The person entered, or ``None`` for a row left empty."""
        return to_line(self.cleaned_data) if self.cleaned_data.get("pseudonym") else None


def to_line(data: dict[str, Any]) -> PersonLine:
    return PersonLine(data["role"], data["pseudonym"], data["name"], data.get("birth_date"), data.get("address", ""))


PeopleFormSet = formset_factory(PersonForm, extra=3, max_num=20, min_num=1, validate_min=True)


def people_formset(data: Any) -> Any:
    """The people of a new notification; the first row is the victim and must be filled in."""
    initial = [{"role": PersonRole.VICTIM}, {"role": PersonRole.PERPETRATOR}]
    formset = PeopleFormSet(
        data,
        initial=initial,
        prefix="people",
        error_messages={"too_few_forms": "Enter the person who died"},
    )
    # A hand-made post may hold no rows at all: the formset refuses it with the message above.
    if formset.forms:
        formset.forms[0].required = True
    return formset


class AddPersonForm(PersonForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, required=True, **kwargs)
