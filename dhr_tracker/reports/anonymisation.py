"""Find real names, dates of birth and other identifiers in a candidate publication. Pure: no Django.

Threat: a real name or date of birth reaching a published report. The family and the people in
the review are identifiable for ever once it is out, so the checker is built for recall: it
flags anything that could be an identifier and the chair dismisses false positives one by one.
A first name that is also a common word ("Hall", "Rose") is still flagged wherever it stands as
a word. What it cannot find: identifiers it is not told about and that follow no pattern (a
nickname missing from the register, a workplace, a description), misspellings, and text in
images. The register's real identifiers are only ever held in memory for the check; nothing here
logs or stores them.

Two sources of findings:

- *the register*: each person's names and variants (alone, together, in any order, with
  initials, titles and possessives, in any case and spacing), dates of birth in every common
  format, addresses (number and street, or the street alone) and any other detail given, matched
  ignoring case, spaces and punctuation;
- *patterns*, whoever they belong to: UK postcodes, street addresses, phone numbers, NHS numbers
  (with a valid check digit), National Insurance numbers (valid prefixes), police reference
  numbers after their usual labels, and any date after "born", "DOB" or "date of birth".

Matching runs on a normalised copy of each passage (curly quotes and dashes made plain, accents
and invisible characters removed), mapped back so each finding quotes the document exactly.
Where findings overlap, the longest is kept ("Mrs M. J. Smith", not "Smith"); a pattern and a
register entry matching the same text become one finding of the pattern's kind, naming whose
identifier it is.
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from dhr_tracker.reports.textextract import Passage, extract

KINDS: dict[str, str] = {
    "name": "Real name",
    "initials": "Initials and surname",
    "birth_date": "Date of birth",
    "address": "Address",
    "postcode": "Postcode",
    "phone": "Phone number",
    "nhs_number": "NHS number",
    "ni_number": "National Insurance number",
    "police_reference": "Police reference number",
    "other": "Other identifying detail",
    "unchecked_page": "A page with no text, which cannot be checked",
}
# What an empty page of a document that otherwise has text says: a scanned page may hide anything.
UNCHECKED_PAGE = (
    "This page has no text to check: it may be a scanned image. Read it yourself, or upload a PDF with text."
)

# Characters either side of a finding in its context, before cutting at a word boundary.
CONTEXT_CHARS = 60


@dataclass(frozen=True)
class Identity:
    pseudonym: str
    names: tuple[str, ...] = ()
    birth_dates: tuple[date, ...] = ()
    addresses: tuple[str, ...] = ()
    others: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    kind: str
    location: str
    found: str
    context: str
    pseudonym: str


def check(content: bytes, file_name: str, register: Sequence[Identity]) -> tuple[str, list[Finding]]:
    """Extract the file's text and scan it, with the file's own name; raises ``textextract.Unreadable``."""
    file_type, passages = extract(content, file_name)
    return file_type, scan([*passages, Passage("File name", file_name)], register)


def scan(passages: Iterable[Passage], register: Sequence[Identity]) -> list[Finding]:
    """Return every finding, in document order, once per kind, location and text."""
    matchers = _Matchers(register)
    findings: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for passage in passages:
        if not passage.text.strip():
            findings.append(Finding("unchecked_page", passage.location, "", UNCHECKED_PAGE, ""))
            continue
        text, positions = _normalise(passage.text)
        for hit in _resolve(matchers.hits(text)):
            start, end = positions[hit.start], positions[hit.end - 1] + 1
            found = passage.text[start:end]
            key = (hit.kind, passage.location, found)
            if key in seen:
                continue
            seen.add(key)
            pseudonym = ", ".join(sorted(hit.pseudonyms))
            findings.append(Finding(hit.kind, passage.location, found, _context(passage.text, start, end), pseudonym))
    return findings


# Normalising


# Look-alikes of the apostrophe, hyphen and space that word processors substitute as you type.
_PLAIN = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201b\u02bc\u2032\u00b4\u0060\uff07", "'")
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-")
    | dict.fromkeys("\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " ")
    | dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", "")
)


def _normalise(text: str) -> tuple[str, list[int]]:
    """Return a plain copy of ``text`` and, for each of its characters, the index it came from."""
    out: list[str] = []
    positions: list[int] = []
    for index, char in enumerate(text):
        plain = char.translate(_PLAIN)
        if plain and not plain.isascii():
            plain = "".join(c for c in unicodedata.normalize("NFKD", plain) if not unicodedata.combining(c))
        out.append(plain)
        positions.extend([index] * len(plain))
    return "".join(out), positions


def _plain(text: str) -> str:
    return _normalise(text)[0]


# Hits and their resolution


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str
    pseudonyms: frozenset[str] = frozenset()
    # From a pattern rather than the register: its kind is the more specific one.
    pattern: bool = False


def _resolve(hits: Iterable[_Hit]) -> list[_Hit]:
    """Merge hits on the same text, then keep the longest of those that overlap, in text order."""
    by_span: dict[tuple[int, int], list[_Hit]] = {}
    for hit in hits:
        if hit.end > hit.start:
            by_span.setdefault((hit.start, hit.end), []).append(hit)
    merged = []
    for (start, end), group in by_span.items():
        kinds = [h.kind for h in group if h.pattern] or [h.kind for h in group]
        pseudonyms = frozenset().union(*(h.pseudonyms for h in group))
        merged.append(_Hit(start, end, min(kinds, key=list(KINDS).index), pseudonyms))
    kept: list[_Hit] = []
    for hit in sorted(merged, key=lambda h: (h.start - h.end, h.start)):
        if all(hit.end <= other.start or hit.start >= other.end for other in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def _context(text: str, start: int, end: int) -> str:
    """About ``CONTEXT_CHARS`` either side of the finding, cut at word boundaries, on one line."""
    left, right = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    if left > 0 and not text[left - 1].isspace() and (space := re.search(r"\s", text[left:start])):
        left += space.end()
    if right < len(text) and not text[right].isspace() and (spaces := re.findall(r"\S*\s", text[end:right])):
        right = end + sum(map(len, spaces))
    before, after = " ".join(text[left:start].split()), " ".join(text[end:right].split())
    found = " ".join(text[start:end].split())
    return (
        ("…" if left > 0 else "")
        + (before + " " if before and text[start - 1].isspace() else before)
        + found
        + (" " + after if after and text[end].isspace() else after)
        + ("…" if right < len(text) else "")
    )


# Names

_TITLES = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Master|Mister|Sir|Dame|Lady|Lord)"
_TITLE_BEFORE = re.compile(rf"(?<![\w.]){_TITLES}\.?[ \t]+$", re.IGNORECASE)
_INITIAL = r"[A-Z](?:\.|(?![\w'.]))"
_INITIALS = rf"{_INITIAL}(?:[ \t]?-?{_INITIAL}){{0,2}}"
_INITIALS_BEFORE = re.compile(rf"(?<![\w.'-])({_INITIALS})[ \t\n-]*$")
_INITIALS_AFTER = re.compile(rf"^,?[ \t]*({_INITIALS})")
# Between two parts of one name: spaces, a line break, a hyphen, or the comma of "Smith, Mary".
_NAME_GAP = re.compile(r"\s*(?:[-,]\s*)?")
_POSSESSIVE = r"(?:'s|s'|'|s)?"
_WINDOW = 16


@dataclass(frozen=True)
class _NamePart:
    regex: re.Pattern[str]
    pseudonym: str
    given: bool


def _name_tokens(name: str) -> list[str]:
    """Split a name into its words, dropping notes in brackets ("(former)") and titles."""
    without_notes = re.sub(r"\([^)]*\)", " ", _plain(name))
    words = [w.strip("'.,") for w in re.split(r"[\s\-]+", without_notes)]
    return [w for w in words if w and not re.fullmatch(_TITLES, w, re.IGNORECASE)]


def _word_regex(word: str) -> str:
    # "O'Neill" is also written "O Neill" and "ONeill".
    return r"['\s]?".join(re.escape(piece) for piece in word.split("'"))


class _Names:
    """The register's names: each word alone, then joined with its neighbours, initials and titles."""

    def __init__(self, register: Sequence[Identity]) -> None:
        self.parts: list[_NamePart] = []
        self.initials: dict[str, set[str]] = {}
        seen: set[tuple[str, str, bool]] = set()
        for identity in register:
            letters = self.initials.setdefault(identity.pseudonym, set())
            for name in identity.names:
                tokens = _name_tokens(name)
                for position, token in enumerate(tokens):
                    given = position == 0
                    if given or position < len(tokens) - 1:
                        letters.add(token[0].upper())
                    key = (token.lower(), identity.pseudonym, given)
                    if len(token) < 2 or key in seen:
                        continue
                    seen.add(key)
                    regex = re.compile(rf"(?<![\w])(?:{_word_regex(token)}){_POSSESSIVE}(?![\w])", re.IGNORECASE)
                    self.parts.append(_NamePart(regex, identity.pseudonym, given))

    def hits(self, text: str) -> Iterator[_Hit]:
        words: dict[tuple[int, int], tuple[set[str], bool]] = {}
        for part in self.parts:
            for match in part.regex.finditer(text):
                who, given = words.setdefault(match.span(), (set(), False))
                who.add(part.pseudonym)
                words[match.span()] = (who, given or part.given)
        runs: list[tuple[int, int, set[str], bool]] = []
        for (start, end), (who, given) in sorted(words.items()):
            if runs:
                last_start, last_end, last_who, last_given = runs[-1]
                joined = last_who & who
                gap = _NAME_GAP.fullmatch(text, last_end, start) if start >= last_end else None
                # "Smith, Mary" is one name; "Smith, Smith" and "Mary, Smith" are a list.
                comma = gap is not None and "," in gap.group()
                repeated = text[last_start:last_end].lower() == text[start:end].lower()
                if gap and joined and not repeated and (not comma or (given and not last_given)):
                    runs[-1] = (last_start, end, joined, last_given or given)
                    continue
            runs.append((start, end, set(who), given))
        for start, end, who, given in runs:
            yield self._extended(text, start, end, who, given)

    def _extended(self, text: str, start: int, end: int, who: set[str], given: bool) -> _Hit:
        """Take in the initials and title around a run of name words."""
        letters = set().union(*(self.initials.get(p, set()) for p in who))
        with_initials = False
        before = _INITIALS_BEFORE.search(text[max(0, start - _WINDOW) : start])
        if before and _letters(before.group(1)) <= letters and (before.start() > 0 or start <= _WINDOW):
            start -= len(text[max(0, start - _WINDOW) : start]) - before.start()
            with_initials = True
        elif (after := _INITIALS_AFTER.match(text[end : end + _WINDOW])) and _letters(after.group(1)) <= letters:
            end += after.end()
            with_initials = True
        title = _TITLE_BEFORE.search(text[max(0, start - _WINDOW) : start])
        if title:
            start -= len(text[max(0, start - _WINDOW) : start]) - title.start()
        kind = "initials" if with_initials and not given else "name"
        return _Hit(start, end, kind, frozenset(who))


