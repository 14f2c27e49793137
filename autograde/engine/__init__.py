"""What runs one submission: its cells, nbgrader's preprocessors and the kit's, the warm kernel pool and its
fork server, the sandbox, the hidden verdicts, the results read from a graded notebook, and the grade log.

The engine knows nothing of the steps that call it or of the backends that carry its work; below it lies only
the course folder (`autograde.gradebook`).
"""
