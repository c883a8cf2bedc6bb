"""How each form of the project is built, as its view builds it: the table ``test_forms`` fuzzes.

``CASES`` has one line per form class; ``FACTORIES`` the forms a view makes with a factory;
``FORMSETS`` the formsets. ``World`` holds what the views build their choices from.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django import forms
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from audit.forms import EventFilterForm
from dhr_tracker.accounts import forms as accounts
from dhr_tracker.accounts.models import Agency, Partnership, User
from dhr_tracker.chronologies.forms import combined, imr, requests, submissions
from dhr_tracker.funding.forms import applications, ledger, streams
from dhr_tracker.funding.services.streams import owner_choices
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reports import sections
from dhr_tracker.reports.forms import actions, anonymisation, drafts, learning, publication, qa
from dhr_tracker.reports.models import Recommendation
from dhr_tracker.reviews.forms import dashboard, family, meetings, notifications, panel, steps, terms
from dhr_tracker.reviews.models import Review
from sharing import forms as sharing_forms
from sharing.models import Space
from tests.conftest import Personas
from tests.reviews.conftest import ReviewWorld

FormBuilder = Callable[["World", MultiValueDict[str, Any], MultiValueDict[str, Any]], forms.BaseForm]


@dataclass
class World:
    """What the views build their forms from, for the personas' partnership.

    The personas (and so the database) are there only for the forms that read them; the others
    (``BARE``) are built from the post alone, and their tests are the faster for it.
    """

    request: pytest.FixtureRequest
    known: Personas | None = None

    @property
    def personas(self) -> Personas:
        assert self.known is not None, "this form reads the database: build it with _with_personas"
        return self.known

    @property
    def partnerships(self) -> list[tuple[int, str]]:
        return [(p.pk, p.name) for p in (self.personas.partnership, self.personas.other_partnership)]

    @property
    def agencies(self) -> list[tuple[int, str]]:
        contributors = (self.personas.contributor_a, self.personas.contributor_b)
        return list(
            Agency.objects.filter(memberships__user__in=contributors).order_by("name").values_list("pk", "name")
        )

    @property
    def users(self) -> list[tuple[int, str]]:
        people = (self.personas.csp_chair, self.personas.coordinator, self.personas.contributor_a)
        return [(user.pk, user.full_name) for user in people]

    @property
    def people(self) -> list[tuple[Any, Any]]:
        """People grouped under the agency they work for, as the panel and protocol pages list them."""
        return [
            ("Agency A Police", [(self.personas.contributor_a.pk, self.personas.contributor_a.full_name)]),
            ("Agency B Health", [(self.personas.contributor_b.pk, self.personas.contributor_b.full_name)]),
        ]

    @property
    def grantees(self) -> list[tuple[str, list[tuple[str, str]]]]:
        agency_a = self.agencies[0]
        return [
            ("Agencies (every member acting for them)", [(f"party:{agency_a[0]}", agency_a[1])]),
            ("People", [(f"user:{self.personas.contributor_b.pk}", f"{self.personas.contributor_b.full_name}")]),
        ]

    @property
    def documents(self) -> list[tuple[int, str]]:
        return [(901, "Minutes of the first panel meeting"), (902, "Agency A IMR")]

    @property
    def spaces(self) -> list[Space]:
        # The forms read a space's id and name only.
        return [Space(pk=801, name="Exampleshire funding"), Space(pk=802, name="Exampleshire reviews")]

    @property
    def reviews(self) -> list[Review]:
        partnership = self.personas.partnership
        return [
            Review(pk=701, reference="DHR 2026/01", partnership=partnership),
            Review(pk=702, reference="02", partnership=partnership),
        ]

    @property
    def review_world(self) -> ReviewWorld:
        """A notified review with its people, for the forms whose choices come from one (built only for them)."""
        world: ReviewWorld = self.request.getfixturevalue("review_world")
        return world

    @property
    def user(self) -> User:
        return self.personas.csp_chair


# Forms built from nothing but the post, whose tests need no database.
BARE: set[type[forms.BaseForm]] = set()


def _build(form_class: type[forms.BaseForm], **kwargs: Callable[["World"], Any]) -> FormBuilder:
    """Bind ``form_class`` with the posted data and the keyword arguments its view passes."""
    if not kwargs:
        BARE.add(form_class)

    def build(world: World, data: MultiValueDict[str, Any], files: MultiValueDict[str, Any]) -> forms.BaseForm:
        return form_class(data, files, **{name: make(world) for name, make in kwargs.items()})

    return build


def _with_user(form_class: type[accounts.NewPasswordForm]) -> FormBuilder:
    def build(world: World, data: MultiValueDict[str, Any], files: MultiValueDict[str, Any]) -> forms.BaseForm:
        return form_class(world.user, data, files)

    return build


def _with_personas(form_class: type[forms.BaseForm]) -> FormBuilder:
    """A form that reads the database (choices, or what its view does next) with the personas in it."""

    def build(world: World, data: MultiValueDict[str, Any], files: MultiValueDict[str, Any]) -> forms.BaseForm:
        assert world.personas.partnership.pk
        return form_class(data, files)

    return build


def _offered(factory: Callable[["World"], type[forms.BaseForm]]) -> FormBuilder:
    """A form class made for its page by a factory, as the funding upload pages make theirs."""

    def build(world: World, data: MultiValueDict[str, Any], files: MultiValueDict[str, Any]) -> forms.BaseForm:
        return factory(world)(data, files)

    return build


def _partnerships(world: World) -> list[tuple[int, str]]:
    return world.partnerships


def _agencies(world: World) -> list[tuple[int, str]]:
    return world.agencies


def _users(world: World) -> list[tuple[int, str]]:
    return world.users


def _people(world: World) -> list[tuple[Any, Any]]:
    return world.people


def _documents(world: World) -> list[tuple[int, str]]:
    return world.documents


def _subjects(world: World) -> list[tuple[str, str]]:
    return [("Adult A", "Adult A"), ("Adult B", "Adult B")]


def _spaces(world: World) -> list[Space]:
    return world.spaces


def _today_year(world: World) -> list[tuple[int, str]]:
    return streams.year_choices(timezone.localdate())


# One entry per form: how its view builds it. Forms with no keyword arguments are built bare.
CASES: dict[type[forms.BaseForm], FormBuilder] = {
    # audit
    EventFilterForm: _with_personas(EventFilterForm),
    # accounts
    accounts.SignInForm: _build(accounts.SignInForm),
    accounts.CodeForm: _with_personas(accounts.CodeForm),
    accounts.EnrolForm: _build(accounts.EnrolForm),
    accounts.PasswordResetRequestForm: _build(accounts.PasswordResetRequestForm),
    accounts.NewPasswordForm: _with_user(accounts.NewPasswordForm),
    accounts.ChangePasswordForm: _with_user(accounts.ChangePasswordForm),
    accounts.NewUserForm: _build(accounts.NewUserForm),
    accounts.GrantRoleForm: _with_personas(accounts.GrantRoleForm),
    accounts.MembershipForm: _with_personas(accounts.MembershipForm),
    accounts.UserSearchForm: _build(accounts.UserSearchForm),
    # chronologies
    combined.CombinedFilterForm: _build(combined.CombinedFilterForm, agencies=_agencies),
    combined.SignificanceForm: _build(combined.SignificanceForm),
    combined.NoteForm: _build(combined.NoteForm),
    imr.IMRForm: _build(imr.IMRForm, documents=_documents),
    imr.VersionForm: _build(imr.VersionForm),
    imr.FeedbackForm: _build(imr.FeedbackForm),
    imr.ResponseForm: _build(imr.ResponseForm),
    requests.RequestFieldsForm: _build(requests.RequestFieldsForm, subjects=_subjects),
    requests.NewRequestForm: _build(
        requests.NewRequestForm, subjects=_subjects, agencies=_agencies, usual_due=lambda world: "8 weeks from today"
    ),
    requests.EditRequestForm: _build(requests.EditRequestForm, subjects=_subjects),
    requests.CancelRequestForm: _build(requests.CancelRequestForm),
    requests.NilReturnForm: _build(requests.NilReturnForm),
    requests.ScopingAnswerForm: _build(requests.ScopingAnswerForm),
    requests.RequestFilters: _build(requests.RequestFilters, agencies=_agencies),
    submissions.EntryForm: _build(submissions.EntryForm),
    submissions.EntryEditForm: _build(submissions.EntryEditForm),
    submissions.VersionForm: _build(submissions.VersionForm),
    submissions.ReturnForm: _build(submissions.ReturnForm),
    submissions.AcceptForm: _build(submissions.AcceptForm),
    submissions.ImportForm: _build(submissions.ImportForm),
    # funding
    applications.FilterForm: _build(
        applications.FilterForm,
        years=lambda world: [FinancialYear(2025), FinancialYear(2024)],
        partnerships=_partnerships,
    ),
    applications.NewApplicationForm: _build(applications.NewApplicationForm, partnerships=_partnerships),
    applications.ApplicationForm: _build(
        applications.ApplicationForm,
        reviews=lambda world: [(review.pk, review.title) for review in world.reviews[:1]],
        partnership=lambda world: world.personas.partnership.name,
    ),
    applications.SpaceUploadForm: _build(applications.SpaceUploadForm, spaces=_spaces),
    applications.DocumentForm: _build(applications.DocumentForm, spaces=_spaces),
    applications.DecisionForm: _build(applications.DecisionForm, spaces=_spaces, reviews=lambda world: world.reviews),
    applications.PaymentForm: _build(applications.PaymentForm),
    applications.WithdrawForm: _build(applications.WithdrawForm),
    ledger.BudgetForm: _build(ledger.BudgetForm),
    ledger.CostForm: _build(ledger.CostForm, commitments=lambda world: [(601, "Chair's contract, £4,500.00")]),
    ledger.CancelForm: _build(ledger.CancelForm),
    ledger.ContributionForm: _build(ledger.ContributionForm),
    ledger.ReceiveForm: _build(ledger.ReceiveForm),
    ledger.YearForm: _build(ledger.YearForm, current=lambda world: FinancialYear.of(timezone.localdate())),
    streams.StreamForm: _build(streams.StreamForm, years=_today_year),
    streams.NewStreamForm: _build(
        streams.NewStreamForm, years=_today_year, owners=lambda world: owner_choices(world.personas.csp_chair)
    ),
    streams.EditStreamForm: _build(streams.EditStreamForm, years=_today_year),
    streams.StreamFilters: _build(streams.StreamFilters, years=lambda world: [2026, 2025, 2024]),
    # reports
    actions.RecommendationForm: _build(actions.RecommendationForm, owners=_users, agencies=_agencies),
    actions.EditRecommendationForm: _build(actions.EditRecommendationForm, owners=_users, agencies=_agencies),
    actions.ActionForm: _build(actions.ActionForm, owners=_users, agencies=_agencies),
    actions.EditActionForm: _build(actions.EditActionForm, owners=_users, agencies=_agencies),
    actions.DeleteForm: _build(actions.DeleteForm),
    actions.ProgressForm: _build(actions.ProgressForm, documents=_documents),
    actions.PlanFilters: _build(actions.PlanFilters, owners=_users),
    anonymisation.RegisterAddForm: _build(
        anonymisation.RegisterAddForm, pseudonyms=lambda world: ["Adult A", "Adult B"]
    ),
    anonymisation.CandidateForm: _build(anonymisation.CandidateForm, max_size=lambda world: "50 MB"),
    anonymisation.ResolveForm: _build(anonymisation.ResolveForm),
    anonymisation.OverrideForm: _build(anonymisation.OverrideForm),
    drafts.VersionUploadForm: _build(drafts.VersionUploadForm),
    drafts.CirculateForm: _build(drafts.CirculateForm),
    drafts.CommentForm: _build(drafts.CommentForm, choices=lambda world: sections.comment_choices("overview")),
    drafts.ResolveForm: _build(drafts.ResolveForm),
    drafts.FamilyCopyForm: _build(drafts.FamilyCopyForm, members=lambda world: [(501, "Family 1 (sister)")]),
    drafts.FamilyReturnForm: _build(drafts.FamilyReturnForm),
    drafts.PanelAgreementForm: _build(drafts.PanelAgreementForm, people=_users),
    drafts.ApprovalForm: _build(drafts.ApprovalForm),
    drafts.WithdrawForm: _build(drafts.WithdrawForm),
    learning.LearningFilterForm: _build(learning.LearningFilterForm, agencies=_agencies),
    learning.ThemesForm: _build(
        learning.ThemesForm,
        recommendations=lambda world: [Recommendation(pk=401, number=1), Recommendation(pk=402, number=2)],
    ),
    publication.FamilyToldForm: _build(publication.FamilyToldForm),
    publication.PublishForm: _build(publication.PublishForm),
    publication.UnpublishForm: _build(publication.UnpublishForm),
    publication.PublicSearchForm: _build(
        publication.PublicSearchForm,
        partnerships=lambda world: [(p.slug, p.name) for p in Partnership.objects.order_by("name")],
    ),
    qa.SubmissionForm: _build(qa.SubmissionForm, versions=lambda world: [(301, "Overview report, version 2")]),
    qa.OutcomeForm: _build(qa.OutcomeForm),
    qa.AreaDoneForm: _build(qa.AreaDoneForm),
    # reviews
    dashboard.DashboardFilters: _build(dashboard.DashboardFilters, partnerships=_partnerships),
    family.FamilyMemberForm: _build(family.FamilyMemberForm),
    family.FamilyMemberEditForm: _build(family.FamilyMemberEditForm),
    family.ContactForm: _build(family.ContactForm),
    family.DraftSharedForm: _build(family.DraftSharedForm),
    family.DraftReturnedForm: _build(family.DraftReturnedForm),
    meetings.MeetingForm: _build(meetings.MeetingForm, attendees=_users, minutes=_documents),
    meetings.MeetingEditForm: _build(meetings.MeetingEditForm, attendees=_users, minutes=_documents),
    meetings.ActionForm: _build(meetings.ActionForm, owners=_users),
    meetings.ActionDoneForm: _build(meetings.ActionDoneForm),
    notifications.NotificationFields: _build(notifications.NotificationFields),
    notifications.NotificationForm: _build(notifications.NotificationForm, partnerships=_partnerships),
    notifications.NotificationEditForm: _build(notifications.NotificationEditForm),
    notifications.PersonForm: _build(notifications.PersonForm),
    notifications.AddPersonForm: _build(notifications.AddPersonForm),
    panel.ProtocolChoiceForm: _build(panel.ProtocolChoiceForm, protocols=lambda world: [(201, "Exampleshire ISP")]),
    panel.ChairForm: _build(panel.ChairForm, people=_people),
    panel.DeclarationForm: _build(panel.DeclarationForm),
    panel.ConfirmForm: _build(panel.ConfirmForm),
    panel.ReasonForm: _build(panel.ReasonForm),
    panel.AgencyForm: _build(panel.AgencyForm, agencies=_agencies),
    panel.ParticipantForm: _build(panel.ParticipantForm, agencies=_agencies, people=_people),
    steps.VersionedForm: _build(steps.VersionedForm),
    steps.StepForm: _build(steps.StepForm, needs_rationale=lambda world: True),
    steps.DecisionForm: _build(steps.DecisionForm),
    steps.HomeOfficeForm: _build(steps.HomeOfficeForm),
    steps.DirectionForm: _build(steps.DirectionForm),
    steps.PauseForm: _build(steps.PauseForm, requesters=_users),
    steps.ResumeForm: _build(steps.ResumeForm),
    steps.ExtensionForm: _build(steps.ExtensionForm),
    terms.TermsForm: _build(terms.TermsForm, review=lambda world: world.review_world.review),
    terms.TermsEditForm: _build(terms.TermsEditForm, review=lambda world: world.review_world.review),
    terms.AgreeForm: _build(terms.AgreeForm),
    # sharing
    sharing_forms.ProtocolForm: _build(sharing_forms.ProtocolForm, scopes=_partnerships),
    sharing_forms.PartyForm: _build(
        sharing_forms.PartyForm,
        parties=_agencies,
        people=lambda world: [(name, [(world.personas.contributor_a.pk, "Alex")]) for _, name in world.agencies],
    ),
    sharing_forms.ReasonForm: _build(sharing_forms.ReasonForm),
    sharing_forms.SpaceForm: _build(sharing_forms.SpaceForm),
    sharing_forms.MemberForm: _build(sharing_forms.MemberForm, choices=lambda world: world.grantees),
    sharing_forms.UploadForm: _build(sharing_forms.UploadForm),
    sharing_forms.DocumentForm: _build(sharing_forms.DocumentForm),
    sharing_forms.GrantForm: _build(sharing_forms.GrantForm, choices=lambda world: world.grantees),
}

# Forms no view builds on their own, with the reason; their subclasses are in CASES.
NOT_ALONE: dict[type[forms.BaseForm], str] = {
    actions._Choices: "a base that fills in the owner and lead agency fields its subclasses declare",
}

# Forms a view makes with a factory, as the view makes them (formsets are in FORMSETS, below).
FACTORIES: dict[str, FormBuilder] = {
    "funding document_form()": _offered(lambda world: applications.document_form(world.spaces)),
    "funding decision_form()": _offered(lambda world: applications.decision_form(world.spaces, world.reviews)),
}


# Formsets: the rows of a protocol's parties and of a notification's people, with the management
# form's counts as hostile as the rows.

FORMSETS: dict[str, Callable[[World, MultiValueDict[str, Any] | None], forms.BaseFormSet]] = {
    "sharing party_formset()": lambda world, data: sharing_forms.party_formset(
        data, scope_id=world.review_world.review.partnership_id
    ),
    "reviews people_formset()": lambda world, data: notifications.people_formset(data),
}
