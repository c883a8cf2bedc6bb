"""What a review's ledger adds up to, and a partnership's costs and contributions in a financial year.

For each category of a review's costs:

- **budget**: what the partnership set aside;
- **committed**: orders and contracts raised (commitments not cancelled);
- **actual**: invoices paid (actual costs not cancelled);
- **outstanding**: what each commitment still holds once the actual costs settled against it are
  taken off (never below nothing);
- **forecast**: actual plus outstanding, what the category will cost as things stand;
- **variance**: budget less forecast; negative is an overspend.

Contributions are added up by partner: agreed and received. The **gap** is the forecast less what
partners have agreed to contribute; positive means costs nobody has yet agreed to meet.

Every figure is whole pence. Each function costs a fixed number of queries, however many entries.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from dhr_tracker.funding.models import (
    BudgetLine,
    Contribution,
    CostCategory,
    CostEntry,
    CostKind,
    PartnerKind,
)
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.models import Review


@dataclass(frozen=True)
class CategoryLine:
    category: str
    label: str
    budget: int
    committed: int
    actual: int
    outstanding: int

    @property
    def forecast(self) -> int:
        return self.actual + self.outstanding

    @property
    def variance(self) -> int:
        return self.budget - self.forecast


@dataclass(frozen=True)
class PartnerLine:
    kind: str
    label: str
    agreed: int
    received: int


@dataclass(frozen=True)
class Summary:
    lines: list[CategoryLine]  # every category, in the order of ``CostCategory``
    total: CategoryLine
    partners: list[PartnerLine]  # every kind of partner, in the order of ``PartnerKind``
    agreed: int
    received: int

    @property
    def gap(self) -> int:
        return self.total.forecast - self.agreed


def _total(lines: list[CategoryLine]) -> CategoryLine:
    return CategoryLine(
        "",
        "Total",
        sum(line.budget for line in lines),
        sum(line.committed for line in lines),
        sum(line.actual for line in lines),
        sum(line.outstanding for line in lines),
    )


def _partners(rows: list[tuple[str, int, int]]) -> list[PartnerLine]:
    agreed: dict[str, int] = defaultdict(int)
    received: dict[str, int] = defaultdict(int)
    for kind, amount, got in rows:
        agreed[kind] += amount
        received[kind] += got
    return [PartnerLine(kind.value, kind.label, agreed[kind.value], received[kind.value]) for kind in PartnerKind]


def summary(review: Review) -> Summary:
    """The review's ledger by category and by partner, with its totals (three queries); all zero
    before anything is recorded."""
    budget = dict(BudgetLine.objects.filter(ledger__review=review).values_list("category", "amount_pence"))
    entries = list(
        CostEntry.objects.live()
        .filter(ledger__review=review)
        .values_list("pk", "kind", "category", "amount_pence", "against_id")
    )
    committed: dict[str, int] = defaultdict(int)
    actual: dict[str, int] = defaultdict(int)
    settled: dict[int, int] = defaultdict(int)
    for _, kind, category, amount, against in entries:
        if kind == CostKind.COMMITMENT:
            committed[category] += amount
        else:
            actual[category] += amount
            if against is not None:
                settled[against] += amount
    outstanding: dict[str, int] = defaultdict(int)
    for pk, kind, category, amount, _ in entries:
        if kind == CostKind.COMMITMENT:
            outstanding[category] += max(amount - settled[pk], 0)
    lines = [
        CategoryLine(
            category.value,
            category.label,
            budget.get(category.value, 0),
            committed[category.value],
            actual[category.value],
            outstanding[category.value],
        )
        for category in CostCategory
    ]
    contributions = list(
        Contribution.objects.live()
        .filter(ledger__review=review)
        .values_list("partner_kind", "amount_pence", "received_pence")
    )
    partners = _partners(contributions)
    return Summary(
        lines,
        _total(lines),
        partners,
        sum(line.agreed for line in partners),
        sum(line.received for line in partners),
    )


# A partnership's year -------------------------------------------------------------------------


@dataclass(frozen=True)
class YearRow:
    review_id: int
    title: str
    budget: int  # the review's whole budget, whatever the year
    committed: int  # in the year
    actual: int  # in the year
    agreed: int  # contributions agreed in the year
    received: int  # contributions received in the year


@dataclass(frozen=True)
class YearView:
    year: FinancialYear
    rows: list[YearRow]  # reviews with a budget, or with anything in the year
    total: YearRow
    categories: list[tuple[str, int, int]]  # label, committed, actual in the year
    partners: list[PartnerLine]  # agreed in the year, received in the year


def _sums(queryset: Any, key: str) -> dict[Any, int]:
    return {row[key]: row["total"] for row in queryset.values(key).annotate(total=Sum("amount_pence")).order_by()}


def year_view(partnership_id: int, year: FinancialYear) -> YearView:
    """Costs and contributions of the partnership's reviews dated in ``year`` (a fixed number of queries).

    Commitments and actual costs count in the year of their date, contributions in the year they
    were agreed, receipts in the year they were received: 31 March and 1 April fall in different years.
    """
    within = (year.start, year.end)
    entries = CostEntry.objects.live().filter(ledger__review__partnership_id=partnership_id, on__range=within)
    committed = _sums(entries.filter(kind=CostKind.COMMITMENT), "ledger__review_id")
    actual = _sums(entries.filter(kind=CostKind.ACTUAL), "ledger__review_id")
    contributions = Contribution.objects.live().filter(ledger__review__partnership_id=partnership_id)
    agreed = _sums(contributions.filter(agreed_on__range=within), "ledger__review_id")
    received = {
        row["ledger__review_id"]: row["total"]
        for row in contributions.filter(received_on__range=within)
        .values("ledger__review_id")
        .annotate(total=Sum("received_pence"))
        .order_by()
    }
    budgets = _sums(BudgetLine.objects.filter(ledger__review__partnership_id=partnership_id), "ledger__review_id")
    active = set(committed) | set(actual) | set(agreed) | set(received) | {pk for pk, total in budgets.items() if total}
    reviews = Review.objects.filter(pk__in=active).select_related("partnership").order_by("reference")
    rows = [
        YearRow(
            review.pk,
            review.title,
            budgets.get(review.pk, 0),
            committed.get(review.pk, 0),
            actual.get(review.pk, 0),
            agreed.get(review.pk, 0),
            received.get(review.pk, 0),
        )
        for review in reviews
    ]
    total = YearRow(
        0,
        "Total",
        sum(row.budget for row in rows),
        sum(row.committed for row in rows),
        sum(row.actual for row in rows),
        sum(row.agreed for row in rows),
        sum(row.received for row in rows),
    )
    by_kind_committed = _sums(entries.filter(kind=CostKind.COMMITMENT), "category")
    by_kind_actual = _sums(entries.filter(kind=CostKind.ACTUAL), "category")
    categories = [
        (category.label, by_kind_committed.get(category.value, 0), by_kind_actual.get(category.value, 0))
        for category in CostCategory
    ]
    agreed_rows = contributions.filter(agreed_on__range=within).values_list("partner_kind", "amount_pence")
    received_rows = contributions.filter(received_on__range=within).values_list("partner_kind", "received_pence")
    partners = _partners(
        [(kind, amount, 0) for kind, amount in agreed_rows] + [(kind, 0, got) for kind, got in received_rows]
    )
    return YearView(year, rows, total, categories, partners)
