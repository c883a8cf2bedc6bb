"""Family, friends and colleagues: the list by pseudonym, each person's page and contact log,
and the audited reveal of their real details (sudo mode)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path

from dhr_tracker.accounts.rules import SignedInRequest, sudo_required, verified
from dhr_tracker.forms import posted, submit
from dhr_tracker.reviews import access
from dhr_tracker.reviews.forms.family import (
    ContactForm,
    DraftReturnedForm,
    DraftSharedForm,
    FamilyMemberEditForm,
    FamilyMemberForm,
)
from dhr_tracker.reviews.models import FamilyMember, Review
from dhr_tracker.reviews.services import family as services
from dhr_tracker.reviews.views import PAGE_SIZE, review_for_change, review_page

SECTION = "reviews:family"


def _member(review: Review, member_id: int) -> FamilyMember:
    return get_object_or_404(FamilyMember, pk=member_id, review=review)


@verified()
def family(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    members = FamilyMember.objects.filter(review=review).only("pk", "pseudonym", "relationship", "consent")
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return review_page(
        request,
        "reviews/family.html",
        review,
        SECTION,
        {"page": page, "can_manage": access.can_manage_family(request.user, review)},
    )


@verified()
def family_add(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_family)
    form = FamilyMemberForm(posted(request))
    member = submit(form, lambda data: services.add_family_member(review, actor=request.user, request=request, **data))
    if member is not None:
        return redirect("reviews:family_member", review_id=review.pk, member_id=member.pk)
    return review_page(request, "reviews/family_add.html", review, SECTION, {"form": form})


def _contacts_page(request: SignedInRequest, member: FamilyMember) -> Any:
    contacts = member.contacts.select_related("recorded_by")
    return Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))


@verified()
def family_member(request: SignedInRequest, review_id: int, member_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    member = _member(review, member_id)
    return review_page(
        request,
        "reviews/family_member.html",
        review,
        SECTION,
        {
            "member": member,
            "contacts": _contacts_page(request, member),
            "can_manage": access.can_manage_family(request.user, review),
            "can_reveal": access.can_reveal_identities(request.user, review),
        },
    )


@verified()
def family_edit(request: SignedInRequest, review_id: int, member_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_family)
    member = _member(review, member_id)
    initial = {name: getattr(member, name) for name in services.PLAIN_FIELDS}
    form = FamilyMemberEditForm(posted(request), initial={**initial, "version": review.version})

    def save(data: dict[str, Any]) -> FamilyMember:
        plain = {name: data[name] for name in services.PLAIN_FIELDS}
        return services.update_family_member(
            member,
            actor=request.user,
            name=data["name"] or None,
            contact_details=data["contact_details"] or None,
            version=data["version"],
            request=request,
            **plain,
        )

    if submit(form, save) is not None:
        return redirect("reviews:family_member", review_id=review.pk, member_id=member.pk)
    return review_page(request, "reviews/family_edit.html", review, SECTION, {"form": form, "member": member})


@verified()
def family_reveal(request: SignedInRequest, review_id: int, member_id: int) -> HttpResponse:
    """Refuse who may not reveal before asking anyone for a fresh second factor."""
    review = access.access_review(request.user, review_id, for_write=False)
    member = _member(review, member_id)
    if not access.can_reveal_identities(request.user, review):
        raise PermissionDenied
    return _reveal(request, review, member)


@sudo_required
def _reveal(request: SignedInRequest, review: Review, member: FamilyMember) -> HttpResponse:
    revealed = services.reveal_family_member(member, actor=request.user, request=request)
    return review_page(
        request,
        "reviews/family_reveal.html",
        review,
        SECTION,
        {"member": member, "revealed": revealed, "contacts": _contacts_page(request, member)},
    )


@verified()
def family_contact_add(request: SignedInRequest, review_id: int, member_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_manage_family)
    member = _member(review, member_id)
    form = ContactForm(posted(request))
    if submit(form, lambda data: services.log_contact(member, actor=request.user, request=request, **data)):
        return redirect("reviews:family_member", review_id=review.pk, member_id=member.pk)
    return review_page(request, "reviews/family_contact_add.html", review, SECTION, {"form": form, "member": member})


@verified()
def family_draft(request: SignedInRequest, review_id: int, member_id: int) -> HttpResponse:
    """Two small forms on one page: the day the draft went out, and the day it came back."""
    review = review_for_change(request, review_id, access.can_manage_family)
    member = _member(review, member_id)
    step = request.POST.get("step") if request.method == "POST" else None
    shared = DraftSharedForm(
        posted(request) if step == "shared" else None, initial={"shared_on": member.draft_shared_on}
    )
    returned = DraftReturnedForm(
        posted(request) if step == "returned" else None, initial={"returned_on": member.draft_returned_on}
    )
    saved = None
    if step == "shared":
        saved = submit(
            shared, lambda data: services.record_draft_shared(member, actor=request.user, request=request, **data)
        )
    elif step == "returned":
        saved = submit(
            returned, lambda data: services.record_draft_returned(member, actor=request.user, request=request, **data)
        )
    if saved is not None:
        return redirect("reviews:family_member", review_id=review.pk, member_id=member.pk)
    return review_page(
        request,
        "reviews/family_draft.html",
        review,
        SECTION,
        {
            "member": member,
            "form": returned if step == "returned" else shared,
            "shared_form": shared,
            "returned_form": returned,
        },
    )


urlpatterns = [
    path("<int:review_id>/family/", family, name="family"),
    path("<int:review_id>/family/add/", family_add, name="family_add"),
    path("<int:review_id>/family/<int:member_id>/", family_member, name="family_member"),
    path("<int:review_id>/family/<int:member_id>/edit/", family_edit, name="family_edit"),
    path("<int:review_id>/family/<int:member_id>/real-details/", family_reveal, name="family_reveal"),
    path("<int:review_id>/family/<int:member_id>/contacts/add/", family_contact_add, name="family_contact_add"),
    path("<int:review_id>/family/<int:member_id>/draft-report/", family_draft, name="family_draft"),
]
