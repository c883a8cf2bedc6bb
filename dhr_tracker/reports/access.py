"""Who may see and do what with reports, sign-off, the action plan, quality assurance,
anonymisation and publication. Deny by default.

- **Those who run the review** (its partnership's CSP chairs and coordinators, and the independent
  chair), while it is open: add report versions, circulate them to the panel, resolve comments,
  record the family's copy and the panel's agreement, write the action plan, track the Home
  Office's areas for development, keep the pseudonym register and run the anonymisation check.
- **The CSP chair** alone approves the report, overrides an anonymisation hit (in sudo mode), and
  publishes; CSP chairs and coordinators record Home Office submissions and letters, tell the
  family, and unpublish.
- **Panel members**: read the reports' pages and comment while a round is open.
- **Owners of actions** (anyone the plan names, often in an agency): see and update their own
  actions, and nothing else of the review.
- **National oversight** (``User.national_oversight``): the learning page across partnerships;
  never a review itself.
- Everyone else, including auditors, site administrators and other partnerships: a 404.
- The public: published reviews only, without signing in.

``access_<thing>(user, pk)`` return the object or raise ``Http404``; the ``can_<verb>``
predicates decide single actions, and services ask them again inside their transaction.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from dhr_tracker.reports.models import (
    Action,
    AreaForDevelopment,
    Candidate,
    Comment,
    CommentRound,
    FamilyCopy,
    Publication,
    QASubmission,
    Recommendation,
    Report,
    ReportVersion,
    SignOff,
    SignOffKind,
)
from dhr_tracker.reviews import access as review_access
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Review

# Once published, the report is fixed: new versions, rounds and sign-offs stop.
AFTER_PUBLICATION = frozenset({State.PUBLISHED, State.ACTION_MONITORING, State.CLOSED})


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def reads_review(user: Any, review: Review) -> bool:
    """The partnership, the independent chair and the panel."""
    return bool(review_access.roles_in(user, review))


def runs_review(user: Any, review: Review) -> bool:
    """The partnership's chairs and coordinators and the independent chair, while the review is open."""
    return review_access.can_change(user, review)


def access_review(user: Any, review_id: int) -> Review:
    """The review, if the user reads it; 404 otherwise."""
    return review_access.access_review(user, review_id, for_write=False)


# Drafts, comments and sign-off ----------------------------------------------------------------


def drafting_open(review: Review) -> bool:
    """Reports are written from commissioning until publication."""
    return review_access.is_commissioned(review) and State(review.state) not in AFTER_PUBLICATION


def can_draft(user: Any, review: Review) -> bool:
    """Add a version, download the starting draft, circulate, resolve comments, record the family's copy."""
    return drafting_open(review) and runs_review(user, review)


def access_report(user: Any, report_id: int) -> Report:
    found = Report.objects.select_related("review__partnership").filter(pk=report_id).first()
    if found is None or not reads_review(user, found.review):
        raise Http404
    return found


def access_version(user: Any, version_id: int) -> ReportVersion:
    found = (
        ReportVersion.objects.select_related("report__review__partnership", "document_version__document")
        .filter(pk=version_id)
        .first()
    )
    if found is None or not reads_review(user, found.report.review):
        raise Http404
    return found


def access_round(user: Any, round_id: int) -> CommentRound:
    found = CommentRound.objects.select_related("version__report__review__partnership").filter(pk=round_id).first()
    if found is None or not reads_review(user, found.version.report.review):
        raise Http404
    return found


def can_comment(user: Any, comment_round: CommentRound) -> bool:
    """Panel members (and the others who read the review) comment while the round is open."""
    review = comment_round.version.report.review
    if comment_round.closed_at is not None or not drafting_open(review):
        return False
    return reads_review(user, review)


def access_comment(user: Any, comment_id: int) -> Comment:
    found = Comment.objects.select_related("round__version__report__review__partnership").filter(pk=comment_id)
    comment = found.first()
    if comment is None or not reads_review(user, comment.round.version.report.review):
        raise Http404
    return comment


def can_resolve(user: Any, comment: Comment) -> bool:
    return can_draft(user, comment.round.version.report.review)


def access_family_copy(user: Any, copy_id: int) -> FamilyCopy:
    """The family's copy, if the user reads its review; 404 otherwise."""
    found = FamilyCopy.objects.select_related("version__report__review__partnership").filter(pk=copy_id).first()
    if found is None or not reads_review(user, found.version.report.review):
        raise Http404
    return found


def can_record_panel_agreement(user: Any, review: Review) -> bool:
    return can_draft(user, review)


def can_approve(user: Any, review: Review) -> bool:
    """The CSP chair approves the report for the partnership."""
    return drafting_open(review) and review_access.is_csp_chair(user, review)


def access_signoff(user: Any, signoff_id: int) -> SignOff:
    """The sign-off, if the user reads its review; 404 otherwise."""
    found = SignOff.objects.select_related("review__partnership").filter(pk=signoff_id).first()
    if found is None or not reads_review(user, found.review):
        raise Http404
    return found


def can_withdraw_signoff(user: Any, signoff: SignOff) -> bool:
    """A live sign-off: the panel's by those who record it, the CSP chair's by the CSP chair."""
    if signoff.withdrawn_at is not None:
        return False
    if signoff.kind == SignOffKind.PANEL:
        return can_record_panel_agreement(user, signoff.review)
    return can_approve(user, signoff.review)


