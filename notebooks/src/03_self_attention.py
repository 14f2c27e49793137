"""Notebook 03: scaled dot-product self-attention, its masks, and why the scores are divided by sqrt(d_k)."""
from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import self_attention as ref

TITLE = bi("""03 Self-attention""", zh="""03 自注意力""", of="cff4870d8c")

INTRO = bi("""# 03 · Self-attention: a soft dictionary look-up

**What you build:** `softmax`, `scaled_dot_product_attention`, `causal_mask`, `padding_mask`.
**What you measure:** how the softmax saturates as the width `d_k` grows, with and without the `1/sqrt(d_k)`
scaling, and what that does to the gradients.
**Time:** [[times]].

Notebook 02 ended with attention still tied to a recurrence: the decoder's state is the only query, attention
is called once per output step, and the encoder and decoder still read one step at a time, which notebook 01
measured to be slow and forgetful. Self-attention removes the recurrence. Every position asks a question (a **query**), every
position advertises what it holds (a **key**) and what it would hand over (a **value**). A position's output
is an average of all the values, weighted by how well its query matches each key. Where do the three come
from? Each is a learned linear projection of the same input token, `q = x W_q`, `k = x W_k`, `v = x W_v`;
notebook 04 builds those projections. Here `q`, `k` and `v` are simply given tensors. All positions do this at
once, and any two positions are one step apart.

Think of a Python `dict`: a query either equals a key or it does not, and you get one value back. Attention is
the *soft* version: every key matches a little, the matches are turned into weights that sum to 1 (that is
the softmax), and you get the weighted average of the values.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `Tq`, `Tk` | number of queries, number of keys (both `T` in self-attention) |
| `d_k` | width of a query or a key |
| `d_v` | width of a value |
| `...` | any number of extra batch dimensions (heads, in notebook 04) |

Run the set-up cells first: the language cell, then the set-up cell. Every exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.
""", zh="""# 03 · 自注意力：一次“软”的字典查找

**你要实现：** `softmax`、`scaled_dot_product_attention`、`causal_mask`、`padding_mask`。
**你要测量：** 随着宽度 `d_k` 增大，有 `1/sqrt(d_k)` 缩放和没有缩放时，softmax 分别如何饱和，以及这对梯度（gradient）
有什么影响。
**时间：** [[times]]。

笔记本 02 结束时，注意力仍然绑在循环上：解码器的状态是唯一的查询，每个输出步调用一次注意力，编码器和解码器仍然一步
一步地读序列（sequence），而笔记本 01 测得这样读既慢又健忘。自注意力（self-attention）去掉了循环。每个位置提出一个问题（**查询**，query），每个位置声明自己持有什么（**键**，key）以及
愿意交出什么（**值**，value）。一个位置的输出是所有值的加权平均，权重取决于它的查询与每个键匹配得有多好。这三者从
哪里来？它们都是同一个输入词元（token）的可学习线性投影：`q = x W_q`、`k = x W_k`、`v = x W_v`；笔记本 04 会实现
这些投影。本笔记本中的 `q`、`k`、`v` 就是直接给定的张量。所有位置同时完成这一计算，任意两个位置之间只隔一步。

想一想 Python 的 `dict`：查询要么等于某个键，要么不等于，你拿回一个值。注意力（attention）是它的*软*版本：每个键都
匹配上一点点，这些匹配程度被转换成和为 1 的权重（这就是 softmax），你得到的是值的加权平均。

**本笔记本使用的形状**

| 符号 | 含义 |
|---|---|
| `B` | 批量（batch）大小 |
| `Tq`、`Tk` | 查询的个数、键的个数（在自注意力中都是 `T`） |
| `d_k` | 一个查询或一个键的宽度 |
| `d_v` | 一个值的宽度 |
| `...` | 任意个额外的批量维度（在笔记本 04 中是头，head） |

先运行两个设置单元格：先运行语言单元格，再运行设置单元格。每个练习后面都跟着一个检查单元格：它在远不到两秒内给出
回答，要么是一行绿色的通过信息，要么是一条消息，指出它认出的错误。
""", of="b6b21aa364")

SETUP = """# Set-up: imports, the course's checks, fixed seeds.
# 设置：导入、课程的检查、固定的随机种子。
import math
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course_lib.checks import (
    check_causal_mask,
    check_padding_mask,
    check_scaled_dot_product_attention,
    check_softmax,
)

# your code if it passes its check, else the reference / 通过检查就用你的代码，否则用参考实现
from course_lib.experiments import yours_or_reference

torch.manual_seed(0)
# the grader shrinks the experiments; the exercises stay the same / 评分程序会缩小实验规模，练习不变
GRADING = "NBGRADER_EXECUTION" in os.environ"""

