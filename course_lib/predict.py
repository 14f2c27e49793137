"""Predict, then run: questions a learner answers before a measurement, and the comparison after it.

Before a measured section a notebook asks a question (`QUESTIONS[id]`): a choice among a few answers, or a
number. The learner writes a prediction in a cell of their own (`my_prediction_<name> = None` until they do).
After the measurement, `compare(id, prediction, **measured)` prints what was measured, whether the prediction
matched it, and one or two sentences chosen by the numbers (every threshold is stated in the text it prints).

Nothing here is graded, and nothing here raises: an unanswered question says so, an answer that is not one of
the choices says which answers it expected, and a measurement that cannot decide (a run shrunk by the grader,
say) says what it measured. Every sentence goes through `course_lib.i18n.tr`; the Chinese texts are in
`course_lib/zh/predict.py`. Each answered or unanswered comparison is noted in the learner's progress record
(`course_lib.progress.record_prediction`), which records nothing while a notebook is graded.
"""
import math
import re
from dataclasses import dataclass, field
from typing import Callable

from .i18n import speaking, tr

RIGHT, WRONG, UNANSWERED, INVALID, UNDECIDED = "right", "wrong", "unanswered", "invalid", "undecided"


@dataclass(frozen=True)
class Question:
    """One predict-then-run question: its words, its answers and how the measurement decides it.

    `text` and each of `choices` (letter -> answer) are functions that return the words in the current language
    (each a `tr(...)` of its English, so that the translation tests find them); a question without choices asks for a
    number, right when within a factor `tolerance` of the measured one. `decide(m)` returns the right letter (or
    the measured number) from the measured values `m`, or None when they cannot decide; `explain(m)` returns the
    sentences (already in the current language) that say what was measured and why, chosen by the numbers.
    """

    id: str
    notebook: str
    variable: str
    text: Callable  # () -> the question, in the current language
    decide: Callable
    explain: Callable
    choices: dict = field(default_factory=dict)  # letter -> () -> the answer, in the current language
    tolerance: float = 2.0
    example: str = ""  # for a number question: an example answer shown in the cell's comment

    @property
    def kind(self) -> str:
        return "choice" if self.choices else "number"


@dataclass(frozen=True)
class Verdict:
    """What `compare` found: `status` is one of right, wrong, unanswered, invalid, undecided."""

    question: str
    status: str
    text: str  # what `compare` prints, in the current language

    @property
    def answered(self) -> bool:
        return self.status in (RIGHT, WRONG, UNDECIDED)


QUESTIONS: dict = {}


def _ask(*args, **kwargs):
    question = Question(*args, **kwargs)
    if question.id in QUESTIONS:
        raise ValueError(f"two questions named {question.id!r}")
    QUESTIONS[question.id] = question
    return question


def questions_of(notebook: str) -> list:
    """The questions of one notebook (its stem, "03_self_attention"), in the order they are asked."""
    return [q for q in QUESTIONS.values() if q.notebook == notebook]


def _f(x, digits=2):
    return f"{x:.{digits}f}"


def _e(x):
    return f"{x:.1e}"


def _ratio(a, b):
    """a / b; infinite when only b is 0, and 1 when both are."""
    if b == 0:
        return math.inf if a > 0 else 1.0
    return a / b


# -- 01 sequence models ----------------------------------------------------------------------------------------
# measured: curves = the gradient norms of section 5, in its order (RNN, LSTM with PyTorch's init, forget bias 1,
# forget bias 3), each indexed by the step of the loss; steps = the farthest step
def _fading(m, model):
    return m["curves"][model][m["steps"]] / m["curves"][model][0]


def _decide_lstm_gradient(m):
    kept = _fading(m, 1)
    return None if kept != kept else "a" if kept > 0.1 else "b" if kept >= 1e-10 else "c"


def _explain_lstm_gradient(m):
    kept = _fading(m, 1)
    text = tr("Measured: from {steps} steps away the LSTM with PyTorch's initialisation kept {lstm} of the gradient, "
              "the RNN {rnn}, the LSTM with forget bias 3 {bias3} (the thresholds are 0.1 and 1e-10).",
              steps=m["steps"], lstm=_e(kept), rnn=_e(_fading(m, 0)), bias3=_e(_fading(m, 3)))
    if kept < 0.1:
        return text + " " + tr("Gates alone do not save the gradient: a forget gate near 0.5 about halves it at "
                               "every step, and 0.5^{steps} is {power}. Only a forget gate near 1 (bias 3) keeps it.",
                               steps=m["steps"], power=_e(0.5 ** m["steps"]))
    return text + " " + tr("Here the LSTM's cell path carried the gradient back with little loss.")


