"""Run settings: built from the command line in one place, validated across fields (recorded by run_record.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.records import Limits, SandboxMode

from harness.errors import ConfigError

DEFAULT_STOP = ("\nQUESTION", "\nANSWER", "\n---")


@dataclass(frozen=True, slots=True)
class DataConfig:
    spec: str | None = None  # None: the bundled sample
    split: str | None = None
    difficulties: tuple[str, ...] = ()
    limit: int | None = None
    problem_ids: tuple[str, ...] = ()
    skip_bad_rows: bool = False  # rows that cannot become a problem are listed as skipped, not fatal
    sample: int | None = None  # a seeded subset of this many problems, stratified by difficulty (data/sampling.py)
    sample_seed: int = 0

    def __post_init__(self) -> None:
        if self.sample is not None and self.limit is not None:
            raise ConfigError("--sample and --limit both choose a subset: give one of them (--limit N: the first N; --sample N: a seeded, stratified N)")
        if self.sample is not None and self.sample < 1:
            raise ConfigError(f"--sample must be >= 1, got {self.sample}")


EXECUTORS = ("local", "ray")


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """Where programs run (and, for `run`/`generate`, where models run): this machine or a Ray cluster."""

    executor: str = "local"  # local | ray
    address: str | None = None  # a Ray cluster's address; None: start a local Ray instance (127.0.0.1)
    workers_per_node: int | None = None  # sandbox workers of each node's actor; None: the node's CPUs
    gen_cpus: int | None = None  # one CPU model replica per node with this many CPUs; None: one per GPU
    cpus_per_actor: int | None = None  # one sandbox actor per this many CPUs of each node; None: one per node

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ConfigError(f"--executor must be one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.executor != "ray" and (self.address or self.gen_cpus or self.workers_per_node or self.cpus_per_actor):
            raise ConfigError("--ray-address, --ray-workers, --ray-cpus-per-actor and --ray-gen-cpus need --executor ray")

    @property
    def ray(self) -> bool:
        return self.executor == "ray"


@dataclass(frozen=True, slots=True)
class ExecutionConfig:
    limits: Limits = field(default_factory=Limits)
    workers: int = 1
    sandbox: SandboxMode = SandboxMode.FULL  # WEAK: judge with whatever isolation this machine allows
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    # A program stops at its first failing test (strict accuracy and pass@k only; no test-pass rate).
    stop_at_first_failure: bool = False


DEFAULT_PLAN_WINDOW = 1024


@dataclass(frozen=True, slots=True)
class GenerationConfig:
    model: str | None = None  # None: the embedded offline default model
    revision: str | None = None
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    template: str = "auto"  # auto, apps, apps-train, chat, a template file, or a template text with placeholders
    n_samples: int = 1
    batch_size: int | None = None  # None: the device's default (model_loading.default_batch_size)
    max_new_tokens: int = 512
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    num_beams: int = 1
    seed: int = 0
    stop: tuple[str, ...] | None = None  # None: the template's default (DEFAULT_STOP for APPS templates, none for chat)
    # Problems whose prompts are built and length-sorted together (None: the whole selection at once).
    # Like batch_size it shapes batches, not the settings of a run: left out of the repr, which names
    # the default run folder, so the same command still finds its folder.
    plan_window: int | None = field(default=DEFAULT_PLAN_WINDOW, repr=False)

    def __post_init__(self) -> None:
        checks = [
            (self.plan_window is None or self.plan_window >= 1, f"plan_window must be >= 1 (None: all problems at once), got {self.plan_window}"),
            (self.n_samples >= 1, f"--n-samples must be >= 1, got {self.n_samples}"),
            (self.batch_size is None or self.batch_size >= 1, f"--batch-size must be >= 1, got {self.batch_size}"),
            (self.max_new_tokens >= 1, f"--max-new-tokens must be >= 1, got {self.max_new_tokens}"),
            (self.temperature >= 0, f"--temperature must be >= 0, got {self.temperature}"),
            (0 < self.top_p <= 1, f"--top-p must be in (0, 1], got {self.top_p}"),
            (self.num_beams >= 1, f"--num-beams must be >= 1, got {self.num_beams}"),
            (self.dtype in ("auto", "float32", "bfloat16", "float16"), f"--dtype must be auto, float32, bfloat16 or float16, got {self.dtype!r}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        if self.greedy and self.n_samples > self.num_beams:
            raise ConfigError(
                f"--n-samples {self.n_samples} with --temperature 0 (deterministic decoding) would repeat the same "
                f"program; use sampling (--temperature > 0) or --num-beams >= {self.n_samples}"
            )

    @property
    def greedy(self) -> bool:
        return self.temperature == 0