SOFTMAX_WHY = bi("""## 1. Softmax: from scores to weights

A query is compared with every key by a dot product, which gives a **score**: any real number. To average the
values we need **weights**: non-negative and summing to 1. The softmax does that:

$$\\mathrm{softmax}(x)_i = \\frac{e^{x_i}}{\\sum_j e^{x_j}}$$

Written literally it breaks: `torch.exp(torch.tensor(1000.))` is `inf`, and `inf / inf` is `NaN`. The way out
uses one fact: adding the same number to every score of a row does not change the softmax, because the factor
$e^c$ cancels between numerator and denominator. So subtract the row's maximum first; the largest exponent
is then $e^0 = 1$ and nothing overflows.""", zh="""## 1. Softmax：从分数到权重

查询与每个键做点积，得到一个**分数**：可以是任意实数。要对值求平均，我们需要的是**权重**：非负，并且和为 1。
softmax 正好做到这一点：

$$\\mathrm{softmax}(x)_i = \\frac{e^{x_i}}{\\sum_j e^{x_j}}$$

照着公式字面去算会出问题：`torch.exp(torch.tensor(1000.))` 是 `inf`，而 `inf / inf` 是 `NaN`。解决办法基于一个
事实：给一行中的每个分数都加上同一个数，softmax 的结果不变，因为因子 $e^c$ 在分子和分母之间约掉了。所以先减去这一行
的最大值；这样最大的指数项就是 $e^0 = 1$，什么都不会溢出。""", of="06ead8f84f")

SOFTMAX_TEXT = bi("""`x` has any shape; the result has the **same shape**, and sums to 1 along `dim`.
For `x` of shape `(B, Tq, Tk)` and `dim=-1`, each of the `B·Tq` rows becomes a distribution over the `Tk` keys.
Use only `torch.exp`, `amax`/`max` and `sum` (not `torch.softmax`): the point is to see why it is stable.""",
                  zh="""`x` 可以是任意形状；结果与它**形状相同**，并且沿 `dim` 求和为 1。
对于形状为 `(B, Tq, Tk)` 的 `x` 和 `dim=-1`，`B·Tq` 行中的每一行都变成 `Tk` 个键上的一个分布。
只用 `torch.exp`、`amax`/`max` 和 `sum`（不要用 `torch.softmax`）：目的正是看清它为什么数值稳定。""",
                  of="6da193343a")

SOFTMAX_HINT = stages(
    idea=bi("""Adding the same number to every score of a row does not change its softmax, so subtract the row's largest score
first: the largest exponential is then 1, and nothing overflows. Then exponentiate, and divide by the sum along
`dim`.""",
            zh="""给一行中的每个分数都加上同一个数，softmax 的结果不变；所以先减去这一行最大的分数：最大的指数项于是为 1，什么都不会
溢出。然后取指数，再除以沿 `dim` 的和。""", of="dd3beec079"),
    shapes=bi("""For `x` of shape `(B, Tq, Tk)` and `dim=-1`:
1. The maximum along `dim`, with that axis kept at size 1: `(B, Tq, 1)`, one per row.
2. Subtract it from `x`: `(B, Tq, Tk) - (B, Tq, 1)` broadcasts along the keys; each row's largest entry is now 0.
3. Exponentiate: `(B, Tq, Tk)`, every entry in `(0, 1]`.
4. The sum along `dim`, again kept at size 1, `(B, Tq, 1)`; divide by it: `(B, Tq, Tk)`, each row summing to 1.

Without the kept axis the maximum is `(B, Tq)`, which lines up with the last axis of `x` instead of the rows: an
error, or, when `Tq == Tk`, wrong numbers and no error.""",
              zh="""对于形状为 `(B, Tq, Tk)` 的 `x` 和 `dim=-1`：
1. 沿 `dim` 求最大值，并把这个轴保留为大小 1：`(B, Tq, 1)`，每行一个。
2. 用 `x` 减去它：`(B, Tq, Tk) - (B, Tq, 1)` 沿键的方向广播；现在每行最大的元素是 0。
3. 取指数：`(B, Tq, Tk)`，每个元素都在 `(0, 1]` 之内。
4. 沿 `dim` 求和，同样保留为大小 1，得到 `(B, Tq, 1)`；再除以它：`(B, Tq, Tk)`，每行和为 1。

如果不保留这个轴，最大值的形状就是 `(B, Tq)`，它对齐的是 `x` 的最后一个轴，而不是各行：要么报错，要么（当
`Tq == Tk` 时）不报错，却算出错误的数。""", of="25f16deafa"),
    code=bi("""`m = x.amax(dim=dim, keepdim=True)` keeps the reduced dimension with size 1, so `x - m`
broadcasts along the right axis. Do the same for the sum.""",
                  zh="""`m = x.amax(dim=dim, keepdim=True)` 把被归约的维度保留下来（大小为 1），这样 `x - m` 会沿正确的轴
广播。求和时也这样做。""", of="b0b39d335c"))

SOFTMAX_DEMO = bi("""# The literal formula against yours, on scores of a size that dot products of wide vectors reach.
stable_softmax = yours_or_reference("softmax", softmax)
x = torch.tensor([[1000.0, 999.0, 998.0]])  # (1, 3)
naive = torch.exp(x) / torch.exp(x).sum(dim=-1, keepdim=True)
print("literal formula:", naive)
print("stable:         ", stable_softmax(x))""",
                  zh="""# 字面公式与你的实现对比；分数的大小是宽向量的点积能达到的量级。
stable_softmax = yours_or_reference("softmax", softmax)
x = torch.tensor([[1000.0, 999.0, 998.0]])  # (1, 3)
naive = torch.exp(x) / torch.exp(x).sum(dim=-1, keepdim=True)
print("字面公式：", naive)
print("稳定版本：", stable_softmax(x))""", of="13f95707e0")

