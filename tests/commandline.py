"""Run `python -m autograde` as an instructor or a student would, from the tests."""
import subprocess
import sys


def autograde(*args, check=True, cwd=None):
    """Run the command line; with `check`, fail the test (showing its output) unless it exits 0."""
    result = subprocess.run([sys.executable, "-m", "autograde", *map(str, args)], capture_output=True, text=True,
                            cwd=cwd)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result
