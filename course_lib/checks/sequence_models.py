"""Checks for notebook 01: the RNN cell, the RNN over a sequence, the LSTM cell."""
import torch

from ..solutions import sequence_models as ref
from .framework import Case, Exercise, Mistake, randn, seeded


# -- rnn_cell -----------------------------------------------------------------------------------------------
def _rnn_weights(g, D, H, dtype=torch.float32):
    """W_xh (D, H), W_hh (H, H) and b_h (H,); a random W_hh is not symmetric, so a transpose shows."""
    return (randn(g, D, H, dtype=dtype, scale=0.6), randn(g, H, H, dtype=dtype, scale=0.6),
            randn(g, H, dtype=dtype, scale=0.5))


def _rnn_cell_cases(seed):
    g = seeded(seed)
    B, D, H = 2, 3, 5  # all different, so a transposed weight or a wrong axis shows
    return [
        Case("B=2, D=3, H=5", (randn(g, B, D), randn(g, B, H), *_rnn_weights(g, D, H))),
        Case("batch 1, D=4, H=6", (randn(g, 1, 4), randn(g, 1, 6), *_rnn_weights(g, 4, 6))),
        Case("first step, h_prev = 0", (randn(g, 3, D), torch.zeros(3, H), *_rnn_weights(g, D, H))),
        Case("input wider than the state, D=7, H=2", (randn(g, 4, 7), randn(g, 4, 2), *_rnn_weights(g, 7, 2))),
        Case("float64", (randn(g, B, D, dtype=torch.float64), randn(g, B, H, dtype=torch.float64),
                         *_rnn_weights(g, D, H, torch.float64))),
    ]


def _cell(x_t, h_prev, W_xh, W_hh, b_h, act=torch.tanh, transpose_hh=False, bias=True, bias_outside=False):
    """The RNN cell with one thing changed, to build the known mistakes."""
    pre = x_t @ W_xh + h_prev @ (W_hh.T if transpose_hh else W_hh)
    if bias and not bias_outside:
        pre = pre + b_h
    h = act(pre)
    return h + b_h if bias_outside else h


def _cell_variant(**change):
    return lambda x_t, h_prev, W_xh, W_hh, b_h: _cell(x_t, h_prev, W_xh, W_hh, b_h, **change)


RNN_CELL_MISTAKES = [
    Mistake("no nonlinearity (a purely linear cell)", _cell_variant(act=lambda z: z),
            "squash the sum with torch.tanh: without it the state can grow without bound, and a stack of "
            "linear steps is just one linear map."),
    Mistake("relu instead of tanh", _cell_variant(act=torch.relu),
            "the vanilla RNN (and nn.RNNCell's default) uses torch.tanh, which keeps the state in (-1, 1) "
            "and lets it be negative."),
    Mistake("sigmoid instead of tanh", _cell_variant(act=torch.sigmoid),
            "use torch.tanh: sigmoid is for gates (between 0 and 1); the state lives in (-1, 1)."),
    Mistake("W_hh transposed (h_prev @ W_hh.T)", _cell_variant(transpose_hh=True),
            "W_hh is (H, H), so the transpose has the same shape and no error shows: the contract is "
            "h_prev @ W_hh, rows indexed by the old state, columns by the new one."),
    Mistake("the bias missing", _cell_variant(bias=False),
            "add b_h (shape (H,), it broadcasts over the batch) inside the tanh."),
    Mistake("the bias added after the tanh", _cell_variant(bias_outside=True),
            "b_h goes inside: tanh(x_t @ W_xh + h_prev @ W_hh + b_h)."),
]

RNN_CELL = Exercise(
    "rnn_cell", ref.rnn_cell, _rnn_cell_cases, arg_names=["x_t", "h_prev", "W_xh", "W_hh", "b_h"],
    mistakes=RNN_CELL_MISTAKES,
)



# -- rnn_forward --------------------------------------------------------------------------------------------
def _rnn_forward_cases(seed):
    g = seeded(seed)
    return [  # B != T everywhere, so outputs stacked as (T, B, H) show as a wrong shape
        Case("B=2, T=4, D=3, H=5", (randn(g, 2, 4, 3), randn(g, 2, 5), *_rnn_weights(g, 3, 5))),
        Case("h0 = 0", (randn(g, 3, 5, 4), torch.zeros(3, 2), *_rnn_weights(g, 4, 2))),
        Case("batch 1, T=6", (randn(g, 1, 6, 2), randn(g, 1, 3), *_rnn_weights(g, 2, 3))),
        Case("length 1", (randn(g, 3, 1, 4), randn(g, 3, 5), *_rnn_weights(g, 4, 5))),
        Case("float64", (randn(g, 2, 3, 4, dtype=torch.float64), randn(g, 2, 5, dtype=torch.float64),
                         *_rnn_weights(g, 4, 5, torch.float64))),
    ]


