"""Notebook 09: a decoder-only language model, sampling, and the key-value cache that makes generation fast."""
import inspect

from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import gpt as ref

TITLE = bi("09 GPT", zh="09 GPT", of="af7dd274b7")

INTRO = bi(r"""# 09 · GPT: a decoder-only language model, sampling, and the key-value cache

**What you build:** `CausalSelfAttention` with a key-value cache, `GPT`, `sample_next_token`, `generate`, and
the language-modelling loss and training step that train it (`language_model_loss`, `train_step`).
**What you measure:** that a small character-level GPT learns to write the sentences of a toy grammar in
about twenty seconds of CPU training; whether any of its heads reads a verb's subject; how many real words the
same GPT writes after twenty seconds on Shakespeare, against random characters; that generating with the cache gives exactly the tokens of generating
without it, greedy or sampled; how the work per token grows with the position with and without the cache,
and what the cache costs in memory.
**Time:** [[times]].

Notebook 08 built the whole encoder-decoder Transformer: an encoder reads a source sentence, a decoder writes
the target one token at a time. A **language model** keeps only the decoder, without the cross-attention:
there is no source, only the text so far, and the model predicts the next token. That is GPT. Training is
cheap, because one causal forward pass predicts the next token at *every* position at once (notebook 06's
argument). Generation is not: the text grows one token at a time, and a naive loop runs the whole growing
sequence through the model again for each new token. The **key-value cache** removes that repetition.

**Shapes and symbols used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | number of new positions in a call; `T_past` positions already in the cache, `T_all = T_past + T` |
| `D` | model width, `d_model` |
| `h` | number of heads, `num_heads`; `d = D / h` the width of one head |
| `V` | vocabulary size, `vocab_size` (here: characters) |
| `L` | `max_len`, the most positions the model has embeddings for |

Run the set-up cells first (the language cell, then the set-up cell). Every exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.""",
           zh=r"""# 09 · GPT：仅解码器的语言模型、采样与键值缓存

**你要实现：** 带键值缓存的 `CausalSelfAttention`、`GPT`、`sample_next_token`、`generate`，以及训练它所用的语言模型损失和训练步（`language_model_loss`、`train_step`）。**你要测量：** 一个字符级的小 GPT 在 CPU 上训练约二十秒，就能学会写出一个玩具语法的句子；它的头中有没有一个在读动词的主语；同一个 GPT 在莎士比亚文本上训练二十秒后，写出的真实单词与随机字符相比有多少；无论贪心还是采样，使用缓存生成的词元与不使用缓存生成的完全相同；有缓存和没有缓存时，每个词元的工作量如何随位置增长；以及缓存要占用多少内存。**时间：** [[times]]。

笔记本 08 搭建了完整的编码器-解码器（encoder-decoder）Transformer：编码器（encoder）读入源句子，解码器（decoder）逐个词元（token）地写出目标句子。**语言模型**（language model）只保留解码器，并去掉其中的交叉注意力（cross-attention）：没有源句子，只有到目前为止的文本，模型据此预测下一个词元。这就是 GPT。训练（training）很便宜，因为一次因果的前向传播就能同时在*每个*位置上预测下一个词元（笔记本 06 的论证）。生成却不然：文本一次只增长一个词元，而朴素的循环每生成一个新词元，都要把整个不断变长的序列（sequence）重新送进模型一遍。**键值缓存**（key-value cache）消除了这种重复。

**本笔记本使用的形状与符号**

| 符号 | 含义 |
|---|---|
| `B` | 批量（batch）大小 |
| `T` | 一次调用中新位置的个数；`T_past` 是缓存中已有的位置数，`T_all = T_past + T` |
| `D` | 模型宽度，`d_model` |
| `h` | 头（head）的个数，`num_heads`；`d = D / h` 是一个头的宽度 |
| `V` | 词表（vocabulary）大小，`vocab_size`（这里是字符的个数） |
| `L` | `max_len`，模型有嵌入（embedding）的最大位置数 |

请先运行设置单元格（先运行语言单元格，再运行设置单元格）。每个练习（exercise）之后都有一个检查（check）单元格：它会在远不到两秒的时间内作答，要么给出一行绿色的通过信息，要么给出一条消息，指出它识别出的错误。""",
           of="fbe43c1082")

SETUP = """# Set-up: imports, the course's checks, the pieces of earlier notebooks, fixed seeds.
# 设置：导入、课程的检查、前面笔记本中的组件、固定的随机种子。
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import (
    check_causal_self_attention,
    check_generate,
    check_gpt,
    check_language_model_loss,
    check_sample_next_token,
    check_train_step,
)
from course_lib.experiments import (
    claims,  # the thresholds every printed conclusion uses / 每条打印出的结论所用的阈值
    yours_or_reference,  # your code if it passes its check, else the reference / 通过检查就用你的代码，否则用参考答案
)
from course_lib.experiments import gpt as experiments
from course_lib.handouts import (  # given: pieces you built in earlier notebooks / 给定：你在前面笔记本中实现的组件
    FeedForward,  # notebook 07's position-wise network / 笔记本 07 的基于位置的前馈网络
    merge_heads,  # notebook 04 / 笔记本 04
    scaled_dot_product_attention,  # notebook 03 / 笔记本 03
    split_heads,  # notebook 04 / 笔记本 04
)

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises / 评分程序只缩小实验，不缩小练习"""

CACHE_WHY = bi(r"""## 1. Causal self-attention that remembers its keys and values

**Why a cache.** To generate, the model is called on the text so far, `(B, T)`, reads the logits at the last
position, picks a token, appends it, and is called again on `(B, T + 1)`. With a causal mask, nothing at
positions `0 .. T-1` depends on the new token: their queries, keys and values are exactly what they were in
the previous call. The only new work is the new token's query, key and value, and its attention over all the
keys so far. So each attention layer keeps the keys and values it has computed, `(B, h, T_past, d)` each, and
a call with only the new tokens

1. projects the new tokens: `q`, `k`, `v` of shape `(B, h, T, d)`;
2. puts the new keys and values after the cached ones **along the position axis**:
   `k = torch.cat([past_k, k], dim=2)`, now `(B, h, T_all, d)`, and the same for `v`;
3. attends from the `T` new queries to all `T_all` keys: the scores are `(B, h, T, T_all)`;
4. returns the output `(B, T, D)` and the new cache `(k, v)`.

**The mask with a cache.** New query `i` sits at position `T_past + i`. It may see keys `0 .. T_past + i`:
all the cached ones, and the new ones up to itself. In the `(T, T_all)` rectangle that is the lower triangle
aligned to the **bottom right**:

```
T_past = 3, T = 2:        keys 0 1 2 3 4
  query at position 3:         1 1 1 1 0
  query at position 4:         1 1 1 1 1
```

`torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T)` builds it; with no cache (`T_all = T`) it is
the usual causal mask of notebook 03. With one new token (`T = 1`) the row is all True.""",
               zh=r"""## 1. 记住自己的键和值的因果自注意力

**为什么需要缓存。** 生成时，模型以到目前为止的文本 `(B, T)` 为输入被调用一次，读取最后一个位置的 logits，选出一个词元，把它接在末尾，再以 `(B, T + 1)` 为输入被调用一次。有了因果掩码（causal mask），位置 `0 .. T-1` 上的任何东西都不依赖于新词元：它们的查询、键和值（query、key、value）与上一次调用时完全相同。唯一的新工作是新词元的查询、键和值，以及它对迄今所有键的注意力（attention）。因此，每个注意力层都保存自己已经算出的键和值，各为 `(B, h, T_past, d)`；而只带新词元的一次调用会

1. 对新词元做投影：得到形状为 `(B, h, T, d)` 的 `q`、`k`、`v`；
2. 把新的键和值**沿位置轴**接在缓存的键和值之后：`k = torch.cat([past_k, k], dim=2)`，此时为 `(B, h, T_all, d)`，`v` 也一样；
3. 让 `T` 个新查询对全部 `T_all` 个键做注意力：分数为 `(B, h, T, T_all)`；
4. 返回输出 `(B, T, D)` 和新的缓存 `(k, v)`。

**带缓存时的掩码。** 新查询 `i` 位于位置 `T_past + i`。它可以看到键 `0 .. T_past + i`：全部缓存的键，以及新键中直到它自己为止的那些。在 `(T, T_all)` 的矩形中，这就是与**右下角**对齐的下三角：

```
T_past = 3, T = 2:      键  0 1 2 3 4
  位置 3 上的查询：          1 1 1 1 0
  位置 4 上的查询：          1 1 1 1 1
```

`torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T)` 构造的就是它；没有缓存时（`T_all = T`），它就是笔记本 03 中常用的因果掩码。只有一个新词元时（`T = 1`），这一行全为 True。""",
               of="00e4ffc186")

ATTN_TEXT = bi("""`__init__(d_model, num_heads, dropout=0.0)`: as notebook 04's `MultiHeadAttention`, four
`nn.Linear(d_model, d_model)` (with bias) named **`w_q`, `w_k`, `w_v`, `w_o`**, and an `nn.Dropout(dropout)`,
applied here to the output (after `w_o`), not to the attention weights as in notebook 04. Notebook 04's module
follows `nn.MultiheadAttention`, which drops only the weights and leaves the output to the layer around it
(the layers of notebooks 07 and 08 drop each sublayer's output before the residual sum: `dropout1`, ...).
This GPT's block, like nanoGPT's, adds the attention's output straight to the residual stream, so the
attention drops its own output, as nanoGPT's `resid_dropout` does after its output projection (the paper's
"residual dropout", section 5.4). nanoGPT drops the weights as well (`attn_dropout`); this module does not,
which spares the second product `weights @ v` that notebook 04 needs for it. Every model in this notebook has
`dropout=0.0`, so where the dropout sits changes none of the numbers below.

`forward(x, cache=None)`: `x` `(B, T, D)` holds the **new** positions; `cache` is `None` or the `(k, v)` this
module returned last time, each `(B, h, T_past, d)`. Return `(output, (k, v))`: output `(B, T, D)`, and the
keys and values of **all** `T_all` positions, each `(B, h, T_all, d)` (the GPT below reads `T_past` from
`k.size(2)`).

Use `split_heads`, `merge_heads` (notebook 04) and `scaled_dot_product_attention` (notebook 03), imported in the
set-up cell. The check runs your module twice on each input: on the whole sequence at once, and on a prefix
followed by the remaining positions fed in with the cache (one at a time, or in chunks); both must match.""",
               zh="""`__init__(d_model, num_heads, dropout=0.0)`：与笔记本 04 的 `MultiHeadAttention` 一样，有四个 `nn.Linear(d_model, d_model)`（带偏置），名为 **`w_q`、`w_k`、`w_v`、`w_o`**，再加一个 `nn.Dropout(dropout)`。不过这里的暂退法（dropout）作用于输出（`w_o` 之后），而不像笔记本 04 那样作用于注意力权重（attention weights）。笔记本 04 的模块仿照 `nn.MultiheadAttention`，只对权重做 dropout，把输出留给外面的那一层处理（笔记本 07 和 08 的层在残差相加之前对每个子层的输出做 dropout：`dropout1`……）。这里的 GPT 块和 nanoGPT 的一样，把注意力的输出直接加到残差流上，所以由注意力自己对输出做 dropout，就像 nanoGPT 在输出投影之后用的 `resid_dropout`（即论文第 5.4 节所说的“残差 dropout”（residual dropout））。nanoGPT 还会对权重做 dropout（`attn_dropout`）；本模块不这样做，从而省去了笔记本 04 为此所需的第二次乘积 `weights @ v`。本笔记本中所有模型的 `dropout` 都是 `0.0`，所以 dropout 放在哪里，不会改变下面的任何数字。

`forward(x, cache=None)`：`x` `(B, T, D)` 存放的是**新**位置；`cache` 为 `None`，或者是本模块上一次返回的 `(k, v)`，各为 `(B, h, T_past, d)`。返回 `(output, (k, v))`：输出为 `(B, T, D)`，以及**全部** `T_all` 个位置的键和值，各为 `(B, h, T_all, d)`（下面的 GPT 从 `k.size(2)` 读出 `T_past`）。

请使用设置单元格中导入的 `split_heads`、`merge_heads`（笔记本 04）和 `scaled_dot_product_attention`（笔记本 03）。检查会在每个输入上把你的模块运行两次：一次一次性处理整个序列，另一次先处理一个前缀，再带着缓存送入其余的位置（逐个送入，或分块送入）；两次的结果必须一致。""",
               of="655c1b9b42")

