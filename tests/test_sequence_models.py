"""Notebook 01: the reference agrees with nn.RNNCell, nn.RNN, nn.LSTMCell and nn.LSTM; the checks accept correct
code written differently and name the mistakes of student-style buggy code (written here independently of the
check's catalog); the experiments show the effects the notebook claims."""

import math

import pytest
import torch
from checking import assert_rejected
from threadcount import assert_restores_the_thread_count
from torch import nn

from course_lib import solutions as S
from course_lib.checks import check_lstm_cell, check_rnn_cell, check_rnn_forward
from course_lib.experiments import sequence_models as E


# -- the reference against PyTorch --------------------------------------------------------------------------
def rnn_weights(module, suffix=""):
    """(W_xh, W_hh, b_h) in this course's layout from a PyTorch RNN module's (H, D) weights and two biases."""
    p = dict(module.named_parameters())
    return (p["weight_ih" + suffix].T.detach(), p["weight_hh" + suffix].T.detach(),
            (p["bias_ih" + suffix] + p["bias_hh" + suffix]).detach())


def test_rnn_cell_equals_torch_rnn_cell():
    torch.manual_seed(0)
    cell = nn.RNNCell(3, 5)
    x, h = torch.randn(4, 3), torch.randn(4, 5)
    with torch.no_grad():
        torch.testing.assert_close(S.rnn_cell(x, h, *rnn_weights(cell)), cell(x, h))


def test_rnn_forward_equals_torch_rnn():
    torch.manual_seed(1)
    rnn = nn.RNN(3, 5, batch_first=True)
    x, h0 = torch.randn(2, 7, 3), torch.randn(2, 5)
    outputs, h_last = S.rnn_forward(x, h0, *rnn_weights(rnn, "_l0"))
    with torch.no_grad():
        want_outputs, want_last = rnn(x, h0[None])
    torch.testing.assert_close(outputs, want_outputs)
    torch.testing.assert_close(h_last, want_last[0])


def test_lstm_cell_equals_torch_lstm_cell():
    torch.manual_seed(2)
    cell = nn.LSTMCell(3, 5)
    x, h, c = torch.randn(4, 3), torch.randn(4, 5), torch.randn(4, 5)
    h_t, c_t = S.lstm_cell(x, h, c, *rnn_weights(cell))
    with torch.no_grad():
        want_h, want_c = cell(x, (h, c))
    torch.testing.assert_close(h_t, want_h)
    torch.testing.assert_close(c_t, want_c)


def test_lstm_cell_looped_equals_torch_lstm():
    """Applied step by step, the cell reproduces nn.LSTM over a whole sequence, so the gate order is PyTorch's."""
    torch.manual_seed(3)
    lstm = nn.LSTM(4, 6, batch_first=True)
    x = torch.randn(3, 9, 4)
    h, c = torch.zeros(3, 6), torch.zeros(3, 6)
    states = []
    for t in range(x.shape[1]):
        h, c = S.lstm_cell(x[:, t], h, c, *rnn_weights(lstm, "_l0"))
        states.append(h)
    with torch.no_grad():
        want, (want_h, want_c) = lstm(x)
    torch.testing.assert_close(torch.stack(states, dim=1), want)
    torch.testing.assert_close(c, want_c[0])


# -- correct, written differently: must pass --------------------------------------------------------------
def rnn_cell_einsum(x_t, h_prev, W_xh, W_hh, b_h):
    return torch.tanh(torch.einsum("bd,dh->bh", x_t, W_xh) + torch.einsum("bk,kh->bh", h_prev, W_hh) + b_h)


def rnn_cell_concatenated(x_t, h_prev, W_xh, W_hh, b_h):
    xh = torch.cat([x_t, h_prev], dim=1)  # (B, D + H)
    W = torch.cat([W_xh, W_hh], dim=0)  # (D + H, H)
    return torch.addmm(b_h, xh, W).tanh()


def rnn_cell_float64_inside(x_t, h_prev, W_xh, W_hh, b_h):
    pre = x_t.double() @ W_xh.double() + h_prev.double() @ W_hh.double() + b_h.double()
    return ((pre.exp() - (-pre).exp()) / (pre.exp() + (-pre).exp())).to(x_t.dtype)


def rnn_forward_preallocated(x, h0, W_xh, W_hh, b_h):
    B, T, _ = x.shape
    outputs = x.new_zeros(B, T, h0.shape[1])
    h = h0
    for t in range(T):
        h = rnn_cell_einsum(x[:, t], h, W_xh, W_hh, b_h)
        outputs[:, t] = h
    return outputs, h