_ask("01.lstm_gradient", "01_sequence_models", "my_prediction_lstm_gradient",
     lambda: tr("The LSTM was designed against fading memory. With PyTorch's own initialisation (forget gate near "
                "0.5), how large is the gradient reaching `x_0` from a loss 99 steps later, relative to the one from "
                "a loss at step 0?"),
     choices={"a": lambda: tr("above 0.1: the LSTM keeps most of it"),
              "b": lambda: tr("between 1e-10 and 0.1: it fades, but moderately"),
              "c": lambda: tr("below 1e-10: it vanishes, as in the plain RNN")},
     decide=_decide_lstm_gradient, explain=_explain_lstm_gradient)


# measured: ks = the lengths k of section 6, accuracy = {"rnn": [...], "lstm": [...]}, one per k
def _decide_recall(m):
    rnn, lstm = m["accuracy"]["rnn"][-1] > 0.9, m["accuracy"]["lstm"][-1] > 0.9
    return {(True, True): "a", (False, True): "b", (True, False): "c", (False, False): "d"}[(rnn, lstm)]


def _explain_recall(m):
    k, rnn, lstm = m["ks"][-1], m["accuracy"]["rnn"][-1], m["accuracy"]["lstm"][-1]
    text = tr("Measured at k = {k}: the RNN {rnn}, the LSTM {lstm} (chance is {chance}; the threshold is 90%).",
              k=k, rnn=f"{rnn:.0%}", lstm=f"{lstm:.0%}", chance=f"{1 / 8:.1%}")
    if rnn <= 0.9 and lstm <= 0.9:
        return text + " " + tr("A gradient that survives at initialisation is a promise, not a result: picking out "
                               "the one symbol that matters among {k} steps of noise was too hard for both within "
                               "this training budget.", k=k)
    if lstm > 0.9 >= rnn:
        return text + " " + tr("The LSTM's cell path turned the surviving gradient into learning, where the RNN's "
                               "gradient had faded.")
    return text + " " + tr("At this length the dependency was short enough for the model(s) above 90% to learn it.")


_ask("01.recall", "01_sequence_models", "my_prediction_recall",
     lambda: tr("Section 5 showed the gradient of the LSTM with forget bias 3 surviving 99 steps. Trained with the "
                "same budget on the recall task, which models name the symbol seen `k = 128` steps earlier (the "
                "longest `k`) correctly more than 90% of the time?"),
     choices={"a": lambda: tr("both"), "b": lambda: tr("only the LSTM"), "c": lambda: tr("only the RNN"),
              "d": lambda: tr("neither")},
     decide=_decide_recall, explain=_explain_recall)


