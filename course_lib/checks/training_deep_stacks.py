"""Checks for notebook 07: layer_norm, FeedForward, EncoderLayer, noam_lr, label_smoothed_cross_entropy."""
import inspect

import torch
import torch.nn.functional as F
from torch import nn

from ..solutions import training_deep_stacks as ref
from ..solutions.multi_head_attention import MultiHeadAttention
from ._harness import DropoutPlacementExercise, number_invoke
from .framework import Case, Exercise, Mistake, randn, seeded


# -- layer_norm -------------------------------------------------------------------------------------------
def _layer_norm_cases(seed):
    g = seeded(seed)

    def args(*shape, scale=1.0, shift=0.0, dtype=torch.float32):
        D = shape[-1]
        return (randn(g, *shape, dtype=dtype, scale=scale) + shift, 1 + randn(g, D, dtype=dtype, scale=0.3),
                randn(g, D, dtype=dtype, scale=0.3))

    return [
        Case("B=2, T=3, D=5", args(2, 3, 5)),
        Case("2-D input (N=4, D=6)", args(4, 6)),
        Case("extra batch dims (2, 3, 4, 7)", args(2, 3, 4, 7)),
        Case("batch 1, length 1, D=8", args(1, 1, 8)),
        Case("shifted inputs (mean 5)", args(3, 2, 6, shift=5.0)),
        Case("small activations (std 0.01): eps matters", args(2, 4, 6, scale=0.01)),
        Case("eps=0.1", args(3, 4, 5), {"eps": 0.1}),
        Case("float64", args(2, 3, 9, dtype=torch.float64)),
    ]


def _ln(gain=True, shift=True, swap=False, fixed_eps=None, dim=-1, unbiased=False, where_eps="inside",
        center=True, power=0.5):
    """layer_norm with one thing changed, to build the known mistakes."""
    def impl(x, gamma, beta, eps=1e-5):
        e = eps if fixed_eps is None else fixed_eps
        dims = tuple(range(x.dim())) if dim is None else dim
        mean = x.mean(dim=dims, keepdim=True) if center else torch.zeros_like(x)
        var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
        if unbiased:
            var = x.var(dim=dims, keepdim=True, unbiased=True)
        if where_eps == "inside":
            y = (x - mean) / (var + e) ** power
        elif where_eps == "outside":
            y = (x - mean) / (var ** power + e)
        else:
            y = (x - mean) / var ** power
        if swap:
            return y * beta + gamma
        return (y * gamma if gain else y) + (beta if shift else 0)
    return impl


LAYER_NORM = Exercise(
    "layer_norm", ref.layer_norm, _layer_norm_cases, arg_names=["x", "gamma", "beta"],
    mistakes=[
        Mistake("the unbiased variance (divided by D - 1)", _ln(unbiased=True),
                "layer norm uses the biased variance, the mean of the squared deviations: "
                "x.var(dim=-1, unbiased=False, keepdim=True), as nn.LayerNorm does."),
        Mistake("epsilon outside the sqrt", _ln(where_eps="outside"),
                "divide by torch.sqrt(var + eps), not torch.sqrt(var) + eps: eps guards the variance."),
        Mistake("epsilon left out", _ln(where_eps="none"),
                "add eps to the variance before the square root: torch.sqrt(var + eps)."),
        Mistake("the eps argument ignored (1e-5 written in)", _ln(fixed_eps=1e-5),
                "use the `eps` the function is given, not a constant."),
        Mistake("statistics over the wrong dimension (dim 0, the batch, as batch norm does)", _ln(dim=0),
                "layer norm normalises each position's feature vector on its own: mean and variance over "
                "dim=-1 with keepdim=True."),
        Mistake("statistics over the whole tensor", _ln(dim=None),
                "take the mean and variance of each position's features, over dim=-1 with keepdim=True, "
                "not of the whole tensor."),
        Mistake("divided by the variance instead of the standard deviation", _ln(power=1.0),
                "divide by the square root of var + eps."),
        Mistake("the mean not subtracted (an RMS norm)", _ln(center=False),
                "subtract the mean of each feature vector first, and take the variance around it."),
        Mistake("gamma missing (no scale)", _ln(gain=False),
                "after normalising, multiply by gamma (the learned gain), then add beta."),
        Mistake("beta missing (no shift)", _ln(shift=False),
                "after scaling by gamma, add beta (the learned shift)."),
        Mistake("gamma and beta both missing", _ln(gain=False, shift=False),
                "return normalised * gamma + beta: the learned gain and shift."),
        Mistake("gamma and beta swapped", _ln(swap=True),
                "gamma multiplies, beta is added: normalised * gamma + beta."),
    ],
)