def _loop(x, h0, W_xh, W_hh, b_h, cell=ref.rnn_cell, carry=True, stack_dim=1, cat=False, last="last",
          with_h0=False, states_before=False):
    """The RNN over a sequence with one thing changed, to build the known mistakes."""
    h = h0
    outputs = [h0] if with_h0 else []
    for t in range(x.shape[1]):
        new = cell(x[:, t], h if carry else h0, W_xh, W_hh, b_h)
        outputs.append(h if states_before else new)
        h = new
    stacked = torch.cat(outputs, dim=1) if cat else torch.stack(outputs, dim=stack_dim)
    h_last = {"last": h, "first": outputs[0], "h0": h0}[last]
    return stacked, h_last


def _loop_variant(**change):
    return lambda x, h0, W_xh, W_hh, b_h: _loop(x, h0, W_xh, W_hh, b_h, **change)


def _rnn_over_batch(x, h0, W_xh, W_hh, b_h):
    """`for x_t in x:` walks the batch, not the time axis."""
    h, outputs = h0, []
    for x_t in x:  # (T, D)
        h = ref.rnn_cell(x_t, h, W_xh, W_hh, b_h)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h


_CELL_FIRST = "rnn_forward runs your rnn_cell at every step: make check_rnn_cell pass first. "

RNN_FORWARD = Exercise(
    "rnn_forward", ref.rnn_forward, _rnn_forward_cases, arg_names=["x", "h0", "W_xh", "W_hh", "b_h"],
    outputs=["outputs", "h_last"],
    mistakes=[
        Mistake("the hidden state not carried (every step starts from h0)", _loop_variant(carry=False),
                "pass the state returned by step t - 1 into step t: h = rnn_cell(x[:, t], h, ...), "
                "with h = h0 only before the loop."),
        Mistake("outputs stacked along the wrong axis, (T, B, H)", _loop_variant(stack_dim=0),
                "torch.stack(outputs) stacks along dim 0; this course is batch first: torch.stack(outputs, dim=1)."),
        Mistake("outputs concatenated into (B, T*H)", _loop_variant(cat=True),
                "torch.cat joins the steps along an existing axis; torch.stack(outputs, dim=1) adds the time axis."),
        Mistake("the first hidden state returned instead of the last", _loop_variant(last="first"),
                "h_last is the state after the final step, outputs[:, -1], not outputs[:, 0]."),
        Mistake("h0 returned as the last hidden state", _loop_variant(last="h0"),
                "return the state after the final step, the one the loop ends with."),
        Mistake("h0 included in the outputs, (B, T+1, H)", _loop_variant(with_h0=True),
                "outputs[:, t] is the state *after* reading x[:, t]: collect the new states only."),
        Mistake("outputs holding the state before each step (h0 ... h_(T-1))", _loop_variant(states_before=True),
                "append the new state after calling rnn_cell, not the one you passed in."),
        Mistake("a loop over the batch instead of over time (`for x_t in x`)", _rnn_over_batch,
                "x is (B, T, D): iterating over x walks the batch; loop over t in range(T) and take x[:, t]."),
    ] + [
        Mistake(f"a wrong step inside the loop: {m.name}", _loop_variant(cell=m.impl), _CELL_FIRST + m.hint)
        for m in RNN_CELL_MISTAKES
    ],
)



# -- lstm_cell ----------------------------------------------------------------------------------------------
def _lstm_weights(g, D, H, dtype=torch.float32):
    """W_ih (D, 4H), W_hh (H, 4H) and b (4H,), at a scale where every gate is neither 0 nor 1."""
    return (randn(g, D, 4 * H, dtype=dtype, scale=0.6), randn(g, H, 4 * H, dtype=dtype, scale=0.6),
            randn(g, 4 * H, dtype=dtype, scale=0.5))


def _lstm_cell_cases(seed):
    g = seeded(seed)
    B, D, H = 2, 3, 5
    return [
        Case("B=2, D=3, H=5", (randn(g, B, D), randn(g, B, H), randn(g, B, H), *_lstm_weights(g, D, H))),
        Case("batch 1, D=4, H=6", (randn(g, 1, 4), randn(g, 1, 6), randn(g, 1, 6), *_lstm_weights(g, 4, 6))),
        Case("first step, h_prev = c_prev = 0", (randn(g, 3, D), torch.zeros(3, H), torch.zeros(3, H),
                                                 *_lstm_weights(g, D, H))),
        Case("a large old cell, c_prev * 3", (randn(g, B, D), randn(g, B, H), randn(g, B, H, scale=3.0),
                                              *_lstm_weights(g, D, H))),
        Case("input wider than the state, D=7, H=2", (randn(g, 4, 7), randn(g, 4, 2), randn(g, 4, 2),
                                                      *_lstm_weights(g, 7, 2))),
        Case("float64", (randn(g, B, D, dtype=torch.float64), randn(g, B, H, dtype=torch.float64),
                         randn(g, B, H, dtype=torch.float64), *_lstm_weights(g, D, H, torch.float64))),
    ]


