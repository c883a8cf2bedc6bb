"""Grouping repeated recommendations: paraphrases join, different recommendations stay apart."""

import pytest

from dhr_tracker.reports import similarity
from dhr_tracker.reports.similarity import Item

PARAPHRASES = [
    (
        "All agencies should ensure that staff receive training on coercive control.",
        "Agencies must make sure their staff are trained in recognising coercive and controlling behaviour.",
    ),
    (
        "GP practices should routinely ask patients about domestic abuse and record the answer.",
        "General practices must ensure patients are routinely asked about domestic abuse, recording their answers.",
    ),
    (
        "Adult social care should share information with MARAC.",
        "The MARAC should receive information shared by adult social care.",
    ),
    (
        "The CSP should commission a domestic abuse needs assessment for older people.",
        "The partnership should commission a needs assessment on domestic abuse of older victims.",
    ),
]
DIFFERENT = [
    # One template, different subjects: about 0.4, below the threshold.
    ("Agencies should train staff on coercive control.", "Agencies should train staff on economic abuse."),
    (
        "The police should review their DASH risk assessment process.",
        "Health services should train GPs to ask about domestic abuse.",
    ),
    ("Housing should flag tenancies at risk.", "Probation should supervise perpetrators more closely."),
]


@pytest.mark.parametrize(("first", "second"), PARAPHRASES)
def test_paraphrases_are_similar(first: str, second: str) -> None:
    assert similarity.similar(first, second)


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_different_recommendations_are_not(first: str, second: str) -> None:
    assert not similarity.similar(first, second)


def test_normalising_ignores_case_punctuation_stop_words_and_suffixes() -> None:
    assert similarity.stems("TRAINING, for the Agencies!") == similarity.stems("trained agency")
    assert similarity.stems("controlling") == similarity.stems("control")
    assert similarity.stems("the of and should ensure") == frozenset()


def test_groups_are_transitive_and_across_reviews_only() -> None:
    items = [
        Item("a", "review-1", "Staff should receive training on coercive control."),
        Item("b", "review-2", "Staff must be trained on coercive control and stalking."),
        Item("c", "review-3", "Train staff on coercive control, stalking and harassment."),
        Item("d", "review-1", "Staff should be trained on coercive control."),
        Item("e", "review-4", "Review the DASH risk assessment process."),
        Item("f", "review-5", ""),
    ]
    groups = similarity.group(items)
    assert groups == [["a", "b", "c", "d"]]
    # Within one review nothing joins: a review does not repeat itself.
    assert similarity.group([items[0], items[3]]) == []


def test_prefix_filtering_finds_every_pair_a_full_comparison_finds() -> None:
    texts = [first for first, _ in PARAPHRASES + DIFFERENT] + [second for _, second in PARAPHRASES + DIFFERENT]
    items = [Item(index, index, text) for index, text in enumerate(texts)]
    pairs = {
        frozenset((a.key, b.key))
        for a in items
        for b in items
        if a.key != b.key
        and similarity.jaccard(similarity.stems(a.text), similarity.stems(b.text)) >= similarity.THRESHOLD
    }
    grouped = similarity.group(items)
    for pair in pairs:
        assert any(pair <= set(group) for group in grouped)
    assert len(grouped) == len(PARAPHRASES)
