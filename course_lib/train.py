"""Shared pieces of the notebooks' experiments: the grading switch, a progress bar, and one training loop."""
import os
from contextlib import contextmanager
from dataclasses import dataclass, field

from .i18n import tr

GRADING = "NBGRADER_EXECUTION" in os.environ  # set by nbgrader while it autogrades a submission


class progress:
    """A progress line for a training loop that reads well both live and in a saved notebook.

    In a terminal it redraws one line in place while the loop runs (tqdm's text bar, on stdout). In a notebook,
    and wherever the output is not a terminal, nothing is drawn while it runs. Either way, when the loop ends,
    one plain line is printed: `desc: 300/300 steps in 12.3 s`, so a saved notebook holds one line per run, and
    never a frozen widget or an empty "0/1" bar. Runs without a `desc`, or of a single step, print nothing; so
    does everything under autograding.
    """

    def __init__(self, iterable=None, total=None, desc=None, **kwargs):
        import sys

        self.iterable, self.desc = iterable, desc
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.done = 0
        self.silent = GRADING or kwargs.get("disable", False) or desc is None or (self.total or 0) <= 1
        self.bar = None
        if not self.silent and sys.stdout.isatty():
            from tqdm import tqdm  # the text bar, not the notebook widget

            self.bar = tqdm(total=self.total, desc=desc, file=sys.stdout, leave=False, dynamic_ncols=True)

    def __iter__(self):
        import time

        start = time.perf_counter()
        try:
            for item in self.iterable:
                self.done += 1  # counted when handed out: a loop that breaks after its body still counts it
                if self.bar is not None:
                    self.bar.update(1)
                yield item
        finally:
            self.close(time.perf_counter() - start)

    def close(self, seconds=None):
        """Close the live bar (if any) and print the run's one line."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if not self.silent and seconds is not None:
            self.silent = True  # one line per run, even if close is called twice
            if self.total is not None:
                line = tr("{desc}: {done}/{total} steps in {seconds:.1f} s", desc=self.desc, done=self.done,
                          total=self.total, seconds=seconds)
            else:
                line = tr("{desc}: {done} steps in {seconds:.1f} s", desc=self.desc, done=self.done, seconds=seconds)
            print(line, flush=True)


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
