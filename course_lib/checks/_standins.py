"""Stand-in models: the fixed models the checks of `seq2seq_loss`, `greedy_decode` and `generate` drive.

Those three exercises take a model as an argument. The check must not hand the learner a reference
`Transformer` or `GPT` (the student environment ships without them, see `_recorded.py`), and recording every
question a learner's code may ask of a model is impossible in general. So the cases carry these models
instead, in the full package and in the student environment alike: they keep the contract's interface, but
their insides are no solution of any exercise of the course. Each position reads the MEAN of the positions a
mask allows (uniform weights, no scores, no softmax), adds its own embedding and its position's, and goes
through a fixed tanh layer and a linear read-out. The decoder and the GPT take two such steps, so that their
last position depends on what the mask let the earlier positions read (a stand-in must be at least as
discriminating as the model it replaces: in a one-step model the last position reads everything whatever the
causal mask says). There are no heads, no layer norms and no attention.

* `StandInTransformer`: `encode(src, src_mask=None)`, `decode(tgt, memory, tgt_mask=None, memory_mask=None)`
  (causal by itself, `tgt_mask` added to it), `out`, `forward(src, tgt, src_mask=None, tgt_mask=None)`.
  Masks are bool, True = may read, broadcasting against (B, 1, T_query, T_key) as the course's masks do.
* `StandInGPT`: `forward(idx, cache=None) -> (logits, cache)`, causal, positions counted on from the cached
  length. The cache holds each layer's running sum (float64) and the length, so a call with a cache
  continues exactly where a call on the whole sequence would be.

Both are built from a `torch.Generator` (seeded weights, the global RNG left alone), never trained, in
eval() with no gradients; `_record()` / `_replay()` turn them into plain data and back (their sizes and
weights), which is how the student environment's recordings carry them.

`CallRecorder` is the course's one call recorder: `Watched` (a stand-in that writes down how the learner's code
calls it) is one, and so is notebook 09's timing of a generate (`course_lib.experiments.gpt.CallRecorder`).
"""
import torch
from torch import nn


def mean_over_allowed(values, mask, queries):
    """(B, T_key, D) values -> (B, queries, D): each query's mean over the keys `mask` allows (all if None).

    `mask` is bool, True = may read, broadcasting against (B, 1, queries, T_key); a query that may read no
    key gets zeros.
    """
    B, T_key, _ = values.shape
    allowed = torch.ones(B, 1, queries, T_key, dtype=values.dtype)
    if mask is not None:
        allowed = allowed * mask.to(values.dtype)  # (B, 1 or h, queries, T_key)
    weights = allowed / allowed.sum(-1, keepdim=True).clamp(min=1)  # uniform over the allowed keys
    return (weights @ values[:, None]).mean(1)  # (B, h, queries, T_key) x (B, 1, T_key, D) -> (B, queries, D)


def _seeded(g, *shape, scale):
    return nn.Parameter(torch.randn(*shape, generator=g) * scale, requires_grad=False)


def _read_out(g, d_model, vocab, scale):
    """nn.Linear(d_model, vocab) with seeded weights (`scale`: how decisive its argmax is)."""
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its first weights from the global RNG: leave it alone
        out = nn.Linear(d_model, vocab)
    with torch.no_grad():
        out.weight.copy_(torch.randn(vocab, d_model, generator=g) * scale * d_model ** -0.5)
        out.bias.copy_(torch.randn(vocab, generator=g) * 0.1)
    return out


class _StandIn(nn.Module):
    """A fixed model: sizes in `self.sizes`, weights seeded from `g` (or zeros, to be loaded by `_replay`)."""

    def __init__(self, **sizes):
        super().__init__()
        self.sizes = sizes

    def _record(self):
        """Plain data that rebuilds this model (`_replay`): its sizes and its weights."""
        return {"sizes": dict(self.sizes), "weights": {k: v.clone() for k, v in self.state_dict().items()}}

    @classmethod
    def _replay(cls, data):
        model = cls(**data["sizes"])
        with torch.no_grad():
            for name, tensor in model.state_dict().items():
                tensor.copy_(data["weights"][name])
        return model

    def _finish(self):
        return self.eval().requires_grad_(False)

    def __repr__(self):  # what a check's message shows of the case's model: short, and plainly not yours
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes.items())
        return f"a fixed stand-in {type(self).__name__.removeprefix('StandIn')} ({sizes})"


