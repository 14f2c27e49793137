"""The suite's own shared fixtures do what they promise (tests/conftest.py)."""
import nbformat
import pytest


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("options", [{}, {"lang": "zh", "hints": "idea,shapes"}])
def test_a_released_course_copied_elsewhere_holds_no_path_of_its_first_home(released_course, tmp_path, options):
    """`released_course` releases once and copies: that is the same as releasing at the copy's place only if
    nothing in the folder names where it was made (in either language, with or without every hint)."""
    first = released_course(tmp_path / "a" / "course", "03_self_attention", **options)
    second = released_course(tmp_path / "b" / "course", "03_self_attention", **options)
    files = _files(first)
    assert any(p.suffix == ".ipynb" for p in files) and any(p.name == "gradebook.db" for p in files)
    assert files == _files(second), "a copy is the template byte for byte"
    template = tmp_path.parent  # the templates live under pytest's base temporary folder, beside this test's
    for path, data in files.items():
        assert str(template).encode() not in data, f"{path} names a temporary folder of the test run"


def test_a_released_course_has_exactly_the_assignments_asked_for(released_course, tmp_path):
    course = released_course(tmp_path / "course", "01_sequence_models", "03_self_attention")
    assert sorted(p.name for p in (course / "release").iterdir()) == ["01_sequence_models", "03_self_attention"]
    with pytest.raises(FileExistsError):
        released_course(course, "03_self_attention")  # never over a folder that exists


def test_release_gives_the_folder_the_student_version_and_the_right_answers(release, repo, tmp_path):
    from autograde.steps.demo import solutions_of

    course_dir, released, good = release(tmp_path / "course", "03_self_attention")
    assert course_dir == tmp_path / "course"
    assert released == nbformat.read(course_dir / "release" / "03_self_attention" / "03_self_attention.ipynb", 4)
    assert good == solutions_of(nbformat.read(repo / "notebooks" / "03_self_attention.ipynb", 4)) != {}


def test_tests_sharing_a_module_fixture_are_kept_in_one_worker(tmp_path):
    """With three workers, every test that reads a module-scoped fixture runs in the process that built it
    (a grading run shared by a module's tests must not be built once per worker)."""
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    log = tmp_path / "log"
    (tmp_path / "tests" / "test_shared.py").write_text(f"""
import os, pytest
@pytest.fixture(scope="module")
def shared():
    return os.environ["PYTEST_XDIST_WORKER"]
@pytest.mark.parametrize("i", range(12))
def test_reads(shared, i):
    with open({str(log)!r}, "a") as f:
        f.write(shared + "\\n")
@pytest.mark.parametrize("i", range(12))
def test_free(i):
    pass
""")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "3",
                             "--dist", "loadgroup", "tests"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    workers = log.read_text().split()
    assert len(workers) == 12 and len(set(workers)) == 1, workers
