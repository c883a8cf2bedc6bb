"""The demo partnership's funding; every fund, amount and supplier here is invented.

Added when ``manage.py seed_demo`` runs (through ``accounts.demo.demo_seeded``, after the reviews
and reports demos), through the same services people use, so it is audited like real work:

- a national fund for this financial year (recorded by the site administrator) for partnerships
  commencing at least two reviews in the year, and the police and crime commissioner's fund of
  Exampleshire;
- a draft application to the national fund for DHR-2025-07 and DHR-2026-03, with its costs, for
  the coordinator to check and the CSP chair to submit (the check on its page says whether both
  reviews commenced in this financial year);
- an application to the commissioner's fund for the published DHR-2024-05, submitted by the CSP
  chair and awaiting the funder's decision. Recording the decision uploads the letter into one of
  the partnership's secure spaces, which the demo's CSP chair and coordinator join only by acting
  for an agency party to its protocol, so the demo leaves that step to try;
- the ledgers of DHR-2024-05 (budget, a contract for the chair settled by two invoices, venue and
  administration costs, contributions from the partnership and the commissioner) and DHR-2025-07
  (budget and the chair's contract).

Running it again changes nothing.
"""

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from dhr_tracker.accounts.demo import DOMAIN
from dhr_tracker.accounts.models import Partnership, User
from dhr_tracker.funding.models import CostCategory, CostKind, FundingStream, PartnerKind
from dhr_tracker.funding.services import applications, ledger, streams
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.models import DeathType, Review

POUND = 100
NATIONAL_FUND = "Domestic Homicide Review fund"
COMMISSIONER = "Exampleshire Police and Crime Commissioner"


def _user(name: str) -> User:
    return User.objects.get(email=f"{name}@{DOMAIN}")


def _streams(partnership: Partnership, year: FinancialYear, today: date) -> tuple[FundingStream, FundingStream]:
    national = streams.add_stream(
        actor=_user("site-admin"),
        partnership_id=None,
        fields=streams.StreamFields(
            funder="Home Office",
            name=NATIONAL_FUND,
            financial_year=year.start_year,
            total_pot_pence=150_000 * POUND,
            max_award_pence=20_000 * POUND,
            opens_on=year.start,
            closes_on=today + timedelta(days=45),
            criteria="For partnerships commencing more than one review in the financial year, towards the "
            "independent chair, advocacy and translation.",
            min_reviews_commenced=2,
            death_types=[DeathType.HOMICIDE, DeathType.SUSPECTED_SUICIDE],
            nations=[],
            reviews_in_year=True,
        ),
        request=None,
    )
    local = streams.add_stream(
        actor=_user("coordinator"),
        partnership_id=partnership.pk,
        fields=streams.StreamFields(
            funder=COMMISSIONER,
            name="Contribution to independent chairs' fees",
            financial_year=year.start_year,
            total_pot_pence=30_000 * POUND,
            max_award_pence=5_000 * POUND,
            opens_on=year.start,
            closes_on=today + timedelta(days=60),
            criteria="Half of the independent chair's fees, up to £5,000 a review.",
            min_reviews_commenced=None,
            death_types=[],
            nations=[],
            reviews_in_year=False,
        ),
        request=None,
    )
    return national, local


def _apply(
    stream: FundingStream,
    partnership: Partnership,
    reviews: list[Review],
    costs: dict[str, int],
    requested: int,
    justification: str,
) -> Any:
    coordinator = _user("coordinator")
    draft = applications.create_application(stream, actor=coordinator, partnership_id=partnership.pk, request=None)
    applications.update_application(
        draft,
        actor=coordinator,
        version=draft.version,
        review_ids=[review.pk for review in reviews],
        costs={category: (pounds * POUND, "") for category, pounds in costs.items()},
        requested_pence=requested * POUND,
        justification=justification,
        request=None,
    )
    draft.refresh_from_db()
    return draft


