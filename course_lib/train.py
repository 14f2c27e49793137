"""Shared pieces of the notebooks' experiments: the grading switch, a progress bar, and one training loop."""
import os
from contextlib import contextmanager
from dataclasses import dataclass, field

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


@dataclass
class History:
    """What a training run did: the loss of every step, how many steps, how long, and why it stopped."""

    losses: list = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    stopped: str = "steps"  # "steps", "time budget" or "target reached"


def fit(model, batch, loss_fn, *, steps, lr=1e-3, time_budget=None, optimizer=None, schedule=None, clip=None,
        until=None, check_every=25, desc=None, num_threads=1, seed=None):
    """Train `model` with Adam (or `optimizer`) and return a `History`; the one loop every experiment uses.

    `batch(step)` gives a batch, `loss_fn(model, batch)` its scalar loss. Training stops after `steps`
    steps, after `time_budget` seconds, or when `until(model)` is true (checked every `check_every` steps,
    in eval mode, without gradients). `schedule(step)` multiplies the learning rate (torch's `LambdaLR`:
    step counted from 0, so a schedule defined from step 1 on is called as `schedule(step + 1)`);
    `clip` clips the gradient norm. The caller shrinks `steps` under grading (see `shrink`).
    """
    import time

    import torch

    if seed is not None:
        torch.manual_seed(seed)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule) if schedule else None
    history = History()
    start = time.perf_counter()
    model.train()
    with threads(num_threads):
        for step in progress(range(steps), desc=desc):
            loss = loss_fn(model, batch(step))
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            history.losses.append(loss.item())
            history.steps = step + 1
            history.seconds = time.perf_counter() - start
            if time_budget is not None and history.seconds >= time_budget:
                history.stopped = "time budget"
                break
            if until is not None and (step + 1) % check_every == 0:
                model.eval()
                with torch.no_grad():
                    reached = until(model)
                model.train()
                if reached:
                    history.stopped = "target reached"
                    break
    model.eval()
    return history
