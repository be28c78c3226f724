"""The sandbox knows nothing of models, metrics or data; data knows nothing of the harness."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT


def imported_modules(package: str) -> dict[str, set[str]]:
    """Full dotted names of the absolute imports of each file under `package`."""
    found = {}
    for path in sorted((REPO_ROOT / package).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(REPO_ROOT))] = names
    return found


def imported_top_levels(package: str) -> dict[str, set[str]]:
    return {f: {name.split(".")[0] for name in names} for f, names in imported_modules(package).items()}


@pytest.mark.parametrize(
    "package, forbidden",
    [
        ("sandbox", {"harness", "data", "numpy", "torch", "transformers", "datasets", "run_eval"}),
        ("data", {"harness", "torch", "transformers", "run_eval"}),
    ],
)
def test_package_does_not_import_upper_layers(package, forbidden):
    offenders = {f: sorted(n & forbidden) for f, n in imported_top_levels(package).items() if n & forbidden}
    assert offenders == {}


def test_importing_packages_pulls_in_no_heavy_modules():
    code = (
        "import sys, sandbox, data, harness, harness.cli, harness.pipeline;"
        "heavy = {'torch', 'transformers', 'datasets', 'numpy', 'matplotlib'} & set(sys.modules);"
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_files_run_inside_the_jail_import_only_the_stdlib_and_each_other():
    """sandbox/inside/ runs by path in the jail, where neither sandbox nor site-packages exist."""
    inside = REPO_ROOT / "sandbox" / "inside"
    siblings = {p.stem for p in inside.glob("*.py")}
    allowed = set(sys.stdlib_module_names) | siblings | {"__future__"}
    found = imported_top_levels("sandbox/inside")
    assert found, "no files found under sandbox/inside"
    offenders = {f: sorted(n - allowed) for f, n in found.items() if n - allowed}
    assert offenders == {}


def test_host_side_of_the_sandbox_does_not_import_jail_internals():
    """The host side talks to workers only through the wire framing and the message protocol
    (sandbox/inside/protocol.py, whose records it re-exports), and never runs jail code."""
    allowed = {"wire", "protocol"}
    offenders = {}
    for path in sorted((REPO_ROOT / "sandbox").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.ImportFrom) and node.module and "inside" in node.module.split(".")):
                continue
            parts = node.module.split(".")
            names = {a.name for a in node.names} if parts[-1] == "inside" else {parts[parts.index("inside") + 1]}
            if names - allowed:
                offenders[path.name] = sorted(names - allowed)
    assert offenders == {}


@pytest.mark.parametrize(
    "folder, forbidden",
    [
        # Reporting reads records; it neither generates, executes nor drives a run.
        ("harness/reporting", ("harness.generation", "harness.execution", "harness.pipeline", "harness.cli",
                               "harness.evaluation", "harness.api", "torch", "transformers", "ray")),
        # Generation turns problems into programs; it knows nothing of judging or reporting.
        ("harness/generation", ("harness.reporting", "harness.evaluation", "harness.pipeline", "harness.cli",
                                "harness.api", "sandbox")),
    ],
)
def test_harness_folders_keep_to_their_stage(folder, forbidden):
    def breaks_rule(name: str) -> bool:
        return any(name == f or name.startswith(f + ".") for f in forbidden)

    found = imported_modules(folder)
    assert found, f"no files found under {folder}"
    offenders = {f: sorted(filter(breaks_rule, names)) for f, names in found.items() if any(map(breaks_rule, names))}
    assert offenders == {}