def _ledger(review: Review, budget: dict[str, int], costs: list[tuple[str, str, str, str, date, int, bool]]) -> None:
    """Set the budget, then record each cost; an actual cost marked True settles the last commitment."""
    coordinator = _user("coordinator")
    ledger.set_budget(
        review,
        actor=coordinator,
        version=ledger.ledger_of(review).version,
        amounts={category: pounds * POUND for category, pounds in budget.items()},
        request=None,
    )
    commitment = None
    for kind, category, description, supplier, on, pounds, settles in costs:
        entry = ledger.add_cost(
            review,
            actor=coordinator,
            kind=kind,
            category=category,
            description=description,
            supplier=supplier,
            on=on,
            amount_pence=pounds * POUND,
            against_id=commitment.pk if settles and commitment is not None else None,
            request=None,
        )
        if kind == CostKind.COMMITMENT:
            commitment = entry


def _contribute(review: Review, kind: str, name: str, pounds: int, agreed_on: date) -> None:
    ledger.add_contribution(
        review,
        actor=_user("coordinator"),
        partner_kind=kind,
        partner_name=name,
        amount_pence=pounds * POUND,
        agreed_on=agreed_on,
        received_pence=pounds * POUND,
        received_on=agreed_on + timedelta(days=30),
        note="",
        request=None,
    )


def seed(partnership: Partnership) -> None:
    reviews = {review.reference: review for review in Review.objects.filter(partnership=partnership)}
    wanted = ("DHR-2024-05", "DHR-2025-07", "DHR-2026-03")
    if any(reference not in reviews for reference in wanted):
        return
    if FundingStream.objects.filter(partnership=partnership).exists():
        return
    today = timezone.localdate()
    published, drafting, paused = (reviews[reference] for reference in wanted)
    national, local = _streams(partnership, FinancialYear.of(today), today)
    _apply(
        national,
        partnership,
        [drafting, paused],
        {CostCategory.CHAIR: 12_000, CostCategory.ADVOCACY: 1_500, CostCategory.TRANSLATION: 600},
        10_000,
        "Two reviews commenced this year; the family of Ms C need interpreting in Polish.",
    )
    local_application = _apply(
        local, partnership, [published], {CostCategory.CHAIR: 11_000}, 5_000, "Half of the chair's fees."
    )
    applications.submit_application(local_application, actor=_user("csp-chair"), request=None)
    commissioned = published.decided_on or today
    _ledger(
        published,
        {
            CostCategory.CHAIR: 12_000,
            CostCategory.ADVOCACY: 1_500,
            CostCategory.ADMINISTRATION: 1_000,
            CostCategory.VENUE: 300,
            CostCategory.PUBLICATION: 200,
        },
        [
            (
                CostKind.COMMITMENT,
                CostCategory.CHAIR,
                "Independent chair contract",
                "Example Reviews Ltd",
                commissioned,
                11_000,
                False,
            ),
            (
                CostKind.ACTUAL,
                CostCategory.CHAIR,
                "Invoice 1: scoping to first draft",
                "Example Reviews Ltd",
                today - timedelta(days=200),
                5_500,
                True,
            ),
            (
                CostKind.ACTUAL,
                CostCategory.CHAIR,
                "Invoice 2: to publication",
                "Example Reviews Ltd",
                today - timedelta(days=20),
                5_500,
                True,
            ),
            (
                CostKind.ACTUAL,
                CostCategory.VENUE,
                "Panel meeting rooms",
                "Exampleshire Community Hall",
                today - timedelta(days=300),
                280,
                False,
            ),
            (
                CostKind.ACTUAL,
                CostCategory.ADMINISTRATION,
                "Minute taking",
                "Exampleshire County Council",
                today - timedelta(days=150),
                950,
                False,
            ),
        ],
    )
    _contribute(published, PartnerKind.PARTNERSHIP, partnership.name, 8_000, commissioned)
    _contribute(published, PartnerKind.PCC, COMMISSIONER, 3_000, commissioned + timedelta(days=14))
    _ledger(
        drafting,
        {CostCategory.CHAIR: 12_000, CostCategory.ADVOCACY: 1_500},
        [
            (
                CostKind.COMMITMENT,
                CostCategory.CHAIR,
                "Independent chair contract",
                "Example Reviews Ltd",
                drafting.decided_on or today,
                11_500,
                False,
            ),
        ],
    )


def on_demo_seeded(sender: Any, partnership: Partnership, **kwargs: Any) -> None:
    seed(partnership)
