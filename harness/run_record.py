"""config.json as one typed record: what was run, on what, with what, under which protections.

The RunRecord is built once from the typed configs when a run folder is opened; facts
learned during the run (the model as loaded, the sandbox's protections, timings) are
set through the explicit `with_*` steps and saved by the run folder. Reports, compare,
resume and validity read only this record.

Adding a field: give it a default in the sub-record it belongs to; files written before
keep loading (absent keys take the default). Change SCHEMA only for an incompatible change.
"""
from __future__ import annotations

import enum
import functools
import platform
import subprocess
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from data import Dataset, ProblemIndex
from sandbox.records import Limits, SandboxMode, SandboxSummary

from harness.config import DataConfig, ExecutionConfig, GenerationConfig
from harness.execution.records import ExecutorRecord
from harness.record_codec import RecordError, decode, encode

SCHEMA = "apps-eval-run/1"


class Command(str, enum.Enum):
    RUN = "run"
    GENERATE = "generate"
    EVALUATE = "evaluate"


class ProgramSource(str, enum.Enum):
    """Where the judged programs came from."""

    GENERATED = "generated"  # by this run's model (run, generate, evaluate --run)
    SOLUTIONS = "solutions"  # the dataset's reference solutions
    GENERATIONS_FILE = "generations-file"  # a file the user gave


@dataclass(frozen=True, slots=True)
class ProgramsRecord:
    source: ProgramSource
    path: str | None = None  # the generations file, when read from one
    format: str | None = None  # its detected shape (harness/program_files.py), e.g. "apps-eval-jsonl"
    max_solutions: int | None = None  # --solutions --max-solutions K
    from_run: str | None = None  # evaluate --run DIR: the run folder the programs were generated in
    only_given_problems: bool = False  # problems without a program are left out instead of scored 0


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    spec: str  # "sample" for the bundled sample
    fingerprint: str
    problems: int
    split: str | None = None
    difficulties: tuple[str, ...] = ()
    limit: int | None = None
    problem_ids: tuple[str, ...] = ()
    skipped: dict[str, str] = field(default_factory=dict)  # problem_id -> why it was left out
    skip_bad_rows: bool = False
    sample: int | None = None  # --sample N (stratified by difficulty, seeded by sample_seed)
    sample_seed: int = 0

    @classmethod
    def of(cls, cfg: DataConfig, dataset: "Dataset | ProblemIndex") -> "DatasetRecord":
        return cls(
            spec=cfg.spec or "sample", fingerprint=dataset.fingerprint, problems=len(dataset),
            split=cfg.split, difficulties=tuple(cfg.difficulties), limit=cfg.limit, problem_ids=tuple(cfg.problem_ids),
            skipped={s.problem_id: s.reason for s in dataset.skipped}, skip_bad_rows=cfg.skip_bad_rows,
            sample=cfg.sample, sample_seed=cfg.sample_seed,
        )

    def data_config(self) -> DataConfig:
        """The selection that produced this record (to load the same problems again)."""
        spec = None if self.spec == "sample" else self.spec
        return DataConfig(spec, self.split, self.difficulties, self.limit, self.problem_ids, self.skip_bad_rows,
                          self.sample, self.sample_seed)


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    """--template as asked; PromptRecord says what was used."""

    name: str  # auto, a built-in template's name, a template FILE, or "custom"
    text: str | None  # None where it depends on the model's tokenizer (auto, chat)
    system_prompt: str | None = None


@dataclass(frozen=True, slots=True)
class PromptRecord:
    """The prompt template as used, once the tokenizer is known (prompting.PromptTemplate and the stop strings)."""

    choice: str
    name: str  # apps, apps-train, chat, file:PATH or custom
    kind: str  # completion or chat
    text: str  # completion: the prompt template; chat: the user message template
    system_prompt: str | None = None
    chat_template_sha256: str | None = None
    stop: tuple[str, ...] = ()

    @classmethod
    def of(cls, template: Any, stops: tuple[str, ...]) -> "PromptRecord":
        return cls(template.choice, template.name, template.kind.value, template.text, template.system_prompt,
                   template.chat_template_sha256, tuple(stops))


