"""Grading on a Dask cluster: `python -m autograde grade SUBMISSIONS --backend dask:ADDRESS` (or `dask:local:N`;
`--dask ADDRESS` is the same).

The unit of work is the local backend's: one task per submission (and per canary), the same two functions of
`autograde.engine.worker`. The setup (the assignments' notebooks, the gradebook's structure, the limits) is sent
to the workers once, each task carries its notebook's bytes, and a result comes back as plain data;
the workers never read the course folder or the submissions, so they need no shared file system. Each worker
writes in its own local directory (Dask's `--local-directory`): its scratch course folder and the packages its
hidden-test workers run on, built from the course code installed on it (the same version as the coordinator's,
or every task is a grader fault saying so). A worker that dies fails its task at once (allowed-failures 0):
`grade` runs it once more, then records a grader fault, as with the local pool.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import dask
from distributed import Client, KilledWorker, LocalCluster, get_worker

from autograde.backends import Told


def _on_worker(start, run, setup, task):
    """Run on a Dask worker: set this worker process up once for `setup`, in its own local directory; then the task."""
    start(setup, Path(get_worker().local_directory) / "autograde")
    return run(task)


def _given(setup):
    return setup


class _Workers:
    def __init__(self, client, start, run, setup):
        self.client, self.start, self.run = client, start, run
        # Sent once, not with every task; as a task's result, not scattered: the scheduler computes it again where
        # a worker that held it died (scattered data would be lost with it).
        self.setup = client.submit(_given, setup, pure=False)

    def submit(self, task):
        # pure=False: a resubmission after a worker died is a new task, never the cached failure
        return Told(self.client.submit(_on_worker, self.start, self.run, self.setup, task, pure=False), KilledWorker,
                    "the Dask worker")

    def restart(self):
        pass  # Dask's nanny restarts a dead worker; the setup is computed again if it was lost with it


class Backend:
    """On the scheduler at ADDRESS (tcp://host:8786), or on a LocalCluster of N worker processes (`local:N`)."""

    def __init__(self, address, jobs=1):
        if not address:
            raise SystemExit("error: the dask backend needs an address: dask:tcp://HOST:8786 or dask:local:N")
        self.client, self.opened = connect(address)

    @contextmanager
    def workers(self, start, run, setup, place):
        yield _Workers(self.client, start, run, setup)

    def close(self):
        for thing in self.opened:
            thing.close()


def connect(address):
    """A Dask client: on the scheduler at `address`, or on a LocalCluster of N worker processes for `local:N`.
    Returns (client, what to close after)."""
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