# -- FeedForward ------------------------------------------------------------------------------------------
def _ffn_cases(seed):
    g = seeded(seed)
    D, d_ff = 6, 10  # different from every other dimension, so a wrong axis shows

    def init(d_ff=d_ff):
        return {"d_model": D, "d_ff": d_ff}

    return [
        Case("B=2, T=5, D=6, d_ff=10", (randn(g, 2, 5, D),), init=init()),
        Case("batch 1, length 1", (randn(g, 1, 1, D),), init=init()),
        Case("2-D input (N=7, D=6)", (randn(g, 7, D),), init=init()),
        Case("extra batch dims (2, 3, 4, 6)", (randn(g, 2, 3, 4, D),), init=init()),
        Case("narrow hidden layer, d_ff=3", (randn(g, 3, 2, D),), init=init(3)),
        Case("train(), dropout 0.25, the reference's dropout masks (RNG seeded 11)", (randn(g, 2, 5, D),),
             {"train_seed": 11}, init=init()),
    ]


def without_dropout(cls):
    """`cls` built with dropout=0 whatever it is given: dropout never applied, in train() too."""
    params = [p for p in inspect.signature(cls).parameters]

    def build(*args, **kwargs):
        bound = dict(zip(params, args), **kwargs)
        bound["dropout"] = 0.0
        return cls(**bound)
    return build


NEVER_DROPPED = "dropout is never applied (train() gives the eval() outputs)"


class _FeedForwardVariant(nn.Module):
    """The feed-forward block with one thing changed, to build the known mistakes."""

    def __init__(self, d_model, d_ff, dropout=0.0, activation="relu", residual=False, output_relu=False,
                 drop="hidden"):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
        self.activation, self.residual, self.output_relu, self.drop = activation, residual, output_relu, drop

    def forward(self, x):
        act = {"relu": torch.relu, "none": lambda h: h, "gelu": F.gelu, "tanh": torch.tanh,
               "before": lambda h: h}[self.activation]
        inner = torch.relu(x) if self.activation == "before" else x
        if self.drop == "input":
            inner = self.dropout(inner)
        hidden = act(self.linear1(inner))
        y = self.linear2(self.dropout(hidden) if self.drop in ("hidden", "both") else hidden)
        if self.drop in ("output", "both"):
            y = self.dropout(y)
        if self.output_relu:
            y = torch.relu(y)
        return x + y if self.residual else y


def _ffn_variant(**change):
    return lambda d_model, d_ff, dropout=0.0: _FeedForwardVariant(d_model, d_ff, dropout, **change)


FF_DROPOUT_HINT = ("dropout acts on the hidden layer, after the ReLU and before linear2: "
                   "linear2(dropout(relu(linear1(x)))), as nn.TransformerEncoderLayer does.")

