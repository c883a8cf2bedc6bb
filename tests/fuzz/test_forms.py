"""Every form of the project, fed hostile data: it answers with a bool and errors a person can read.

Each form is built the way its view builds it (``form_cases.CASES``, one line per form), and every example
posts, per field, something plausible or something hostile (unicode, controls, NUL, very long
text, numbers out of range, dates that do not exist, several values for one name, no value, any
file). ``test_every_form_is_fuzzed`` finds every form class in ``dhr_tracker``, ``sharing`` and
``audit`` and fails on one missing from ``CASES``, so a new form cannot be forgotten.

The protocol's parties and a notification's people are formsets, fuzzed with their management
form's counts as hostile as their rows. ``test_pages.py`` follows the crashes found here to the
pages that read these forms.

What must hold, whatever was posted:
- ``is_valid()`` returns a bool and raises nothing;
- every error is a sentence for a person: text, with no "None", traceback or unfilled template;
- rendering the fields and errors never shows posted markup unescaped;
- a valid form's ``cleaned_data`` keeps its fields' promises (type, length, range, choices) and
  the methods its view calls next (filters, queries, lines, shares) run without error
  (``form_checks``).
"""

import importlib
import pkgutil
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, cast

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.datastructures import MultiValueDict
from django.utils.functional import Promise
from hypothesis import event, given
from hypothesis import strategies as st

import audit
import dhr_tracker
import sharing
from audit.forms import EventFilterForm
from dhr_tracker.accounts import forms as accounts
from dhr_tracker.chronologies.forms import combined, submissions
from dhr_tracker.funding.forms import PoundsField
from dhr_tracker.reviews.forms.panel import MoneyField
from tests.conftest import Personas
from tests.factories import PASSWORD
from tests.fuzz.form_cases import BARE, CASES, FACTORIES, FORMSETS, NOT_ALONE, FormBuilder, World
from tests.fuzz.form_checks import after_of, check_cleaned, choice_keys
from tests.fuzz.strategies import MARKUP, MISSING, fuzz, hostile_value, uploads


def _our_forms() -> Iterator[type[forms.BaseForm]]:
    """Every form class defined at module level in our packages (each module imported first)."""
    for package in (dhr_tracker, sharing, audit):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            # Migrations hold no forms, and importing wsgi or asgi builds an application.
            if ".migrations" not in module.name and not module.name.endswith(("wsgi", "asgi")):
                importlib.import_module(module.name)
    pending = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        defined_here = cls.__module__.split(".")[0] in {"dhr_tracker", "sharing", "audit"}
        # Classes made inside a function (the funding upload factories) are covered by FACTORIES.
        if defined_here and "<locals>" not in cls.__qualname__:
            yield cls


def test_every_form_is_fuzzed() -> None:
    found = set(_our_forms())
    assert len(found) > 100, "the discovery found too few forms to be walking the packages"
    assert found - set(CASES) - set(NOT_ALONE) == set(), "add each new form to CASES, built as its view builds it"
    assert set(CASES) | set(NOT_ALONE) <= found


# Plausible values, so that many examples pass validation and their cleaned data can be checked.

_WORDS = st.text(st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=60)
_TYPED_DATES = st.dates(date(1990, 1, 1), date(2035, 12, 31))
_PARTIAL_DATES = st.one_of(
    _TYPED_DATES.map(lambda day: f"{day:%d/%m/%Y}"), _TYPED_DATES.map(lambda day: f"{day:%b %Y}"), st.just("2019")
)
# Typed as people type them, with no time zone: the form reads them in the site's.
_TYPED_MOMENTS = st.datetimes(
    datetime(2000, 1, 1),  # noqa: DTZ001
    datetime(2035, 1, 1),  # noqa: DTZ001
).map(lambda moment: f"{moment:%Y-%m-%d %H:%M}")
_AMOUNTS = st.one_of(
    st.sampled_from(["0", "12", "350", "1,250.50", "\u00a34,500.00", "0.99"]), st.integers(0, 10**7).map(str)
)

STRONG_PASSWORD = "correct-horse-battery-staple-41"

