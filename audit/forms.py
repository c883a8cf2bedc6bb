"""The auditors' search form."""

from typing import Any

from django import forms
from django.db.models import Q

from audit.models import Outcome


class EventFilterForm(forms.Form):
    actor = forms.CharField(label="Person (e-mail or user id)", max_length=254, required=False)
    organisation = forms.CharField(label="Agency", max_length=200, required=False)
    partnership = forms.IntegerField(label="Partnership id", required=False, min_value=1)
    target_type = forms.CharField(
        label="Target type", max_length=100, required=False, help_text="For example sharing.document"
    )
    target_id = forms.CharField(label="Target id", max_length=100, required=False)
    action = forms.CharField(
        label="Action",
        max_length=100,
        required=False,
        help_text="For example document.downloaded, or auth. for every sign-in event",
    )
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Any"), *Outcome.choices], required=False)
    since = forms.DateTimeField(label="From", required=False, help_text="For example 2026-11-01 09:00")
    until = forms.DateTimeField(label="To", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the time range must be after its start")
        return cleaned

    def query(self) -> Q:
        """The filter these answers describe (the form must be valid)."""
        data = self.cleaned_data
        query = Q()
        actor = data.get("actor", "").strip()
        if actor:
            query &= Q(actor_id=int(actor)) if actor.isascii() and actor.isdigit() else Q(actor_email=actor.lower())
        if data.get("organisation"):
            query &= Q(actor_organisation__icontains=data["organisation"])
        if data.get("partnership"):
            query &= Q(partnership_id=data["partnership"])
        if data.get("target_type"):
            query &= Q(target_type=data["target_type"].strip().lower())
        if data.get("target_id"):
            query &= Q(target_id=data["target_id"].strip())
        action = data.get("action", "").strip()
        if action:
            query &= Q(action__startswith=action) if action.endswith(".") else Q(action=action)
        if data.get("outcome"):
            query &= Q(outcome=data["outcome"])
        if data.get("since"):
            query &= Q(time__gte=data["since"])
        if data.get("until"):
            query &= Q(time__lte=data["until"])
        return query

    def describe(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.cleaned_data.items() if value not in (None, "")}