@dataclass(frozen=True, slots=True)
class DecodingRecord:
    n_samples: int
    max_new_tokens: int
    temperature: float
    top_p: float
    num_beams: int
    seed: int
    stop: tuple[str, ...] | None  # None: the template's default (PromptRecord.stop has what was used)


@dataclass(frozen=True, slots=True)
class GenerationRecord:
    """The generation settings as asked for; ModelRecord says what was actually loaded."""

    model: str | None  # None: the embedded default model
    revision: str | None
    dtype: str
    device: str
    batch_size: int | None  # None: the device's default (ModelRecord.details["default_batch_size"])
    template: TemplateRecord
    decoding: DecodingRecord
    # Problems whose prompts were sorted by length together (generator.py's plan); None: the whole
    # selection at once, as in every folder written before windows existed.
    plan_window: int | None = None

    @classmethod
    def of(cls, cfg: GenerationConfig) -> "GenerationRecord":
        from harness.generation.prompting import TEMPLATES, resolve_template

        if cfg.template in ("auto", "chat"):
            template = TemplateRecord(name=cfg.template, text=None)
        else:
            resolved = resolve_template(cfg.template, None)  # a name, a file or a text: no tokenizer needed
            template = TemplateRecord(name=cfg.template if cfg.template in TEMPLATES else "custom", text=resolved.text)
        return cls(
            model=cfg.model, revision=cfg.revision, dtype=cfg.dtype, device=cfg.device, batch_size=cfg.batch_size,
            template=template,
            decoding=DecodingRecord(
                n_samples=cfg.n_samples, max_new_tokens=cfg.max_new_tokens, temperature=cfg.temperature,
                top_p=cfg.top_p, num_beams=cfg.num_beams, seed=cfg.seed, stop=None if cfg.stop is None else tuple(cfg.stop),
            ),
            plan_window=cfg.plan_window,
        )

    def identity(self) -> dict[str, Any]:
        """What changes the programs: everything but the batching (batch size, plan window) and device."""
        return {k: v for k, v in encode(self).items() if k not in ("batch_size", "device", "plan_window")}


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """The model as loaded (resolved name, commit, dtype, device), from model_loading."""

    name: str
    source: str  # hub, local, local-gguf, embedded
    dtype: str
    device: str
    path: str | None = None
    revision: str | None = None
    commit_hash: str | None = None
    architecture: str | None = None
    parameters: int | None = None
    max_context: int | None = None
    # whether a sample's tokens did not depend on the batch (size, rows leaving): true only for
    # float32 on a CPU (model_loading.decoding_batch_invariant); None: not recorded (older folders)
    batch_invariant: bool | None = None
    weights_sha256: str | None = None  # one digest of the weights (generation/weights_digest.py); None: not known
    details: dict[str, Any] = field(default_factory=dict)  # the rest of what the loader reported

    @classmethod
    def from_resolved(cls, resolved: dict[str, Any]) -> "ModelRecord":
        named = ("source", "dtype", "device", "path", "revision", "commit_hash", "architecture", "parameters", "max_context",
                 "batch_invariant", "weights_sha256")
        return cls(
            name=str(resolved["model"]), **{k: resolved.get(k) for k in named if k in resolved},
            details={k: v for k, v in resolved.items() if k not in named and k != "model"},
        )


@dataclass(frozen=True, slots=True)
class LimitsRecord:
    timeout_s: float  # CPU seconds per test, of the program's whole process tree
    memory_mb: int
    max_output_bytes: int
    cpu_s: int  # effective CPU seconds of the rlimit
    max_file_bytes: int
    max_processes: int
    wall_timeout_s: float | None = None  # effective wall-clock seconds per test
    # Per-program budgets: once a program's tests (in order) used this much CPU time of their
    # process trees, or this much wall-clock time, the tests after them are timeouts, not run.
    # None: no budget (also every run recorded before budgets existed).
    program_cpu_budget_s: float | None = None
    program_wall_budget_s: float | None = None

    @classmethod
    def of(cls, limits: Limits) -> "LimitsRecord":
        return cls(limits.timeout_s, limits.memory_mb, limits.max_output_bytes, limits.effective_cpu_s,
                   limits.max_file_bytes, limits.max_processes, limits.effective_wall_s,
                   limits.program_cpu_budget_s, limits.program_wall_budget_s)


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    limits: LimitsRecord
    workers: int  # as asked for; IsolationRecord.workers says how many ran
    sandbox: SandboxMode = SandboxMode.FULL  # as asked for (--sandbox); RunRecord.sandbox says what held
    executor: str = "local"  # as asked for (--executor); RunRecord.executor says which nodes ran
    # --stop-at-first-failure: tests after a program's first failure were not run (no test-pass rate)
    stop_at_first_failure: bool = False

    @classmethod
    def of(cls, cfg: ExecutionConfig) -> "ExecutionRecord":
        return cls(LimitsRecord.of(cfg.limits), cfg.workers, cfg.sandbox, cfg.cluster.executor, cfg.stop_at_first_failure)


