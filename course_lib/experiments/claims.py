"""Sentences that notebooks print from their measurements: the thresholds in one place, timings with their
spread, and what else was using the machine while they ran.

A notebook that says "attention is faster" must be able to back it on the learner's laptop, busy or idle. So:

* every wall time is repeated and kept as a `Timing`: the median and the range of the middle half of its runs;
* two timings count as different only when their ranges do not overlap **and** their medians differ by at least
  `MIN_RATIO`; otherwise the sentence says the comparison is inconclusive on this machine, and why;
* every timed experiment is run inside `watch_load()`, which measures how many cores other work kept busy
  meanwhile; the notebooks print it beside the times and repeat more when the machine is busy;
* a fitted model is called good only within `GOOD_FIT`, a trend only beyond `TREND_RATIO`.

The thresholds below are the only ones the notebooks' sentences use; `tests/test_claims.py` reads them too.
"""
import math
import os
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..i18n import tr

# -- the thresholds, each with its reason ----------------------------------------------------------------------
MIN_RATIO = 1.2  # two timings differ when their medians differ by 20 % or more (and their ranges do not overlap):
#                  undisturbed, the middle half of the runs spans about 8 % either side of the median (measured on
#                  notebook 06's loop and batched attention), so 20 % is well outside it
TREND_RATIO = 1.5  # a ratio "falls" or "grows" along a series when its first and last values differ by 1.5x or more
#                    (and their ranges do not overlap): smaller drifts are within what a busy machine produces
GOOD_FIT = 0.25  # a fitted cost model "explains" the times when its relative rms error is at most 25 %; the times
#                  span two orders of magnitude, so a 25 % error still places every point on the right curve
SAME_DECAY = 1.25  # two exponential decays differ in speed when their decades per position differ by 25 % or more
BUSY_CORES = 0.5  # other work keeping more than half a core busy on average makes the machine "busy"
MIN_REPEATS = 5  # runs per timing on an idle machine: enough for a median and a range
BUSY_REPEATS = 9  # runs per timing on a busy machine: more runs, so the median still shows the layer's speed
MIN_ROUNDS = 3  # a time budget never cuts a timing below 3 runs: a median and a middle half need them
FAILED_LOSS = 2.2  # notebook 07's reversal task: above this final loss a run has not learned the order (ln 10 = 2.30
#                    is the digits' frequencies, ln 13 = 2.56 a uniform guess)
LOSS_GAP = 0.1  # notebook 07: one schedule "ends lower" when it does by 0.1 nats or more for every seed
EVEN_SPREAD = 1.5  # notebook 07: layers get "about the same gradient" when the largest is under 1.5x the smallest
STILL_FALLING = 0.05  # a loss curve is "still falling" when its last 20 steps' mean is 0.05 nats below the 20 before
HEAD_READS = 0.5  # notebook 08: a head "reads" the mirrored digit when it puts more than half its weight there,
#                   more than on all other source positions together
ACCURACY_POINTS = 0.1  # two accuracies (or gaps between them) differ when they differ by 10 points or more: an
#                        accuracy near 50 % on 200 sequences has a standard error of 3.5 points, a difference of two
#                        such accuracies 5 points, and 10 points is two of those