def _letters(initials: str) -> set[str]:
    return set(re.findall(r"[A-Z]", initials))


# Dates

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_ANY_MONTH = "(?:" + "|".join(rf"{m}|{m[:3]}\.?" for m in _MONTHS) + r"|sept\.?)"
_ORDINAL = r"(?:st|nd|rd|th)?"


def _month(number: int) -> str:
    name = _MONTHS[number - 1]
    abbreviations = [name[:3], "sept"] if number == 9 else [name[:3]]
    return "(?:" + "|".join([name, *(rf"{a}\.?" for a in abbreviations)]) + ")"


def _birth_date_regex(day: date) -> re.Pattern[str]:
    """Every common way of writing ``day``: numeric either way round, ISO, compact and in words."""
    d, m = f"0?{day.day}", f"0?{day.month}"
    y4, y2 = f"{day.year}", f"{day.year % 100:02d}"
    year = f"(?:{y4}|'?{y2})"
    dd, mm = f"{day.day:02d}", f"{day.month:02d}"
    month = _month(day.month)
    forms = [
        rf"{d}(?P<a>[/.\- ]){m}(?P=a){year}",
        rf"{m}(?P<b>[/.\- ]){d}(?P=b){year}",
        rf"{y4}(?P<c>[/.\- ]){m}(?P=c){d}",
        f"{dd}{mm}(?:{y4}|{y2})",
        f"{y4}{mm}{dd}",
        rf"{d}{_ORDINAL}(?:\s+of)?[\s\-]+{month}[\s\-,]+{year}",
        rf"{month}[\s\-]+{d}{_ORDINAL},?[\s\-]+{year}",
    ]
    return re.compile(r"(?<![\w/.\-])(?:" + "|".join(forms) + r")(?![\w]|[/.\-]\d)", re.IGNORECASE)