# Values particular forms need to be valid at all, by (the class declaring the field, field name).
HINTS: dict[tuple[type[forms.BaseForm], str], st.SearchStrategy[Any]] = {
    (accounts.EnrolForm, "code"): st.from_regex(r"\d{6}", fullmatch=True),
    (accounts.CodeForm, "code"): st.from_regex(r"\d{6}|[a-z0-9]{10}", fullmatch=True),
    (accounts.NewPasswordForm, "new_password"): st.just(STRONG_PASSWORD),
    (accounts.NewPasswordForm, "confirm_password"): st.just(STRONG_PASSWORD),
    (accounts.ChangePasswordForm, "current_password"): st.just(PASSWORD),
    (submissions.EntryForm, "on"): _PARTIAL_DATES,
    (submissions.EntryForm, "at"): st.sampled_from(["", "14:30", "2.30pm"]),
    (combined.CombinedFilterForm, "since"): _PARTIAL_DATES,
    (combined.CombinedFilterForm, "until"): _PARTIAL_DATES,
    (EventFilterForm, "actor"): st.one_of(st.integers(1, 10**6).map(str), st.emails()),
}


def _hint(form: forms.BaseForm, name: str) -> st.SearchStrategy[Any] | None:
    for cls in type(form).__mro__:
        if (cls, name) in HINTS:
            return HINTS[(cls, name)]
    return None


def plausible(form: forms.BaseForm, name: str) -> st.SearchStrategy[Any]:
    """A value the field could accept: one of its choices, a date, a number in range, some words."""
    hint = _hint(form, name)
    if hint is not None:
        return hint
    field = form.fields[name]
    if isinstance(field, forms.FileField):
        return st.just(SimpleUploadedFile("chronology.csv", b"Date,Event\r\n2019,Seen by GP\r\n", "text/csv"))
    if isinstance(field.widget, forms.FileInput):
        # The secure space's upload forms are bound to the posted fields only: the file goes through the
        # encrypting upload handler, never through the form.
        return st.just(MISSING)
    if isinstance(field, forms.MultipleChoiceField):
        keys = [key for key in choice_keys(field.choices) if key]
        return st.lists(st.sampled_from(keys), unique=True, min_size=int(field.required)) if keys else st.just([])
    if isinstance(field, forms.ChoiceField):
        keys = choice_keys(field.choices)
        return st.sampled_from(keys) if keys else _WORDS
    if isinstance(field, forms.BooleanField):
        return st.sampled_from(["on", MISSING])
    if isinstance(field, forms.IntegerField):
        low = field.min_value if isinstance(field.min_value, int) else -5
        high = field.max_value if isinstance(field.max_value, int) else 10**6
        return st.integers(low, high).map(str)
    if isinstance(field, forms.DateTimeField):
        return _TYPED_MOMENTS
    if isinstance(field, forms.DateField):
        return _TYPED_DATES.map(date.isoformat)
    if isinstance(field, forms.EmailField):
        return st.from_regex(r"[a-z]{1,12}@[a-z]{1,12}\.example", fullmatch=True)
    if isinstance(field, MoneyField | PoundsField):
        return _AMOUNTS
    if isinstance(field.widget, forms.Select):
        return st.sampled_from(choice_keys(field.widget.choices))
    return _WORDS


@st.composite
def posted(draw: st.DrawFn, form: forms.BaseForm) -> tuple[MultiValueDict[str, Any], MultiValueDict[str, Any]]:
    """The data and files of a post: every field plausible, all but one, or each as it falls."""
    names = list(form.fields)
    mode = draw(st.sampled_from(["plausible", "one hostile", "hostile"]))
    odd = draw(st.sampled_from(names)) if names else None
    data: MultiValueDict[str, Any] = MultiValueDict()
    files: MultiValueDict[str, Any] = MultiValueDict()
    for name in names:
        if mode == "hostile" or (mode == "one hostile" and name == odd):
            value = draw(st.one_of(hostile_value, plausible(form, name)))
            if isinstance(form.fields[name].widget, forms.FileInput) and draw(st.booleans()):
                files.setlist(name, [draw(uploads())])
        else:
            value = draw(plausible(form, name))
        if isinstance(value, UploadedFile):
            files.setlist(name, [value])
        elif value is not MISSING:
            data.setlist(name, value if isinstance(value, list) else [value])
    if mode == "hostile" and draw(st.booleans()):
        # Names no field declares, as a tampered or replayed post carries.
        data.setlist(draw(st.text(max_size=10)), [draw(st.text(max_size=10))])
    return data, files


# Readable errors.

_UNREADABLE = ("None", "Traceback", "object at 0x", "{", "}", "<bound method")


