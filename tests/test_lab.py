"""`make lab`'s working folder: the student versions, and a learner's work never overwritten."""
import nbformat
from commandline import autograde

from autograde.course import assignments


def test_lab_folder_holds_student_versions_and_keeps_work(tmp_path):
    lab, course = tmp_path / "lab", tmp_path / "course"
    run = lambda: autograde("lab", "--lab-dir", lab, "--course-dir", course)  # noqa: E731
    run()
    assert sorted(p.stem for p in lab.glob("*.ipynb")) == assignments()
    mine = lab / "03_self_attention.ipynb"
    nb = nbformat.read(mine, as_version=4)
    assert "raise NotImplementedError()" in "".join(c.source for c in nb.cells)
    nb.cells[0].source += "\n\nmy notes"
    nbformat.write(nb, mine)
    (lab / "01_sequence_models.ipynb").unlink()
    second = run()
    assert "my notes" in mine.read_text(), "a second `make lab` must not overwrite a learner's work"
    assert "kept your" in second.stdout and (lab / "01_sequence_models.ipynb").exists()


def test_makefile_targets_are_the_readme_commands(repo):
    makefile, readme = (repo / "Makefile").read_text(), (repo / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert "\nlab: " in makefile and "\ntest: " in makefile and "jupyter lab" in makefile
    assert (repo / ".ci" / "run").read_text().strip().endswith("make test")
