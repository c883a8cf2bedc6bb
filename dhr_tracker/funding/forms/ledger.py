"""Forms of a review's ledger: its budget, cost entries, contributions and their cancelling, and the
year of a partnership's view."""

from contextlib import suppress
from typing import Any, cast

from django import forms

from dhr_tracker.forms import DATE_INPUT
from dhr_tracker.funding.forms import PoundsField
from dhr_tracker.funding.models import CostCategory, CostKind, PartnerKind
from dhr_tracker.funding.years import FinancialYear

TEXT_LIMIT = 200
REASON_LIMIT = 10_000
# Years offered either side of the one shown in a partnership's view.
YEARS_BEFORE = 5
YEARS_AFTER = 1


def _date(label: str, required: str, *, optional: bool = False, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=not optional,
        widget=DATE_INPUT,
        help_text=help_text,
        error_messages={"required": required, "invalid": f"{label} must be a real date"},
    )


def _short(label: str, *, required: str = "", help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=bool(required),
        max_length=TEXT_LIMIT,
        help_text=help_text,
        error_messages={"required": required, "max_length": f"{label} must be {TEXT_LIMIT} characters or fewer"},
    )


class BudgetForm(forms.Form):
    """The budget of each category, in pounds; an empty box is no budget."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category in CostCategory:
            self.fields[category.value] = PoundsField(
                name=f"the budget for {category.label.lower()}", label=category.label, required=False
            )

    def amounts(self) -> dict[str, int]:
        """Pence by category, zero for an empty box."""
        return {category: self.cleaned_data[category] or 0 for category in CostCategory.values}


class CostForm(forms.Form):
    kind = forms.ChoiceField(
        label="Is it a commitment or an actual cost?",
        choices=CostKind.choices,
        widget=forms.RadioSelect,
        help_text="A commitment is an order or contract; an actual cost is an invoice paid.",
        error_messages={"required": "Choose whether this is a commitment or an actual cost"},
    )
    category = forms.ChoiceField(
        label="Category",
        choices=[("", "Choose a category"), *CostCategory.choices],
        error_messages={"required": "Choose the category of the cost", "invalid_choice": "Choose a category"},
    )
    description = _short("Description", required="Enter what the cost is for")
    supplier = _short("Supplier", help_text="Optional")
    on = _date("Date", "Enter the date of the order or invoice", help_text="It decides the financial year.")
    amount = PoundsField(name="the amount")
    against = forms.TypedChoiceField(
        label="Commitment it settles",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For an actual cost only: the order or contract the invoice is paid under, if any.",
        error_messages={"invalid_choice": "Choose a commitment of this review in the same category"},
    )

    def __init__(self, *args: Any, commitments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["against"]).choices = [("", "None"), *commitments]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is it cancelled?",
        max_length=REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="It stays on the record, struck through, with this reason.",
        error_messages={
            "required": "Enter why it is cancelled",
            "max_length": f"The reason must be {REASON_LIMIT:,} characters or fewer",
        },
    )


class ContributionForm(forms.Form):
    partner_kind = forms.ChoiceField(
        label="Who is it from?",
        choices=[(kind.value, kind.label) for kind in PartnerKind if kind != PartnerKind.AWARDED_FUND],
        widget=forms.RadioSelect,
        help_text="Awarded funds are added when the award is recorded on the application.",
        error_messages={
            "required": "Choose who the contribution is from",
            "invalid_choice": "Choose who the contribution is from",
        },
    )
    partner_name = _short(
        "Name of the partner",
        help_text="Needed for another partner; left empty, it is the partnership's or the commissioner's name.",
    )
    amount = PoundsField(name="the amount agreed")
    agreed_on = _date("Date agreed", "Enter the date it was agreed", help_text="It decides the financial year.")
    received = PoundsField(name="the amount received", required=False, help_text="Leave empty if nothing yet.")
    received_on = _date("Date received", "Enter the date it was received", optional=True)
    note = _short("Note", help_text="Optional: a purchase order or reference, never personal details.")


class ReceiveForm(forms.Form):
    received = PoundsField(name="the amount received", help_text="The total received so far, not this payment.")
    received_on = _date("Date received", "Enter the date it was received", optional=True)


class YearForm(forms.Form):
    """The financial year of a partnership's view, as "2025-26"."""

    year = forms.CharField(
        label="Financial year", widget=forms.Select, error_messages={"required": "Choose a financial year"}
    )

    def __init__(self, *args: Any, current: FinancialYear, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        starts = set(range(current.start_year - YEARS_BEFORE, current.start_year + YEARS_AFTER + 1))
        with suppress(ValueError):  # refused with its message when the form is cleaned
            starts.add(FinancialYear.parse(str(self.data.get("year", ""))).start_year)
        labels = [FinancialYear(start).label for start in sorted(starts, reverse=True)]
        cast(forms.Select, self.fields["year"].widget).choices = [(label, label) for label in labels]

    def clean_year(self) -> FinancialYear:
        try:
            return FinancialYear.parse(self.cleaned_data["year"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="year") from exc
