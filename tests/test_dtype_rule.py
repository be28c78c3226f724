"""--dtype auto's rule (both outcomes), what config.json records about it, and compare's warning."""
from __future__ import annotations

import json
import os

import pytest

from harness.cli import main
from harness.storage import load_run, read_record
from tiny_model import tiny_models

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("transformers")


@pytest.mark.parametrize("flags", [frozenset(), frozenset({"avx512_bf16"}), frozenset({"amx_bf16", "avx512_bf16"})])
def test_auto_is_float32_on_any_cpu_with_or_without_native_bfloat16(flags, monkeypatch):
    from harness.generation import model_loading

    monkeypatch.setattr(model_loading, "_cpu_flags", lambda: flags | {"sse2"})
    choice = model_loading.dtype_choice("auto", "cpu")
    assert choice["dtype"] == "float32" and choice["asked"] == "auto" and choice["rule"] == model_loading.DTYPE_RULE
    assert choice["native_bfloat16_flags"] == sorted(flags)
    assert model_loading.resolve_dtype("bfloat16", "cpu") == "bfloat16"  # an explicit dtype is kept


@pytest.mark.parametrize("supported, expected", [(True, "bfloat16"), (False, "float32")])
def test_auto_on_a_gpu_is_bfloat16_where_the_gpu_has_it(supported, expected):
    from harness.generation.model_loading import decoding_batch_invariant, dtype_choice, resolve_dtype

    assert resolve_dtype("auto", "cuda:0", cuda_bf16=supported) == expected
    assert dtype_choice("auto", "cuda", cuda_bf16=supported)["cuda_bf16"] is supported
    assert resolve_dtype("float16", "cuda", cuda_bf16=supported) == "float16"
    assert not decoding_batch_invariant(expected, "cuda:0")


def _run(out, *extra):
    args = ["run", "--model", str(tiny_models().scripted_dir), "--limit", "2", "--max-new-tokens", "8", "--workers", "1",
            "--timeout", "2", "--device", "cpu", "--out", str(out), *extra]
    assert main(args) == 0
    return read_record(out / "config.json")


def test_runs_record_the_dtype_choice_and_batch_invariance_and_compare_warns_when_they_differ(tmp_path, capsys):
    auto = _run(tmp_path / "auto")
    assert (auto.model.dtype, auto.model.batch_invariant) == ("float32", True)
    assert auto.model.details["dtype_choice"]["asked"] == "auto" and auto.generation.dtype == "auto"
    bf16 = _run(tmp_path / "bf16", "--dtype", "bfloat16")
    assert (bf16.model.dtype, bf16.model.batch_invariant) == ("bfloat16", False)
    assert bf16.model.details["dtype_choice"] == {**auto.model.details["dtype_choice"], "asked": "bfloat16", "dtype": "bfloat16"}
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "auto"), str(tmp_path / "bf16"), "--format", "json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert [w.split(" differ ")[0] for w in warnings] == ["bf16 vs auto: model dtypes", "bf16 vs auto: batch invariance of decoding"]
    assert '("bfloat16" in bf16 vs "float32" in auto)' in warnings[0] and "(false in bf16 vs true in auto)" in warnings[1]
    from harness.reporting.comparison import comparability_warnings

    assert comparability_warnings([load_run(tmp_path / "auto"), load_run(tmp_path / "auto")]) == []


def test_a_model_object_keeps_its_dtype_and_says_so(tmp_path):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness import generate
    from harness.config import ConfigError
    from harness.generation.model_loading import MODEL_OBJECT_RULE

    tokenizer = AutoTokenizer.from_pretrained(tiny_models().scripted_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_models().scripted_dir, dtype=torch.bfloat16)
    out = generate(model, tokenizer, limit=1, max_new_tokens=4, out=tmp_path / "obj")
    record = read_record(out / "config.json")
    assert (record.model.dtype, record.model.batch_invariant) == ("bfloat16", False)
    assert record.model.details["dtype_choice"] == {"asked": "model object", "dtype": "bfloat16", "rule": MODEL_OBJECT_RULE}
    with pytest.raises(ConfigError, match=r"^generate\(dtype='float32'\): the model object passed in is bfloat16") as error:
        generate(model, tokenizer, limit=1, dtype="float32", out=tmp_path / "other")
    assert "\n" not in str(error.value) and not (tmp_path / "other").exists()
    assert next(model.parameters()).dtype == torch.bfloat16


def test_the_default_batch_size_is_the_devices_and_fits_the_memory():
    from harness.generation.model_loading import CPU_BATCH_SIZE, GPU_BATCH_SIZE, default_batch_size, load_model
    from harness.config import GenerationConfig

    loaded = load_model(GenerationConfig(model=str(tiny_models().random_dir), device="cpu"))
    model, tokenizer = loaded.model, loaded.tokenizer
    assert loaded.resolved["default_batch_size"] == default_batch_size(model, tokenizer, "float32", "cpu") == CPU_BATCH_SIZE
    assert default_batch_size(model, tokenizer, "bfloat16", "cuda:0") == GPU_BATCH_SIZE
    # the tiny model's cache: (keys, values) x 2 layers x 32 floats x 4 bytes x 256 tokens = 128 KiB per row
    per_row = 2 * 2 * 32 * 4 * 256
    assert default_batch_size(model, tokenizer, "float32", "cpu", memory_bytes=2 * 64 * per_row) == 64
    assert default_batch_size(model, tokenizer, "float32", "cpu", memory_bytes=2 * 20 * per_row) == 16
    assert default_batch_size(model, tokenizer, "float32", "cpu", memory_bytes=per_row) == 1
