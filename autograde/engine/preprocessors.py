"""nbconvert preprocessors the grading pipeline adds to nbgrader's."""

import copy
import math
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

from autograde.engine.notebook import BEGIN_HIDDEN, grade_meta
from autograde.gradebook.course import REFUSAL


def _strip_hidden(source):
    """`verdict.strip_hidden`: the cell without its hidden-test region."""
    # verdict imports the checks and torch (about 1.3 s); nbgrader's own feedback and formgrader load this module
    # through the course's nbgrader_config.py, and need neither
    from autograde.engine.verdict import strip_hidden

    return strip_hidden(source)


class StderrToStdout(NbGraderPreprocessor):
    """Turn stderr output of graded test cells into stdout, so a warning costs no points.

    nbgrader gives 0 to a test cell with any stderr output; an error still scores 0, because it is an
    output of type 'error', not a stream. (An NbGraderPreprocessor, because nbconvert's base class is
    disabled unless configured otherwise.)
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
        return cell, resources


class StripHiddenTests(NbGraderPreprocessor):
    """Take the hidden-test regions (and the seeds their comment lines carry) out of the graded test cells of the
    copy nbgrader writes into the student's working folder, where the kernel then runs and can open every file.

    nbgrader's sanitizing pass puts them back (OverwriteCells restores a test cell's source from the gradebook)
    and writes the notebook there before the kernel starts; the kernel never runs them anyway
    (`SurviveDeadKernel` strips the same regions), and the grader reads the seeds from the source notebook
    (`verdict.hidden_tests`), so the scores are the same. Only the grader's scratch folders, which every sandbox
    hides, hold the regions.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and grade_meta(cell).get("grade"):
            cell.source = _strip_hidden(cell.source)
        return cell, resources


class RestoreMissingCells(NbGraderPreprocessor):
    """Put back every read-only cell (set-up, checks, graded tests) that a submission deleted or retyped.

    A restored cell is inserted after the nearest earlier cell of the released notebook that the submission
    still has; OverwriteCells then gives it the gradebook's source, hidden tests included. This replaces
    nbgrader's `OverwriteCells.add_missing_cells`, which fails with a KeyError when the cell before a deleted
    test cell is a read-only cell rather than a solution or graded cell (nbgrader 0.9.5).
    """

    release_root = Unicode("", help="the course folder whose release/ holds the released notebooks").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        path = Path(self.release_root) / "release" / info["assignment"] / f"{info['notebook']}.ipynb"
        released = nbformat.read(str(path), as_version=4)
        present = _positions(nb)
        previous = None
        for cell in released.cells:
            gid = grade_meta(cell).get("grade_id")
            if gid is None:
                continue
            meta = cell.metadata["nbgrader"]
            if gid not in present and (meta.get("locked") or meta.get("grade")):
                at = present[previous] + 1 if previous in present else 0
                nb.cells.insert(at, copy.deepcopy(cell))
                self.log.warning("Restored the deleted read-only cell %s", gid)
                present = _positions(nb)
            if gid in present:
                previous = gid
        return nb, resources


def _positions(nb):
    """grade_id -> index of every nbgrader cell of a notebook."""
    return {grade_meta(c)["grade_id"]: i for i, c in enumerate(nb.cells) if grade_meta(c).get("grade_id")}


class CapOutputSize(NbGraderPreprocessor):
    """Cut every text output to `max_chars`, so tens of megabytes printed by one cell stay out of the gradebook,
    the stored notebook and the feedback. (nbgrader's LimitOutput counts lines; one huge line passes it.)"""

    max_chars = Integer(20000, help="the longest text an output keeps").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if "text" in output and len(output.text) > self.max_chars:
                output.text = output.text[: self.max_chars] + f"\n... [output cut: {len(output.text):,} characters]"
            for mime, value in list(output.get("data", {}).items()):
                if isinstance(value, str) and len(value) > self.max_chars and mime.startswith("text/"):
                    output.data[mime] = value[: self.max_chars] + "\n... [output cut]"
            if output.get("output_type") == "error" and sum(map(len, output.traceback)) > self.max_chars:
                output.traceback = [line[:2000] for line in output.traceback[-20:]]
        return cell, resources


