"""Every URL of the app is walked by an access matrix: new URLs cannot slip past them unseen.

The app matrices each walk their own namespace; ``test_access_matrix`` walks the rest and the admin.
"""

from django.urls import get_resolver

from tests.accounts.test_url_rules import walk
from tests.chronologies.test_access_matrix import SCOPED as CHRONOLOGY_URLS
from tests.funding.test_access_matrix import PAGES as FUNDING_PAGES
from tests.reports.test_access_matrix import PAGES as REPORT_PAGES
from tests.reviews.test_access_matrix import SCOPED as REVIEW_URLS
from tests.security.test_access_matrix import PAGES, admin_kind, admin_patterns

COVERED = {
    *(name for name, _ in REVIEW_URLS),
    *(name for name, _ in CHRONOLOGY_URLS),
    *(f"reports:{name}" for name in REPORT_PAGES),
    *(f"funding:{name}" for name in FUNDING_PAGES),
    *PAGES,
}
URLS = [(route, name) for route, name, _ in walk(get_resolver())]


def test_every_url_is_in_an_access_matrix() -> None:
    missing = sorted(name for _, name in URLS if not name.startswith("admin:") and name not in COVERED)
    assert missing == [], f"no access matrix walks {missing}"


def test_every_admin_url_is_in_the_admin_matrix() -> None:
    for route, name in admin_patterns():
        admin_kind(route, name)


def test_no_matrix_walks_a_url_that_is_gone() -> None:
    names = {name for _, name in URLS}
    assert COVERED - names == set()


def test_each_url_is_walked_by_one_matrix() -> None:
    """The matrices share no URL: each one's expectations are the only ones."""
    matrices = [
        {name for name, _ in REVIEW_URLS},
        {name for name, _ in CHRONOLOGY_URLS},
        {f"reports:{name}" for name in REPORT_PAGES},
        {f"funding:{name}" for name in FUNDING_PAGES},
        set(PAGES),
    ]
    assert sum(len(names) for names in matrices) == len(COVERED)