ATTN_HINT = stages(
    idea=bi("""Project only the new positions, append their keys and values to the cached ones, and attend from the
new queries to all the keys so far, with the causal mask aligned to the bottom right of the `(T, T_all)`
rectangle. The extended keys and values are the cache you return.""",
            zh="""只对新位置做投影，把它们的键和值接在缓存的键和值之后，再让新的查询对迄今为止的全部键做注意力，因果掩码对齐到 `(T, T_all)` 矩形的右下角。接长后的键和值就是你返回的缓存。""",
            of="a90ecd3745"),
    shapes=bi("""1. `x` `(B, T, D)`: the three projections, each split into heads: `q`, `k`, `v`, each `(B, h, T, d)`.
2. With a cache (two tensors `(B, h, T_past, d)`), put the cached keys before the new ones along the positions
   axis (axis 2), and the same for the values: `(B, h, T_all, d)`.
3. The mask `(T, T_all)`: new query `i` sits at position `T_all - T + i` and sees keys up to there, so the lower
   triangle is shifted right by `T_all - T`; it broadcasts over `B` and `h`.
4. Attention: `(B, h, T, d)`; merge the heads, `(B, T, D)`; then `w_o` and the dropout. Return it with the
   extended `(k, v)`.""",
              zh="""1. `x` `(B, T, D)`：做三个投影，每个都拆成多个头：`q`、`k`、`v` 各为 `(B, h, T, d)`。
2. 有缓存时（两个 `(B, h, T_past, d)` 张量），沿位置轴（第 2 轴）把缓存的键放在新键之前，值也一样：得到 `(B, h, T_all, d)`。
3. 掩码 `(T, T_all)`：新查询 `i` 位于位置 `T_all - T + i`，能看到直到该位置的键，所以下三角要向右移动 `T_all - T`；它在 `B` 和 `h` 上广播。
4. 注意力：得到 `(B, h, T, d)`；合并各头，`(B, T, D)`；再经过 `w_o` 和 dropout。把它和接长后的 `(k, v)` 一起返回。""",
              of="900f1b95fb"),
    code=bi("""```python
if cache is not None:
    k = torch.cat([cache[0], k], dim=2)  # (B, h, T_past + T, d)
```
then build the `(T, T_all)` mask with `.tril(diagonal=T_all - T)` and pass it to
`scaled_dot_product_attention(q, k, v, mask)`, which broadcasts it over `B` and `h`.""",
               zh="""```python
if cache is not None:
    k = torch.cat([cache[0], k], dim=2)  # (B, h, T_past + T, d)
```
然后用 `.tril(diagonal=T_all - T)` 构造 `(T, T_all)` 的掩码，把它传给 `scaled_dot_product_attention(q, k, v, mask)`，后者会把它在 `B` 和 `h` 两个维度上广播。""",
               of="e39aa6c4b3"))

BLOCK_WHY = bi(r"""## 2. The block and the model

A GPT block is notebook 07's **pre-LN** encoder layer with a causal mask (or notebook 08's decoder layer, pre-LN,
without its cross-attention): normalise, attend, add; normalise, feed-forward, add. The attention's cache
passes through. This block is given, built on **your** `CausalSelfAttention` and notebook 07's `FeedForward`;
its member names (`ln_1`, `attn`, `ln_2`, `mlp`) are the names the GPT check expects.""",
               zh=r"""## 2. 块与模型

GPT 块就是笔记本 07 中**前置层归一化**（pre-LN）的编码器层，再加上因果掩码（也可以看作笔记本 08 的 pre-LN 解码器层去掉交叉注意力）：归一化、注意力、相加；归一化、前馈、相加。注意力的缓存从块中穿过。这个块是给定的，建立在**你的** `CausalSelfAttention` 和笔记本 07 的 `FeedForward` 之上；它的成员名（`ln_1`、`attn`、`ln_2`、`mlp`）正是 GPT 的检查所要求的名字。""",
               of="9e3c8f1962")

_BLOCK_SOURCE = inspect.getsource(ref.Block).rstrip("\n")


def _with_docstrings(source, translations):
    """`source` with each English docstring replaced by its Chinese (loudly, should the English change)."""
    for english, chinese in translations:
        assert english in source, f"Block's docstring changed: {english!r}"
        source = source.replace(english, chinese)
    return source


BLOCK_CODE = bi(
    "# Given: a pre-LN GPT block on your CausalSelfAttention (the course's reference code).\n" + _BLOCK_SOURCE,
    zh="# 给定：建立在你的 CausalSelfAttention 之上的 pre-LN GPT 块（课程的参考代码）。\n" + _with_docstrings(
        _BLOCK_SOURCE,
        [('"""A pre-LN decoder block: x + attention(norm(x)), then x + feed-forward(norm(x))."""',
          '"""pre-LN 解码器块：先 x + attention(norm(x))，再 x + feed-forward(norm(x))。"""'),
         ('"""Two layer norms, causal self-attention and notebook 07\'s FeedForward."""',
          '"""两个层归一化、因果自注意力和笔记本 07 的 FeedForward。"""'),
         ('"""(B, T, D) -> (B, T, D), passing this layer\'s key-value cache through the attention."""',
          '"""(B, T, D) -> (B, T, D)，让本层的键值缓存从注意力中穿过。"""')]),
    of="d6f39889bc")

GPT_WHY = bi(r"""The model around the blocks:

* `tok_embed = nn.Embedding(vocab_size, D)` and `pos_embed = nn.Embedding(max_len, D)`, a **learned** position
  embedding (notebook 05); their sum enters the first block;
* `blocks`, an `nn.ModuleList` of `num_layers` `Block`s;
* `ln_f`, a final `nn.LayerNorm(D)`: with pre-LN blocks the residual stream itself is never normalised, so it
  is normalised once before the head;
* `head = nn.Linear(D, vocab_size)`: a score (logit) for every token of the vocabulary, at every position.

With a cache, the new tokens are at positions `T_past, T_past + 1, ...`, not `0, 1, ...`: the position
embedding must count on from the cache's length.

**No `sqrt(D)` here.** Notebook 08's Transformer multiplied its token embeddings by `sqrt(d_model)` before adding
a fixed sinusoidal table, whose entries lie between -1 and 1. This GPT, like GPT-2, does not: its position
embedding is *learned*, an `nn.Embedding` initialised like the token embedding, so the two start at the same
scale and training sets their balance. Scaling only the tokens by `sqrt(D)` would make them start `sqrt(D)` times
louder than the positions, the imbalance notebook 08 had to undo by hand.""",
             zh=r"""块之外的模型部分：

* `tok_embed = nn.Embedding(vocab_size, D)` 和 `pos_embed = nn.Embedding(max_len, D)`，后者是一个**可学习的**位置嵌入（笔记本 05）；两者之和进入第一个块；
* `blocks`，由 `num_layers` 个 `Block` 组成的 `nn.ModuleList`；
* `ln_f`，最后的一个 `nn.LayerNorm(D)`：在 pre-LN 块中，残差流本身从不被归一化，所以在输出头之前对它做一次层归一化（layer normalization）；
* `head = nn.Linear(D, vocab_size)`：在每个位置上，为词表中的每个词元给出一个分数（logit）。

有缓存时，新词元位于位置 `T_past, T_past + 1, ...`，而不是 `0, 1, ...`：位置嵌入必须从缓存的长度接着往下数。

**这里不乘 `sqrt(D)`。** 笔记本 08 的 Transformer 先把词元嵌入乘以 `sqrt(d_model)`，再加上一张固定的正弦表，表中各项介于 -1 和 1 之间。这个 GPT 和 GPT-2 一样不这样做：它的位置嵌入是*学出来的*，是一个与词元嵌入同样初始化的 `nn.Embedding`，所以两者一开始就处于同一尺度，它们之间的平衡由训练来决定。如果只把词元乘以 `sqrt(D)`，词元一开始就会比位置“响” `sqrt(D)` 倍，这正是笔记本 08 不得不手动抵消的失衡。""",
             of="d4d1522164")

GPT_TEXT = bi("""`__init__(vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0)`: the members
**`tok_embed`, `pos_embed`, `blocks`, `ln_f`, `head`** as above (keep `max_len` as `self.max_len`), and an
`nn.Dropout(dropout)` on the embeddings' sum. Build the blocks with the given `Block(d_model, num_heads, d_ff,
dropout)`: the check gives your model its own weights by name (`blocks.0.ln_1.weight`,
`blocks.0.attn.w_q.weight`, `blocks.0.mlp.linear1.weight`, ..., `head.bias`).

`forward(idx, cache=None)`: `idx` `(B, T)` long; `cache` `None` or the list this model returned, one `(k, v)`
per layer. Return `(logits, cache)`: logits `(B, T, vocab_size)` and the new list of every layer's `(k, v)`.
The check compares logits only (the cache's format is yours), computed in one call and in several calls
that pass the cache along.""",
              zh="""`__init__(vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0)`：成员 **`tok_embed`、`pos_embed`、`blocks`、`ln_f`、`head`** 如上所述（把 `max_len` 保存为 `self.max_len`），再加一个作用于嵌入之和的 `nn.Dropout(dropout)`。用给定的 `Block(d_model, num_heads, d_ff, dropout)` 构建各个块：检查会按名字把它自己的权重装进你的模型（`blocks.0.ln_1.weight`、`blocks.0.attn.w_q.weight`、`blocks.0.mlp.linear1.weight`、……、`head.bias`）。

`forward(idx, cache=None)`：`idx` 为 `(B, T)` 的 long 张量；`cache` 为 `None`，或者是本模型上一次返回的列表，每层一个 `(k, v)`。返回 `(logits, cache)`：logits 为 `(B, T, vocab_size)`，以及由每一层的 `(k, v)` 组成的新列表。检查只比较 logits（缓存的格式由你决定）：一次调用算出的，和在多次调用之间传递缓存算出的。""",
              of="023e2b6926")

