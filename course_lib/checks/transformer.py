"""Checks for notebook 08: DecoderLayer, Transformer, seq2seq_loss and greedy_decode."""
import math

import torch
import torch.nn.functional as F

from ..solutions import transformer as ref
from ..solutions.multi_head_attention import MultiHeadAttention
from ..solutions.positional_encoding import sinusoidal_positional_encoding
from ..solutions.self_attention import causal_mask, padding_mask, scaled_dot_product_attention
from ..solutions.training_deep_stacks import EncoderLayer
from ..train import threads
from ._harness import (
    MASK_HIDES_PAST,
    MASK_INVERTED,
    DropoutPlacementExercise,
    GreedyExercise,
    ModelLossExercise,
    TransformerExercise,
    model_invoke,
)
from ._standins import StandInTransformer
from .framework import Case, Mistake, randn, seeded
from .training_deep_stacks import NEVER_DROPPED, without_dropout

D, H, FF = 12, 3, 20  # d_model, heads (of width 4), d_ff: all different, so a wrong axis shows


def _lengths_mask(lengths, T):
    """(B, 1, 1, T) True at the real positions of sequences of the given lengths."""
    return (torch.arange(T)[None, :] < torch.tensor(lengths)[:, None])[:, None, None, :]


# -- DecoderLayer -----------------------------------------------------------------------------------------
def _decoder_cases(seed):
    g = seeded(seed)

    def init(norm_first=False):
        return {"d_model": D, "num_heads": H, "d_ff": FF, "dropout": 0.25, "norm_first": norm_first}

    x, memory = randn(g, 2, 5, D), randn(g, 2, 7, D)
    one_key = F.one_hot(torch.randint(0, 7, (2, 5), generator=g), 7).bool()[:, None]  # (B, 1, T, S)
    return [
        Case("post-LN, causal tgt_mask (T, T), no memory_mask", (x, memory), {"tgt_mask": causal_mask(5)},
             init=init()),
        Case("post-LN, causal, memory padding (B, 1, 1, S)", (x, memory),
             {"tgt_mask": causal_mask(5), "memory_mask": _lengths_mask([7, 3], 7)}, init=init()),
        Case("pre-LN, causal, memory padding", (x, memory),
             {"tgt_mask": causal_mask(5), "memory_mask": _lengths_mask([4, 7], 7)}, init=init(True)),
        Case("pre-LN, no masks", (randn(g, 3, 4, D), randn(g, 3, 6, D)), init=init(True)),
        Case("one allowed memory key per query (B, 1, T, S)", (x, memory),
             {"tgt_mask": causal_mask(5), "memory_mask": one_key}, init=init()),
        Case("batch 1, length 1, memory of length 2", (randn(g, 1, 1, D), randn(g, 1, 2, D)),
             {"tgt_mask": causal_mask(1)}, init=init()),
        Case("post-LN in train(), dropout 0.25, the reference's dropout masks (RNG seeded 21)", (x, memory),
             {"tgt_mask": causal_mask(5), "memory_mask": _lengths_mask([7, 3], 7), "train_seed": 21}, init=init()),
        Case("pre-LN in train(), dropout 0.25, the reference's dropout masks (RNG seeded 22)", (x, memory),
             {"tgt_mask": causal_mask(5), "train_seed": 22}, init=init(True)),
    ]