_ANY_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{1,2}-\d{1,2}"
    rf"|\d{{1,2}}{_ORDINAL}(?:\s+of)?[\s\-]+{_ANY_MONTH}[\s\-,]+'?(?:\d{{4}}|\d{{2}})"
    rf"|{_ANY_MONTH}\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}}"
    rf"|{_ANY_MONTH}\s+\d{{4}}"
    r"|\d{8}"
    r"|(?:19|20)\d{2})(?!\d)"
)
_BORN = re.compile(
    rf"(?<![\w.])(?:born|d\.?o\.?b\.?|date\s+of\s+birth)(?![\w])[^\n.;]{{0,40}}?(?<![\w/])(?P<date>{_ANY_DATE})",
    re.IGNORECASE,
)


# Addresses

_STREET_TYPES = {
    "street": ("st",),
    "road": ("rd",),
    "avenue": ("ave", "av"),
    "lane": ("ln",),
    "close": ("cl",),
    "drive": ("dr",),
    "way": (),
    "court": ("ct",),
    "crescent": ("cres", "cresc"),
    "place": ("pl",),
    "terrace": ("tce", "terr"),
    "gardens": ("gdns",),
    "grove": ("gr",),
    "square": ("sq",),
    "mews": (),
    "walk": (),
    "row": (),
    "rise": (),
    "hill": (),
    "park": (),
    "parade": ("pde",),
    "green": (),
    "view": (),
    "vale": (),
    "boulevard": ("blvd",),
    "wharf": (),
    "yard": (),
    "end": (),
    "meadow": (),
    "meadows": (),
    "fields": (),
    "chase": (),
    "croft": (),
}