GPT_HINT = stages(
    idea=bi("""Embed the tokens and add the learned vectors of their positions, counted on from the length of the
cache; run every block with its own layer's cache, collecting the new ones; normalise; score every token of the
vocabulary at every position.""",
            zh="""嵌入词元，再加上各自位置的可学习向量，位置从缓存的长度接着往下数；让每个块带着自己那一层的缓存运行，并收集新的缓存；归一化；在每个位置上为词表中的每个词元打分。""",
            of="0dfa1218d5"),
    shapes=bi("""1. `idx` `(B, T)`. The number of cached positions, `past`, is the length of the positions axis of the
   first layer's keys (0 without a cache).
2. The positions `past .. past + T - 1`, `(T,)`, on the device of `idx`.
3. Token embedding `(B, T, D)` plus position embedding `(T, D)`, broadcast over the batch: `(B, T, D)`; dropout.
4. Block `i` takes `x` and layer `i`'s cache (or none) and returns `(B, T, D)` and its new `(k, v)`; collect
   those in a list, one per layer.
5. `ln_f`, then `head`: logits `(B, T, vocab_size)`. Return the logits and the list.""",
              zh="""1. `idx` 为 `(B, T)`。缓存中已有的位置数 `past`，就是第一层的键在位置轴上的长度（没有缓存时为 0）。
2. 位置 `past .. past + T - 1`，形状 `(T,)`，放在 `idx` 所在的设备上。
3. 词元嵌入 `(B, T, D)` 加上位置嵌入 `(T, D)`（在批量维上广播）：得到 `(B, T, D)`；然后 dropout。
4. 第 `i` 个块接收 `x` 和第 `i` 层的缓存（或者没有缓存），返回 `(B, T, D)` 和它新的 `(k, v)`；把这些收集到一个列表里，每层一个。
5. 先 `ln_f`，再 `head`：得到 logits `(B, T, vocab_size)`。返回 logits 和这个列表。""",
              of="7b57239986"),
    code=bi("""```python
past = 0 if cache is None else cache[0][0].size(2)  # positions already cached
positions = torch.arange(past, past + T)  # (T,)
```
then loop over `self.blocks` with `x, layer_cache = block(x, None if cache is None else cache[i])`.""",
              zh="""```python
past = 0 if cache is None else cache[0][0].size(2)  # 缓存中已有的位置数
positions = torch.arange(past, past + T)  # (T,)
```
然后遍历 `self.blocks`：`x, layer_cache = block(x, None if cache is None else cache[i])`。""",
              of="8b552441bb"))

GPT_DEMO = bi("""# The shapes, and the cache doing its job: logits of the last 3 positions computed two ways.
torch.manual_seed(0)
model = yours_or_reference("GPT", GPT)(vocab_size=10, max_len=16, d_model=16, num_heads=2, num_layers=2, d_ff=32).eval()
idx = torch.randint(0, 10, (2, 8))  # (B, T)
with torch.no_grad():
    logits, cache = model(idx)  # the whole sequence
    logits_prefix, cache_prefix = model(idx[:, :5])  # the first 5 positions...
    logits_rest, cache_rest = model(idx[:, 5:], cache_prefix)  # ...then the last 3, with the cache
print("logits", tuple(logits.shape), "| cache:", len(cache), "layers of (k, v), k", tuple(cache[0][0].shape))
print("after the prefix the cache holds", cache_prefix[0][0].size(2), "positions; after the rest",
      cache_rest[0][0].size(2))
print(f"greatest difference, last 3 positions: {(logits[:, 5:] - logits_rest).abs().max().item():.1e}")""",
              zh="""# 形状，以及缓存的作用：用两种方式计算最后 3 个位置的 logits。
torch.manual_seed(0)
model = yours_or_reference("GPT", GPT)(vocab_size=10, max_len=16, d_model=16, num_heads=2, num_layers=2, d_ff=32).eval()
idx = torch.randint(0, 10, (2, 8))  # (B, T)
with torch.no_grad():
    logits, cache = model(idx)  # 整个序列
    logits_prefix, cache_prefix = model(idx[:, :5])  # 先算前 5 个位置……
    logits_rest, cache_rest = model(idx[:, 5:], cache_prefix)  # ……再带着缓存算最后 3 个
print("logits", tuple(logits.shape), "| 缓存：", len(cache), "层 (k, v)，k", tuple(cache[0][0].shape))
print("处理完前缀后，缓存中有", cache_prefix[0][0].size(2), "个位置；处理完其余部分后，位置数为",
      cache_rest[0][0].size(2))
print(f"最后 3 个位置上的最大差异：{(logits[:, 5:] - logits_rest).abs().max().item():.1e}")""",
              of="8438324f33")

SAMPLE_WHY = bi(r"""## 3. From logits to a token

The head gives logits `(B, V)` for the next token. Three ways to pick one:

* **greedy**: the argmax. Deterministic, and prone to loops ("the the the");
* **sampling** from `softmax(logits / temperature)`. The **temperature** divides the *logits*, before the
  softmax: below 1 it sharpens the distribution towards the argmax (at 0, it *is* the argmax), above 1 it
  flattens it towards uniform. Dividing the probabilities after the softmax changes nothing, since the
  sampler normalises them again;
* **top-k**: keep only the `k` largest logits (set the others to `-inf`) and sample among them, so that a
  long tail of unlikely tokens cannot be drawn.

To make sampling reproducible, every draw goes through a `torch.Generator` passed in by the caller.""",
                zh=r"""## 3. 从 logits 到词元

输出头给出下一个词元的 logits `(B, V)`。从中选出一个词元有三种方式：

* **贪心解码**（greedy decoding）：取 argmax。结果是确定的，但容易陷入循环（"the the the"）；
* 从 `softmax(logits / temperature)` 中**采样**（sampling）。**温度**（temperature）除的是 *logits*，在 softmax 之前：温度低于 1 时，分布变得更尖锐，偏向 argmax（温度为 0 时它*就是* argmax）；温度高于 1 时，分布变得更平坦，趋向均匀。在 softmax 之后再去除概率则毫无作用，因为采样器会把它们重新归一化；
* **top-k**：只保留最大的 `k` 个 logits（其余设为 `-inf`），并只在它们之中采样，这样一长串不太可能的词元就不会被抽到。

为了让采样可以复现，每次抽取都要通过调用者传入的 `torch.Generator` 进行。""",
                of="92aec0dd7a")

SAMPLE_TEXT = bi("""`logits` `(B, V)`; return `(B,)` long, one token per row.

* `temperature == 0`: return the argmax of each row (no sampling);
* otherwise divide the logits by `temperature`; if `top_k` is given, set every logit below the `k`-th largest
  of its row to `-inf` (ties with the `k`-th are kept); take the softmax over the vocabulary;
* draw with **`torch.multinomial(probs, 1, generator=generator)`**, exactly this call, so that with the same
  generator seed your tokens equal the reference's.

The check compares your tokens with the reference's on seeded generators, 64 rows at a time.""",
                 zh="""`logits` 为 `(B, V)`；返回 `(B,)` 的 long 张量，每行一个词元。

* `temperature == 0`：返回每一行的 argmax（不采样）；
* 否则把 logits 除以 `temperature`；如果给定了 `top_k`，就把每一行中小于该行第 `k` 大值的 logit 都设为 `-inf`（与第 `k` 大值相等的保留）；在词表维度上取 softmax；
* 用 **`torch.multinomial(probs, 1, generator=generator)`** 抽取，必须恰好是这个调用，这样在相同的生成器种子下，你的词元才会与参考答案（reference solution）的相同。

检查会用设定了种子的生成器，把你的词元与参考答案的词元进行比较，每次 64 行。""",
                 of="6158871dbd")

SAMPLE_HINT = stages(
    idea=bi("""At temperature 0, take the argmax. Otherwise reshape the distribution before drawing from it: divide
the logits by the temperature, hide every logit below the `k` largest of its row by setting it to minus infinity,
take the softmax, and draw one token per row with the caller's generator.""",
            zh="""温度为 0 时取 argmax。否则先改造分布，再从中抽取：把 logits 除以温度；把每一行中排不进前 `k` 大的 logit 设为负无穷，将其隐藏；取 softmax；用调用者传入的生成器为每一行抽取一个词元。""",
            of="e3b5da8908"),
    shapes=bi("""1. `logits` `(B, V)`. Temperature 0: the argmax over `V`, `(B,)`, and nothing else.
2. Divide by the temperature: still `(B, V)`.
3. With `top_k`: the `k`-th largest value of each row, kept as `(B, 1)` so that it broadcasts; every logit
   strictly below it becomes `-inf` (ties with it are kept).
4. The softmax over `V`: probabilities `(B, V)`.
5. One draw per row with the multinomial sampler and the generator: `(B, 1)`; drop the last axis: `(B,)`.""",
              zh="""1. `logits` 为 `(B, V)`。温度为 0：在 `V` 上取 argmax，得到 `(B,)`，别的什么都不做。
2. 除以温度：仍为 `(B, V)`。
3. 给定 `top_k` 时：每一行第 `k` 大的值，保留为 `(B, 1)` 以便广播；严格小于它的 logit 都设为 `-inf`（与它相等的保留）。
4. 在 `V` 上取 softmax：概率 `(B, V)`。
5. 用多项分布采样器和生成器为每一行抽取一次：`(B, 1)`；去掉最后一个轴：`(B,)`。""",
              of="a9aa022a82"),
    code=bi("""`torch.topk(logits, k, dim=-1).values[:, -1:]` is the `k`-th largest logit of each row, shape `(B, 1)`;
`logits.masked_fill(logits < kth, float("-inf"))` keeps the `k` largest. `torch.multinomial` returns `(B, 1)`:
`.squeeze(-1)`.""",
                 zh="""`torch.topk(logits, k, dim=-1).values[:, -1:]` 是每一行第 `k` 大的 logit，形状为 `(B, 1)`；`logits.masked_fill(logits < kth, float("-inf"))` 保留最大的 `k` 个。`torch.multinomial` 返回 `(B, 1)`：再接一个 `.squeeze(-1)`。""",
                 of="31392cbcb0"))

SAMPLE_DEMO = bi("""# What temperature and top-k do to one distribution over 5 tokens: shares of 2000 draws.
logits = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0]]).repeat(2000, 1)  # (2000, 5): the same row 2000 times
sample = yours_or_reference("sample_next_token", sample_next_token)
for temperature, top_k in ((0.0, None), (0.5, None), (1.0, None), (2.0, None), (1.0, 2)):
    tokens = sample(logits, temperature, top_k, generator=torch.Generator().manual_seed(0))
    shares = torch.bincount(tokens, minlength=5) / len(tokens)
    print(f"temperature {temperature}, top_k {top_k}: " + " ".join(f"{s:.2f}" for s in shares.tolist()))""",
                 zh="""# 温度和 top-k 对一个 5 词元分布的影响：2000 次抽取中每个词元所占的比例。
logits = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0]]).repeat(2000, 1)  # (2000, 5)：同一行重复 2000 次
sample = yours_or_reference("sample_next_token", sample_next_token)
for temperature, top_k in ((0.0, None), (0.5, None), (1.0, None), (2.0, None), (1.0, 2)):
    tokens = sample(logits, temperature, top_k, generator=torch.Generator().manual_seed(0))
    shares = torch.bincount(tokens, minlength=5) / len(tokens)
    print(f"温度 {temperature}，top_k {top_k}：" + " ".join(f"{s:.2f}" for s in shares.tolist()))""",
                 of="db63719c1b")

GENERATE_WHY = bi(r"""## 4. Generation

`generate` extends a prompt `idx` `(B, T)` by `max_new_tokens` tokens. Without the cache, every step runs the
whole sequence so far and reads the logits of the last position. With the cache, the first step runs the
whole prompt and keeps the cache; every later step runs only the newest token, `idx[:, -1:]`, with the cache.
Both ways compute the same logits (up to float rounding), so with the same generator they pick the same
tokens (unless the rounding happens to tip a near tie, which is rare). The whole sequence must fit in the
model's `max_len` positions.""",
                  zh=r"""## 4. 生成

`generate` 把提示 `idx` `(B, T)` 延长 `max_new_tokens` 个词元。不用缓存时，每一步都把到目前为止的整个序列送进模型，并读取最后一个位置的 logits。使用缓存时，第一步送入整个提示并保存缓存；之后的每一步只带着缓存送入最新的那个词元 `idx[:, -1:]`。两种方式算出的 logits 相同（最多相差浮点舍入误差），所以在同一个生成器下，它们会选出相同的词元（除非舍入恰好改变了两个几乎相等的候选之间的胜负，这种情况很少见）。整个序列必须放得进模型的 `max_len` 个位置。""",
                  of="12183d2a68")

