"""Students on nbgrader's exchange: the way JupyterHub courses release and collect, run by nbgrader itself.

`release --exchange DIR` publishes each released assignment with nbgrader's `release_assignment` under the course
id (`course.COURSE_ID`); students get it with `nbgrader fetch_assignment` (or the Assignments tab) and hand it in
with `nbgrader submit`; `collect --exchange` (or `nbgrader collect`, run in the course folder) copies what they
handed in into the course's `submissions/` with nbgrader's `timestamp.txt`, where `grade` finds it. The exchange
folder is written into the course's `nbgrader_config.py` (`c.Exchange.root`), so nbgrader's own commands and
formgrader (which then shows the assignment as released) use the same one. The kit writes no exchange of its own.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from autograde.gradebook import config_file, course, db
from course_lib import progress


def set_exchange_root(course_dir, root):
    """Write `c.Exchange.root` into the course's nbgrader_config.py (replacing an earlier setting)."""
    line = f"c.Exchange.root = {str(Path(root).resolve())!r}  # nbgrader's exchange (written by release --exchange)"
    config_file.set_line(course_dir, "c.Exchange.root", line)


def exchange_root(course_dir):
    """The exchange folder the course's nbgrader_config.py names, or None."""
    root = config_file.read(course_dir).get("Exchange", {}).get("root")
    return str(root) if root else None


def _api(course_dir, root):
    # nbgrader (about 2 s) is imported where nbgrader runs, as in `course.api`: not by `--help`, which imports this
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    db.alembic_on_path()
    config = course.nbgrader_config(Path(course_dir).resolve())
    config.CourseDirectory.submitted_directory = config_file.SUBMISSIONS  # nbgrader collect fills submissions/
    config.Exchange.root = str(Path(root).resolve())
    config.ReleaseAssignment.force = True  # releasing again replaces what students fetch from now on
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    api.log.setLevel(logging.ERROR)
    return api


def _check_root(root):
    if not Path(root).is_dir():
        raise SystemExit(f"error: the exchange folder {root} does not exist: create it (on JupyterHub, usually "
                         f"/srv/nbgrader/exchange, writable by every user: chmod 777)")


def publish(course_dir, names, root):
    """Release each assignment to the exchange (nbgrader's release_assignment) and name the exchange in the
    course's configuration; write the students' Jupyter configuration for the hub (`write_student_hub_config`);
    return the names published."""
    _check_root(root)
    set_exchange_root(course_dir, root)
    api = _api(course_dir, root)
    for name in names:
        result = api.release_assignment(name)
        if not result["success"]:
            raise SystemExit(f"error: nbgrader could not release {name} to the exchange {root}:\n"
                             f"{result.get('error') or result.get('log')}")
    write_student_hub_config(Path(course_dir) / STUDENT_HUB_CONFIG, root)
    return list(names)


STUDENT_HUB_CONFIG = "student_hub_config"  # in the course folder, written by release --exchange
# What `nbgrader submit` leaves behind: nbgrader's own ignore list, and the progress record the checks keep in the
# assignment folder (with the temporary files of its writes) and the figure `python -m autograde progress` saves.
NOT_HANDED_IN = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", *progress.NOT_HANDED_IN]

# What a student's JupyterLab on the hub keeps of nbgrader: the Assignments tab (fetch, submit) and the Validate
# button; not the instructor's formgrader, Create Assignment or course list, nor the menu that opens them.
HUB_SERVER_EXTENSIONS = {"nbgrader.server_extensions.validate_assignment": True,
                         "nbgrader.server_extensions.assignment_list": True,
                         "nbgrader.server_extensions.formgrader": False,
                         "nbgrader.server_extensions.course_list": False}
HUB_DISABLED_LAB_PLUGINS = ["@jupyterlab/apputils-extension:announcements", "@jupyter/nbgrader:menu",
                            "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                            "@jupyter/nbgrader:course-list"]


def write_student_hub_config(out, root):
    """`out/`: the Jupyter configuration of the students' single-user servers on a JupyterHub: nbgrader's
    exchange at `root` under the course id, the Assignments tab and Validate only. Installed by putting `out`
    first on JUPYTER_CONFIG_PATH in the students' image (or copying its files into /etc/jupyter)."""
    out = Path(out)
    (out / "labconfig").mkdir(parents=True, exist_ok=True)
    (out / "jupyter_server_config.json").write_text(json.dumps(
        {"LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
         "ServerApp": {"jpserver_extensions": HUB_SERVER_EXTENSIONS}}, indent=2) + "\n")
    (out / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": dict.fromkeys(HUB_DISABLED_LAB_PLUGINS, True)}, indent=2) + "\n")
    (out / "nbgrader_config.py").write_text(
        "# The students' nbgrader settings on the hub (written by `python -m autograde release --exchange`)\n"
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(Path(root).resolve())!r}\n"
        f"c.CourseDirectory.course_id = {course.COURSE_ID!r}\n"
        "# nbgrader submits the whole assignment folder: never the learner's progress record (course_lib.progress)\n"
        f"c.CourseDirectory.ignore = {NOT_HANDED_IN!r}\n")
    (out / "README.md").write_text(
        "# The students' Jupyter configuration on the hub\n\n"
        "Put this folder first on `JUPYTER_CONFIG_PATH` in the students' single-user image (or copy its files "
        "into `/etc/jupyter/`). A student's JupyterLab then has nbgrader's Assignments tab, on the exchange "
        f"`{Path(root).resolve()}` and the course `{course.COURSE_ID}`, and the Validate button; not formgrader, "
        "Create Assignment or the course list, which are the instructor's.\n")
    return out


def collect_from_exchange(course_dir, names=None, root=None):
    """nbgrader's collect for each assignment released in the course (or `names`): what students submitted goes
    into the course's submissions/, with nbgrader's timestamp.txt; return {assignment: [student ids]}."""
    root = root or exchange_root(course_dir)
    if not root:
        raise SystemExit(f"error: {course_dir} names no exchange: release with `python -m autograde release "
                         f"--exchange DIR` first (or set c.Exchange.root in its nbgrader_config.py)")
    _check_root(root)
    names = names or sorted(p.name for p in (Path(course_dir) / "release").iterdir() if p.is_dir())
    api = _api(course_dir, root)
    collected = {}
    for name in names:
        result = api.collect(name)
        if not result["success"]:
            raise SystemExit(f"error: nbgrader could not collect {name} from {root}:\n"
                             f"{result.get('error') or result.get('log')}")
        folder = Path(course_dir) / config_file.SUBMISSIONS
        collected[name] = sorted(p.parent.name for p in folder.glob(f"*/{name}") if p.is_dir())
    return collected
