"""Publication: the checklist, telling the family, publishing, unpublishing, and the public pages.

The public pages need no sign-in (``public``): they show only live publications
(``access.public_publications``), extend ``base.html`` with no review navigation, and answer 404
for anything unpublished or taken down (the partnership supplies it on request). Published files
are served as attachments with ``nosniff``, so a browser never renders them inline.
"""

import re
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path

from dhr_tracker.accounts.models import Partnership
from dhr_tracker.accounts.rules import SignedInRequest, public, verified
from dhr_tracker.downloads import attachment
from dhr_tracker.forms import posted, submit
from dhr_tracker.reports import access
from dhr_tracker.reports.facts import REQUIRED_ITEMS, live_candidates
from dhr_tracker.reports.forms.publication import FamilyToldForm, PublicSearchForm, PublishForm, UnpublishForm
from dhr_tracker.reports.models import Publication, PublicationItemKind, PublishedItem
from dhr_tracker.reports.services import publication as services
from dhr_tracker.reports.views import PAGE_SIZE, post_only, report_page
from dhr_tracker.reviews.models import Review

SECTION = "reports:publication"


def _checklist(review: Review) -> list[dict[str, Any]]:
    """One row per item that may be published: its live candidate, if any, and what stands in its way."""
    live = {candidate.item: candidate for candidate in live_candidates(review)}
    rows = []
    for item in PublicationItemKind:
        found = live.get(item)
        rows.append(
            {
                "item": item,
                "label": item.label,
                "required": item in REQUIRED_ITEMS,
                "candidate": found,
                "problem": services.candidate_problem(found) if found else "",
            }
        )
    return rows


def _publication_page(
    request: SignedInRequest, review: Review, *, unpublish_form: UnpublishForm | None = None
) -> HttpResponse:
    user = request.user
    publication = services.publication_of(review)
    published = publication is not None and publication.published_on is not None
    can_unpublish = publication is not None and access.can_unpublish(user, publication)
    context = {
        "publication": publication,
        "published": published,
        "items": publication.items.order_by("item") if published and publication else [],
        "rows": _checklist(review),
        "problems": services.problems(review),
        "can_check": access.can_check(user, review),
        "can_keep_register": access.can_keep_register(user, review),
        "can_tell_family": access.can_prepare_publication(user, review),
        "can_publish": access.can_ask_to_publish(user, review) and not published,
        "can_unpublish": can_unpublish,
        "unpublish_form": unpublish_form or (UnpublishForm() if can_unpublish else None),
        "form": unpublish_form,
    }
    return report_page(request, "reports/publication_checklist.html", review, SECTION, context)


@verified()
def publication(request: SignedInRequest, review_id: int) -> HttpResponse:
    return _publication_page(request, access.access_review(request.user, review_id))


@verified()
def family_told(request: SignedInRequest, review_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id)
    if not access.can_prepare_publication(request.user, review):
        raise PermissionDenied
    current = services.publication_of(review)
    initial = (
        {"told_on": current.family_told_on, "how": current.family_told_how, "media_note": current.media_note}
        if current
        else {}
    )
    form = FamilyToldForm(posted(request), initial=initial)
    done = submit(form, lambda data: services.record_family_told(review, actor=request.user, request=request, **data))
    if done is not None:
        return redirect("reports:publication", review_id=review.pk)
    return report_page(request, "reports/publication_family_told.html", review, SECTION, {"form": form})


@verified()
def publish(request: SignedInRequest, review_id: int) -> HttpResponse:
    """GET: what will be published, or what stands in the way; POST: publish."""
    review = access.access_review(request.user, review_id)
    if not access.can_ask_to_publish(request.user, review):
        raise PermissionDenied
    form = PublishForm(posted(request), initial={"title": services.default_title(review)})
    done = submit(form, lambda data: services.publish(review, actor=request.user, title=data["title"], request=request))
    if done is not None:
        return redirect("reports:publication", review_id=review.pk)
    context = {
        "form": form,
        "problems": services.problems(review),
        "candidates": live_candidates(review),
    }
    return report_page(request, "reports/publication_publish.html", review, SECTION, context)