GENERATE_TEXT = bi("""Loop `max_new_tokens` times: get the logits (with or without the cache, as `use_cache` says), pick the
next token with **your** `sample_next_token(logits[:, -1, :], temperature, top_k, generator)`, append it:
`torch.cat([idx, next_token[:, None]], dim=1)`. Return `(B, T + max_new_tokens)` long. Run under
`torch.no_grad()` (nothing is trained here); do not change the model's mode (the caller calls `.eval()`).

The check drives a small seeded GPT of the course with greedy, sampled and top-k settings, with and without
the cache, and compares your tokens with the reference's.""",
                   zh="""循环 `max_new_tokens` 次：得到 logits（按 `use_cache` 的要求使用或不使用缓存），用**你的** `sample_next_token(logits[:, -1, :], temperature, top_k, generator)` 选出下一个词元，再把它接上：`torch.cat([idx, next_token[:, None]], dim=1)`。返回 `(B, T + max_new_tokens)` 的 long 张量。在 `torch.no_grad()` 下运行（这里不训练任何东西）；不要改变模型的模式（调用者会调用 `.eval()`）。

检查用课程中一个设定了种子的小 GPT 来驱动你的函数，分别采用贪心、采样和 top-k 三种设置，每种都分别使用和不使用缓存，并把你的词元与参考答案的词元进行比较。""",
                   of="176dc4f6a6")

GENERATE_HINT = stages(
    idea=bi("""A loop of `max_new_tokens` steps: get the logits of the last position, pick a token with your
`sample_next_token`, append it. With the cache, only the first step feeds the whole prompt; every later step
feeds the newest token alone, together with the cache the model returned.""",
            zh="""循环 `max_new_tokens` 步：取得最后一个位置的 logits，用你的 `sample_next_token` 选出一个词元，接到末尾。使用缓存时，只有第一步送入整个提示；之后的每一步只送入最新的那个词元，连同模型上一次返回的缓存。""",
            of="26a552b686"),
    shapes=bi("""1. `idx` `(B, T)`; no gradients anywhere; the cache starts empty.
2. Each step, with the cache: the input is all of `idx` on the first step and its last column `(B, 1)` after
   that; keep the cache the model returns. Without the cache: the input is all of `idx`, `(B, L)`.
3. The logits `(B, L_in, V)`; their last position `(B, V)`; your sampler gives `(B,)`; appended as a new column,
   `(B, L + 1)`.
4. After `max_new_tokens` steps: `(B, T + max_new_tokens)`, long.""",
              zh="""1. `idx` 为 `(B, T)`；全程不计算梯度；缓存起初为空。
2. 每一步，使用缓存时：第一步的输入是整个 `idx`，之后是它的最后一列 `(B, 1)`；保存模型返回的缓存。不使用缓存时：输入总是整个 `idx`，`(B, L)`。
3. logits 为 `(B, L_in, V)`；取最后一个位置 `(B, V)`；你的采样函数给出 `(B,)`；作为新的一列接上：`(B, L + 1)`。
4. 经过 `max_new_tokens` 步之后：得到 `(B, T + max_new_tokens)` 的 long 张量。""",
              of="22db0ec7d6"),
    code=bi("""```python
if use_cache:
    logits, cache = model(idx if cache is None else idx[:, -1:], cache)
else:
    logits, _ = model(idx)
```""",
                   zh="""```python
if use_cache:
    logits, cache = model(idx if cache is None else idx[:, -1:], cache)
else:
    logits, _ = model(idx)
```""",
                   of="f2801925d1"))

LOSS_WHY = bi(r"""## 5. The loss and the training step: yours

Until now every notebook handed you its training loop. A language model's training is two small pieces, and
here you write both; section 6 then trains the GPT with them.

**The loss.** The model reads `idx` `(B, T)` and returns logits `(B, T, V)`: at position `t`, a score for every
token of the vocabulary as the token at `t + 1`. Position `t` sees the tokens `0 .. t` only (the causal mask),
so its output is a prediction, not a copy. The last position predicts a token this batch does not hold, and
nothing predicts the token at position 0. So the predictions at positions `0 .. T-2` are scored against the
tokens at `1 .. T-1`: `B·(T-1)` predictions, each scored by its cross-entropy, `-log p(the right next token)`,
and averaged. A model that guesses uniformly among `V` tokens scores `log V`.

**The step.** One step of training: put the model in `train()` mode (a caller may have left it in `eval()` to
sample, which turns dropout off), run it forward, compute the loss, zero the gradients (PyTorch *adds* every
backward pass's gradients to each parameter's `.grad`), backpropagate, and let the optimizer take its step.
Return the loss as a Python number, for printing and plotting.""",
              zh=r"""## 5. 损失与训练步：由你来写

到目前为止，每个笔记本都把训练循环（training loop）直接交给你。语言模型的训练只由两个小部件组成，这里两个都由你来写；第 6 节再用它们训练 GPT。

**损失。** 模型读入 `idx` `(B, T)`，返回 logits `(B, T, V)`：在位置 `t` 上，为词表中的每个词元打一个分，作为位置 `t + 1` 上那个词元的候选。位置 `t` 只能看到词元 `0 .. t`（因果掩码），所以它的输出是预测，而不是照抄。最后一个位置预测的词元不在这个批量里，而位置 0 上的词元也没有谁来预测。因此，位置 `0 .. T-2` 上的预测要对照位置 `1 .. T-1` 上的词元来评分：共 `B·(T-1)` 个预测，每个按它的交叉熵（cross-entropy）`-log p(正确的下一个词元)` 评分，再取平均。在 `V` 个词元中均匀乱猜的模型，得分是 `log V`。

**训练步。** 一步训练：把模型置于 `train()` 模式（调用者可能为了采样把它留在了 `eval()` 模式，那会关闭 dropout），做前向传播，计算损失，把梯度（gradient）清零（PyTorch 会把每次反向传播的梯度*加到*每个参数的 `.grad` 上），反向传播，再让优化器（optimizer）迈出一步。把损失作为一个 Python 数返回，以便打印和画图。""",
              of="24e26227f7")

LOSS_TEXT = bi("""`logits` `(B, T, V)` that a decoder-only model produced from `idx` `(B, T)` long, `T >= 2`. Return a
scalar tensor: the mean cross-entropy of the predictions at positions `0 .. T-2` against the tokens at
`1 .. T-1`. `F.cross_entropy` (imported as `F` in the set-up cell) takes the mean for you, but it wants the
classes on axis 1: `(N, V)` scores with `(N,)` targets, or `(B, V, T-1)` with `(B, T-1)`.

The check compares your loss and its gradient with respect to the logits with the reference's, on batches of
one and more, `T = 2` (one prediction per row) and longer.""",
               zh="""`logits` `(B, T, V)` 是仅解码器模型由 long 型的 `idx` `(B, T)` 算出的，`T >= 2`。返回一个标量张量：位置 `0 .. T-2` 上的预测对照位置 `1 .. T-1` 上的词元所得交叉熵的平均。`F.cross_entropy`（设置单元格中以 `F` 导入）会替你取平均，但它要求类别在第 1 轴上：`(N, V)` 的分数配 `(N,)` 的目标，或者 `(B, V, T-1)` 配 `(B, T-1)`。

检查会把你的损失以及它对 logits 的梯度与参考答案的进行比较，所用批量有 1 行的也有多行的，`T = 2`（每行只有一个预测）的也有更长的。""",
               of="aad8f0becd")

LOSS_HINT = stages(
    idea=bi("""Drop the last position's prediction and the first position's token, so that prediction `t` lines up with
token `t + 1`; then the mean cross-entropy over every remaining prediction.""",
            zh="""去掉最后一个位置的预测和第一个位置的词元，让预测 `t` 与词元 `t + 1` 对齐；然后对剩下的全部预测取交叉熵的平均。""",
            of="bf04a683f6"),
    shapes=bi("""1. The predictions: every position but the last, `(B, T-1, V)`.
2. The targets: every token but the first, `(B, T-1)`.
3. Flatten both so that each prediction is one row: `(B·(T-1), V)` and `(B·(T-1),)`.
4. The cross-entropy with its default mean: a scalar.""",
              zh="""1. 预测：除最后一个位置之外的所有位置，`(B, T-1, V)`。
2. 目标：除第一个词元之外的所有词元，`(B, T-1)`。
3. 把两者展平，使每个预测占一行：`(B·(T-1), V)` 和 `(B·(T-1),)`。
4. 用默认取平均的交叉熵：得到一个标量。""",
              of="75933cd104"),
    code=bi("""```python
V = logits.size(-1)
return F.cross_entropy(logits[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1))
```""",
            zh="""```python
V = logits.size(-1)
return F.cross_entropy(logits[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1))
```""",
            of="815600d0b8"))

STEP_TEXT = bi("""`model` a language model whose `model(idx)` returns `(logits, cache)` (your `GPT`), `optimizer` a
`torch.optim` optimizer over its parameters, `idx` `(B, T)` long. In this order: the model in `train()` mode;
the logits of `model(idx)`; **your** `language_model_loss`; the gradients zeroed; backward; the optimizer's step.
Return the loss as a Python `float`.

The check calls your `train_step` twice, on two batches, with a small fixed model (a stand-in with no
attention, whose `train()` and `eval()` differ as dropout makes them differ) left in `eval()` as after sampling,
and plain SGD. It compares with the reference's: the two losses returned, the parameters after both calls, how
many optimizer steps each call took, how much gradient each step found, and how many backward passes reached
the model.""",
               zh="""`model` 是一个语言模型，`model(idx)` 返回 `(logits, cache)`（你的 `GPT`）；`optimizer` 是作用于其参数（parameter）的 `torch.optim` 优化器；`idx` 为 long 型的 `(B, T)`。依次完成：把模型置于 `train()` 模式；取 `model(idx)` 的 logits；调用**你的** `language_model_loss`；把梯度清零；反向传播；优化器迈一步。把损失作为 Python `float` 返回。

检查会在两个批量上调用你的 `train_step` 两次，所用的模型是一个固定的小模型（一个没有注意力的替身，它的 `train()` 与 `eval()` 的输出不同，就像 dropout 造成的那样），调用前它停留在 `eval()` 模式（就像刚采样完），优化器是普通的 SGD。检查会与参考答案比较：返回的两个损失、两次调用之后的参数、每次调用让优化器走了几步、每一步看到了多少梯度，以及有几次反向传播到达了模型。""",
               of="ace209ed29")

STEP_HINT = stages(
    idea=bi("""Five things in a fixed order. The gradients must be zeroed before they are computed, and the optimizer
can only apply gradients that backward has already computed. Hand back a plain number, not the tensor.""",
            zh="""五件事，顺序固定。梯度必须在计算之前清零；优化器只能应用反向传播已经算好的梯度。返回一个普通的数，而不是张量。""",
            of="92e04b6472"),
    shapes=bi("""1. Switch the model to training mode.
2. Forward: `idx` `(B, T)` gives logits `(B, T, V)` and a cache you do not need.
3. Your loss on the logits and `idx`: a scalar tensor, attached to the model's graph.
4. Zero the optimizer's gradients, backpropagate from the loss, step the optimizer.
5. The loss's value as a Python float.""",
              zh="""1. 把模型切换到训练模式。
2. 前向传播：`idx` `(B, T)` 给出 logits `(B, T, V)`，以及一个这里用不到的缓存。
3. 用 logits 和 `idx` 计算你的损失：一个仍连在模型计算图上的标量张量。
4. 清零优化器的梯度，从损失反向传播，让优化器迈一步。
5. 把损失的值作为 Python float 返回。""",
              of="6570da0b85"),
    code=bi("""```python
model.train()
logits, _ = model(idx)
loss = language_model_loss(logits, idx)
optimizer.zero_grad()
loss.backward()
optimizer.step()
return loss.item()
```""",
            zh="""```python
model.train()
logits, _ = model(idx)
loss = language_model_loss(logits, idx)
optimizer.zero_grad()
loss.backward()
optimizer.step()
return loss.item()
```""",
            of="d0c7caec5f"))

