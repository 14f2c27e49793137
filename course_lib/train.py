"""Shared pieces of the notebooks' training loops: the grading switch and a progress bar."""
import os
from contextlib import contextmanager

GRADING = "NBGRADER_EXECUTION" in os.environ  # set by nbgrader while it autogrades a submission


def progress(iterable=None, total=None, desc=None, **kwargs):
    """A progress bar for a training loop (silent while grading, where nobody watches it)."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, disable=GRADING or kwargs.pop("disable", False),
                leave=kwargs.pop("leave", False), **kwargs)


def shrink(full, grading):
    """The size of an experiment: `full` normally, `grading` while autograding."""
    return grading if GRADING else full


@contextmanager
def threads(n):
    """Run the block on `n` intra-op threads, then restore the previous number.

    The course's models and check inputs are tiny: on a busy two-core laptop, extra threads mostly wait
    for each other (measured 10-25x slower training loops), so training and checks run on one.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