@dataclass(frozen=True, slots=True)
class Comparators:
    """How outputs are compared: verdict (default) and apps_verdict (the original APPS checker)."""

    default: str = (
        "per line, trailing whitespace and trailing blank lines ignored; tokens in order; "
        "numbers equal within a small relative tolerance, integers exact"
    )
    apps: str = (
        "the original APPS chain: stripped text, stripped lines, numbers (rel. 1e-5), "
        "then unordered token sets (rounded to 3 decimals); programs run in the original's environment "
        "(import header, open() mock, a call-based program's module loaded once per test process and its "
        "function called per test) where that changes their outcome; over 11 s of CPU time per program, "
        "every test fails (the original's per-program limit)"
    )


@dataclass(frozen=True, slots=True)
class IsolationRecord:
    """The sandbox's protections as its workers reported them at start."""

    network: str = "unknown"
    pid_namespace: bool = False
    mount_namespace: bool = False
    ipc_namespace: bool = False
    uts_namespace: bool = False
    user_namespace: bool = False
    filesystem: str = ""
    uid_drop: bool = False
    candidate_uid: str = ""
    no_new_privs: bool = False
    rlimits: dict[str, Any] = field(default_factory=dict)
    cgroup_memory: bool = False
    workers: int = 0  # worker processes that ran (capped to the programs)
    details: dict[str, Any] = field(default_factory=dict)  # the rest, in the sandbox's words

    @classmethod
    def from_sandbox(cls, facts: dict[str, Any]) -> "IsolationRecord":
        named = [f for f in cls.__dataclass_fields__ if f != "details"]
        known = {k: facts[k] for k in named if k in facts}
        known.setdefault("cgroup_memory", str(facts.get("memory_bound", "")).startswith("memory cgroup"))
        return decode(cls, {**known, "details": {k: v for k, v in facts.items() if k not in named}})

    @property
    def network_isolated(self) -> bool:
        return self.network.startswith("isolated")

    @property
    def private_root(self) -> bool:
        return self.filesystem.startswith("private")

    def short(self) -> str:
        """e.g. "rootless user namespace, pid/mount/net/ipc/uts namespaces, private root, uid drop, rlimits"."""
        parts = ["rootless user namespace"] if self.user_namespace else []
        spaces = [name for name, on in (("pid", self.pid_namespace), ("mount", self.mount_namespace),
                                        ("net", self.network_isolated), ("ipc", self.ipc_namespace),
                                        ("uts", self.uts_namespace)) if on]
        parts.append(("/".join(spaces) + " namespaces") if spaces else "NO namespaces")
        if not self.network_isolated:
            parts.append("network NOT isolated" + (" (seccomp: AF_UNIX sockets only)" if "seccomp" in self.network and "failed" not in self.network else ""))
        parts.append("private root" if self.private_root else "host filesystem visible")
        if self.uid_drop:
            parts.append("uid drop")
        if self.no_new_privs:
            parts.append("no_new_privs")
        parts.append("cgroup memory" if self.cgroup_memory else "memory bounded per process only (no memory cgroup)")
        if self.rlimits:
            parts.append("rlimits " + "/".join(k.replace("address_space_mb", "as").replace("_bytes", "").replace("_s", "")
                                               for k, v in self.rlimits.items() if isinstance(v, int) and k != "core"))
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Timings:
    started_at: str | None = None  # UTC, ISO 8601
    finished_at: str | None = None


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def installed_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("apps-eval", "torch", "transformers", "datasets", "numpy"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    commit = checkout_commit()
    if commit is not None:
        found["apps-eval-commit"] = commit
    return found


@functools.lru_cache(maxsize=1)
def checkout_commit() -> str | None:
    """The git commit of the apps-eval checkout this code runs from ("+dirty" when its tracked
    files differ from it), or None (an installed copy, or no git)."""
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "diff", "--quiet", "HEAD", "--"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.returncode == 1 else "")