class _DecoderVariant(ref.DecoderLayer):
    """The reference decoder layer with one slip, to build the known mistakes."""

    slip = None

    def forward(self, x, memory, tgt_mask=None, memory_mask=None):
        s = self.slip
        if s == "memory mask ignored":
            memory_mask = None
        if s == "causal mask ignored":
            tgt_mask = None
        if s == "masks swapped":
            tgt_mask, memory_mask = memory_mask, tgt_mask
        kv = x if s == "cross on self" else memory

        def out_drop(dropout):  # the dropout on a sublayer's output, unless it sits on the residual sum
            return (lambda t: t) if s == "dropout on the sum" else dropout

        def self_block(y, n):
            return out_drop(self.dropout1)(self.self_attn(n, n, n, tgt_mask)[0])

        def cross_block(y, n):
            return out_drop(self.dropout2)(self.cross_attn(n, kv if s != "cross on self" else n,
                                                           kv if s != "cross on self" else n, memory_mask)[0])

        def ff_block(y, n):
            act = (lambda t: t) if s == "no relu" else torch.relu
            hidden = act(self.linear1(n))
            out = self.linear2(hidden if s == "no inner dropout" else self.dropout(hidden))
            return out if s == "no ff output dropout" else out_drop(self.dropout3)(out)

        blocks = [(self_block, self.norm1), (cross_block, self.norm2), (ff_block, self.norm3)]
        if s == "order swapped":
            blocks = [(cross_block, self.norm1), (self_block, self.norm2), (ff_block, self.norm3)]
        if s == "one norm":
            blocks = [(b, self.norm1) for b, _ in blocks]
        pre = self.norm_first if s not in ("always post-LN", "always pre-LN") else s == "always pre-LN"
        for i, (block, norm) in enumerate(blocks):
            if s == "dropout on the sum":
                x = self.dropout1(x + block(x, norm(x))) if pre else norm(self.dropout1(x + block(x, x)))
            elif pre:
                n = norm(x)
                x = (n if s == "pre-LN residual after norm" else x) + block(x, n)
            elif s == "post-LN norm inside residual":
                x = x + norm(block(x, x))
            elif s == "no cross residual" and block is cross_block:
                x = norm(block(x, x))
            else:
                x = norm(x + block(x, x))
        return x


def _decoder_variant(slip):
    return type(f"DecoderLayer_{slip.replace(' ', '_')}", (_DecoderVariant,), {"slip": slip})


DECODER_DROPOUT_HINT = ("as in nn.TransformerDecoderLayer, dropout acts on each sublayer's output before its "
                        "residual sum, x + dropout(sublayer(...)), and once more inside the feed-forward block, "
                        "after the ReLU: linear2(dropout(relu(linear1(x)))).")

DECODER = DropoutPlacementExercise(
    "DecoderLayer", ref.DecoderLayer, _decoder_cases, arg_names=["x", "memory"],
    given=(MultiHeadAttention, scaled_dot_product_attention),
    members="the members self_attn, cross_attn (MultiHeadAttention), linear1, linear2, norm1, norm2, norm3",
    mistakes=[
        Mistake("cross-attention on the decoder's own states instead of the memory", _decoder_variant("cross on self"),
                "cross_attn reads the encoder: its queries come from the decoder (x), its keys and values from "
                "`memory`: self.cross_attn(x, memory, memory, memory_mask)."),
        Mistake("self- and cross-attention in the wrong order", _decoder_variant("order swapped"),
                "first the target reads its own past (self_attn with tgt_mask, norm1), then the source "
                "(cross_attn with memory_mask, norm2), then the feed-forward block (norm3)."),
        Mistake("the memory mask ignored", _decoder_variant("memory mask ignored"),
                "pass memory_mask to the cross-attention: it hides the source's padding from every query."),
        Mistake("the causal mask (tgt_mask) ignored", _decoder_variant("causal mask ignored"),
                "pass tgt_mask to the self-attention: without it a position reads the tokens it must predict."),
        Mistake("tgt_mask and memory_mask swapped", _decoder_variant("masks swapped"),
                "tgt_mask (T, T) goes with the self-attention, memory_mask (.., T, S) with the cross-attention."),
        Mistake("norm_first ignored: always post-LN", _decoder_variant("always post-LN"),
                "with norm_first=True normalise each sublayer's input: x = x + sublayer(norm(x))."),
        Mistake("norm_first ignored: always pre-LN", _decoder_variant("always pre-LN"),
                "with norm_first=False (the default, as in the paper) normalise after the sum: "
                "x = norm(x + sublayer(x))."),
        Mistake("pre-LN with the residual added after the norm", _decoder_variant("pre-LN residual after norm"),
                "pre-LN keeps the residual path clean: x = x + sublayer(norm(x)), not norm(x) + sublayer(norm(x))."),
        Mistake("post-LN with the norm inside the residual", _decoder_variant("post-LN norm inside residual"),
                "post-LN normalises the sum: x = norm(x + sublayer(x)), not x + norm(sublayer(x))."),
        Mistake("no residual connection around the cross-attention", _decoder_variant("no cross residual"),
                "every sublayer adds its output to its input: x = norm2(x + cross_attn(...))."),
        Mistake("one layer norm used for all three sublayers", _decoder_variant("one norm"),
                "each sublayer has its own norm: norm1 for self-attention, norm2 for cross-attention, "
                "norm3 for the feed-forward block."),
        Mistake("no ReLU in the feed-forward block", _decoder_variant("no relu"),
                "linear2(dropout(relu(linear1(x)))): without the ReLU the two linears are one linear map."),
        Mistake("no dropout inside the feed-forward block (after the ReLU)", _decoder_variant("no inner dropout"),
                DECODER_DROPOUT_HINT),
        Mistake("no dropout on the feed-forward sublayer's output", _decoder_variant("no ff output dropout"),
                DECODER_DROPOUT_HINT),
        Mistake("dropout on the residual sum instead of the sublayer's output", _decoder_variant("dropout on the sum"),
                "drop the sublayer's output, then add: x + dropout(sublayer(x)); dropping the sum also drops "
                "parts of the residual path x itself. " + DECODER_DROPOUT_HINT),
        Mistake(NEVER_DROPPED, without_dropout(ref.DecoderLayer),
                "give self_attn and cross_attn the dropout and apply nn.Dropout members where the exercise says; "
                "model.train() switches them on, model.eval() off."),
    ],
)