SDPA_WHY = bi("""## 2. Scaled dot-product attention

Given queries `q`, keys `k` and values `v`:

1. scores: `q @ k.transpose(-2, -1)`, shape `(..., Tq, d_k) x (..., d_k, Tk) -> (..., Tq, Tk)`;
2. divide by $\\sqrt{d_k}$ (section 4 measures why);
3. where the mask is `False`, set the score to `-inf`, so its weight becomes exactly 0;
4. softmax over the **keys** (the last axis): each query's weights sum to 1;
5. output: `weights @ v`, shape `(..., Tq, Tk) x (..., Tk, d_v) -> (..., Tq, d_v)`.

**Why divide by $\\sqrt{d_k}$?** If the entries of a query and a key are independent with mean 0 and variance
1, their dot product is a sum of `d_k` such products: its variance is `d_k`, its standard deviation
$\\sqrt{d_k}$. Wider heads give larger scores, the softmax puts almost all the weight on one key, and its
gradient vanishes. Dividing by $\\sqrt{d_k}$ keeps the scores at standard deviation 1 whatever the width.

**The mask convention of this course:** a boolean mask is **`True` where attention is allowed**, as for
`torch.nn.functional.scaled_dot_product_attention`. It broadcasts against the scores `(..., Tq, Tk)`: a
padding mask of shape `(B, 1, Tk)` blocks the same keys for every query.""",
              zh="""## 2. 缩放点积注意力（scaled dot-product attention）

给定查询 `q`、键 `k` 和值 `v`：

1. 分数：`q @ k.transpose(-2, -1)`，形状 `(..., Tq, d_k) x (..., d_k, Tk) -> (..., Tq, Tk)`；
2. 除以 $\\sqrt{d_k}$（第 4 节会测量为什么要这样做）；
3. 在掩码（mask）为 `False` 的位置，把分数设为 `-inf`，这样它的权重恰好为 0；
4. 在**键**上（最后一个轴）做 softmax：每个查询的权重之和为 1；
5. 输出：`weights @ v`，形状 `(..., Tq, Tk) x (..., Tk, d_v) -> (..., Tq, d_v)`。

**为什么要除以 $\\sqrt{d_k}$？** 如果查询和键的各个分量相互独立、均值为 0、方差为 1，那么它们的点积是 `d_k` 个这样
的乘积之和：方差为 `d_k`，标准差为 $\\sqrt{d_k}$。头越宽，分数就越大，softmax 会把几乎全部权重放在一个键上，它的梯度
也随之消失。除以 $\\sqrt{d_k}$ 之后，无论宽度多大，分数的标准差都保持为 1。

**本课程的掩码约定：** 布尔掩码**在允许注意的位置为 `True`**，与 `torch.nn.functional.scaled_dot_product_attention`
相同。它与分数 `(..., Tq, Tk)` 广播：形状为 `(B, 1, Tk)` 的填充掩码（padding mask）对每个查询屏蔽同样的键。""",
              of="b7683a3305")

SDPA_TEXT = bi("""`q` `(..., Tq, d_k)`, `k` `(..., Tk, d_k)`, `v` `(..., Tk, d_v)`, optional boolean `mask` broadcastable to
`(..., Tq, Tk)`. Return `(output, weights)`: `output` `(..., Tq, d_v)`, `weights` `(..., Tq, Tk)`.
Use your `softmax` (or `torch.softmax`, if yours is not finished). Do not write into the inputs.""",
               zh="""`q` 为 `(..., Tq, d_k)`，`k` 为 `(..., Tk, d_k)`，`v` 为 `(..., Tk, d_v)`，可选的布尔 `mask` 可以广播到
`(..., Tq, Tk)`。返回 `(output, weights)`：`output` 为 `(..., Tq, d_v)`，`weights` 为 `(..., Tq, Tk)`。
使用你的 `softmax`（如果它还没写完，也可以用 `torch.softmax`）。不要原地修改输入。""", of="762dc7f43e")

