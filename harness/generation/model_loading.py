"""Load the causal LM and tokenizer of a run, and describe exactly what was loaded.

`load_model(cfg)` accepts a local model folder, a Hugging Face hub id (optionally at a
revision), a local .gguf file, or None (the embedded offline default, see default_model.py).
Every failure becomes a one-line ModelLoadError naming the model and the reason.

Decoding is set by the run config only: the model's own generation defaults (a sampling
temperature, a repetition penalty, ...) are dropped at load time and listed in
`resolved["ignored_generation_defaults"]`. torch and transformers are imported inside functions.
"""
from __future__ import annotations

import functools
import logging
import os
import re
import socket
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.config import ConfigError, GenerationConfig

logger = logging.getLogger(__name__)

# Special tokens that end a text in common model families; generation stops at any of them.
END_OF_TEXT_TOKENS = ("<|endoftext|>", "<|im_end|>", "<|end_of_text|>", "<|eot_id|>", "<|end|>", "</s>", "<|EOT|>")
_CONTEXT_ATTRIBUTES = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length", "n_ctx")
_NOT_DECODING = {
    "bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id", "transformers_version", "use_cache",
    "output_attentions", "output_hidden_states", "output_scores", "output_logits", "return_dict_in_generate",
}
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
HUB_PROBE_TIMEOUT_S = 5.0


class ModelLoadError(ConfigError):
    """A model that cannot be loaded. str(error) is one line: the model and the reason."""

    def __init__(self, model: str, reason: str) -> None:
        super().__init__(f"cannot load model {model!r}: {reason}")
        self.model = model
        self.reason = reason


@dataclass(frozen=True)
class LoadedModel:
    model: Any  # a transformers PreTrainedModel, in eval mode, on resolved["device"]
    tokenizer: Any  # padding_side "left", with a pad token
    resolved: dict[str, Any]  # what was loaded: recorded in the run's config file

    @property
    def max_context(self) -> int | None:
        return self.resolved.get("max_context")

    @property
    def eos_token_ids(self) -> tuple[int, ...]:
        return tuple(self.resolved["eos_token_ids"])


def load_model(cfg: GenerationConfig) -> LoadedModel:
    """Load cfg.model (None: the embedded default) with cfg.revision, cfg.dtype and cfg.device."""
    device = resolve_device(cfg.device)
    choice = dtype_choice(cfg.dtype, device)
    dtype = choice["dtype"]
    if cfg.model is None:
        from harness.generation.default_model import prepare_default_model

        embedded = prepare_default_model()
        name, where, revision, gguf_file, extra = embedded.name, str(embedded.path), None, None, embedded.resolved
    else:
        name = cfg.model
        where, revision, gguf_file, extra = _locate(cfg.model, cfg.revision)
    model, tokenizer = _load_pretrained(name, where, revision, gguf_file, dtype, device, extra.pop("local_files_only", False))
    extra = {"path": where, "revision": cfg.revision, "commit_hash": _commit_hash(revision), **extra, "dtype_choice": choice}
    extra["weights_sha256"] = _weights_sha256(name, where, gguf_file, extra)
    loaded = _prepared(name, model, tokenizer, dtype, device, extra)
    logger.info("model %s loaded from %s (%s, %s, context %s)", name, where, dtype, device, loaded.max_context)
    return loaded


def from_objects(model: Any, tokenizer: Any, name: str | None = None) -> LoadedModel:
    """A model and tokenizer the caller loaded (e.g. in a notebook), prepared as load_model
    prepares its own: left padding, a pad token, the model's generation defaults replaced
    (decoding follows the run's settings). Both objects are changed in place."""
    name = name or getattr(model, "name_or_path", None) or type(model).__name__
    dtype = str(getattr(model, "dtype", "unknown")).removeprefix("torch.")
    device = str(getattr(model, "device", "unknown"))
    model.eval()
    choice = {"asked": "model object", "dtype": dtype, "rule": MODEL_OBJECT_RULE}
    from harness.generation.weights_digest import state_dict_sha256

    return _prepared(name, model, tokenizer, dtype, device, {"source": "in-memory", "path": None, "dtype_choice": choice,
                                                             "weights_sha256": state_dict_sha256(model)})


