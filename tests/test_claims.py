"""Every comparison that notebooks 06 and 07 print agrees with the numbers printed beside it, on a machine kept
busy by two extra processes and on one without them.

The test calls the experiment functions the notebooks call, with the notebooks' lengths, sizes, learning rates
and seeds (only the time budgets of the timings, the longest training-throughput length, and the warm-up runs'
depth and length are cut so that the test stays short), then re-derives each verdict from the numbers with the
thresholds of `course_lib.experiments.claims`, the one place the notebooks read them from, and checks that the
printed sentence states that verdict and prints those numbers.
"""
import math
import re
import subprocess
import sys
import time

import pytest

from course_lib import solutions as S
from course_lib.experiments import claims as C
from course_lib.experiments import parallelism as P
from course_lib.experiments import training_deep_stacks as W
from course_lib.experiments.sequence_models import gradient_to_first_step

BUSY_LOOP = "while True: pass"


@pytest.fixture(params=["two busy processes", "no extra load"], scope="module")
def machine(request):
    """Start two Python busy loops (killed at the end) or none; yield which."""
    procs = []
    if request.param == "two busy processes":
        procs = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(2)]
        time.sleep(0.3)  # let them take the cores
    try:
        yield request.param
    finally:
        for p in procs:
            p.kill()
            p.wait()


def _separated(fast, slow):
    """The definition the notebooks promise: middle halves apart and medians MIN_RATIO apart."""
    return fast.high < slow.low and slow.median >= C.MIN_RATIO * fast.median


def _expected(a, b):
    return "faster" if _separated(a, b) else "slower" if _separated(b, a) else "inconclusive"


def _spans_in(text):
    """'faster at T = 16-64, slower at T = 128' -> [('faster', 16, 64), ('slower', 128, 128)]."""
    return [(v, int(lo), int(hi or lo)) for v, lo, hi in
            re.findall(r"(faster|slower|inconclusive) at T = (\d+)(?:-(\d+))?", text)]


def _check_wall_time(lengths, times, load):
    statements = P.wall_time_claims(lengths, times, load, lambda T: S.attention_flops(T, 64))
    by_length = [c for c in statements if c.verdict == "by length"]
    assert len(by_length) == 4
    for claim in by_length:
        attention, other = claim.evidence["attention"], claim.evidence["other"]
        expected = [(T, _expected(a, o)) for T, a, o in zip(lengths, attention, other)]
        assert claim.evidence["pairs"] == expected, claim.text
        stated = {}
        for verdict, lo, hi in _spans_in(claim.text):
            for T in lengths:
                if lo <= T <= hi:
                    stated[T] = verdict
        assert stated == dict(expected), f"the sentence does not state the verdicts of its numbers: {claim.text}"
        crossing = re.search(r"cross between T = (\d+) and T = (\d+)", claim.text)
        if crossing:
            before, after = int(crossing.group(1)), int(crossing.group(2))
            assert dict(expected)[before] == "faster" and dict(expected)[after] == "slower", claim.text
    growth = next(c for c in statements if c.evidence.get("layer") == "attention")
    g, low, high = growth.evidence["growth"]
    work = growth.evidence["work growth"]
    first, last = times["attention"]["forward"][0], times["attention"]["forward"][-1]
    assert (g, low, high) == C.ratio_range(last, first)
    assert f"grew {g:.1f}x (range {low:.1f}-{high:.1f}x)" in growth.text and f"work grew {work:.0f}x" in growth.text
    if high < work / C.TREND_RATIO:
        assert growth.verdict == "less" and "far less than the work" in growth.text
    elif low > work / C.TREND_RATIO:
        assert growth.verdict == "as much" and "about as much as the work" in growth.text
    else:
        assert growth.verdict == "inconclusive" and "inconclusive" in growth.text
    if growth.verdict != "as much":
        assert "busy computing" not in growth.text
    return statements


def _check_fit(times, lengths, load):
    depth = {"RNN": lambda T: 3 * T + 6, "attention": lambda T: 18}
    fitted = P.fit_cost_model(
        work=[S.rnn_flops(T, 64) for T in lengths] + [S.attention_flops(T, 64) for T in lengths],
        depth=[depth["RNN"](T) for T in lengths] + [depth["attention"](T) for T in lengths],
        seconds=P.medians(times["RNN"]["forward"]) + P.medians(times["attention"]["forward"]), cores=2)
    claim = P.fit_claim(fitted, load)
    error = fitted["relative error"]
    assert f"{error:.0%}" in claim.text
    if error <= C.GOOD_FIT:
        assert claim.verdict == "good" and "explains" in claim.text
    else:
        assert claim.verdict == "poor" and "explains" not in claim.text and "poorly" in claim.text