SDPA_HINT = stages(
    idea=bi("""Each query scores every key with a dot product, divided by the square root of `d_k` so that the scores keep a
standard deviation near 1 whatever the width. Blocked positions get minus infinity; a softmax over the keys turns
each query's scores into weights; the output is the values averaged with those weights.""",
            zh="""每个查询用点积给每个键打分，再除以 `d_k` 的平方根，使分数的标准差无论宽度多大都保持在 1 附近。被屏蔽的位置设为
负无穷；在键上做 softmax，把每个查询的分数变成权重；输出就是用这些权重对值求的加权平均。""", of="4e10c4ca38"),
    shapes=bi("""1. The scores: `q` `(..., Tq, d_k)` times `k` with its last two axes swapped, `(..., d_k, Tk)`, gives
   `(..., Tq, Tk)`. Name the two axes from the end (the last and the one before it), so that any number of
   batch axes in front works.
2. Divide by the square root of `d_k`, the size of the last axis of `q`.
3. Where the mask, broadcast to `(..., Tq, Tk)`, is False, set the score to minus infinity.
4. Softmax over the last axis, the keys: the weights, `(..., Tq, Tk)`.
5. The weights times `v` `(..., Tk, d_v)`: the output, `(..., Tq, d_v)`. Return both.""",
              zh="""1. 分数：`q` `(..., Tq, d_k)` 乘以交换了最后两个轴的 `k`，即 `(..., d_k, Tk)`，得到 `(..., Tq, Tk)`。用从末尾数的
   方式指明这两个轴（最后一个和倒数第二个），这样前面不论有多少个批量轴都能用。
2. 除以 `d_k`（`q` 最后一个轴的大小）的平方根。
3. 在掩码（广播到 `(..., Tq, Tk)`）为 False 的位置，把分数设为负无穷。
4. 沿最后一个轴（键）做 softmax：得到权重 `(..., Tq, Tk)`。
5. 权重乘以 `v` `(..., Tk, d_v)`：得到输出 `(..., Tq, d_v)`。两者都返回。""", of="acb02dc069"),
    code=bi("""`k.transpose(-2, -1)` swaps the last two axes whatever the number of batch dimensions
(`k.T` and `k.transpose(1, 2)` do not). `scores.masked_fill(~mask, float("-inf"))` fills where the mask is False.""",
               zh="""无论有多少个批量维度，`k.transpose(-2, -1)` 都交换最后两个轴（`k.T` 和 `k.transpose(1, 2)` 做不到）。
`scores.masked_fill(~mask, float("-inf"))` 在掩码为 False 的位置填入 `-inf`。""", of="c4877696ff"))

SDPA_COMPARE = bi("""# Yours against PyTorch's fused kernel, with a causal mask (True = may attend, the same convention).
attend = yours_or_reference("scaled_dot_product_attention", scaled_dot_product_attention)
q, k, v = torch.randn(2, 5, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 3)  # (B, T, d_k), (B, T, d_k), (B, T, d_v)
allowed = torch.ones(5, 5, dtype=torch.bool).tril()
ours, weights = attend(q, k, v, mask=allowed)
theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
print("output", tuple(ours.shape), "weights", tuple(weights.shape))
print("greatest difference from F.scaled_dot_product_attention:", (ours - theirs).abs().max().item())""",
                  zh="""# 你的实现与 PyTorch 的融合内核对比，使用因果掩码（causal mask；True = 可以注意，约定相同）。
attend = yours_or_reference("scaled_dot_product_attention", scaled_dot_product_attention)
q, k, v = torch.randn(2, 5, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 3)  # (B, T, d_k), (B, T, d_k), (B, T, d_v)
allowed = torch.ones(5, 5, dtype=torch.bool).tril()
ours, weights = attend(q, k, v, mask=allowed)
theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
print("输出", tuple(ours.shape), "权重", tuple(weights.shape))
print("与 F.scaled_dot_product_attention 的最大差异：", (ours - theirs).abs().max().item())""", of="034b0be139")

MASKS_WHY = bi("""## 3. Masks: what a position may not see

Two situations need a mask.

* **Causal (look-ahead) mask.** A language model predicts token `t+1` from tokens `0..t`. If position `t` could
  attend to position `t+1` it would read the answer. Query `i` may attend to keys `0..i`: the mask is `True`
  on and below the diagonal.
* **Padding mask.** Sequences in a batch have different lengths and are padded to the longest. The padding
  is not data: no query should attend to it. For lengths `[3, 1]` and `max_len = 4` the mask is
  `[[T, T, T, F], [T, F, F, F]]`, shape `(B, max_len)`; add an axis, `mask[:, None, :]`, to broadcast it
  against scores of shape `(B, Tq, Tk)`.

Masks combine with `&`: a decoder uses `causal & padding`.""",
               zh="""## 3. 掩码：一个位置不能看到什么

有两种情况需要掩码。

* **因果掩码（又称前瞻掩码，look-ahead mask）。** 语言模型（language model）根据词元 `0..t` 预测词元 `t+1`。
  如果位置 `t` 能注意到位置 `t+1`，它就直接读到了答案。查询 `i` 只能注意键 `0..i`：掩码在对角线上及其下方为 `True`。
* **填充掩码。** 一个批量中的序列长短不一，都被填充到最长序列的长度。填充的部分不是数据：任何查询都不应该注意它。
  对于长度 `[3, 1]` 和 `max_len = 4`，掩码为 `[[T, T, T, F], [T, F, F, F]]`，形状为 `(B, max_len)`；再加一个轴，
  `mask[:, None, :]`，它就能与形状为 `(B, Tq, Tk)` 的分数广播。

掩码用 `&` 组合：解码器（decoder）用的是 `causal & padding`。""", of="fc3ee52cb8")

CAUSAL_TEXT = bi("""Return a `(T, T)` tensor of dtype `torch.bool`, `True` on and below the diagonal: row `i` (query `i`) may
see columns `0..i` (keys `0..i`).""",
                 zh="""返回一个 dtype 为 `torch.bool` 的 `(T, T)` 张量，在对角线上及其下方为 `True`：第 `i` 行（查询 `i`）
可以看到第 `0..i` 列（键 `0..i`）。""", of="afef45bd4a")

CAUSAL_HINT = stages(
    idea=bi("""Query `i` may see the keys at positions `0..i`, itself included, and none after it: in the `(T, T)` grid of
(query, key) pairs the allowed entries are those on and below the diagonal, the lower triangle.""",
            zh="""查询 `i` 可以看到位置 `0..i` 上的键（包括它自己），看不到它之后的任何键：在由（查询，键）对构成的 `(T, T)` 网格中，
允许的元素位于对角线上及其下方，即下三角部分。""", of="5b6eb410a8"),
    shapes=bi("""1. Start from a `(T, T)` boolean grid of all True: every link allowed.
2. Keep the lower triangle, diagonal included, and make every entry above the diagonal False (a key after its
   query: column greater than row).
3. Check by eye: row 0 holds one True, row `T - 1` holds `T`, and the dtype is bool, not a float of 0s and 1s.""",
              zh="""1. 从一个全为 True 的 `(T, T)` 布尔网格出发：所有连接都允许。
2. 保留下三角部分（包括对角线），把对角线上方的每个元素设为 False（键在查询之后：列号大于行号）。
3. 用眼睛检查一下：第 0 行有一个 True，第 `T - 1` 行有 `T` 个；dtype 是 bool，而不是由 0 和 1 组成的浮点数。""", of="4dc147b445"),
    code=bi("""`torch.ones(T, T, dtype=torch.bool).tril()` keeps the lower triangle, diagonal included.""",
                 zh="""`torch.ones(T, T, dtype=torch.bool).tril()` 保留下三角部分，包括对角线。""", of="4f5e5f265c"))

PADDING_TEXT = bi("""`lengths` is a `(B,)` integer tensor, `max_len` an int at least `lengths.max()`. Return a `(B, max_len)` bool
tensor, `True` at positions `0..lengths[b]-1` of row `b` (the real tokens).""",
                  zh="""`lengths` 是一个 `(B,)` 的整数张量，`max_len` 是不小于 `lengths.max()` 的整数。返回一个 `(B, max_len)`
的布尔张量，第 `b` 行在位置 `0..lengths[b]-1`（真实的词元）上为 `True`。""", of="7dda8bcd2a")

PADDING_HINT = stages(
    idea=bi("""Position `p` of sequence `b` holds a real token exactly when `p` is less than that sequence's length. Compare
every position with every length at once, by broadcasting, rather than looping over the batch.""",
            zh="""序列 `b` 的位置 `p` 是真实词元，当且仅当 `p` 小于这个序列的长度。借助广播，一次把每个位置与每个长度都比较一遍，
而不是对批量写循环。""", of="e8a65cee38"),
    shapes=bi("""1. The positions `0, 1, ..., max_len - 1` as a row: `(1, max_len)`, on the same device as `lengths`.
2. The lengths as a column: `(B, 1)`.
3. Compare "position less than length": broadcasting gives `(B, max_len)`, True on the real tokens of each row
   and False on its padding.""",
              zh="""1. 把位置 `0, 1, ..., max_len - 1` 排成一行：`(1, max_len)`，与 `lengths` 放在同一个设备上。
2. 把长度排成一列：`(B, 1)`。
3. 比较“位置小于长度”：广播得到 `(B, max_len)`，每行在真实词元上为 True，在填充上为 False。""", of="2533067983"),
    code=bi("""Compare `torch.arange(max_len)` of shape `(1, max_len)` with `lengths` of shape `(B, 1)`: broadcasting
gives `(B, max_len)`.""",
                  zh="""把形状为 `(1, max_len)` 的 `torch.arange(max_len)` 与形状为 `(B, 1)` 的 `lengths` 作比较：广播得到
`(B, max_len)`。""", of="7446a920e7"))

MASK_DEMO = bi("""# A causal mask and a padding mask combined, as a decoder uses them.
causal = yours_or_reference("causal_mask", causal_mask)
padding = yours_or_reference("padding_mask", padding_mask)
lengths = torch.tensor([4, 2])  # (B,)
combined = causal(4)[None, :, :] & padding(lengths, 4)[:, None, :]  # (1, T, T) & (B, 1, T) -> (B, T, T)
print(combined.int())""",
               zh="""# 因果掩码与填充掩码组合在一起，解码器就是这样使用它们的。
causal = yours_or_reference("causal_mask", causal_mask)
padding = yours_or_reference("padding_mask", padding_mask)
lengths = torch.tensor([4, 2])  # (B,)
combined = causal(4)[None, :, :] & padding(lengths, 4)[:, None, :]  # (1, T, T) & (B, 1, T) -> (B, T, T)
print(combined.int())""", of="ca90d1475e")

MEASURE_WHY = bi("""## 4. Measured: the softmax saturates without the scaling

The claim: without dividing by $\\sqrt{d_k}$, the scores grow like $\\sqrt{d_k}$, the softmax becomes nearly
one-hot, and the gradient that flows back through it shrinks. We measure it instead of taking it on trust.

The softmax in this measurement is yours (or the reference while yours does not pass its check; the cell
says which). For each width `d_k` we draw 512 queries and 16 keys with independent standard-normal entries and compute,
with and without the scaling:

* the standard deviation of the scores;
* the largest attention weight of each query, averaged (1/16 = 0.0625 is uniform, 1.0 is one-hot);
* the norm of the gradient of a random linear read-out of the weights with respect to the scores.""",
                 zh="""## 4. 测量：不做缩放，softmax 就会饱和

要检验的论断：如果不除以 $\\sqrt{d_k}$，分数会像 $\\sqrt{d_k}$ 那样增长，softmax 变得接近 one-hot，反向穿过它的
梯度会变小。我们把它测量出来，而不是凭信任接受。

本测量中的 softmax 是你的实现（如果你的还没通过检查，就用参考实现；单元格会说明用的是哪一个）。对每个宽度 `d_k`，
我们抽取 512 个查询和 16 个键，各分量独立地服从标准正态分布，分别在有缩放和没有缩放时计算：

* 分数的标准差；
* 每个查询最大的那个注意力权重（attention weight）的平均值（1/16 = 0.0625 表示均匀，1.0 表示 one-hot）；
* 对权重做一个随机的线性读出，它对分数的梯度的范数。""", of="c296d374fe")

MEASURE_CODE = bi("""stable_softmax = yours_or_reference("softmax", softmax)


def saturation(d_k, scaled, n_queries=512, n_keys=16, seed=0):
    \"\"\"Score std, mean largest weight and mean gradient norm through the softmax, for one width.\"\"\"
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(n_queries, d_k, generator=g)  # (Nq, d_k)
    k = torch.randn(n_keys, d_k, generator=g)  # (Nk, d_k)
    scores = q @ k.T / (math.sqrt(d_k) if scaled else 1.0)  # (Nq, Nk)
    scores.requires_grad_(True)
    weights = stable_softmax(scores, dim=-1)  # (Nq, Nk)
    readout = torch.randn(n_queries, n_keys, generator=g)  # a random downstream use of the weights
    (weights * readout).sum().backward()
    return scores.std().item(), weights.max(dim=-1).values.mean().item(), scores.grad.norm(dim=-1).mean().item()


widths = [2, 8, 32, 128, 512] if GRADING else [2, 8, 32, 128, 512, 2048]
results = {scaled: [saturation(d, scaled) for d in widths] for scaled in (False, True)}
print(f"{'d_k':>5} | {'score std':>21} | {'largest weight':>21} | {'gradient norm':>21}")
print(f"{'':>5} | {'unscaled':>10} {'scaled':>10} | {'unscaled':>10} {'scaled':>10} | {'unscaled':>10} {'scaled':>10}")
for i, d in enumerate(widths):
    u, s = results[False][i], results[True][i]
    print(f"{d:>5} | {u[0]:>10.2f} {s[0]:>10.2f} | {u[1]:>10.3f} {s[1]:>10.3f} | {u[2]:>10.4f} {s[2]:>10.4f}")""",
                  zh="""stable_softmax = yours_or_reference("softmax", softmax)


def saturation(d_k, scaled, n_queries=512, n_keys=16, seed=0):
    \"\"\"对一个宽度，求分数的标准差、最大权重的平均值，以及穿过 softmax 的梯度范数的平均值。\"\"\"
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(n_queries, d_k, generator=g)  # (Nq, d_k)
    k = torch.randn(n_keys, d_k, generator=g)  # (Nk, d_k)
    scores = q @ k.T / (math.sqrt(d_k) if scaled else 1.0)  # (Nq, Nk)
    scores.requires_grad_(True)
    weights = stable_softmax(scores, dim=-1)  # (Nq, Nk)
    readout = torch.randn(n_queries, n_keys, generator=g)  # 下游对权重的一种随机使用
    (weights * readout).sum().backward()
    return scores.std().item(), weights.max(dim=-1).values.mean().item(), scores.grad.norm(dim=-1).mean().item()


widths = [2, 8, 32, 128, 512] if GRADING else [2, 8, 32, 128, 512, 2048]
results = {scaled: [saturation(d, scaled) for d in widths] for scaled in (False, True)}
# 表头的宽度扣除了汉字多占的列数（一个汉字占两列），好让各列对齐。
print(f"{'d_k':>5} | {'分数标准差':>16} | {'最大权重':>17} | {'梯度范数':>17}")
print(f"{'':>5} | {'未缩放':>7} {'缩放后':>7} | {'未缩放':>7} {'缩放后':>7} | {'未缩放':>7} {'缩放后':>7}")
for i, d in enumerate(widths):
    u, s = results[False][i], results[True][i]
    print(f"{d:>5} | {u[0]:>10.2f} {s[0]:>10.2f} | {u[1]:>10.3f} {s[1]:>10.3f} | {u[2]:>10.4f} {s[2]:>10.4f}")""",
                  of="c262129a25")

PLOT_CODE = bi("""fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for scaled, style in ((False, "o-"), (True, "s--")):
    label = "scores / sqrt(d_k)" if scaled else "raw scores"
    axes[0].plot(widths, [r[1] for r in results[scaled]], style, label=label)
    axes[1].plot(widths, [r[2] for r in results[scaled]], style, label=label)
axes[0].axhline(1 / 16, color="grey", lw=0.8, ls=":", label="uniform (1/16)")
axes[0].set(xscale="log", xlabel="d_k (width of queries and keys)", ylabel="mean largest weight",
            title="Softmax saturation vs width", ylim=(0, 1.05))
axes[1].set(xscale="log", yscale="log", xlabel="d_k (width of queries and keys)",
            ylabel="mean gradient norm w.r.t. scores", title="Gradient through the softmax")
for ax in axes:
    ax.legend()
fig.tight_layout()
plt.show()""",
               zh="""fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for scaled, style in ((False, "o-"), (True, "s--")):
    label = "分数 / sqrt(d_k)" if scaled else "原始分数"
    axes[0].plot(widths, [r[1] for r in results[scaled]], style, label=label)
    axes[1].plot(widths, [r[2] for r in results[scaled]], style, label=label)
axes[0].axhline(1 / 16, color="grey", lw=0.8, ls=":", label="均匀（1/16）")
axes[0].set(xscale="log", xlabel="d_k（查询和键的宽度）", ylabel="最大权重的平均值",
            title="softmax 的饱和程度随宽度的变化", ylim=(0, 1.05))
axes[1].set(xscale="log", yscale="log", xlabel="d_k（查询和键的宽度）",
            ylabel="对分数的梯度范数的平均值", title="穿过 softmax 的梯度")
for ax in axes:
    ax.legend()
fig.tight_layout()
plt.show()""", of="e829c0c5de")

MEASURED = bi("""# What was measured, read from `results` above.
narrow, wide = results[False][0], results[False][-1]  # (score std, largest weight, gradient norm)
scaled = results[True]
print(f"Without the scaling the score standard deviation grew from {narrow[0]:.1f} at d_k = {widths[0]} to "
      f"{wide[0]:.1f} at d_k = {widths[-1]} (sqrt(d_k) = {math.sqrt(widths[-1]):.1f}); the mean largest weight "
      f"climbed from {narrow[1]:.2f} to {wide[1]:.2f} (1/16 = {1 / 16:.3f} is uniform, 1 is one-hot), and the "
      f"gradient reaching the scores fell {narrow[2] / wide[2]:.0f}-fold, from {narrow[2]:.3f} to {wide[2]:.3f}.")
print(f"With the scaling, at every width from {widths[0]} to {widths[-1]}: score std "
      f"{min(r[0] for r in scaled):.2f} to {max(r[0] for r in scaled):.2f}, largest weight "
      f"{min(r[1] for r in scaled):.2f} to {max(r[1] for r in scaled):.2f}, gradient "
      f"{min(r[2] for r in scaled):.3f} to {max(r[2] for r in scaled):.3f}.")
kept = min(r[2] for r in scaled) / max(r[2] for r in scaled)
print(f"So the scaling keeps the gradient within a factor {1 / kept:.1f} across widths, where the raw scores "
      f"lose a factor {narrow[2] / wide[2]:.0f}: it is what lets attention with wide heads keep learning.")""",
              zh="""# 测量到了什么：从上面的 `results` 中读出。
narrow, wide = results[False][0], results[False][-1]  # (分数标准差, 最大权重, 梯度范数)
scaled = results[True]
print(f"不做缩放时，分数的标准差从 d_k = {widths[0]} 时的 {narrow[0]:.1f} 增长到 d_k = {widths[-1]} 时的 "
      f"{wide[0]:.1f}（sqrt(d_k) = {math.sqrt(widths[-1]):.1f}）；最大权重的平均值从 {narrow[1]:.2f} 升到 "
      f"{wide[1]:.2f}（1/16 = {1 / 16:.3f} 表示均匀，1 表示 one-hot）；到达分数的梯度从 {narrow[2]:.3f} 降到 "
      f"{wide[2]:.3f}，只剩原来的 1/{narrow[2] / wide[2]:.0f}。")
print(f"做缩放时，在从 {widths[0]} 到 {widths[-1]} 的每个宽度上：分数标准差在 "
      f"{min(r[0] for r in scaled):.2f} 到 {max(r[0] for r in scaled):.2f} 之间，最大权重在 "
      f"{min(r[1] for r in scaled):.2f} 到 {max(r[1] for r in scaled):.2f} 之间，梯度在 "
      f"{min(r[2] for r in scaled):.3f} 到 {max(r[2] for r in scaled):.3f} 之间。")
kept = min(r[2] for r in scaled) / max(r[2] for r in scaled)
print(f"所以，缩放让梯度在各个宽度之间的差别保持在 {1 / kept:.1f} 倍以内，而原始分数让梯度降到原来的 "
      f"1/{narrow[2] / wide[2]:.0f}：正是缩放让使用宽头的注意力能够继续学习。")""", of="66132678cf")

MEASURE_SUMMARY = bi("""## Summary

* `softmax` subtracts the maximum along `dim` first: same result, no overflow.
* `scaled_dot_product_attention` compares every query with every key in one matrix product, masks, normalises
  over the keys and averages the values: no recurrence, and any two positions are one step apart.
* Boolean masks in this course are `True` where attention is allowed; causal and padding masks combine with `&`.
* Dividing by $\\sqrt{d_k}$ keeps the softmax out of saturation, measured above.

**In the paper** ("Attention Is All You Need", Vaswani et al., 2017). `scaled_dot_product_attention` is equation
(1) of section 3.2.1 (Scaled Dot-Product Attention), $\\mathrm{softmax}(QK^\\top/\\sqrt{d_k})\\,V$, and the
section's footnote gives the reason for the scaling that section 4 above measured: the dot product of two
vectors whose `d_k` components are independent, of mean 0 and variance 1, has variance `d_k`. The causal mask
is the decoder's masking of section 3.2.3 (Applications of Attention in our Model), which sets the scores of
illegal connections to $-\\infty$ before the softmax. The padding mask is not in the paper; batches of
sentences of different lengths need it.

What one attention cannot do: each query gets **one** softmax over the keys and reads **one** weighted average
of the values, and `q`, `k`, `v` were given tensors rather than learned projections.

**Next:** notebook 04 runs several attentions side by side, each on its own slice of the features.""",
                     zh="""## 小结

* `softmax` 先沿 `dim` 减去最大值：结果不变，也不会溢出。
* `scaled_dot_product_attention` 用一次矩阵乘法把每个查询与每个键比较，施加掩码，在键上归一化，再对值求平均：没有
  循环，任意两个位置之间只隔一步。
* 本课程中的布尔掩码在允许注意的位置为 `True`；因果掩码和填充掩码用 `&` 组合。
* 除以 $\\sqrt{d_k}$ 让 softmax 不进入饱和区，上面已经测量过。

**对应论文**（"Attention Is All You Need"，Vaswani 等，2017）。`scaled_dot_product_attention` 就是第 3.2.1 节（Scaled Dot-Product Attention）的公式 (1)，$\\mathrm{softmax}(QK^\\top/\\sqrt{d_k})\\,V$；该节的脚注给出了缩放的理由，也就是上面第 4 节测量的现象：两个向量的 `d_k` 个分量相互独立、均值为 0、方差为 1 时，它们的点积方差为 `d_k`。因果掩码就是第 3.2.3 节（Applications of Attention in our Model）中解码器的掩码：在 softmax 之前把非法连接的分数设为 $-\\infty$。填充掩码论文里没有讲；把长短不一的句子放进同一个批量（batch）时就需要它。

一个注意力做不到的事：每个查询只有**一个**在键上的 softmax，只读到值的**一个**加权平均；而且 `q`、`k`、`v` 是直接给定的张量，而不是学出来的投影（projection）。

**下一步：** 笔记本 04 把多个注意力并排运行，每个只处理属于自己的那一段特征。""", of="f85c5507ba")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(SOFTMAX_WHY),
        *exercise(1, ref.softmax, points=2, seed=7031, difficulty=1, importance=4, minutes=10,
                  text=SOFTMAX_TEXT, hint=SOFTMAX_HINT, signature="def softmax(x, dim=-1) -> torch.Tensor",
                  final_assert='assert torch.allclose(softmax(torch.zeros(2, 3)), torch.full((2, 3), 1 / 3)), '
                               '"equal scores must give equal weights (分数相同，权重就必须相同)"'),
        code(SOFTMAX_DEMO),
        markdown(SDPA_WHY),
        *exercise(2, ref.scaled_dot_product_attention, points=4, seed=5113, difficulty=2, importance=5, minutes=20,
                  text=SDPA_TEXT, hint=SDPA_HINT,
                  signature="def scaled_dot_product_attention(q, k, v, mask=None) -> tuple[torch.Tensor, torch.Tensor]",
                  final_assert="assert scaled_dot_product_attention(torch.zeros(1, 2, 3), torch.zeros(1, 4, 3), "
                               "torch.ones(1, 4, 5))[0].shape == (1, 2, 5), "
                               "\"output must have shape (..., Tq, d_v) (输出的形状必须是 (..., Tq, d_v))\""),
        code(SDPA_COMPARE),
        markdown(MASKS_WHY),
        *exercise(3, ref.causal_mask, points=1, seed=311, difficulty=1, importance=4, minutes=5,
                  text=CAUSAL_TEXT, hint=CAUSAL_HINT, signature="def causal_mask(T) -> torch.Tensor",
                  final_assert="assert causal_mask(2).tolist() == [[True, False], [True, True]], "
                               "\"row i may see columns 0..i (第 i 行可以看到第 0..i 列)\""),
        *exercise(4, ref.padding_mask, points=1, seed=977, difficulty=1, importance=4, minutes=10,
                  text=PADDING_TEXT, hint=PADDING_HINT, signature="def padding_mask(lengths, max_len) -> torch.Tensor",
                  final_assert="assert padding_mask(torch.tensor([1, 2]), 3).tolist() == "
                               "[[True, False, False], [True, True, False]], "
                               "\"True marks the real tokens (True 标记真实的词元)\""),
        code(MASK_DEMO),
        markdown(MEASURE_WHY),
        *question("03.saturation"),
        *question("03.gradient_fall"),
        code(MEASURE_CODE),
        code(PLOT_CODE),
        answer("03.saturation", "widths=widths, results=results"),
        answer("03.gradient_fall", "widths=widths, results=results"),
        code(MEASURED),
        markdown(MEASURE_SUMMARY),
    ], title=TITLE)
