"""Keyed hashes (blind indexes) for finding sealed personal data without decrypting it.

Threat: the names and dates of birth of the people in a review are sealed at field level
(``dhr_tracker.fieldcrypto``), yet a second notification of the same death must be spotted. A
plain hash of a name would fall to a dictionary attack by anyone holding a database copy; an
HMAC under ``BLIND_INDEX_KEY``, kept outside the database like the field keys, does not.

Each value is normalised before hashing (case, accents, punctuation and spacing removed, so
"O'Brien, Siân" and "sian obrien" differ only in word order, which is also ignored) and hashed
with its purpose, so a name's hash never matches a date's.

Key lifetime: the key cannot be rotated without recomputing every index from the decrypted
values; it is as long-lived as the data. Losing it loses duplicate detection, not data.
"""

import hashlib
import hmac
import unicodedata
from datetime import date

from django.conf import settings


def normalise_name(name: str) -> str:
    """Return the name as sorted lower-case words of letters only, accents removed."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(
        ch if ch.isalpha() else " " if ch.isspace() or ch in ",-" else ""
        for ch in decomposed
        if not unicodedata.combining(ch)
    )
    return " ".join(sorted(letters.split()))


def _digest(purpose: str, value: str) -> str:
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def name_index(name: str) -> str:
    """Return the blind index of a person's name ("" for no name)."""
    normal = normalise_name(name)
    return _digest("name", normal) if normal else ""


def date_index(day: date | None) -> str:
    """Return the blind index of a date of birth ("" for none)."""
    return _digest("birth_date", day.isoformat()) if day else ""