class StandInTransformer(_StandIn):
    """An encoder-decoder with the contract's interface, built on masked means (no attention, no norms)."""

    def __init__(self, src_vocab, tgt_vocab, d_model, max_len, g=None, scale=1.0, positions=2.5, memory=3.0):
        """`scale`: of the read-out (how decisive the argmax is); `positions`: of the target's position
        embeddings (strong: greedy outputs vary along the sequence); `memory`: of what the decoder reads from
        the source (strong: the source's mask shows in the outputs)."""
        super().__init__(src_vocab=src_vocab, tgt_vocab=tgt_vocab, d_model=d_model, max_len=max_len)
        g = g if g is not None else torch.Generator().manual_seed(0)  # overwritten by `_replay`
        D = d_model
        self.src_embed = nn.Embedding(src_vocab, D, _weight=torch.randn(src_vocab, D, generator=g))
        self.tgt_embed = nn.Embedding(tgt_vocab, D, _weight=torch.randn(tgt_vocab, D, generator=g))
        self.src_pos = _seeded(g, max_len, D, scale=0.5)
        self.tgt_pos = _seeded(g, max_len, D, scale=positions)
        self.enc_own, self.enc_context = _seeded(g, D, D, scale=D ** -0.5), _seeded(g, D, D, scale=2 * D ** -0.5)
        self.dec_own, self.dec_past = _seeded(g, D, D, scale=D ** -0.5), _seeded(g, D, D, scale=D ** -0.5)
        self.dec_memory = _seeded(g, D, D, scale=memory * D ** -0.5)
        self.mix_own, self.mix_past = _seeded(g, D, D, scale=D ** -0.5), _seeded(g, D, D, scale=1.5 * D ** -0.5)
        self.out = _read_out(g, D, tgt_vocab, scale)
        self._finish()

    def encode(self, src, src_mask=None):
        """(B, S) tokens -> memory (B, S, D): each position with the mean of the positions src_mask allows."""
        x = self.src_embed(src) + self.src_pos[:src.size(1)]  # (B, S, D)
        context = mean_over_allowed(x, src_mask, src.size(1))  # (B, S, D)
        return torch.tanh(x @ self.enc_own + context @ self.enc_context)

    def decode(self, tgt, memory, tgt_mask=None, memory_mask=None):
        """(B, T) tokens -> (B, T, D): each position reads its past (causal, & tgt_mask) and the memory, then
        reads its past once more (a second step, as a second layer would: so the last position's output depends
        on what the mask let the earlier positions read, and a wrong mask shows there too)."""
        T = tgt.size(1)
        y = self.tgt_embed(tgt) + self.tgt_pos[:T]  # (B, T, D)
        causal = torch.ones(T, T, dtype=torch.bool).tril()  # (T, T): position t reads 0..t
        mask = causal if tgt_mask is None else causal & tgt_mask
        past = mean_over_allowed(y, mask, T)  # (B, T, D)
        seen = mean_over_allowed(memory, memory_mask, T)  # (B, T, D)
        h = torch.tanh(y @ self.dec_own + past @ self.dec_past + seen @ self.dec_memory)  # (B, T, D)
        return h + torch.tanh(h @ self.mix_own + mean_over_allowed(h, mask, T) @ self.mix_past)  # (B, T, D)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None):
        """Logits (B, T, tgt_vocab); src_mask also hides the source's padding from the decoder."""
        return self.out(self.decode(tgt, self.encode(src, src_mask), tgt_mask, src_mask))