def test_notebook_06_prints_only_what_its_timings_show(machine):
    lengths = P.TIME_LENGTHS
    assert lengths == (16, 32, 64, 128, 256, 512), "the notebook's lengths"
    load = C.measure_load()
    if machine == "two busy processes":
        assert load.busy and load.other_cores > C.BUSY_CORES, f"the busy loops do not show in the load: {load}"
    # Section 4: the notebook's lengths, width and choice of threads; a shorter time budget than the notebook's.
    threads, _, _ = C.choose_threads(2, load)
    if machine == "two busy processes":
        assert threads == 1, "on a busy machine the notebook times on one thread"
    times, load = P.time_layers(S.attention_all_positions, lengths, d_model=64, num_threads=threads, budget=1.0)
    assert all(len(t.samples) >= C.MIN_ROUNDS for modes in times.values() for ts in modes.values() for t in ts)
    table = P.time_table(lengths, times, "CPU, 2 threads")
    assert times["attention"]["forward"][-1].ms() in table  # the numbers the sentences rest on are printed
    _check_wall_time(lengths, times, load)
    _check_fit(times, lengths, load)

    # Section 3: the loop over queries against the batched computation.
    loop = P.loop_versus_batched(S.attention_all_positions, S.attention_one_query_at_a_time, S.graph_depth,
                                 T=256, repeats=C.MIN_REPEATS)
    claim = loop["claim"]
    assert claim.verdict == _expected(loop["batched"], loop["loop"])
    assert loop["batched"].ms() in claim.text and loop["loop"].ms() in claim.text
    assert ("takes" in claim.text) == (claim.verdict == "faster")
    assert loop["operations"]["loop"] >= 256 > 10 * loop["operations"]["batched"]  # operations per query vs in all

    # Section 7: the fused kernel, and the training throughput's trend.
    fused, fused_load = P.time_fused(S.attention_all_positions, P.FUSED_LENGTHS, budget=0.5, num_threads=threads)
    for claim in P.fused_claims(P.FUSED_LENGTHS, fused, fused_load):
        assert claim.verdict == _expected(claim.evidence["fused"], claim.evidence["yours"]), claim.text
        if claim.verdict == "faster":
            assert "the fused kernel is" in claim.text and "x faster" in claim.text
        else:
            assert "x faster" not in claim.text
        assert claim.evidence["yours"].ms() in claim.text and claim.evidence["fused"].ms() in claim.text
    lengths = P.TRAIN_LENGTHS[:2]  # the notebook's first two: training steps at T = 512 cost seconds under load
    steps, train_load = P.training_throughput(S.attention_all_positions, lengths, budget=0.2, num_threads=threads)
    rows, trend = P.throughput_claims(lengths, steps, train_load)
    (r0, lo0, hi0), (r1, lo1, hi1) = (C.ratio_range(lstm, att) for lstm, att in
                                       ((steps["LSTM"][0], steps["attention"][0]),
                                        (steps["LSTM"][-1], steps["attention"][-1])))
    assert f"from {r0:.1f}x" in trend.text and f"to {r1:.1f}x" in trend.text
    if r0 >= C.TREND_RATIO * r1 and hi1 < lo0:
        assert trend.verdict == "falls" and "advantage falls" in trend.text
    elif r1 >= C.TREND_RATIO * r0 and lo1 > hi0:
        assert trend.verdict == "grows" and "advantage grows" in trend.text
    else:
        assert trend.verdict == "flat" and "no clear trend" in trend.text


def test_notebook_06_gradient_sentences_follow_the_orders_of_magnitude():
    T = 64  # the notebook's length
    curves = {"RNN": gradient_to_first_step("rnn", T), "LSTM": gradient_to_first_step("lstm", T),
              "self-attention (causal)": P.attention_gradient_to_first_step(S.attention_all_positions, T)}
    for claim in P.gradient_claims(curves, T - 1):
        a, b = (claim.evidence["falls"][name] for name in claim.evidence["pair"])
        da, db = math.log10(a), math.log10(b)
        if da >= C.SAME_DECAY * db and da - db >= 1:
            assert claim.verdict == "faster"
        elif db >= C.SAME_DECAY * da and db - da >= 1:
            assert claim.verdict == "slower"
        else:
            assert claim.verdict == "alike"
        if claim.evidence["pair"] == ("LSTM", "RNN"):
            assert f"{da:.1f} against {db:.1f}" in claim.text
            assert ("more slowly" in claim.text) == (claim.verdict == "slower")


