"""The code, the tests and the notebooks pass ruff (rules and exceptions in pyproject.toml)."""
import subprocess
import sys


def test_ruff_finds_nothing(repo):
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=repo,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
