"""Who hears a check's verdict: the learner's `check_<exercise>` call announces it here when it is over.

`course_lib.progress` listens (it keeps the learner's progress record). The check framework imports this module
and nothing of the listeners, so the checks never depend on what hears them, and a listener that fails never
changes a verdict.
"""
LISTENERS = []  # callables (exercise, passed, mistake): the mistake is the English name of the catalog mistake named


def listen(listener):
    """Hear every verdict from now on (once, however often it is added); returns `listener`."""
    if listener not in LISTENERS:
        LISTENERS.append(listener)
    return listener


def announce(exercise: str, passed: bool, mistake: str | None = None):
    """Tell every listener that the learner's check of `exercise` passed, or failed naming `mistake`. Never raises."""
    for listener in list(LISTENERS):
        try:
            listener(exercise, passed, mistake)
        except Exception:  # noqa: BLE001 - what hears a verdict never changes it
            pass
