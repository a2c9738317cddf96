"""The ONNX encoder against the reference sentence-transformers model, plus its own contracts.

The reference (PyTorch) is a test-time dependency only; without it these tests FAIL, they do not
skip. Install it with:

    .venv/bin/pip install torch==2.13.0        # the local CPU wheel; never an unpinned torch
    .venv/bin/pip install sentence-transformers
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from analysis import embeddings
from analysis.embeddings import (
    DIMENSION,
    MAX_LENGTH,
    Encoder,
    ModelIntegrityError,
    TokenEmbeddingEncoder,
    default_model_dir,
    from_bytes,
    get_encoder,
    get_token_encoder,
    to_bytes,
)
from core.tests.shared_data import REPOSITORY, shared_file


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def encoder(cache_dir: Path) -> Encoder:
    return Encoder(cache_dir, threads=2)


@pytest.fixture(scope="module")
def news_texts() -> list[str]:
    """30 real news texts: 10 headlines, 10 headline + lead, 10 whole articles over 256 tokens."""
    truth = shared_file("eval", "mirrors", "ecbplus-dev", "truth.jsonl")
    docs = [json.loads(line) for line in truth.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs.sort(key=lambda d: d["doc_id"])
    by_length = sorted(docs, key=lambda d: len(d["body"]))
    headlines = [d["title"] for d in docs[:10]]
    leads = [d["title"] + "\n\n" + d["body"].split("\n\n")[0] for d in docs[10:20]]
    whole = [d["title"] + "\n\n" + d["body"] for d in by_length[-40::4]]
    return headlines + leads + whole


@pytest.fixture(scope="module")
def reference_model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch  # noqa: F401
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        pytest.fail(
            f"the reference model needs PyTorch and sentence-transformers ({exc}); install them with\n"
            "  .venv/bin/pip install torch==2.13.0\n  .venv/bin/pip install sentence-transformers"
        )
    model = SentenceTransformer(str(default_model_dir()), device="cpu")
    assert model.max_seq_length == MAX_LENGTH
    return model


def test_matches_reference_sentence_transformers(encoder, news_texts, reference_model):
    lengths = [len(ids) for ids in encoder.tokenize(news_texts)]
    assert max(lengths) == MAX_LENGTH, "some texts must be long enough to be truncated"
    assert sum(n == MAX_LENGTH for n in lengths) >= 10
    assert min(lengths) < 32

    ours = encoder.encode(news_texts, batch_size=8)
    reference = reference_model.encode(news_texts, batch_size=8, convert_to_numpy=True)
    reference = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    assert cosines.min() >= 0.99999  # fp32 both ways: the same model, not an approximation


def test_tampered_weights_are_refused(tmp_path: Path):
    model_dir = tmp_path / "model"
    shutil.copytree(default_model_dir(), model_dir)
    weights = model_dir / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.seek(weights.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0xFF]))
    cache = tmp_path / "cache"
    with pytest.raises(ModelIntegrityError, match="sha256"):
        Encoder(cache, model_dir=model_dir)
    # Nothing converted from the tampered file: no ONNX model left in the cache (which may not exist at all).
    assert not list(cache.glob("*.onnx"))


def test_missing_weights_are_refused(tmp_path: Path):
    with pytest.raises(ModelIntegrityError, match="missing"):
        Encoder(tmp_path / "cache", model_dir=tmp_path)


def test_conversion_is_cached(encoder, cache_dir, monkeypatch):
    files = list(cache_dir.glob("*.onnx"))
    assert [f.name for f in files] == [encoder.model_path.name]
    assert embeddings.WEIGHTS_SHA256[:16] in encoder.model_path.name
    before = encoder.model_path.stat()

    def no_conversion(*args, **kwargs):
        raise AssertionError("the cached graph should have been reused")

    monkeypatch.setattr(embeddings, "build_onnx_model", no_conversion)
    again = Encoder(cache_dir, threads=1)
    after = again.model_path.stat()
    assert again.model_path == encoder.model_path
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    assert not [p for p in cache_dir.iterdir() if p.name.endswith(".tmp")]
    np.testing.assert_allclose(again.encode(["cached"]), encoder.encode(["cached"]), atol=1e-6)


def test_batches_restore_input_order(encoder, news_texts):
    texts = [*news_texts[:12], "", "a", news_texts[25]]
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])
    batched = encoder.encode(texts, batch_size=4)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    shuffled = encoder.encode(texts[::-1], batch_size=5)[::-1]
    np.testing.assert_allclose(shuffled, one_by_one, atol=1e-5)


def test_batches_pad_little():
    """Longest first; a batch closes when full or when the next text is under BATCH_MIN_FILL of its longest."""
    lengths = [10, 100, 95, 50, 91, 89, 49, 3]
    batches = list(embeddings._batches(lengths, 3, min_fill=0.9))
    assert batches == [[1, 2, 4], [5], [3, 6], [0], [7]]
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert list(embeddings._batches(lengths, 32, min_fill=0.0)) == [[1, 2, 4, 5, 3, 6, 0, 7]]
    assert list(embeddings._batches([], 4)) == []


def test_empty_inputs(encoder):
    vectors = encoder.encode(["", "   ", "\n"])
    assert vectors.shape == (3, DIMENSION)
    assert np.isfinite(vectors).all()
    assert encoder.encode([]).shape == (0, DIMENSION)
    with pytest.raises(TypeError):
        encoder.encode("not a list")
    with pytest.raises(TypeError):
        encoder.encode([None])


def test_odd_text_is_encoded(encoder):
    """Lone surrogates (bytes decoded with surrogateescape), NULs, emoji and huge bodies."""
    long_text = "Storm warning issued for the coast. " * 5000
    vectors = encoder.encode(["bad \udcff byte", "nul \x00 and 🎉 中文", long_text])
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[2], encoder.encode([long_text[:2000]])[0], atol=1e-5)


def test_vectors_are_unit_length_float32(encoder, news_texts):
    vectors = encoder.encode(news_texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(news_texts), DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_similar_texts_are_closer(encoder):
    a, b, c = encoder.encode(
        [
            "Earthquake of magnitude 6.1 strikes off the coast of Indonesia",
            "A strong quake hit waters near Indonesia on Tuesday",
            "The central bank left interest rates unchanged",
        ]
    )
    assert a @ b > a @ c + 0.2


# --------------------------------------------------------------------------------------------------
# int8: the per-channel quantised graph, an approximation with its own fidelity


@pytest.fixture(scope="module")
def int8_encoder(encoder, tmp_path_factory) -> Encoder:
    cache = tmp_path_factory.mktemp("models-int8")
    shutil.copy(encoder.model_path, cache / encoder.model_path.name)  # the fp32 graph, converted once already
    return Encoder(cache, precision="int8")


def test_int8_is_quantised_once_from_the_cached_graph(int8_encoder, monkeypatch):
    cache = int8_encoder.cache_dir
    assert int8_encoder.model_path.name.endswith(f"-int8pc-q{embeddings.QUANTIZER_VERSION}.onnx")
    assert int8_encoder.model_path.stat().st_size < 0.3 * next(cache.glob("*-c?.onnx")).stat().st_size
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp") or p.name.startswith("tidings-int8-")]

    def no_conversion(*args, **kwargs):
        raise AssertionError("the cached graphs should have been reused")

    monkeypatch.setattr(embeddings, "build_onnx_model", no_conversion)
    monkeypatch.setattr(embeddings, "quantize_int8", no_conversion)
    again = Encoder(cache, precision="int8")
    assert again.model_path == int8_encoder.model_path
    np.testing.assert_array_equal(again.encode(["cached"]), int8_encoder.encode(["cached"]))


def test_int8_fidelity_to_fp32(encoder, int8_encoder, news_texts):
    """int8 vectors are not the model's own: measured 0.985 at worst and 0.993 on average over all 496
    ecbplus-dev embedding texts (docs/benchmarks.md); on these 30 texts they must stay near that."""
    exact = encoder.encode(news_texts)
    approx = int8_encoder.encode(news_texts)
    assert approx.dtype == np.float32 and approx.shape == exact.shape
    np.testing.assert_allclose(np.linalg.norm(approx, axis=1), 1.0, atol=1e-5)
    cosines = (exact * approx).sum(axis=1)
    assert cosines.min() >= 0.98, cosines
    assert cosines.mean() >= 0.99, cosines.mean()

    # Neighbours stay neighbours: each text's nearest other text is the same under both.
    def nearest(v):
        sims = v @ v.T
        np.fill_diagonal(sims, -1)
        return sims.argmax(axis=1)

    assert (nearest(exact) == nearest(approx)).mean() >= 0.9


def test_int8_vectors_say_so(encoder, int8_encoder):
    assert encoder.vector_model == embeddings.MODEL_NAME
    assert int8_encoder.vector_model == f"{embeddings.MODEL_NAME} int8"


def test_unknown_precision_is_refused(cache_dir):
    with pytest.raises(ValueError, match="precision"):
        Encoder(cache_dir, precision="int4")


def test_get_encoder_is_one_per_precision(cache_dir, int8_encoder):
    fp32 = get_encoder(cache_dir)
    assert get_encoder(cache_dir, precision="fp32") is fp32
    int8 = get_encoder(int8_encoder.cache_dir, precision="int8")
    assert int8.precision == "int8" and int8 is get_encoder(int8_encoder.cache_dir, precision="int8")
    assert get_encoder(int8_encoder.cache_dir) is not int8


def test_bytes_round_trip(encoder):
    vector = encoder.encode(["round trip"])[0]
    data = to_bytes(vector)
    assert isinstance(data, bytes) and len(data) == DIMENSION * 4
    back = from_bytes(data)
    assert back.dtype == np.float32 and back.flags.writeable
    np.testing.assert_array_equal(back, vector)
    np.testing.assert_array_equal(from_bytes(memoryview(data)), vector)
    assert to_bytes(np.array([1.0, -2.5])) == struct.pack("<2f", 1.0, -2.5)


def test_get_encoder_is_one_per_directory(cache_dir):
    results: list[Encoder] = []
    threads = [threading.Thread(target=lambda: results.append(get_encoder(cache_dir))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert get_encoder(str(cache_dir)) is results[0]


def test_max_length_is_validated(cache_dir):
    with pytest.raises(ValueError):
        Encoder(cache_dir, max_length=1000)


def test_onnxruntime_writes_nothing_under_home(cache_dir, tmp_path):
    """ONNX Runtime 1.32 writes a telemetry device id under ~/.cache on import unless opted out."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORT_", "XDG_"))}
    env.update(HOME=str(home), PYTHONPATH=str(REPOSITORY))
    code = (
        "import sys; from pathlib import Path; from analysis.embeddings import Encoder;"
        "print(Encoder(Path(sys.argv[1]), threads=1).encode(['x']).shape)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(cache_dir)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "(1, 384)" in done.stdout
    assert list(home.iterdir()) == []


# --------------------------------------------------------------------------------------------------
# TokenEmbeddingEncoder: the cheap word-piece vectoriser


@pytest.fixture(scope="module")
def token_encoder() -> TokenEmbeddingEncoder:
    return get_token_encoder()


def test_token_vectors_are_unit_rows(token_encoder, news_texts):
    vectors = token_encoder.encode(news_texts)
    assert vectors.shape == (len(news_texts), DIMENSION) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_token_vectors_are_deterministic(token_encoder, news_texts):
    first = token_encoder.encode(news_texts)
    again = TokenEmbeddingEncoder().encode(list(reversed(news_texts)))[::-1]
    np.testing.assert_array_equal(first, again)
    # Batch-independent: alone or among others, a text gets the same vector.
    np.testing.assert_array_equal(token_encoder.encode([news_texts[3]])[0], first[3])
    assert token_encoder.encode_one(news_texts[3]).tolist() == first[3].tolist()


def test_token_encoder_empty_and_odd_texts(token_encoder):
    vectors = token_encoder.encode(["", "   ", "\n", "bad \udcff byte", "nul \x00 and 🎉 中文", "Storm. " * 5000])
    assert vectors.shape == (6, DIMENSION)
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[1])
    assert token_encoder.encode([]).shape == (0, DIMENSION)
    with pytest.raises(TypeError):
        token_encoder.encode("not a list")
    with pytest.raises(TypeError):
        token_encoder.encode([None])


