"""The Ray backend on a real local cluster (3 nodes on 127.0.0.1, 1 CPU each), shared by the module.

Verdicts equal the local executor's; a node killed mid-run loses and duplicates nothing and leaves
no sandbox process; an actor that keeps dying under one program ends it as harness_error; a Ray
run whose driver is killed with SIGKILL resumes; data-parallel generation equals one process.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.execution.ray_backend import RayExecutor, connect, import_ray

try:
    import_ray()  # first: ray reads its loopback and usage-stats settings at import
except ImportError:
    pytest.skip("ray is not installed (pip install -e '.[ray]')", allow_module_level=True)

from harness import pipeline  # noqa: E402
from harness.config import ClusterConfig, DataConfig, ExecutionConfig, GenerationConfig  # noqa: E402
from harness.storage import read_json, read_results  # noqa: E402
from sandbox import ExecutionRequest, Limits, RunStatus, Verdict  # noqa: E402
from sandbox.records import TestKind as Kind  # noqa: E402 - not collected as a test class
from test_pipeline import _alive  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SLOW_ECHO = "import time\ntime.sleep(0.2)\nprint(input())\n"


@pytest.fixture(scope="module")
def cluster():
    ray = import_ray()
    from ray.cluster_utils import Cluster

    local = {"node_ip_address": "127.0.0.1", "num_cpus": 1}
    c = Cluster(initialize_head=True, head_node_args={**local, "include_dashboard": False})
    for _ in range(2):
        c.add_node(**local)
    c.wait_for_nodes()
    c.local_node_args = local
    connect(c.address)
    yield c
    ray.shutdown()
    c.shutdown()


def _live_nodes(ray) -> int:
    return sum(n["Alive"] for n in ray.nodes())


def _three_nodes(cluster) -> None:
    """Put back nodes an earlier test killed."""
    ray = import_ray()
    while _live_nodes(ray) < 3:
        cluster.add_node(**cluster.local_node_args)
    cluster.wait_for_nodes()


def _execution(cluster, timeout_s: float = 4.0) -> ExecutionConfig:
    return ExecutionConfig(Limits(timeout_s=timeout_s), workers=1, cluster=ClusterConfig("ray", cluster.address))


def _gone(pids, within_s: float = 30.0) -> list[int]:
    """The pids still alive (not zombies) after waiting up to within_s."""
    deadline = time.monotonic() + within_s
    while True:
        alive = sorted(_alive(set(pids)))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _wait_for_rows(out: Path, count: int, within_s: float = 300.0) -> None:
    """Until results.jsonl has `count` lines (or the time is up)."""
    deadline = time.monotonic() + within_s
    path = out / "results.jsonl"
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count("\n") >= count:
            return
        time.sleep(0.05)


def _echo_programs(path: Path, problem_ids: list[str], samples: int) -> None:
    with open(path, "w") as f:
        for pid in problem_ids:
            for s in range(samples):
                f.write(json.dumps({"problem_id": pid, "sample_index": s, "code": SLOW_ECHO}) + "\n")


def _stdio_problems(tmp_path: Path, count: int) -> tuple[Path, list[str]]:
    """A dataset of `count` echo problems (two tests each)."""
    path = tmp_path / "echo.jsonl"
    ids = [f"echo{i}" for i in range(count)]
    with open(path, "w") as f:
        for pid in ids:
            io = {"inputs": [f"{pid}-a\n", f"{pid}-b\n"], "outputs": [f"{pid}-a\n", f"{pid}-b\n"]}
            f.write(json.dumps({"problem_id": pid, "question": "echo", "difficulty": "introductory",
                                "input_output": json.dumps(io), "solutions": json.dumps([SLOW_ECHO])}) + "\n")
    return path, ids


def _rows(out: Path) -> list:
    return read_results(out / "results.jsonl")


def _driver_command(cluster, tmp_path: Path) -> tuple[list[str], Path, list[str]]:
    """40 slow echo programs (10 problems x 4) and the CLI command that judges them on the cluster."""
    _three_nodes(cluster)
    dataset, ids = _stdio_problems(tmp_path, 10)
    programs = tmp_path / "programs.jsonl"
    _echo_programs(programs, ids, 4)
    out = tmp_path / "run"
    command = [sys.executable, str(REPO / "run_eval.py"), "evaluate", "--dataset", str(dataset), "--generations",
               str(programs), "--executor", "ray", "--ray-address", cluster.address, "--ray-workers", "1", "--out", str(out)]
    return ids, out, command


def _rerun_to_the_end(command: list[str], out: Path) -> list:
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return _rows(out)


def test_ray_verdicts_equal_local_and_nodes_are_recorded(cluster, tmp_path):
    data = DataConfig(limit=6)
    pipeline.evaluate(data, ExecutionConfig(Limits(), workers=2), pipeline.ProgramSource(solutions=True, max_solutions=2),
                      tmp_path / "local")
    pipeline.evaluate(data, _execution(cluster), pipeline.ProgramSource(solutions=True, max_solutions=2), tmp_path / "ray")
    local = {r.key: (r.verdict, r.tests, r.apps_verdict, r.apps_tests) for r in _rows(tmp_path / "local")}
    ray_rows = _rows(tmp_path / "ray")
    assert len(ray_rows) == len(local) > 6
    assert {r.key: (r.verdict, r.tests, r.apps_verdict, r.apps_tests) for r in ray_rows} == local
    record = read_json(tmp_path / "ray" / "config.json")
    assert record["executor"]["backend"] == "ray"
    nodes = record["executor"]["nodes"]
    assert len({n["node_id"] for n in nodes}) == 3
    assert all(n["address"] == "127.0.0.1" and n["isolation"]["workers"] == 1 for n in nodes)
    assert record["isolation"]["details"]["backend"] == "ray" and record["execution"]["executor"] == "ray"
    assert read_json(tmp_path / "local" / "config.json")["executor"]["backend"] == "local"


def test_actor_killed_again_and_again_ends_its_program_as_harness_error(cluster):
    _three_nodes(cluster)
    killer = "import time\ntime.sleep(60)\n"
    innocent = [ExecutionRequest(f"print(int(input()) + {i})", Kind.STDIO, ("1", "2")) for i in range(12)]
    killed: list[int] = []
    with RayExecutor(Limits(timeout_s=30), workers=1, address=cluster.address, max_tries=3) as ex:
        stop = threading.Event()

        def kill_its_actor():  # what a program that crashes its actor does, from outside the jail
            while not stop.is_set():
                for pid in ex.actor_pids_holding(killer):
                    if pid not in killed:
                        time.sleep(0.3)
                        killed.append(pid)
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.05)

        thread = threading.Thread(target=kill_its_actor, daemon=True)
        thread.start()
        futures = [ex.submit(r) for r in innocent[:6]]
        bad = ex.submit(ExecutionRequest(killer, Kind.STDIO, ("", "")))
        futures += [ex.submit(r) for r in innocent[6:]]
        bad_run = bad.result(timeout=240)
        runs = [f.result(timeout=120) for f in futures]
        stop.set()
        thread.join()
    assert len(killed) == 3
    assert [r.status for r in bad_run.runs] == [RunStatus.HARNESS_ERROR] * 2
    assert "died 3 times" in bad_run.runs[0].detail
    assert [[t.output for t in run.runs] for run in runs] == [[f"{1 + i}\n", f"{2 + i}\n"] for i in range(12)]
    assert _gone(killed) == []


def test_node_killed_mid_run_loses_nothing_duplicates_nothing_leaves_no_sandbox(cluster, tmp_path):
    _three_nodes(cluster)
    dataset, ids = _stdio_problems(tmp_path, 15)
    programs = tmp_path / "programs.jsonl"
    _echo_programs(programs, ids, 3)
    out = tmp_path / "run"
    victim = next(iter(cluster.worker_nodes))
    killed = threading.Event()

    def kill_node_when_a_third_is_done():
        _wait_for_rows(out, 15)
        cluster.remove_node(victim, allow_graceful=False)
        killed.set()

    thread = threading.Thread(target=kill_node_when_a_third_is_done, daemon=True)
    thread.start()
    pipeline.evaluate(DataConfig(spec=str(dataset)), _execution(cluster), pipeline.ProgramSource(generations=programs), out)
    thread.join()
    assert killed.is_set()
    rows = _rows(out)
    assert sorted(r.key for r in rows) == sorted((pid, s) for pid in ids for s in range(3))
    assert {r.verdict for r in rows} == {Verdict.PASSED}
    nodes = {n["node_id"]: n for n in read_json(out / "config.json")["executor"]["nodes"]}
    dead = nodes[victim.node_id]
    assert _gone([dead["actor_pid"], *dead["worker_pids"]]) == []


def test_ray_run_resumes_after_the_driver_is_killed(cluster, tmp_path):
    ids, out, command = _driver_command(cluster, tmp_path)
    first = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_rows(out, 8, within_s=240)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = len(_rows(out))
    assert 8 <= before < 40
    actors = [n["actor_pid"] for n in read_json(out / "config.json")["executor"]["nodes"]]
    assert _gone(actors, within_s=60) == []  # the cluster stops the dead driver's actors
    rows = _rerun_to_the_end(command, out)
    assert sorted(r.key for r in rows) == sorted((pid, s) for pid in ids for s in range(4))
    assert {r.verdict for r in rows} == {Verdict.PASSED}


def test_data_parallel_generation_equals_one_process(cluster, tmp_path):
    from tiny_model import tiny_models

    _three_nodes(cluster)
    # dtype pinned: "auto" picks by a timing measurement, which a loaded machine can tip either way per process
    gen = GenerationConfig(model=str(tiny_models().random_dir), n_samples=2, batch_size=2, max_new_tokens=8,
                           temperature=0.8, seed=3, dtype="float32")
    data = DataConfig(limit=5)
    pipeline.generate(data, gen, tmp_path / "one")
    pipeline.generate(data, gen, tmp_path / "ray", cluster=ClusterConfig("ray", cluster.address, gen_cpus=1))

    def programs(out: Path) -> dict:
        rows = [json.loads(line) for line in (out / "generations.jsonl").read_text().splitlines()]
        return {(r["problem_id"], r["sample_index"]): r["code"] for r in rows}

    one, ray_run = programs(tmp_path / "one"), programs(tmp_path / "ray")
    assert len(one) == 10 and len(set(one.values())) > 1
    assert ray_run == one
    assert read_json(tmp_path / "ray" / "config.json")["model"]["details"]["replicas"] == 3
    assert read_json(tmp_path / "ray" / "config.json")["prompt"] == read_json(tmp_path / "one" / "config.json")["prompt"]


def test_ctrl_c_on_a_cluster_run_stops_its_actors_and_resumes_exactly(cluster, tmp_path):
    ids, out, command = _driver_command(cluster, tmp_path)
    driver = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for_rows(out, 6, within_s=240)
    nodes = read_json(out / "config.json")["executor"]["nodes"]
    pids = [pid for n in nodes for pid in (n["actor_pid"], *n["worker_pids"])]
    assert len(nodes) == 3 and _gone(pids, within_s=0) == sorted(pids)  # actors and their sandbox workers, running
    driver.send_signal(signal.SIGINT)
    _, stderr = driver.communicate(timeout=120)
    assert driver.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("apps-eval: interrupted") and "resume" in stderr.splitlines()[-1]
    assert _gone(pids) == []
    before = _rows(out)
    assert 6 <= len(before) < 40
    rows = _rerun_to_the_end(command, out)
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == len(rows) == 40  # one line per program: nothing judged twice
    assert sorted(r.key for r in rows) == sorted((pid, s) for pid in ids for s in range(4))
    assert {r.verdict for r in rows} == {Verdict.PASSED}


def test_actors_per_cpus_and_a_node_that_joins_mid_run_is_used(cluster, tmp_path):
    _three_nodes(cluster)
    dataset, ids = _stdio_problems(tmp_path, 30)
    programs = tmp_path / "programs.jsonl"
    _echo_programs(programs, ids, 4)
    out = tmp_path / "run"
    execution = ExecutionConfig(Limits(timeout_s=4.0), workers=1, cluster=ClusterConfig("ray", cluster.address, cpus_per_actor=1))
    failed: list[BaseException] = []

    def evaluate():
        try:
            pipeline.evaluate(DataConfig(spec=str(dataset)), execution, pipeline.ProgramSource(generations=programs), out)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failed.append(exc)

    thread = threading.Thread(target=evaluate, daemon=True)
    thread.start()
    joined = []
    try:
        _wait_for_rows(out, 6)  # Ray adds nodes from the main thread only: the run is the other one
        joined.append(cluster.add_node(**{**cluster.local_node_args, "num_cpus": 2}))
        thread.join(timeout=300)
        assert not thread.is_alive() and not failed, failed
        rows = _rows(out)
        assert sorted(r.key for r in rows) == sorted((pid, s) for pid in ids for s in range(4))
        assert {r.verdict for r in rows} == {Verdict.PASSED}
        record = read_json(out / "config.json")["executor"]
        assert record["cpus_per_actor"] == 1
        new = [n for n in record["nodes"] if n["node_id"] == joined[0].node_id]
        assert len(new) == 2 and all(n["workers"] == 1 for n in new)  # one actor per CPU of the 2-CPU node
        assert sum(n["programs"] for n in new) > 0  # the node that joined judged programs
        assert sum(n["programs"] for n in record["nodes"]) == 120
    finally:
        thread.join(timeout=300)
        for node in joined:
            cluster.remove_node(node)


def test_ray_replicas_report_the_prompt_record_and_generation_stats_of_one_process(cluster):
    from data import load_dataset
    from harness.execution.ray_generation import generate_on_ray
    from harness.generation.generator import GenerationStats, Generator
    from harness.generation.model_loading import load_model
    from harness.run_record import PromptRecord
    from tiny_model import tiny_models

    _three_nodes(cluster)
    gen = GenerationConfig(model=str(tiny_models().llama_chat_dir), n_samples=2, batch_size=2, max_new_tokens=6,
                           temperature=0.8, seed=5, dtype="float32")
    problems = list(load_dataset(None).problems)[:4]
    local = Generator(load_model(gen), gen, progress=False)
    local_programs = {(c.problem_id, c.sample_index): c.code for batch in local.generate(problems) for c in batch}
    models, prompts, stats = [], [], GenerationStats()
    batches = generate_on_ray(gen, problems, set(), ClusterConfig("ray", cluster.address, gen_cpus=1),
                              models.append, prompts.append, stats)
    ray_programs = {(c.problem_id, c.sample_index): c.code for batch in batches for c in batch}
    assert ray_programs == local_programs
    assert prompts == [PromptRecord.of(local.template, local.stops)] and prompts[0].kind == "chat"
    assert prompts[0].chat_template_sha256 and prompts[0].system_prompt
    assert (stats.samples, stats.new_tokens) == (8, local.stats.new_tokens) and stats.row_steps > 0
    assert stats.continuous and 0 < stats.wall_s and models[0]["replicas"] == 3
