"""What a valid form promises, and what each view does next with a form, for ``test_forms``."""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from audit.forms import EventFilterForm
from audit.models import AuditEvent
from dhr_tracker.accounts import forms as accounts
from dhr_tracker.accounts.models import TOTPDevice
from dhr_tracker.chronologies.forms import combined, requests, submissions
from dhr_tracker.chronologies.models import Entry
from dhr_tracker.chronologies.partialdates import PartialDate
from dhr_tracker.chronologies.services.submissions import check_entry
from dhr_tracker.funding import ledgers
from dhr_tracker.funding.forms import PoundsField, applications, ledger, streams
from dhr_tracker.funding.money import MAX_PENCE
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reports import learning as learning_queries
from dhr_tracker.reports.forms import actions, anonymisation, learning, qa
from dhr_tracker.reviews.forms import dashboard, notifications, terms
from dhr_tracker.reviews.forms.panel import MAX_POUNDS, MoneyField
from dhr_tracker.reviews.services import terms as terms_services
from sharing import forms as sharing_forms
from tests.conftest import enrol_device
from tests.fuzz.form_cases import World

Check = Callable[[World, Any], None]


def choice_keys(choices: Any) -> list[str]:
    """The values of ``choices``, those inside named groups included, as the form posts them."""
    keys: list[str] = []
    for key, label in choices:
        if isinstance(label, list | tuple):
            keys += [str(inner) for inner, _ in label]
        else:
            keys.append(str(key))
    return keys


# A valid form's promises.


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_field(field: forms.Field, value: Any) -> None:
    """Check one cleaned value against what its field promises."""
    empty = value in (None, "", [], ())
    if field.required and not isinstance(field, forms.BooleanField | forms.FileField):
        assert not empty, "a required field cleaned to nothing"
    if isinstance(field, MoneyField):
        assert value is None or (_is_int(value) and 0 <= value < MAX_POUNDS * 100)
    elif isinstance(field, PoundsField):
        assert value is None or (_is_int(value) and 0 <= value < MAX_PENCE)
    elif isinstance(field, forms.ModelChoiceField):
        assert field.queryset is not None
        assert value is None or field.queryset.filter(pk=value.pk).exists()
    elif isinstance(field, forms.TypedMultipleChoiceField):
        keys = {field.coerce(key) for key in choice_keys(field.choices)}
        assert isinstance(value, list)
        assert set(value) <= keys
    elif isinstance(field, forms.MultipleChoiceField):
        assert isinstance(value, list)
        assert set(value) <= set(choice_keys(field.choices))
    elif isinstance(field, forms.TypedChoiceField):
        keys = {field.coerce(key) for key in choice_keys(field.choices) if key not in field.empty_values}
        assert value in keys or (not field.required and value == field.empty_value)
    elif isinstance(field, forms.ChoiceField):
        assert isinstance(value, str)
        assert value in choice_keys(field.choices) or (not field.required and not value)
    elif isinstance(field, forms.DateTimeField):
        assert value is None or (isinstance(value, datetime) and timezone.is_aware(value))
    elif isinstance(field, forms.DateField):
        assert value is None or (isinstance(value, date) and not isinstance(value, datetime))
    elif isinstance(field, forms.IntegerField):
        assert value is None or _is_int(value)
        assert value is None or field.min_value is None or value >= field.min_value
        assert value is None or field.max_value is None or value <= field.max_value
    elif isinstance(field, forms.BooleanField):
        assert isinstance(value, bool)
        assert value or not field.required
    elif isinstance(field, forms.FileField):
        assert isinstance(value, UploadedFile)
        assert value.size
        assert value.name
    elif isinstance(field, forms.CharField):
        assert isinstance(value, str)
        assert field.max_length is None or len(value) <= field.max_length
        assert "\x00" not in value
        assert not field.strip or value == value.strip()
    if isinstance(field, forms.EmailField):
        assert "@" in value
        assert value == value.lower()


def _partial_date(world: World, value: Any) -> None:
    assert value is None or isinstance(value, PartialDate)


def _year(world: World, value: Any) -> None:
    assert isinstance(value, FinancialYear)
    assert FinancialYear.parse(value.label) == value
    # The partnership's ledger page shows the year's span and totals its costs within it.
    assert value.span
    ledgers.year_view(world.personas.partnership.pk, value)


def _six_digits(world: World, value: Any) -> None:
    # The enrolment page hands the code to the device, which reads it as a number.
    assert isinstance(value, str)
    assert len(value) == 6
    assert 0 <= int(value) < 10**6


def _areas(world: World, value: Any) -> None:
    assert isinstance(value, tuple)
    assert all(isinstance(area, str) and area == area.strip() and area for area in value)


def _text_searched(world: World, value: Any) -> None:
    assert isinstance(value, str)
    assert value == " ".join(value.split())
    assert len(value) <= combined.TEXT_LIMIT


def _pseudonym(world: World, value: Any) -> None:
    # "Someone else" is replaced by the pseudonym typed for them.
    assert isinstance(value, str)
    assert value.strip()
    assert value != anonymisation.SOMEONE_ELSE
    assert len(value) <= 100


