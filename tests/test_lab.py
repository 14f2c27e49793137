"""`make lab`'s working folder: the student versions, and a learner's work never overwritten."""
import subprocess

import nbformat
from commandline import autograde

from autograde.gradebook.course import assignments


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


def _make_variable(repo, name):
    line = next(line for line in (repo / "Makefile").read_text().splitlines() if line.startswith(f"{name} :="))
    return line.split(":=", 1)[1].strip()


def test_notebooks_ask_for_the_kernel_that_make_registers_for_every_front_end(repo):
    from autograde.engine.notebook import KERNELSPEC

    assert _make_variable(repo, "KERNEL_NAME") == KERNELSPEC["name"] != "python3"
    assert _make_variable(repo, "KERNEL_DISPLAY") == KERNELSPEC["display_name"]
    makefile = (repo / "Makefile").read_text()
    # --user: VS Code, a conda or a system Jupyter find it too; --sys-prefix: `make lab` takes this .venv's
    assert "ipykernel install --user --name $(KERNEL_NAME)" in makefile
    assert "ipykernel install --sys-prefix --name $(KERNEL_NAME)" in makefile
    for path in sorted((repo / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert nbformat.read(path, as_version=4).metadata.kernelspec.name == KERNELSPEC["name"], path.name


def test_grading_runs_the_sandbox_kernel_whatever_the_notebook_asks_for(tmp_path, monkeypatch):
    from autograde.engine import sandbox
    from autograde.gradebook import course

    monkeypatch.setenv("JUPYTER_PATH", "")
    sandbox.install_kernelspec(tmp_path, hide=[], memory_limit=0)
    assert (tmp_path / "kernels" / course.GRADING_KERNEL / "kernel.json").exists()
    assert course.nbgrader_config(tmp_path).SurviveDeadKernel.kernel_name == course.GRADING_KERNEL


def test_the_student_lab_has_no_pop_up_and_no_instructor_menu(repo):
    import json

    makefile = (repo / "Makefile").read_text()
    assert "$(LAB_ENV) $(VENV)/bin/jupyter lab" in makefile and "JUPYTER_CONFIG_PATH=$(CURDIR)/lab_config" in makefile
    server = json.loads((repo / "lab_config" / "jupyter_server_config.json").read_text())
    assert server["LabApp"]["news_url"] is None
    assert server["LabApp"]["check_for_updates_class"] == "jupyterlab.NeverCheckForUpdate"
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert extensions.pop("nbgrader.server_extensions.validate_assignment") is True
    assert set(extensions.values()) == {False} and len(extensions) == 3  # formgrader, assignment and course lists
    disabled = json.loads((repo / "lab_config" / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert disabled["@jupyter/nbgrader:menu"] and disabled["@jupyter/nbgrader:formgrader"]
    assert "@jupyter/nbgrader:validate-assignment" not in disabled


def test_readme_first_screen_tells_a_newcomer_what_to_do(repo):
    first = (repo / "README.md").read_text().split("## Students and self-learners")[0]
    for needed in ("make lab", "browser", "01_sequence_models", "Ctrl+C", "PYTHON=python3.11", "python3.11-venv",
                   "VS Code", "conda", "Transformers course (Python 3)"):
        assert needed in first, needed
    assert "green line" not in (repo / "README.md").read_text()


def test_bad_paths_are_plain_errors_in_every_subcommand(tmp_path, repo):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    notebook = repo / "notebooks" / "03_self_attention.ipynb"
    cases = {
        ("submit", notebook, "--student", "alice", "--out", tmp_path / "missing"): "does not exist",
        ("submit", tmp_path / "missing.ipynb", "--student", "alice"): "No such file",
        ("validate", tmp_path): "Is a directory",
        ("export", "--csv", tmp_path / "missing" / "grades.csv", "--course-dir", tmp_path): "does not exist",
        ("export", "--csv", tmp_path, "--course-dir", tmp_path): "is a folder",
        ("lab", "--lab-dir", a_file, "--course-dir", tmp_path / "course"): "is a file, not a folder",
        ("release", "03_self_attention", "--course-dir", a_file): "is a file, not a folder",
        ("collect", tmp_path / "missing"): "does not exist",
        ("collect", tmp_path, "--into", a_file): "is a file, not a folder",
        ("grade", tmp_path / "missing", "--course-dir", tmp_path / "course"): "not a folder of submissions",
        ("feedback", "--course-dir", tmp_path / "missing"): "nothing graded yet",
    }
    for args, says in cases.items():
        result = autograde(*args, check=False)
        assert result.returncode != 0 and says in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)


def test_make_lab_course_lang_zh_opens_the_chinese_edition_in_its_own_folder(repo, tmp_path):
    """`make lab COURSE_LANG=zh`: the Chinese student versions in lab-zh/, JupyterLab there; an English learner's
    lab/ is never written."""
    plan = subprocess.run(["make", "-n", "--no-print-directory", "lab", "COURSE_LANG=zh", "READY="], cwd=repo,
                          capture_output=True, text=True)
    assert plan.returncode == 0, plan.stderr
    assert "-m autograde lab --lang zh" in plan.stdout and "--notebook-dir=lab-zh" in plan.stdout
    assert "COURSE_LANG=zh" in plan.stdout
    english = subprocess.run(["make", "-n", "--no-print-directory", "lab", "READY="], cwd=repo, capture_output=True,
                             text=True).stdout
    assert "--lang en" in english and "--notebook-dir=lab " in english
    mine = tmp_path / "lab" / "03_self_attention.ipynb"
    mine.parent.mkdir()
    mine.write_text("my English work")
    autograde("lab", "--lang", "zh", "--course-dir", tmp_path / "course", cwd=tmp_path)
    assert mine.read_text() == "my English work" and sorted(p.name for p in (tmp_path / "lab").iterdir()) == [
        "03_self_attention.ipynb"]
    chinese = nbformat.read(tmp_path / "lab-zh" / "03_self_attention.ipynb", as_version=4)
    assert chinese.metadata["course"]["language"] == "zh" and "自注意力" in chinese.cells[0].source
