"""Feedback by nbgrader's own command: `nbgrader generate_feedback`, run on the course folder, writes the kit's page.

Apart from `feedback` because it imports nbgrader (about 1.9 s), which `python -m autograde feedback` never needs.
"""

import re

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograde.engine.log import read_log
from autograde.steps.feedback import page


class KitFeedback(NbGraderPreprocessor):
    """`nbgrader generate_feedback` on the course folder writes the kit's own page (`autograde.steps.feedback.page`,
    from the grade log) instead of the graded notebook: the same page as `python -m autograde feedback`, with
    the checks' messages and no traceback, so no path of the grading machine and no hidden test."""

    course_root = Unicode("", help="the course folder whose grade log the page is written from").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        entry = read_log(self.course_root).get(f"{info.get('assignment')}/{info.get('student')}")
        if entry is None:
            body = "<p>No grade is recorded for this submission yet.</p>"
        else:
            body = re.search(r"<body>(.*)</body>", page(entry), re.S).group(1)
            body = f"<style>{re.search(r'<style>(.*?)</style>', page(entry), re.S).group(1)}</style>{body}"
        nb.cells = [nbformat.v4.new_markdown_cell(body)]
        return nb, resources
