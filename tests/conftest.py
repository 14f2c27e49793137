"""Shared fixtures and factories for the test suite."""
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "notebooks"))  # `build` (the notebook builder) is importable in tests
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def repo():
    return REPO
