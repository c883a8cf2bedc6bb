"""Financial years, April to March, as UK public bodies and their funds count them.

``FinancialYear(2025)`` runs from 1 April 2025 to 31 March 2026 and is written "2025-26": the
31 March belongs to the year that is ending, the 1 April to the one that begins.
"""

import re
from dataclasses import dataclass
from datetime import date

START_MONTH = 4
_LABEL = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
# The first and last years whose 1 April to 31 March a date can hold.
FIRST_YEAR, LAST_YEAR = 1000, 9998


def long_date(value: date) -> str:
    """ "1 April 2025", as the app's messages write a day."""
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True, order=True)
class FinancialYear:
    start_year: int

    @classmethod
    def of(cls, day: date) -> "FinancialYear":
        """The financial year ``day`` falls in."""
        return cls(day.year if day.month >= START_MONTH else day.year - 1)

    @classmethod
    def parse(cls, label: str) -> "FinancialYear":
        """ "2025-26" as a year; ``ValueError`` for anything else, such as "2025-27"."""
        found = _LABEL.match(label.strip())
        if found is None:
            raise ValueError(f"Enter a financial year like 2025-26, not {label!r}")
        year = cls(int(found.group(1)))
        if not FIRST_YEAR <= year.start_year <= LAST_YEAR:
            raise ValueError(
                f"Enter a financial year between {FIRST_YEAR}-{(FIRST_YEAR + 1) % 100:02d} and {LAST_YEAR}-{(LAST_YEAR + 1) % 100:02d}"
            )
        if year.label != label.strip():
            raise ValueError(f"{label} is not a financial year: the second year must follow the first")
        return year

    @property
    def start(self) -> date:
        return date(self.start_year, START_MONTH, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, START_MONTH - 1, 31)

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def span(self) -> str:
        """ "1 April 2025 to 31 March 2026"."""
        return f"{long_date(self.start)} to {long_date(self.end)}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label

    def previous(self) -> "FinancialYear":
        return FinancialYear(self.start_year - 1)

    def next(self) -> "FinancialYear":
        return FinancialYear(self.start_year + 1)