# -- Transformer ------------------------------------------------------------------------------------------
SRC_V, TGT_V, MAX_LEN = 11, 9, 8


def _transformer_cases(seed):
    g = seeded(seed)

    def init(num_layers=2, norm_first=False):
        return {"src_vocab": SRC_V, "tgt_vocab": TGT_V, "d_model": D, "num_heads": H, "num_layers": num_layers,
                "d_ff": FF, "max_len": MAX_LEN, "dropout": 0.25, "norm_first": norm_first}

    def tokens(vocab, *shape):
        return torch.randint(0, vocab, shape, generator=g)

    src, tgt = tokens(SRC_V, 2, 6), tokens(TGT_V, 2, 5)
    return [
        Case("post-LN, S=6, T=5, no masks", (src, tgt), init=init()),
        Case("source padding src_mask (B, 1, 1, S)", (src, tgt), {"src_mask": _lengths_mask([6, 2], 6)},
             init=init()),
        Case("target padding tgt_mask (B, 1, 1, T), combined with the causal mask", (src, tgt),
             {"src_mask": _lengths_mask([3, 6], 6), "tgt_mask": _lengths_mask([5, 3], 5)}, init=init()),
        Case("pre-LN, source padding", (tokens(SRC_V, 3, 7), tokens(TGT_V, 3, 4)),
             {"src_mask": _lengths_mask([7, 1, 4], 7)}, init=init(norm_first=True)),
        Case("one layer, T = max_len", (tokens(SRC_V, 2, 3), tokens(TGT_V, 2, MAX_LEN)), init=init(num_layers=1)),
        Case("batch 1, S=1, T=1", (tokens(SRC_V, 1, 1), tokens(TGT_V, 1, 1)), init=init()),
    ]


class _TransformerVariant(ref.Transformer):
    """The reference Transformer with one slip, to build the known mistakes."""

    slip = None

    def _embed(self, embed, tokens):
        T = tokens.size(1)
        scale = {"not scaled": 1.0, "divided": 1 / math.sqrt(self.d_model)}.get(self.slip, math.sqrt(self.d_model))
        x = embed(tokens) * scale
        if self.slip != "no positions":
            x = x + self.pe[:T]
        return self.dropout(x)

    def _stack(self, layers, x, *rest):
        first = x
        for layer in layers:
            x = layer(first if self.slip == "not chained" else x, *rest)
        return x

    def encode(self, src, src_mask=None):
        if self.slip == "no src mask in encoder":
            src_mask = None
        x = self._stack(self.encoder_layers, self._embed(self.src_embed, src), src_mask)
        return x if self.slip == "no final norms" else self.enc_norm(x)

    def decode(self, tgt, memory, tgt_mask=None, memory_mask=None):
        s, T = self.slip, tgt.size(1)
        mask = {"no causal": torch.ones(T, T, dtype=torch.bool),
                "causal transposed": causal_mask(T).T}.get(s, causal_mask(T))
        if tgt_mask is not None:
            mask = tgt_mask if s == "tgt_mask replaces causal" else mask & tgt_mask
        if s == "memory mask ignored":
            memory_mask = None
        embed = self.src_embed if s == "src embedding for tgt" else self.tgt_embed
        x = self._stack(self.decoder_layers, self._embed(embed, tgt), memory, mask, memory_mask)
        return x if s == "no final norms" else self.dec_norm(x)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None):
        if self.slip == "decoder reads embeddings":
            memory = self.enc_norm(self._embed(self.src_embed, src))
        else:
            memory = self.encode(src, src_mask)
        logits = self.out(self.decode(tgt, memory, tgt_mask, src_mask))
        return logits.softmax(-1) if self.slip == "softmax" else logits