# -- the load ------------------------------------------------------------------------------------------------------
def _cpu_jiffies():
    """(busy, total) jiffies of all CPUs from /proc/stat, or None where there is no /proc (macOS, Windows)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def _own_cpu_seconds():
    t = os.times()
    return t.user + t.system


@dataclass
class Load:
    """How many cores other work kept busy while a measurement ran (this process's own work not counted)."""

    other_cores: float = 0.0
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    source: str = "/proc/stat"

    @property
    def busy(self):
        return self.other_cores > BUSY_CORES

    def __str__(self):
        if self.source == "/proc/stat":
            if self.busy:
                return tr("other work kept {other:.1f} of {cores} cores busy meanwhile (busy machine)",
                          other=self.other_cores, cores=self.cores)
            return tr("other work kept {other:.1f} of {cores} cores busy meanwhile (idle machine)",
                      other=self.other_cores, cores=self.cores)
        if self.busy:
            return tr("the load average says {other:.1f} of {cores} cores busy meanwhile (busy machine)",
                      other=self.other_cores, cores=self.cores)
        return tr("the load average says {other:.1f} of {cores} cores busy meanwhile (idle machine)",
                  other=self.other_cores, cores=self.cores)


class _LoadWatch:
    def __init__(self):
        self.load = Load()
        self._start = None

    def start(self):
        self._start = (_cpu_jiffies(), _own_cpu_seconds(), time.perf_counter(), os.getloadavg()[0]
                       if hasattr(os, "getloadavg") else 0.0)

    def stop(self):
        jiffies, own, wall, avg = self._start
        now_jiffies, now_own, now_wall = _cpu_jiffies(), _own_cpu_seconds(), time.perf_counter()
        elapsed = max(now_wall - wall, 1e-9)
        if jiffies is not None and now_jiffies is not None and now_jiffies[1] > jiffies[1]:
            cores = self.load.cores
            busy_share = (now_jiffies[0] - jiffies[0]) / (now_jiffies[1] - jiffies[1])  # of all cores
            others = busy_share * cores - (now_own - own) / elapsed
            self.load.other_cores = max(0.0, others)
        else:  # no /proc: the 1-minute load average, less this process's own thread
            after = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
            self.load.other_cores, self.load.source = max(0.0, max(avg, after) - 1.0), "load average"
        return self.load


def measure_load(seconds=0.2):
    """Other work's load over `seconds` while this process sleeps: a quick look before deciding how often to repeat."""
    watch = _LoadWatch()
    watch.start()
    time.sleep(seconds)
    return watch.stop()


@contextmanager
def watch_load():
    """`with watch_load() as load:` ... then `load` says how many cores other work kept busy during the block."""
    watch = _LoadWatch()
    watch.start()
    try:
        yield watch.load
    finally:
        watch.stop()


def repeats_for(load, idle=MIN_REPEATS, busy=BUSY_REPEATS):
    """How many runs a timing needs: more on a busy machine, so that the median and range mean something."""
    return busy if load.busy else idle


def choose_threads(wanted=2, load=None):
    """How many threads a timing should use, and why: `wanted` on an idle machine, one on a busy one.

    On a busy machine a multi-threaded operation waits for its slowest thread, and a thread that the system
    has put aside for other work holds everyone up: measured on a two-core laptop shared with other work, two
    threads took 17x longer than one on notebook 06's layers. So the times there would measure the scheduler.
    Returns (threads, reason, load).
    """
    load = load or measure_load()
    if not load.busy or wanted == 1:
        if wanted > 1:
            return wanted, tr("{count} threads ({load})", count=wanted, load=load), load
        return wanted, tr("{count} thread ({load})", count=wanted, load=load), load
    return 1, tr("1 thread, not {wanted}: {load}, and threads that wait for each other on a busy machine measure the "
                 "scheduler rather than the layer", wanted=wanted, load=load), load


# -- timings -------------------------------------------------------------------------------------------------------
@dataclass
class Timing:
    """The seconds of repeated runs of one thing: the median, and the range of the middle half of the runs.

    The range is the interquartile range (from the 25th to the 75th percentile), so one run that the system
    interrupted does not widen it, while a machine busy throughout does. `fastest` and `slowest` keep the extremes.
    """

    samples: list

    @property
    def median(self):
        return statistics.median(self.samples)

    def _quartiles(self):
        if len(self.samples) < 2:
            return self.samples[0], self.samples[0]
        q1, _, q3 = statistics.quantiles(self.samples, n=4, method="inclusive")
        return q1, q3

    @property
    def low(self):
        return self._quartiles()[0]

    @property
    def high(self):
        return self._quartiles()[1]

    @property
    def fastest(self):
        return min(self.samples)

    @property
    def slowest(self):
        return max(self.samples)

    def ms(self, digits=2):
        """'1.23 ms (1.10-1.52)': the median and the middle half of the runs, in milliseconds."""
        return f"{self.median * 1e3:.{digits}f} ms ({self.low * 1e3:.{digits}f}-{self.high * 1e3:.{digits}f})"


def time_runs(fn, repeats, warmup=1, sync=None, budget=None):
    """`fn()` run `warmup` times untimed then `repeats` times timed: a `Timing`. `sync()` (e.g.
    torch.cuda.synchronize) is called before each clock reading, so that a GPU's queued work is counted. With a
    `budget` in seconds, timing stops early once it is spent (after at least MIN_ROUNDS runs)."""
    for _ in range(warmup):
        fn()
    samples, begin = [], time.perf_counter()
    for _ in range(repeats):
        if budget is not None and len(samples) >= MIN_ROUNDS and time.perf_counter() - begin > budget:
            break
        if sync:
            sync()
        start = time.perf_counter()
        fn()
        if sync:
            sync()
        samples.append(time.perf_counter() - start)
    return Timing(samples)


def ratio_range(slow: Timing, fast: Timing):
    """slow / fast: the ratio of the medians, and the smallest and largest ratio the ranges allow."""
    return slow.median / fast.median, slow.low / fast.high, slow.high / fast.low


def compare(a: Timing, b: Timing, min_ratio=MIN_RATIO):
    """'faster' if `a` is faster than `b` beyond the noise, 'slower' if slower, 'inconclusive' otherwise.

    Faster means: the middle halves of the runs do not overlap (a's is entirely below b's) and the medians
    differ by at least `min_ratio`.
    """
    if a.high < b.low and b.median >= min_ratio * a.median:
        return "faster"
    if b.high < a.low and a.median >= min_ratio * b.median:
        return "slower"
    return "inconclusive"


def trend(first, last, first_range=None, last_range=None, ratio=TREND_RATIO):
    """'grows', 'falls' or 'flat' for a quantity going from `first` to `last`. With ranges (low, high), the
    change counts only when the ranges do not overlap."""
    separated_up = first_range is None or last_range is None or last_range[0] > first_range[1]
    separated_down = first_range is None or last_range is None or last_range[1] < first_range[0]
    if last >= ratio * first and separated_up:
        return "grows"
    if first >= ratio * last and separated_down:
        return "falls"
    return "flat"


def fit_is_good(relative_error, limit=GOOD_FIT):
    return relative_error <= limit


def decay_speed(fall_a, fall_b, limit=SAME_DECAY):
    """'faster', 'slower' or 'alike': does a signal that fell `fall_a`-fold fall faster than one that fell
    `fall_b`-fold over the same distance? Compared in decades (orders of magnitude), the slope of a log plot."""
    da, db = math.log10(max(fall_a, 1.0)), math.log10(max(fall_b, 1.0))
    if da >= limit * max(db, 1e-12) and da - db >= 1.0:
        return "faster"
    if db >= limit * max(da, 1e-12) and db - da >= 1.0:
        return "slower"
    return "alike"


def why_inconclusive(load):
    """The reason an inconclusive comparison gives: the machine's load, or the noise of runs this short."""
    if load.busy:
        return tr("other work used {other:.1f} of the {cores} cores while this ran, so the runs vary more than the "
                  "difference", other=load.other_cores, cores=load.cores)
    return tr("the runs vary more than the difference, even on this idle machine: the difference is too small to tell")


@dataclass
class Claim:
    """A sentence a notebook prints, the verdict it states, and the numbers it rests on (read by the tests)."""

    text: str
    verdict: str
    evidence: dict = field(default_factory=dict)

    def __str__(self):
        return self.text
