"""The two ways to install the course ask for the same packages at the same versions."""
import re
import tomllib


def _pyproject_pins(repo):
    deps = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    return dict(d.split("==") for d in deps)


def _environment_pins(repo):
    lines = (repo / "environment.yml").read_text().splitlines()
    return dict(m.groups() for line in lines if (m := re.match(r"\s*-\s*([A-Za-z0-9_.\-]+)==(\S+)", line)))


def test_every_dependency_is_pinned_exactly(repo):
    deps = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    assert all("==" in d for d in deps), deps


def test_environment_yml_agrees_with_pyproject(repo):
    assert _environment_pins(repo) == _pyproject_pins(repo)


def test_torch_is_the_cpu_build_on_disk(repo):
    assert _pyproject_pins(repo)["torch"] == "2.13.0"
