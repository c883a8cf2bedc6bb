"""Learning across reviews: tagging themes on a review, a partnership's learning page for its CSP
chairs and coordinators, and the national page for users with national oversight; each page's
export.

Who may see a learning page is decided before anything is read: ``access.can_see_learning`` for a
partnership (404 for everyone else, so a partnership's existence does not leak) and
``access.can_see_national_learning`` for the national page (404 otherwise). The themes page is
for those who read the review; tagging, for those who run it (403 for the others).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.models import Partnership
from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.downloads import SPREADSHEETS, attachment
from dhr_tracker.forms import posted, submit
from dhr_tracker.reports import access, learning
from dhr_tracker.reports.forms.learning import LearningFilterForm, ThemesForm
from dhr_tracker.reports.models import Recommendation
from dhr_tracker.reports.services import themes as services
from dhr_tracker.reports.views import PAGE_SIZE, report_page

SECTION = "reports:action_plan"


# Themes of a review ---------------------------------------------------------------------------


@verified()
def review_themes(request: SignedInRequest, review_id: int) -> HttpResponse:
    """The review's themes and its recommendations' themes; those who run the review change them."""
    review = access.access_review(request.user, review_id)
    can_tag = access.can_tag(request.user, review)
    if request.method == "POST" and not can_tag:
        raise PermissionDenied
    recommendations = list(Recommendation.objects.filter(review=review).prefetch_related("themes").order_by("number"))
    initial: dict[str, Any] = {"review_themes": list(review.themes.values_list("theme", flat=True))}
    for recommendation in recommendations:
        initial[services.recommendation_field(recommendation.pk)] = [
            theme.theme for theme in recommendation.themes.all()
        ]
    form = ThemesForm(posted(request), recommendations=recommendations, initial=initial)
    submit(
        form,
        lambda data: services.tag(
            review,
            actor=request.user,
            review_themes=data["review_themes"],
            recommendation_themes=form.recommendation_themes(),
            request=request,
        ),
    )
    if form.is_bound and not form.errors:
        return redirect("reports:themes", review_id=review.pk)
    context = {
        "form": form,
        "can_tag": can_tag,
        "review_field": form["review_themes"],
        "recommendation_fields": [
            (recommendation, form[services.recommendation_field(recommendation.pk)])
            for recommendation in recommendations
        ],
    }
    return report_page(request, "reports/learning_themes.html", review, SECTION, context)


# Learning pages -------------------------------------------------------------------------------


def _partnership(request: SignedInRequest, partnership_id: int) -> Partnership:
    if not access.can_see_learning(request.user, partnership_id):
        raise Http404
    found = Partnership.objects.filter(pk=partnership_id).first()
    if found is None:
        raise Http404
    return found


def _national(request: SignedInRequest) -> None:
    if not access.can_see_national_learning(request.user):
        raise Http404


def _filter_form(request: SignedInRequest, partnership: Partnership | None) -> LearningFilterForm:
    today = timezone.localdate()
    base = learning.recommendations(partnership.pk if partnership else None, today)
    return LearningFilterForm(request.GET, agencies=learning.agency_choices(base))


def _page(request: SignedInRequest, partnership: Partnership | None) -> HttpResponse:
    today = timezone.localdate()
    form = _filter_form(request, partnership)
    context: dict[str, Any] = {"form": form, "partnership": partnership, "formats": SPREADSHEETS}
    if form.is_valid():
        selected = form.filters().apply(learning.recommendations(partnership.pk if partnership else None, today), today)
        page = Paginator(learning.listed(selected), PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context |= {
            "page": page,
            "rows": learning.rows(list(page), today),
            "by_status": learning.counts_by_status(selected),
            "by_theme": learning.counts_by_theme(selected),
            "groups": learning.repeated(selected, today),
            "selection": query.urlencode(),
        }
    status = 400 if form.errors else 200
    return render(request, "reports/learning.html", context, status=status)


@verified()
def partnership_learning(request: SignedInRequest, partnership_id: int) -> HttpResponse:
    """The recommendations of a partnership's reviews, by theme, agency, status and age, repeated ones grouped."""
    partnership = _partnership(request, partnership_id)
    return _page(request, partnership)


@verified()
def national_learning(request: SignedInRequest) -> HttpResponse:
    """The recommendations of every partnership's reviews, for national oversight."""
    _national(request)
    return _page(request, None)


def _export(request: SignedInRequest, partnership: Partnership | None) -> HttpResponse:
    fmt = request.GET.get("format", "")
    form = _filter_form(request, partnership)
    if fmt not in SPREADSHEETS or not form.is_valid():
        return render(request, "reports/learning_export_problem.html", {"partnership": partnership}, status=400)
    made = learning.export(partnership, actor=request.user, filters=form.filters(), fmt=fmt, request=request)
    kind = SPREADSHEETS[fmt]
    name = f"{partnership.name if partnership else 'National'} recommendations {timezone.localdate().isoformat()}"
    return attachment(made.content, content_type=kind.content_type, file_name=f"{name}.{kind.extension}")


@verified()
def partnership_learning_export(request: SignedInRequest, partnership_id: int) -> HttpResponse:
    """The partnership's selected recommendations as XLSX or CSV (``?format=``), audited."""
    return _export(request, _partnership(request, partnership_id))


@verified()
def national_learning_export(request: SignedInRequest) -> HttpResponse:
    """Every partnership's selected recommendations as XLSX or CSV, audited."""
    _national(request)
    return _export(request, None)


urlpatterns = [
    path("reviews/<int:review_id>/themes/", review_themes, name="themes"),
    path("learning/partnerships/<int:partnership_id>/", partnership_learning, name="learning"),
    path("learning/partnerships/<int:partnership_id>/export/", partnership_learning_export, name="learning_export"),
    path("learning/national/", national_learning, name="national_learning"),
    path("learning/national/export/", national_learning_export, name="national_learning_export"),
]