TRAIN_WHY = bi(r"""## 6. Measured: a character-level GPT learns to write

No text is downloaded. `course_lib.text.grammar` *generates* the training text: sentences of a small seeded
grammar, `the [adjective] noun verb the [adjective] noun [adverb] .`, with a few dozen words and the verb
agreeing with its subject ("the cat sees", "the cats see"). The course writes it, so there is no licence to
name. The model reads it **character by character** (a vocabulary of 27 characters) and knows nothing of
words: spelling, word order and agreement all have to be learned from next-character prediction.

We train your `GPT` (`D = 48`, 4 heads, 2 layers, context 48 characters) with Adam and your `train_step` for a
few hundred steps on random 48-character windows, and look at samples before and after. `grammar.is_sentence` tells whether a
generated line follows the grammar.""",
               zh=r"""## 6. 测量：字符级 GPT 学会写句子

这里不下载任何文本。`course_lib.text.grammar` *生成*训练文本：由一个设定了种子的小语法产生的句子，`the [adjective] noun verb the [adjective] noun [adverb] .`，只有几十个词，动词与主语保持一致（"the cat sees"、"the cats see"）。文本由课程自己写出，所以不需要注明任何许可证。模型**逐个字符**地读它（词表共 27 个字符），对单词一无所知：拼写、词序和主谓一致，全都要从预测下一个字符中学出来。

我们用 Adam 和你的 `train_step` 训练你的 `GPT`（`D = 48`，4 个头，2 层，上下文（context）为 48 个字符），在随机截取的 48 字符窗口上训练几百步，并查看训练前后的样本。`grammar.is_sentence` 判断生成的一行是否符合这个语法。""",
               of="ec0ddd475a")

TRAIN_CODE = bi("""text, vocab, _ = experiments.corpus()
print(f"{len(text):,} characters, {len(vocab)} distinct; the first lines:")
print(text[:150])
GPTClass = yours_or_reference("GPT", GPT)
generate_fn = yours_or_reference("generate", generate)
train_step_fn = yours_or_reference("train_step", train_step)
config = experiments.LMConfig(steps=5 if GRADING else 300)
untrained, _, _ = experiments.train_language_model(GPTClass, config, steps=1, train_step=train_step_fn)  # one step: still random
before = experiments.samples(untrained, vocab, generate_fn, n=32)  # 32 samples, to count sentences
print("Samples before training (temperature 0.8), 3 of 32:")
for line in before[:3]:
    print("   ", repr(line))""",
                zh="""text, vocab, _ = experiments.corpus()
print(f"共 {len(text):,} 个字符，其中 {len(vocab)} 个互不相同；开头几行：")
print(text[:150])
GPTClass = yours_or_reference("GPT", GPT)
generate_fn = yours_or_reference("generate", generate)
train_step_fn = yours_or_reference("train_step", train_step)
config = experiments.LMConfig(steps=5 if GRADING else 300)
untrained, _, _ = experiments.train_language_model(GPTClass, config, steps=1, train_step=train_step_fn)  # 只训练一步：仍是随机的
before = experiments.samples(untrained, vocab, generate_fn, n=32)  # 32 个样本，用来统计句子
print("训练前的样本（温度 0.8），32 个中的 3 个：")
for line in before[:3]:
    print("   ", repr(line))""",
                of="ca174b0c7a")

TRAIN_RUN = bi("""model, vocab, history = experiments.train_language_model(GPTClass, config, train_step=train_step_fn)
print(f"{history.steps} steps in {history.seconds:.1f} s ({history.stopped}); loss {history.losses[0]:.2f} -> "
      f"{sum(history.losses[-20:]) / len(history.losses[-20:]):.2f} nats per character (mean of the last 20 steps)")
fig = experiments.plot_loss(history)
plt.show()
after = experiments.samples(model, vocab, generate_fn, n=32)
print("Samples after training (temperature 0.8), 6 of 32:")
for line in after[:6]:
    print("   ", repr(line))""",
               zh="""model, vocab, history = experiments.train_language_model(GPTClass, config, train_step=train_step_fn)
print(f"{history.steps} 步，用时 {history.seconds:.1f} 秒（停止原因：{history.stopped}）；损失（loss）"
      f"{history.losses[0]:.2f} -> {sum(history.losses[-20:]) / len(history.losses[-20:]):.2f} 奈特/字符（最后 20 步的平均）")
fig = experiments.plot_loss(history)
plt.show()
after = experiments.samples(model, vocab, generate_fn, n=32)
print("训练后的样本（温度 0.8），32 个中的 6 个：")
for line in after[:6]:
    print("   ", repr(line))""",
               of="14e374eac7")

TRAIN_SUMMARY = bi("""share_before, n_before = experiments.grammatical_share(before)
share_after, n_after = experiments.grammatical_share(after)
uniform = torch.log(torch.tensor(float(len(vocab)))).item()
final = sum(history.losses[-20:]) / len(history.losses[-20:])
print(f"Before training the loss is {history.losses[0]:.2f} nats, about log({len(vocab)}) = {uniform:.2f}: "
      f"a uniform guess over the characters. The untrained samples are random characters: cut at their newlines "
      f"they give {n_before} lines, of which {share_before:.0%} follow the grammar.")
print(f"After {history.steps} steps ({history.seconds:.0f} s) the loss is {final:.2f} nats per character, "
      f"{uniform / final:.1f}x lower, and {share_after:.0%} of the {n_after} complete sentences sampled follow "
      "the grammar exactly (every word spelled right, in order, the verb agreeing with its subject), "
      "learned from characters alone.")""",
                   zh="""share_before, n_before = experiments.grammatical_share(before)
share_after, n_after = experiments.grammatical_share(after)
uniform = torch.log(torch.tensor(float(len(vocab)))).item()
final = sum(history.losses[-20:]) / len(history.losses[-20:])
print(f"训练前损失为 {history.losses[0]:.2f} 奈特，约等于 log({len(vocab)}) = {uniform:.2f}："
      f"也就是在所有字符上均匀地猜。未训练的样本都是随机字符：在换行处切开，"
      f"得到 {n_before} 行，其中 {share_before:.0%} 符合语法。")
print(f"训练 {history.steps} 步（{history.seconds:.0f} 秒）之后，损失为每字符 {final:.2f} 奈特，"
      f"只有均匀猜测的 1/{uniform / final:.1f}；采样得到的 {n_after} 个完整句子中，有 {share_after:.0%} "
      "完全符合语法（每个词都拼写正确、顺序正确，动词与主语一致），"
      "而这一切只是从字符中学来的。")""",
                   of="bf0ec6a8b1")

CACHE_MEASURE_WHY = bi(r"""## 9. Measured: the cache gives the same tokens, for less work

**The same tokens.** We generate from the trained model twice, with and without the cache, greedy and then
sampled with the same generator seed, and compare the token sequences.""",
                       zh=r"""## 9. 测量：缓存给出相同的词元，而工作量更少

**相同的词元。** 我们用训练好的模型生成两次，一次使用缓存，一次不使用；先用贪心，再用相同的生成器种子采样，然后比较两次得到的词元序列。""",
                       of="2ca430fa85")

SAME_CODE = bi("""prompt = vocab.encode("\\nthe ").repeat(4, 1)  # (B=4, 5)
new = model.max_len - prompt.size(1)  # fill the context
results, first_rows = {}, {}
for label, temperature, top_k in (("greedy", 0.0, None), ("sampled, temperature 1", 1.0, None),
                                  ("sampled, top-k 5", 1.0, 5)):
    cached, uncached = experiments.same_tokens(model, generate_fn, prompt, new, temperature, top_k, seed=3)
    results[label], first_rows[label] = torch.equal(cached, uncached), cached[0]  # token ids: exact comparison
    print(f"{label:<24} identical: {results[label]}   first row: {vocab.decode(cached[0])!r}")

# Did the generate that ran use the cache? Watch what it feeds the model.
recorder = experiments.CallRecorder(model)
generate_fn(recorder, prompt, 6, temperature=0.0, use_cache=True)
fed = [positions for positions, _ in recorder.calls]
cache_used = experiments.uses_cache(fed)
whose = "your generate" if generate_fn is generate else "the reference generate"
print(f"With use_cache=True, {whose} fed the model {fed} positions in its {len(fed)} calls: "
      + ("the prompt once, then only the new token, so the cache did the rest." if cache_used else
         "more than the new token after the first call, so it does not use the cache, and 'identical' above "
         "compares two runs without one."))

if torch.equal(first_rows["sampled, temperature 1"], first_rows["sampled, top-k 5"]):
    with torch.no_grad():
        probs = torch.softmax(model(first_rows["sampled, temperature 1"][None, :-1])[0][0], dim=-1)  # (T, V)
    tail = 1 - probs.topk(5, dim=-1).values.sum(-1)  # (T,): probability outside the 5 likeliest characters
    print(f"The first rows at temperature 1 and with top-k 5 are the same: the same generator seed draws the same "
          f"random numbers, and along this row the characters outside the top 5 hold {tail.mean():.1%} of the "
          f"probability on average (at most {tail.max():.1%}), so cutting them off changed no draw here.")""",
               zh="""prompt = vocab.encode("\\nthe ").repeat(4, 1)  # (B=4, 5)
new = model.max_len - prompt.size(1)  # 填满上下文
results, first_rows = {}, {}
for label, temperature, top_k in (("贪心解码", 0.0, None), ("温度 1 采样", 1.0, None),
                                  ("top-k 5 截断采样", 1.0, 5)):
    cached, uncached = experiments.same_tokens(model, generate_fn, prompt, new, temperature, top_k, seed=3)
    results[label], first_rows[label] = torch.equal(cached, uncached), cached[0]  # 词元 id：精确比较
    print(f"{label:<14} 相同：{results[label]}   第一行：{vocab.decode(cached[0])!r}")

# 刚才运行的 generate 用了缓存吗？看看它给模型送入了什么。
recorder = experiments.CallRecorder(model)
generate_fn(recorder, prompt, 6, temperature=0.0, use_cache=True)
fed = [positions for positions, _ in recorder.calls]
cache_used = experiments.uses_cache(fed)
whose = "你的 generate" if generate_fn is generate else "参考答案的 generate"
print(f"在 use_cache=True 时，{whose} 在它的 {len(fed)} 次调用中给模型送入的位置数为 {fed}："
      + ("先送入一次提示，之后只送入新词元，其余的都由缓存完成。" if cache_used else
         "第一次调用之后送入的不只是新词元，所以它没有使用缓存，上面的“相同”比较的是"
         "两次都不带缓存的运行。"))

if torch.equal(first_rows["温度 1 采样"], first_rows["top-k 5 截断采样"]):
    with torch.no_grad():
        probs = torch.softmax(model(first_rows["温度 1 采样"][None, :-1])[0][0], dim=-1)  # (T, V)
    tail = 1 - probs.topk(5, dim=-1).values.sum(-1)  # (T,)：最可能的 5 个字符之外的概率
    print(f"温度 1 和 top-k 5 的第一行相同：相同的生成器种子抽出相同的随机数，而在这一行上，"
          f"前 5 名之外的字符平均只占 {tail.mean():.1%} 的概率（最多 {tail.max():.1%}），"
          f"所以在这里截掉它们没有改变任何一次抽取。")""",
               of="58a6e4ae72")

