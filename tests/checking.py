"""What the tests of the checks share: the grader's former hidden test (`VERIFY`), and one way to say "this
implementation is rejected, and the message names its mistake" (`assert_rejected`)."""
import runpy

import pytest

import course_lib

# `course_lib.checks._trusted.verify` as the grader's worker loaded it: from its file alone, with a private copy of
# course_lib (so a test's own imports of course_lib do not reach it). Loaded once per test process.
VERIFY = runpy.run_path(course_lib.__path__[0] + "/checks/_trusted.py")["verify"]


def assert_rejected(check, *args, names=(), match=None, **kwargs):
    """Assert that `check(*args, **kwargs)` rejects what it is given: it raises AssertionError, whose message holds
    each of `names` word for word (one string or several) and, where `match` is given, matches that regular
    expression. Returns the AssertionError, for what a test asserts besides."""
    __tracebackhide__ = True
    names = (names,) if isinstance(names, str) else tuple(names)
    with pytest.raises(AssertionError, match=match) as failure:
        check(*args, **kwargs)
    message = str(failure.value)
    missing = [name for name in names if name not in message]
    assert not missing, f"rejected, but the message does not name {missing}:\n{message}"
    return failure.value
