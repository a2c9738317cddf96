"""Near-duplicate detection and original selection, on cases named after what motivated them."""

from datetime import UTC, datetime, timedelta

import pytest

from analysis.dedupe import (
    DUPLICATE_THRESHOLD,
    MIN_WORDS,
    NUM_PERM,
    Copy,
    DuplicateIndex,
    TextSignature,
    credited_names,
    find_original,
    signature,
    similarity,
)

KLITSCHKO_AP = (
    "BERN, Switzerland (AP) — Wladimir Klitschko stopped Tony Thompson in the sixth round to retain his "
    "WBA, IBF and WBO heavyweight title belts Saturday night. The 36-year-old champion, 58-3 with 51 "
    "knockouts, floored Thompson with a big right hand near the end of the fifth round at Stade de "
    "Suisse, and the 40-year-old American never recovered.\n\n"
    "The Ukrainian champion dropped Thompson again in the sixth, and referee Sam Williams gave the "
    "challenger a standing count before stopping the fight. In 2008, Klitschko stopped Thompson in the "
    "11th round.\n\n"
    "Thompson, who was the mandatory challenger nominated by the IBF, dropped to 36-3. Klitschko has not "
    "lost since 2004 and said afterwards he wanted to fight again before the end of the year."
)

QUAKE_INDONESIA = (
    "A magnitude 7.6 earthquake struck off the coast of Indonesia's Sumatra island on Wednesday, "
    "killing at least 75 people and trapping thousands under collapsed buildings in the city of Padang, "
    "officials said. The quake hit at 5:16 p.m. local time about 50 kilometres north-west of Padang at a "
    "depth of 85 kilometres, the US Geological Survey said. Hospitals were overwhelmed and power and "
    "telephone lines were cut across West Sumatra province. A tsunami warning was issued and later lifted."
)

QUAKE_CALIFORNIA = (
    "A magnitude 6.0 earthquake rattled California's Napa Valley early on Sunday, injuring more than 100 "
    "people, sparking fires and damaging historic buildings in the wine country north of San Francisco. "
    "The US Geological Survey said the quake struck at 3:20 a.m. about six miles south-west of Napa at a "
    "depth of about seven miles. It was the strongest to hit the Bay Area in 25 years. Governor Jerry "
    "Brown declared a state of emergency, and thousands of homes were left without power."
)

CONVERSATION_BODY = (
    "Coral reefs cover less than one percent of the ocean floor but shelter about a quarter of all marine "
    "species. Our new study, published today in Nature, tracked bleaching across 3,000 reefs over four "
    "decades and found that the gap between mass bleaching events has shrunk from once every 27 years in "
    "the early 1980s to once every six years today. That leaves too little time for even the fastest "
    "growing corals to recover before the next marine heatwave arrives. Reefs that once bounced back now "
    "face repeated blows, and the communities and fisheries that depend on them are exposed as well."
)
ASIA_TIMES_CREDIT = "\n\nThis article is republished from The Conversation under a Creative Commons license."

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_wire_copy_with_new_headline_and_added_paragraph_is_a_duplicate():
    local = (
        "Klitschko keeps his belts with sixth-round stoppage\n\n"
        + KLITSCHKO_AP
        + "\n\nThe Evening Wire's boxing coverage continues on Monday with a look at the undercard fights "
        "and reaction from both camps in Bern."
    )
    a, b = signature(KLITSCHKO_AP), signature(local)
    assert similarity(a, b) >= DUPLICATE_THRESHOLD
    index = DuplicateIndex()
    index.add(1, a)
    assert index.candidates(b) == [1]
    assert [article_id for article_id, _ in index.near(b)] == [1]


def test_two_different_earthquakes_are_not_duplicates():
    indonesia, california = signature(QUAKE_INDONESIA), signature(QUAKE_CALIFORNIA)
    assert similarity(indonesia, california) < 0.1
    index = DuplicateIndex()
    index.add(1, indonesia)
    assert index.near(california) == []


def test_conversation_republished_by_asia_times_credits_the_conversation_even_if_earlier():
    conversation = Copy(1, T0, "The Conversation", CONVERSATION_BODY)
    asia_times = Copy(2, T0 - timedelta(hours=3), "Asia Times", CONVERSATION_BODY + ASIA_TIMES_CREDIT)
    assert find_original(asia_times, [conversation]) == 1
    assert find_original(conversation, [asia_times]) == 1


def test_credit_to_a_publisher_we_do_not_hold_falls_back_to_earliest():
    first = Copy(7, T0, "Asia Times", CONVERSATION_BODY + ASIA_TIMES_CREDIT)
    second = Copy(3, T0 + timedelta(minutes=5), "Scroll", CONVERSATION_BODY + ASIA_TIMES_CREDIT)
    assert find_original(second, [first]) == 7


def test_earliest_published_wins_without_credit():
    copies = [
        Copy(5, T0 + timedelta(minutes=40), "Northern Post", QUAKE_INDONESIA),
        Copy(9, T0, "Metro Observer", QUAKE_INDONESIA),
        Copy(4, T0 + timedelta(minutes=10), "Daily Dispatch", QUAKE_INDONESIA),
    ]
    assert find_original(copies[0], copies[1:]) == 9
    assert find_original(copies[0], []) is None


def test_ap_dateline_names_the_associated_press_copy():
    ap = Copy(11, T0 + timedelta(hours=1), "Associated Press", KLITSCHKO_AP)
    local = Copy(12, T0, "Vancouver Desi", KLITSCHKO_AP)
    assert credited_names(KLITSCHKO_AP) == ["ap"]
    assert find_original(local, [ap]) == 11


def test_signature_round_trips_through_bytes():
    sig = signature(KLITSCHKO_AP)
    data = sig.to_bytes()
    assert len(data) < 600
    assert TextSignature.from_bytes(data) == sig
    assert len(sig.values) == NUM_PERM


def test_foreign_bytes_are_refused():
    with pytest.raises(ValueError):
        TextSignature.from_bytes(b"\x09" + signature(KLITSCHKO_AP).to_bytes()[1:])


def test_short_texts_have_no_signature():
    assert signature("Klitschko retains titles. Read more at our partner site.") is None
    assert signature(" ".join(["word"] * (MIN_WORDS - 1))) is None
    assert signature("") is None


def test_normalisation_ignores_case_and_punctuation():
    shouted = KLITSCHKO_AP.upper().replace(",", "").replace("—", "--")
    assert similarity(signature(KLITSCHKO_AP), signature(shouted)) == 1.0


def test_headline_key_folds_quotes_case_and_punctuation_and_refuses_stock_headlines():
    from analysis.dedupe import headline_key

    # Two of the uci-dev mirror's duplicate headlines, as two outlets printed them.
    assert headline_key("'Game of Thrones' Season 4 Trailer 3: Secrets") == headline_key(
        "Game of Thrones Season 4: Trailer #3 - Secrets"
    )
    assert headline_key("Secrets rule Westeros in new `Games of Thrones' trailer") == headline_key(
        "Secrets rule Westeros in new 'Games of Thrones' trailer"
    )
    assert headline_key("Death stars in Orion blast planets") != headline_key("Death stars in Orion form planets")
    assert headline_key("Business Highlights") == ""
