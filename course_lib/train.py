"""Shared pieces of the notebooks' training loops: the grading switch and a progress bar."""
import os

GRADING = "NBGRADER_EXECUTION" in os.environ  # set by nbgrader while it autogrades a submission


def progress(iterable=None, total=None, desc=None, **kwargs):
    """A progress bar for a training loop (silent while grading, where nobody watches it)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=GRADING or kwargs.pop("disable", False),
                leave=kwargs.pop("leave", False), **kwargs)


def shrink(full, grading):
    """The size of an experiment: `full` normally, `grading` while autograding."""
    return grading if GRADING else full