def _transformer_variant(slip):
    return type(f"Transformer_{slip.replace(' ', '_')}", (_TransformerVariant,), {"slip": slip})


TRANSFORMER = TransformerExercise(
    "Transformer", ref.Transformer, _transformer_cases, arg_names=["src", "tgt"],
    outputs=["logits", "memory (from encode)", "decoder states (from decode)"],
    given=(EncoderLayer, MultiHeadAttention, scaled_dot_product_attention, sinusoidal_positional_encoding,
           causal_mask, padding_mask),
    members="the members src_embed, tgt_embed, encoder_layers, decoder_layers, enc_norm, dec_norm, out "
            "(and the positional table as a buffer, not a parameter)",
    mistakes=[
        Mistake("embeddings not scaled by sqrt(d_model)", _transformer_variant("not scaled"),
                "multiply each token embedding by math.sqrt(d_model) before adding the positions."),
        Mistake("embeddings divided by sqrt(d_model)", _transformer_variant("divided"),
                "the embeddings are multiplied by sqrt(d_model), not divided."),
        Mistake("positions not added", _transformer_variant("no positions"),
                "add self.pe[:T] (the sinusoidal table, a buffer) to the scaled embeddings of source and target."),
        Mistake("the causal mask missing", _transformer_variant("no causal"),
                "decode builds causal_mask(T) itself: without it position t reads the tokens it must predict."),
        Mistake("the causal mask transposed (upper triangle)", _transformer_variant("causal transposed"),
                "True on and below the diagonal: position t may read positions 0..t (causal_mask(T))."),
        Mistake("tgt_mask replaces the causal mask instead of adding to it",
                _transformer_variant("tgt_mask replaces causal"),
                "combine them: mask = causal_mask(T) & tgt_mask; the target's padding mask alone lets every "
                "position read the future."),
        Mistake("the memory mask ignored (src_mask not passed to the cross-attention)",
                _transformer_variant("memory mask ignored"),
                "in forward, src_mask is also the memory mask: decode(tgt, memory, tgt_mask, src_mask)."),
        Mistake("src_mask not passed to the encoder layers", _transformer_variant("no src mask in encoder"),
                "encode passes src_mask to every encoder layer: the source's padding is hidden there too."),
        Mistake("the decoder reads the source embeddings, not the encoder's output",
                _transformer_variant("decoder reads embeddings"),
                "memory = self.encode(src, src_mask): the decoder attends to what the encoder stack computed."),
        Mistake("the source embedding used for the target", _transformer_variant("src embedding for tgt"),
                "the target tokens go through self.tgt_embed (another vocabulary, another table)."),
        Mistake("layers not chained: every layer reads the embeddings", _transformer_variant("not chained"),
                "x = layer(x, ...) in a loop: each layer reads the previous layer's output."),
        Mistake("the final layer norms (enc_norm, dec_norm) not applied", _transformer_variant("no final norms"),
                "as torch.nn.Transformer does, normalise the last encoder layer's output with enc_norm and the "
                "last decoder layer's with dec_norm."),
        Mistake("softmax applied to the logits", _transformer_variant("softmax"),
                "return the raw scores of self.out: F.cross_entropy applies log-softmax itself."),
    ],
)