FEED_FORWARD = DropoutPlacementExercise(
    "FeedForward", ref.FeedForward, _ffn_cases, arg_names=["x"],
    members="two nn.Linear members named linear1 (d_model -> d_ff) and linear2 (d_ff -> d_model), with bias",
    mistakes=[
        Mistake("the activation missing", _ffn_variant(activation="none"),
                "apply torch.relu between linear1 and linear2: without it the two layers are one linear map."),
        Mistake("GELU instead of ReLU", _ffn_variant(activation="gelu"),
                "the 2017 Transformer (and nn.TransformerEncoderLayer's default) uses ReLU; GELU came with "
                "BERT and GPT."),
        Mistake("tanh instead of ReLU", _ffn_variant(activation="tanh"),
                "use torch.relu between the two linear layers."),
        Mistake("ReLU applied to the input, before linear1", _ffn_variant(activation="before"),
                "the ReLU acts on the widened hidden layer: relu(linear1(x)), then linear2."),
        Mistake("a ReLU on the output too", _ffn_variant(output_relu=True),
                "the block ends with linear2: its output may be negative, since it is added to the residual "
                "stream."),
        Mistake("the residual added inside the block (x + ffn(x))", _ffn_variant(residual=True),
                "FeedForward is only the sublayer; the encoder layer adds the residual around it."),
        Mistake("dropout on the output (after linear2) instead of the hidden layer", _ffn_variant(drop="output"),
                FF_DROPOUT_HINT + " The layer that uses the block drops its output itself, before the residual sum."),
        Mistake("dropout on the input (before linear1) instead of the hidden layer", _ffn_variant(drop="input"),
                FF_DROPOUT_HINT),
        Mistake("dropout twice: on the hidden layer and on the output", _ffn_variant(drop="both"),
                FF_DROPOUT_HINT + " Once is enough: the output's dropout belongs to the layer around the block."),
        Mistake(NEVER_DROPPED, without_dropout(ref.FeedForward),
                "keep self.dropout = nn.Dropout(dropout) and apply it to the hidden layer: "
                "linear2(self.dropout(relu(linear1(x)))); model.train() switches it on, model.eval() off."),
    ],
)


# -- EncoderLayer -----------------------------------------------------------------------------------------
def _encoder_cases(seed):
    g = seeded(seed)
    D, h, d_ff = 12, 3, 20  # d_head 4: every dimension differs from the others and from T

    def layer(norm_first, mask=None):
        init = {"d_model": D, "num_heads": h, "d_ff": d_ff, "dropout": 0.25, "norm_first": norm_first}
        return {"kwargs": {} if mask is None else {"mask": mask}, "init": init}

    x5, x6, x1 = randn(g, 2, 5, D), randn(g, 2, 6, D), randn(g, 1, 1, D)
    padding = (torch.arange(5)[None, :] < torch.tensor([5, 2])[:, None])[:, None, None, :]  # (B, 1, 1, T)
    one_key = (torch.arange(5)[None, :] < torch.tensor([1, 3])[:, None])[:, None, None, :]  # first row: 1 key
    causal = torch.ones(6, 6, dtype=torch.bool).tril()  # (T, T)
    return [
        Case("post-LN, B=2, T=5", (x5,), **layer(False)),
        Case("pre-LN, B=2, T=5", (x5,), **layer(True)),
        Case("post-LN, padding mask (B, 1, 1, T)", (x5,), **layer(False, padding)),
        Case("pre-LN, padding mask (B, 1, 1, T)", (x5,), **layer(True, padding)),
        Case("post-LN, causal mask (T, T)", (x6,), **layer(False, causal)),
        Case("pre-LN, causal mask (T, T)", (x6,), **layer(True, causal)),
        Case("pre-LN, one key left to the first sequence", (x5,), **layer(True, one_key)),
        Case("post-LN, batch 1, length 1", (x1,), **layer(False)),
        Case("post-LN in train(), dropout 0.25, the reference's dropout masks (RNG seeded 12)", (x5,),
             kwargs={"mask": padding, "train_seed": 12}, init=layer(False)["init"]),
        Case("pre-LN in train(), dropout 0.25, the reference's dropout masks (RNG seeded 13)", (x6,),
             kwargs={"mask": causal, "train_seed": 13}, init=layer(True)["init"]),
    ]