def _street_type(word: str) -> str:
    spellings = _STREET_TYPES[word]
    return "(?:" + "|".join([word, *(rf"{s}\.?" for s in spellings)]) + ")"


_ANY_STREET_TYPE = "(?:" + "|".join(_street_type(word) for word in _STREET_TYPES) + ")"
_STREET = re.compile(
    rf"(?<![\w/.,-])\d{{1,3}}[A-Za-z]?,?[ \t]+(?:[A-Z][\w'-]*[ \t]+){{1,3}}(?i:{_ANY_STREET_TYPE})(?![\w])"
)
_REGISTER_STREET = re.compile(rf"(?:(\d+[A-Za-z]?)\s*,?\s+)?((?:[A-Za-z][\w'-]*\s+)+?)({_ANY_STREET_TYPE})\b", re.I)
_POSTCODE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{1,2}\d[A-Z\d]?)[ \t]*(\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])", re.I)


def _address_regexes(address: str) -> list[re.Pattern[str]]:
    """The number and street of a register address, flexibly, and the street alone."""
    regexes = []
    for match in _REGISTER_STREET.finditer(_plain(address)):
        number, name, kind = match.groups()
        words = r"[\s\-]+".join(_word_regex(w) for w in name.split())
        full = next(word for word in _STREET_TYPES if re.fullmatch(_street_type(word), kind, re.IGNORECASE))
        street = rf"{words}[\s\-]+{_street_type(full)}"
        prefix = rf"(?:{re.escape(number)}[\s,]+)?" if number else ""
        regexes.append(re.compile(rf"(?<![\w])(?:{prefix}{street})(?![\w])", re.IGNORECASE))
    return regexes


def _postcode_key(text: str) -> str:
    return re.sub(r"\s", "", text).upper()


# Numbers

_PHONE = re.compile(r"(?<![\w+])(?:(?:\+|00)44[ \t\-]?(?:\(0\)[ \t\-]?)?|\(?0)(?:\d[ \t\-)]{0,2}){8,10}\d(?!\d)")
_NHS = re.compile(r"(?<![\w])(\d{3})[ \t\-]?(\d{3})[ \t\-]?(\d{4})(?![\w])")
# Written in capitals in practice; "on 12 03 19" in lower case is a date, not a number.
_NI = re.compile(
    r"(?<![A-Za-z0-9])([A-Z])[ \t]?([A-Z])[ \t]?(\d{2})[ \t]?(\d{2})[ \t]?(\d{2})(?:[ \t]?([A-D]))?(?![A-Za-z0-9])"
)
# HMRC never issues these: D, F, I, Q, U and V anywhere, O second, and these pairs.
_NI_BAD_FIRST = frozenset("DFIQUV")
_NI_BAD_SECOND = frozenset("DFIOQUV")
_NI_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_POLICE_LABEL = (
    r"(?:crime\s+(?:reference|ref\.?|number|no\.?)|CRN|police\s+(?:reference|ref\.?)|"
    r"incident|occurrence|log|CAD|URN|storm)"
    r"(?:\s+(?:reference|ref\.?|number|no\.?))?"
)
_POLICE = re.compile(
    rf"(?<![\w]){_POLICE_LABEL}[\s:#]*"
    r"(?P<code>[A-Z0-9][A-Z0-9/\-]*\d[A-Z0-9/\-]*(?:\s+of\s+\d{1,2}/\d{1,2}/\d{2,4})?)(?![\w])",
    re.IGNORECASE,
)
_MIN_REFERENCE_DIGITS = 3


