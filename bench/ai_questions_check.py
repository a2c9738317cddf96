"""Check the frozen question set for "Ask about this article" (ai/eval/questions-*.jsonl).

Stdlib only. Loads the source articles from ../shared (the same texts the questions were written on) and checks
that every answer span is in range, is the text it claims to be (answer_text, or answer_sha256 for CNN/DailyMail,
whose text is not copied into this repository), starts and ends where a reader would cut a sentence, that ids are
unique, that each corpus is about half answerable, that the split between the tuning and held-out halves follows the
documented rule (all questions of an article on one side), and that both files still have the sha256 recorded in
docs/benchmarks.md when the set was frozen. Prints the counts; exits 1 on any error.

    python3 bench/ai_questions_check.py [questions.jsonl ...]
"""

import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EVAL_DIR = ROOT / "ai" / "eval"
SPLIT_FILES = {"tuning": EVAL_DIR / "questions-tuning.jsonl", "heldout": EVAL_DIR / "questions-heldout.jsonl"}
# The set is frozen: docs/benchmarks.md records each file's sha256 under this heading.
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
FROZEN_HEADING = "## Question set for Ask about this article"

# corpus -> (file under ../shared, text field, article key field)
CORPORA = {
    "ecbplus-dev": ("eval/mirrors/ecbplus-dev/truth.jsonl", "body", "url"),
    "zyte-dev": ("eval/mirrors/zyte-dev/truth.jsonl", "body", "url"),
    "cnndm-dev": ("data/summaries-dev/cnndm-dev.jsonl", "article", "id"),
}
# Research text that must not be copied into the repository: spans are checked by hash only.
HASH_ONLY = {"cnndm-dev"}
KINDS = {"number", "person", "place", "time", "reason", "paraphrase", "unanswerable"}
FIELDS = {"id", "corpus", "article", "question", "answerable", "spans", "answer", "kind"}
SENTENCE_END = ".!?\"'”’)"
SENTENCE_BEFORE = ".!?\"'”’):"
MAX_CNNDM_ANSWER_WORDS = 10


def load_articles():
    articles = {}
    for corpus, (relative, text_field, key_field) in CORPORA.items():
        with open(SHARED / relative, encoding="utf-8") as source:
            for line in source:
                row = json.loads(line)
                articles[(corpus, row[key_field])] = row[text_field]
    return articles


def split_of(corpus, article_keys):
    """The split rule: within each corpus, order the articles by sha256 of their key (utf-8, hex); the 1st, 3rd,
    5th... go to the tuning half and the 2nd, 4th, 6th... to the held-out half."""
    ordered = sorted(article_keys, key=lambda key: hashlib.sha256(key.encode("utf-8")).hexdigest())
    return {key: ("tuning" if rank % 2 == 0 else "heldout") for rank, key in enumerate(ordered)}


def starts_sentence(text, start):
    if start == 0:
        return True
    if not text[start - 1].isspace():
        return False
    before = text[:start].rstrip()
    return not before or "\n" in text[len(before) : start] or before[-1] in SENTENCE_BEFORE


def ends_sentence(text, end):
    return text[end - 1] in SENTENCE_END and (end == len(text) or text[end].isspace())


