"""Grading on a Dask cluster: `python -m autograde grade SUBMISSIONS --dask ADDRESS` (or `--dask local:N`).

The unit of work is the local process pool's: one task per submission (and per canary), the same function
(`grade.execute`) on the same arguments, each worker process set up once by the same initializer
(`grade._start_worker`: its scratch course folder, the confined kernel and hidden-test worker, the same limits).
`DaskPool` stands where `grade` would put its `ProcessPoolExecutor`, so everything around the pool is the local
grader's own: the canary of each assignment first, then the submissions; a task whose worker died is graded once
more, then recorded as a grader fault; the coordinator alone records scores in the gradebook and writes the log.

What travels to a worker: the task (the submission's record: student, assignment, path; the limits; the
initializer's arguments) and the function's name; what comes back: the executed notebook's text, the verdicts
and the notes. The workers read the course folder and the submissions by their paths (a shared file system, at
the same path on every machine) and run the course's code as installed on them (the same wheel or environment
as the coordinator). Local grading never imports this module, nor Dask.
"""

from __future__ import annotations

import logging
from concurrent.futures.process import BrokenProcessPool

_ready = None  # on a worker: the initializer arguments this process was set up with


def _on_worker(initializer, initargs, fn, *args):
    """Run on a Dask worker: set this worker process up once (as the pool's initializer does), then the task."""
    global _ready
    key = repr(initargs)
    if _ready != key:
        initializer(*initargs)
        _ready = key
    return fn(*args)


class _Task:
    """A Dask future read as a process pool's: a worker that died raises `BrokenProcessPool`."""

    def __init__(self, future):
        self.future = future

    def result(self):
        from distributed import KilledWorker

        try:
            return self.future.result()
        except KilledWorker as error:
            raise BrokenProcessPool(f"the Dask worker died while grading it ({error})") from None


class DaskPool:
    """The process pool's interface (`submit`, a context manager) on a Dask client; made by `executor`."""

    def __init__(self, client, max_workers=None, mp_context=None, initializer=None, initargs=()):
        self.client, self.initializer, self.initargs = client, initializer, initargs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        # pure=False: a resubmission after a worker died is a new task, never the cached failure
        return _Task(self.client.submit(_on_worker, self.initializer, self.initargs, fn, *args, pure=False))


def connect(address):
    """A Dask client: on the scheduler at `address` (tcp://host:8786), or on a LocalCluster of N worker processes
    for `local:N`. A worker that dies fails its task at once (allowed-failures 0): `grade` grades it once more
    itself, then records a grader fault, as with the local pool. Returns (client, what to close after)."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set({"distributed.scheduler.allowed-failures": 0})
    logging.getLogger("distributed").setLevel(logging.ERROR)  # a worker stopped at the end is no news
    if address.startswith("local:"):
        try:
            workers = int(address.split(":", 1)[1])
        except ValueError:
            raise SystemExit(f"error: --dask {address}: write local:N with N the number of worker processes") from None
        # One task at a time per process, as the local pool; no memory limit of Dask's own: the grader's limits
        # confine each kernel, and Dask would restart a worker whose kernels it counted.
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=0,
                               dashboard_address=None)
        client = Client(cluster)
        return client, [client, cluster]
    try:
        client = Client(address, timeout="30s")
    except OSError as error:
        raise SystemExit(f"error: cannot reach the Dask scheduler at {address}: {error}") from None
    return client, [client]


def executor(address):
    """(a factory `grade` calls as it would call ProcessPoolExecutor, a function that closes the connection)."""
    client, opened = connect(address)

    def make(**kwargs):
        return DaskPool(client, **kwargs)

    def close():
        for thing in opened:
            thing.close()

    return make, close