class SurviveDeadKernel(Execute):
    """nbgrader's Execute, with two changes.

    * Graded test cells run without their hidden tests (`verdict.strip_hidden`): the kernel runs only the
      visible part; the hidden verdicts are decided by the grader in its own process (`autograde/engine/verdict.py`),
      so neither the hidden tests nor their seeds ever reach the student's kernel.
    * A kernel that dies (os._exit, a crash, the memory cap) costs only the cell that killed it: the kernel is
      restarted, the code cells before it are run again (without their outputs, and without any cell that
      killed the kernel), and the notebook goes on. After `max_restarts` deaths the remaining cells are marked
      as not run; their graded cells are then judged by the grader's hidden tests alone.
    * A cell that runs past its limit (`timeout`, or what is left of `submission_timeout`, the wall-clock budget
      of the whole notebook) is interrupted and named as a timeout ("cell `test_softmax` ran past 120 s (an
      endless loop?)"), and the cells after it are not run: a loop in a function would otherwise make every
      later cell that calls it wait for the full limit again. Their graded cells are then judged by the
      grader's hidden tests alone (`verdict.judge`), as after a kernel death; the exercise whose cell ran past
      the limit fails with that message. What ran past is written to `autograde.timed_out`.
    What happened is written to the notebook's metadata (`autograde.incidents`) for the grade log.
    """

    max_restarts = Integer(3, help="kernel restarts per notebook").tag(config=True)
    submission_timeout = Integer(
        0, help="seconds of wall-clock time for all the cells of one notebook together (0: no budget)"
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        for cell in nb.cells:
            if cell.cell_type == "code" and grade_meta(cell).get("grade"):
                cell.source = _strip_hidden(cell.source)
        self._dead_at = None
        self._killers = set()
        self._incidents = []
        self._timed_out = None
        self._deadline = time.monotonic() + self.submission_timeout if self.submission_timeout else None
        self._limit = self.timeout
        try:
            result = super().preprocess(nb, resources, km)
        except DeadKernelError:
            if self._dead_at is None:
                raise
            result = self.nb, self.resources
        meta = result[0].metadata.setdefault("autograde", {})
        meta["incidents"] = list(self._incidents)
        if self._timed_out:
            meta["timed_out"] = dict(self._timed_out)
        if self._deadline is not None:
            meta["budget_left"] = max(0.0, round(self._deadline - time.monotonic(), 1))
        return result

    def _get_timeout(self, cell):
        """The cell's limit: `timeout`, or less when that is all that is left of the notebook's budget."""
        limit = super()._get_timeout(cell)
        if self._deadline is not None:
            left = max(1, math.ceil(self._deadline - time.monotonic()))
            limit = left if limit is None else min(limit, left)
        self._limit = limit
        return limit

    def preprocess_cell(self, cell, resources, index):
        if self._dead_at is not None:
            if cell.cell_type == "code":
                cell.outputs = [
                    _error("KernelDied", f"not run: the kernel died in an earlier cell (cell {self._dead_at})")
                ]
            return cell, resources
        if self._timed_out is not None:
            if cell.cell_type == "code":
                cell.outputs = [_error("NotRun", f"not run: {self._timed_out['message']}")]
            return cell, resources
        if cell.cell_type == "code" and self._deadline is not None and time.monotonic() >= self._deadline:
            self._time_out(cell, index, None)
            return cell, resources
        try:
            try:
                cell, resources = super().preprocess_cell(cell, resources, index)
            except CellTimeoutError:  # the kernel, interrupted, did not go quiet in time: the cell is over
                self._time_out(cell, index, self._limit)
                return cell, resources
            if any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
                   for o in cell.get("outputs", [])):
                self._time_out(cell, index, self._limit)
            return cell, resources
        except DeadKernelError:
            cell.outputs.append(
                _error("KernelDied", "the kernel died while running this cell: os._exit(), a crash or the memory limit")
            )
            self._killers.add(index)
            gid = grade_meta(cell).get("grade_id")
            where = f"cell {index}" + (f" ({gid})" if gid else "")
            if len(self._killers) > self.max_restarts or not self._restart(index):
                self._dead_at = index
                self._incidents.append(f"the kernel died in {where}; the cells after it were not run")
            else:
                self._incidents.append(
                    f"the kernel died in {where}: it was restarted, the cells before it were run again "
                    f"without that cell, and grading went on")
            return cell, resources

    def _time_out(self, cell, index, limit):
        """Name the timeout in the cell (instead of the interrupt's KeyboardInterrupt) and stop the run here."""
        gid = grade_meta(cell).get("grade_id")
        label = f"cell `{gid}`" if gid else f"cell {index}"
        if limit is None or (self.submission_timeout and limit < self.timeout):
            message = (f"{label} was stopped: the notebook used up its time budget of {self.submission_timeout} s "
                       f"(--submission-timeout; an endless loop?)")
        else:
            message = f"{label} ran past {limit} s (an endless loop?)"
        cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"] + [
            _error("CellTimeoutError", message)]
        self._timed_out = {"index": index, "grade_id": gid, "message": message,
                           "test": _test_of(self.nb, index) if gid else None}
        self._incidents.append(f"{message}; the cells after it were not run (the grader's hidden tests decided "
                               f"the graded ones)")

    def _restart(self, upto):
        """A fresh kernel with the state of the cells before `upto` (killers left out); False if that fails."""
        while True:
            try:
                try:
                    self._cleanup_kernel()
                except Exception:  # noqa: BLE001 - the dead kernel may already be gone
                    self.kc = None
                    self.km = None
                self.km = self.create_kernel_manager()
                self.start_new_kernel(**({"cwd": self.resources.get("metadata", {}).get("path")}
                                         if self.resources.get("metadata", {}).get("path") else {}))
                self.start_new_kernel_client()
                for j, earlier in enumerate(self.nb.cells[:upto]):
                    meta = grade_meta(earlier)
                    if (earlier.cell_type != "code" or j in self._killers or meta.get("grade")
                            or str(meta.get("grade_id", "")).startswith("check_")):  # checks define nothing
                        continue
                    try:
                        self.execute_cell(copy.deepcopy(earlier), j, store_history=False)
                    except DeadKernelError:
                        self._killers.add(j)
                        self._incidents.append(f"the kernel died again in cell {j} while re-running it; left out")
                        if len(self._killers) > self.max_restarts:
                            return False
                        break
                else:
                    return True
            except Exception as error:  # noqa: BLE001 - a kernel that cannot start again ends the run here
                self._incidents.append(f"the kernel could not be restarted ({type(error).__name__}: {error})")
                return False