@dataclass(frozen=True, slots=True)
class RunRecord:
    """config.json."""

    command: Command
    programs: ProgramsRecord
    dataset: DatasetRecord
    generation: GenerationRecord | None = None
    model: ModelRecord | None = None
    prompt: PromptRecord | None = None  # the template as used (generating commands)
    execution: ExecutionRecord | None = None
    comparators: Comparators | None = None
    isolation: IsolationRecord | None = None
    sandbox: SandboxSummary | None = None  # the sandbox's own short account: mode, complete, what was missing
    executor: ExecutorRecord | None = None  # the backend that judged: local, or ray with each node and its isolation
    versions: dict[str, str] = field(default_factory=installed_versions)
    command_line: tuple[str, ...] = ()  # the CLI's arguments (empty when called through the API)
    timings: Timings = field(default_factory=lambda: Timings(started_at=utc_now()))
    schema: str = SCHEMA
    upgraded_from: str | None = None  # read from a config.json of an earlier schema (run_upgrade.py), e.g. "legacy"

    # ---- building --------------------------------------------------------------------------
    @classmethod
    def for_generation(cls, command: Command, data: DatasetRecord, gen: GenerationConfig, execution: ExecutionConfig | None,
                       command_line: tuple[str, ...] = ()) -> "RunRecord":
        return cls(command=command, programs=ProgramsRecord(ProgramSource.GENERATED), dataset=data,
                   generation=GenerationRecord.of(gen), command_line=command_line).with_execution(execution)

    def with_execution(self, execution: ExecutionConfig | None) -> "RunRecord":
        if execution is None:
            return replace(self, execution=None, comparators=None)
        return replace(self, execution=ExecutionRecord.of(execution), comparators=Comparators())

    def with_model(self, model: ModelRecord) -> "RunRecord":
        return replace(self, model=model)

    def with_prompt(self, prompt: PromptRecord) -> "RunRecord":
        return replace(self, prompt=prompt)

    def with_isolation(self, isolation: IsolationRecord, sandbox: SandboxSummary | None = None) -> "RunRecord":
        return replace(self, isolation=isolation, sandbox=sandbox)

    def with_executor(self, executor: ExecutorRecord) -> "RunRecord":
        return replace(self, executor=executor)

    def finished(self) -> "RunRecord":
        return replace(self, timings=replace(self.timings, finished_at=utc_now()))

    # ---- identity: what must match for a run folder to be resumed -------------------------------
    def identity(self) -> dict[str, Any]:
        return {
            "programs.source": self.programs.source.value,
            "programs.only_given_problems": self.programs.only_given_problems,
            "dataset.fingerprint": self.dataset.fingerprint,
            "generation": None if self.generation is None else self.generation.identity(),
            "execution.limits": None if self.execution is None else encode(self.execution.limits),
            "execution.stop_at_first_failure": None if self.execution is None else self.execution.stop_at_first_failure,
            "comparators": encode(self.comparators),
        }

    def differences(self, other: "RunRecord") -> list[tuple[str, Any, Any]]:
        """(key, ours, theirs) for every identity setting that differs, keys in full (e.g. generation.decoding.seed)."""
        ours, theirs = _flat(self.identity()), _flat(other.identity())
        return [(k, ours.get(k), theirs.get(k)) for k in dict.fromkeys([*ours, *theirs]) if ours.get(k) != theirs.get(k)]

    # ---- JSON ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        out = encode(self)
        return {"schema": out.pop("schema"), **out}

    @classmethod
    def from_json(cls, obj: Any) -> "RunRecord":
        """Records of earlier schemas are upgraded (run_upgrade.py); raises RecordError (one line) for
        an unknown schema or a malformed record."""
        from harness.run_upgrade import upgraded

        return decode(cls, upgraded(obj, SCHEMA))


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}