def rnn_forward_projected_once(x, h0, W_xh, W_hh, b_h):
    """Project every input in one product first (what cuDNN does), then run only the recurrence."""
    projected = x @ W_xh + b_h  # (B, T, H)
    h, states = h0, []
    for p_t in projected.unbind(dim=1):
        h = torch.tanh(p_t + h @ W_hh)
        states.append(h)
    return torch.stack(states).transpose(0, 1), states[-1]


def lstm_cell_sliced(x_t, h_prev, c_prev, W_ih, W_hh, b):
    H = h_prev.shape[1]
    z = x_t @ W_ih + h_prev @ W_hh + b
    i = torch.sigmoid(z[:, :H])
    f = torch.sigmoid(z[:, H:2 * H])
    g = torch.tanh(z[:, 2 * H:3 * H])
    o = torch.sigmoid(z[:, 3 * H:])
    c = f * c_prev + i * g
    return o * torch.tanh(c), c


def lstm_cell_own_activations(x_t, h_prev, c_prev, W_ih, W_hh, b):
    sig = lambda z: 1 / (1 + torch.exp(-z))  # noqa: E731
    tanh = lambda z: 2 * sig(2 * z) - 1  # noqa: E731
    z = torch.cat([x_t, h_prev], -1) @ torch.cat([W_ih, W_hh], 0) + b
    i, f, g, o = torch.split(z, h_prev.shape[-1], dim=-1)
    c = torch.addcmul(sig(f) * c_prev, sig(i), tanh(g))
    return sig(o) * tanh(c), c


@pytest.mark.parametrize("check,impl", [
    (check_rnn_cell, rnn_cell_einsum),
    (check_rnn_cell, rnn_cell_concatenated),
    (check_rnn_cell, rnn_cell_float64_inside),
    (check_rnn_forward, rnn_forward_preallocated),
    (check_rnn_forward, rnn_forward_projected_once),
    (check_lstm_cell, lstm_cell_sliced),
    (check_lstm_cell, lstm_cell_own_activations),
])
def test_correct_code_written_differently_passes(check, impl, capsys):
    check(impl)
    assert "\u2714" in capsys.readouterr().out


# -- student-style mistakes: must fail, naming the mistake ----------------------------------------------------
def rnn_cell_linear(x_t, h_prev, W_xh, W_hh, b_h):
    return x_t @ W_xh + h_prev @ W_hh + b_h


def rnn_cell_relu(x_t, h_prev, W_xh, W_hh, b_h):
    return torch.relu(x_t.mm(W_xh) + h_prev.mm(W_hh) + b_h)


def rnn_cell_sigmoid(x_t, h_prev, W_xh, W_hh, b_h):
    return (x_t @ W_xh + h_prev @ W_hh + b_h).sigmoid()


def rnn_cell_pytorch_layout(x_t, h_prev, W_xh, W_hh, b_h):
    return torch.tanh(x_t @ W_xh + torch.matmul(W_hh, h_prev.T).T + b_h)  # h_prev @ W_hh.T in disguise


def rnn_cell_no_bias(x_t, h_prev, W_xh, W_hh, b_h):
    return torch.tanh(x_t @ W_xh + h_prev @ W_hh)


def rnn_forward_from_h0(x, h0, W_xh, W_hh, b_h):
    states = [S.rnn_cell(x[:, t], h0, W_xh, W_hh, b_h) for t in range(x.size(1))]
    return torch.stack(states, 1), states[-1]


def rnn_forward_time_major(x, h0, W_xh, W_hh, b_h):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = S.rnn_cell(x[:, t], h, W_xh, W_hh, b_h)
        states.append(h)
    return torch.stack(states), h


def rnn_forward_first_state(x, h0, W_xh, W_hh, b_h):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = S.rnn_cell(x[:, t], h, W_xh, W_hh, b_h)
        states.append(h)
    outputs = torch.stack(states, 1)
    return outputs, outputs[:, 0]


def rnn_forward_step_without_bias(x, h0, W_xh, W_hh, b_h):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = rnn_cell_no_bias(x[:, t], h, W_xh, W_hh, b_h)
        states.append(h)
    return torch.stack(states, 1), h


