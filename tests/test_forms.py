"""The project's form renderer gives every widget the GOV.UK Design System's markup."""

from django import forms


class Choices(forms.Form):
    one = forms.ChoiceField(label="One", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    many = forms.MultipleChoiceField(
        label="Many", choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
    )


def test_radios_are_govuk_radios_and_checkboxes_govuk_checkboxes() -> None:
    form = Choices()

    radios, checkboxes = str(form["one"].as_field_group()), str(form["many"].as_field_group())

    assert 'class="govuk-radios govuk-radios--small" data-module="govuk-radios"' in radios
    assert radios.count('class="govuk-radios__item"') == 2
    assert "govuk-checkboxes" not in radios
    assert 'class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes"' in checkboxes
    assert checkboxes.count('class="govuk-checkboxes__item"') == 2
    assert "govuk-radios" not in checkboxes
    assert "<legend" in radios
    assert "<legend" in checkboxes


def test_a_single_checkbox_sits_in_a_govuk_checkbox_item_with_its_label() -> None:
    """GOV.UK hides the bare input and draws the box on the label, so both must be in an item."""

    class Single(forms.Form):
        agree = forms.BooleanField(label="I agree", required=False, help_text="Tick if you agree")

    html = str(Single()["agree"].as_field_group())

    assert 'class="govuk-checkboxes__item"' in html
    assert '<label class="govuk-label govuk-checkboxes__label" for="id_agree">I agree</label>' in html
    assert html.index('type="checkbox"') < html.index("govuk-checkboxes__label")
    assert 'class="govuk-hint govuk-checkboxes__hint"' in html