def _nhs_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check digit."""
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _phone_valid(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    national = digits[2:] if number.lstrip("(").startswith(("+", "00")) else digits[1:]
    national = national.removeprefix("0")
    return len(national) in (9, 10) and national[0] in "1235789"


def _pattern_hits(text: str) -> Iterator[_Hit]:
    for match in _POSTCODE.finditer(text):
        yield _Hit(*match.span(), "postcode", pattern=True)
    for match in _STREET.finditer(text):
        yield _Hit(*match.span(), "address", pattern=True)
    for match in _PHONE.finditer(text):
        if _phone_valid(match.group()):
            yield _Hit(*match.span(), "phone", pattern=True)
    for match in _NHS.finditer(text):
        if _nhs_valid("".join(match.groups())):
            yield _Hit(*match.span(), "nhs_number", pattern=True)
    for match in _NI.finditer(text):
        first, second = match.group(1).upper(), match.group(2).upper()
        if first not in _NI_BAD_FIRST and second not in _NI_BAD_SECOND and first + second not in _NI_BAD_PREFIXES:
            yield _Hit(*match.span(), "ni_number", pattern=True)
    for match in _POLICE.finditer(text):
        code = match.group("code").rstrip("/-")
        if sum(c.isdigit() for c in code) >= _MIN_REFERENCE_DIGITS and not re.fullmatch(_ANY_DATE, code):
            yield _Hit(match.start("code"), match.start("code") + len(code), "police_reference", pattern=True)
    for match in _BORN.finditer(text):
        yield _Hit(*match.span("date"), "birth_date", pattern=True)


_ANY_PUNCTUATION = r"[\s\-./()]{0,2}"
_COMPANY_SUFFIX = re.compile(r"[\s,]+(ltd|limited|plc|llp|llc|inc)\.?\s*$", re.IGNORECASE)


def _other_regex(detail: str) -> re.Pattern[str] | None:
    """Match ``detail`` ignoring case, spaces and punctuation: "AB12 CDE" finds "ab12cde" and "AB-12-CDE"."""
    plain = _plain(detail)
    # "Acme Scaffolding Ltd" is often written without its "Ltd".
    company = _COMPANY_SUFFIX.search(plain)
    characters = [c for c in (plain[: company.start()] if company else plain).lower() if c.isalnum()]
    if not characters:
        return None
    body = _ANY_PUNCTUATION.join(re.escape(c) for c in characters)
    if company:
        suffix = _ANY_PUNCTUATION.join(re.escape(c) for c in company.group(1).lower())
        body += rf"(?:[\s,]+{suffix})?"
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])", re.IGNORECASE)


class _Matchers:
    """Everything compiled once per scan from the register."""

    def __init__(self, register: Sequence[Identity]) -> None:
        self.names = _Names(register)
        self.register: list[tuple[re.Pattern[str], str, str]] = []
        self.postcodes: dict[str, set[str]] = {}
        for identity in register:
            who = identity.pseudonym
            self.register += [(_birth_date_regex(day), "birth_date", who) for day in identity.birth_dates]
            for address in identity.addresses:
                self.register += [(regex, "address", who) for regex in _address_regexes(address)]
                for match in _POSTCODE.finditer(_plain(address)):
                    self.postcodes.setdefault(_postcode_key(match.group()), set()).add(who)
            self.register += [(regex, "other", who) for regex in map(_other_regex, identity.others) if regex]

    def hits(self, text: str) -> Iterator[_Hit]:
        yield from self.names.hits(text)
        for regex, kind, who in self.register:
            for match in regex.finditer(text):
                yield _Hit(*match.span(), kind, frozenset({who}))
        for hit in _pattern_hits(text):
            if hit.kind == "postcode":
                owners = frozenset(self.postcodes.get(_postcode_key(text[hit.start : hit.end]), ()))
                yield _Hit(hit.start, hit.end, hit.kind, owners, pattern=True)
            else:
                yield hit
