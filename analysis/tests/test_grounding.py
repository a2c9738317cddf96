"""verify(): paraphrases pass; wrong numbers, foreign names, invented events and moved role words fail."""

import pytest

from analysis.embeddings import get_encoder
from analysis.grounding import SUPPORT_THRESHOLD, verify
from analysis.sentences import split_sentences

INAUGURATION = (
    "Lee Jae-myung was sworn in as South Korea's president on Wednesday, replacing former president "
    "Yoon Suk Yeol, who was removed from office over his short-lived declaration of martial law.\n\n"
    "Lee, 61, took the oath of office at the National Assembly in Seoul hours after the election "
    "commission confirmed his victory. He won 49.4 percent of the vote, against 41.2 percent for his "
    "conservative rival Kim Moon-soo.\n\n"
    "In his inaugural speech, Lee promised to revive an economy hit by U.S. tariffs and to reopen "
    'dialogue with North Korea. "We will end the politics of hatred," he said.\n\n'
    "Yoon, a former prosecutor, faces a criminal trial on insurrection charges. He has denied wrongdoing."
)

PARAPHRASES = [
    "Lee Jae-myung became South Korea's president on Wednesday, succeeding Yoon Suk Yeol.",
    "Lee was sworn in at the National Assembly in Seoul after his victory was confirmed.",
    "Lee received 49.4 percent of the vote, while Kim Moon-soo got 41.2 percent.",
    "In his inaugural speech, Lee pledged to revive the economy and talk to North Korea.",
    "Yoon is on trial for insurrection and denies wrongdoing.",
    "Former president Yoon Suk Yeol was removed from office over his declaration of martial law.",
]


@pytest.fixture(scope="module")
def encoder():
    return get_encoder("/tmp/tidings-models")


def check(claim, encoder, body=INAUGURATION):
    verdict = verify(claim, body, split_sentences(body), encoder=encoder)
    for start, end in verdict.spans:
        assert 0 <= start < end <= len(body) and body[start:end].strip() == body[start:end]
    return verdict


@pytest.mark.parametrize("claim", PARAPHRASES)
def test_faithful_paraphrase_is_supported(claim, encoder):
    verdict = check(claim, encoder)
    assert verdict.supported, verdict.reason
    assert verdict.spans


@pytest.mark.parametrize(
    "claim",
    [
        "Former president Lee Jae-myung was sworn in on Wednesday.",
        "Lee Jae-myung, the former president, took the oath of office in Seoul.",
        "The ex-president Lee Jae-myung was sworn in as South Korea's leader on Wednesday.",
    ],
)
def test_former_that_belongs_to_the_predecessor_is_rejected(claim, encoder):
    verdict = check(claim, encoder)
    assert not verdict.supported
    assert "Lee" in verdict.reason and ("Yoon" in verdict.reason or "does not say" in verdict.reason)


def test_wrong_number_is_rejected_with_the_number(encoder):
    verdict = check("Lee won 24 percent of the vote, against 41.2 percent for Kim Moon-soo.", encoder)
    assert not verdict.supported
    assert verdict.reason == "the number 24 is not in the article"


def test_name_not_in_the_article_is_rejected(encoder):
    verdict = check("Lee Jae-myung took the oath of office alongside Ban Ki-moon at the National Assembly.", encoder)
    assert not verdict.supported
    assert "Ban Ki-moon" in verdict.reason and "not in the article" in verdict.reason


def test_invented_event_is_rejected(encoder):
    verdict = check("Lee announced that South Korea will host the 2036 Olympic Games.", encoder)
    assert not verdict.supported
    assert verdict.reason.startswith("no sentence of the article says this") or "2036" in verdict.reason


def test_unrelated_sentence_is_rejected(encoder):
    verdict = check("Wladimir Klitschko stopped Tony Thompson in the sixth round in Bern.", encoder)
    assert not verdict.supported
    assert verdict.reason.startswith("no sentence of the article says this")


def test_negation_added_without_support_is_rejected(encoder):
    verdict = check("Lee Jae-myung was not sworn in as South Korea's president on Wednesday.", encoder)
    assert not verdict.supported


def test_precomputed_vectors_give_the_same_verdict(encoder):
    sentences = split_sentences(INAUGURATION)
    vectors = encoder.encode([s.text for s in sentences])
    claim = PARAPHRASES[2]
    with_vectors = verify(claim, INAUGURATION, sentences, encoder=encoder, sentence_vectors=vectors)
    assert with_vectors == verify(claim, INAUGURATION, sentences, encoder=encoder)


def test_threshold_is_a_named_constant():
    assert 0.5 < SUPPORT_THRESHOLD < 0.9
