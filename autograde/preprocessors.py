"""nbconvert preprocessors the grading pipeline adds to nbgrader's."""
from nbconvert.preprocessors import Preprocessor


class StderrToStdout(Preprocessor):
    """Turn stderr output of graded test cells into stdout, so a warning costs no points.

    nbgrader gives 0 to a test cell with any stderr output; an error still scores 0, because it is an
    output of type 'error', not a stream.
    """

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
        return cell, resources