def lstm_ifog(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, o, g = (x_t @ W_ih + h_prev @ W_hh + b).chunk(4, 1)
    c = i.sigmoid() * g.tanh() + f.sigmoid() * c_prev
    return o.sigmoid() * c.tanh(), c


def lstm_figo(x_t, h_prev, c_prev, W_ih, W_hh, b):
    f, i, g, o = (x_t @ W_ih + h_prev @ W_hh + b).chunk(4, 1)
    c = f.sigmoid() * c_prev + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def lstm_no_forget(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = (x_t @ W_ih + h_prev @ W_hh + b).chunk(4, 1)
    c = c_prev + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def lstm_h_without_tanh(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = (x_t @ W_ih + h_prev @ W_hh + b).chunk(4, 1)
    c = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * c, c


def lstm_all_sigmoid(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = torch.sigmoid(x_t @ W_ih + h_prev @ W_hh + b).chunk(4, 1)
    c = f * c_prev + i * g
    return o * torch.tanh(c), c


def lstm_chunk_default_dim(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = (x_t @ W_ih + h_prev @ W_hh + b).chunk(4)  # dim 0 by default: the batch
    c = f.sigmoid() * c_prev + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def lstm_input_and_forget_swapped(x_t, h_prev, c_prev, W_ih, W_hh, b):
    i, f, g, o = (x_t @ W_ih + h_prev @ W_hh + b).chunk(4, dim=-1)
    c = i.sigmoid() * c_prev + f.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


@pytest.mark.parametrize("check,impl,named", [
    (check_lstm_cell, lstm_chunk_default_dim, "cut along the batch axis"),
    (check_lstm_cell, lstm_input_and_forget_swapped, "c_t = i * c_prev + f * g"),
    (check_rnn_cell, rnn_cell_linear, "no nonlinearity"),
    (check_rnn_cell, rnn_cell_relu, "relu instead of tanh"),
    (check_rnn_cell, rnn_cell_sigmoid, "sigmoid instead of tanh"),
    (check_rnn_cell, rnn_cell_pytorch_layout, "W_hh transposed"),
    (check_rnn_cell, rnn_cell_no_bias, "the bias missing"),
    (check_rnn_forward, rnn_forward_from_h0, "hidden state not carried"),
    (check_rnn_forward, rnn_forward_time_major, "(T, B, H)"),
    (check_rnn_forward, rnn_forward_first_state, "first hidden state returned instead of the last"),
    (check_rnn_forward, rnn_forward_step_without_bias, "check_rnn_cell pass first"),
    (check_lstm_cell, lstm_ifog, "order i, f, o, g"),
    (check_lstm_cell, lstm_figo, "order f, i, g, o"),
    (check_lstm_cell, lstm_no_forget, "not passed through the forget gate"),
    (check_lstm_cell, lstm_h_without_tanh, "tanh missing on the cell in h_t"),
    (check_lstm_cell, lstm_all_sigmoid, "sigmoid instead of tanh on the candidate g"),
])
def test_student_style_mistake_is_named(check, impl, named):
    assert_rejected(check, impl, names=named)


def test_time_major_outputs_are_reported_as_a_shape_first():
    assert_rejected(check_rnn_forward, rnn_forward_time_major,
                    names="`outputs` has shape (4, 2, 5), expected (2, 4, 5)")


# -- the experiments show the claimed direction ---------------------------------------------------------------
def test_threads_context_restores_the_thread_count():
    assert_restores_the_thread_count(E.threads)


def test_open_forget_gate_sets_the_forget_gate():
    lstm = nn.LSTM(3, 4)
    E.open_forget_gate(lstm, 3.0)
    total = lstm.bias_ih_l0 + lstm.bias_hh_l0
    torch.testing.assert_close(total[4:8], torch.full((4,), 3.0), check_dtype=False)


def test_time_per_sequence_measures_each_length():
    """The timing helper measures one number per length; that an 8x longer sequence takes several times longer
    is notebook 01's measurement and make bench's, never a test's (a busy machine would decide it)."""
    times = E.time_per_sequence([16, 128], 1, repeats=2)
    assert len(times) == 2 and all(math.isfinite(s) and s > 0 for s in times), times


def test_rnn_gradient_fades_and_an_open_forget_gate_keeps_it():
    rnn = E.gradient_to_first_step("rnn", 30)
    lstm_default = E.gradient_to_first_step("lstm", 30)
    lstm_open = E.gradient_to_first_step("lstm", 30, forget_bias=3.0)
    assert rnn[29] < 1e-4 * rnn[0], "the RNN's gradient should fade geometrically"
    assert lstm_default[29] < 1e-4 * lstm_default[0], "with f near 0.5 the LSTM's gradient fades too"
    assert lstm_open[29] > 0.1 * lstm_open[0], "with f near 0.95 the LSTM's gradient should survive 30 steps"


def test_recall_task_lstm_learns_a_dependency_the_rnn_does_not():
    # 300 steps each, counted in steps: how long they take is make bench's business, not a test's
    rnn = E.train_recall("rnn", 24, 300)
    lstm = E.train_recall("lstm", 24, 300)
    assert lstm > 0.9 and rnn < 0.5, f"k = 24: RNN {rnn:.3f}, LSTM {lstm:.3f}"


def test_recall_batch_answers_the_first_symbol():
    x, y = E.recall_batch(5, 7, torch.Generator().manual_seed(0))
    assert x.shape == (5, 7, E.VOCAB) and torch.equal(x[:, 0].argmax(-1), y)  # one-hot rows, integer labels