# -- shared by the two exercises that drive a fixed model -------------------------------------------------
def _fixed_model(g, src_v=SRC_V, tgt_v=TGT_V, max_len=10, scale=3.0, **strengths):
    """A fixed stand-in Transformer with seeded weights (a read-out larger than usual, so the argmax is
    decisive): the contract's encode / decode / out / forward, built on masked means, no solution inside
    (`_standins.py`), so that the student environment can carry it as its weights."""
    return StandInTransformer(src_v, tgt_v, D, max_len, g=g, scale=scale, **strengths)


# -- seq2seq_loss -----------------------------------------------------------------------------------------
def _loss_cases(seed):
    g = seeded(seed)
    model = _fixed_model(g, positions=0.5, memory=9.0)  # the loss averages everything: make the source tell
    src = torch.randint(1, SRC_V, (3, 6), generator=g)
    tgt = torch.randint(1, TGT_V, (3, 7), generator=g)
    padded = tgt.clone()
    padded[1, 4:] = 0
    padded[2, 6:] = 0
    return [
        Case("no padding, S=6, T=7", (model, src, tgt)),
        Case("target padded with pad_id=0", (model, src, padded), {"pad_id": 0}),
        Case("source padding src_mask (B, 1, 1, S)", (model, src, tgt), {"src_mask": _lengths_mask([6, 2, 4], 6)}),
        Case("batch 1, target of two tokens", (model, src[:1, :3], tgt[:1, :2])),
        Case("pad_id given, no padding in this batch", (model, src, tgt), {"pad_id": TGT_V - 1}),
    ]


def _loss_variant(shift="right", pad=True, src_mask_used=True, reduction="mean", softmax=False):
    def loss(model, src, tgt, src_mask=None, pad_id=None):
        inp, target = {"right": (tgt[:, :-1], tgt[:, 1:]), "none": (tgt[:, :-1], tgt[:, :-1]),
                       "whole": (tgt, tgt), "reversed": (tgt[:, 1:], tgt[:, :-1])}[shift]
        logits = model(src, inp, src_mask if src_mask_used else None)
        if softmax:
            logits = logits.softmax(-1)
        ignore = pad_id if (pad and pad_id is not None) else -100
        return F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=ignore, reduction=reduction)
    return loss


LOSS = ModelLossExercise(
    "seq2seq_loss", ref.seq2seq_loss, _loss_cases, arg_names=["model", "src", "tgt"], outputs=["loss"],
    invoke=model_invoke,
    mistakes=[
        Mistake("an off-by-one between the decoder input and the target (the target not shifted)",
                _loss_variant(shift="none"),
                "the decoder reads tgt[:, :-1] and position t must predict the NEXT token: target = tgt[:, 1:]."),
        Mistake("the whole target fed to the decoder and scored against itself", _loss_variant(shift="whole"),
                "with the causal mask position t sees token t, so predicting token t is copying: feed tgt[:, :-1], "
                "score against tgt[:, 1:]."),
        Mistake("input and target shifted the wrong way", _loss_variant(shift="reversed"),
                "the decoder input starts with BOS (tgt[:, :-1]); the target is the same sequence one step "
                "later (tgt[:, 1:])."),
        Mistake("padding counted in the loss", _loss_variant(pad=False),
                "pass ignore_index=pad_id to F.cross_entropy (when pad_id is given), so padded positions count "
                "for nothing."),
        Mistake("src_mask not passed to the model", _loss_variant(src_mask_used=False),
                "model(src, decoder_input, src_mask): the source's padding must stay hidden."),
        Mistake("the loss summed instead of averaged", _loss_variant(reduction="sum"),
                "F.cross_entropy's default reduction='mean' averages over the positions that count."),
        Mistake("softmax applied before F.cross_entropy", _loss_variant(softmax=True),
                "F.cross_entropy takes raw logits and applies log-softmax itself."),
    ],
)


# -- greedy_decode ----------------------------------------------------------------------------------------
def _pick_eos(free):
    """An end token for a batch decoded without one, free (B, L): one row produces it first and would have
    gone on with another token, while another row ends later or never; so every eos slip shows. None if no
    token does."""
    B, L = free.shape
    for token in range(int(free.max()) + 1):
        hits = [(row[1:] == token).nonzero() for row in free]
        first = [1 + int(h[0]) if len(h) else L for h in hits]  # L: never
        k, r = min((f, i) for i, f in enumerate(first))
        if k < L - 1 and int(free[r, k + 1]) != token and sorted(first)[1] > k:
            return token
    return None


