"""nbconvert preprocessors the grading pipeline adds to nbgrader's."""

import copy
from pathlib import Path

import nbformat
from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

from .notebook import grade_meta


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
    """nbgrader's Execute, except that a kernel that dies (os._exit, a crash, the memory cap) costs only the
    cells from there on: the cells already run keep their outputs and scores, and the rest are marked as not
    run, in plain words, instead of the whole submission failing."""

    def preprocess(self, nb, resources=None, km=None):
        self._dead_at = None
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            if self._dead_at is None:
                raise
            return self.nb, self.resources

    def preprocess_cell(self, cell, resources, index):
        if self._dead_at is not None:
            if cell.cell_type == "code":
                cell.outputs = [
                    _error("KernelDied", f"not run: the kernel died in an earlier cell (cell {self._dead_at})")
                ]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead_at = index
            cell.outputs.append(
                _error("KernelDied", "the kernel died while running this cell: os._exit(), a crash or the memory limit")
            )
            return cell, resources


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