def _lstm(x_t, h_prev, c_prev, W_ih, W_hh, b, order="ifgo", interleaved=False, bias=True, g_act=torch.tanh,
          forget=True, keep_old=True, squash_cell=False, tanh_in_h=True, h_from_old=False, swap=False,
          chunk_dim=-1, swap_i_f=False):
    """The LSTM cell with one thing changed, to build the known mistakes."""
    gates = x_t @ W_ih + h_prev @ W_hh + (b if bias else 0)
    if interleaved:
        blocks = gates.reshape(*gates.shape[:-1], -1, 4).unbind(-1)  # (B, H, 4): gate j takes columns j::4
    else:
        first, second, third, fourth = gates.chunk(4, dim=chunk_dim)  # dim 0 cuts the batch: ValueError if B != 4
        blocks = (first, second, third, fourth)
    parts = dict(zip(order, blocks))
    i, f, o = torch.sigmoid(parts["i"]), torch.sigmoid(parts["f"]), torch.sigmoid(parts["o"])
    if swap_i_f:
        i, f = f, i
    g = g_act(parts["g"])
    old = (f * c_prev if forget else c_prev) if keep_old else 0
    c_t = old + i * g
    if squash_cell:
        c_t = torch.tanh(c_t)
    read = c_prev if h_from_old else c_t
    h_t = o * (torch.tanh(read) if tanh_in_h else read)
    return (c_t, h_t) if swap else (h_t, c_t)


def _lstm_variant(**change):
    return lambda x_t, h_prev, c_prev, W_ih, W_hh, b: _lstm(x_t, h_prev, c_prev, W_ih, W_hh, b, **change)


_ORDER = ("PyTorch's order is i, f, g, o: i, f, g, o = gates.chunk(4, dim=-1). Weights trained by nn.LSTM "
          "only work in that order.")

LSTM_CELL = Exercise(
    "lstm_cell", ref.lstm_cell, _lstm_cell_cases, arg_names=["x_t", "h_prev", "c_prev", "W_ih", "W_hh", "b"],
    outputs=["h_t", "c_t"],
    mistakes=[
        Mistake("the gates cut along the batch axis (chunk(4) or chunk(4, 0))", _lstm_variant(chunk_dim=0),
                "gates is (B, 4H) and chunk's dim defaults to 0, the batch: gates.chunk(4, dim=-1) cuts the "
                "4H columns into the four (B, H) blocks."),
        Mistake("the input and forget gates swapped in the cell update (c_t = i * c_prev + f * g)",
                _lstm_variant(swap_i_f=True),
                "the forget gate f multiplies the old cell and the input gate i the candidate: "
                "c_t = f * c_prev + i * g."),
        Mistake("the gates in the order i, f, o, g", _lstm_variant(order="ifog"), _ORDER),
        Mistake("the gates in the order f, i, g, o", _lstm_variant(order="figo"), _ORDER),
        Mistake("the gates in the order i, g, f, o (TensorFlow's i, j, f, o)", _lstm_variant(order="igfo"), _ORDER),
        Mistake("the gates in the order i, f, g, o but interleaved (reshape(B, H, 4))",
                _lstm_variant(interleaved=True),
                "each gate is one consecutive block of H columns: gates[:, 0:H] is i, gates[:, H:2H] is f, "
                "and so on; gates.chunk(4, dim=-1) cuts them that way."),
        Mistake("the bias missing", _lstm_variant(bias=False), "add b (shape (4H,)) to the gate pre-activations."),
        Mistake("sigmoid instead of tanh on the candidate g", _lstm_variant(g_act=torch.sigmoid),
                "i, f and o are gates (sigmoid, between 0 and 1); g is new content and takes torch.tanh, "
                "so it can also be negative."),
        Mistake("the cell state not passed through the forget gate (c_t = c_prev + i * g)",
                _lstm_variant(forget=False),
                "the forget gate decides how much of the old cell to keep: c_t = f * c_prev + i * g."),
        Mistake("the old cell state dropped (c_t = i * g)", _lstm_variant(keep_old=False),
                "c_t = f * c_prev + i * g: the term f * c_prev is the LSTM's memory."),
        Mistake("a tanh applied to the new cell state itself", _lstm_variant(squash_cell=True),
                "c_t = f * c_prev + i * g, with no tanh: the tanh belongs in h_t = o * tanh(c_t), and the "
                "cell stays unsquashed so that it can carry information unchanged."),
        Mistake("the tanh missing on the cell in h_t (h_t = o * c_t)", _lstm_variant(tanh_in_h=False),
                "h_t = o * torch.tanh(c_t)."),
        Mistake("h_t read from the old cell (o * tanh(c_prev))", _lstm_variant(h_from_old=True),
                "compute c_t first, then h_t = o * torch.tanh(c_t)."),
        Mistake("(c_t, h_t) returned instead of (h_t, c_t)", _lstm_variant(swap=True),
                "return h_t first, as nn.LSTMCell does: return h_t, c_t."),
    ],
)


