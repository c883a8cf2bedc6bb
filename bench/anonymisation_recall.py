"""The anonymisation checker's recall and false positives over the planted corpus. Prints figures; asserts nothing.

The corpus (``tests/reports/corpus.py``) is built in memory: four pseudonymised reports (DOCX,
PDF, ODT, TXT) with real identifiers of a fictional register planted in varied forms. A planted
identifier is found when a finding at its location has its kind and its text (spacing aside).
Any other finding is a false positive. The checker is pure code, so neither Django nor a
database is needed. Also prints the time each document took to check (best of ``RUNS``).
"""

import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reporting import require, say  # noqa: E402
from dhr_tracker.reports.anonymisation import KINDS, Finding, check  # noqa: E402
from tests.reports import corpus  # noqa: E402

RUNS = 5


def matches(finding: Finding, item: corpus.Planted) -> bool:
    return (
        finding.location == item.location
        and finding.kind == item.kind
        and " ".join(finding.found.split()) == " ".join(item.text.split())
    )


def row(label: str, planted: int, found: int, false_positives: int) -> str:
    recall = f"{found / planted:.1%}" if planted else "-"
    return f"{label:<28}{planted:>9}{found:>7}{recall:>9}{false_positives:>17}"


def main() -> None:
    built = corpus.build()
    planted: Counter[tuple[str, str]] = Counter()
    found: Counter[tuple[str, str]] = Counter()
    false_positives: Counter[tuple[str, str]] = Counter()
    examples: list[str] = []
    for name, content in built.documents.items():
        seconds = []
        for _ in range(RUNS):
            start = time.perf_counter()
            file_type, findings = check(content, name, corpus.REGISTER)
            seconds.append(time.perf_counter() - start)
        say(f"{name}: {len(content):,} bytes checked in {min(seconds) * 1000:.1f} ms, {len(findings)} findings")
        items = [p for p in built.planted if p.file_type == file_type]
        require(bool(items), f"nothing planted in {name}")
        for item in items:
            planted[file_type, item.kind] += 1
            if any(matches(f, item) for f in findings):
                found[file_type, item.kind] += 1
        for finding in findings:
            if not any(matches(finding, item) for item in items):
                false_positives[file_type, finding.kind] += 1
                examples.append(f"  {file_type} {finding.location}: {finding.kind} {finding.found!r}")

    say("")
    say(f"{'':<28}{'planted':>9}{'found':>7}{'recall':>9}{'false positives':>17}")
    formats = sorted({key[0] for key in planted})
    for file_type in formats:
        say(
            row(
                file_type,
                sum(n for (f, _), n in planted.items() if f == file_type),
                sum(n for (f, _), n in found.items() if f == file_type),
                sum(n for (f, _), n in false_positives.items() if f == file_type),
            )
        )
    say("")
    # An unchecked page is reported, not planted: test_textextract covers it.
    for kind, label in KINDS.items():
        if kind == "unchecked_page":
            continue
        say(
            row(
                label,
                sum(n for (_, k), n in planted.items() if k == kind),
                sum(n for (_, k), n in found.items() if k == kind),
                sum(n for (_, k), n in false_positives.items() if k == kind),
            )
        )
    say("")
    say(row("all", sum(planted.values()), sum(found.values()), sum(false_positives.values())))
    say(f"near-misses in the corpus (must not be found): {len(built.near_misses)}")
    if examples:
        say("false positives:")
        for example in examples:
            say(example)


if __name__ == "__main__":
    main()
