"""The local backend: a pool of `jobs` worker processes on this machine (spawned, so each starts clean)."""

from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import get_context

from autograde.backends import Told


class _Workers:
    def __init__(self, jobs, start, run, setup, place):
        self.jobs, self.start, self.run, self.args = jobs, start, run, (setup, place)
        self.pool = self._new()

    def _new(self):
        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=get_context("spawn"), initializer=self.start,
                                   initargs=self.args)

    def submit(self, task):
        return Told(self.pool.submit(self.run, task), BrokenProcessPool, "the grader's worker process")

    def restart(self):
        self.pool.shutdown(wait=True)
        self.pool = self._new()


class Backend:
    def __init__(self, arg="", jobs=1):
        if arg:
            raise SystemExit(f"error: the local backend takes no address (local:{arg}); use --jobs N")
        self.jobs = max(1, jobs)

    @contextmanager
    def workers(self, start, run, setup, place):
        workers = _Workers(self.jobs, start, run, setup, place)
        try:
            yield workers
        finally:
            workers.pool.shutdown(wait=True)

    def close(self):
        pass
