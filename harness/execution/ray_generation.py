"""Data-parallel generation on a Ray cluster: one model replica per GPU (or per node for CPU models).

Every replica computes the same plan (it depends only on the problems and the config) and runs
the batches rank, rank + R, ...: each batch is exactly the batch a single process would run, with
the same per-(problem, sample) random streams, so the programs are those of a single-process run
with the same seed. Batches come back as each replica finishes one (each replica already works on
its next batch meanwhile) and stream into judging as in a local run.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterator, Sequence

from data.problem import Problem

from harness.config import ClusterConfig, ConfigError, GenerationConfig
from harness.execution.ray_backend import connect, import_ray
from harness.generation.generator import GenerationStats
from harness.records import Candidate
from harness.run_record import PromptRecord

log = logging.getLogger(__name__)


class GenerationReplica:
    """One model copy; yields its shard's batches one call at a time."""

    def __init__(self, gen: GenerationConfig, problems: Sequence[Problem], done: set, rank: int, count: int) -> None:
        from harness.generation.generator import Generator
        from harness.generation.model_loading import load_model

        self.loaded = load_model(gen)
        self.generator = Generator(self.loaded, gen, progress=False)
        self.batches = self.generator.generate(problems, done, shard=(rank, count))

    def resolved(self) -> dict[str, Any]:
        return self.loaded.resolved

    def prompt(self) -> PromptRecord:
        return PromptRecord.of(self.generator.template, self.generator.stops)

    def stats(self) -> GenerationStats:
        return self.generator.stats

    def next_batch(self) -> list[Candidate] | None:
        return next(self.batches, None)


def replica_options(cluster: ClusterConfig) -> list[dict]:
    """Ray options of each replica: one per node with gen_cpus CPUs, or one per GPU."""
    ray = import_ray()
    if cluster.gen_cpus:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        nodes = [n for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU", 0) >= cluster.gen_cpus]
        if not nodes:
            raise ConfigError(f"--ray-gen-cpus {cluster.gen_cpus}: no node of the Ray cluster has that many CPUs")
        return [{"num_cpus": cluster.gen_cpus,
                 "scheduling_strategy": NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)} for n in nodes]
    gpus = int(ray.cluster_resources().get("GPU", 0))
    if not gpus:
        raise ConfigError("--executor ray: the Ray cluster has no GPU; for a CPU model pass --ray-gen-cpus N")
    return [{"num_gpus": 1, "num_cpus": 0}] * gpus


def generate_on_ray(
    gen: GenerationConfig, problems: Sequence[Problem], done: set, cluster: ClusterConfig,
    on_model: Callable[[dict[str, Any]], None], on_prompt: Callable[[PromptRecord], None],
    stats: GenerationStats,
) -> Iterator[list[Candidate]]:
    """The batches of all replicas as they finish.

    `on_model` gets what replica 0 loaded, `on_prompt` the prompt record every replica used (they
    must agree), and `stats` is filled as a single process's Generator.stats is: samples and new
    tokens summed over replicas, wall time of the whole generation (replicas run in parallel)."""
    ray = import_ray()
    connect(cluster.address)
    options = replica_options(cluster)
    problems_ref = ray.put(list(problems))
    replica_class = ray.remote(GenerationReplica)
    replicas = [replica_class.options(max_restarts=0, **opts).remote(gen, problems_ref, set(done), rank, len(options))
                for rank, opts in enumerate(options)]
    log.info("generating with %d model replicas on the Ray cluster", len(replicas))
    try:
        on_model({**ray.get(replicas[0].resolved.remote()), "replicas": len(replicas)})
        prompts = set(ray.get([replica.prompt.remote() for replica in replicas]))
        if len(prompts) != 1:
            raise RuntimeError(f"the model replicas built different prompt templates: {sorted(p.name for p in prompts)}")
        on_prompt(prompts.pop())
        started = time.perf_counter()
        stats.continuous = True
        pending = {replica.next_batch.remote(): replica for replica in replicas}
        while pending:
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            replica = pending.pop(ref)
            try:
                batch = ray.get(ref)
            except ray.exceptions.RayError as exc:
                raise RuntimeError(f"a model replica failed: {' '.join(str(exc).split())[:300]}; "
                                   "rerun the same command to resume") from None
            if batch is None:
                continue
            pending[replica.next_batch.remote()] = replica
            stats.samples += len(batch)
            stats.new_tokens += sum(c.new_tokens or 0 for c in batch)
            stats.wall_s = time.perf_counter() - started
            yield batch
        replica_stats = ray.get([replica.stats.remote() for replica in replicas])
        stats.row_steps = sum(s.row_steps for s in replica_stats)
        stats.prefill_tokens = sum(s.prefill_tokens for s in replica_stats)
        stats.continuous = all(s.continuous for s in replica_stats)
    finally:
        for replica in replicas:
            ray.kill(replica, no_restart=True)
