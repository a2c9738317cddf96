"""Hashtags on real ECB+ articles (CC BY 3.0, from ../shared/eval/mirrors/ecbplus-dev) and on edge cases."""

import re

import pytest

from stories.hashtags import HEADLINE_LIMIT, Hashtag, hashtags_for, normalise

# 37_1ecb: the West Papua earthquake of January 2009 (abridged).
WEST_PAPUA_QUAKE = (
    "Indonesia's West Papua province was hit by a magnitude 6.1 earthquake early on Sunday, killing at "
    "least one person and injuring dozens, officials said.\n"
    "The quake struck off the coast near Manokwari at a depth of 35 kilometres, the US Geological Survey "
    "said. A tsunami warning was issued and later lifted, but thousands of residents of Manokwari fled to "
    "higher ground.\n"
    "Several buildings collapsed in Manokwari, and a hotel was badly damaged, a local official said. "
    "Aftershocks continued through the morning. Indonesia sits on the Pacific Ring of Fire, where "
    "earthquakes are frequent, and the West Papua quake was followed by two more strong tremors."
)

# 7_10ecbplus: Klitschko v Thompson, AP copy.
KLITSCHKO = (
    "Wladimir Klitschko stopped Tony Thompson in the sixth round to retain his WBA, IBF and WBO heavyweight "
    "title belts Saturday night. The 36 - year - old champion Klitschko, 58 - 3 with 51 knockouts, floored "
    "Thompson with a big right hand near the end of the fifth round at Stade de Suisse, and the 40 - year - "
    "old American never recovered.\n\n"
    "The Ukrainian champion dropped Thompson again in the sixth, and referee Sam Williams gave the "
    "challenger a standing count before stopping the fight. In 2008, Klitschko stopped Thompson in the 11th "
    "round.\n\nThompson, who was the mandatory challenger nominated by the IBF, dropped to 36 - 3."
)

# 1_19ecbplus: Lindsay Lohan goes to rehab (abridged).
LOHAN = (
    "Lindsay Lohan has checked into the Betty Ford Center in Rancho Mirage, Calif., to begin her 90-day "
    "court-ordered rehab stint, her attorney Shawn Holley confirmed on Thursday. Lohan had briefly checked "
    "into Morningside Recovery in Newport Beach earlier in the day but left, Holley said. Under the plea "
    "deal Lohan reached in March, she must spend 90 days in a locked rehab facility. Holley, who had "
    "represented Lohan before, rejoined her legal team this week. Getty Images Advertisement Reuters"
)


def slugs(tags):
    return [t.slug for t in tags]


def test_west_papua_earthquake_gets_the_place_and_earthquake():
    tags = slugs(hashtags_for("Strong earthquake rattles Indonesia's West Papua", WEST_PAPUA_QUAKE))
    assert {"earthquake", "westpapua", "manokwari", "indonesia"} <= set(tags)
    assert 3 <= len(tags) <= 6


def test_klitschko_thompson_prefers_full_names_over_surnames():
    title = "Wladimir Klitschko stops Tony Thompson in 6th round to retain world heavyweight titles"
    tags = slugs(hashtags_for(title, KLITSCHKO))
    assert tags[:2] == ["tonythompson", "wladimirklitschko"]
    assert "boxing" in tags
    assert "thompson" not in tags and "klitschko" not in tags


def test_lohan_rehab_drops_credits_and_keeps_her_full_name():
    title = "Lindsay Lohan Checks Into Betty Ford Clinic, Rehires Attorney Shawn Holley"
    tags = slugs(hashtags_for(title, LOHAN))
    assert tags[0] == "lindsaylohan"
    assert {"shawnholley", "rehab"} <= set(tags)
    assert not {"gettyimages", "advertisement", "reuters", "lohan", "holley", "rehires"} & set(tags)


@pytest.mark.parametrize(
    ("phrase", "slug", "label"),
    [
        ("North Korea", "northkorea", "NorthKorea"),
        ("north korea", "northkorea", "NorthKorea"),
        ("N. Korea", "northkorea", "NorthKorea"),
        ("Lee Jae-myung", "leejaemyung", "LeeJaeMyung"),
        ("Lee Jae Myung", "leejaemyung", "LeeJaeMyung"),
        ("U.S.", "us", "US"),
        ("US", "us", "US"),
        ("United States", "us", "US"),
        ("Zoë Saldaña", "zoesaldana", "ZoeSaldana"),
        ("McDermott", "mcdermott", "McDermott"),
        ("Bank of England", "bankofengland", "BankOfEngland"),
        ("Tariffs", "tariffs", "Tariffs"),
    ],
)
def test_normalisation_table(phrase, slug, label):
    assert normalise(phrase) == Hashtag(slug, label)


def test_headline_only_item_gets_at_most_three_tags():
    tags = hashtags_for("Lee Jae-myung meets Trump in Washington as US tariffs loom over North Korea talks", "")
    assert 1 <= len(tags) <= HEADLINE_LIMIT
    assert "leejaemyung" in slugs(tags)


@pytest.mark.parametrize(
    ("title", "body"), [("Earthquake in West Papua", WEST_PAPUA_QUAKE), ("", KLITSCHKO), ("", LOHAN)]
)
def test_no_duplicates_and_camel_case_labels(title, body):
    tags = hashtags_for(title, body)
    assert len(slugs(tags)) == len(set(slugs(tags)))
    for tag in tags:
        assert re.fullmatch(r"[A-Z0-9][A-Za-z0-9]*", tag.label), tag.label
        assert tag.slug == tag.label.lower()
