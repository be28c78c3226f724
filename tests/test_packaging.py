"""What `pip install` of apps-eval asks for: a user's own torch build (CUDA or not) must survive it."""
import configparser
import re

from conftest import REPO_ROOT


def _requirements() -> list[str]:
    cfg = configparser.ConfigParser()
    cfg.read(REPO_ROOT / "setup.cfg")
    return [line.strip() for line in cfg["options"]["install_requires"].splitlines() if line.strip()]


def test_install_requires_bounds_torch_from_below_without_pinning_it():
    torch = [r for r in _requirements() if re.match(r"torch\b", r)]
    assert len(torch) == 1 and re.fullmatch(r"torch>=\d+(\.\d+)*", torch[0]), torch
    assert not any("==" in r for r in _requirements() if r.startswith("torch"))


def test_make_still_installs_the_pinned_cpu_wheel_first():
    makefile = (REPO_ROOT / "Makefile").read_text()
    pinned = makefile.index("pip install -q torch==")
    assert pinned < makefile.index("pip install -q -e")
