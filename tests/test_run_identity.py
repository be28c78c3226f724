"""Model and code identity in config.json: the weights' digest, the checkout's commit; resuming with
other weights is refused; run folders of the previous schema stay readable."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conftest import REPO_ROOT
from harness.cli import main
from harness.config import ConfigError
from harness.storage import load_run, read_record
from tiny_model import tiny_models

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("transformers")
LEGACY = REPO_ROOT / "tests" / "data" / "legacy_runs"


def _args(model, out, limit):
    return ["run", "--model", str(model), "--limit", str(limit), "--max-new-tokens", "4", "--workers", "1", "--timeout", "2",
            "--device", "cpu", "--out", str(out)]


def _perturb_weights(folder):
    """Save the same architecture with one weight changed into `folder` (a new checkpoint at the same path)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder)
    with torch.no_grad():
        next(model.parameters()).view(-1)[0] += 1.0
    model.save_pretrained(folder)


def test_the_weights_digest_and_commit_are_recorded_and_other_weights_cannot_resume(tmp_path, monkeypatch, capsys):
    from harness.generation.weights_digest import folder_weights_sha256

    monkeypatch.setenv("APPS_EVAL_CACHE", str(tmp_path / "cache"))
    checkpoint = tmp_path / "ckpt"
    shutil.copytree(tiny_models().scripted_dir, checkpoint)
    out = tmp_path / "run"
    assert main(_args(checkpoint, out, 2)) == 0
    record = read_record(out / "config.json")
    digest = record.model.weights_sha256
    assert digest == folder_weights_sha256(checkpoint) and len(digest) == 64
    head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:  # run from a checkout
        assert record.versions["apps-eval-commit"].split("+")[0] == head.stdout.strip()
    _perturb_weights(checkpoint)
    changed = folder_weights_sha256(checkpoint)
    assert changed != digest
    for interrupted in (False, True):  # nothing left to generate; then a program to generate: both refused
        if interrupted:  # as if killed before its last program was written
            rows = (out / "generations.jsonl").read_text().splitlines(keepends=True)
            (out / "generations.jsonl").write_text("".join(rows[:-1]))
        before = (out / "generations.jsonl").read_text()
        capsys.readouterr()
        assert main(_args(checkpoint, out, 2)) == 1
        message = capsys.readouterr().err.strip().splitlines()[-1]  # (after the loader's progress bars)
        assert message.startswith("apps-eval: error: --out ") and f"weights_sha256 {digest} in the folder, {changed} now" in message
        assert (out / "generations.jsonl").read_text() == before


def test_file_digests_are_cached_by_path_size_and_mtime(tmp_path, monkeypatch):
    from harness.generation import weights_digest

    monkeypatch.setenv("APPS_EVAL_CACHE", str(tmp_path / "cache"))
    checkpoint = tmp_path / "ckpt"
    shutil.copytree(tiny_models().scripted_dir, checkpoint)
    digest = weights_digest.folder_weights_sha256(checkpoint)
    cache_file = tmp_path / "cache" / weights_digest.CACHE_FILE
    cache = json.loads(cache_file.read_text())
    (key,) = cache
    assert key.startswith(os.path.realpath(checkpoint / "model.safetensors"))
    cache_file.write_text(json.dumps({key: "0" * 64}))  # the cache is what is read while the file is unchanged
    assert weights_digest.folder_weights_sha256(checkpoint) != digest
    os.utime(checkpoint / "model.safetensors")  # a new mtime: hashed again
    assert weights_digest.folder_weights_sha256(checkpoint) == digest


def test_a_model_object_is_named_by_its_state_dict_and_a_changed_one_is_refused(tmp_path, monkeypatch):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from harness import generate
    from harness.generation.weights_digest import state_dict_sha256

    tokenizer = AutoTokenizer.from_pretrained(tiny_models().scripted_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_models().scripted_dir)
    out = generate(model, tokenizer, limit=1, max_new_tokens=4, out=tmp_path / "obj")
    digest = read_record(out / "config.json").model.weights_sha256
    assert digest == state_dict_sha256(model)
    assert generate(model, tokenizer, limit=1, max_new_tokens=4, out=tmp_path / "obj") == out  # same weights: resumes
    with torch.no_grad():
        next(model.parameters()).view(-1)[0] += 1.0
    with pytest.raises(ConfigError, match=f"weights_sha256 {digest} in the folder, {state_dict_sha256(model)} now"):
        generate(model, tokenizer, limit=1, max_new_tokens=4, out=tmp_path / "obj")


def test_run_folders_of_the_previous_schema_are_read_by_report_and_compare(capsys):
    """tests/data/legacy_runs: folders written by apps-eval at f64f5d3 (see its README)."""
    for name in ("solutions", "generated"):
        run = load_run(LEGACY / name)
        assert run.record.upgraded_from == "legacy" and run.record.dataset.fingerprint
        capsys.readouterr()
        assert main(["report", str(LEGACY / name)]) == 0
        assert "config.json of the legacy schema" in capsys.readouterr().out
    generated = load_run(LEGACY / "generated").record
    assert generated.generation.decoding.n_samples == 2 and generated.model.dtype == "float32"
    assert main(["compare", str(LEGACY / "generated"), str(LEGACY / "generated"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


def test_an_unknown_schema_is_one_line_naming_what_is_read(tmp_path, capsys):
    folder = tmp_path / "future"
    shutil.copytree(LEGACY / "solutions", folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "schema": "apps-eval-run/99"}))
    assert main(["report", str(folder)]) != 0
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'apps-eval-run/99'" in err and "'apps-eval-run/1'" in err