def _prepared(name: str, model: Any, tokenizer: Any, dtype: str, device: str, extra: dict[str, Any]) -> LoadedModel:
    eos_ids = _prepare_tokenizer(name, model, tokenizer)
    ignored = _reset_generation_defaults(model, tokenizer, eos_ids)
    resolved = {
        "model": name,
        "source": extra.get("source", "local"),
        "path": None,
        "revision": None,
        "commit_hash": None,
        "dtype": dtype,
        "device": device,
        "batch_invariant": decoding_batch_invariant(dtype, device),
        "default_batch_size": default_batch_size(model, tokenizer, dtype, device),
        "max_context": max_context(model, tokenizer),
        "attention": getattr(model.config, "_attn_implementation", None),
        "architecture": (getattr(model.config, "architectures", None) or [type(model).__name__])[0],
        "parameters": sum(p.numel() for p in model.parameters()),
        "eos_token_ids": list(eos_ids),
        "pad_token_id": tokenizer.pad_token_id,
        "ignored_generation_defaults": ignored,
        "versions": _versions(),
        **{k: v for k, v in extra.items() if k != "source"},
    }
    return LoadedModel(model=model, tokenizer=tokenizer, resolved=resolved)


def _weights_sha256(name: str, where: str, gguf_file: str | None, extra: dict[str, Any]) -> str | None:
    """The digest of the weights loaded from `where` (weights_digest.py); None where they cannot be found."""
    from harness.generation.weights_digest import file_weights_sha256, folder_weights_sha256

    try:
        if gguf_file is not None:
            return file_weights_sha256(Path(where) / gguf_file)
        folder = Path(where)
        if extra.get("source") in ("hub", "hub-cache"):
            snapshot = _cached_snapshot(name, extra.get("commit_hash") or extra.get("revision"))
            if snapshot is None:
                return None
            folder = Path(snapshot)
        return folder_weights_sha256(folder)
    except OSError as error:
        logger.warning("no weights digest for %s: %s", name, one_line(error))
        return None


def weights_sha256_before_loading(cfg: GenerationConfig) -> str | None:
    """The digest of what load_model(cfg) would load, where that is known without loading it
    (a local folder or .gguf file); None otherwise."""
    if cfg.model is None:
        return None
    path = Path(cfg.model).expanduser()
    from harness.generation.weights_digest import file_weights_sha256, folder_weights_sha256

    try:
        if path.is_file() and path.suffix == ".gguf":
            return file_weights_sha256(path)
        if path.is_dir() and (path / "config.json").is_file():
            return folder_weights_sha256(path)
    except OSError:
        return None
    return None


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: no CUDA device is available (use --device cpu or auto)")
    return device


DTYPE_RULE = "float32 on a CPU; bfloat16 on a GPU that supports it, else float32"
MODEL_OBJECT_RULE = "a model object passed in keeps its dtype"


def resolve_dtype(dtype: str, device: str, *, cuda_bf16: bool | None = None) -> str:
    """The dtype `--dtype` means on `device` (DTYPE_RULE for auto); cuda_bf16: whether the GPU
    supports bfloat16 (None: ask torch)."""
    return dtype_choice(dtype, device, cuda_bf16=cuda_bf16)["dtype"]


def dtype_choice(dtype: str, device: str, *, cuda_bf16: bool | None = None) -> dict[str, Any]:
    """The dtype to load in, as asked and as chosen, with the rule: recorded as the model's "dtype_choice".

    On a CPU auto is float32, with or without native bfloat16 (decided by measurement, never by
    a timing at run time: every process of a run must decode in the same dtype). bfloat16's
    matrix products are emulated without AVX512-BF16/AMX and lose there (30.2 against 50.2
    useful tokens/s, continuous batch 16, AVX2 machine of 2026-12-01); with AVX512-BF16 they
    still lose to float32 (README, "Generation"), and in bfloat16 the programs depend on the
    batch size (decoding_batch_invariant). A GPU decodes in bfloat16 where it has it.
    """
    choice: dict[str, Any] = {"asked": dtype, "rule": DTYPE_RULE}
    if not device.startswith("cuda"):
        choice["native_bfloat16_flags"] = sorted(_cpu_flags() & _NATIVE_BF16_FLAGS)
        choice["dtype"] = "float32" if dtype == "auto" else dtype
        return choice
    if dtype == "auto":
        if cuda_bf16 is None:
            import torch

            cuda_bf16 = torch.cuda.is_bf16_supported()
        choice["cuda_bf16"] = cuda_bf16
    choice["dtype"] = ("bfloat16" if cuda_bf16 else "float32") if dtype == "auto" else dtype
    return choice