TIME_WHY = bi(r"""**The work per token.** Without the cache, the token at position `t` costs a forward pass over all `t`
positions: the projections and feed-forward networks cost `t·D²` multiply-adds per layer, the attention
`t²·D` (every position against every earlier one). With the cache it costs one position's projections and
feed-forward, `D²`, plus one query against all `t` cached keys, `t·D`. That second term still grows with the
position, and once `t` passes `D` (here `t` reaches 256, `D` is 64) it is no longer small next to the first.
So per token the work grows like `t` (and eventually `t²`) without the cache, and like `D² + t·D` with it;
over `n` generated tokens the totals grow like `n²·D²` (eventually `n³·D`) without the cache and like
`n·D² + n²·D` with it. The cache saves recomputing the prefix, not attending to it.

The clock sees one more cost: every model call pays a fixed price (Python, and dozens of small operations),
the same at every position. For a model this small on a CPU it outweighs a cached token's arithmetic, so the
times with the cache may barely rise with the position, and the measured speed-ups stay well below the ratio
of multiply-adds.

We time each generated token of a wider model (`D = 64`, 2 layers, 256 positions, untrained: the time does
not depend on the weights), built with your `GPT`, one sequence, greedy, generated by **the `generate` that
ran above** (yours if it passes its check). To time each token without changing your code, the model is
wrapped in a recorder that notes each call's input length and duration while your loop drives it; every
time is the median of 3 runs, printed with the load of the machine.""",
              zh=r"""**每个词元的工作量。** 不用缓存时，位置 `t` 上的词元要对全部 `t` 个位置做一次前向传播：每层中，投影和前馈网络要做 `t·D²` 次乘加，注意力要做 `t²·D` 次（每个位置对每个更早的位置）。使用缓存时，它只需一个位置的投影和前馈，`D²`，再加上一个查询对全部 `t` 个缓存键的注意力，`t·D`。第二项仍然随位置增长，而一旦 `t` 超过 `D`（这里 `t` 会到 256，而 `D` 是 64），它与第一项相比就不再是小量。因此，每个词元的工作量在不用缓存时像 `t` 一样增长（最终像 `t²`），使用缓存时像 `D² + t·D`；生成 `n` 个词元的总工作量，不用缓存时像 `n²·D²` 一样增长（最终像 `n³·D`），使用缓存时像 `n·D² + n²·D`。缓存省掉的是对前缀的重复计算，而不是对前缀的注意力。

计时还会看到另一种开销：每次调用模型都要付出一笔固定的代价（Python，以及几十个小运算），在每个位置上都一样。对于在 CPU 上运行的这么小的模型，这笔代价比带缓存时一个词元的计算量还大，所以使用缓存时每个词元的耗时可能几乎不随位置上升，而测得的加速比也会远低于乘加次数之比。

我们为一个更宽的模型（`D = 64`，2 层，256 个位置，未经训练：耗时与权重无关）的每个生成词元计时。模型用你的 `GPT` 构建，只生成一个序列，用贪心解码，由**上面运行过的那个 `generate`** 来生成（如果你的通过了检查，就是你的）。为了在不改动你代码的前提下给每个词元计时，模型被包在一个记录器里：在你的循环驱动它时，记录器记下每次调用的输入长度和耗时；每个时间都是 3 次运行的中位数，并与机器的负载一起打印出来。""",
              of="72f2f9213a")

TIME_CODE = bi("""torch.manual_seed(0)
n_tokens = 24 if GRADING else 256
wide = GPTClass(len(vocab), n_tokens + 1, 64, 4, 2, 256).eval()
with claims.watch_load() as load:
    cached_run = experiments.generate_per_token(wide, generate_fn, n_tokens, use_cache=True, repeats=3)
    uncached_run = experiments.generate_per_token(wide, generate_fn, n_tokens, use_cache=False, repeats=3)
cached_times, uncached_times = cached_run["seconds"], uncached_run["seconds"]
wide_cache_used = experiments.uses_cache(cached_run["fed"])
print(f"{whose} with use_cache=True fed {cached_run['fed'][:4]}... positions per call: "
      + ("one new token each time." if wide_cache_used else "NOT only the new token: these times are without a cache."))
fig = experiments.plot_time_per_token(cached_times, uncached_times)
plt.show()
print(f"{'new tokens':>10} | {'with cache':>10} | {'without':>10} | speed-up   (model calls, medians of 3 runs)")
speedups = {}
for n in sorted({n_tokens // 16, n_tokens // 4, n_tokens}):
    with_cache, without = sum(cached_times[:n]), sum(uncached_times[:n])
    speedups[n] = without / with_cache
    print(f"{n:>10} | {with_cache * 1e3:>7.1f} ms | {without * 1e3:>7.1f} ms | {speedups[n]:.1f}x")
whole = claims.compare(cached_run["total"], uncached_run["total"])
print(f"The whole generate call for {n_tokens} tokens: with the cache {cached_run['total'].ms(1)}, without "
      f"{uncached_run['total'].ms(1)} (median and middle half of 3 runs): with the cache it is "
      + {"faster": "faster", "slower": "slower", "inconclusive": "not clearly different"}[whole] + ".")
print(f"Load: {load}.")""",
               zh="""torch.manual_seed(0)
n_tokens = 24 if GRADING else 256
wide = GPTClass(len(vocab), n_tokens + 1, 64, 4, 2, 256).eval()
with claims.watch_load() as load:
    cached_run = experiments.generate_per_token(wide, generate_fn, n_tokens, use_cache=True, repeats=3)
    uncached_run = experiments.generate_per_token(wide, generate_fn, n_tokens, use_cache=False, repeats=3)
cached_times, uncached_times = cached_run["seconds"], uncached_run["seconds"]
wide_cache_used = experiments.uses_cache(cached_run["fed"])
print(f"{whose} 在 use_cache=True 时每次调用送入的位置数为 {cached_run['fed'][:4]}……："
      + ("每次一个新词元。" if wide_cache_used else "不只是新词元：这些时间是不带缓存测得的。"))
fig = experiments.plot_time_per_token(cached_times, uncached_times)
plt.show()
print(f"{'新词元数':>6} | {'有缓存':>7} | {'无缓存':>7} | 加速比   （模型调用，3 次运行的中位数）")
speedups = {}
for n in sorted({n_tokens // 16, n_tokens // 4, n_tokens}):
    with_cache, without = sum(cached_times[:n]), sum(uncached_times[:n])
    speedups[n] = without / with_cache
    print(f"{n:>10} | {with_cache * 1e3:>7.1f} ms | {without * 1e3:>7.1f} ms | {speedups[n]:.1f}x")
whole = claims.compare(cached_run["total"], uncached_run["total"])
print(f"生成 {n_tokens} 个词元的整个 generate 调用：使用缓存 {cached_run['total'].ms(1)}，不用缓存 "
      f"{uncached_run['total'].ms(1)}（3 次运行的中位数，括号中为中间一半的范围）：使用缓存时"
      + {"faster": "更快", "slower": "更慢", "inconclusive": "没有明显差别"}[whole] + "。")
print(f"负载：{load}。")""",
               of="cdf34fa7b3")

MEMORY_WHY = bi(r"""**The memory.** The cache holds a key and a value vector of width `D` per layer, per position, per
sequence: `2 · num_layers · D` numbers, 4 bytes each in float32. It grows linearly with the text, and for a
large model it is what limits how many sequences fit in memory at once.""",
                zh=r"""**内存。** 缓存为每一层、每个位置、每个序列保存一个宽度为 `D` 的键向量和一个值向量：共 `2 · num_layers · D` 个数，在 float32 下每个数 4 字节。它随文本线性增长；对于大模型，正是它限制了内存中能同时容纳多少个序列。""",
                of="fbb60f164c")

MEMORY_CODE = bi("""total, per_position = experiments.cache_memory(wide, length=n_tokens)
formula = 2 * len(wide.blocks) * 64 * 4
print(f"cache after {n_tokens} positions: {total / 1024:.0f} KiB, {per_position:.0f} bytes per position "
      f"(2 x {len(wide.blocks)} layers x 64 x 4 bytes = {formula})")
first, last = sum(uncached_times[:8]) / sum(cached_times[:8]), uncached_times[-1] / cached_times[-1]
print(f"Summary: with and without the cache the tokens were identical in "
      f"{sum(results.values())} of {len(results)} settings (greedy and sampled with the same generator), with "
      + ("a generate that uses the cache." if cache_used else "a generate that does NOT use the cache."))
counts = sorted(speedups)
growth = claims.trend(speedups[counts[0]], speedups[counts[-1]])
print(f"Without the cache the last token took {uncached_times[-1] * 1e3:.2f} ms against "
      f"{uncached_times[0] * 1e3:.2f} ms for the first; with it {cached_times[-1] * 1e3:.2f} ms against "
      f"{cached_times[0] * 1e3:.2f} ms. At position {n_tokens} the cache is {last:.1f}x faster per token "
      f"(and {first:.1f}x over the first 8 tokens). The total speed-up "
      + {"grows": "grows with the length", "falls": "falls with the length",
         "flat": f"changes by less than {claims.TREND_RATIO}x"}[growth] + ": "
      + ", ".join(f"{s:.1f}x for {n}" for n, s in speedups.items()) + " tokens.")
print(f"The price: {per_position:.0f} bytes of cache per position and sequence, growing linearly with the text.")""",
                 zh="""total, per_position = experiments.cache_memory(wide, length=n_tokens)
formula = 2 * len(wide.blocks) * 64 * 4
print(f"{n_tokens} 个位置之后的缓存：{total / 1024:.0f} KiB，每个位置 {per_position:.0f} 字节"
      f"（2 x {len(wide.blocks)} 层 x 64 x 4 字节 = {formula}）")
first, last = sum(uncached_times[:8]) / sum(cached_times[:8]), uncached_times[-1] / cached_times[-1]
print(f"小结：在 {len(results)} 种设置中（贪心，以及用相同生成器的采样），有 "
      f"{sum(results.values())} 种在使用与不使用缓存时得到的词元完全相同，所用的是"
      + ("一个使用了缓存的 generate。" if cache_used else "一个没有使用缓存的 generate。"))
counts = sorted(speedups)
growth = claims.trend(speedups[counts[0]], speedups[counts[-1]])
print(f"不用缓存时，最后一个词元耗时 {uncached_times[-1] * 1e3:.2f} ms，第一个耗时 "
      f"{uncached_times[0] * 1e3:.2f} ms；使用缓存时分别为 {cached_times[-1] * 1e3:.2f} ms 和 "
      f"{cached_times[0] * 1e3:.2f} ms。在位置 {n_tokens}，使用缓存时每个词元的速度是不用缓存时的 {last:.1f} 倍"
      f"（前 8 个词元合计为 {first:.1f} 倍）。总加速比"
      + {"grows": "随长度增大", "falls": "随长度减小",
         "flat": f"的变化不到 {claims.TREND_RATIO} 倍"}[growth] + "："
      + "，".join(f"{n} 个词元为 {s:.1f}x" for n, s in speedups.items()) + "。")
print(f"代价：每个位置、每个序列要 {per_position:.0f} 字节的缓存，并随文本线性增长。")""",
                 of="454a048ffc")

