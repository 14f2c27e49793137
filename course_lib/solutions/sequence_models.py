"""Notebook 01: a vanilla RNN and an LSTM, read one step at a time."""
import torch

__all__ = ["rnn_cell", "rnn_forward", "lstm_cell"]


def rnn_cell(x_t, h_prev, W_xh, W_hh, b_h):
    """Mix one input with the previous hidden state and squash the sum into the new hidden state."""
    return torch.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)  # (B, D) x (D, H) + (B, H) x (H, H) + (H,) -> (B, H)


def rnn_forward(x, h0, W_xh, W_hh, b_h):
    """Run the cell along the sequence, carrying the hidden state from each step to the next."""
    B, T, D = x.shape
    h = h0  # (B, H)
    outputs = []
    for t in range(T):  # one step after the other: step t needs the state of step t - 1
        h = rnn_cell(x[:, t], h, W_xh, W_hh, b_h)  # (B, D), (B, H) -> (B, H)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h  # T x (B, H) -> (B, T, H); the last state (B, H)


def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b):
    """Update the cell through the forget and input gates, then read it out through the output gate."""
    gates = x_t @ W_ih + h_prev @ W_hh + b  # (B, D) x (D, 4H) + (B, H) x (H, 4H) + (4H,) -> (B, 4H)
    i, f, g, o = gates.chunk(4, dim=-1)  # four (B, H) blocks, in PyTorch's order
    i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)  # gates: how much, between 0 and 1
    g = torch.tanh(g)  # the candidate content, between -1 and 1
    c_t = f * c_prev + i * g  # keep part of the old cell, write part of the new content: (B, H)
    h_t = o * torch.tanh(c_t)  # (B, H)
    return h_t, c_t
