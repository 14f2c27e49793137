"""The inline backend: every task in this process, one after another. For tests and debugging (a breakpoint in
the worker's code stops here), not for a class: a submission that kills its worker kills this process."""

from contextlib import contextmanager


class _Done:
    def __init__(self, call):
        try:
            self.value, self.error = call(), None
        except Exception as error:  # noqa: BLE001 - raised where a pool's future raises it: at result()
            self.value, self.error = None, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


class _Workers:
    def __init__(self, start, run, setup, place):
        self.start, self.run, self.args = start, run, (setup, place)

    def submit(self, task):
        return _Done(lambda: self._run(task))

    def _run(self, task):
        self.start(*self.args)  # sets this process up the first time, and for a new setup only
        return self.run(task)

    def restart(self):
        pass


class Backend:
    def __init__(self, arg="", jobs=1):
        pass

    @contextmanager
    def workers(self, start, run, setup, place):
        yield _Workers(start, run, setup, place)

    def close(self):
        pass