# Tokens are compared exactly, so no step may sit where rounding could flip an argmax: the learner's decoding
# and the reference's may multiply matrices of other shapes (about 1e-6 apart on these logits, on any BLAS).
# Every setting keeps the two largest logits of every step more than MARGIN apart, asserted when it is built.
MARGIN = 1e-3


def _greedy_margin(model, src, max_len, bos_id, src_mask=None):
    """The smallest gap between the two largest last-position logits over every step of greedy decoding (no
    end token: a finished row only repeats eos_id, so this covers the cases with one too)."""
    memory = model.encode(src, src_mask)
    ys = torch.full((src.size(0), 1), bos_id, dtype=torch.long)
    margin = float("inf")
    while ys.size(1) < max_len:
        logits = model.out(model.decode(ys, memory, memory_mask=src_mask))[:, -1]  # (B, V)
        top = torch.topk(logits, 2, dim=-1).values
        margin = min(margin, float((top[:, 0] - top[:, 1]).min()))
        ys = torch.cat([ys, logits.argmax(dim=-1)[:, None]], dim=1)
    return margin


def _greedy_setting(g):
    """A fixed model and sources whose greedy outputs vary from step to step and row to row, and depend on the
    source mask: a random model often repeats one token, which would hide several slips; and no step within
    rounding of another token (MARGIN). Tries models until one does."""
    for _ in range(40):
        model = _fixed_model(g)
        src = torch.randint(1, SRC_V, (4, 5), generator=g)
        free = ref.greedy_decode(model, src, 8, 1)  # (4, 8): where each row would go without an end token
        padding = _lengths_mask([5, 1, 2, 1], 5)
        masked = ref.greedy_decode(model, src, 5, 1, src_mask=padding)
        varied = all(len(set(row[1:].tolist())) >= 3 for row in free)
        eos = _pick_eos(free)
        decisive = min(_greedy_margin(model, src, 8, 1), _greedy_margin(model, src, 3, 4),
                       _greedy_margin(model, src, 5, 1, padding)) > MARGIN
        # a decoder fed placeholders must not meet the end token by chance: a learner's version of that slip
        # may handle eos_id otherwise, and it is named only if it behaves like the catalog's on every case
        placeholders = _greedy_variant("placeholders")(model, src, 8, 1)
        if varied and eos is not None and not torch.equal(masked, free[:, :5]) and decisive \
                and not bool((placeholders == eos).any()):  # integer tokens: exact
            return model, src, eos
    raise AssertionError("greedy_decode: no stand-in model found whose decoding is varied and decisive")


@threads(1)  # tiny tensors: extra threads only wait for a busy core
def _greedy_cases(seed):
    g = seeded(seed)
    model, src, eos = _greedy_setting(g)
    one = src[2:3]
    eos_one = int(ref.greedy_decode(model, one, 3, 1)[0, 2])  # this row ends at step 2 at the latest
    return [
        Case("no eos_id, B=4, max_len=6", (model, src, 6, 1)),
        Case(f"eos_id={eos}: rows end at different steps", (model, src, 8, 1, eos)),
        Case(f"batch 1, eos_id={eos_one} ends it before max_len", (model, one, 7, 1, eos_one)),
        Case("source padding src_mask (B, 1, 1, S)", (model, src, 5, 1),
             {"src_mask": _lengths_mask([5, 1, 2, 1], 5)}),
        Case("bos_id=4, max_len=3", (model, src, 3, 4)),
        Case("max_len=1: only the start token", (model, src[:2], 1, 1)),
    ]


