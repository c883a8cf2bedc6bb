"""Every change to requests, submissions, IMRs and the combined chronology, each with its acting user.

- ``requests``: sending, changing and cancelling requests; nil returns and scoping answers.
- ``submissions``: draft entries by form, submitting, returning with comments, accepting.
- ``imports``: uploaded files checked whole by ``importing`` and saved all or nothing.
- ``imr``: IMRs and short reports, their documents in the secure space, and feedback rounds.
- ``combined``: significance, panel notes and the release to contributors.

Each function checks access (``chronologies.access``), changes rows inside one transaction and
records its audit event in that transaction (``reviews.services.record_change``, with the
review's reference in the details). Rows that two people may change at once are locked
with ``select_for_update`` and, where a form was opened on an older copy, refused with
``reviews.services.STALE_MESSAGE``. Audit details carry ids, counts, dates and statuses, never
the text of an entry, a comment or a note, which may describe people.
"""
