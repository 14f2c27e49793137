"""The suite's own shared fixtures do what they promise (tests/conftest.py)."""
import pytest


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_released_course_copied_elsewhere_holds_no_path_of_its_first_home(released_course, tmp_path):
    """`released_course` releases once and copies: that is the same as releasing at the copy's place only if
    nothing in the folder names where it was made."""
    first = released_course(tmp_path / "a" / "course", "03_self_attention")
    second = released_course(tmp_path / "b" / "course", "03_self_attention")
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