def test_token_encoder_uses_the_model_tokenizer_without_specials(token_encoder):
    ids = token_encoder.tokenize(["The earthquake struck"])[0]
    assert ids and 101 not in ids and 102 not in ids  # no [CLS] / [SEP]
    assert token_encoder.weights[ids[0]] < 0.05 < token_encoder.weights[ids[-1]]  # "the" counts ~nothing


def test_token_vectors_rank_similar_texts(token_encoder):
    a, b, c = token_encoder.encode(
        [
            "A strong earthquake struck northern Peru on Tuesday.",
            "A powerful quake hit the north of Peru on Tuesday.",
            "The central bank raised interest rates by a quarter point.",
        ]
    )
    assert a @ b > 0.5 > a @ c


def test_token_encoder_checks_the_weights(tmp_path: Path):
    model_dir = tmp_path / "model"
    shutil.copytree(default_model_dir(), model_dir)
    weights = model_dir / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.seek(weights.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        TokenEmbeddingEncoder(model_dir)
    with pytest.raises(ModelIntegrityError, match="missing"):
        TokenEmbeddingEncoder(tmp_path)


def test_token_encoder_checks_the_tokenizer(tmp_path: Path):
    model_dir = tmp_path / "model"
    shutil.copytree(default_model_dir(), model_dir)
    tokenizer = model_dir / "tokenizer.json"
    tokenizer.write_text(tokenizer.read_text(encoding="utf-8").replace('"[UNK]"', '"[UNK2]"', 1), encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="sha256"):
        TokenEmbeddingEncoder(model_dir)


def test_get_token_encoder_is_a_singleton():
    assert get_token_encoder() is get_token_encoder(default_model_dir())