# -- 02 classic attention --------------------------------------------------------------------------------------
# measured: without = the score of the model without attention (its step_accuracy, one per output step)
def _thirds(m):
    steps = [float(a) for a in m["without"].step_accuracy]
    n = len(steps)
    parts = [steps[: n // 3], steps[n // 3: n - n // 3], steps[n - n // 3:]]
    return [sum(p) / len(p) for p in parts]


def _decide_steps(m):
    thirds = _thirds(m)
    best, second = sorted(thirds, reverse=True)[:2]
    return "abc"[thirds.index(best)] if best - second >= 0.1 else "d"


def _explain_steps(m):
    first, middle, last = _thirds(m)
    text = tr("Measured without attention, share of digits right: {first} over the first third of the output steps, "
              "{middle} over the middle third, {last} over the last third (a third stands out when it leads the "
              "next by 0.1 or more).", first=f"{first:.0%}", middle=f"{middle:.0%}", last=f"{last:.0%}")
    if _decide_steps(m) == "a":
        return text + " " + tr("The first outputs copy the last source digits, the ones the forward GRU read just "
                               "before the summary was taken; every later output has to be recovered from the same "
                               "fixed-size vector, and that is where the mistakes are.")
    return text + " " + tr("The summary kept some digits better than others: the steps that copy the digits it kept "
                           "least are where the bottleneck shows.")


_ask("02.steps", "02_classic_attention", "my_prediction_steps",
     lambda: tr("Without attention, the decoder knows the source only through the encoder's summary. Reversing 12 "
                "digits, which output steps will it get right most often?"),
     choices={"a": lambda: tr("the first ones (they copy the last source digits)"),
              "b": lambda: tr("the middle ones"),
              "c": lambda: tr("the last ones (they copy the first source digits)"),
              "d": lambda: tr("no third of the steps stands out")},
     decide=_decide_steps, explain=_explain_steps)


# measured: with_attention = the score of the model with attention (mass_on_source, mass_near_source, ...)
def _decide_alignment(m):
    mass = float(m["with_attention"].mass_on_source)
    return "a" if mass < 0.2 else "b" if mass <= 0.8 else "c"


def _explain_alignment(m):
    score = m["with_attention"]
    text = tr("Measured: {on} of a step's attention on exactly the right source digit, {near} on it or a neighbour, "
              "with {digits} of the digits right (uniform attention: {uniform}; the thresholds are 0.2 and 0.8).",
              on=_f(float(score.mass_on_source)), near=_f(float(score.mass_near_source)),
              digits=f"{float(score.token_accuracy):.0%}", uniform=_f(1 / len(score.step_accuracy)))
    if float(score.mass_on_source) <= 0.8:
        return text + " " + tr("Getting every digit right does not need a one-hot alignment: a bidirectional state "
                               "also describes the digits beside it, so weight on a neighbour still carries the "
                               "right digit.")
    return text + " " + tr("The alignment is nearly one-hot: each step reads almost only the digit it copies.")


_ask("02.alignment", "02_classic_attention", "my_prediction_alignment",
     lambda: tr("The model with attention learned to reverse the digits. On average, what share of an output step's "
                "attention lands on exactly the source digit it copies?"),
     choices={"a": lambda: tr("below 0.2, close to uniform"),
              "b": lambda: tr("between 0.2 and 0.8"),
              "c": lambda: tr("above 0.8, nearly all of it")},
     decide=_decide_alignment, explain=_explain_alignment)


# -- 03 self-attention -----------------------------------------------------------------------------------------
# measured: widths, results = section 4's widths and {scaled: [(score std, largest weight, gradient norm), ...]}
def _unscaled(m, width):
    return m["results"][False][list(m["widths"]).index(width)]


def _decide_saturation(m):
    change = _unscaled(m, 512)[1] - _unscaled(m, 8)[1]
    return "c" if change >= 0.1 else "b" if change <= -0.1 else "a"


def _explain_saturation(m):
    narrow, wide = _unscaled(m, 8)[1], _unscaled(m, 512)[1]
    text = tr("Measured: the mean largest weight went from {w0} at d_k = 8 to {w1} at d_k = 512 (a change of 0.1 or "
              "more counts as moving; 1/16 = 0.06 is uniform).", w0=_f(narrow), w1=_f(wide))
    if wide - narrow >= 0.1:
        return text + " " + tr("The scores' spread grows like sqrt(d_k), 8-fold here, and the softmax of widely "
                               "spread scores gives almost everything to the largest one{onehot}.",
                               onehot=tr(": above 0.9, nearly one-hot") if wide > 0.9 else "")
    return text + " " + tr("The weights hardly moved: the scores did not spread out as expected here.")


_ask("03.saturation", "03_self_attention", "my_prediction_saturation",
     lambda: tr("Without the `1/sqrt(d_k)` scaling, with 16 keys and random queries and keys: when `d_k` grows "
                "64-fold, from 8 to 512, how does the mean largest attention weight of a query move?"),
     choices={"a": lambda: tr("it stays about the same (changes by less than 0.1)"),
              "b": lambda: tr("it falls toward the uniform 1/16"),
              "c": lambda: tr("it rises toward 1 (one-hot)")},
     decide=_decide_saturation, explain=_explain_saturation)


def _decide_gradient_fall(m):
    return _ratio(m["results"][False][0][2], m["results"][False][-1][2])


def _explain_gradient_fall(m):
    d0, d1 = m["widths"][0], m["widths"][-1]
    factor, root = _decide_gradient_fall(m), math.sqrt(d1 / d0)
    text = tr("Measured: the gradient fell from {g0} at d_k = {d0} to {g1} at d_k = {d1}, a factor {factor}; the "
              "scores' spread grew about sqrt({d1}/{d0}) = {root}-fold.", g0=_f(m["results"][False][0][2], 3),
              g1=_f(m["results"][False][-1][2], 3), d0=d0, d1=d1, factor=_f(factor, 1), root=_f(root, 0))
    if factor < root:
        return text + " " + tr("It falls more slowly than the scores spread: a saturated softmax still passes some "
                               "gradient to its largest score and its close rivals. Slow or not, it keeps falling "
                               "as the width grows, where the scaled scores keep it level.")
    return text + " " + tr("It falls at least as fast as the scores spread.")


_ask("03.gradient_fall", "03_self_attention", "my_prediction_gradient_fall",
     lambda: tr("Still without the scaling: by what factor does the gradient reaching the scores shrink from the "
                "narrowest width (`d_k = 2`) to the widest (`d_k = 2048`, 1024 times wider)? Answer with a number "
                "(1 means it does not shrink)."),
     decide=_decide_gradient_fall, explain=_explain_gradient_fall, example="100")


# -- 04 multi-head attention -----------------------------------------------------------------------------------
# measured: rows = section 7's rows (dicts with heads, parameters, projection FLOPs, attention FLOPs, ...)
def _decide_heads_cost(m):
    one, many = m["rows"][0], m["rows"][-1]
    flops = [row["projection FLOPs"] + row["attention FLOPs"] for row in (one, many)]
    ratios = [_ratio(many["parameters"], one["parameters"]), _ratio(flops[1], flops[0])]
    return "a" if max(ratios) > 1.5 else "c" if min(ratios) < 1 / 1.5 else "b"


def _explain_heads_cost(m):
    one, many = m["rows"][0], m["rows"][-1]
    text = tr("Measured for h = {h0} and h = {h1}: parameters {p0} and {p1}, FLOPs {f0} and {f1} (a ratio within "
              "1.5 counts as the same); the attention maps grew from {a0} to {a1} entries.",
              h0=one["heads"], h1=many["heads"], p0=f"{one['parameters']:,}", p1=f"{many['parameters']:,}",
              f0=f"{one['projection FLOPs'] + one['attention FLOPs']:,}",
              f1=f"{many['projection FLOPs'] + many['attention FLOPs']:,}",
              a0=f"{one['attention-map entries']:,}", a1=f"{many['attention-map entries']:,}")
    return text + " " + tr("Heads cut the same four D x D matrices into slices, and h heads of width D/h score "
                           "h·T·T·(D/h) = T·T·D, as one wide head does. Only the number of softmaxes and the maps "
                           "to store grow with h.")


_ask("04.heads_cost", "04_multi_head_attention", "my_prediction_heads_cost",
     lambda: tr("The same width `D = 64`, but 8 heads of width 8 instead of 1 head of width 64. Compared with one "
                "head, how many parameters and FLOPs does the layer have?"),
     choices={"a": lambda: tr("about 8 times as many"), "b": lambda: tr("the same"),
              "c": lambda: tr("about 8 times fewer")},
     decide=_decide_heads_cost, explain=_explain_heads_cost)


# measured: two, one = section 6's results of the 2-head and the 1-head model, steps = training steps
def _one_head_worst(m):
    one = m["one"]
    return min(one["accuracy previous"], one["accuracy first"])


def _decide_one_head(m):
    low = _one_head_worst(m)
    return "a" if low < 0.5 else "b" if low <= 0.95 else "c"


def _explain_one_head(m):
    one, two = m["one"], m["two"]
    text = tr("Measured after {steps} steps: the 1-head model was right on {previous} (t-1) and {first} (the first "
              "token), the 2-head model on {previous2} and {first2} (the thresholds are 50% and 95%).",
              steps=m["steps"], previous=f"{one['accuracy previous']:.1%}", first=f"{one['accuracy first']:.1%}",
              previous2=f"{two['accuracy previous']:.1%}", first2=f"{two['accuracy first']:.1%}")
    if _one_head_worst(m) > 0.95:
        return text + " " + tr("One softmax can spread its weight over two keys: the single head put about half on "
                               "each ({w_prev} and {w_first}) and the read-outs took both tokens from the mixture. "
                               "It works, less cleanly: its loss is {ratio} times the 2-head model's.",
                               w_prev=_f(one["heads"][0]["weight on previous"]),
                               w_first=_f(one["heads"][0]["weight on first"]),
                               ratio=_f(_ratio(one["loss"], two["loss"]), 0))
    return text + " " + tr("One softmax per query could not serve both relations well within this budget; two heads, "
                           "one per relation, could.")


_ask("04.one_head", "04_multi_head_attention", "my_prediction_one_head",
     lambda: tr("A single head has one softmax per query, and the task needs two positions read at once (`t-1` and "
                "`0`). After the same training, how well does the 1-head model of the same width do on the harder "
                "of the two relations?"),
     choices={"a": lambda: tr("it fails it: below 50% right"),
              "b": lambda: tr("partly: between 50% and 95% right"),
              "c": lambda: tr("it gets it: above 95% right")},
     decide=_decide_one_head, explain=_explain_one_head)


# -- 05 positional encoding ------------------------------------------------------------------------------------
# measured: pooled = the greatest |mean-pooled attn(x[perm]) - mean-pooled attn(x)| of section 1
def _explain_pooled(m):
    text = tr("Measured: the pooled vector changed by at most {gap} (the threshold is 1e-4; float32 rounding is "
              "about 1e-7).", gap=_e(float(m["pooled"])))
    if float(m["pooled"]) < 1e-4:
        return text + " " + tr("Each token gets the same output wherever it stands, only the rows move, and an "
                               "average does not care in which order its terms come: without positions the layer "
                               "sees a set, not a sequence.")
    return text + " " + tr("Something in this layer depends on the order: look for a position term or a mask.")


_ask("05.pooled", "05_positional_encoding", "my_prediction_pooled",
     lambda: tr("Shuffle the 10 tokens of a self-attention layer's input (no positions added), then average its "
                "outputs over the positions into one vector, as a sentence classifier would. How much does that "
                "vector change?"),
     choices={"a": lambda: tr("clearly (by more than 1e-4)"),
              "b": lambda: tr("not at all, up to float32 rounding (less than 1e-4)")},
     decide=lambda m: "b" if float(m["pooled"]) < 1e-4 else "a", explain=_explain_pooled)


# measured: accuracies = section 5's test accuracies in its order (no positions, sinusoidal, learned), steps
def _learned_minus_sinusoidal(m):
    accuracies = list(m["accuracies"])
    return accuracies[2] - accuracies[1]


def _explain_learned(m):
    none, sinusoidal, learned = list(m["accuracies"])
    text = tr("Measured after {steps} steps: no positions {none}, sinusoidal {sin}, learned {learned} (chance is "
              "50%; a difference of more than 2 points counts).", steps=m["steps"], none=f"{none:.1%}",
              sin=f"{sinusoidal:.1%}", learned=f"{learned:.1%}")
    gap = _learned_minus_sinusoidal(m)
    if abs(gap) <= 0.02:
        return text + " " + tr("Telling which of two markers comes first needs only a coarse sense of position, and "
                               "the steps were enough to learn one: the learned table caught up.")
    if gap < 0:
        return text + " " + tr("The table that knows positions from the start kept its lead within this budget.")
    return text + " " + tr("The learned table did better here: it could fit this task's positions directly.")


_ask("05.learned", "05_positional_encoding", "my_prediction_learned",
     lambda: tr("The learned embedding starts from random vectors and must learn what each position means within "
                "200 training steps; the sinusoidal table knows from the start. On the order task, how does the "
                "learned one's test accuracy compare with the sinusoidal one's?"),
     choices={"a": lambda: tr("clearly lower (more than 2 points below)"),
              "b": lambda: tr("about the same (within 2 points)"),
              "c": lambda: tr("clearly higher (more than 2 points above)")},
     decide=lambda m: (lambda d: "a" if d < -0.02 else "c" if d > 0.02 else "b")(_learned_minus_sinusoidal(m)),
     explain=_explain_learned)


# -- 06 parallelism --------------------------------------------------------------------------------------------
# measured: work = section 1's rows (T, RNN counted, attention counted, ...)
def _work_ratio(m):
    row = m["work"][0]
    return _ratio(row["attention counted"], row["RNN counted"])


def _explain_work(m):
    row = m["work"][0]
    text = tr("Measured at T = {T}, D = {D}: the RNN {rnn} FLOPs, attention {att}, {ratio} times as many (a ratio "
              "within 1.5 counts as the same).", T=row["T"], D=m["D"], rnn=f"{row['RNN counted']:,}",
              att=f"{row['attention counted']:,}", ratio=_f(_work_ratio(m), 1))
    return text + " " + tr("The T² terms are small at short lengths, but attention's four D x D projections cost "
                           "8·T·D², twice the RNN's two products: attention is not the cheaper layer. What it buys "
                           "is depth, not work.")


_ask("06.work", "06_parallelism", "my_prediction_work",
     lambda: tr("At a short length, `T = 16` positions of width `D = 64` (so `T` is well below `D`), which layer "
                "does more arithmetic: one RNN layer or one self-attention layer?"),
     choices={"a": lambda: tr("the RNN (more than 1.5 times attention's FLOPs)"),
              "b": lambda: tr("about the same (within 1.5 times)"),
              "c": lambda: tr("attention (more than 1.5 times the RNN's FLOPs)")},
     decide=lambda m: (lambda r: "c" if r > 1.5 else "a" if r < 1 / 1.5 else "b")(_work_ratio(m)),
     explain=_explain_work)


# measured: depths = section 2's rows (T, attention layer, RNN layer, ...)
def _decide_attention_depth(m):
    first, last = m["depths"][0], m["depths"][-1]
    grew = last["attention layer"] - first["attention layer"]
    if grew <= 0:
        return "c"
    return "a" if grew / (last["T"] - first["T"]) >= 0.5 else "b"


def _explain_attention_depth(m):
    first, last = m["depths"][0], m["depths"][-1]
    text = tr("Measured from T = {T0} to T = {T1}: attention's depth went from {a0} to {a1}, the RNN's from {r0} to "
              "{r1} (half an operation per position or more counts as growing with T).", T0=first["T"], T1=last["T"],
              a0=first["attention layer"], a1=last["attention layer"], r0=first["RNN layer"], r1=last["RNN layer"])
    if last["attention layer"] <= first["attention layer"]:
        return text + " " + tr("Every position goes through the same few operations at the same time; a longer "
                               "sequence makes each operation bigger, not the chain longer.")
    return text + " " + tr("Attention's depth grew here: something in the graph runs position by position.")


_ask("06.attention_depth", "06_parallelism", "my_prediction_attention_depth",
     lambda: tr("The RNN's depth grows by a few operations per position. As the sequence grows from 1 to 32 "
                "positions, what does the depth of the causal self-attention layer do?"),
     choices={"a": lambda: tr("it grows in proportion to T, like the RNN's"),
              "b": lambda: tr("it grows, but slowly (like log T)"),
              "c": lambda: tr("it stays the same")},
     decide=_decide_attention_depth, explain=_explain_attention_depth)


# -- 07 training deep stacks -----------------------------------------------------------------------------------
# measured: scales = section 2's rms of the residual stream after each block, {"input", "no norm", "pre-LN",
# "post-LN"}
def _growth(m, name):
    return m["scales"][name][-1] / m["scales"]["input"]


def _decide_pre_ln(m):
    pre, none = _growth(m, "pre-LN"), _growth(m, "no norm")
    if abs(pre - 1) <= 0.05:
        return "a"
    return "c" if abs(pre - none) <= 0.05 * none else "b"


def _explain_pre_ln(m):
    pre, none, post = _growth(m, "pre-LN"), _growth(m, "no norm"), _growth(m, "post-LN")
    text = tr("Measured after {depth} blocks: the stream's rms grew {none}x without a norm, {pre}x with pre-LN and "
              "{post}x with post-LN (within 5% counts as the same).", depth=len(m["scales"]["pre-LN"]),
              none=_f(none), pre=_f(pre), post=_f(post))
    if abs(pre - 1) > 0.05 and pre < none:
        return text + " " + tr("Pre-LN normalises what enters each block, not the stream: every block adds an output "
                               "of bounded size, so the stream still grows, only more slowly. That is why a pre-LN "
                               "model ends with one more norm before its read-out.")
    return text + " " + tr("Here pre-LN did not fall between the two: compare the rows of the table above.")


_ask("07.pre_ln", "07_training_deep_stacks", "my_prediction_pre_ln",
     lambda: tr("Post-LN normalises the residual stream after every block. Pre-LN normalises too, but only what "
                "enters each block. After 24 blocks, what is the rms of the residual stream with pre-LN?"),
     choices={"a": lambda: tr("1, like post-LN (within 5%)"),
              "b": lambda: tr("it grows, but less than without a norm"),
              "c": lambda: tr("it grows as much as without a norm (within 5%)")},
     decide=_decide_pre_ln, explain=_explain_pre_ln)


# measured: norms = section 3's gradient norm per layer for each placement, layer 1 first
def _kept_at_first(m, placement):
    return m["norms"][placement][0] / m["norms"][placement][-1]


def _decide_layer_one(m):
    post, pre = _kept_at_first(m, "post-LN"), _kept_at_first(m, "pre-LN")
    if max(post, pre) < 1.25 * min(post, pre):
        return "c"
    return "a" if post > pre else "b"


def _explain_layer_one(m):
    post, pre = _kept_at_first(m, "post-LN"), _kept_at_first(m, "pre-LN")
    text = tr("Measured: layer 1's gradient is {post}x layer {depth}'s in the post-LN stack and {pre}x in the pre-LN "
              "stack (a difference of 1.25x or more counts); without residuals it is {none}x.",
              post=_f(post), pre=_f(pre), depth=len(m["norms"]["pre-LN"]),
              none=_f(_kept_at_first(m, "post-LN, no residuals")))
    if pre >= 1.25 * post:
        return text + " " + tr("In post-LN every gradient on its way down passes through each layer's norm, which "
                               "rescales it; in pre-LN the residual path is a clean sum from the loss to layer 1, so "
                               "the first layer hears the loss as loudly as the last. It is one reason why most deep "
                               "Transformers since GPT-2 put the norm first.")
    if post >= 1.25 * pre:
        return text + " " + tr("Here post-LN kept more at layer 1 than pre-LN: at this depth and at initialisation "
                               "its norms did not yet shrink the gradient on its way down.")
    return text + " " + tr("At this depth and at initialisation the two placements keep about as much: the gap "
                           "between them opens in deeper stacks and during training.")


_ask("07.layer_one", "07_training_deep_stacks", "my_prediction_layer_one",
     lambda: tr("Twelve encoder layers, at initialisation. Relative to the gradient of its last layer (next to the "
                "loss), which stack keeps more gradient at layer 1, post-LN (the paper's) or pre-LN?"),
     choices={"a": lambda: tr("post-LN (the paper's placement)"), "b": lambda: tr("pre-LN (the norm first)"),
              "c": lambda: tr("about the same (within 1.25x)")},
     decide=_decide_layer_one, explain=_explain_layer_one)


# -- 08 transformer --------------------------------------------------------------------------------------------
# measured: main = section 5's run ({"length", "Transformer": {...}, "LSTM": {...}}), rows = section 6's runs
def _band(accuracy):
    return "a" if accuracy > 0.9 else "b" if accuracy >= 0.5 else "c"


_BANDS = {"a": lambda: tr("above 90%"), "b": lambda: tr("between 50% and 90%"), "c": lambda: tr("below 50%")}


def _explain_lstm_race(m):
    t, lstm = m["main"]["Transformer"], m["main"]["LSTM"]
    text = tr("Measured at {length} digits: the LSTM reversed {lstm} of the test sequences exactly ({tokens} of the "
              "digits), the Transformer {transformer}, each in about {seconds} s (the thresholds are 50% and 90%).",
              length=m["main"]["length"], lstm=f"{lstm['exact']:.1%}", tokens=f"{lstm['token']:.1%}",
              transformer=f"{t['exact']:.1%}", seconds=_f(lstm["seconds"], 0))
    if lstm["exact"] < 0.5:
        return text + " " + tr("More parameters do not make up for the bottleneck: every digit must pass through one "
                               "final state, and a sequence is exact only if all of its digits are, so a few shaky "
                               "digits per sequence sink most sequences.")
    return text + " " + tr("At this length and budget the LSTM's final state held enough of the source.")


_ask("08.lstm_race", "08_transformer", "my_prediction_lstm_race",
     lambda: tr("The LSTM encoder-decoder has more parameters than the Transformer, no attention, and the same "
                "seconds of training. What share of the 10-digit test sequences will it reverse exactly?"),
     choices=_BANDS, decide=lambda m: _band(m["main"]["LSTM"]["exact"]), explain=_explain_lstm_race)


def _shortest(m):
    return min(m["rows"], key=lambda r: r["length"])


def _explain_short(m):
    short = _shortest(m)
    rows = sorted(m["rows"], key=lambda r: r["length"])
    by_length = ", ".join(f"{r['LSTM']['exact']:.0%} ({r['length']})" for r in rows)
    text = tr("Measured: at {length} digits the LSTM reversed {lstm} of the sequences exactly, the Transformer "
              "{transformer}; the LSTM by length: {by_length} (the thresholds are 50% and 90%).",
              length=short["length"], lstm=f"{short['LSTM']['exact']:.1%}",
              transformer=f"{short['Transformer']['exact']:.1%}", by_length=by_length)
    if short["LSTM"]["exact"] > 0.9:
        return text + " " + tr("A short source fits in one final state: the LSTM is not a bad model, its state is a "
                               "fixed size, and what it must hold grows with the length.")
    return text + " " + tr("Even this short source was too much for one final state within the same seconds.")


_ask("08.short", "08_transformer", "my_prediction_short",
     lambda: tr("Now half the length: 5 digits, the same recipe and the same time budget. What share of the "
                "sequences will the LSTM reverse exactly?"),
     choices=_BANDS, decide=lambda m: _band(_shortest(m)["LSTM"]["exact"]), explain=_explain_short)


# -- 09 GPT ----------------------------------------------------------------------------------------------------
# measured: speedups = section 9's {number of new tokens: total time without the cache / with it}
def _decide_cache_growth(m):
    from .experiments import claims

    counts = sorted(m["speedups"])
    return {"grows": "a", "flat": "b", "falls": "c"}[claims.trend(m["speedups"][counts[0]], m["speedups"][counts[-1]])]


def _explain_cache_growth(m):
    from .experiments import claims

    counts = sorted(m["speedups"])
    text = tr("Measured: the time without the cache over the time with it was {s0} for {few} tokens and {s1} for "
              "{many} tokens (a change of {ratio}x or more counts).", few=counts[0], many=counts[-1],
              s0=_f(m["speedups"][counts[0]], 1), s1=_f(m["speedups"][counts[-1]], 1), ratio=f"{claims.TREND_RATIO:g}")
    if _decide_cache_growth(m) == "a":
        return text + " " + tr("Without the cache, token t recomputes all t positions, so the total work grows "
                               "like n²; with it every token costs about the same, so the total grows like n. The "
                               "saving grows with the length, though the fixed cost of each call keeps it below the "
                               "ratio of the arithmetic.")
    return text + " " + tr("The saving did not grow here: on a small model the fixed cost of each call, the same with "
                           "and without the cache, hides the arithmetic the cache saves.")


_ask("09.cache_growth", "09_gpt", "my_prediction_cache_growth",
     lambda: tr("The cache saves recomputing the prefix. Generating 256 tokens instead of 16, how does the cache's "
                "speed-up (the total time without it over the total time with it) change?"),
     choices={"a": lambda: tr("it grows with the number of tokens"),
              "b": lambda: tr("it stays about the same"),
              "c": lambda: tr("it falls")},
     decide=_decide_cache_growth, explain=_explain_cache_growth)


# measured: per_position = the cache's bytes per position and sequence; layers, d_model
def _explain_cache_bytes(m):
    text = tr("Measured: {bytes} bytes per position and sequence, = 2 (a key and a value) x {layers} layers x "
              "{d_model} numbers x 4 bytes.", bytes=f"{m['per_position']:.0f}", layers=m["layers"],
              d_model=m["d_model"])
    return text + " " + tr("Every layer keeps its own keys and values, so the cache grows with the depth and the "
                           "width of the model as well as with the text: for a large model, this is what limits how "
                           "many sequences fit in memory at once.")


_ask("09.cache_bytes", "09_gpt", "my_prediction_cache_bytes",
     lambda: tr("How many bytes of cache does the model of the timing above (2 layers, `D = 64`, float32) keep per "
                "position of one sequence? Answer with a number."),
     decide=lambda m: float(m["per_position"]), explain=_explain_cache_bytes, tolerance=1.5, example="100")


# -- comparing ---------------------------------------------------------------------------------------------------
def _keys(question):
    return ", ".join(f"'{k}'" for k in question.choices)


def _read(question, prediction):
    """The prediction as the question takes it (a letter or a float), or None when it cannot be read."""
    if question.kind == "choice":
        if not isinstance(prediction, str):
            return None
        key = prediction.strip().strip("()").strip().lower()
        return key if key in question.choices else None
    if isinstance(prediction, bool):
        return None
    try:
        value = float(prediction)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def judge(question_id, prediction, **measured) -> Verdict:
    """Compare a prediction with what was measured: the verdict and its text in the current language."""
    question = QUESTIONS.get(question_id)
    if question is None:
        return Verdict(str(question_id), INVALID, tr("There is no prediction question named {name!r}.",
                                                    name=question_id))
    try:
        truth = question.decide(measured)
        why = question.explain(measured)
    except Exception as error:  # noqa: BLE001 - a comparison never stops a notebook
        return Verdict(question.id, UNDECIDED if prediction is not None else UNANSWERED,
                       tr("The measurement above did not give what this comparison needs ({error}): run the "
                          "measurement's cells first.", error=f"{type(error).__name__}: {error}"))
    lines = []
    if prediction is None:
        status = UNANSWERED
        lines.append(tr("You have not answered this question ({variable} is None): nothing to compare, but here "
                        "is what was measured.", variable=question.variable))
    else:
        answer = _read(question, prediction)
        if answer is None:
            status = INVALID
            expected = (tr("answer with one of {keys}", keys=_keys(question)) if question.kind == "choice"
                        else tr("answer with a number, such as {example}", example=question.example or "10"))
            lines.append(tr("Your answer {answer!r} is not one this question takes: {expected}.",
                            answer=prediction, expected=expected))
        elif truth is None:
            status = UNDECIDED
            lines.append(tr("This run's measurement cannot decide the question."))
        elif question.kind == "choice":
            status = RIGHT if answer == truth else WRONG
            given = f"({answer}) {question.choices[answer]()}"
            if status == RIGHT:
                lines.append(tr("✔ Your prediction, {given}, is what was measured.", given=given))
            else:
                lines.append(tr("✘ You predicted {given}; the measurement says ({key}) {right}.", given=given,
                                key=truth, right=question.choices[truth]()))
        else:
            factor = max(_ratio(answer, truth), _ratio(truth, answer)) if answer > 0 and truth > 0 else math.inf
            status = RIGHT if factor <= question.tolerance else WRONG
            if status == RIGHT:
                lines.append(tr("✔ Your prediction, {answer:g}, is within a factor {tolerance:g} of the measured "
                                "{truth}.", answer=answer, tolerance=question.tolerance, truth=_f(truth, 1)))
            else:
                lines.append(tr("✘ You predicted {answer:g}; the measurement says {truth} (a prediction within a "
                                "factor {tolerance:g} counts as right).", answer=answer, truth=_f(truth, 1),
                                tolerance=question.tolerance))
    lines.append(why)
    return Verdict(question.id, status, _tidy("\n".join(lines)))


def _tidy(text):
    """Sentences are joined with a space, which Chinese does not put after its full stops."""
    return re.sub(r"(?<=[。；：！？）])[ ]+", "", text)


def _record(question, answered):
    try:
        from .progress import record_prediction
    except Exception:  # noqa: BLE001 - no progress record in this copy of the course: nothing to note
        return
    try:
        record_prediction(question.id, answered, question.notebook)
    except Exception:  # noqa: BLE001 - the record never stops a notebook
        pass


def compare(question_id, prediction, **measured):
    """Print how a prediction compares with what was measured (never raises; not graded), and note in the
    learner's progress record whether the question was answered."""
    verdict = judge(question_id, prediction, **measured)
    print(verdict.text)
    question = QUESTIONS.get(question_id)
    if question is not None:
        _record(question, verdict.answered)


# -- the two cells a notebook shows --------------------------------------------------------------------------------
def question_markdown(question_id, language) -> str:
    """The question's markdown cell, in `language`."""
    question = QUESTIONS[question_id]
    with speaking(language):
        lines = [tr("**Predict, then run** (not graded). {text}", text=question.text())]
        if question.kind == "choice":
            lines += [""] + [f"- ({key}) {answer()}" for key, answer in question.choices.items()]
            lines += ["", tr("Write your letter in the cell below before you run the measurement; the cell after the "
                             "measurement compares it with what was measured.")]
        else:
            lines += ["", tr("Write your number in the cell below before you run the measurement; a prediction within "
                             "a factor {tolerance} of the measured value counts as right.",
                             tolerance=f"{question.tolerance:g}")]
    return "\n".join(lines)


def question_code(question_id, language) -> str:
    """The cell the learner edits: the question's variable, None until answered, with a comment in `language`."""
    question = QUESTIONS[question_id]
    with speaking(language):
        if question.kind == "choice":
            comment = tr("your prediction: one of {keys}", keys=", ".join(f'"{k}"' for k in question.choices))
        else:
            comment = tr("your prediction: a number, such as {example}", example=question.example or "10")
    return f"{question.variable} = None  # {comment}"


def answer_code(question_id, measured: str) -> str:
    """The comparison cell after the measurement; `measured` is the source of its keyword arguments (the same in
    both editions)."""
    question = QUESTIONS[question_id]
    return f"from course_lib.predict import compare\n\ncompare(\"{question.id}\", {question.variable}, {measured})"
