"""``{% load funding %}``: money in pounds and financial years as their labels."""

from django import template

from dhr_tracker.funding import money
from dhr_tracker.funding.years import FinancialYear

register = template.Library()


@register.filter
def pounds(pence: int | None) -> str:
    """ "£1,250.50" from pence; empty when there is no amount (nothing awarded yet)."""
    return "" if pence is None else money.pounds(pence)


@register.filter
def financial_year(start_year: int) -> str:
    """ "2025-26" from the year it starts in."""
    return FinancialYear(start_year).label
