"""split_sentences(): news-aware boundaries, exact offsets."""

import json
import time

import pytest

from analysis.sentences import split_sentences
from core.tests.shared_data import shared_file

CASES = {
    "plain": ("It rained. The match went on.", ["It rained.", "The match went on."]),
    "title abbreviation": ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
    "dotted acronym mid-sentence": ("The U.S. Navy sailed. It was late.", ["The U.S. Navy sailed.", "It was late."]),
    "dotted acronym ends a sentence": (
        "He flew to the U.S. The trip was long.",
        ["He flew to the U.S.", "The trip was long."],
    ),
    "month abbreviation": (
        "It opened on Jan. 5 in Paris. Crowds came.",
        ["It opened on Jan. 5 in Paris.", "Crowds came."],
    ),
    "number abbreviation": (
        "She is ranked No. 1 again. Fans cheered.",
        ["She is ranked No. 1 again.", "Fans cheered."],
    ),
    "lowercase no ends": ("The answer was no. Talks ended.", ["The answer was no.", "Talks ended."]),
    "decimal": ("A magnitude 6.1 quake hit. Nobody died.", ["A magnitude 6.1 quake hit.", "Nobody died."]),
    "spaced decimal (ECB+ mirror)": (
        "A 6. 1 - magnitude quake hit Aceh. It was watched by 6. 1m people (a 29. 8% share). Nobody died.",
        ["A 6. 1 - magnitude quake hit Aceh.", "It was watched by 6. 1m people (a 29. 8% share).", "Nobody died."],
    ),
    "spaced calibre after an article": (
        "He pointed a. 357 caliber revolver at them. Both officers fired.",
        ["He pointed a. 357 caliber revolver at them.", "Both officers fired."],
    ),
    "spaced a. m.": (
        "It hit at 12: 30 a. m. Tuesday near Lima. Roads shut at 3 a. m. The city slept.",
        ["It hit at 12: 30 a. m. Tuesday near Lima.", "Roads shut at 3 a. m.", "The city slept."],
    ),
    "number ends a sentence before a capital": ("He scored 20. Fans cheered.", ["He scored 20.", "Fans cheered."]),
    "initials": ("J. R. Smith scored 20. The crowd roared.", ["J. R. Smith scored 20.", "The crowd roared."]),
    "quote then attribution": ('"We are safe," he said. Help came.', ['"We are safe," he said.', "Help came."]),
    "quote ends sentence": ('He said: "It is over." Then he left.', ['He said: "It is over."', "Then he left."]),
    "question and exclamation": ("Why now? Nobody knows! Stay tuned.", ["Why now?", "Nobody knows!", "Stay tuned."]),
    "time abbreviation": (
        "It hit at 3 p.m. Tuesday near Lima. Roads shut.",
        ["It hit at 3 p.m. Tuesday near Lima.", "Roads shut."],
    ),
    "paragraph break without period": ("Breaking news\n\nThe quake hit.", ["Breaking news", "The quake hit."]),
    "line break": ("First line\nSecond line.", ["First line", "Second line."]),
    "company suffix": (
        "Shares of Apple Inc. fell. The market slid.",
        ["Shares of Apple Inc. fell.", "The market slid."],
    ),
    "ellipsis": ("He waited... Nothing came.", ["He waited...", "Nothing came."]),
    "blank and spaces": ("  \n\n  One sentence here.  \n\n \n", ["One sentence here."]),
    "empty": ("", []),
}


@pytest.mark.parametrize("name", CASES)
def test_split(name):
    body, expected = CASES[name]
    sentences = split_sentences(body)
    assert [s.text for s in sentences] == expected
    for i, s in enumerate(sentences):
        assert s.index == i
        assert body[s.start : s.end] == s.text and s.text.strip() == s.text and s.text


def test_offsets_exact_on_real_bodies():
    path = shared_file("eval", "mirrors", "ecbplus-dev", "truth.jsonl")
    for line in path.open():
        body = json.loads(line)["body"]
        previous_end = 0
        for s in split_sentences(body):
            assert body[s.start : s.end] == s.text and s.start >= previous_end
            previous_end = s.end


def test_fast_on_a_long_article():
    body = " ".join(["Mr. Smith told the U.S. Senate on Jan. 5 that magnitude 6.1 quakes hit twice."] * 70)
    split_sentences(body)
    started = time.perf_counter()
    for _ in range(20):
        split_sentences(body)
    assert (time.perf_counter() - started) / 20 < 0.02  # ~1 ms measured; loose for busy machines