def _greedy_variant(slip):
    @torch.no_grad()
    def decode(model, src, max_len, bos_id, eos_id=None, src_mask=None):
        memory = model.encode(src, None if slip == "no src mask" else src_mask)
        mm = None if slip == "no src mask" else src_mask
        ys = torch.full((src.size(0), 1), bos_id, dtype=torch.long)
        done = torch.zeros(src.size(0), dtype=torch.bool)
        limit = max_len + 1 if slip == "max_len + 1" else max_len
        while ys.size(1) < limit:
            inp = torch.full_like(ys, bos_id) if slip == "placeholders" else ys
            causal = torch.ones(ys.size(1), ys.size(1), dtype=torch.bool).tril()
            tgt_mask = {"inverted causal mask": ~causal,  # True taken as blocked, as nn.Transformer's masks
                        "mask hides itself": causal & ~torch.eye(ys.size(1), dtype=torch.bool)}.get(slip)
            logits = model.out(model.decode(inp, memory, tgt_mask, memory_mask=mm))
            step = {"first position": logits[:, 0], "wrong axis": logits}.get(slip, logits[:, -1])
            nxt = step.argmax(dim=1) if slip == "wrong axis" else step.argmax(dim=-1)
            if slip == "wrong axis":
                nxt = nxt[:, -1]
            if eos_id is not None and slip != "eos ignored":
                if slip != "keeps decoding after eos":
                    nxt = nxt.masked_fill(done, eos_id)
                done = done | (nxt == eos_id)
            ys = torch.cat([ys, nxt[:, None]], dim=1)
            if eos_id is not None and slip != "eos ignored":
                if (done.any() if slip == "stops at first eos" else done.all()):
                    break
        return ys[:, 1:] if slip == "no bos" else ys
    return decode


GREEDY = GreedyExercise(
    "greedy_decode", ref.greedy_decode, _greedy_cases, arg_names=["model", "src", "max_len", "bos_id", "eos_id"],
    outputs=["tokens"], gradients=False,
    mistakes=[
        Mistake("the decoder fed placeholders instead of its own previous outputs", _greedy_variant("placeholders"),
                "each step feeds the tokens decoded so far, ys, back in: the model continues its own output "
                "(no ground truth exists at test time)."),
        Mistake("the argmax of the first position's logits instead of the last", _greedy_variant("first position"),
                "logits[:, -1] holds the prediction after the last token read; logits[:, 0] is the first token's."),
        Mistake("the argmax taken over the positions instead of the vocabulary", _greedy_variant("wrong axis"),
                "logits[:, -1] has shape (B, V): argmax(dim=-1) picks the most likely token."),
        Mistake("the start token left out of the output", _greedy_variant("no bos"),
                "the result starts with bos_id, as the decoder's input does: (B, L) with L <= max_len."),
        Mistake("max_len + 1 tokens (the start token not counted)", _greedy_variant("max_len + 1"),
                "max_len counts every token of the result, bos_id included: loop while ys.size(1) < max_len."),
        Mistake("eos_id ignored: decoding runs to max_len", _greedy_variant("eos ignored"),
                "stop once every sequence has produced eos_id, and fill finished sequences with eos_id."),
        Mistake("decoding stops as soon as any sequence produced eos_id", _greedy_variant("stops at first eos"),
                "stop when ALL sequences are done (done.all()); the others still have tokens to produce."),
        Mistake("finished sequences keep decoding after eos_id", _greedy_variant("keeps decoding after eos"),
                "once a sequence produced eos_id, append eos_id to it (next_token.masked_fill(done, eos_id))."),
        Mistake("src_mask not passed to encode and decode", _greedy_variant("no src mask"),
                "model.encode(src, src_mask) and model.decode(ys, memory, memory_mask=src_mask)."),
        # what reaches decode: seen by GreedyExercise on every case, whether the tokens change or not
        Mistake(MASK_INVERTED, _greedy_variant("inverted causal mask"),
                "in this course True means 'may attend'. decode builds causal_mask(T) itself and combines a tgt_mask "
                "you pass with it (&), so greedy decoding needs none: model.decode(ys, memory, "
                "memory_mask=src_mask)."),
        Mistake(MASK_HIDES_PAST, _greedy_variant("mask hides itself"),
                "decode builds causal_mask(T) itself (position t reads 0..t, itself included) and combines a "
                "tgt_mask you pass with it (&), so greedy decoding needs none: model.decode(ys, memory, "
                "memory_mask=src_mask). A tgt_mask may hide padding, never a token the model decoded."),
    ],
)