def check_errors(form: forms.BaseForm) -> None:
    sent = " ".join(str(value) for _, values in cast(MultiValueDict[str, Any], form.data).lists() for value in values)
    # A message may quote what was typed; only what the code itself wrote is held to the rule.
    unreadable = [part for part in _UNREADABLE if part not in sent]
    for name, errors in form.errors.as_data().items():
        assert name == "__all__" or name in form.fields, f"an error on {name!r}, which is not a field"
        for error in errors:
            # Django's own messages are lazy translations, which become text when shown.
            assert isinstance(error.message, str | Promise), f"{name}: the error {error.message!r} is not text"
            template = str(error.message)
            assert not any(part in template for part in unreadable), f"{name}: {template!r} is not for a person"
            for message in error:
                assert isinstance(message, str), f"{name}: {message!r} is not text"
                assert message.strip(), f"{name}: an empty error"


def check_rendering(form: forms.BaseForm) -> None:
    """Render the errors, and the fields that show them or posted markup, as the page would; the markup must come back escaped."""
    sent = cast(MultiValueDict[str, Any], form.data)
    shown = [
        bound for bound in form if bound.errors or any("<" in str(value) for value in sent.getlist(bound.html_name))
    ]
    html = "".join(str(bound) for bound in shown) + str(form.errors) + str(form.non_field_errors())
    assert MARKUP not in html


@pytest.fixture
def world(request: pytest.FixtureRequest, personas: Personas) -> World:
    return World(request, personas)


@pytest.fixture
def bare_world(request: pytest.FixtureRequest) -> World:
    return World(request)


def _form_id(form_class: type[forms.BaseForm]) -> str:
    return f"{form_class.__module__}.{form_class.__name__}"


def fuzz_form(world: World, build: FormBuilder, data: st.DataObject) -> None:
    blank = build(world, MultiValueDict(), MultiValueDict())
    posted_data, posted_files = data.draw(posted(blank))
    form = build(world, posted_data, posted_files)
    valid = form.is_valid()
    assert isinstance(valid, bool)
    # --hypothesis-show-statistics tells how many examples of each form were valid.
    event("valid" if valid else "invalid")
    check_errors(form)
    check_rendering(form)
    if valid:
        check_cleaned(world, form)
    after = after_of(form)
    if after is not None:
        after(world, form)


@pytest.mark.parametrize("form_class", [form for form in CASES if form not in BARE], ids=_form_id)
@fuzz(max_examples=20)
@given(data=st.data())
def test_form_survives_hostile_posts(world: World, form_class: type[forms.BaseForm], data: st.DataObject) -> None:
    fuzz_form(world, CASES[form_class], data)


@pytest.mark.parametrize("form_class", [form for form in CASES if form in BARE], ids=_form_id)
@fuzz(max_examples=20)
@given(data=st.data())
def test_bare_form_survives_hostile_posts(
    bare_world: World, form_class: type[forms.BaseForm], data: st.DataObject
) -> None:
    fuzz_form(bare_world, CASES[form_class], data)


@pytest.mark.parametrize("factory", list(FACTORIES))
@fuzz(max_examples=20)
@given(data=st.data())
def test_factory_made_form_survives_hostile_posts(world: World, factory: str, data: st.DataObject) -> None:
    fuzz_form(world, FACTORIES[factory], data)


# Formsets, with the management form's counts as hostile as the rows.

_COUNTS = st.one_of(st.integers(0, 4).map(str), st.sampled_from(["-1", "1000000", "", "x", "\u00b2", "1e3"]))


@st.composite
def posted_rows(draw: st.DrawFn, formset: forms.BaseFormSet) -> MultiValueDict[str, Any]:
    rows = draw(st.integers(0, 4))
    data: MultiValueDict[str, Any] = MultiValueDict()
    management = {"TOTAL_FORMS": str(rows), "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}
    for name, value in management.items():
        data.setlist(f"{formset.prefix}-{name}", [draw(st.one_of(st.just(value), _COUNTS))])
    empty = formset.empty_form
    for index in range(rows):
        row, _ = draw(posted(empty))
        for name, values in row.lists():
            data.setlist(f"{formset.prefix}-{index}-{name}", values)
    return data


@pytest.mark.parametrize("formset", list(FORMSETS))
@fuzz(max_examples=20)
@given(data=st.data())
def test_formset_survives_hostile_posts(world: World, formset: str, data: st.DataObject) -> None:
    build = FORMSETS[formset]
    bound = build(world, data.draw(posted_rows(build(world, None))))
    valid = bound.is_valid()
    assert isinstance(valid, bool)
    event("valid" if valid else "invalid")
    for message in bound.non_form_errors():
        assert isinstance(message, str)
        assert message.strip()
    for form in bound.forms:
        check_errors(form)
        check_rendering(form)
        if valid and form.has_changed():
            check_cleaned(world, form)
            form.line()