# The action plan ------------------------------------------------------------------------------


def can_plan(user: Any, review: Review) -> bool:
    """Add, change and remove recommendations and actions: those who run the review, while it is open."""
    return review_access.is_commissioned(review) and runs_review(user, review)


def can_edit_action(user: Any, action: Action) -> bool:
    """Change what an action is, who owns it and when it is due: those who plan."""
    return can_plan(user, action.recommendation.review)


def visible_actions(user: Any) -> QuerySet[Action]:
    """Every action the user may see: all those of the reviews they read, and their own elsewhere."""
    if not _active(user):
        return Action.objects.none()
    readable = review_access.visible_reviews(user).values("pk")
    return Action.objects.filter(Q(recommendation__review_id__in=readable) | Q(owner=user))


def access_action(user: Any, action_id: int) -> Action:
    found = (
        visible_actions(user)
        .select_related("recommendation__review__partnership", "owner", "lead_agency")
        .filter(pk=action_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def access_recommendation(user: Any, recommendation_id: int) -> Recommendation:
    found = Recommendation.objects.select_related("review__partnership").filter(pk=recommendation_id).first()
    if found is None or not reads_review(user, found.review):
        raise Http404
    return found


def can_update_action(user: Any, action: Action) -> bool:
    """Progress, milestones, evidence and completion: the action's owner, or those who run the review."""
    review = action.recommendation.review
    if review_access.is_final(review):
        return False
    if _active(user) and user.pk == action.owner_id:
        return True
    return runs_review(user, review)


def can_export_plan(user: Any, review: Review) -> bool:
    return reads_review(user, review)


# Home Office quality assurance ----------------------------------------------------------------


def can_record_qa(user: Any, review: Review) -> bool:
    """Submissions, letters and outcomes: the partnership's chairs and coordinators."""
    return drafting_open(review) and review_access.is_manager(user, review)


def access_submission(user: Any, submission_id: int) -> QASubmission:
    found = QASubmission.objects.select_related("review__partnership").filter(pk=submission_id).first()
    if found is None or not reads_review(user, found.review):
        raise Http404
    return found


def access_area(user: Any, area_id: int) -> AreaForDevelopment:
    """The area, if the user reads its review; 404 otherwise."""
    found = AreaForDevelopment.objects.select_related("submission__review__partnership").filter(pk=area_id).first()
    if found is None or not reads_review(user, found.submission.review):
        raise Http404
    return found


def can_complete_area(user: Any, review: Review) -> bool:
    """Mark an area for final development done: those who run the review (the chair amends the report)."""
    return drafting_open(review) and runs_review(user, review)


# Anonymisation --------------------------------------------------------------------------------


def can_keep_register(user: Any, review: Review) -> bool:
    """Add to, read (in sudo mode) and remove from the pseudonym register: as for real details."""
    return not review_access.is_final(review) and review_access.can_reveal_identities(user, review)


def can_check(user: Any, review: Review) -> bool:
    """Upload candidate publications and resolve what the check found."""
    return drafting_open(review) and runs_review(user, review)


def access_candidate(user: Any, candidate_id: int) -> Candidate:
    found = Candidate.objects.select_related("review__partnership").filter(pk=candidate_id).first()
    if found is None or not reads_review(user, found.review):
        raise Http404
    return found


def can_override(user: Any, review: Review) -> bool:
    """Publish despite open hits (with a reason, in sudo mode): the CSP chair."""
    return drafting_open(review) and review_access.is_csp_chair(user, review)


# Publication ----------------------------------------------------------------------------------


def can_prepare_publication(user: Any, review: Review) -> bool:
    """Record that the family was told, the media lines and the title: the partnership."""
    return drafting_open(review) and review_access.is_manager(user, review)


def can_publish(user: Any, review: Review) -> bool:
    return review_access.can_take(user, review, "publish")


def can_ask_to_publish(user: Any, review: Review) -> bool:
    """Open the publish page and be told what stands in the way: whoever the ``publish`` step is for."""
    return review_access.has_step_role(user, review, "publish")


def can_unpublish(user: Any, publication: Publication) -> bool:
    if not publication.is_live:
        return False
    return review_access.is_manager(user, publication.review)


def public_publications() -> QuerySet[Publication]:
    """What the public sees: published and not taken down."""
    return Publication.objects.filter(published_on__isnull=False, unpublished_at__isnull=True)


def access_public_publication(publication_id: int) -> Publication:
    found = public_publications().select_related("review__partnership").filter(pk=publication_id).first()
    if found is None:
        raise Http404
    return found


# Learning across reviews ----------------------------------------------------------------------


def can_see_learning(user: Any, partnership_id: int) -> bool:
    """A partnership's learning page: its CSP chairs and coordinators."""
    return partnership_id in review_access.managed_partnerships(user)


def can_see_national_learning(user: Any) -> bool:
    return _active(user) and bool(getattr(user, "national_oversight", False))


def can_tag(user: Any, review: Review) -> bool:
    """Tag the review and its recommendations with themes: those who run it."""
    return runs_review(user, review)
