"""Forms for the independent chair, the scoped agencies and the panel.

The rules (declarations required, who may join, dates) live in ``services.panel``, which names the
field it refuses; these forms only turn what was typed into values, so each message has one home.
"""

import re
from typing import Any

from django import forms

from dhr_tracker.forms import DATE_INPUT as DATE
from dhr_tracker.reviews.models import ParticipantKind, Seniority

# Whole pounds with optional thousands commas, then optional pence: "4,500.00", "£350", "12.5".
_MONEY = re.compile(r"£?(?P<pounds>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<pence>\d{1,2}))?")
# Far above any review's costs; refuses a mistyped run of digits before it reaches the database.
MAX_POUNDS = 10_000_000

STANDARD_DECLARATION = (
    "I have no current or past involvement with the agencies or the people in this review, "
    "and I do not manage, and have not managed, anyone who was involved."
)

Choices = list[tuple[Any, Any]]


class MoneyField(forms.Field):
    """Pounds and pence as typed, cleaned to whole pence exactly (never through a float)."""

    widget = forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "decimal", "spellcheck": "false"})

    def __init__(self, *, noun: str, **kwargs: Any) -> None:
        self.noun = noun
        kwargs.setdefault("error_messages", {"required": f"Enter {noun} in pounds, for example 4,500.00"})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip().replace(" ", "")
        if not text:
            return None
        if text.startswith(("-", "£-")):
            raise forms.ValidationError(f"{self.noun.capitalize()} must be £0 or more")
        match = _MONEY.fullmatch(text)
        if match is None:
            raise forms.ValidationError(f"Enter {self.noun} in pounds and pence, for example 4,500.00")
        pounds = int(match["pounds"].replace(",", ""))
        if pounds >= MAX_POUNDS:
            raise forms.ValidationError(f"{self.noun.capitalize()} must be less than £{MAX_POUNDS:,}")
        return pounds * 100 + int((match["pence"] or "0").ljust(2, "0"))


class ProtocolChoiceForm(forms.Form):
    def __init__(self, *args: Any, protocols: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"] = forms.TypedChoiceField(
            label="Information-sharing protocol",
            choices=protocols,
            coerce=int,
            widget=forms.RadioSelect,
            help_text="Documents of the review are shared under this protocol, between the agencies party to it",
            error_messages={"required": "Select the protocol to share the review's documents under"},
        )


class ChairForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    accreditation = forms.CharField(
        label="Training or accreditation",
        max_length=300,
        required=False,
        help_text="For example AAFDA's chair training, with the year",
    )
    procurement = forms.CharField(
        label="How the chair was procured",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example the quotes sought and why this chair was chosen",
    )
    fee_pence = MoneyField(label="Chair's fee, in pounds", noun="the chair's fee")
    budget_pence = MoneyField(label="Budget for the chair, in pounds", noun="the budget for the chair")
    starts_on = forms.DateField(
        label="Start of the appointment", widget=DATE, error_messages={"required": "Enter the start of the appointment"}
    )
    ends_on = forms.DateField(label="Planned end of the appointment (optional)", required=False, widget=DATE)

    def __init__(self, *args: Any, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"] = forms.TypedChoiceField(
            label="Independent chair",
            choices=[("", "Choose"), *people],
            coerce=int,
            help_text="Chairs are listed under the agency they work for",
            error_messages={"required": "Choose the independent chair"},
        )
        self.fields["author"] = forms.TypedChoiceField(
            label="Separate author of the report (optional)",
            choices=[("", "None: the chair writes the report"), *people],
            coerce=int,
            empty_value=None,
            required=False,
        )
        self.order_fields(["chair", "accreditation", "procurement", "fee_pence", "budget_pence", "starts_on"])


class DeclarationForm(forms.Form):
    independence_statement = forms.CharField(
        label="The chair's declaration",
        required=False,
        initial=STANDARD_DECLARATION,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="As the chair signed it, with any interest they declared",
    )
    # One box, as a one-choice list, so it renders with the GOV.UK checkbox markup of the others.
    confirmed = forms.MultipleChoiceField(
        label="Signature",
        choices=[("signed", "The chair has signed this declaration")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ConfirmForm(forms.Form):
    """No fields: the page asks for the button only, and shows any refusal."""


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AgencyForm(forms.Form):
    def __init__(self, *args: Any, agencies: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"] = forms.TypedChoiceField(
            label="Agency",
            choices=agencies,
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={"required": "Select the agency to scope into the review"},
        )


class ParticipantForm(forms.Form):
    kind = forms.ChoiceField(
        label="Role on the review",
        choices=[
            (kind.value, kind.label) for kind in (ParticipantKind.PANEL_MEMBER, ParticipantKind.AGENCY_CONTRIBUTOR)
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether they join the panel or contribute for their agency"},
    )
    role_title = forms.CharField(
        label="Their role in their agency",
        max_length=200,
        required=False,
        help_text="For example Head of public protection",
    )
    seniority = forms.ChoiceField(label="Seniority", choices=[("", "Choose"), *Seniority.choices], required=False)
    independence_statement = forms.CharField(
        label="Declaration of independence from the case (panel members)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Not involved in the case, and not managing anyone who was",
    )
    independence_declared_on = forms.DateField(
        label="Date the independence declaration was signed", required=False, widget=DATE
    )
    confidentiality_declared_on = forms.DateField(
        label="Date the confidentiality agreement was signed", required=False, widget=DATE
    )

    def __init__(self, *args: Any, agencies: Choices, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"] = forms.TypedChoiceField(
            label="Agency they act for",
            choices=[("", "Choose"), *agencies],
            coerce=int,
            help_text="Only agencies scoped into the review",
            error_messages={"required": "Choose the agency they act for"},
        )
        self.fields["user"] = forms.TypedChoiceField(
            label="Person",
            choices=[("", "Choose"), *people],
            coerce=int,
            help_text="People are listed under the agency they work for",
            error_messages={"required": "Choose the person to add"},
        )
        self.order_fields(["agency", "user", "kind"])
