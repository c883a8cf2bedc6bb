"""Themes tagged on a review and on its recommendations, for learning across reviews.

The themes come from ``settings.REPORT_THEMES`` (coercive control, suicide, mental health...);
a tag not in that list is refused, so the learning pages count like with like. Saving replaces
the review's tags and those of each recommendation named, in one transaction, audited with the
themes (configured labels, not free text) and the recommendations' numbers.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from dhr_tracker.reports import access
from dhr_tracker.reports.models import Recommendation, RecommendationTheme, ReviewTheme
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import locked, record_change

UNKNOWN_THEME = "Choose themes from the list"


def configured() -> list[str]:
    """The themes a review or recommendation may be tagged with, in the order shown."""
    return list(settings.REPORT_THEMES)


def recommendation_field(recommendation_id: int) -> str:
    """The name of the form field of one recommendation's themes, which refusals name."""
    return f"recommendation_{recommendation_id}"


def _check(themes: list[str], field: str) -> set[str]:
    chosen = set(themes)
    if not chosen <= set(configured()):
        raise ValidationError({field: UNKNOWN_THEME})
    return chosen


def _replace(rows: QuerySet[Any], owner: dict[str, Any], chosen: set[str]) -> bool:
    """Make ``rows`` (the tags of one owner) exactly ``chosen``; whether anything changed."""
    held = set(rows.values_list("theme", flat=True))
    rows.filter(theme__in=held - chosen).delete()
    model = rows.model
    model._default_manager.bulk_create(model(theme=theme, **owner) for theme in sorted(chosen - held))
    return held != chosen


def tag(
    review: Review,
    *,
    actor: Any,
    review_themes: list[str],
    recommendation_themes: dict[int, list[str]],
    request: HttpRequest | None,
) -> None:
    """Set the review's themes and those of each of its recommendations given."""
    if not access.can_tag(actor, review):
        raise PermissionDenied
    chosen = _check(review_themes, "review_themes")
    per_recommendation = {pk: _check(themes, recommendation_field(pk)) for pk, themes in recommendation_themes.items()}
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_tag(actor, r))
        recommendations = {
            recommendation.pk: recommendation
            for recommendation in Recommendation.objects.filter(review=current, pk__in=per_recommendation)
        }
        if len(recommendations) != len(per_recommendation):
            raise ValidationError("Choose recommendations of this review")
        review_changed = _replace(ReviewTheme.objects.filter(review=current), {"review": current}, chosen)
        changed = sorted(
            recommendations[pk].number
            for pk, themes in per_recommendation.items()
            if _replace(
                RecommendationTheme.objects.filter(recommendation_id=pk),
                {"recommendation": recommendations[pk]},
                themes,
            )
        )
        record_change(
            "reports.themes_tagged",
            actor=actor,
            review=current,
            request=request,
            themes=sorted(chosen),
            review_changed=review_changed,
            recommendations_changed=changed,
        )