class StandInGPT(_StandIn):
    """A decoder-only model with the contract's `forward(idx, cache=None) -> (logits, cache)`: each layer adds
    a tanh of the position's state and of the mean of the states up to it (causal), no attention."""

    def __init__(self, vocab_size, max_len, d_model, num_layers, g=None, scale=1.0):
        super().__init__(vocab_size=vocab_size, max_len=max_len, d_model=d_model, num_layers=num_layers)
        g = g if g is not None else torch.Generator().manual_seed(0)  # overwritten by `_replay`
        D = d_model
        self.tok_embed = nn.Embedding(vocab_size, D, _weight=torch.randn(vocab_size, D, generator=g))
        self.pos_embed = nn.Embedding(max_len, D, _weight=torch.randn(max_len, D, generator=g) * 0.5)
        self.own = _seeded(g, num_layers, D, D, scale=D ** -0.5)
        self.past = _seeded(g, num_layers, D, D, scale=1.5 * D ** -0.5)
        self.head = _read_out(g, D, vocab_size, scale)
        self._finish()

    def forward(self, idx, cache=None):
        """idx (B, T) -> logits (B, T, vocab_size) and the cache {"length", "sums": one (B, D) per layer}."""
        B, T = idx.shape
        start = 0 if cache is None else cache["length"]  # positions counted on from the cached length
        x = self.tok_embed(idx) + self.pos_embed(torch.arange(start, start + T))  # (B, T, D)
        counts = torch.arange(start + 1, start + T + 1, dtype=torch.float64)[:, None]  # (T, 1): 1.. at position 0
        sums = []
        for layer in range(self.sizes["num_layers"]):
            before = torch.zeros(B, 1, x.size(-1), dtype=torch.float64) if cache is None else \
                cache["sums"][layer][:, None]  # (B, 1, D): the sum of the cached positions' states
            running = torch.cat([before, x.double()], dim=1).cumsum(1)[:, 1:]  # (B, T, D), in one order always
            sums.append(running[:, -1] if T else before[:, 0])
            mean = (running / counts).float()  # (B, T, D): the mean of the states up to each position
            x = x + torch.tanh(x @ self.own[layer] + mean @ self.past[layer])
        return self.head(x), {"length": start + T, "sums": sums}


# -- the one call recorder: what the checks watch, and what notebook 09's experiment times ----------------------------
def argument(args, kwargs, position: int, name: str, default=None):
    """The argument of a call at `position`, or passed as `name`, else `default`."""
    return args[position] if len(args) > position else kwargs.get(name, default)


class CallRecorder(nn.Module):
    """`model`, wrapped so that each of its calls is written down, whoever drives it: the code that drives it sees the
    same model (every attribute, `max_len`, `head`, parameters, `eval()`, and every output is the wrapped model's).
    Each call's `note` goes into `calls`: by default how many positions it got and the seconds it took by `clock`
    (None without one), `(positions, seconds)`, which notebook 09's experiment times with `time.perf_counter`
    (`course_lib.experiments.gpt.CallRecorder`); a subclass writes down what it needs by its own `note` (None:
    nothing), as `Watched` does for the checks."""

    def __init__(self, model, clock=None):
        super().__init__()
        self.model = model
        self.calls = []
        self.clock = clock

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["model"], name)

    def forward(self, *args, **kwargs):
        start = self.clock() if self.clock else None
        out = self.model(*args, **kwargs)
        noted = self.note(args, kwargs, out, self.clock() - start if self.clock else None)
        if noted is not None:
            self.calls.append(noted)
        return out

    def note(self, args, kwargs, out, seconds):
        """What `calls` keeps of one call: the number of positions of its first argument (B, T), and its seconds."""
        return (argument(args, kwargs, 0, "idx").size(1), seconds)


class Watched(CallRecorder):
    """A stand-in that writes down how it is called (a `CallRecorder`); everything else (parameters, eval(),
    attributes) is the wrapped model's.

    * Around a `StandInGPT`, `calls` holds, for each call, the number of positions it got, whether a cache came
      with them, and whether that cache is the object the previous call returned.
    * Around a `StandInTransformer`, `decoded` holds, for each call of `decode` (or of `forward`, which decodes),
      the target tokens it got and the `tgt_mask` as it was passed (None when none was).
    """

    def __init__(self, model):
        super().__init__(model)
        self.decoded = []
        self._returned = None

    def forward(self, *args, **kwargs):
        if isinstance(self.model, StandInTransformer):  # forward(src, tgt, src_mask=None, tgt_mask=None) decodes
            self._write(argument(args, kwargs, 1, "tgt"), argument(args, kwargs, 3, "tgt_mask"))  # even if it fails
        return super().forward(*args, **kwargs)

    def note(self, args, kwargs, out, seconds):
        if isinstance(self.model, StandInTransformer):
            return None  # written down in `decoded`, before the call
        idx, cache = argument(args, kwargs, 0, "idx"), argument(args, kwargs, 1, "cache")
        returned, self._returned = self._returned, out[1]
        return int(idx.size(-1)), cache is not None, cache is not None and cache is returned

    def decode(self, tgt, memory, tgt_mask=None, memory_mask=None):
        self._write(tgt, tgt_mask)
        return self.model.decode(tgt, memory, tgt_mask, memory_mask)

    def _write(self, tgt, tgt_mask):
        mask = tgt_mask.detach().clone() if isinstance(tgt_mask, torch.Tensor) else tgt_mask
        self.decoded.append((tgt.detach().clone(), mask))

    def __repr__(self):
        return repr(self.model)
