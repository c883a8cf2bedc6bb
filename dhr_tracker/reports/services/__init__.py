"""Every change to reports, sign-off, the action plan, quality assurance, anonymisation and
publication, each with its acting user, by feature:

- ``drafts``: report versions, comment rounds and comments, the family's copy.
- ``signoff``: the panel's agreement and the CSP chair's approval.
- ``actions``: recommendations, actions, their updates and evidence.
- ``qa``: Home Office submissions, letters, outcomes and areas for final development.
- ``themes``: themes on reviews and recommendations.
- ``register``: the pseudonym register.
- ``candidates``: candidate publications, the anonymisation check and its hits.
- ``publication``: telling the family, publishing and unpublishing.

Each function checks access (``reports.access``), changes rows inside one transaction and records
its audit event in that transaction (``reviews.services.record_change``). Refusals raise
``PermissionDenied`` or ``ValidationError`` naming the field.
"""
