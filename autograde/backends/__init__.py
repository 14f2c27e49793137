"""Where grading jobs run: a backend is one module here and one line in `BACKENDS`.

A backend runs two functions it knows nothing about, handed to it by `grade`: `start(setup, place)` once in each
worker process (per `setup.key`), then `run(task)` for each task, returning plain data. Setup and task carry
everything a worker reads (`autograde.engine.worker`), so a backend needs no file system shared with the
coordinator. Its module defines `Backend(arg, jobs)` with `workers(start, run, setup, place)`, a context manager
giving an object with `submit(task)` (a future whose `result()` raises `JobDied` when the worker process died
under it) and `restart()` (fresh workers after a death); and `close()`. `place` is where a worker on this machine
may write; a backend whose workers are elsewhere gives them a folder of their own.
"""

import importlib

BACKENDS = {  # name: (its module, what `grade --help` says of it)
    "local": ("autograde.backends.local", "local (this machine's worker processes, --jobs of them; the default)"),
    "dask": ("autograde.backends.dask", "dask:ADDRESS on a Dask cluster (its scheduler's address, tcp://HOST:8786), "
                                        "or dask:local:N on a local Dask cluster of N worker processes"),
    "inline": ("autograde.backends.inline", "inline (in this process, one after another: for tests and debugging)"),
}


def described():
    """The backends, as `grade --backend`'s help lists them."""
    return ", ".join(said for _, said in BACKENDS.values())


class JobDied(Exception):
    """The process grading a task (a grading job) died, killed or out of memory: `grade` runs the task once more.
    (Not `verdict.WorkerDied`: that is the hidden-test worker a job starts.)"""


class Told:
    """A backend's future whose `result()` raises JobDied, saying `what` died, where the backend's own future
    raises one of `deaths` (its way of saying that the worker process died under the task)."""

    def __init__(self, future, deaths, what):
        self.future, self.deaths, self.what = future, deaths, what

    def result(self):
        try:
            return self.future.result()
        except self.deaths as error:
            raise JobDied(f"{self.what} died while grading it ({error})") from None


def open_backend(spec="local", jobs=1):
    """The backend `spec` names: `local`, `inline`, `dask:ADDRESS` (see `BACKENDS`)."""
    name, _, arg = (spec or "local").partition(":")
    if name not in BACKENDS:
        raise SystemExit(f"error: no grading backend named {name!r}; the backends are: {', '.join(BACKENDS)}")
    # A backend's module is imported only when it is chosen: Dask's takes about a second to import.
    return importlib.import_module(BACKENDS[name][0]).Backend(arg, jobs)