class _EncoderVariant(nn.Module):
    """The encoder layer with one thing changed, to build the known mistakes."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0, norm_first=False, placement=None, residual="both",
                 mask_use="as given", activation=True, swap_norms=False, final_norm=False, drop="right"):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.placement = placement or {False: "post", True: "pre"}[norm_first]
        self.residual, self.mask_use, self.activation = residual, mask_use, activation
        self.swap_norms, self.final_norm, self.drop = swap_norms, final_norm, drop

    def _attend(self, x, mask):
        if mask is not None:
            mask = {"as given": mask, "ignored": None, "inverted": ~mask}[self.mask_use]
        out = self.self_attn(x, x, x, mask)[0]
        return out if self.drop in ("no attention output", "on the sum") else self.dropout(out)

    def _ff(self, x):
        hidden = self.linear1(x)
        hidden = torch.relu(hidden) if self.activation else hidden
        out = self.linear2(hidden if self.drop == "no inner" else self.dropout(hidden))
        return out if self.drop in ("no ff output", "on the sum") else self.dropout(out)

    def forward(self, x, mask=None):
        if self.drop == "on the sum":  # dropout on each residual sum instead of on the sublayer's output
            if self.placement == "pre":
                x = self.dropout(x + self._attend(self.norm1(x), mask))
                return self.dropout(x + self._ff(self.norm2(x)))
            x = self.norm1(self.dropout(x + self._attend(x, mask)))
            return self.norm2(self.dropout(x + self._ff(x)))
        n1, n2 = (self.norm2, self.norm1) if self.swap_norms else (self.norm1, self.norm2)
        keep1 = self.residual in ("both", "ffn")  # a residual around the self-attention
        keep2 = self.residual in ("both", "attention")  # a residual around the feed-forward block
        p = self.placement
        if p == "pre":
            x = (x if keep1 else 0) + self._attend(n1(x), mask)
            x = (x if keep2 else 0) + self._ff(n2(x))
            return self.norm2(x) if self.final_norm else x
        if p == "post":
            x = n1((x if keep1 else 0) + self._attend(x, mask))
            return n2((x if keep2 else 0) + self._ff(x))
        if p == "norm in branch":  # post-LN with the norm moved onto the sublayer's output
            x = x + n1(self._attend(x, mask))
            return x + n2(self._ff(x))
        if p == "residual after norm":  # pre-LN whose residual starts from the normalised input
            y = n1(x)
            x = y + self._attend(y, mask)
            y = n2(x)
            return y + self._ff(y)
        raise ValueError(p)


def _encoder_variant(**change):
    def build(d_model, num_heads, d_ff, dropout=0.0, norm_first=False):
        placement = change.get("placement")
        if callable(placement):
            placement = placement(norm_first)
        return _EncoderVariant(d_model, num_heads, d_ff, dropout, norm_first,
                               **{**change, "placement": placement})
    return build


def _only(when, placement):
    """A placement mistake made only for one value of norm_first; the other value is built right."""
    return lambda norm_first: placement if norm_first == when else None


LAYER_DROPOUT_HINT = ("as in nn.TransformerEncoderLayer, dropout acts on each sublayer's output before its "
                      "residual sum, x + dropout(sublayer(...)), and once more inside the feed-forward block, "
                      "after the ReLU: linear2(dropout(relu(linear1(x)))).")

ENCODER_LAYER = DropoutPlacementExercise(
    "EncoderLayer", ref.EncoderLayer, _encoder_cases, arg_names=["x"], given=(MultiHeadAttention,),
    builds_on=("layer_norm", "FeedForward"),  # a learner's layer may call them; the members keep them out of ours
    members="the members self_attn (a MultiHeadAttention), linear1, linear2, norm1 and norm2 "
            "(nn.LayerNorm(d_model)), and no other parameters",
    mistakes=[
        Mistake("the norm inside the residual branch in post-LN (x + norm(sublayer(x)))",
                _encoder_variant(placement=_only(False, "norm in branch")),
                "post-LN normalises the residual sum: x = norm1(x + attend(x)), then "
                "x = norm2(x + feed_forward(x))."),
        Mistake("the residual added after the norm in pre-LN (norm(x) + sublayer(norm(x)))",
                _encoder_variant(placement=_only(True, "residual after norm")),
                "in pre-LN the residual path carries x itself, never normalised: "
                "x = x + attend(norm1(x)), then x = x + feed_forward(norm2(x))."),
        Mistake("norm_first ignored (always post-LN)", _encoder_variant(placement=lambda nf: "post"),
                "keep norm_first and branch on it in forward: True normalises each sublayer's input (pre-LN)."),
        Mistake("norm_first ignored (always pre-LN)", _encoder_variant(placement=lambda nf: "pre"),
                "keep norm_first and branch on it in forward: False (the default) is the paper's post-LN, "
                "norm1(x + attend(x))."),
        Mistake("norm_first inverted (True builds post-LN)",
                _encoder_variant(placement=lambda nf: {True: "post", False: "pre"}[nf]),
                "norm_first=True means the norm comes first, before each sublayer (pre-LN)."),
        Mistake("a missing residual around the self-attention", _encoder_variant(residual="attention"),
                "add the sublayer's input back: x + attend(...), in both placements."),
        Mistake("a missing residual around the feed-forward block", _encoder_variant(residual="ffn"),
                "add the sublayer's input back: x + feed_forward(...), in both placements."),
        Mistake("both residual connections missing", _encoder_variant(residual="none"),
                "each sublayer's output is added to its input: x + sublayer(...)."),
        Mistake("the mask ignored", _encoder_variant(mask_use="ignored"),
                "pass `mask` on to self.self_attn(x, x, x, mask)."),
        Mistake("an inverted mask (True taken as blocked)", _encoder_variant(mask_use="inverted"),
                "in this course True means 'may attend': pass the mask on unchanged (torch's "
                "TransformerEncoderLayer is the one that wants ~mask)."),
        Mistake("the FFN's activation missing", _encoder_variant(activation=False),
                "apply torch.relu between linear1 and linear2."),
        Mistake("norm1 and norm2 swapped", _encoder_variant(swap_norms=True),
                "norm1 goes with the self-attention, norm2 with the feed-forward block (the order torch uses)."),
        Mistake("an extra layer norm at the end of the pre-LN layer", _encoder_variant(final_norm=True),
                "a pre-LN layer returns the raw residual sum; the final norm belongs once after the whole "
                "stack, not in every layer."),
        Mistake("no dropout on the feed-forward sublayer's output", _encoder_variant(drop="no ff output"),
                LAYER_DROPOUT_HINT),
        Mistake("no dropout on the self-attention's output", _encoder_variant(drop="no attention output"),
                LAYER_DROPOUT_HINT),
        Mistake("no dropout inside the feed-forward block (after the ReLU)", _encoder_variant(drop="no inner"),
                LAYER_DROPOUT_HINT),
        Mistake("dropout on the residual sum instead of the sublayer's output", _encoder_variant(drop="on the sum"),
                "drop the sublayer's output, then add: x + dropout(sublayer(x)); dropping the sum also drops "
                "parts of the residual path x itself. " + LAYER_DROPOUT_HINT),
        Mistake(NEVER_DROPPED, without_dropout(ref.EncoderLayer),
                "give self_attn the dropout and apply nn.Dropout members where the exercise says; "
                "model.train() switches them on, model.eval() off."),
    ],
)


# -- noam_lr ----------------------------------------------------------------------------------------------
def _noam_cases(seed):
    g = seeded(seed)
    if seed != 0:  # hidden tests: no (step, d_model, warmup) of seed 0's, which a learner can read
        return _noam_hidden_cases(g)
    step = int(torch.randint(2, 3000, (), generator=g))
    return [
        Case("the first step (step 1, d_model 512, warmup 4000)", (1, 512, 4000)),
        Case("during warm-up (step 100, d_model 64, warmup 4000)", (100, 64, 4000)),
        Case("the peak: step == warmup (4000, 512, 4000)", (4000, 512, 4000)),
        Case("after warm-up (step 10000, d_model 512, warmup 4000)", (10000, 512, 4000)),
        Case("short warm-up (step 50, d_model 128, warmup 10)", (50, 128, 10)),
        Case("step == warmup, small (10, 32, 10)", (10, 32, 10)),
        Case("warmup 1: decay from the start (step 7, d_model 16, warmup 1)", (7, 16, 1)),
        Case(f"random step ({step}, d_model 256, warmup 1000)", (step, 256, 1000)),
    ]


def _noam_hidden_cases(g):
    """The same situations as seed 0's cases with other sizes: every d_model is one seed 0 never uses (24, 48,
    96, 192, 384, 768 against 16 .. 512), so no case can coincide with a public one."""
    def draw(low, high):
        return int(torch.randint(low, high + 1, (), generator=g))

    def d_model():
        return (24, 48, 96, 192, 384, 768)[draw(0, 5)]

    warmup, short = draw(1000, 8000), draw(5, 40)
    cases = [
        ("the first step", 1, d_model(), warmup),
        ("during warm-up", draw(2, warmup - 1), d_model(), warmup),
        ("the peak: step == warmup", warmup, d_model(), warmup),
        ("after warm-up", draw(warmup + 1, 4 * warmup), d_model(), warmup),
        ("short warm-up", draw(short + 1, 10 * short), d_model(), short),
        ("step == warmup, small", short, d_model(), short),
        ("warmup 1: decay from the start", draw(2, 50), d_model(), 1),
        ("random step", draw(2, 5000), d_model(), draw(100, 3000)),
    ]
    return [Case(f"{label} (step {s}, d_model {d}, warmup {w})", (s, d, w)) for label, s, d, w in cases]


def _noam(combine=min, factor=True, warm_power=-1.5, decay_power=-0.5, d_power=-0.5):
    def impl(step, d_model, warmup):
        lr = combine(step ** decay_power, step * warmup ** warm_power)
        return d_model ** d_power * lr if factor else lr
    return impl


NOAM_LR = Exercise(
    "noam_lr", ref.noam_lr, _noam_cases, arg_names=["step", "d_model", "warmup"], gradients=False,
    rtol=1e-6, atol=0.0, invoke=number_invoke,
    outputs=["learning rate"],
    mistakes=[
        Mistake("the warm-up's min replaced by max", _noam(combine=max),
                "take the smaller of step^-0.5 and step · warmup^-1.5: the linear ramp while step < warmup, "
                "the 1/sqrt decay after."),
        Mistake("the d_model factor missing", _noam(factor=False),
                "multiply by d_model ** -0.5: wider models get smaller steps."),
        Mistake("d_model^0.5 instead of d_model^-0.5", _noam(d_power=0.5),
                "the factor is d_model ** -0.5, one over the square root."),
        Mistake("warmup^-0.5 instead of warmup^-1.5 in the ramp", _noam(warm_power=-0.5),
                "the ramp is step · warmup ** -1.5, so that it meets step ** -0.5 exactly at step == warmup."),
        Mistake("step^0.5 instead of step^-0.5 in the decay", _noam(decay_power=0.5),
                "after the warm-up the rate decays as step ** -0.5 (one over the square root of the step)."),
        Mistake("no decay after the warm-up (the ramp alone)", _noam(combine=lambda decay, ramp: ramp),
                "take min(step ** -0.5, step * warmup ** -1.5): the ramp alone grows for ever."),
        Mistake("no warm-up (the decay alone)", _noam(combine=lambda decay, ramp: decay),
                "take min(step ** -0.5, step * warmup ** -1.5): the decay alone starts at its largest value."),
    ],
)


# -- label_smoothed_cross_entropy -------------------------------------------------------------------------
def _smoothing_cases(seed):
    g = seeded(seed)

    def args(N, K, smoothing, ignored=(), ignore_index=None, scale=2.0, dtype=torch.float32):
        target = torch.randint(0, K, (N,), generator=g)
        if ignore_index is not None:
            target[list(ignored)] = ignore_index
        kwargs = {} if ignore_index is None else {"ignore_index": ignore_index}
        return {"args": (randn(g, N, K, dtype=dtype, scale=scale), target, smoothing), "kwargs": kwargs}

    target_pad = torch.tensor([3, 0, 1, 0, 2, 4])  # class 0 is the padding token: the second and fourth rows
    return [
        Case("N=6, K=5, smoothing 0.1", **args(6, 5, 0.1)),
        Case("smoothing 0: plain cross-entropy", **args(4, 7, 0.0)),
        Case("smoothing 0.3, K=3", **args(5, 3, 0.3)),
        Case("one example, two classes", **args(1, 2, 0.2)),
        Case("ignore_index=-100 on rows 1 and 4", **args(6, 4, 0.1, ignored=(1, 4), ignore_index=-100)),
        Case("ignore_index=0 (padding is class 0)", (randn(g, 6, 5, scale=2.0), target_pad, 0.2),
             {"ignore_index": 0}),
        Case("ignore_index given, no row ignored", **args(3, 6, 0.15, ignore_index=-100)),
        Case("large logits (scale 50)", **args(4, 6, 0.1, scale=50.0)),
        Case("float64", **args(5, 4, 0.25, dtype=torch.float64)),
    ]


def _smoothed(spread="all", weight_true=True, ignore="drop", reduce="mean", log_probs="log_softmax", dim=-1):
    def impl(logits, target, smoothing, ignore_index=None):
        N, K = logits.shape
        if log_probs == "log_softmax":
            logp = torch.log_softmax(logits, dim=dim)
        else:  # the unstable log(softmax)
            logp = torch.log(torch.softmax(logits, dim=dim))
        keep = torch.ones(N, dtype=torch.bool) if ignore_index is None else target != ignore_index
        if ignore == "score":  # ignored rows scored like any other (only possible for a valid class)
            keep_for_loss, safe = torch.ones(N, dtype=torch.bool), target
        else:
            keep_for_loss, safe = keep, target.masked_fill(~keep, 0)
        nll = -logp.gather(-1, safe[:, None]).squeeze(-1)
        if spread == "all":
            smooth = -logp.mean(dim=-1)
        elif spread == "others":  # smoothing / (K - 1) on every wrong class
            smooth = (-logp.sum(dim=-1) - nll) / (K - 1)
        else:
            smooth = torch.zeros_like(nll)
        loss = ((1 - smoothing) if weight_true else 1.0) * nll + smoothing * smooth
        loss = loss * keep_for_loss
        total = loss.sum()
        if reduce == "sum":
            return total
        return total / (N if ignore == "count" else keep_for_loss.sum())
    return impl


LABEL_SMOOTHING = Exercise(
    "label_smoothed_cross_entropy", ref.label_smoothed_cross_entropy, _smoothing_cases,
    arg_names=["logits", "target", "smoothing"], outputs=["loss"],
    mistakes=[
        Mistake("smoothing spread over K-1 classes (the true class left out)", _smoothed(spread="others"),
                "F.cross_entropy's label_smoothing spreads smoothing evenly over all K classes, the true one "
                "included: the target is (1 - smoothing) on the true class plus smoothing / K everywhere."),
        Mistake("ignored targets counted in the mean", _smoothed(ignore="count"),
                "divide by the number of positions that count, (target != ignore_index).sum(), not by N."),
        Mistake("ignore_index not applied (ignored positions scored)", _smoothed(ignore="score"),
                "drop the positions whose target is ignore_index from the sum and from the count."),
        Mistake("smoothing not applied (plain cross-entropy)", _smoothed(spread="none", weight_true=False),
                "mix in smoothing times the mean of -log p over all classes, and keep 1 - smoothing on the "
                "true class."),
        Mistake("smoothing taken off the true class but never spread", _smoothed(spread="none"),
                "add smoothing · mean(-log p over all K classes) to (1 - smoothing) · (-log p of the true class)."),
        Mistake("the true class keeps its full weight (1, not 1 - smoothing)", _smoothed(weight_true=False),
                "the target puts 1 - smoothing (plus smoothing / K) on the true class, so the true class's term "
                "is weighted 1 - smoothing."),
        Mistake("the sum instead of the mean", _smoothed(reduce="sum"),
                "average over the positions that count, as F.cross_entropy's default reduction='mean' does."),
        Mistake("log_softmax over the wrong dimension (dim 0)", _smoothed(dim=0),
                "the classes are the last dimension: torch.log_softmax(logits, dim=-1)."),
        Mistake("log(softmax(...)) instead of log_softmax (overflows for large logits)",
                _smoothed(log_probs="log of softmax"),
                "torch.log_softmax(logits, dim=-1) subtracts the log-sum-exp and stays finite; "
                "log(softmax) gives log(0) = -inf once a probability underflows."),
    ],
)