HEADS_WHY = bi(r"""## 7. Measured: does a head read the verb's subject?

In the grammar the verb agrees with its subject: "the cat sees", "the cats see". At the last letter of the verb's
stem ("se**e**", "watc**h**") the model must choose between the singular ending ("s", "es") and a space, and only
the subject noun, a few characters back, tells which. Because the course wrote the grammar, we know where every
subject is, so we can ask each of the 8 heads (2 layers x 4 heads): from the verb's characters, how much of its
attention weight lands on the subject noun's characters? **Chance** is what a head spreading its weight evenly
would put there: a query at position `t` sees `t + 1` positions, so a subject of `n` characters gets
`n / (t + 1)`.

The head is chosen on 100 sentences the training text did not hold and measured on 100 others, so that the
choice cannot flatter the number. The printed claim is chosen by its weight over chance: at least
`experiments.SUBJECT_RATIO` = 2 "reads the subject", above 1 "leans towards it", otherwise "no head reads it".
Beside it, how often the model gives the right ending the higher probability. A model can agree without any
head looking at the subject: the number can travel through the residual stream from one character to the
next. This measures whether a head does look.""",
               zh=r"""## 7. 测量：有没有一个头在读动词的主语？

在这个语法里，动词与主语保持数的一致（number agreement）："the cat sees"、"the cats see"。在动词词干的最后一个字母上（"se**e**"、"watc**h**"），模型必须在单数词尾（"s"、"es"）和空格之间做出选择，而能告诉它答案的，只有前面几个字符处的主语（subject）名词。语法是课程自己写的，所以我们知道每个主语在哪里，于是可以问 8 个头（2 层 x 4 个头）中的每一个：从动词（verb）的各个字符出发，它的注意力权重有多少落在主语名词的字符上？**随机水平**是把权重平均分配的头会放在那里的份额：位置 `t` 上的查询能看到 `t + 1` 个位置，所以长 `n` 个字符的主语得到 `n / (t + 1)`。

头在 100 个训练文本中没有的句子上选出，再在另外 100 个句子上测量，这样选择本身就不会美化这个数字。打印出的结论由它的权重与随机水平之比来决定：至少为 `experiments.SUBJECT_RATIO` = 2 时说“在读主语”，大于 1 时说“偏向主语”，否则说“没有头在读主语”。旁边还给出模型有多少次给正确的词尾更高的概率。即使没有任何头去看主语，模型也可能做到一致：数的信息可以通过残差流逐个字符地传递下去。这里测量的只是：是否真有一个头在看。""",
               of="52e1fc5300")

HEADS_CODE = bi("""items = experiments.agreement_items(200, seed=1)  # 200 sentences the training text did not hold
weights, chance = experiments.subject_weights(model, vocab, items, config.num_heads)  # (layers, h, 200), (200,)
choose, measure = slice(0, 100), slice(100, 200)
layer, head = divmod(int(weights[:, :, choose].mean(-1).argmax()), config.num_heads)  # chosen on the first 100
share, base = weights[layer, head, measure].mean().item(), chance[measure].mean().item()  # measured on the rest
fig = experiments.plot_subject_heads(weights[:, :, measure], chance[measure], (layer, head))
plt.show()
example, verb, subject = items[100]
maps = experiments.attention_weights(model, vocab.encode(example)[None], config.num_heads)  # per layer (1, h, T, T)
fig = experiments.plot_attention_map(maps[layer][0, head], example,
                                     f"Layer {layer + 1}, head {head + 1}: the grammar model on a held-out sentence")
plt.show()
accuracy = experiments.agreement_accuracy(model, vocab, items[100:])
ratio = share / base
print(f"Layer {layer + 1}, head {head + 1} (chosen on 100 sentences) puts {share:.0%} of its weight from the verb "
      f"on the subject in 100 others; chance is {base:.0%}: {ratio:.1f}x chance.")
if ratio >= experiments.SUBJECT_RATIO:
    print(f"At least {experiments.SUBJECT_RATIO:.0f}x chance: this head reads the verb's subject.")
elif ratio > 1:
    print(f"Above chance but under {experiments.SUBJECT_RATIO:.0f}x: the head leans towards the subject, no more.")
else:
    print("Not above chance: no head reads the subject from the verb; the number travels another way.")
print(f"The model gives the right ending the higher probability in {accuracy:.0%} of those 100 sentences.")""",
                zh="""items = experiments.agreement_items(200, seed=1)  # 200 个训练文本中没有的句子
weights, chance = experiments.subject_weights(model, vocab, items, config.num_heads)  # (layers, h, 200), (200,)
choose, measure = slice(0, 100), slice(100, 200)
layer, head = divmod(int(weights[:, :, choose].mean(-1).argmax()), config.num_heads)  # 在前 100 个句子上选出
share, base = weights[layer, head, measure].mean().item(), chance[measure].mean().item()  # 在其余句子上测量
fig = experiments.plot_subject_heads(weights[:, :, measure], chance[measure], (layer, head))
plt.show()
example, verb, subject = items[100]
maps = experiments.attention_weights(model, vocab.encode(example)[None], config.num_heads)  # 每层 (1, h, T, T)
fig = experiments.plot_attention_map(maps[layer][0, head], example,
                                     f"第 {layer + 1} 层第 {head + 1} 个头：语法模型读一个留出的句子")
plt.show()
accuracy = experiments.agreement_accuracy(model, vocab, items[100:])
ratio = share / base
print(f"第 {layer + 1} 层第 {head + 1} 个头（在 100 个句子上选出）在另外 100 个句子中，从动词出发把 {share:.0%} 的权重"
      f"放在主语上；随机水平为 {base:.0%}：是随机水平的 {ratio:.1f} 倍。")
if ratio >= experiments.SUBJECT_RATIO:
    print(f"至少是随机水平的 {experiments.SUBJECT_RATIO:.0f} 倍：这个头在读动词的主语。")
elif ratio > 1:
    print(f"高于随机水平，但不到 {experiments.SUBJECT_RATIO:.0f} 倍：这个头只是偏向主语而已。")
else:
    print("没有高于随机水平：没有哪个头从动词出发去读主语；数的信息是通过别的途径传递的。")
print(f"在这 100 个句子中，模型有 {accuracy:.0%} 给正确的词尾更高的概率。")""",
                of="6b13d92f45")

TEXT_WHY = bi(r"""## 8. Measured: a GPT on a real text

The grammar is small and clean. The course also ships a real text, `course_lib.text.shakespeare()`: the Sonnets,
Macbeth, Romeo and Juliet and Hamlet as Project Gutenberg has them, 514,863 characters of which 73 are distinct
(where it comes from and what was removed: `course_lib/text/SHAKESPEARE.md`). The same GPT, built with your
class and trained with your `train_step`, reads it character by character: random windows of 48 characters,
up to 600 steps or 20 seconds, whichever comes first.

**Measure, do not assert.** Are the words it writes words of the text? We take the words of three letters or
more in 64 samples (shorter ones are left out: random letters make "a", "I" and "o" too easily) and count the
share of them that occur somewhere in the text. The baseline is the same share with no model at all: 20,000
characters drawn one by one with the frequencies they have in the text. The printed claim: a share of at least
`experiments.REAL_WORDS` = 75% (three words in four) "writes mainly words of the text"; at least
`experiments.ABOVE_CHANCE` = 3 times the baseline's "far more real words than chance, but fewer than three in
four"; otherwise "not clearly better than chance".""",
              zh=r"""## 8. 测量：在真实文本上训练的 GPT

语法又小又干净。课程还附带了一份真实的文本 `course_lib.text.shakespeare()`：Project Gutenberg 版的《十四行诗》、《麦克白》、《罗密欧与朱丽叶》和《哈姆雷特》，共 514,863 个字符，其中互不相同的有 73 个（来源以及删去了哪些内容，见 `course_lib/text/SHAKESPEARE.md`）。同一个 GPT，用你的类构建，用你的 `train_step` 训练，逐个字符地读它：随机截取 48 个字符的窗口，最多训练 600 步或 20 秒，以先到者为准。

**测量，而不是断言。** 它写出的词是不是这份文本里的词？我们取 64 个样本中三个字母及以上的词（更短的不算：随机字母太容易拼出 "a"、"I" 和 "o"），统计其中在文本某处出现过的比例。基线是完全没有模型时的同一比例：按照各字符在文本中的频率逐个抽取的 20,000 个字符。打印出的结论：比例至少为 `experiments.REAL_WORDS` = 75%（四个词里有三个）时说“写出的主要是文本中的词”；至少是基线的 `experiments.ABOVE_CHANCE` = 3 倍时说“真实的词远多于随机水平，但不到四分之三”；否则说“没有明显好于随机水平”。""",
              of="b5ed0886c9")

TEXT_CODE = bi("""text_config = experiments.TextConfig(steps=5 if GRADING else 600)
text_model, text_vocab, text_history = experiments.train_on_text(GPTClass, train_step_fn, text_config)
final = sum(text_history.losses[-20:]) / len(text_history.losses[-20:])
print(f"{text_history.steps} steps in {text_history.seconds:.1f} s ({text_history.stopped}); loss "
      f"{text_history.losses[0]:.2f} -> {final:.2f} nats per character (mean of the last 20 steps; a uniform "
      f"guess over the {len(text_vocab)} characters scores {torch.log(torch.tensor(len(text_vocab) * 1.0)):.2f})")
real, _, _ = experiments.text_corpus()
known = set(experiments.words_of(real))  # every word of 3+ letters in the text
lines = experiments.samples(text_model, text_vocab, generate_fn, n=64, length=47, temperature=0.8)
print("20 of the 64 samples (temperature 0.8; a line break shows as ' / '):")
for line in lines[:20]:
    print("   ", line.replace("\\n", " / "))
share, n_words = experiments.word_share(lines, known)
base, n_base = experiments.word_share([experiments.random_characters(real, 20_000, seed=0)], known)
print(f"Words of 3+ letters that occur in the text: {share:.0%} of the {n_words} generated, against {base:.1%} of "
      f"the {n_base} in 20,000 random characters drawn with the text's frequencies.")
if share >= experiments.REAL_WORDS:
    print(f"At least {experiments.REAL_WORDS:.0%}: the model writes mainly words of the text, "
          f"{share / max(base, 1e-9):.0f}x the share of random characters.")
elif share >= experiments.ABOVE_CHANCE * base:
    print(f"At least {experiments.ABOVE_CHANCE:.0f}x the random share but under {experiments.REAL_WORDS:.0%}: far "
          "more real words than chance, but fewer than three in four.")
else:
    print(f"Under {experiments.ABOVE_CHANCE:.0f}x the random share: not clearly better than chance yet.")""",
               zh="""text_config = experiments.TextConfig(steps=5 if GRADING else 600)
text_model, text_vocab, text_history = experiments.train_on_text(GPTClass, train_step_fn, text_config)
final = sum(text_history.losses[-20:]) / len(text_history.losses[-20:])
print(f"{text_history.steps} 步，用时 {text_history.seconds:.1f} 秒（停止原因：{text_history.stopped}）；损失 "
      f"{text_history.losses[0]:.2f} -> {final:.2f} 奈特/字符（最后 20 步的平均；在 {len(text_vocab)} 个字符上"
      f"均匀乱猜的得分是 {torch.log(torch.tensor(len(text_vocab) * 1.0)):.2f}）")
real, _, _ = experiments.text_corpus()
known = set(experiments.words_of(real))  # 文本中所有三个字母及以上的词
lines = experiments.samples(text_model, text_vocab, generate_fn, n=64, length=47, temperature=0.8)
print("64 个样本中的 20 个（温度 0.8；换行显示为 ' / '）：")
for line in lines[:20]:
    print("   ", line.replace("\\n", " / "))
share, n_words = experiments.word_share(lines, known)
base, n_base = experiments.word_share([experiments.random_characters(real, 20_000, seed=0)], known)
print(f"在文本中出现过的三个字母及以上的词：生成的 {n_words} 个词中占 {share:.0%}；而按文本的字符频率随机抽取的 "
      f"20,000 个字符里，{n_base} 个词中占 {base:.1%}。")
if share >= experiments.REAL_WORDS:
    print(f"至少为 {experiments.REAL_WORDS:.0%}：模型写出的主要是文本中的词，"
          f"比例是随机字符的 {share / max(base, 1e-9):.0f} 倍。")
elif share >= experiments.ABOVE_CHANCE * base:
    print(f"至少是随机比例的 {experiments.ABOVE_CHANCE:.0f} 倍，但不到 {experiments.REAL_WORDS:.0%}："
          "真实的词远多于随机水平，但不到四分之三。")
else:
    print(f"不到随机比例的 {experiments.ABOVE_CHANCE:.0f} 倍：还没有明显好于随机水平。")""",
               of="24bd59a916")