def decoding_batch_invariant(dtype: str, device: str) -> bool:
    """Whether a row's tokens do not depend on the other rows of its batch (the batch size,
    finished rows leaving, Ray replicas against one process). Holds (measured and tested) for
    float32 on a CPU; in bfloat16 a batch of 8 against 1 changed most programs of the
    default model (README), and a GPU's kernels depend on the batch shape in any dtype."""
    return dtype == "float32" and device == "cpu"


GPU_BATCH_SIZE = 16  # 64 rows of a 1.3B model's cache at full context would not fit a 24 GB GPU
CPU_BATCH_SIZE = 64  # 1.86x the useful tokens/s of batch 16 on a CPU (README, "Generation")


def default_batch_size(model: Any, tokenizer: Any, dtype: str, device: str, memory_bytes: int | None = None) -> int:
    """--batch-size when not given: GPU_BATCH_SIZE on a GPU; on a CPU, CPU_BATCH_SIZE rows, halved
    until their key/value cache at full context fits in half of `memory_bytes` (None: this
    machine's available memory). In float32 on a CPU the programs are the same at any batch size."""
    if device.startswith("cuda"):
        return GPU_BATCH_SIZE
    per_row = _cache_bytes_per_token(model, dtype) * (max_context(model, tokenizer) or 2048)
    memory = _available_memory() if memory_bytes is None else memory_bytes
    size = CPU_BATCH_SIZE
    while size > 1 and per_row and memory and size * per_row > memory // 2:
        size //= 2
    return size


def _cache_bytes_per_token(model: Any, dtype: str) -> int:
    """Keys and values of one token over all layers (0 where the config does not say)."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    layers = next((getattr(config, a) for a in ("num_hidden_layers", "n_layer", "num_layers") if isinstance(getattr(config, a, None), int)), 0)
    heads = next((getattr(config, a) for a in ("num_attention_heads", "n_head") if isinstance(getattr(config, a, None), int)), 0)
    hidden = next((getattr(config, a) for a in ("hidden_size", "n_embd") if isinstance(getattr(config, a, None), int)), 0)
    if not (layers and heads and hidden):
        return 0
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or hidden // heads
    return 2 * layers * kv_heads * head_dim * (4 if dtype == "float32" else 2)


def _available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


_NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})


@functools.lru_cache(maxsize=1)
def _cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def max_context(model: Any, tokenizer: Any) -> int | None:
    """The model's context length in tokens, from its config (else the tokenizer's), or None."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    for attribute in _CONTEXT_ATTRIBUTES:
        value = getattr(config, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", None)
    return value if isinstance(value, int) and 0 < value < 10**7 else None


def _locate(model: str, revision: str | None) -> tuple[str, str | None, str | None, dict[str, Any]]:
    """(where to load from, revision, gguf file name, extra resolved fields) for a --model value."""
    path = Path(model).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return str(path.parent.resolve()), None, path.name, {"source": "local-gguf"}
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelLoadError(model, f"the folder {path} has no config.json (not a saved Hugging Face model)")
        if revision is not None:
            logger.warning("--revision %s ignored: %s is a local folder", revision, model)
        return str(path.resolve()), None, None, {"source": "local"}
    if model.startswith(("/", ".", "~")) or model.count("/") > 1 or os.sep != "/" and os.sep in model:
        raise ModelLoadError(model, "no such local folder or file")
    unreachable = hub_unreachable()
    if unreachable is None:
        return model, _resolve_revision(model, revision), None, {"source": "hub"}
    cached = _cached_snapshot(model, revision)
    if cached is None:
        raise ModelLoadError(model, f"not a local folder, not in the local Hugging Face cache, and {unreachable}")
    logger.info("%s; loading %s from the local cache (%s)", unreachable, model, cached)
    commit = Path(cached).name if _COMMIT.match(Path(cached).name) else None
    return model, revision, None, {"source": "hub-cache", "local_files_only": True, "commit_hash": commit}


def hub_unreachable() -> str | None:
    """Why the model hub cannot be used now, or None. Decided within seconds (a socket probe),
    so an offline machine gets one clear error instead of minutes of retried downloads."""
    if _hub_offline():
        return "the hub is switched off (HF_HUB_OFFLINE=1)"
    from huggingface_hub import constants

    url = urllib.parse.urlsplit(constants.ENDPOINT)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    proxy = None if urllib.request.proxy_bypass(host) else urllib.request.getproxies().get(url.scheme)
    if proxy:  # behind a proxy the hub is reached through it: probe the proxy
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = parsed.hostname or "", parsed.port or 80
    outcome: list[BaseException | None] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=HUB_PROBE_TIMEOUT_S).close()
            outcome.append(None)
        except OSError as error:
            outcome.append(error)

    thread = threading.Thread(target=probe, name="hub-probe", daemon=True)  # name lookups have no timeout
    thread.start()
    thread.join(HUB_PROBE_TIMEOUT_S + 1)
    if outcome and outcome[0] is None:
        return None
    reason = one_line(outcome[0]) if outcome else f"no answer within {HUB_PROBE_TIMEOUT_S:g} s"
    via = f" through the proxy {host}:{port}" if proxy else ""
    return f"the hub ({constants.ENDPOINT}) is not reachable{via}: {reason}"


