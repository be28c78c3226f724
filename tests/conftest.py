import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
APPS_REAL = SHARED_DIR / "apps-real"

# Tests never touch a model or dataset hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def apps_real_dir() -> Path:
    """../shared/apps-real, or skip the test where it is absent."""
    if not (APPS_REAL / "problems.jsonl").is_file():
        pytest.skip("../shared/apps-real is not present")
    return APPS_REAL