@verified()
def unpublish(request: SignedInRequest, publication_id: int) -> HttpResponse:
    found = Publication.objects.select_related("review__partnership").filter(pk=publication_id).first()
    if found is None or not access.reads_review(request.user, found.review):
        raise Http404
    if not access.can_unpublish(request.user, found):
        raise PermissionDenied
    refused = post_only(request)
    if refused is not None:
        return refused
    form = UnpublishForm(request.POST)
    done = submit(
        form, lambda data: services.unpublish(found, actor=request.user, reason=data["reason"], request=request)
    )
    if done is not None:
        return redirect("reports:publication", review_id=found.review_id)
    return _publication_page(request, found.review, unpublish_form=form)


# The public pages ----------------------------------------------------------------------------


def _listed(request: HttpRequest, partnership: Partnership | None) -> HttpResponse:
    live = access.public_publications().select_related("review__partnership")
    partnerships = Partnership.objects.filter(pk__in=live.values("review__partnership_id")).order_by("name")
    form = PublicSearchForm(request.GET, partnerships=[(p.slug, p.name) for p in partnerships])
    chosen = form.cleaned_data if form.is_valid() else {"q": "", "partnership": ""}
    if partnership is not None:
        live = live.filter(review__partnership=partnership)
    elif chosen["partnership"]:
        live = live.filter(review__partnership__slug=chosen["partnership"])
    if query := chosen["q"].strip():
        live = live.filter(
            Q(title__icontains=query)
            | Q(review__reference__icontains=query)
            | Q(review__partnership__name__icontains=query)
        )
    page = Paginator(live.order_by("-published_on", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    kept = urlencode([(name, value) for name, value in chosen.items() if value])
    context = {
        "form": form,
        "page": page,
        "partnership": partnership,
        "query": chosen["q"],
        "page_query": f"{kept}&" if kept else "",
    }
    return render(request, "reports/public_list.html", context)


@public
def public_list(request: HttpRequest) -> HttpResponse:
    """Every partnership's published reviews, newest first, searchable."""
    return _listed(request, None)


@public
def public_partnership(request: HttpRequest, slug: str) -> HttpResponse:
    return _listed(request, get_object_or_404(Partnership, slug=slug))


@public
def public_review(request: HttpRequest, slug: str, publication_id: int) -> HttpResponse:
    """A published review's files with their SHA-256; 404 once taken down (supplied on request)."""
    found = access.access_public_publication(publication_id)
    if found.review.partnership.slug != slug:
        raise Http404
    return render(request, "reports/public_review.html", {"publication": found, "items": found.items.order_by("item")})


# A published file's name, as a header allows it: letters, digits, dots, dashes and underscores.
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _download_name(item: PublishedItem) -> str:
    stem = _UNSAFE_IN_NAME.sub("-", f"{item.publication.review.reference}-{item.item}").strip("-.")
    return f"{stem or 'publication'}.pdf"


@public
def public_file(request: HttpRequest, item_id: int) -> HttpResponse:
    item = (
        PublishedItem.objects.select_related("publication__review")
        .filter(pk=item_id, publication__in=access.public_publications())
        .first()
    )
    if item is None:
        raise Http404
    return attachment(bytes(item.content), content_type="application/pdf", file_name=_download_name(item))


urlpatterns = [
    path("reviews/<int:review_id>/publication/", publication, name="publication"),
    path("reviews/<int:review_id>/publication/family-told/", family_told, name="family_told"),
    path("reviews/<int:review_id>/publication/publish/", publish, name="publish"),
    path("publications/<int:publication_id>/unpublish/", unpublish, name="unpublish"),
    path("published/", public_list, name="public_list"),
    path("published-files/<int:item_id>/", public_file, name="public_file"),
    path("published/<slug:slug>/", public_partnership, name="public_partnership"),
    path("published/<slug:slug>/<int:publication_id>/", public_review, name="public_review"),
]
