"""Helpers for the course "Transformers from first principles".

`course_lib.solutions` holds the reference implementation of every exercise, one module per notebook;
`course_lib.handouts` holds the pieces a notebook hands out from earlier notebooks (the one copy of their code,
which `course_lib.solutions` imports back); `course_lib.checks` holds one `check_<exercise>` per exercise,
built on `course_lib.checks.framework`. Nothing outside `solutions` and `checks` imports `course_lib.solutions`.
`set_language("zh")` (or `COURSE_LANG=zh`) makes every message Chinese (`course_lib.i18n`). `course_lib.progress()`
draws where the learner stands across the course, from the record the checks keep (`course_lib.progress`).
"""
from . import progress  # noqa: F401 - `course_lib.progress()`: the module is callable (progress.py)
from .i18n import language, set_language  # noqa: F401
