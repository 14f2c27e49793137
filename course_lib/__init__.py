"""Helpers for the course "Transformers from first principles".

`course_lib.solutions` holds the reference implementation of every exercise, one module per notebook;
`course_lib.checks` holds one `check_<exercise>` per exercise, built on `course_lib.checks.framework`.
"""