def check(records, articles):
    errors = []
    seen_ids = set()
    for number, record in enumerate(records, 1):
        where = f"{record.get('id', '?')} (line {number} of {record.get('_file', '?')})"
        missing = FIELDS - record.keys()
        if missing:
            errors.append(f"{where}: missing {sorted(missing)}")
            continue
        if record["id"] in seen_ids:
            errors.append(f"{where}: duplicate id")
        seen_ids.add(record["id"])
        if record["kind"] not in KINDS:
            errors.append(f"{where}: unknown kind {record['kind']!r}")
        text = articles.get((record["corpus"], record["article"]))
        if text is None:
            errors.append(f"{where}: no such article in {record['corpus']}")
            continue
        hash_only = record["corpus"] in HASH_ONLY
        if hash_only and "answer_text" in record:
            errors.append(f"{where}: {record['corpus']} text must not be copied (use answer_sha256)")
        if not record["answerable"]:
            if record["spans"] or record["answer"] is not None or record["kind"] != "unanswerable":
                errors.append(f"{where}: an unanswerable question has spans, an answer or a kind")
            continue
        if record["kind"] == "unanswerable" or not record["answer"]:
            errors.append(f"{where}: an answerable question needs an answer and a kind")
        if not 1 <= len(record["spans"]) <= 2:
            errors.append(f"{where}: needs one or two spans")
            continue
        if hash_only and len(record["answer"].split()) > MAX_CNNDM_ANSWER_WORDS:
            errors.append(f"{where}: answer longer than {MAX_CNNDM_ANSWER_WORDS} words")
        claimed = record.get("answer_sha256" if hash_only else "answer_text")
        if not isinstance(claimed, list) or len(claimed) != len(record["spans"]):
            errors.append(f"{where}: needs one {'answer_sha256' if hash_only else 'answer_text'} per span")
            continue
        for (start, end), expected in zip(record["spans"], claimed, strict=True):
            if not 0 <= start < end <= len(text):
                errors.append(f"{where}: span [{start}, {end}) out of range")
                continue
            span = text[start:end]
            actual = hashlib.sha256(span.encode("utf-8")).hexdigest() if hash_only else span
            if actual != expected:
                errors.append(f"{where}: span [{start}, {end}) does not match its {'hash' if hash_only else 'text'}")
            if not starts_sentence(text, start) or not ends_sentence(text, end):
                errors.append(f"{where}: span [{start}, {end}) is not cut at sentence boundaries")
    return errors


def check_balance(records):
    errors = []
    for corpus in CORPORA:
        rows = [record for record in records if record["corpus"] == corpus]
        answerable = sum(record["answerable"] for record in rows)
        if not rows or abs(2 * answerable - len(rows)) > max(2, len(rows) // 10):
            errors.append(f"{corpus}: {answerable} answerable of {len(rows)}, not about half")
    return errors


def check_split(records):
    errors = []
    sides = defaultdict(set)
    for record in records:
        sides[(record["corpus"], record["article"])].add(record["_side"])
    for corpus in CORPORA:
        keys = [key for (each_corpus, key) in sides if each_corpus == corpus]
        for key, side in split_of(corpus, keys).items():
            if sides[(corpus, key)] != {side}:
                errors.append(f"{corpus} {key}: in {sorted(sides[(corpus, key)])}, the rule says {side}")
    return errors


def check_frozen():
    """Each split file's sha256 must be the one docs/benchmarks.md recorded when the set was frozen."""
    text = BENCHMARKS.read_text(encoding="utf-8")
    start = text.find(FROZEN_HEADING)
    if start < 0:
        return [f"{BENCHMARKS.name}: no section {FROZEN_HEADING!r}"]
    end = text.find("\n## ", start + 1)
    section = text[start : end if end >= 0 else len(text)]
    errors = []
    for path in SPLIT_FILES.values():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in section:
            errors.append(f"{path.name}: sha256 {digest} is not the one frozen in {BENCHMARKS.name}")
    return errors


def read(path, side):
    records = []
    with open(path, encoding="utf-8") as source:
        for line in source:
            if line.strip():
                record = json.loads(line)
                record["_file"], record["_side"] = path.name, side
                records.append(record)
    return records


def main(argv):
    articles = load_articles()
    if argv:
        records = [record for path in argv for record in read(Path(path), Path(path).stem)]
        errors = check(records, articles)
    else:
        records = [record for side, path in SPLIT_FILES.items() for record in read(path, side)]
        errors = check(records, articles) + check_balance(records) + check_split(records) + check_frozen()
    print(f"{len(records)} questions on {len({(r['corpus'], r['article']) for r in records})} articles")
    counts = Counter((r["_side"], r["corpus"], r["answerable"]) for r in records)
    for side in sorted({r["_side"] for r in records}):
        for corpus in CORPORA:
            articles_here = len({r["article"] for r in records if r["_side"] == side and r["corpus"] == corpus})
            print(
                f"  {side:8} {corpus:12} articles {articles_here:3}  answerable {counts[(side, corpus, True)]:3}"
                f"  unanswerable {counts[(side, corpus, False)]:3}"
            )
    kinds = Counter((r["corpus"], r["kind"]) for r in records)
    for corpus in CORPORA:
        present = [f"{kind} {kinds[(corpus, kind)]}" for kind in sorted(KINDS) if kinds[(corpus, kind)]]
        print(f"  kinds {corpus}: " + ", ".join(present))
    for error in errors:
        print("ERROR", error)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