TEXT_MAP_CODE = bi("""line = "To be, or not to be,--that is the question:--"  # Hamlet, act III, scene 1, as the text has it
assert line in real
maps = experiments.attention_weights(text_model, text_vocab.encode(line)[None], text_config.num_heads)
last = maps[-1][0]  # (h, T, T): the last layer's heads on this line
lookback = experiments.mean_lookback(last)  # (h,): characters back, on average
head = int(lookback.argmax())  # shown: the head that looks farthest back
fig = experiments.plot_attention_map(last[head], line, f"Last layer, head {head + 1}, on a line of Hamlet")
plt.show()
print(f"The last layer's heads look back {', '.join(f'{d:.1f}' for d in lookback.tolist())} characters on "
      f"average; the map shows head {head + 1}, the one that looks farthest back.")""",
                   zh="""line = "To be, or not to be,--that is the question:--"  # 《哈姆雷特》第三幕第一场，按文本原样
assert line in real
maps = experiments.attention_weights(text_model, text_vocab.encode(line)[None], text_config.num_heads)
last = maps[-1][0]  # (h, T, T)：最后一层的各个头读这一行
lookback = experiments.mean_lookback(last)  # (h,)：平均往回看多少个字符
head = int(lookback.argmax())  # 展示往回看得最远的那个头
fig = experiments.plot_attention_map(last[head], line, f"最后一层第 {head + 1} 个头读《哈姆雷特》的一行")
plt.show()
print(f"最后一层的各个头平均往回看 {'、'.join(f'{d:.1f}' for d in lookback.tolist())} 个字符；"
      f"图中是第 {head + 1} 个头，往回看得最远的那个。")""",
                   of="bd936add1d")

SUMMARY = bi("""## Summary

* A GPT is a stack of pre-LN decoder blocks with **causal** self-attention and no cross-attention, between a
  token-plus-position embedding and a linear head. Trained on next-token prediction, one forward pass gives a
  loss at every position at once.
* Generation is sequential. Because of the causal mask, earlier positions never change when a token is
  appended, so each layer **caches** its keys and values (concatenated along the position axis) and each new
  token costs one position's projections and feed-forward, plus one query against the cached keys, instead of
  the whole prefix's work. The mask for the new queries is the lower triangle aligned to the bottom right of
  the `(T, T_past + T)` scores, and the positions count on from the cache's length.
* Sampling turns logits into tokens: temperature divides the logits before the softmax (0 means argmax), top-k
  keeps the `k` largest, and a `torch.Generator` makes the draws reproducible, so cached and uncached
  generation can be compared token for token.
* Training is yours: the loss scores the prediction at position `t` against the token at `t + 1`, averaged over
  all `B·(T-1)` predictions, and a step is `train()`, forward, loss, zero the gradients, backward, step. With
  them the same GPT learned the grammar and a real text; sections 7 and 8 printed whether a head reads the
  verb's subject (its weight against chance) and how many of the words it wrote occur in Shakespeare (against
  random characters).
* The cells above printed what your machine measured, with the `generate` that ran: whether cached and
  uncached tokens were identical, whether that `generate` fed only the new token, how the speed-up changed with
  the length, and a cache that costs `2 · num_layers · D` numbers per position.

**In the paper, and after it.** A GPT is the decoder of "Attention Is All You Need" (Vaswani et al., 2017)
without its cross-attention: the masked decoder self-attention of section 3.2.3 (Applications of Attention in
our Model), the feed-forward block of section 3.3 and the embeddings and softmax read-out of section 3.4.
Training a decoder alone as a language model is Liu et al. (2018, "Generating Wikipedia by Summarizing Long
Sequences") and Radford et al. (2018, GPT), who also learned the position embeddings, the alternative that
section 3.5 of the paper found nearly as good as sinusoids. The pre-LN blocks and the final layer norm `ln_f`
are GPT-2's (Radford et al., 2019). The key-value cache is not in the paper; it follows from the causal mask of
section 3.2.3, under which no position ever sees a later one. Top-k sampling is from Fan, Lewis and Dauphin
(2018, "Hierarchical Neural Story Generation").

This is the last notebook: from an RNN reading one step at a time (01) to a language model writing one token
at a time, but computing everything it has already read only once.""",
             zh="""## 小结

* GPT 是一叠 pre-LN 解码器块，带**因果**自注意力（self-attention），没有交叉注意力，夹在“词元加位置”的嵌入与一个线性输出头之间。用下一个词元的预测来训练时，一次前向传播就能同时给出每个位置上的损失。
* 生成是逐步进行的。由于因果掩码，追加一个词元时，更早的位置永远不会改变，所以每一层都**缓存**自己的键和值（沿位置轴拼接）；每个新词元只需一个位置的投影和前馈，再加上一个查询对缓存键的注意力，而不必把整个前缀重算一遍。新查询的掩码是 `(T, T_past + T)` 分数矩阵中与右下角对齐的下三角，位置则从缓存的长度接着往下数。
* 采样把 logits 变成词元：在 softmax 之前把 logits 除以温度（温度为 0 即取 argmax），top-k 只保留最大的 `k` 个，而 `torch.Generator` 让抽取可以复现，因此有缓存和无缓存的生成可以逐个词元地比较。
* 训练由你来写：损失用位置 `t` 上的预测对照位置 `t + 1` 上的词元来评分，对全部 `B·(T-1)` 个预测取平均；一个训练步就是 `train()`、前向、损失、梯度清零、反向传播、更新。同一个 GPT 用它们学会了语法，也学了一份真实文本；第 7 节和第 8 节打印了是否有一个头在读动词的主语（它的权重与随机水平之比），以及它写出的词中有多少出现在莎士比亚的文本里（与随机字符相比）。
* 上面的单元格打印了你的机器用实际运行的那个 `generate` 测得的结果：有缓存与无缓存的词元是否相同，那个 `generate` 是否只送入了新词元，加速比如何随长度变化，以及每个位置要花 `2 · num_layers · D` 个数的缓存。

**对应论文，以及论文之后。** GPT 就是 "Attention Is All You Need"（Vaswani 等，2017）中去掉交叉注意力的解码器：第 3.2.3 节（Applications of Attention in our Model）中带掩码的解码器自注意力、第 3.3 节的前馈块，以及第 3.4 节的嵌入和 softmax 读出。单独训练一个解码器作为语言模型，来自 Liu 等（2018，"Generating Wikipedia by Summarizing Long Sequences"）和 Radford 等（2018，GPT）；GPT 还改用了学习得到的位置嵌入，论文第 3.5 节发现这种替代方案与正弦编码效果几乎相同。pre-LN 块和最后的层归一化 `ln_f` 来自 GPT-2（Radford 等，2019）。键值缓存不在论文里；它是第 3.2.3 节因果掩码的推论：在这种掩码下，任何位置都看不到它之后的位置。top-k 采样来自 Fan、Lewis 和 Dauphin（2018，"Hierarchical Neural Story Generation"）。

这是最后一个笔记本：从笔记本 01 中一次读一步的循环神经网络（RNN），走到一次写一个词元、但对已经读过的一切只计算一次的语言模型。""",
             of="e842297946")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(CACHE_WHY),
        exercise(1, ref.CausalSelfAttention, points=4, seed=9011, difficulty=3, importance=5, minutes=25,
                 text=ATTN_TEXT, hint=ATTN_HINT,
                 final_assert="assert CausalSelfAttention(8, 2)(torch.zeros(1, 3, 8))[0].shape == (1, 3, 8), "
                              "\"output (B, T, D) (输出的形状应为 (B, T, D))\""),
        markdown(BLOCK_WHY),
        code(BLOCK_CODE),
        markdown(GPT_WHY),
        exercise(2, ref.GPT, points=4, seed=9127, difficulty=3, importance=5, minutes=20,
                 text=GPT_TEXT, hint=GPT_HINT,
                 final_assert="assert GPT(5, 8, 8, 2, 1, 16)(torch.zeros(2, 3, dtype=torch.long))[0].shape == "
                              "(2, 3, 5), \"logits (B, T, vocab_size) (logits 的形状应为 (B, T, vocab_size))\""),
        code(GPT_DEMO),
        markdown(SAMPLE_WHY),
        exercise(3, ref.sample_next_token, points=3, seed=9203, difficulty=2, importance=4, minutes=15,
                 text=SAMPLE_TEXT, hint=SAMPLE_HINT,
                 final_assert="assert sample_next_token(torch.tensor([[0.0, 3.0, 1.0]]), temperature=0).tolist() "
                              "== [1], \"temperature 0 picks the argmax (温度为 0 时应取 argmax)\""),
        code(SAMPLE_DEMO),
        markdown(GENERATE_WHY),
        exercise(4, ref.generate, points=3, seed=9311, difficulty=2, importance=4, minutes=15,
                 text=GENERATE_TEXT, hint=GENERATE_HINT,
                 final_assert="assert generate(GPT(5, 8, 8, 2, 1, 16).eval(), torch.zeros(1, 2, dtype=torch.long), "
                              "3, temperature=0).shape == (1, 5), "
                              "\"T + max_new_tokens tokens (应返回 T + max_new_tokens 个词元)\""),
        markdown(LOSS_WHY),
        exercise(5, ref.language_model_loss, points=3, seed=9419, difficulty=2, importance=5, minutes=10,
                 text=LOSS_TEXT, hint=LOSS_HINT,
                 final_assert="assert abs(language_model_loss(torch.zeros(2, 4, 5), torch.zeros(2, 4, dtype=torch.long))"
                              ".item() - torch.log(torch.tensor(5.0)).item()) < 1e-5, "
                              "\"uniform logits score log V (均匀的 logits 得分应为 log V)\""),
        exercise(6, ref.train_step, points=3, seed=9521, difficulty=2, importance=5, minutes=10,
                 text=STEP_TEXT, hint=STEP_HINT,
                 final_assert="assert isinstance(train_step(m := GPT(5, 8, 8, 2, 1, 16), torch.optim.SGD(m.parameters(), "
                              "lr=0.1), torch.zeros(2, 4, dtype=torch.long)), float), "
                              "\"the loss as a Python float (损失应作为 Python float 返回)\""),
        markdown(TRAIN_WHY),
        code(TRAIN_CODE),
        code(TRAIN_RUN),
        code(TRAIN_SUMMARY),
        markdown(HEADS_WHY),
        code(HEADS_CODE),
        markdown(TEXT_WHY),
        code(TEXT_CODE),
        code(TEXT_MAP_CODE),
        markdown(CACHE_MEASURE_WHY),
        code(SAME_CODE),
        markdown(TIME_WHY),
        *question("09.cache_growth"),
        code(TIME_CODE),
        answer("09.cache_growth", "speedups=speedups"),
        *question("09.cache_bytes"),
        markdown(MEMORY_WHY),
        code(MEMORY_CODE),
        answer("09.cache_bytes", "per_position=per_position, layers=len(wide.blocks), d_model=64"),
        markdown(SUMMARY),
    ], title=TITLE)