def _cached_snapshot(model: str, revision: str | None) -> str | None:
    """The cached folder of the model at the revision (None: not in the local cache)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(model, "config.json", revision=revision)
    except Exception:  # an invalid id or revision: not cached
        return None
    return str(Path(found).parent) if isinstance(found, str) else None


def _resolve_revision(model: str, revision: str | None) -> Any:
    """The revision pinned to its commit when the hub (or its local cache) knows it, else as given."""
    try:
        from transformers.utils.hub import resolve_revision

        return resolve_revision(model, revision)
    except Exception:  # best effort: the load itself reports real problems
        return revision


def _commit_hash(revision: Any) -> str | None:
    resolved = getattr(revision, "resolved", None)
    if isinstance(resolved, str) and _COMMIT.match(resolved):
        return resolved
    return revision if isinstance(revision, str) and _COMMIT.match(revision) else None


def _load_pretrained(
    name: str, where: str, revision: Any, gguf_file: str | None, dtype: str, device: str, local_files_only: bool = False
):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"revision": revision} if revision is not None else {}
    if local_files_only:
        kwargs["local_files_only"] = True
    if gguf_file is not None:
        kwargs["gguf_file"] = gguf_file
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(where, dtype=getattr(torch, dtype), **kwargs)
        model.to(device)
    except Exception as error:  # any failure: one line naming the model and the reason
        raise ModelLoadError(name, _reason(where, error)) from error
    model.eval()
    return model, tokenizer


def one_line(error: BaseException) -> str:
    """The first non-empty line of an exception message (or its type name), at most 300 characters."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:300]


def _reason(where: str, error: Exception) -> str:
    detail = one_line(error)
    if Path(where).exists():
        return detail
    if _hub_offline():
        return "not a local folder, and not in the local Hugging Face cache (the hub is offline: HF_HUB_OFFLINE=1)"
    return f"not a local folder, and the Hugging Face hub did not provide it: {detail}"


def _hub_offline() -> bool:
    truthy = {"1", "on", "yes", "true"}
    return any(os.environ.get(v, "").lower() in truthy for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _prepare_tokenizer(name: str, model: Any, tokenizer: Any) -> tuple[int, ...]:
    """Left padding, a pad token (the end-of-text token when missing); returns the end-of-text ids."""
    tokenizer.padding_side = "left"
    configured = model.generation_config.eos_token_id
    eos_ids = [configured] if isinstance(configured, int) else list(configured or [])
    if tokenizer.eos_token_id is not None:
        eos_ids.append(tokenizer.eos_token_id)
    special = set(getattr(tokenizer, "all_special_tokens", ()))
    for token in END_OF_TEXT_TOKENS:
        if token in special:
            eos_ids.append(tokenizer.convert_tokens_to_ids(token))
    eos_ids = list(dict.fromkeys(i for i in eos_ids if isinstance(i, int) and i >= 0))
    if tokenizer.pad_token_id is None:
        if not eos_ids:
            raise ModelLoadError(name, "its tokenizer has neither a padding token nor an end-of-text token")
        tokenizer.pad_token = tokenizer.convert_ids_to_tokens(eos_ids[0])
    return tuple(eos_ids)


def _reset_generation_defaults(model: Any, tokenizer: Any, eos_ids: tuple[int, ...]) -> dict[str, Any]:
    """Replace the model's generation defaults by token ids only; return what was dropped."""
    from transformers import GenerationConfig as HFGenerationConfig

    dropped = {k: v for k, v in model.generation_config.to_diff_dict().items() if k not in _NOT_DECODING and not k.startswith("_")}
    if dropped:
        logger.info("ignoring the model's own generation defaults %s: decoding follows the run config", dropped)
    model.generation_config = HFGenerationConfig(
        bos_token_id=model.generation_config.bos_token_id,
        eos_token_id=list(eos_ids),
        pad_token_id=tokenizer.pad_token_id,
    )
    return dropped


def _versions() -> dict[str, str]:
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__}
