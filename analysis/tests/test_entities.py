"""Entity extraction: a table of real sentences (most from the ecbplus-dev mirror) and what we expect."""

from __future__ import annotations

import pytest

from analysis.entities import normalise_name, proper_noun_phrases, text_features

PHRASES = [
    ("North Korea fired a missile on Monday.", {"North Korea"}),
    ("Lee Jae-myung said the plan would go ahead.", {"Lee Jae-myung"}),
    ("Papua New Guinea was hit by a quake.", {"Papua New Guinea"}),
    ("The Bank of England held rates.", {"Bank of England"}),
    ("They killed Osama bin Laden in Abbottabad.", {"Osama bin Laden", "Abbottabad"}),
    ("Mr. Smith met Dr. Jones in Paris.", {"Smith", "Jones", "Paris"}),
    ("He said The Times was wrong.", {"Times"}),
    (
        "Wladimir Klitschko stopped Tony Thompson at Stade de Suisse.",
        {"Wladimir Klitschko", "Tony Thompson", "Stade de Suisse"},
    ),
    ("They hold the WBA, IBF and WBO belts.", {"WBA", "IBF", "WBO"}),
    ("The quakes hit Indonesia's West Papua province.", {"Indonesia", "West Papua"}),
    # Known limit: a Title Case headline keeps a capitalised plural noun ("Reasons") as a name.
    ("Tara Reid Finally Checks Into Rehab For Undisclosed Reasons", {"Tara Reid", "Reasons"}),
    ("Neil deGrasse Tyson Hosts New Season of Cosmos", {"Neil deGrasse Tyson", "Cosmos"}),
    ("On Sunday, the police said nothing.", set()),
    # sentence-opening adverbs and plural roles are not names (27_14ecb, 45_5ecbplus, 13_7ecb)
    ("Typically Microsoft releases patches on the second Tuesday.", {"Microsoft"}),
    ("Once Microsoft has a fix, it will ship it.", {"Microsoft"}),
    ("Prosecutors said Simpson shot Flynn.", {"Simpson", "Flynn"}),
    ("Providentially, nobody was inside the Wasilla church.", {"Wasilla"}),
    ("Kelly Clarkson sang in Italy.", {"Kelly Clarkson", "Italy"}),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES, ids=[p[0][:40] for p in PHRASES])
def test_proper_noun_phrases(text, expected):
    assert set(proper_noun_phrases(text)) == expected


def test_a_headline_reads_its_common_words_from_the_body():
    headline = "Jury Convicts Spiro Man In Shooting Death Of Pregnant Girlfriend"
    assert set(proper_noun_phrases(headline)) == {"Convicts Spiro", "Pregnant Girlfriend"}
    body = "The jury convicted a Spiro man of the shooting death of his pregnant girlfriend."
    assert set(proper_noun_phrases(headline, context=body)) == {"Spiro"}
    # a sentence-case line is not read that way: "Rush" stays a name though the body says "rushed"
    assert set(proper_noun_phrases("Rush Limbaugh spoke on Monday.", context="He rushed out.")) == {"Rush Limbaugh"}


def test_phrase_counts():
    counts = proper_noun_phrases("North Korea tested a missile. Officials in North Korea said so. Seoul agreed.")
    assert counts["North Korea"] == 2
    assert counts["Seoul"] == 1


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [("The Philippines", "philippines"), ("North  Korea", "north korea"), ("Zürich", "zürich"), ("Obama's", "obama")],
)
def test_normalise_name(phrase, expected):
    assert normalise_name(phrase) == expected


def test_text_features_aceh_quake():
    # ecbplus-dev 37_10ecbplus: the 2013 Aceh quake, which the 2009 West Papua quake must not absorb.
    features = text_features(
        "6.1-magnitude quake strikes Indonesia's Aceh province in region hit by 2004 tsunami",
        "A 6.1 magnitude earthquake struck Aceh on Tuesday, killing 12 people and injuring 2,500 in July. "
        "It was the 3rd quake this year, at 10:30 a.m.",
    )
    assert {"aceh", "indonesia"} <= features.names
    assert features.numbers == frozenset({"6.1", "12", "2500"})
    assert features.years == frozenset({"2004"})
    assert features.months == frozenset({"july"})


def test_may_the_verb_is_not_a_month():
    assert text_features("Prices may rise", "Officials said prices may rise in May.").months == frozenset({"may"})
    assert text_features("Prices may rise", "Officials said prices may rise.").months == frozenset()


def test_lead_names_come_from_title_and_lead_only():
    body = "A quake struck Aceh on Tuesday. " + "word " * 80 + "Officials in Jakarta said more."
    features = text_features("Quake hits Indonesia", body)
    assert {"indonesia", "aceh"} <= features.lead_names
    assert "jakarta" in features.names and "jakarta" not in features.lead_names
