"""The fixtures the fuzz tests share with the other suites."""

from tests.chronologies.conftest import chronology_world
from tests.reviews.conftest import review_world

__all__ = ["chronology_world", "review_world"]  # fixtures, used by name
