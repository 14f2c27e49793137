"""Toy data, training loops and figures of the notebooks' experiments, one module per notebook.

Experiments measure the ideas; no graded exercise depends on them. Under autograding (nbgrader sets
`NBGRADER_EXECUTION`) they shrink, so a submission grades in seconds.
"""
