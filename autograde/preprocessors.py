"""nbconvert preprocessors the grading pipeline adds to nbgrader's."""
import copy
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode


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
        present = {_grade_id(c): i for i, c in enumerate(nb.cells) if _grade_id(c)}
        previous = None
        for cell in released.cells:
            gid = _grade_id(cell)
            if gid is None:
                continue
            meta = cell.metadata["nbgrader"]
            if gid not in present and (meta.get("locked") or meta.get("grade")):
                at = present[previous] + 1 if previous in present else 0
                nb.cells.insert(at, copy.deepcopy(cell))
                self.log.warning("Restored the deleted read-only cell %s", gid)
                present = {_grade_id(c): i for i, c in enumerate(nb.cells) if _grade_id(c)}
            if gid in present:
                previous = gid
        return nb, resources


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
