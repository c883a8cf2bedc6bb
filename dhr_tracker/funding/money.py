"""Money as whole pence: parsed from what people type, shown in pounds, split without losing a penny.

Amounts are integers of pence everywhere they are stored, added or compared; a float never holds
money, since 0.1 + 0.2 pounds is not 0.3 pounds in binary floating point. ``Decimal`` appears only
at the edges (reading "1,250.50", writing a spreadsheet cell formatted as pounds).
"""

import re
from collections.abc import Sequence
from decimal import Decimal

# A review costs about £10,000-15,000 and a national fund about £150,000; a billion pounds is a typo.
MAX_PENCE = 100_000_000_000
PENCE_PER_POUND = 100

# Digits with optional thousands separators in the right places, then up to two decimal places
# checked apart so that "12.345" gets its own message.
_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")


class MoneyError(ValueError):
    """What was typed is not an amount of money this app accepts; the message says why."""


def parse_pounds(text: str, name: str = "the amount") -> int:
    """The pence in ``text`` ("1250", "£1,250.50", "0.99"); ``MoneyError`` naming ``name`` otherwise."""
    cleaned = text.strip().replace(" ", "")
    if cleaned.startswith(("-", "(")) or cleaned.startswith("£-"):
        raise MoneyError(f"{_capital(name)} cannot be negative")
    cleaned = cleaned.removeprefix("£")
    if not cleaned:
        raise MoneyError(f"Enter {name}")
    if not _AMOUNT.match(cleaned):
        raise MoneyError(f"Enter {name} as a number of pounds, like 1250 or 1,250.50")
    # The pattern admits only digits, commas between groups of three and one point.
    pence = Decimal(cleaned.replace(",", "")) * PENCE_PER_POUND
    if pence != pence.to_integral_value():
        raise MoneyError(f"Enter {name} to the nearest penny, with no more than 2 decimal places")
    if pence >= MAX_PENCE:
        raise MoneyError(f"{_capital(name)} must be less than {pounds(MAX_PENCE)}")
    return int(pence)


def _capital(name: str) -> str:
    return name[:1].upper() + name[1:]


def pounds(pence: int) -> str:
    """ "£1,250.50"; "-£20.00" for a negative variance."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), PENCE_PER_POUND)
    return f"{sign}£{whole:,}.{part:02d}"


def plain(pence: int) -> str:
    """ "1250.50": pounds without a symbol or separators, for CSV files read by finance systems."""
    return str(as_decimal(pence))


def as_decimal(pence: int) -> Decimal:
    """The exact amount in pounds, for a spreadsheet cell."""
    return (Decimal(pence) / PENCE_PER_POUND).quantize(Decimal("0.01"))


def split(total: int, weights: Sequence[int]) -> list[int]:
    """Share ``total`` pence in proportion to ``weights`` so the shares add up to it exactly.

    Largest remainder: each share is rounded down, then the pennies left go one each to the
    largest remainders, earlier positions first on ties. Weights that are all zero share equally.
    """
    if not weights:
        return []
    if total < 0 or any(weight < 0 for weight in weights):
        raise ValueError("split takes a total and weights of zero or more")
    weights = list(weights) if any(weights) else [1] * len(weights)
    whole = sum(weights)
    shares = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    left = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares
