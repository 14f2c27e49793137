"""Notebook 08: the whole encoder-decoder Transformer, trained on a digit task in seconds, an LSTM beside it."""
from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import transformer as ref

TITLE = bi("08 The Transformer", zh="08 Transformer", of="ffac771189")

INTRO = bi(r"""# 08 · The Transformer: the whole encoder-decoder, trained in seconds

**What you build:** `DecoderLayer`, the full `Transformer` (`encode`, `decode`, `forward`), its training loss
`seq2seq_loss`, and `greedy_decode`.
**What you measure:** that your decoder layer and your stacks compute what `torch.nn.TransformerDecoderLayer`
and `torch.nn.Transformer` compute with the same weights; that the model learns to reverse digit sequences
to about 99 % exact-sequence accuracy in seconds on a laptop CPU; how an LSTM encoder-decoder without attention,
given the same seconds, compares as the sequences grow, and whether it was still learning when its time ran out;
and what the trained cross-attention looks at.
**Time:** [[times]].

Notebook 07 ended with a stack that trains, but only an encoder's: it reads a sequence and writes none. Every
other piece is here already. Notebook 03 gave attention and its masks, 04 several heads, 05 positions, 06 the
reason to drop the recurrence (every position at once, which training uses here: one pass scores every target
position), 07 the encoder layer: attention and a feed-forward block, each inside a residual connection and a
layer norm. This notebook adds the last piece, the **decoder**, and assembles the model of "Attention Is All You Need"
(Vaswani et al., 2017):

* the **encoder** reads the whole source at once: embeddings plus positions, then a stack of encoder layers.
  Its output, one vector per source token, is called the **memory**;
* the **decoder** writes the target one token at a time. Each decoder layer lets the target read its own
  past (masked, causal self-attention), then the source (**cross-attention**: queries from the target, keys
  and values from the memory), then thinks per position (the feed-forward block);
* a linear layer turns each decoder vector into scores (logits) over the target vocabulary.

Notebook 02 built a GRU encoder-decoder and gave its decoder additive attention: instead of squeezing the whole
source into one vector, the decoder looked back at every encoder state at every output step. That removed the
fixed-vector bottleneck, but not the recurrence: the encoder still read the source one step at a time, and the
decoder still carried its past in one state. The Transformer puts attention everywhere and drops the recurrence:
in the encoder, self-attention lets every source position read every other; in the decoder, masked
self-attention lets every target position read the target before it; and cross-attention plays the role that
02's attention played, the decoder reading the source. At the end we set the Transformer beside an LSTM
encoder-decoder *without* attention, which must pass the whole source through one state, and measure how far
each gets in the same seconds.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `S` | source length (encoder side) |
| `T` | target length (decoder side) |
| `D` | model width, `d_model` |
| `h` | number of heads; `d = D / h` the width of one head |
| `V` | vocabulary size (`src_vocab`, `tgt_vocab`) |

Masks follow the course's convention: a boolean mask is `True` where attention is **allowed**, and it
broadcasts against the scores `(B, h, T_query, T_key)`.

Run the set-up cells first (the language cell, then the set-up cell). Every exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.""",
           zh=r"""# 08 · Transformer：完整的编码器-解码器，几秒钟训练完成

**你要实现：** `DecoderLayer`、完整的 `Transformer`（`encode`、`decode`、`forward`）、它的训练损失（loss）
`seq2seq_loss`，以及 `greedy_decode`。
**你要测量：** 权重相同时，你的解码器（decoder）层和整个模型与 `torch.nn.TransformerDecoderLayer`、`torch.nn.Transformer`
计算的结果相同；模型在笔记本电脑的 CPU 上几秒钟就学会反转数字序列（sequence），整序列准确率约达 99 %；一个没有
注意力（attention）的长短期记忆网络（LSTM）编码器-解码器（encoder-decoder）在相同秒数内表现如何、随着序列变长
又如何，以及它的时间用完时是否仍在学习；训练好的交叉注意力（cross-attention）看向哪里。
**时间：** [[times]]。

笔记本 07 结束时得到了一个能训练的堆叠，但只是编码器的：它读入一个序列，却不写出任何序列。其余部件都已齐备。
笔记本 03 给出了注意力及其掩码（mask），04 给出了多个头（head），05 给出了位置，06 给出了去掉循环的理由（所有位置
同时计算，本笔记本的训练正是利用这一点：一次前向就给每个目标位置打分），07 给出了编码器层：注意力和前馈块，各自
放在残差连接（residual connection）和层归一化（layer normalization）之中。本笔记本补上最后一块——**解码器**，并组装出《Attention Is All You Need》（Vaswani 等，2017）中的模型：

* **编码器**（encoder）一次读入整个源序列：嵌入（embedding）加上位置，再经过一叠编码器层。
  它的输出（每个源词元（token）一个向量）称为**记忆**（memory）；
* **解码器**一次写出目标序列的一个词元。每个解码器层先让目标序列读取它自己的过去（带掩码的因果自注意力
  （self-attention）），再读取源序列（**交叉注意力**：查询（query）来自目标序列，键（key）
  和值（value）来自记忆），最后在每个位置上各自“思考”（前馈块）；
* 一个线性层把每个解码器向量变成目标词表（vocabulary）上的分数（logits）。

笔记本 02 搭建了一个门控循环单元（GRU）编码器-解码器，并给它的解码器加上了加性注意力
（additive attention）：解码器不再把整个源序列压进一个向量，而是在每个输出步回看编码器的每一个状态。这消除了
定长向量的瓶颈，却没有消除循环：编码器仍然一步一步地读源序列，解码器仍然把它的过去装在一个状态里。
Transformer 让注意力无处不在，并去掉了循环：在编码器中，自注意力让每个源位置读取所有其他位置；在解码器中，
带掩码的自注意力让每个目标位置读取它之前的目标序列；而交叉注意力扮演的正是 02 中注意力的角色：解码器读取
源序列。最后，我们把 Transformer 与一个*没有*注意力的 LSTM 编码器-解码器放在一起（后者必须让整个源序列穿过
一个状态），测量两者在相同的秒数内各能走多远。

**本笔记本中的形状**

| 符号 | 含义 |
|---|---|
| `B` | 批量（batch）大小 |
| `S` | 源序列长度（编码器一侧） |
| `T` | 目标序列长度（解码器一侧） |
| `D` | 模型宽度，`d_model` |
| `h` | 头的个数；`d = D / h` 为一个头的宽度 |
| `V` | 词表大小（`src_vocab`、`tgt_vocab`） |

掩码遵循本课程的约定：布尔掩码在**允许**注意的位置为 `True`，并能与分数 `(B, h, T_query, T_key)` 广播。

请先运行设置单元格（先运行语言单元格，再运行设置单元格）。每个练习（exercise）后面都有一个检查（check）单元格：
它在远不到两秒内作答，要么给出一行绿色的通过信息，要么给出一条消息，说出它认出的错误。""", of="7095950332")

SETUP = """# Set-up: imports, the course's checks, the pieces you built in earlier notebooks, fixed seeds.
# 设置：导入、课程的检查、你在前面笔记本中实现的部件、固定的随机种子。
import math
import os
from dataclasses import replace

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import check_decoder_layer, check_greedy_decode, check_seq2seq_loss, check_transformer
from course_lib.data import BOS, EOS, VOCAB, seq2seq_batch, to_text
from course_lib.experiments import (
    claims,  # the thresholds every printed conclusion uses / 每条打印出的结论所用的阈值
    yours_or_reference,  # your code if it passes its check, else the reference / 你的代码（若通过检查），否则用参考答案
)
from course_lib.experiments import transformer as experiments
from course_lib.handouts import (
    EncoderLayer,  # you built it in notebook 07 / 你在笔记本 07 中实现过
    MultiHeadAttention,  # notebook 04 / 笔记本 04
    causal_mask,  # notebook 03 / 笔记本 03
    padding_mask,  # notebook 03 / 笔记本 03
    sinusoidal_positional_encoding,  # notebook 05 / 笔记本 05
)

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises / 评分程序只缩小实验，不缩小练习"""

DECODER_WHY = bi(r"""## 1. The decoder layer

The encoder layer of notebook 07 has two sublayers; the decoder layer has three, in this order:

1. **masked self-attention** over the target, `self_attn(x, x, x, tgt_mask)`: position `t` reads the target
   tokens `0..t` only. During training the decoder sees the whole target at once (that is what makes training
   parallel), so the mask is what stops position `t` from reading the token it has to predict;
2. **cross-attention**, `cross_attn(x, memory, memory, memory_mask)`: the queries come from the decoder's
   states `x` `(B, T, D)`, the keys and values from the encoder's output `memory` `(B, S, D)`. The weights are
   `(B, h, T, S)`: for every target position, a distribution over the source positions. `memory_mask` hides the
   source's padding;
3. the **feed-forward block**, `linear2(dropout(relu(linear1(x))))`, on each position alone.

Each sublayer sits in a residual connection with its own layer norm (`norm1`, `norm2`, `norm3`), placed as in
notebook 07: **post-LN** (`norm_first=False`, the 2017 paper) normalises after the sum,
`x = norm(x + sublayer(x))`; **pre-LN** (`norm_first=True`) normalises the sublayer's input,
`x = x + sublayer(norm(x))`. Dropout is applied to each sublayer's output before the sum (`dropout1`,
`dropout2`, `dropout3`) and inside the feed-forward block (`dropout`), as `torch.nn.TransformerDecoderLayer`
does; the attention modules drop attention weights themselves.""",
                 zh=r"""## 1. 解码器层

笔记本 07 的编码器层有两个子层；解码器层有三个，顺序如下：

1. 目标序列上的**带掩码的自注意力**，`self_attn(x, x, x, tgt_mask)`：位置 `t` 只读取目标词元 `0..t`。
   训练时解码器一次看到整个目标序列（正是这一点让训练可以并行），因此，阻止位置 `t` 读到它要预测的那个词元的，
   正是掩码；
2. **交叉注意力**，`cross_attn(x, memory, memory, memory_mask)`：查询来自解码器的状态 `x` `(B, T, D)`，
   键和值来自编码器的输出 `memory` `(B, S, D)`。注意力权重（attention weights）的形状是 `(B, h, T, S)`：
   每个目标位置都有一个在源位置上的分布。`memory_mask` 遮住源序列中的填充；
3. **前馈块** `linear2(dropout(relu(linear1(x))))`，即基于位置的前馈网络（positionwise feed-forward network），
   对每个位置单独作用。

每个子层都处在一个残差连接中，并有自己的层归一化（`norm1`、`norm2`、`norm3`），位置与笔记本 07 相同：
**后置层归一化 post-LN**（`norm_first=False`，2017 年论文的做法）在求和之后归一化，`x = norm(x + sublayer(x))`；
**前置层归一化 pre-LN**（`norm_first=True`）对子层的输入归一化，`x = x + sublayer(norm(x))`。与
`torch.nn.TransformerDecoderLayer` 一样，暂退法（dropout）作用于每个子层求和之前的输出（`dropout1`、
`dropout2`、`dropout3`）和前馈块内部（`dropout`）；注意力模块自己对注意力权重做 dropout。""", of="695f1f30d6")

DECODER_TEXT = bi(r"""`__init__(d_model, num_heads, d_ff, dropout=0.0, norm_first=False)`: two `MultiHeadAttention(d_model,
num_heads, dropout)` named **`self_attn`** and **`cross_attn`**, **`linear1`** `(d_model -> d_ff)`, **`linear2`**
`(d_ff -> d_model)`, three `nn.LayerNorm(d_model)` **`norm1`, `norm2`, `norm3`**, and four `nn.Dropout(dropout)`
(`dropout` inside the feed-forward block, `dropout1..3` on the sublayers' outputs).

`forward(x, memory, tgt_mask=None, memory_mask=None)`: `x` `(B, T, D)`, `memory` `(B, S, D)`; `tgt_mask`
broadcasts against `(B, h, T, T)` (the caller passes the causal mask), `memory_mask` against `(B, h, T, S)`.
Return `(B, T, D)`.

The check loads its own weights into your members (so the names matter), tries both norm placements, and
compares with the reference in `eval()` and `train()` modes.""",
                  zh=r"""`__init__(d_model, num_heads, d_ff, dropout=0.0, norm_first=False)`：两个多头注意力（multi-head attention）
模块 `MultiHeadAttention(d_model, num_heads, dropout)`，分别命名为 **`self_attn`** 和 **`cross_attn`**；
**`linear1`** `(d_model -> d_ff)`、**`linear2`** `(d_ff -> d_model)`；三个 `nn.LayerNorm(d_model)`：
**`norm1`、`norm2`、`norm3`**；以及四个 `nn.Dropout(dropout)`（`dropout` 在前馈块内部，`dropout1..3`
作用于各子层的输出）。

`forward(x, memory, tgt_mask=None, memory_mask=None)`：`x` `(B, T, D)`，`memory` `(B, S, D)`；`tgt_mask`
能与 `(B, h, T, T)` 广播（调用者传入因果掩码（causal mask）），`memory_mask` 能与 `(B, h, T, S)` 广播。
返回 `(B, T, D)`。

检查会把它自己的权重载入你的成员（所以名字很重要），两种归一化位置都试，并在 `eval()` 和 `train()` 两种模式下
与参考答案比较。""", of="9cdeb392be")

DECODER_HINT = stages(
    idea=bi(r"""Notebook 07's encoder layer with a third sublayer in the middle: masked self-attention over the
target, then cross-attention in which the target's positions query the encoder's memory, then the feed-forward
block. Each sublayer sits in a residual connection with its own dropout and its own layer norm.""",
            zh=r"""就是笔记本 07 的编码器层，中间再加一个子层：先是目标序列上带掩码的自注意力，然后是交叉注意力（目标序列的各个位置作为查询去读编码器的记忆），最后是前馈块。每个子层都处在一个残差连接中，有自己的 dropout 和层归一化。""",
            of="392d8a7388"),
    shapes=bi(r"""`x` is `(B, T, D)`, `memory` `(B, S, D)`; every sublayer returns `(B, T, D)`.
1. Self-attention: queries, keys and values all from `x`, with `tgt_mask`; its weights are `(B, h, T, T)`.
2. Cross-attention: queries from `x`, keys and values from `memory`, with `memory_mask`; weights `(B, h, T, S)`.
3. The feed-forward block on each position: `linear1`, ReLU, `dropout`, `linear2`.
4. Each sublayer's output goes through its dropout (`dropout1`, `dropout2`, `dropout3`) and is added to the
   residual. Post-LN normalises after each sum (`norm1`, `norm2`, `norm3`); pre-LN normalises the sublayer's
   input instead, and in cross-attention only the queries: the memory is used as it is.
5. The attention modules return `(output, weights)`: keep the output.""",
              zh=r"""`x` 为 `(B, T, D)`，`memory` 为 `(B, S, D)`；每个子层都返回 `(B, T, D)`。
1. 自注意力：查询、键、值都来自 `x`，使用 `tgt_mask`；注意力权重为 `(B, h, T, T)`。
2. 交叉注意力：查询来自 `x`，键和值来自 `memory`，使用 `memory_mask`；注意力权重为 `(B, h, T, S)`。
3. 对每个位置做前馈块：`linear1`、ReLU、`dropout`、`linear2`。
4. 每个子层的输出经过各自的 dropout（`dropout1`、`dropout2`、`dropout3`），再加到残差上。post-LN 在每次求和之后归一化（`norm1`、`norm2`、`norm3`）；pre-LN 则对子层的输入归一化，而在交叉注意力中只归一化查询：记忆按原样使用。
5. 注意力模块返回 `(output, weights)`：保留输出。""",
              of="6ea1abc1d2"),
    code=bi(r"""Post-LN, in three lines:
```python
x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))
x = self.norm3(x + self.dropout3(self.linear2(self.dropout(torch.relu(self.linear1(x))))))
```
`MultiHeadAttention` returns `(output, weights)`: keep `[0]`. For pre-LN, normalise first: `h = self.norm1(x)`,
`x = x + self.dropout1(self.self_attn(h, h, h, tgt_mask)[0])`, and so on; in cross-attention only the query
is normalised, the memory is used as it is.""",
                  zh=r"""后置层归一化，三行即可：
```python
x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))
x = self.norm3(x + self.dropout3(self.linear2(self.dropout(torch.relu(self.linear1(x))))))
```
`MultiHeadAttention` 返回 `(output, weights)`：取 `[0]`。前置层归一化则先归一化：`h = self.norm1(x)`，
`x = x + self.dropout1(self.self_attn(h, h, h, tgt_mask)[0])`，依此类推；在交叉注意力中只对查询归一化，
记忆按原样使用。""", of="178f9f153f"))

DECODER_TORCH = bi("""# Measured: the same function as torch.nn.TransformerDecoderLayer, both norm placements.
torch.manual_seed(0)
D, h, d_ff = 16, 4, 24
x, memory = torch.randn(3, 5, D), torch.randn(3, 7, D)  # (B, T, D), (B, S, D)
real = padding_mask(torch.tensor([7, 4, 1]), 7)  # (B, S): True at real source tokens
DecoderLayerClass = yours_or_reference("DecoderLayer", DecoderLayer)
for norm_first in (False, True):
    ours = DecoderLayerClass(D, h, d_ff, norm_first=norm_first).eval()
    theirs = nn.TransformerDecoderLayer(D, h, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first).eval()
    with torch.no_grad():  # give PyTorch's layer our weights
        for mine, its in ((ours.self_attn, theirs.self_attn), (ours.cross_attn, theirs.multihead_attn)):
            its.in_proj_weight.copy_(torch.cat([mine.w_q.weight, mine.w_k.weight, mine.w_v.weight]))  # (3D, D)
            its.in_proj_bias.copy_(torch.cat([mine.w_q.bias, mine.w_k.bias, mine.w_v.bias]))
            its.out_proj.load_state_dict(mine.w_o.state_dict())
        for name in ("linear1", "linear2", "norm1", "norm2", "norm3"):
            getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
        out_ours = ours(x, memory, causal_mask(5), real[:, None, None, :])  # masks: True = may attend
        out_theirs = theirs(x, memory, tgt_mask=~causal_mask(5), memory_key_padding_mask=~real)  # True = may NOT
    difference = (out_ours - out_theirs).abs().max().item()
    print(f"norm_first={norm_first!s:<5}: output {tuple(out_ours.shape)}, greatest difference {difference:.1e}")""",
                   zh="""# 实测：与 torch.nn.TransformerDecoderLayer 是同一个函数，两种归一化位置都试。
torch.manual_seed(0)
D, h, d_ff = 16, 4, 24
x, memory = torch.randn(3, 5, D), torch.randn(3, 7, D)  # (B, T, D), (B, S, D)
real = padding_mask(torch.tensor([7, 4, 1]), 7)  # (B, S)：真实源词元处为 True
DecoderLayerClass = yours_or_reference("DecoderLayer", DecoderLayer)
for norm_first in (False, True):
    ours = DecoderLayerClass(D, h, d_ff, norm_first=norm_first).eval()
    theirs = nn.TransformerDecoderLayer(D, h, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first).eval()
    with torch.no_grad():  # 把我们的权重交给 PyTorch 的层
        for mine, its in ((ours.self_attn, theirs.self_attn), (ours.cross_attn, theirs.multihead_attn)):
            its.in_proj_weight.copy_(torch.cat([mine.w_q.weight, mine.w_k.weight, mine.w_v.weight]))  # (3D, D)
            its.in_proj_bias.copy_(torch.cat([mine.w_q.bias, mine.w_k.bias, mine.w_v.bias]))
            its.out_proj.load_state_dict(mine.w_o.state_dict())
        for name in ("linear1", "linear2", "norm1", "norm2", "norm3"):
            getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
        out_ours = ours(x, memory, causal_mask(5), real[:, None, None, :])  # 我们的掩码：True = 可以注意
        out_theirs = theirs(x, memory, tgt_mask=~causal_mask(5), memory_key_padding_mask=~real)  # True = 不可注意
    difference = (out_ours - out_theirs).abs().max().item()
    print(f"norm_first={norm_first!s:<5}：输出 {tuple(out_ours.shape)}，最大差异 {difference:.1e}")""", of="4d506574cb")

MODEL_WHY = bi(r"""## 2. The whole model

`Transformer(src_vocab, tgt_vocab, d_model, num_heads, num_layers, d_ff, max_len, dropout=0.0, norm_first=False)`
puts the pieces together. What each part does, and the decisions this course made where the paper leaves room:

* **Embeddings.** `src_embed` and `tgt_embed` (`nn.Embedding`) turn tokens into vectors of width `D`. As in the
  paper, the embeddings are **multiplied by `sqrt(d_model)`** before the positions are added.
* **Positions.** The sinusoidal table of notebook 05, `sinusoidal_positional_encoding(max_len, d_model)`,
  added to the scaled embeddings: `x = embed(tokens) * sqrt(D) + pe[:T]`. The table is fixed, so it is stored
  with `self.register_buffer("pe", table, persistent=False)`: it moves with the model (`.to(device)`) but is
  not a parameter, and no optimiser changes it. Then dropout.
* **Stacks.** `encoder_layers` and `decoder_layers` are `nn.ModuleList`s of `num_layers` `EncoderLayer`s
  (notebook 07, handed out in the set-up cell) and of your `DecoderLayer`s.
* **Final norms.** After the last encoder layer, `enc_norm`; after the last decoder layer, `dec_norm`
  (both `nn.LayerNorm(d_model)`). A pre-LN stack needs them: its residual path is never normalised, so without a
  final norm the read-out would see a sum of unnormalised sublayer outputs. `torch.nn.Transformer` applies them
  whatever the norm placement, and so do we, so that both compute the same function.
* **Read-out.** `out`, an `nn.Linear(d_model, tgt_vocab)`: logits over the target vocabulary.

**Masks, decided once.**
* `encode(src, src_mask=None) -> memory (B, S, D)`: `src_mask` (e.g. the source's padding, `(B, 1, 1, S)`)
  is passed to every encoder layer.
* `decode(tgt, memory, tgt_mask=None, memory_mask=None) -> (B, T, D)` is **always causal**: it builds
  `causal_mask(T)` itself. `tgt_mask`, when given, is an *extra* mask (e.g. the target's padding, `(B, 1, 1, T)`)
  combined with it: `causal_mask(T) & tgt_mask`. `memory_mask` goes to every cross-attention.
* `forward(src, tgt, src_mask=None, tgt_mask=None) -> logits (B, T, tgt_vocab)` is
  `out(decode(tgt, encode(src, src_mask), tgt_mask, src_mask))`: the source's mask is also the memory's mask,
  since the memory has one vector per source token.""",
               zh=r"""## 2. 整个模型

`Transformer(src_vocab, tgt_vocab, d_model, num_heads, num_layers, d_ff, max_len, dropout=0.0, norm_first=False)`
把各个部件组装起来。下面是每个部分做什么，以及在论文留有余地之处本课程做出的选择：

* **嵌入。** `src_embed` 和 `tgt_embed`（`nn.Embedding`）把词元变成宽度为 `D` 的向量。与论文一样，嵌入在加上位置
  之前要**乘以 `sqrt(d_model)`**。
* **位置。** 笔记本 05 的正弦位置编码（positional encoding）表 `sinusoidal_positional_encoding(max_len, d_model)`，
  加到缩放后的嵌入上：`x = embed(tokens) * sqrt(D) + pe[:T]`。这张表是固定的，所以用
  `self.register_buffer("pe", table, persistent=False)` 保存：它随模型一起移动（`.to(device)`），但不是参数
  （parameter），任何优化器都不会改变它。然后是 dropout。
* **堆叠。** `encoder_layers` 和 `decoder_layers` 都是 `nn.ModuleList`，分别由 `num_layers` 个 `EncoderLayer`
  （笔记本 07，已在设置单元格中提供）和你的 `DecoderLayer` 组成。
* **最终归一化。** 最后一个编码器层之后是 `enc_norm`，最后一个解码器层之后是 `dec_norm`（都是
  `nn.LayerNorm(d_model)`）。前置层归一化的堆叠需要它们：它的残差通路从不被归一化，没有最终归一化，输出层看到的
  就是各子层未归一化的输出之和。无论归一化放在哪里，`torch.nn.Transformer` 都会应用它们，我们也一样，这样两者
  计算的是同一个函数。
* **输出层。** `out`，一个 `nn.Linear(d_model, tgt_vocab)`：目标词表上的 logits。

**掩码，一次定好。**
* `encode(src, src_mask=None) -> memory (B, S, D)`：`src_mask`（例如源序列的填充掩码（padding mask），
  `(B, 1, 1, S)`）传给每个编码器层。
* `decode(tgt, memory, tgt_mask=None, memory_mask=None) -> (B, T, D)` **总是因果的**：它自己构造
  `causal_mask(T)`。给出 `tgt_mask` 时，它是一个*额外的*掩码（例如目标序列的填充，`(B, 1, 1, T)`），与因果掩码
  合并：`causal_mask(T) & tgt_mask`。`memory_mask` 传给每个交叉注意力。
* `forward(src, tgt, src_mask=None, tgt_mask=None) -> logits (B, T, tgt_vocab)` 就是
  `out(decode(tgt, encode(src, src_mask), tgt_mask, src_mask))`：源序列的掩码也是记忆的掩码，因为记忆中每个
  源词元对应一个向量。""", of="c66e39146b")

MODEL_TEXT = bi(r"""Members: **`src_embed`**, **`tgt_embed`**, a buffer **`pe`**, an `nn.Dropout(dropout)`, **`encoder_layers`**,
**`decoder_layers`** (`nn.ModuleList`), **`enc_norm`**, **`dec_norm`**, **`out`**; keep `d_model` as an attribute.
Methods `encode`, `decode`, `forward` as described above. Every layer gets `d_model, num_heads, d_ff, dropout,
norm_first`.

The check builds your model with two layers each side (and one), loads its own weights, and compares
`forward`, and also `encode` and `decode` called on their own (greedy decoding calls those two).""",
                zh=r"""成员：**`src_embed`**、**`tgt_embed`**、缓冲区 **`pe`**、一个 `nn.Dropout(dropout)`、**`encoder_layers`**、
**`decoder_layers`**（`nn.ModuleList`）、**`enc_norm`**、**`dec_norm`**、**`out`**；把 `d_model` 保存为属性。
方法 `encode`、`decode`、`forward` 如上所述。每一层都接收 `d_model, num_heads, d_ff, dropout, norm_first`。

检查会用每侧两层（以及一层）构建你的模型，载入它自己的权重，比较 `forward`，也比较单独调用的 `encode` 和
`decode`（贪心解码（greedy decoding）调用的正是这两个）。""", of="7e2aeca6d9")

MODEL_HINT = stages(
    idea=bi(r"""Each side does the same four things: embed the tokens, add the positions, run its stack of layers,
normalise. `encode` does them for the source; `decode` for the target, always with the causal mask and reading
the memory; `forward` chains the two and reads out the logits.""",
            zh=r"""两侧做的都是同样四件事：嵌入词元、加上位置、穿过自己的那一叠层、归一化。`encode` 对源序列做这些；`decode` 对目标序列做，并且总是带着因果掩码、读取记忆；`forward` 把两者串起来，再输出 logits。""",
            of="85daa5709f"),
    shapes=bi(r"""1. In `__init__`: the sinusoidal table `(max_len, D)` is registered as a non-persistent buffer; the two
   stacks are module lists of `num_layers` layers each; keep `d_model`.
2. `encode`: `src` `(B, S)`, embedded `(B, S, D)` and multiplied by `sqrt(D)`, plus the first `S` rows of the
   table `(S, D)`, which broadcast over the batch; dropout; every encoder layer with `src_mask`; `enc_norm`: the
   memory `(B, S, D)`.
3. `decode`: `tgt` `(B, T)`, the same with `tgt_embed` and the first `T` rows; the causal mask `(T, T)`, combined
   with `tgt_mask` by a logical and when one is given; every decoder layer with `memory` and `memory_mask`;
   `dec_norm`: `(B, T, D)`.
4. `forward`: encode, decode with the source's mask as the memory mask, then `out`: `(B, T, tgt_vocab)`.""",
              zh=r"""1. 在 `__init__` 中：把正弦位置表 `(max_len, D)` 注册为非持久的缓冲区；两个堆叠都是模块列表，各有 `num_layers` 层；保存 `d_model`。
2. `encode`：`src` `(B, S)` 经嵌入得到 `(B, S, D)`，乘以 `sqrt(D)`，再加上位置表的前 `S` 行 `(S, D)`（在批量维上广播）；dropout；带着 `src_mask` 依次经过每个编码器层；`enc_norm`：得到记忆 `(B, S, D)`。
3. `decode`：`tgt` `(B, T)`，做法相同，只是换成 `tgt_embed` 和位置表的前 `T` 行；因果掩码 `(T, T)`，给出 `tgt_mask` 时用逻辑与把两者合并；带着 `memory` 和 `memory_mask` 依次经过每个解码器层；`dec_norm`：得到 `(B, T, D)`。
4. `forward`：先编码，再以源序列的掩码作为记忆的掩码解码，最后经过 `out`：得到 `(B, T, tgt_vocab)`。""",
              of="3ee98c94c4"),
    code=bi(r"""```python
x = self.dropout(self.src_embed(src) * math.sqrt(self.d_model) + self.pe[:S])  # (B, S, D)
for layer in self.encoder_layers:
    x = layer(x, src_mask)
return self.enc_norm(x)
```
`decode` is the same with `tgt_embed`, the mask `causal_mask(T)` (combined with `tgt_mask` by `&` when one is
given), `layer(x, memory, mask, memory_mask)` and `dec_norm`. `self.pe[:T]` has shape `(T, D)` and broadcasts
over the batch.""",
                zh=r"""```python
x = self.dropout(self.src_embed(src) * math.sqrt(self.d_model) + self.pe[:S])  # (B, S, D)
for layer in self.encoder_layers:
    x = layer(x, src_mask)
return self.enc_norm(x)
```
`decode` 与之相同，只是换成 `tgt_embed`、掩码 `causal_mask(T)`（给出 `tgt_mask` 时用 `&` 与之合并）、
`layer(x, memory, mask, memory_mask)` 和 `dec_norm`。`self.pe[:T]` 的形状是 `(T, D)`，会在批量维度上广播。""",
                of="2e68d8fa42"))

MODEL_DEMO = bi("""# The shapes through your model, and the same function as torch.nn.Transformer.
torch.manual_seed(0)
TransformerClass = yours_or_reference("Transformer", Transformer)
model = TransformerClass(src_vocab=VOCAB, tgt_vocab=VOCAB, d_model=32, num_heads=4, num_layers=2, d_ff=64,
                         max_len=12).eval()
src, tgt = seq2seq_batch("reverse", 3, 6, torch.Generator().manual_seed(0))  # (B, S), (B, S + 2)
with torch.no_grad():
    memory = model.encode(src)
    states = model.decode(tgt, memory)
    logits = model(src, tgt)
print(f"src {tuple(src.shape)} -> memory {tuple(memory.shape)};  tgt {tuple(tgt.shape)} -> decoder states "
      f"{tuple(states.shape)} -> logits {tuple(logits.shape)}")
print("buffers (not trained):", [name for name, _ in model.named_buffers()])
print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")
for norm_first in (False, True):
    torch.manual_seed(1)
    stacks = TransformerClass(VOCAB, VOCAB, 32, 4, 2, 64, 12, norm_first=norm_first)
    difference = experiments.compare_with_torch(stacks, src, tgt, src_lengths=torch.tensor([6, 3, 1]))
    print(f"norm_first={norm_first!s:<5}: greatest difference from nn.Transformer's decoder output {difference:.1e}")""",
                zh="""# 数据流经你的模型时的形状，以及它与 torch.nn.Transformer 是同一个函数。
torch.manual_seed(0)
TransformerClass = yours_or_reference("Transformer", Transformer)
model = TransformerClass(src_vocab=VOCAB, tgt_vocab=VOCAB, d_model=32, num_heads=4, num_layers=2, d_ff=64,
                         max_len=12).eval()
src, tgt = seq2seq_batch("reverse", 3, 6, torch.Generator().manual_seed(0))  # (B, S), (B, S + 2)
with torch.no_grad():
    memory = model.encode(src)
    states = model.decode(tgt, memory)
    logits = model(src, tgt)
print(f"src {tuple(src.shape)} -> 记忆 {tuple(memory.shape)}；tgt {tuple(tgt.shape)} -> 解码器状态 "
      f"{tuple(states.shape)} -> logits {tuple(logits.shape)}")
print("缓冲区（不参与训练）：", [name for name, _ in model.named_buffers()])
print(f"参数量：{sum(p.numel() for p in model.parameters()):,}")
for norm_first in (False, True):
    torch.manual_seed(1)
    stacks = TransformerClass(VOCAB, VOCAB, 32, 4, 2, 64, 12, norm_first=norm_first)
    difference = experiments.compare_with_torch(stacks, src, tgt, src_lengths=torch.tensor([6, 3, 1]))
    print(f"norm_first={norm_first!s:<5}：与 nn.Transformer 解码器输出的最大差异 {difference:.1e}")""", of="17aa00bb69")

LOSS_WHY = bi(r"""## 3. Training with teacher forcing: the loss

The task data of this course (`course_lib.data`) gives a source `src` `(B, S)` and a target
`tgt = BOS, answer..., EOS` `(B, T)`. During training the decoder does not read its own guesses: it reads the
**true** previous tokens (**teacher forcing**), and the causal mask lets all positions train at once:

| decoder input `tgt[:, :-1]` | `BOS` | `a₁` | `a₂` | … | `a_n` |
|---|---|---|---|---|---|
| **target `tgt[:, 1:]`** | `a₁` | `a₂` | `a₃` | … | `EOS` |

Input position `t` holds token `t`; its target is token `t + 1`. Forgetting the shift (scoring position `t`
against token `t`) is the classic off-by-one: with the causal mask, position `t` sees token `t`, so the model
learns to copy its input, the loss goes to zero, and the model predicts nothing.""",
              zh=r"""## 3. 用强制教学训练：损失

本课程的任务数据（`course_lib.data`）给出源序列 `src` `(B, S)` 和目标序列 `tgt = BOS, answer..., EOS` `(B, T)`。
训练时，解码器读的不是它自己的猜测，而是**真实的**前面的词元（**强制教学**（teacher forcing）），
因果掩码则让所有位置同时训练：

| 解码器输入 `tgt[:, :-1]` | `BOS` | `a₁` | `a₂` | … | `a_n` |
|---|---|---|---|---|---|
| **目标 `tgt[:, 1:]`** | `a₁` | `a₂` | `a₃` | … | `EOS` |

输入位置 `t` 存放词元 `t`；它的目标是词元 `t + 1`。忘记移位（拿位置 `t` 与词元 `t` 比较）是经典的差一错误：
有了因果掩码，位置 `t` 看得到词元 `t`，于是模型学会照抄输入，损失降到零，而模型什么也没学会预测。""",
              of="7ea6949229")

LOSS_TEXT = bi(r"""Return the mean cross-entropy of `model(src, tgt[:, :-1], src_mask)` against `tgt[:, 1:]`. When `pad_id` is
given, positions whose **target** is `pad_id` count for nothing. Return a scalar tensor.

`F.cross_entropy` wants logits `(N, V)` and targets `(N,)`: flatten the batch and time axes.""",
               zh=r"""返回 `model(src, tgt[:, :-1], src_mask)` 相对于 `tgt[:, 1:]` 的平均交叉熵（cross-entropy）。给出 `pad_id` 时，
**目标**为 `pad_id` 的位置不计入。返回一个标量张量。

`F.cross_entropy` 需要 logits `(N, V)` 和目标 `(N,)`：把批量维和时间维展平。""", of="e7e3621159")

LOSS_HINT = stages(
    idea=bi(r"""Teacher forcing: the decoder reads the target without its last token and is scored against the
target without its first, so that position `t` predicts token `t + 1`. Positions whose answer is padding are
left out of the mean.""",
            zh=r"""强制教学：解码器读入去掉最后一个词元的目标序列，并以去掉第一个词元的目标序列来评分，这样位置 `t` 预测的就是词元 `t + 1`。答案是填充的位置不计入平均。""",
            of="027a90b1a7"),
    shapes=bi(r"""1. `tgt` is `(B, T)`: the decoder's input is `tgt` without its last column, `(B, T-1)`; the answers
   are `tgt` without its first column, also `(B, T-1)`.
2. The model on `src`, that input and `src_mask` gives logits `(B, T-1, V)`.
3. Cross-entropy wants logits `(N, V)` and targets `(N,)`: merge the batch and time axes, `N = B·(T-1)`.
4. Ignore the positions whose answer is `pad_id`; when `pad_id` is None, ignore a value that no token has. The
   mean over the rest is a scalar tensor.""",
              zh=r"""1. `tgt` 为 `(B, T)`：解码器的输入是去掉最后一列的 `tgt`，`(B, T-1)`；答案是去掉第一列的 `tgt`，同样是 `(B, T-1)`。
2. 把 `src`、这个输入和 `src_mask` 交给模型，得到 logits `(B, T-1, V)`。
3. 交叉熵需要 logits `(N, V)` 和目标 `(N,)`：把批量维和时间维合并，`N = B·(T-1)`。
4. 忽略答案为 `pad_id` 的位置；`pad_id` 为 None 时，忽略一个任何词元都不会取到的值。其余位置上的平均是一个标量张量。""",
              of="8b5983f7bb"),
    code=bi(r"""```python
logits = model(src, tgt[:, :-1], src_mask)  # (B, T-1, V)
F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=...)
```
`ignore_index` must be an int: use `pad_id`, or `-100` (F.cross_entropy's default, no real token) when
`pad_id` is None.""",
               zh=r"""```python
logits = model(src, tgt[:, :-1], src_mask)  # (B, T-1, V)
F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=...)
```
`ignore_index` 必须是整数：用 `pad_id`；`pad_id` 为 None 时用 `-100`（`F.cross_entropy` 的默认值，不是任何
真实词元）。""", of="24e6b2df3e"))

GREEDY_WHY = bi(r"""## 4. Greedy decoding

At test time there is no target to read: the model must feed itself. **Greedy decoding** starts from `BOS`,
runs the decoder on what it has so far, appends the most likely next token (the argmax of the last position's
logits), and repeats. The encoder runs once; only the decoder runs at every step.

Feeding the ground truth here instead of the model's own output (as in training) would measure something
else: how well the model predicts one token given a perfect past. Below we measure both, to see the gap.

This is the simple version: every step re-reads the whole prefix, so `T` tokens push `1 + 2 + … + T`, about
`T²/2`, positions through the decoder, where `T` would do. Notebook 09 caches the keys and values to avoid that.""",
                zh=r"""## 4. 贪心解码

测试时没有目标序列可读：模型必须自己喂自己。**贪心解码**从 `BOS` 开始，在已有的内容上运行
解码器，把最可能的下一个词元（最后一个位置的 logits 的 argmax）接到末尾，如此反复。编码器只运行一次；只有解码器
每一步都要运行。

如果在这里（像训练时那样）喂入真实答案而不是模型自己的输出，测的就是另一回事了：在过去完全正确的前提下，模型
预测下一个词元的能力。下面两者都测，好看清其中的差距。

这是简单版本：每一步都重读整个前缀，所以生成 `T` 个词元要让 `1 + 2 + … + T`（约 `T²/2`）个位置通过解码器，
而本来 `T` 个就够了。笔记本 09 用键值缓存（KV cache）保存键和值，避免这种重复。""", of="ecdbd39c42")

GREEDY_TEXT = bi(r"""`model` has the contract's `encode`, `decode` and `out`; `src` `(B, S)`; `src_mask` is the source's mask (pass it to
`encode`, and as `memory_mask` to `decode`). Return `(B, L)` long, `L <= max_len`, starting with `bos_id`.

When `eos_id` is given: once a sequence has produced `eos_id`, append `eos_id` to it at every later step; stop
as soon as **every** sequence has produced it (so `L` may be shorter than `max_len`). Decorate with
`@torch.no_grad()`: decoding trains nothing. The check drives a small fixed model of its own.""",
                 zh=r"""`model` 具有约定中的 `encode`、`decode` 和 `out`；`src` `(B, S)`；`src_mask` 是源序列的掩码（传给 `encode`，
并作为 `memory_mask` 传给 `decode`）。返回 long 类型的 `(B, L)`，`L <= max_len`，以 `bos_id` 开头。

给出 `eos_id` 时：一个序列一旦生成了 `eos_id`，之后每一步都在它后面追加 `eos_id`；一旦**所有**序列都生成了它，
就立即停止（因此 `L` 可能小于 `max_len`）。用 `@torch.no_grad()` 装饰：解码不训练任何东西。检查会用它自己的一个
固定的小模型来驱动你的函数。""", of="f76e96ae9e")

GREEDY_HINT = stages(
    idea=bi(r"""Run the encoder once, then grow the output one token at a time: decode everything produced so far,
take the argmax of the last position's logits, append it, and repeat, until `max_len` tokens or until every
sequence has produced `eos_id`.""",
            zh=r"""编码器只运行一次，然后一次一个词元地延长输出：对到目前为止生成的全部内容解码，取最后一个位置 logits 的 argmax，接到末尾，如此反复，直到有 `max_len` 个词元，或者每个序列都已生成 `eos_id`。""",
            of="14b9847f73"),
    shapes=bi(r"""1. The memory `(B, S, D)`, once, from `src` and `src_mask`.
2. Start from a `(B, 1)` long tensor filled with `bos_id`, on the device of `src`.
3. Each step: decoder states `(B, L, D)` (with `src_mask` as the memory mask), then `out`: logits `(B, L, V)`;
   the last position `(B, V)`; its argmax `(B,)`; appended as a new column: `(B, L + 1)`.
4. With `eos_id`: a boolean `done` `(B,)`, all False at first. A finished row gets `eos_id` whatever its
   argmax; then mark the rows that have just produced `eos_id`; stop when all are done.""",
              zh=r"""1. 记忆 `(B, S, D)`：由 `src` 和 `src_mask` 计算，只算一次。
2. 从一个填满 `bos_id` 的 `(B, 1)` long 张量开始，放在 `src` 所在的设备上。
3. 每一步：解码器状态 `(B, L, D)`（以 `src_mask` 作为记忆的掩码），经过 `out` 得到 logits `(B, L, V)`；取最后一个位置 `(B, V)`；它的 argmax 为 `(B,)`；作为新的一列接上：`(B, L + 1)`。
4. 给出 `eos_id` 时：维护一个布尔张量 `done` `(B,)`，起初全为 False。已经结束的行无论 argmax 是什么，都接上 `eos_id`；然后标记刚刚生成了 `eos_id` 的行；全部结束时就停止。""",
              of="4bc360916b"),
    code=bi(r"""```python
memory = model.encode(src, src_mask)
ys = torch.full((B, 1), bos_id, dtype=torch.long)
while ys.size(1) < max_len:
    logits = model.out(model.decode(ys, memory, memory_mask=src_mask))  # (B, L, V)
    next_token = logits[:, -1].argmax(dim=-1)  # (B,)
    ...
    ys = torch.cat([ys, next_token[:, None]], dim=1)
```
Keep a boolean `done` `(B,)`: `next_token.masked_fill(done, eos_id)`, then `done |= next_token == eos_id`.""",
                 zh=r"""```python
memory = model.encode(src, src_mask)
ys = torch.full((B, 1), bos_id, dtype=torch.long)
while ys.size(1) < max_len:
    logits = model.out(model.decode(ys, memory, memory_mask=src_mask))  # (B, L, V)
    next_token = logits[:, -1].argmax(dim=-1)  # (B,)
    ...
    ys = torch.cat([ys, next_token[:, None]], dim=1)
```
维护一个布尔张量 `done` `(B,)`：先 `next_token.masked_fill(done, eos_id)`，再 `done |= next_token == eos_id`。""",
                 of="fc590b9bdc"))

TRAIN_WHY = bi(r"""## 5. Measured: reversing digits, trained in seconds

**The task.** The source is 10 random digits; the target is the same digits in reverse order, between `BOS`
and `EOS`. Reversal needs exactly what attention offers: output digit `t` must read source digit `9 - t`, a
different source position at every step, and the last output digit needs the first source digit, which a
recurrent model read about 20 steps earlier.

**The model.** `experiments.Setup` holds every size and says why: width 64, 4 heads, one encoder and one
decoder layer, `d_ff` 128, pre-LN, Adam at a learning rate of 5e-3 with gradient clipping, batches of 64 fresh
random sequences (there is no fixed training set, so no overfitting to it). Training runs on one thread:
at this width the work per step is too small to share between cores, and a second thread mostly waits for
the first. Every 50 steps it decodes 200 **check** sequences greedily and **stops when 99 % of them are exactly
right**, or after 15 seconds. The score reported afterwards comes from 500 other **test** sequences, which
training never looked at, not even to decide when to stop: the two sets can disagree by a point or so, so a
model stopped at 99 % on the check set may score 98.8 % on the test set.

**Embeddings and their scale.** The model multiplies its embeddings by `sqrt(64) = 8`, as the paper does
(section 3.4). `nn.Embedding` starts its rows with entries of standard deviation 1, so the token vectors would
start 8 times larger than the positions (entries between -1 and 1), and the model would first have to learn to
shrink them before it could see where a digit is. The paper does not say how its embeddings are initialised;
the authors' code, tensor2tensor, draws them with standard deviation `1/sqrt(d_model)`, so that once scaled
they start about as large as the positions. This experiment does the same: after building your `Transformer`,
it re-initialises `src_embed` and `tgt_embed` with standard deviation `1/sqrt(64)`. (In one run here, the same
model without it was still short of 99 % after 3,000 steps; with it, it got there in 200.)

**The LSTM beside it.** `LSTMSeq2Seq` is an encoder-decoder of LSTMs (notebook 01's cell, as `nn.LSTM`) with
no attention at all: two LSTM layers of width 64 read the source; their final state is all the decoder, two
more LSTM layers, knows of it (notebook 02's bottleneck). It has more parameters than the Transformer (the
table lists both), and the same `encode`, `decode` and `out`, so your `seq2seq_loss` trains it and your
`greedy_decode` decodes it. It trains for as many seconds as the Transformer took (at least one), and stops
early too, should it reach 99 % first.

That is a race over the same seconds, not a measure of what each model can learn in the end. Given its own
time, the LSTM learns this task too: in one run of this recipe at 10 digits it reached 99 % of the check
sequences after about 1,500 steps, where the Transformer needed 200. So where the LSTM is still learning when
its seconds run out, the gap mixes under-training with architecture. The cell after the table reads the LSTM's
loss curve and says whether that was so.

The cell below uses your classes and functions where they pass their checks (the `Transformer` built from your
`DecoderLayer`), and says which ran.""",
               zh=r"""## 5. 实测：反转数字，几秒钟训练完成

**任务。** 源序列是 10 个随机数字；目标序列是同样的数字倒过来，夹在 `BOS` 和 `EOS` 之间。反转需要的恰恰是注意力
所提供的：输出数字 `t` 必须读取源数字 `9 - t`，每一步读的源位置都不同；而最后一个输出数字需要第一个源数字，
循环模型大约在 20 步之前就读过它了。

**模型。** `experiments.Setup` 保存了每一个尺寸，并说明了理由：宽度 64，4 个头，编码器和解码器各一层，`d_ff` 为
128，前置层归一化，Adam 优化器，学习率（learning rate）5e-3，加梯度（gradient）裁剪，每个批量是 64 条新生成的
随机序列（没有固定的训练集，因此也不会对它过拟合）。训练只用一个线程：在这个宽度下，每一步的计算量太小，分给
多个核心并不划算，第二个线程多半只是在等第一个。每隔 50 步，它用贪心解码解 200 条**验证**序列，**其中 99 %
完全正确时就停止**，否则在 15 秒后停止。之后报告的分数来自另外 500 条**测试**序列，训练从未看过它们，连决定何时
停止都没有用到：两组序列的结果可能相差一个百分点左右，所以在验证集上达到 99 % 而停止的模型，在测试集上可能只有
98.8 %。

**嵌入及其尺度。** 与论文一样（第 3.4 节），模型把嵌入乘以 `sqrt(64) = 8`。`nn.Embedding` 初始化时每个元素的
标准差为 1，所以词元向量一开始会比位置编码（元素在 -1 到 1 之间）大 8 倍，模型得先学会把它们缩小，才能看出
一个数字在哪个位置。论文没有说明嵌入如何初始化；作者的代码 tensor2tensor 以标准差 `1/sqrt(d_model)` 抽取它们，
这样缩放之后，它们一开始就与位置编码大小相当。本实验也这样做：构建你的 `Transformer` 之后，它以标准差
`1/sqrt(64)` 重新初始化 `src_embed` 和 `tgt_embed`。（在这里的一次运行中，不这样做的同一个模型训练 3,000 步后
仍未达到 99 %；这样做，200 步就达到了。）

**旁边的 LSTM。** `LSTMSeq2Seq` 是一个由 LSTM 构成（笔记本 01 的单元，这里用 `nn.LSTM`）、完全没有注意力的
编码器-解码器：两层宽度为 64 的 LSTM 读取源序列；它们的最终状态就是解码器（另外两层 LSTM）对源序列所知的全部
（即笔记本 02 中的瓶颈）。它的参数比 Transformer 多（表中列出了两者），并且有同样的 `encode`、`decode` 和
`out`，所以你的 `seq2seq_loss` 能训练它，你的 `greedy_decode` 能为它解码。它训练的秒数与 Transformer 所用的
相同（至少一秒）；如果先达到 99 %，它也会提前停止。

这是一场相同秒数内的赛跑，衡量的不是每个模型最终能学到什么。给它自己所需的时间，LSTM 也能学会这个任务：在这套
方案的一次运行中，它在 10 个数字上大约训练 1,500 步后达到了 99 % 的验证序列完全正确，而 Transformer 只需要
200 步。所以，如果 LSTM 在秒数用完时仍在学习，差距里就混杂了训练不足与架构两个因素。表格之后的单元格会读取
LSTM 的损失曲线，说明情况是否如此。

下面的单元格在你的类和函数通过检查时就使用它们（`Transformer` 由你的 `DecoderLayer` 构建），并说明运行的是哪一个。""",
               of="ed2c6e1d41")

TRAIN_CODE = bi("""TransformerClass = yours_or_reference("Transformer", Transformer)  # built from your DecoderLayer
loss_fn = yours_or_reference("seq2seq_loss", seq2seq_loss)
decode = yours_or_reference("greedy_decode", greedy_decode)

setup = experiments.Setup()  # reverse 10 digits; print(setup) to see every size
if GRADING:
    setup = experiments.grading_setup(setup)
test_size = 20 if GRADING else 500
main = experiments.run_length(setup, transformer_cls=TransformerClass, decode=decode, loss_fn=loss_fn,
                              test_size=test_size)

print(f"task: {setup.task} {setup.length} digits; {test_size} held-out test sequences, greedy decoding")
print(f"{'model':<12} {'parameters':>10} {'steps':>6} {'seconds':>8} {'stopped by':>22} {'exact':>7} {'tokens':>7}"
      f" {'tokens, teacher-forced':>23}   (exact, tokens: on the {test_size} test sequences)")
STOPPED = {"target reached": f"99% of {setup.check_size} check", "time budget": "time budget", "steps": "steps"}
for name in ("Transformer", "LSTM"):
    r = main[name]
    print(f"{name:<12} {r['parameters']:>10,} {r['steps']:>6} {r['seconds']:>8.1f} {STOPPED[r['stopped']]:>22} "
          f"{r['exact']:>7.1%} {r['token']:>7.1%} {r['teacher-forced token']:>23.1%}")""",
                zh="""TransformerClass = yours_or_reference("Transformer", Transformer)  # 由你的 DecoderLayer 构建
loss_fn = yours_or_reference("seq2seq_loss", seq2seq_loss)
decode = yours_or_reference("greedy_decode", greedy_decode)

setup = experiments.Setup()  # 反转 10 个数字；print(setup) 可查看每个尺寸
if GRADING:
    setup = experiments.grading_setup(setup)
test_size = 20 if GRADING else 500
main = experiments.run_length(setup, transformer_cls=TransformerClass, decode=decode, loss_fn=loss_fn,
                              test_size=test_size)

print(f"任务：{setup.task}，{setup.length} 个数字；{test_size} 条留出的测试序列，贪心解码")
print(f"{'模型':<10} {'参数量':>7} {'步数':>4} {'秒数':>6} {'停止原因':>18} {'整序列':>4} {'词元':>5}"
      f" {'词元（强制教学）':>15}   （整序列、词元：在 {test_size} 条测试序列上的准确率）")
STOPPED = {"target reached": f"{setup.check_size}条验证达99%", "time budget": "时间用完", "steps": "步数用完"}
for name in ("Transformer", "LSTM"):
    r = main[name]
    print(f"{name:<12} {r['parameters']:>10,} {r['steps']:>6} {r['seconds']:>8.1f} {STOPPED[r['stopped']]:>18} "
          f"{r['exact']:>7.1%} {r['token']:>7.1%} {r['teacher-forced token']:>23.1%}")""", of="f9687f2368")

EXAMPLES_CODE = bi("""# A few held-out examples, decoded greedily by both models.
src, tgt = seq2seq_batch("reverse", 3, setup.length, torch.Generator().manual_seed(2024))
for name in ("Transformer", "LSTM"):
    out = decode(main[name]["model"].eval(), src, tgt.size(1), BOS, EOS)
    print(name)
    for i in range(len(src)):
        mark = "right" if torch.equal(out[i], tgt[i]) else "WRONG"
        print(f"  {to_text(src[i]):<20} -> {to_text(out[i])}   ({mark})")""",
                   zh="""# 几个留出的例子，两个模型都用贪心解码。
src, tgt = seq2seq_batch("reverse", 3, setup.length, torch.Generator().manual_seed(2024))
for name in ("Transformer", "LSTM"):
    out = decode(main[name]["model"].eval(), src, tgt.size(1), BOS, EOS)
    print(name)
    for i in range(len(src)):
        mark = "正确" if torch.equal(out[i], tgt[i]) else "错误"
        print(f"  {to_text(src[i]):<20} -> {to_text(out[i])}   （{mark}）")""", of="4d91ac199c")

TRAIN_SUMMARY = bi("""t, lstm = main["Transformer"], main["LSTM"]
why = {"target reached": f"when {setup.target:.0%} of the {setup.check_size} check sequences were right",
       "time budget": f"at the time budget, before {setup.target:.0%} of the check sequences were right",
       "steps": "after its last step"}[t["stopped"]]
print(f"The Transformer stopped after {t['seconds']:.1f} s ({t['steps']} steps), {why}; on the {test_size} test "
      f"sequences it gets {t['exact']:.1%} exactly right. The LSTM, given the same {lstm['seconds']:.1f} s, gets "
      f"{lstm['exact']:.1%}.")
end, drop, window = lstm["loss at the end"], lstm["loss drop at the end"], lstm["loss window"]
if end == "still falling":
    print(f"But the LSTM was still learning when its time ran out: its mean loss over its last {window} steps was "
          f"{drop:.2f} nats below that of the {window} steps before (a fall counts from {claims.STILL_FALLING}). "
          "So this gap mixes under-training with architecture: it shows how much faster the Transformer learns "
          "this task, not how well the LSTM could do it given more time.")
elif end == "levelled off":
    print(f"The LSTM's loss had levelled off when its time ran out: its mean over its last {window} steps differs "
          f"by {-drop:+.2f} nats from that of the {window} steps before (a fall counts from {claims.STILL_FALLING}). "
          "So it was not stopped in mid-descent, though a plateau can still give way to more training.")
else:
    print(f"The LSTM ran only {lstm['steps']} steps, too few to tell whether its loss was still falling.")
print(f"Per token the LSTM is right {lstm['token']:.1%} of the time when it feeds itself, and {lstm['teacher-forced token']:.1%} "
      f"when it is fed the true previous tokens (teacher forcing): one early slip derails what follows, so scoring "
      f"with the ground truth as input would flatter it. For the Transformer the two are "
      f"{t['token']:.1%} and {t['teacher-forced token']:.1%}.")
rates = {name: r["steps"] / max(r["seconds"], 1e-9) for name, r in (("LSTM", lstm), ("Transformer", t))}
if rates["LSTM"] * claims.MIN_RATIO <= rates["Transformer"]:
    pace = "the recurrence, step after step, costs it training time as well."
elif rates["Transformer"] * claims.MIN_RATIO <= rates["LSTM"]:
    pace = "the LSTM is faster per step here; what it lacks is a way to look back at the source."
else:
    pace = (f"within {claims.MIN_RATIO}x of each other, too close to call from one run on this machine; what the "
            "LSTM lacks is a way to look back at the source.")
print(f"The LSTM did {rates['LSTM']:.0f} steps per second, the Transformer {rates['Transformer']:.0f}: " + pace)""",
                   zh="""t, lstm = main["Transformer"], main["LSTM"]
why = {"target reached": f"此时 {setup.check_size} 条验证序列中已有 {setup.target:.0%} 完全正确",
       "time budget": f"此时时间预算已用完，验证序列还没有达到 {setup.target:.0%} 完全正确",
       "steps": "此时已跑完最后一步"}[t["stopped"]]
print(f"Transformer 训练 {t['seconds']:.1f} 秒（{t['steps']} 步）后停止，{why}；在 {test_size} 条测试序列上，"
      f"它完全正确的比例为 {t['exact']:.1%}。LSTM 训练同样的 {lstm['seconds']:.1f} 秒，得到 "
      f"{lstm['exact']:.1%}。")
end, drop, window = lstm["loss at the end"], lstm["loss drop at the end"], lstm["loss window"]
if end == "still falling":
    print(f"但 LSTM 在时间用完时仍在学习：它最后 {window} 步的平均损失比之前 {window} 步低 {drop:.2f} nat"
          f"（下降超过 {claims.STILL_FALLING} 即算仍在下降）。"
          "所以这个差距混杂了训练不足与架构两个因素：它显示的是 Transformer 学会这个任务快了多少，"
          "而不是 LSTM 有更多时间时能做得多好。")
elif end == "levelled off":
    print(f"LSTM 的损失在时间用完时已趋于平稳：它最后 {window} 步的平均损失与之前 {window} 步相差 "
          f"{-drop:+.2f} nat（下降超过 {claims.STILL_FALLING} 才算仍在下降）。"
          "所以它不是在下降途中被叫停的，不过平台期之后，继续训练仍可能带来下降。")
else:
    print(f"LSTM 只训练了 {lstm['steps']} 步，太少，无法判断它的损失是否仍在下降。")
print(f"按词元计，LSTM 自己喂自己时的正确率为 {lstm['token']:.1%}，喂入真实的前面词元（强制教学）时为 "
      f"{lstm['teacher-forced token']:.1%}：早期的一个失误会带偏后面的一切，所以用真实答案作输入来打分会美化它。"
      f"Transformer 的这两个数字是 {t['token']:.1%} 和 {t['teacher-forced token']:.1%}。")
rates = {name: r["steps"] / max(r["seconds"], 1e-9) for name, r in (("LSTM", lstm), ("Transformer", t))}
if rates["LSTM"] * claims.MIN_RATIO <= rates["Transformer"]:
    pace = "一步接一步的循环也让它在训练时间上吃亏。"
elif rates["Transformer"] * claims.MIN_RATIO <= rates["LSTM"]:
    pace = "在这里 LSTM 每一步更快；它缺的是回看源序列的途径。"
else:
    pace = (f"两者相差不到 {claims.MIN_RATIO} 倍，在这台机器上仅凭一次运行分不出快慢；"
            "LSTM 缺的是回看源序列的途径。")
print(f"LSTM 每秒训练 {rates['LSTM']:.0f} 步，Transformer 每秒 {rates['Transformer']:.0f} 步：" + pace)""", of="f25405fbd5")


LENGTH_WHY = bi(r"""## 6. Measured: as the sequences grow

The LSTM's decoder knows the source only through one final state of fixed size; the Transformer's decoder looks
at every source position at every step. The longer the sequence, the more that state has to hold. We repeat the
comparison at 5 and at 15 digits (the same recipe: the Transformer until 99 % or 15 s, the LSTM for as many
seconds) and put them beside the run above. The caveat of the run above holds at every length: where the LSTM is
still learning when its seconds run out, its row says how fast it learns as much as what one state can hold. The
cell after the plot says at which lengths that was so.""",
                zh=r"""## 6. 实测：序列变长时

LSTM 的解码器只能通过一个大小固定的最终状态了解源序列；Transformer 的解码器每一步都能看到每一个源位置。序列越长，
那个状态要装的东西就越多。我们在 5 个和 15 个数字上重复这一比较（方案相同：Transformer 训练到 99 % 或 15 秒，
LSTM 训练同样的秒数），并与上面那次运行放在一起。上面那次运行的保留意见在每个长度上都成立：如果 LSTM 在秒数
用完时仍在学习，它那一行反映的既是一个状态能装下多少，也是它学得有多快。图后面的单元格会说明在哪些长度上是这样。""",
                of="bafc162c6e")

LENGTH_CODE = bi("""lengths = (5,) if GRADING else (5, 15)
quick = replace(setup, check_size=min(setup.check_size, 100))  # the 99 % stop checked on 100 sequences here
rows = sorted([main] + [experiments.run_length(quick, length, TransformerClass, decode, loss_fn,
                                                test_size=20 if GRADING else 200) for length in lengths],
              key=lambda r: r["length"])
print(f"{'length':>6} | {'Transformer: exact':>18} {'seconds':>8} | {'LSTM: exact':>11} {'tokens':>7}")
for r in rows:
    t, lstm = r["Transformer"], r["LSTM"]
    print(f"{r['length']:>6} | {t['exact']:>18.1%} {t['seconds']:>8.1f} | {lstm['exact']:>11.1%} {lstm['token']:>7.1%}")
fig = experiments.plot_lengths(rows, title="Reversing digits: Transformer and LSTM on the same time budget")
plt.show()""",
                 zh="""lengths = (5,) if GRADING else (5, 15)
quick = replace(setup, check_size=min(setup.check_size, 100))  # 这里 99 % 的停止条件只在 100 条序列上检验
rows = sorted([main] + [experiments.run_length(quick, length, TransformerClass, decode, loss_fn,
                                                test_size=20 if GRADING else 200) for length in lengths],
              key=lambda r: r["length"])
print(f"{'长度':>4} | {'Transformer 整序列':>15} {'秒数':>6} | {'LSTM 整序列':>8} {'词元':>5}")
for r in rows:
    t, lstm = r["Transformer"], r["LSTM"]
    print(f"{r['length']:>6} | {t['exact']:>18.1%} {t['seconds']:>8.1f} | {lstm['exact']:>11.1%} {lstm['token']:>7.1%}")
fig = experiments.plot_lengths(rows, title="反转数字：相同时间预算下的 Transformer 与 LSTM")
plt.show()""", of="57addc2592")

LENGTH_SUMMARY = bi("""gaps = [(r["length"], r["Transformer"]["exact"] - r["LSTM"]["exact"]) for r in rows]
worst_lstm = min(rows, key=lambda r: r["LSTM"]["exact"])
print("Transformer minus LSTM, exact-sequence accuracy: "
      + ", ".join(f"{gap:+.1%} at length {length}" for length, gap in gaps) + ".")
change = gaps[-1][1] - gaps[0][1]
points = f"{claims.ACCURACY_POINTS * 100:.0f} percentage points"
trend = ("grows" if change >= claims.ACCURACY_POINTS else "shrinks" if change <= -claims.ACCURACY_POINTS
         else f"stays within {points}")
print(f"From length {gaps[0][0]} to {gaps[-1][0]} the gap {trend} ({change:+.1%}; a change counts from "
      f"{points}, about two standard errors of a difference between accuracies measured on 200 sequences). "
      f"At {worst_lstm['length']} digits the LSTM gets {worst_lstm['LSTM']['exact']:.1%} of the sequences right "
      f"(and {worst_lstm['LSTM']['token']:.1%} of the digits), while the Transformer gets "
      f"{worst_lstm['Transformer']['exact']:.1%} in {worst_lstm['Transformer']['seconds']:.1f} s.")
ends = {r["length"]: r["LSTM"]["loss at the end"] for r in rows}
falling = [str(length) for length, end in ends.items() if end == "still falling"]
if falling:
    print(f"In the runs with {', '.join(falling)} digits the LSTM was still learning when its seconds ran out (its "
          "loss still falling over the last quarter of its steps): there the gap mixes under-training with "
          "architecture, and part of what grows with the length may be training the LSTM did not get.")
elif "too short" in ends.values():
    print("Some of the LSTM's runs were too short to tell whether its loss was still falling.")
else:
    print("At every length the LSTM's loss had levelled off by the end of its seconds: the gaps are not just "
          "training it did not get.")""",
                    zh="""gaps = [(r["length"], r["Transformer"]["exact"] - r["LSTM"]["exact"]) for r in rows]
worst_lstm = min(rows, key=lambda r: r["LSTM"]["exact"])
print("整序列准确率，Transformer 减去 LSTM："
      + "，".join(f"长度 {length} 时 {gap:+.1%}" for length, gap in gaps) + "。")
change = gaps[-1][1] - gaps[0][1]
points = f"{claims.ACCURACY_POINTS * 100:.0f} 个百分点"
trend = ("扩大" if change >= claims.ACCURACY_POINTS else "缩小" if change <= -claims.ACCURACY_POINTS
         else f"的变化不超过 {points}")
print(f"从长度 {gaps[0][0]} 到 {gaps[-1][0]}，差距{trend}（{change:+.1%}；变化达到 {points}才算数，"
      f"约为在 200 条序列上测得的两个准确率之差的两倍标准误）。"
      f"在 {worst_lstm['length']} 个数字时，LSTM 完全正确的序列占 {worst_lstm['LSTM']['exact']:.1%}"
      f"（数字正确率 {worst_lstm['LSTM']['token']:.1%}），而 Transformer 在 "
      f"{worst_lstm['Transformer']['seconds']:.1f} 秒内达到 {worst_lstm['Transformer']['exact']:.1%}。")
ends = {r["length"]: r["LSTM"]["loss at the end"] for r in rows}
falling = [str(length) for length, end in ends.items() if end == "still falling"]
if falling:
    print(f"在 {'、'.join(falling)} 个数字的运行中，LSTM 在秒数用完时仍在学习（最后四分之一的步数里损失仍在下降）："
          "在这些长度上，差距混杂了训练不足与架构两个因素，随长度增大的那部分差距，"
          "可能有一部分只是 LSTM 没来得及得到的训练。")
elif "too short" in ends.values():
    print("LSTM 有些运行的步数太少，无法判断它的损失是否仍在下降。")
else:
    print("在每个长度上，LSTM 的损失在秒数用完时都已趋于平稳：这些差距不只是它没来得及得到的训练。")""", of="0a519f4214")


MAPS_WHY = bi(r"""## 7. Measured: what the cross-attention looks at

For one held-out source, we decode greedily with the trained Transformer, then run it once more on its own
output and catch the weights of every decoder layer's `cross_attn` (a forward hook: your `MultiHeadAttention`
returns them). Each row is one decoder position (labelled with the token it predicts), each column one source
digit. If the model reverses by looking up the right digit, the weights should sit on the **anti-diagonal**:
output digit `t` reading source digit `9 - t`.""",
              zh=r"""## 7. 实测：交叉注意力看向哪里

对一条留出的源序列，我们先用训练好的 Transformer 做贪心解码，再让它在自己的输出上运行一次，截获每个解码器层
`cross_attn` 的权重（用前向钩子：你的 `MultiHeadAttention` 会返回权重）。每一行是一个解码器位置（标注为它所
预测的词元），每一列是一个源数字。如果模型是靠查找正确的数字来反转的，权重就应该落在**反对角线**上：输出数字
`t` 读取源数字 `9 - t`。""", of="27a377e2d9")

MAPS_CODE = bi("""model = main["Transformer"]["model"]
src, _ = seq2seq_batch("reverse", 1, setup.length, torch.Generator().manual_seed(7))
out, maps = experiments.cross_attention_maps(model, src, decode)  # maps: per layer (h, T-1, S)
fig = experiments.plot_cross_attention(src[0], out, maps, title=f"Cross-attention, source {to_text(src[0])}")
plt.show()""",
               zh="""model = main["Transformer"]["model"]
src, _ = seq2seq_batch("reverse", 1, setup.length, torch.Generator().manual_seed(7))
out, maps = experiments.cross_attention_maps(model, src, decode)  # maps：每层一个 (h, T-1, S)
fig = experiments.plot_cross_attention(src[0], out, maps, title=f"交叉注意力，源序列 {to_text(src[0])}")
plt.show()""", of="02907bb112")

MAPS_SUMMARY = bi("""mirror = experiments.mirror_weight(maps, setup.length)
heads = maps[-1][:, torch.arange(setup.length), setup.length - 1 - torch.arange(setup.length)].mean(-1)  # (h,)
reading = int((heads > claims.HEAD_READS).sum())
print(f"Averaged over heads and output digits, the last decoder layer puts {mirror[-1]:.0%} of a query's "
      f"cross-attention on the mirrored source digit (uniform attention would put {1 / setup.length:.0%} there).")
print("Per head: " + ", ".join(f"head {i} {w:.0%}" for i, w in enumerate(heads.tolist())) + ": "
      + (f"every head puts more than {claims.HEAD_READS:.0%} on the digit it has to copy." if reading == len(heads) else
         f"{reading} of the {len(heads)} heads put more than {claims.HEAD_READS:.0%} on the digit to copy; the "
         "others put most of their weight on other source digits, and the output projection after the heads "
         "combines them." if reading else
         f"no head puts more than {claims.HEAD_READS:.0%} on the digit to copy: the heads have not learned to look "
         "it up."))""",
                  zh="""mirror = experiments.mirror_weight(maps, setup.length)
heads = maps[-1][:, torch.arange(setup.length), setup.length - 1 - torch.arange(setup.length)].mean(-1)  # (h,)
reading = int((heads > claims.HEAD_READS).sum())
print(f"对各个头和各个输出数字取平均，最后一个解码器层把一个查询的交叉注意力的 {mirror[-1]:.0%} "
      f"放在镜像位置的源数字上（均匀注意力只会在那里放 {1 / setup.length:.0%}）。")
print("逐个头看：" + "，".join(f"头 {i} {w:.0%}" for i, w in enumerate(heads.tolist())) + "："
      + (f"每个头都把超过 {claims.HEAD_READS:.0%} 的权重放在它要复制的数字上。" if reading == len(heads) else
         f"{len(heads)} 个头中有 {reading} 个把超过 {claims.HEAD_READS:.0%} 的权重放在要复制的数字上；"
         "其余的头把大部分权重放在其他源数字上，各头之后的输出投影再把它们组合起来。" if reading else
         f"没有一个头把超过 {claims.HEAD_READS:.0%} 的权重放在要复制的数字上：这些头还没有学会去查找它。"))""", of="050cefb9f8")

SUMMARY = bi("""## Summary

* A **decoder layer** is an encoder layer with one more sublayer: masked self-attention over the target, then
  cross-attention (queries from the target, keys and values from the encoder's memory), then the feed-forward
  block; each with its residual connection and norm. With the same weights it computes what
  `torch.nn.TransformerDecoderLayer` computes, post-LN and pre-LN alike.
* The **Transformer** scales its embeddings by `sqrt(d_model)`, adds a fixed sinusoidal table (a buffer), runs
  the encoder stack once over the source and the decoder stack over the target, ends each stack with a layer
  norm and reads out logits. `decode` is always causal; the source's mask is also the memory's mask.
* **Training** uses teacher forcing: the decoder reads `tgt[:, :-1]` and is scored on `tgt[:, 1:]`.
  **Decoding** has no target: it feeds the model its own output, one token at a time.
* Measured above, on your machine: how far the model got at reversing digit sequences in seconds on a CPU;
  where the LSTM encoder-decoder on the same budget stood at each length, and whether it was still learning
  when its time ran out (where it was, the gap mixes under-training with architecture); and how much of the
  cross-attention sits on the digit that the task needs. The cells above print each of these from their numbers.

**In the paper** ("Attention Is All You Need", Vaswani et al., 2017). `Transformer` is the model of section 3
and Figure 1. `DecoderLayer` is the decoder layer of section 3.1 (Encoder and Decoder Stacks), whose third
sublayer attends over the encoder's output; cross-attention is the "encoder-decoder attention" of section 3.2.3
(Applications of Attention in our Model), queries from the decoder, keys and values from the memory. The
embeddings scaled by $\\sqrt{d_{model}}$ and the linear read-out are section 3.4 (Embeddings and Softmax); the
paper also shares one weight matrix between the two embeddings and the read-out, which this model does not.
The sinusoidal table is section 3.5. The shift of `seq2seq_loss`, reading `tgt[:, :-1]` to predict
`tgt[:, 1:]`, is the "output embeddings are offset by one position" of section 3.1. The final layer norm of
each stack follows `torch.nn.Transformer`; the paper does not describe one. `greedy_decode` keeps one candidate
per step where the paper's translations used beam search with 4 (section 6.1).

**Next:** notebook 09 keeps only the decoder (no encoder, no cross-attention), trains it as a language model,
and makes decoding fast with a cache of keys and values.""",
             zh="""## 小结

* **解码器层**就是多了一个子层的编码器层：先是目标序列上的带掩码的自注意力，再是交叉注意力（查询来自目标序列，
  键和值来自编码器的记忆），最后是前馈块；每个子层都有自己的残差连接和归一化。权重相同时，它与
  `torch.nn.TransformerDecoderLayer` 的计算结果相同，后置层归一化和前置层归一化都是如此。
* **Transformer** 把嵌入乘以 `sqrt(d_model)`，加上一张固定的正弦表（一个缓冲区），在源序列上运行一次编码器堆叠，
  在目标序列上运行解码器堆叠，每个堆叠都以一个层归一化结尾，最后输出 logits。`decode` 总是因果的；源序列的掩码
  也是记忆的掩码。
* **训练**使用强制教学：解码器读入 `tgt[:, :-1]`，按 `tgt[:, 1:]` 打分。**解码**时没有目标序列：模型把自己的
  输出喂给自己，一次一个词元。
* 上面在你的机器上测得：模型在 CPU 上几秒钟内把数字序列反转得有多好；相同预算下的 LSTM 编码器-解码器在每个长度上
  处于什么位置，以及它的时间用完时是否仍在学习（若是，差距就混杂了训练不足与架构两个因素）；交叉注意力有多少落在
  任务需要的那个数字上。上面的单元格都根据各自的数字打印出了这些结论。

**对应论文**（"Attention Is All You Need"，Vaswani 等，2017）。`Transformer` 就是论文第 3 节和图 1 的模型。`DecoderLayer` 是第 3.1 节（Encoder and Decoder Stacks）中的解码器层，它的第三个子层对编码器的输出做注意力；交叉注意力就是第 3.2.3 节（Applications of Attention in our Model）中的“编码器-解码器注意力”（encoder-decoder attention）：查询来自解码器，键和值来自记忆。乘以 $\\sqrt{d_{model}}$ 的嵌入和最后的线性读出是第 3.4 节（Embeddings and Softmax）；论文还让两个嵌入和读出层共用一个权重矩阵，本模型没有这样做。正弦表是第 3.5 节。`seq2seq_loss` 的错位（读入 `tgt[:, :-1]`，预测 `tgt[:, 1:]`）就是第 3.1 节所说的“输出嵌入错开一个位置”（output embeddings are offset by one position）。每个堆叠末尾的层归一化沿用 `torch.nn.Transformer` 的做法，论文没有描述。`greedy_decode` 每一步只保留一个候选，而论文的翻译用的是宽度为 4 的束搜索（beam search，第 6.1 节）。

**下一步：** 笔记本 09 只保留解码器（没有编码器，也没有交叉注意力），把它当作语言模型（language model）来训练，
并用键值缓存让解码变快。""", of="f179f17ac6")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(DECODER_WHY),
        exercise(1, ref.DecoderLayer, points=4, seed=8101, difficulty=3, importance=5, minutes=20,
                 text=DECODER_TEXT, hint=DECODER_HINT,
                 final_assert="assert DecoderLayer(8, 2, 16)(torch.zeros(1, 3, 8), torch.zeros(1, 5, 8)).shape == "
                              "(1, 3, 8), \"the output has the target's shape (B, T, D) "
                              "(输出的形状与目标序列相同：(B, T, D))\""),
        code(DECODER_TORCH),
        markdown(MODEL_WHY),
        exercise(2, ref.Transformer, points=5, seed=8202, difficulty=3, importance=5, minutes=25,
                 text=MODEL_TEXT, hint=MODEL_HINT,
                 final_assert="assert \"pe\" in dict(Transformer(5, 7, 8, 2, 1, 16, 4).named_buffers()), "
                              "\"the positional table is a buffer named pe (位置编码表是一个名为 pe 的缓冲区)\""),
        code(MODEL_DEMO),
        markdown(LOSS_WHY),
        exercise(3, ref.seq2seq_loss, points=2, seed=8303, difficulty=2, importance=4, minutes=10,
                 text=LOSS_TEXT, hint=LOSS_HINT,
                 final_assert="assert seq2seq_loss.__name__ == \"seq2seq_loss\", "
                              "\"keep the function's name (保留函数名)\""),
        markdown(GREEDY_WHY),
        exercise(4, ref.greedy_decode, points=3, seed=8411, difficulty=3, importance=4, minutes=15,
                 text=GREEDY_TEXT, hint=GREEDY_HINT,
                 final_assert="assert greedy_decode.__name__ == \"greedy_decode\", "
                              "\"keep the function's name (保留函数名)\""),
        markdown(TRAIN_WHY),
        *question("08.lstm_race"),
        code(TRAIN_CODE),
        answer("08.lstm_race", "main=main"),
        code(EXAMPLES_CODE),
        code(TRAIN_SUMMARY),
        markdown(LENGTH_WHY),
        *question("08.short"),
        code(LENGTH_CODE),
        answer("08.short", "rows=rows"),
        code(LENGTH_SUMMARY),
        markdown(MAPS_WHY),
        code(MAPS_CODE),
        code(MAPS_SUMMARY),
        markdown(SUMMARY),
    ], title=TITLE)