def _test_of(nb, index):
    """The grade id of the graded test cell of the exercise that cell `index` belongs to: the first graded cell
    at or after it, unless another exercise's solution cell comes first; None for a cell of no exercise."""
    for j, cell in enumerate(nb.cells[index:]):
        meta = grade_meta(cell)
        if meta.get("grade") and cell.cell_type == "code":
            return meta.get("grade_id")
        if j and meta.get("solution"):
            return None
    return None


def _error(name, message):
    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class DropDuplicateIds(NbGraderPreprocessor):
    """A cell copied with its nbgrader metadata keeps its text but loses the metadata; the first one stays.

    Replaces nbgrader's DeduplicateIds, which keeps the last copy and leaves an empty `nbgrader` dict on the
    others, which its own metadata check then rejects (SchemaTooOldError), failing the whole submission.
    """

    def preprocess(self, nb, resources):
        seen = set()
        for cell in nb.cells:
            gid = grade_meta(cell).get("grade_id")
            if gid is None:
                if cell.get("metadata", {}).get("nbgrader") == {}:  # an empty dict fails nbgrader's schema check
                    del cell.metadata["nbgrader"]
                continue
            if gid in seen:
                self.log.warning("Cell with id '%s' exists multiple times; the copy is plain student code", gid)
                del cell.metadata["nbgrader"]
            seen.add(gid)
        return nb, resources


class HideHiddenTests(NbGraderPreprocessor):
    """`nbgrader generate_feedback` on the course folder: each graded test cell shows what the student's kernel
    ran, with the hidden-test region (exercise names and seeds of the grader's tests) replaced by one comment.
    (nbgrader's own feedback would publish the region as the gradebook holds it.)"""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and BEGIN_HIDDEN in cell.source:
            cell.source = _strip_hidden(cell.source)
        return cell, resources


class RefuseNbgraderAutograde(NbGraderPreprocessor):
    """`nbgrader autograde` (or formgrader's autograde button) on the course folder refuses, naming the kit's
    command: run alone, nbgrader would score the visible asserts only, never the hidden verdicts, which the kit
    decides in its own process."""

    def preprocess(self, nb, resources):
        raise RuntimeError(REFUSAL)