def test_notebook_07_warmup_sentences_hold_for_every_seed_shown(machine):
    if machine != "two busy processes":
        pytest.skip("seeded single-thread training: the same numbers with or without load, run once")
    # The notebook's peak learning rates and seeds. Its 18 runs of a 12-layer stack take half a minute, so the
    # test trains a 2-layer stack for 12 steps: the sentences are built by the same function from the same kind
    # of numbers, and their agreement with those numbers is what this test checks.
    assert W.WARMUP_LRS == (2e-3, 5e-3, 2e-2) and W.WARMUP_SEEDS == (0, 1, 2)
    config = W.StackConfig(depth=2, d_model=32, num_heads=4, d_ff=64)
    runs = W.warmup_experiment(config, steps=12, warmup=3)
    rows, conclusion = W.warmup_claims(runs, steps=12, warmup=3)
    separating = []
    for claim in rows:
        lr = claim.evidence["lr"]
        with_w = [runs[s][0]["warm-up"][lr] for s in W.WARMUP_SEEDS]
        without = [runs[s][0]["no warm-up"][lr] for s in W.WARMUP_SEEDS]
        assert "(" + ", ".join(f"{x:.2f}" for x in with_w) + ")" in claim.text  # every seed's loss is printed
        assert "(" + ", ".join(f"{x:.2f}" for x in without) + ")" in claim.text
        for label, losses in (("warm-up", with_w), ("no warm-up", without)):
            learned = [x < C.FAILED_LOSS for x in losses]
            assert claim.evidence["outcome"][label] == ("learns" if all(learned) else "fails" if not any(learned)
                                                        else "mixed")
        lower_with = all(w + C.LOSS_GAP <= n for w, n in zip(with_w, without))
        lower_without = all(n + C.LOSS_GAP <= w for w, n in zip(with_w, without))
        assert claim.verdict == ("warm-up" if lower_with else "no warm-up" if lower_without else "neither")
        assert ("no warm-up ends lower for every seed" in claim.text) == lower_without
        assert ("Warm-up ends lower for every seed" in claim.text) == lower_with
        if all(w < C.FAILED_LOSS for w in with_w) and all(n >= C.FAILED_LOSS for n in without):
            separating.append(lr)
    assert conclusion.evidence["separating"] == separating
    assert ("Warm-up decides it" in conclusion.text) == bool(separating)


def test_warmup_sentences_on_made_up_losses_name_each_case():
    """The branches the notebook's own runs may not reach: mixed seeds, and a run still falling."""
    curve_falling = [2.5 - 0.005 * i for i in range(80)]  # ends near 2.1: still falling
    curve_flat = [2.31] * 80

    def run(w, n, falling=False):
        return ({"warm-up": {1e-3: w}, "no warm-up": {1e-3: n}},
                {("warm-up", 1e-3): curve_flat, ("no warm-up", 1e-3): curve_falling if falling else curve_flat})

    runs = {0: run(0.5, 2.3, falling=True), 1: run(0.6, 1.0)}
    rows, conclusion = W.warmup_claims(runs, steps=80, warmup=20)
    assert rows[0].evidence["outcome"] == {"warm-up": "learns", "no warm-up": "mixed"}
    assert "learns for 1 of 2 seeds" in rows[0].text and "still falling at step 80" in rows[0].text
    assert conclusion.verdict == "no separation"


def test_the_thresholds_live_in_one_place_that_the_notebooks_read():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for stem in ("06_parallelism", "07_training_deep_stacks", "08_transformer", "09_gpt"):
        source = (root / "notebooks" / "src" / f"{stem}.py").read_text()
        assert re.search(r"from course_lib.experiments import \(?\s*claims", source), stem
    for number in ("1.2", "1.5", "0.25", "2.2"):
        assert re.search(rf"^[A-Z_]+ = {re.escape(number)}\b", (root / "course_lib/experiments/claims.py").read_text(),
                         re.M), number


def test_notebook_09_times_the_generate_that_ran_and_sees_when_it_ignores_the_cache():
    """09's cache cells drive the learner's generate through a recorder; a generate that re-reads the whole
    sequence with use_cache=True is seen, so 'identical' and the speed-up are never credited to a cache."""
    import torch

    from course_lib.experiments import gpt as G

    torch.manual_seed(0)
    model = S.GPT(11, 20, 16, 2, 1, 32).eval()

    def no_cache_generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True, generator=None):
        for _ in range(max_new_tokens):
            logits, _ = model(idx)  # the whole sequence every step, whatever use_cache says
            idx = torch.cat([idx, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        return idx

    run = G.generate_per_token(model, S.generate, 8, use_cache=True, repeats=2)
    assert G.uses_cache(run["fed"]) and len(run["seconds"]) == 8 and run["total"].median > 0
    run = G.generate_per_token(model, no_cache_generate, 8, use_cache=True, repeats=2)
    assert not G.uses_cache(run["fed"]) and run["fed"] == list(range(1, 9))
    recorder = G.CallRecorder(model)
    assert recorder.max_len == model.max_len and recorder.head is model.head  # generate sees the same model


def test_notebook_06_work_sentences_follow_the_formulas():
    lengths, D = (16, 64, 256), 64  # the notebook's
    statements = P.work_claims(S.rnn_flops, S.attention_flops, lengths, D, "your formulas")
    for claim, T in zip(statements, lengths):
        assert f"{S.attention_flops(T, D) / S.rnn_flops(T, D):4.1f}x" in claim.text
    least = min(S.attention_flops(T, D) / S.rnn_flops(T, D) for T in range(1, 8 * D + 1))
    assert statements[-1].evidence["least ratio"] == least and f"at least {least:.1f}x" in statements[-1].text
    assert least > 1 and "favours the recurrence" not in statements[-1].text  # attention does more work throughout