# Fields whose clean_<name> (or the form's clean) turns the value into something else.
CLEANED: dict[tuple[type[forms.BaseForm], str], Check] = {
    (combined.CombinedFilterForm, "since"): _partial_date,
    (combined.CombinedFilterForm, "until"): _partial_date,
    (combined.CombinedFilterForm, "text"): _text_searched,
    (ledger.YearForm, "year"): _year,
    (accounts.EnrolForm, "code"): _six_digits,
    (qa.OutcomeForm, "areas"): _areas,
    (anonymisation.RegisterAddForm, "pseudonym"): _pseudonym,
}


def _cleaned_check(form: forms.BaseForm, name: str) -> Check | None:
    for cls in type(form).__mro__:
        if (cls, name) in CLEANED:
            return CLEANED[(cls, name)]
    return None


def check_cleaned(world: World, form: forms.BaseForm) -> None:
    for name, field in form.fields.items():
        assert name in form.cleaned_data, f"{name} is missing from a valid form's data"
        value = form.cleaned_data[name]
        special = _cleaned_check(form, name)
        try:
            if special is not None:
                special(world, value)
            else:
                check_field(field, value)
        except AssertionError as broken:
            raise AssertionError(f"{type(form).__name__}.{name} cleaned to {value!r}: {broken}") from broken


# What each view does next with a form, valid or not.


def _audit_search(world: World, form: Any) -> None:
    if form.is_valid():
        AuditEvent.objects.filter(form.query()).exists()
        assert all(isinstance(value, str) for value in form.describe().values())


def _combined_filters(world: World, form: Any) -> None:
    found = form.filters()
    assert (found is None) == (not form.is_valid())
    form.selection()
    if found is not None:
        found.apply(Entry.objects.all()).exists()
        found.in_words(dict(world.agencies))
        found.audited()
        if found.since and found.until:
            assert found.since.start <= found.until.end


def _learning_filters(world: World, form: Any) -> None:
    if form.is_valid():
        today = timezone.localdate()
        form.filters().apply(learning_queries.recommendations(None, today), today).exists()


def _chosen(world: World, form: Any) -> None:
    form.chosen()


def _chosen_and_selection(world: World, form: Any) -> None:
    form.chosen()
    form.selection()


def _line(world: World, form: Any) -> None:
    if form.is_valid():
        form.line()


def _costs(world: World, form: Any) -> None:
    form.cost_rows()
    if form.is_valid():
        assert all(_is_int(pence) and pence >= 0 for pence, _ in form.costs().values())


def _amounts(world: World, form: Any) -> None:
    if form.is_valid():
        assert all(_is_int(pence) and pence >= 0 for pence in form.amounts().values())


def _space(world: World, form: Any) -> None:
    if form.is_valid():
        assert form.chosen_space() in world.spaces


def _shares(world: World, form: Any) -> None:
    form.share_fields()
    if form.is_valid():
        _space(world, form)
        shares = form.shares()
        assert shares is None or all(_is_int(pence) and pence >= 0 for pence in shares.values())


def _entry(world: World, form: Any) -> None:
    if form.is_valid():
        # The form asks the service's own check, so a valid form is an entry the service accepts.
        check_entry(form.entry_fields())


def _themes(world: World, form: Any) -> None:
    if form.is_valid():
        form.recommendation_themes()


def _passwords(world: World, form: Any) -> None:
    if form.is_valid():
        assert form.cleaned_data["new_password"] == form.cleaned_data["confirm_password"]


def _code(world: World, form: Any) -> None:
    """The sign-in and sudo pages try the code on each of the user's devices in turn."""
    if form.is_valid():
        device = TOTPDevice.objects.filter(user=world.user).first() or enrol_device(world.user)
        assert device.verify_token(form.cleaned_data["code"]) in (True, False)


def _owner(world: World, form: Any) -> None:
    if form.is_valid() and form.cleaned_data["owner"] != "national":
        int(form.cleaned_data["owner"])


def _since_until(world: World, form: Any) -> None:
    _audit_search(world, form)
    if form.is_valid() and form.cleaned_data["since"] and form.cleaned_data["until"]:
        assert form.cleaned_data["since"] <= form.cleaned_data["until"]


def _terms_subjects(world: World, form: Any) -> None:
    if form.is_valid():
        known = {key for key, _ in terms_services.subject_choices(world.review_world.review)}
        assert set(form.cleaned_data["subjects"]) <= known


AFTER: dict[type[forms.BaseForm], Check] = {
    EventFilterForm: _since_until,
    combined.CombinedFilterForm: _combined_filters,
    learning.LearningFilterForm: _learning_filters,
    dashboard.DashboardFilters: _chosen,
    requests.RequestFilters: _chosen,
    streams.StreamFilters: _chosen_and_selection,
    actions.PlanFilters: _chosen_and_selection,
    sharing_forms.PartyForm: _line,
    notifications.PersonForm: _line,
    applications.ApplicationForm: _costs,
    ledger.BudgetForm: _amounts,
    applications.SpaceUploadForm: _space,
    applications.DecisionForm: _shares,
    submissions.EntryForm: _entry,
    learning.ThemesForm: _themes,
    accounts.NewPasswordForm: _passwords,
    accounts.CodeForm: _code,
    streams.NewStreamForm: _owner,
    terms.TermsForm: _terms_subjects,
}


def after_of(form: forms.BaseForm) -> Check | None:
    for cls in type(form).__mro__:
        if cls in AFTER:
            return AFTER[cls]
    return None
