"""Calendar arithmetic, pure, for retention periods here and review deadlines in the project."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Return ``day`` plus ``months`` calendar months, on the last day of a shorter month if need be."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))
