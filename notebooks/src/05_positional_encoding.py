"""Notebook 05: attention alone is blind to order; sinusoidal, learned and (optional) rotary positions."""
from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import positional_encoding as ref

TITLE = bi("05 Positional encoding", zh="05 位置编码", of="be5be1c479")

INTRO = bi(r"""# 05 · Positional encoding: attention alone is blind to order

**What you build:** `sinusoidal_positional_encoding`, `LearnedPositionalEmbedding`, and, as an optional
extension, rotary embeddings `apply_rope`.
**What you measure:** that self-attention without positions is *permutation-equivariant* (shuffle the
input and the output comes out shuffled the same way) and that adding positions breaks it; that the
sinusoidal code of position `p + k` is one fixed matrix times the code of `p`; that the dot product of two
codes depends only on their distance; and that a small attention model cannot tell which of two tokens comes
first without positions, and can with them.
**Time:** [[times]].

Notebooks 03 and 04 built attention from matrix products over all positions at once, with one head and with
several: no recurrence, any two positions one step apart. Notebook 04 ended on what no number of heads
changes, and the price is hidden in the same formula. Nothing in `softmax(q kᵀ / √d_k) v` says
*where* a query or a key sits in the sequence: position 3 and position 30 are treated alike. "dog bites man"
and "man bites dog" hold the same words, and to attention they are the same set. This notebook measures that
blindness, then gives the model the positions back.

**Shapes and symbols used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | sequence length |
| `D` or `d_model` | width of a token vector (even here) |
| `max_len` | number of positions a table holds |
| `p`, `q` | positions, counted from 0 |
| `i` | pair index: dimensions `2i` and `2i+1` form pair `i`, `i = 0 .. D/2 - 1` |
| `k` | a shift or distance between positions |

Run the set-up cells first: the language cell, then the set-up cell. Every exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.
""", zh=r"""# 05 · 位置编码：单靠注意力看不见顺序

**你要实现：** `sinusoidal_positional_encoding`、`LearnedPositionalEmbedding`，以及作为选做扩展的旋转位置编码
`apply_rope`。
**你要测量：** 不带位置信息的自注意力（self-attention）具有*置换等变性*（permutation equivariance）：把输入打乱，
输出也按同样的方式被打乱；加上位置信息后这一性质就被打破；位置 `p + k` 的正弦编码等于一个固定矩阵乘以位置 `p`
的编码；两个编码的点积只取决于它们之间的距离；一个小型注意力模型在没有位置信息时分辨不出两个词元（token）谁先谁后，
有了位置信息就能分辨。
**用时：** [[times]]。

笔记本 03 和 04 用矩阵乘法一次性地对所有位置计算注意力（attention），先用一个头，再用多个头：没有循环，任意两个
位置之间只隔一步。笔记本 04 结束时指出了头再多也改变不了的一点，代价就藏在同一个公式里：`softmax(q kᵀ / √d_k) v` 中没有任何东西表明一个查询（query）或键（key）位于序列（sequence）的*哪个位置*，
位置 3 和位置 30 被一视同仁。“dog bites man”（狗咬人）和“man bites dog”（人咬狗）包含同样的词，在注意力看来它们是
同一个集合。本笔记本先测量这种“看不见顺序”的现象，再把位置信息还给模型。

**本笔记本使用的形状与符号**

| 符号 | 含义 |
|---|---|
| `B` | 批量（batch）大小 |
| `T` | 序列长度 |
| `D` 或 `d_model` | 词元向量的宽度（本笔记本中为偶数） |
| `max_len` | 一张位置表包含的位置个数 |
| `p`、`q` | 位置，从 0 开始计数 |
| `i` | 维度对的编号：维度 `2i` 和 `2i+1` 组成第 `i` 对，`i = 0 .. D/2 - 1` |
| `k` | 位置之间的平移量或距离 |

请先运行设置单元格：先运行语言单元格，再运行设置单元格。每个练习后面都有一个检查单元格：它会在远不到两秒内给出
答复，要么是一行绿色的通过信息，要么是一条指出它所识别出的错误的信息。
""", of="329f604320")

SETUP = """# Set-up: imports, the course's checks, fixed seeds.
# 设置：导入、课程的检查、固定随机种子。
import math
import os

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib.checks import (
    check_apply_rope,
    check_learned_positional_embedding,
    check_sinusoidal_positional_encoding,
)
from course_lib.experiments import positional_encoding as experiments

# your code if it passes its check, else the reference / 通过检查就用你的代码，否则用参考实现
from course_lib.experiments import yours_or_reference

# notebook 04's module, given (or paste in yours) / 笔记本 04 的模块，直接提供（也可以粘贴你自己的）
from course_lib.handouts import MultiHeadAttention

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises / 评分时缩小的是实验，不是练习"""

BLIND_WHY = bi(r"""## 1. Measured: shuffle the input, the output shuffles the same way

Take a self-attention layer and an input `x` of `T` token vectors. Reorder the tokens with a permutation
`perm`. The queries, keys and values are computed token by token, so they are reordered the same way; the
score matrix `q kᵀ` has its rows *and* its columns reordered; the softmax of each row does not care in which
order the row's entries come; and each output is a weighted average of values that does not care in which
order they are summed. So

$$\mathrm{attn}(x[\mathrm{perm}]) = \mathrm{attn}(x)[\mathrm{perm}]:$$

self-attention is **permutation-equivariant**. Each token gets the same output wherever it stands; only the
rows move. Pool the outputs into one vector (a mean, say, to classify the sentence) and the order is gone
entirely. We check the claim on notebook 04's `MultiHeadAttention`, weights drawn at random: if it holds, the
greatest difference is at the level of float32 rounding (about 1e-7), not exactly zero, because the sums are
taken in another order.""", zh=r"""## 1. 测量：打乱输入，输出也按同样的方式打乱

取一个自注意力层和由 `T` 个词元向量组成的输入 `x`，用一个排列 `perm` 重新排列这些词元。查询、键和值（value）是逐个
词元计算的，所以它们也按同样的方式重排；分数矩阵 `q kᵀ` 的行*和*列都被重排；每一行的 softmax 并不在乎这一行的元素
以什么顺序出现；每个输出都是值的加权平均，也不在乎以什么顺序求和。因此

$$\mathrm{attn}(x[\mathrm{perm}]) = \mathrm{attn}(x)[\mathrm{perm}]:$$

自注意力是**置换等变**的。每个词元无论站在哪里都得到同样的输出，移动的只是行。把输出汇聚成一个向量（比如取平均，
用来给句子分类），顺序就彻底消失了。我们在笔记本 04 的 `MultiHeadAttention` 上验证这一点，权重随机抽取：如果结论
成立，最大差值在 float32 舍入误差的量级（约 1e-7），而不是恰好为零，因为求和的顺序不同。""", of="1a8d163686")

BLIND_CODE = bi("""# Measured: attention applied to a shuffled sequence vs the shuffled attention output.
torch.manual_seed(0)
B, T, D = 1, 10, 16
attn = MultiHeadAttention(D, num_heads=4)  # notebook 04's module; any self-attention layer shows the same
self_attend = lambda x: attn(x, x, x)[0]  # noqa: E731 - self-attention: queries, keys and values from x


def shuffle_gaps(x, perm, pe=0.0):
    \"\"\"Greatest |attn(x[perm] + pe) - attn(x + pe)[perm]| per position (T,): tokens move, pe stays.\"\"\"
    with torch.no_grad():
        return (self_attend(x[:, perm] + pe) - self_attend(x + pe)[:, perm]).abs().amax(dim=(0, 2))


x = torch.randn(B, T, D)  # (B, T, D): ten token vectors, no position information
perm = torch.randperm(T)
gaps_without = shuffle_gaps(x, perm)
print("the permutation:", perm.tolist())
print(f"greatest |attn(x[perm]) - attn(x)[perm]| without positions: {gaps_without.max():.1e}")
with torch.no_grad():
    pooled_gap = (self_attend(x[:, perm]).mean(dim=1) - self_attend(x).mean(dim=1)).abs().max()
print(f"mean-pooled outputs, shuffled vs original:                   {pooled_gap:.1e}")""",
                zh="""# 测量：对打乱后的序列做注意力，与把注意力输出打乱，二者相比。
torch.manual_seed(0)
B, T, D = 1, 10, 16
attn = MultiHeadAttention(D, num_heads=4)  # 笔记本 04 的模块；任何自注意力层都表现相同
self_attend = lambda x: attn(x, x, x)[0]  # noqa: E731 - 自注意力：查询、键和值都来自 x


def shuffle_gaps(x, perm, pe=0.0):
    \"\"\"每个位置上的最大 |attn(x[perm] + pe) - attn(x + pe)[perm]|，形状 (T,)：词元移动，pe 不动。\"\"\"
    with torch.no_grad():
        return (self_attend(x[:, perm] + pe) - self_attend(x + pe)[:, perm]).abs().amax(dim=(0, 2))


x = torch.randn(B, T, D)  # (B, T, D)：十个词元向量，不含位置信息
perm = torch.randperm(T)
gaps_without = shuffle_gaps(x, perm)
print("排列：", perm.tolist())
print(f"不加位置时，最大 |attn(x[perm]) - attn(x)[perm]|：{gaps_without.max():.1e}")
with torch.no_grad():
    pooled_gap = (self_attend(x[:, perm]).mean(dim=1) - self_attend(x).mean(dim=1)).abs().max()
print(f"平均汇聚后的输出，打乱与原序相比：                {pooled_gap:.1e}")""", of="e582c35564")

SINUSOIDAL_WHY = bi(r"""## 2. The sinusoidal positional encoding

The Transformer paper ("Attention is all you need", section 3.5) adds to each token vector a fixed vector
that depends only on its position `p`:

$$\mathrm{PE}[p, 2i] = \sin\!\left(\frac{p}{10000^{2i/d}}\right), \qquad
\mathrm{PE}[p, 2i+1] = \cos\!\left(\frac{p}{10000^{2i/d}}\right), \qquad i = 0, \dots, d/2 - 1.$$

Read it pair by pair. Dimensions `2i` and `2i+1` hold the sine and cosine of one angle, $p\,\omega_i$, with
the frequency $\omega_i = 10000^{-2i/d}$: a point on a circle that turns by $\omega_i$ radians per position,
like the hand of a clock. Pair 0 turns by 1 radian per position (it repeats every $2\pi \approx 6.3$
positions), and each next pair turns more slowly, down to almost $1/10000$ radian per position for the last
one (a wavelength approaching $10000 \cdot 2\pi \approx 63{,}000$ positions). Fast hands tell neighbours
apart, slow hands tell where in a long sequence we are, much as the digits of a binary counter flip at
different rates.

The exponent belongs to the **pair**, not to the dimension: dimension `2i+1` uses $2i/d$, exactly like its
neighbour `2i`. Positions count from 0, so `PE[0]` is `[0, 1, 0, 1, ...]`.

Why sines and cosines rather than, say, `p / max_len`? Every entry stays in `[-1, 1]` whatever the length,
the table needs no training and exists for any length, and moving by `k` positions turns every pair by a
fixed angle: section 3 measures that this makes `PE[p + k]` a fixed linear function of `PE[p]`.""",
                    zh=r"""## 2. 正弦位置编码

Transformer 的论文（“Attention is all you need”，第 3.5 节）给每个词元向量加上一个只取决于其位置 `p` 的固定向量：

$$\mathrm{PE}[p, 2i] = \sin\!\left(\frac{p}{10000^{2i/d}}\right), \qquad
\mathrm{PE}[p, 2i+1] = \cos\!\left(\frac{p}{10000^{2i/d}}\right), \qquad i = 0, \dots, d/2 - 1.$$

按维度对来读它。维度 `2i` 和 `2i+1` 存放同一个角度 $p\,\omega_i$ 的正弦和余弦，频率为 $\omega_i = 10000^{-2i/d}$：
这是圆上的一个点，每前进一个位置就转过 $\omega_i$ 弧度，就像钟表的一根指针。第 0 对每个位置转 1 弧度（每
$2\pi \approx 6.3$ 个位置重复一次），之后每一对都转得更慢，最后一对每个位置只转接近 $1/10000$ 弧度（波长接近
$10000 \cdot 2\pi \approx 63{,}000$ 个位置）。快的指针区分相邻的位置，慢的指针指出我们处在长序列中的哪一段，
这很像二进制计数器的各位以不同的速率翻转。

指数属于**维度对**，而不属于单个维度：维度 `2i+1` 用的是 $2i/d$，和它的邻居 `2i` 完全一样。位置从 0 开始计数，
所以 `PE[0]` 是 `[0, 1, 0, 1, ...]`。

为什么用正弦和余弦，而不用比如 `p / max_len`？无论序列多长，每个元素都保持在 `[-1, 1]` 之内；这张表不需要训练
（training），对任意长度都存在；而且移动 `k` 个位置会让每一对都转过一个固定的角度：第 3 节会测量到，这使得
`PE[p + k]` 是 `PE[p]` 的一个固定的线性函数。""", of="697cbb1a80")

SINUSOIDAL_TEXT = bi(r"""`max_len` and `d_model` are ints, `d_model` even. Return a `(max_len, d_model)` tensor
of dtype `torch.float32`: row `p` is the code of position `p`, for `p = 0 .. max_len - 1`. Sines in the even
columns, cosines in the odd ones, interleaved. Use torch (not NumPy, which gives float64); a loop is fine but
the vectorised version is a few lines.""", zh=r"""`max_len` 和 `d_model` 是整数，`d_model` 为偶数。返回一个形状为
`(max_len, d_model)`、dtype 为 `torch.float32` 的张量：第 `p` 行是位置 `p` 的编码，`p = 0 .. max_len - 1`。
偶数列放正弦，奇数列放余弦，交错排列。请使用 torch（不要用 NumPy，它会给出 float64）；写循环也可以，但向量化的
写法只需几行。""", of="15ba4cdadf")

SINUSOIDAL_HINT = stages(
    idea=bi(r"""Row `p`, pair `i` holds the sine and the cosine of one angle, `p · ω_i` with
`ω_i = 1/10000^(2i/d)`: a position times a frequency. Rather than loop over positions, compute the whole table
of angles at once by broadcasting, then take its sines and cosines.""",
            zh=r"""第 `p` 行、第 `i` 对的两个元素是同一个角度 `p · ω_i` 的正弦和余弦，其中
`ω_i = 1/10000^(2i/d)`：角度是位置与频率的乘积。不必逐个位置循环，用广播一次算出全部角度组成的表，再取它的正弦
和余弦即可。""", of="727cabc7b4"),
    shapes=bi(r"""1. The positions `0 .. max_len-1` as a column, `(max_len, 1)`, in float32.
2. The exponents `2i/d_model`, one per pair (`i = 0 .. d_model/2 - 1`), as a row, `(d_model/2,)`.
3. Divide the column by 10000 raised to the row: broadcasting gives the angles, `(max_len, d_model/2)`.
4. Start from zeros, `(max_len, d_model)`; the sines of the angles fill the even columns `0, 2, 4, ...`, the
   cosines the odd columns `1, 3, 5, ...`, each a `(max_len, d_model/2)` block.""",
              zh=r"""1. 位置 `0 .. max_len-1` 排成一列，形状 `(max_len, 1)`，用 float32。
2. 每一对一个指数 `2i/d_model`（`i = 0 .. d_model/2 - 1`），排成一行，形状 `(d_model/2,)`。
3. 用这一列除以 10000 的这一行次方：广播得到全部角度，形状 `(max_len, d_model/2)`。
4. 从形状为 `(max_len, d_model)` 的全零张量开始；角度的正弦填入偶数列 `0, 2, 4, ...`，余弦填入奇数列 `1, 3, 5, ...`，各占一块 `(max_len, d_model/2)`。""", of="c79357b4d9"),
    code=bi(r"""Build a column of positions, `(max_len, 1)`, and a row of exponents `2i/d` from
`torch.arange(0, d_model, 2) / d_model`, `(d_model/2,)`; dividing one by `10000 **` the other broadcasts to
the angles, `(max_len, d_model/2)`. Then `pe[:, 0::2] = torch.sin(angle)` and
`pe[:, 1::2] = torch.cos(angle)` on a `torch.zeros(max_len, d_model)`. (The exp form
`torch.exp(two_i * -(math.log(10000.0) / d_model))` gives the same frequencies; mind its minus sign.)""",
                     zh=r"""构造一列位置，形状 `(max_len, 1)`，再用 `torch.arange(0, d_model, 2) / d_model` 构造一行指数
`2i/d`，形状 `(d_model/2,)`；用前者除以 `10000 **` 后者，广播得到所有角度，形状 `(max_len, d_model/2)`。然后在
`torch.zeros(max_len, d_model)` 上执行 `pe[:, 0::2] = torch.sin(angle)` 和 `pe[:, 1::2] = torch.cos(angle)`。
（指数函数的写法 `torch.exp(two_i * -(math.log(10000.0) / d_model))` 给出同样的频率；注意其中的负号。）""", of="4b5a7e5db3"))

SINUSOIDAL_DEMO = bi("""# Row p is position p: PE[0] = [0, 1, 0, 1, ...]; pair 0 turns by 1 radian per step.
sinusoidal = yours_or_reference("sinusoidal_positional_encoding", sinusoidal_positional_encoding)
torch.set_printoptions(precision=3, sci_mode=False)
print(sinusoidal(4, 6))
torch.set_printoptions(profile="default")""", zh="""# 第 p 行就是位置 p：PE[0] = [0, 1, 0, 1, ...]；第 0 对每步转 1 弧度。
sinusoidal = yours_or_reference("sinusoidal_positional_encoding", sinusoidal_positional_encoding)
torch.set_printoptions(precision=3, sci_mode=False)
print(sinusoidal(4, 6))
torch.set_printoptions(profile="default")""", of="d5583c9318")

BROKEN_WHY = bi(r"""### Measured: with positions added, the shuffle no longer commutes

Add the table to the tokens *before* attention, `x + PE[:T]`, and shuffle the tokens: each token now arrives
with the code of its new position, so the layer sees a different input, not a reordered one. The same test as
in section 1, with the same layer, input and permutation. Here and in section 3 the table is yours, or the
reference's while yours does not pass its check (the cell above said which).

A freshly initialised layer spreads its attention fairly evenly (no weight comes near 1; the largest are a few
times the uniform 1/T), so every output is close to the same average and the outputs of different tokens differ
only a little. Read the gap against that spread and against the rounding-level gap of section 1; training
sharpens attention and widens both.""", zh=r"""### 测量：加上位置之后，打乱与注意力不再可交换

在注意力*之前*把位置表加到词元上，即 `x + PE[:T]`，再打乱词元：现在每个词元带着它新位置的编码进入注意力层，
所以该层看到的是一个不同的输入，而不是重新排列过的同一个输入。测试与第 1 节相同，用的也是同一个层、同一个输入和
同一个排列。这里和第 3 节用的都是你的位置表；如果你的代码还没通过检查，就用参考实现的表（上面的单元格已经说明
用的是哪一个）。

刚初始化的层把注意力分得相当均匀（没有哪个权重接近 1，最大的也只是均匀分布 1/T 的几倍），所以每个输出都接近同一个
平均值，不同词元的输出彼此只差一点点。请把这里的差值与这种差异程度相比，也与第 1 节舍入误差量级的差值相比；训练会
让注意力变得更集中，两者都会变大。""", of="3167f713cf")

BROKEN_CODE = bi("""# Section 1's layer, input and permutation, with your table added after the shuffle.
pe = sinusoidal(T, D)  # (T, D)
gaps_with = shuffle_gaps(x, perm, pe)  # (T,)
with torch.no_grad():
    token_spread = self_attend(x + pe).std(dim=1).mean()  # how much the outputs of different tokens differ
print(f"greatest |attn(x[perm] + PE) - attn(x + PE)[perm]| with positions:    {gaps_with.max():.2f}")
print(f"greatest |attn(x[perm]) - attn(x)[perm]|           without positions: {gaps_without.max():.1e}")
print(f"for scale: the outputs of different tokens differ by a standard deviation of {token_spread:.2f}")
fig = experiments.plot_permutation_gaps(gaps_without, gaps_with)
plt.show()""", zh="""# 第 1 节的层、输入和排列，在打乱之后加上你的位置表。
pe = sinusoidal(T, D)  # (T, D)
gaps_with = shuffle_gaps(x, perm, pe)  # (T,)
with torch.no_grad():
    token_spread = self_attend(x + pe).std(dim=1).mean()  # 不同词元的输出彼此相差多少
print(f"加位置时，最大 |attn(x[perm] + PE) - attn(x + PE)[perm]|：{gaps_with.max():.2f}")
print(f"不加位置时，最大 |attn(x[perm]) - attn(x)[perm]|：          {gaps_without.max():.1e}")
print(f"作为参照：不同词元的输出之间的标准差为 {token_spread:.2f}")
fig = experiments.plot_permutation_gaps(gaps_without, gaps_with)
plt.show()""", of="22649e7568")

WHAT_WHY = bi(r"""## 3. Measured: what the sinusoids encode

### The table

Each column is one hand of the clock: the first columns oscillate fast down the positions, the last ones
barely move. Every row is different, which is all a model needs to tell positions apart.""",
              zh=r"""## 3. 测量：正弦编码编进了什么

### 位置表

每一列是时钟的一根指针：最前面的几列沿着位置方向快速振荡，最后面的几列几乎不动。每一行都各不相同，而这正是模型
区分位置所需要的全部。""", of="1d7baeb2e6")

HEATMAP_CODE = bi("""pe = sinusoidal(100, 64)  # (max_len, D) = (100, 64), your function
fig = experiments.plot_encoding(pe)
plt.show()""", zh="""pe = sinusoidal(100, 64)  # (max_len, D) = (100, 64)，你的函数
fig = experiments.plot_encoding(pe)
plt.show()""", of="dd16511178")

SHIFT_WHY = bi(r"""### A shift by `k` is one fixed matrix

The angle-addition formulas, for one pair with frequency $\omega$:

$$\sin(\omega(p+k)) = \sin(\omega p)\cos(\omega k) + \cos(\omega p)\sin(\omega k), \qquad
\cos(\omega(p+k)) = \cos(\omega p)\cos(\omega k) - \sin(\omega p)\sin(\omega k).$$

The pair at `p + k` is the pair at `p` turned by the angle $\omega k$, and that angle does not depend on `p`.
Writing the codes as row vectors, $\mathrm{PE}[p+k] = \mathrm{PE}[p]\, M_k$ with $M_k$ block-diagonal, one
$2\times 2$ block
$\begin{pmatrix}\cos\omega_i k & -\sin\omega_i k\\ \sin\omega_i k & \cos\omega_i k\end{pmatrix}$
per pair. A linear layer can therefore learn "look `k` positions back" once, for every position: this is why
the paper chose this function (it "hypothesized it would allow the model to easily learn to attend by relative
positions"). Its reason for preferring the sinusoids to learned position vectors, which gave nearly identical
results, is another: they may let the model extrapolate to sequences longer than those seen in training. We
build $M_k$ from the formula and test it on every `p` at once.""", zh=r"""### 平移 `k` 就是乘一个固定矩阵

对频率为 $\omega$ 的一对维度，和角公式给出：

$$\sin(\omega(p+k)) = \sin(\omega p)\cos(\omega k) + \cos(\omega p)\sin(\omega k), \qquad
\cos(\omega(p+k)) = \cos(\omega p)\cos(\omega k) - \sin(\omega p)\sin(\omega k).$$

位置 `p + k` 上的这一对，就是位置 `p` 上的这一对转过角度 $\omega k$，而这个角度与 `p` 无关。把编码写成行向量，
$\mathrm{PE}[p+k] = \mathrm{PE}[p]\, M_k$，其中 $M_k$ 是分块对角矩阵，每一对对应一个 $2\times 2$ 的块
$\begin{pmatrix}\cos\omega_i k & -\sin\omega_i k\\ \sin\omega_i k & \cos\omega_i k\end{pmatrix}$。
因此，一个线性层只需学一次“往回看 `k` 个位置”，就对所有位置都适用：这正是论文选择这个函数的原因（作者“假设它能让
模型容易地学会按相对位置来分配注意力”）。至于为什么选正弦编码而不选可学习的位置向量（两者的结果几乎相同），论文给出的
是另一个理由：正弦编码也许能让模型外推到比训练时见过的更长的序列。下面我们按公式构造 $M_k$，并一次性地在所有 `p` 上
检验它。""", of="1e9b1989a7")

SHIFT_CODE = bi("""def shift_matrix(k, d_model):
    \"\"\"The (d_model, d_model) matrix M_k with PE[p + k] = PE[p] @ M_k for every p: a turn per pair.\"\"\"
    M = torch.zeros(d_model, d_model, dtype=torch.float64)
    for i in range(d_model // 2):
        theta = k / 10000 ** (2 * i / d_model)  # how far pair i turns in k steps
        c, s = math.cos(theta), math.sin(theta)
        M[2 * i: 2 * i + 2, 2 * i: 2 * i + 2] = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return M


max_len, d_model = 100, 64
table = sinusoidal(max_len, d_model)  # (max_len, D), your table
pe = table.double()
shifts = list(range(1, 10 if GRADING else 80))
errors = []
for k in shifts:
    predicted = pe[:-k] @ shift_matrix(k, d_model)  # (max_len - k, D) x (D, D): every p at once
    errors.append((predicted - pe[k:]).abs().max().item())
print(f"greatest |PE[p] @ M_k - PE[p + k]| over all p and all k = 1..{shifts[-1]}: {max(errors):.1e}")
print(f"greatest |PE[p] @ M_5 - PE[p + 5]|: {errors[4]:.1e};  and |PE[p] - PE[p + 5]|: "
      f"{(pe[:-5] - pe[5:]).abs().max().item():.2f} (the codes themselves differ a lot)")
spacing = torch.finfo(torch.float32).eps * 2 ** math.floor(math.log2(max_len - 1))  # float32 step near 99
fig = experiments.plot_shift(shift_matrix(5, 16), 5, shifts, errors, rounding=spacing)
plt.show()""", zh="""def shift_matrix(k, d_model):
    \"\"\"(d_model, d_model) 的矩阵 M_k，对每个 p 都有 PE[p + k] = PE[p] @ M_k：每一对转一个角度。\"\"\"
    M = torch.zeros(d_model, d_model, dtype=torch.float64)
    for i in range(d_model // 2):
        theta = k / 10000 ** (2 * i / d_model)  # 第 i 对在 k 步内转过的角度
        c, s = math.cos(theta), math.sin(theta)
        M[2 * i: 2 * i + 2, 2 * i: 2 * i + 2] = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return M


max_len, d_model = 100, 64
table = sinusoidal(max_len, d_model)  # (max_len, D)，你的位置表
pe = table.double()
shifts = list(range(1, 10 if GRADING else 80))
errors = []
for k in shifts:
    predicted = pe[:-k] @ shift_matrix(k, d_model)  # (max_len - k, D) x (D, D)：一次算出所有 p
    errors.append((predicted - pe[k:]).abs().max().item())
print(f"在所有 p 和所有 k = 1..{shifts[-1]} 上，最大 |PE[p] @ M_k - PE[p + k]|：{max(errors):.1e}")
print(f"最大 |PE[p] @ M_5 - PE[p + 5]|：{errors[4]:.1e}；而 |PE[p] - PE[p + 5]|："
      f"{(pe[:-5] - pe[5:]).abs().max().item():.2f}（编码本身相差很大）")
spacing = torch.finfo(torch.float32).eps * 2 ** math.floor(math.log2(max_len - 1))  # float32 在 99 附近的间距
fig = experiments.plot_shift(shift_matrix(5, 16), 5, shifts, errors, rounding=spacing)
plt.show()""", of="67a1ab7b56")

SHIFT_NOTE = bi(r"""Is the remaining error the formula's or the arithmetic's? The same test on a table built in float64 from
the formula tells, and so do two float32 spacings: that of the angles near the largest one (99 radians), and
that of the entries themselves, between -1 and 1.""", zh=r"""剩下的误差来自公式，还是来自算术？在一张按公式用
float64 构造的表上做同样的测试就能看出来；两个 float32 间距也能说明问题：一个是最大角度（99 弧度）附近角度的间距，
另一个是表中元素本身（介于 -1 和 1 之间）的间距。""", of="8c351d2720")

SHIFT_ROUNDING = bi("""angle = torch.arange(max_len, dtype=torch.float64)[:, None] * 10000 ** (
    -torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (max_len, D/2)
exact = torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(-2)  # (max_len, D), float64, interleaved
exact_error = max((exact[:-k] @ shift_matrix(k, d_model) - exact[k:]).abs().max().item() for k in shifts)
entry_spacing = torch.finfo(torch.float32).eps  # float32 spacing just above 1 (just below 1 it is half as much)
print(f"your {str(table.dtype).replace('torch.', '')} table: {max(errors):.1e};  a float64 table: {exact_error:.1e}")
print(f"float32 spacing of an angle near {max_len - 1} radians: {spacing:.1e};  of an entry near 1: {entry_spacing:.1e}")
cause = ("the angles were computed in float32, and their rounding is what remains" if max(errors) > 4 * entry_spacing
         else "the angles were computed in higher precision; only the entries' own rounding remains")
print(f"So the error is the table's rounding, not the formula's ({exact_error:.0e} in float64): {cause}.")""",
                    zh="""angle = torch.arange(max_len, dtype=torch.float64)[:, None] * 10000 ** (
    -torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (max_len, D/2)
exact = torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(-2)  # (max_len, D)，float64，交错排列
exact_error = max((exact[:-k] @ shift_matrix(k, d_model) - exact[k:]).abs().max().item() for k in shifts)
entry_spacing = torch.finfo(torch.float32).eps  # float32 在略大于 1 处的间距（略小于 1 处只有它的一半）
print(f"你的 {str(table.dtype).replace('torch.', '')} 表：{max(errors):.1e}；float64 表：{exact_error:.1e}")
print(f"float32 在 {max_len - 1} 弧度附近的角度间距：{spacing:.1e}；在 1 附近的元素间距：{entry_spacing:.1e}")
cause = ("角度是用 float32 计算的，剩下的正是角度的舍入误差" if max(errors) > 4 * entry_spacing
         else "角度是用更高精度计算的，只剩下元素本身的舍入误差")
print(f"所以误差来自表的舍入，而不是公式（用 float64 时为 {exact_error:.0e}）：{cause}。")""", of="c4f7fbe499")

DOT_WHY = bi(r"""### Dot products depend only on the distance

Attention compares vectors by dot products, so it is worth asking what the dot product of two codes says.
Pair by pair, $\sin a \sin b + \cos a \cos b = \cos(a - b)$, so

$$\mathrm{PE}[p] \cdot \mathrm{PE}[q] = \sum_{i} \cos\big(\omega_i\,(p - q)\big):$$

a function of the distance $p - q$ alone, largest ($d/2$) at distance 0 and smaller, not monotonically, as
the distance grows. On the left, the matrix of all dot products: constant along every diagonal. On the right,
the dot product against the distance `k`, started from three different positions: the curves coincide.""",
             zh=r"""### 点积只取决于距离

注意力用点积来比较向量，所以值得问一问：两个编码的点积说明了什么？逐对来看，
$\sin a \sin b + \cos a \cos b = \cos(a - b)$，因此

$$\mathrm{PE}[p] \cdot \mathrm{PE}[q] = \sum_{i} \cos\big(\omega_i\,(p - q)\big):$$

它只是距离 $p - q$ 的函数，在距离为 0 时最大（$d/2$），随着距离增大而变小，但并不单调。左图是所有点积构成的矩阵：
沿每条对角线都是常数。右图是点积随距离 `k` 的变化，分别从三个不同的位置出发：三条曲线完全重合。""", of="1766fe43a6")

DOT_CODE = bi("""pe = sinusoidal(100, 64)  # (max_len, D)
gram = pe @ pe.T  # (max_len, D) x (D, max_len) -> (max_len, max_len)
omega = 10000 ** (-torch.arange(0, 64, 2) / 64)  # (D/2,) the frequencies
distance = torch.arange(100)[:, None] - torch.arange(100)[None, :]  # (max_len, max_len): p - q
formula = torch.cos(distance[..., None] * omega).sum(dim=-1)  # sum_i cos(omega_i (p - q))
print(f"PE[0]·PE[0] = {gram[0, 0]:.2f} (= d/2),  PE[0]·PE[1] = {gram[0, 1]:.2f},  "
      f"PE[0]·PE[50] = {gram[0, 50]:.2f}")
print(f"greatest |PE[p]·PE[q] - sum_i cos(omega_i (p - q))| over all p, q: "
      f"{(gram - formula).abs().max():.1e}")
diagonal_spread = max((gram.diagonal(k) - gram[0, k]).abs().max().item() for k in range(100))
print(f"greatest spread of PE[p]·PE[p+k] across p, for any k: {diagonal_spread:.1e}")
fig = experiments.plot_similarity(pe)
plt.show()""", zh="""pe = sinusoidal(100, 64)  # (max_len, D)
gram = pe @ pe.T  # (max_len, D) x (D, max_len) -> (max_len, max_len)
omega = 10000 ** (-torch.arange(0, 64, 2) / 64)  # (D/2,) 各对的频率
distance = torch.arange(100)[:, None] - torch.arange(100)[None, :]  # (max_len, max_len)：p - q
formula = torch.cos(distance[..., None] * omega).sum(dim=-1)  # sum_i cos(omega_i (p - q))
print(f"PE[0]·PE[0] = {gram[0, 0]:.2f}（= d/2），PE[0]·PE[1] = {gram[0, 1]:.2f}，"
      f"PE[0]·PE[50] = {gram[0, 50]:.2f}")
print(f"在所有 p、q 上，最大 |PE[p]·PE[q] - sum_i cos(omega_i (p - q))|："
      f"{(gram - formula).abs().max():.1e}")
diagonal_spread = max((gram.diagonal(k) - gram[0, k]).abs().max().item() for k in range(100))
print(f"对任意 k，PE[p]·PE[p+k] 随 p 变化的最大幅度：{diagonal_spread:.1e}")
fig = experiments.plot_similarity(pe)
plt.show()""", of="09abb46143")

LEARNED_WHY = bi(r"""## 4. A learned positional embedding

The other common choice, used by BERT and GPT-2, is to *learn* the position vectors: a table
`nn.Embedding(max_len, d_model)` whose row `p` is trained with the rest of the model and added to the token
vector at position `p`. The model decides what positions mean; the price is `max_len · d_model` more
parameters and no vector at all for a position beyond `max_len` (a sinusoidal code exists for any `p`).""",
                 zh=r"""## 4. 可学习的位置嵌入

另一种常见的做法（BERT 和 GPT-2 都采用）是*学习*位置向量：用一张表 `nn.Embedding(max_len, d_model)`，它的第
`p` 行和模型的其余部分一起训练，并加到位置 `p` 的词元向量上。位置意味着什么由模型自己决定；代价是多出
`max_len · d_model` 个参数（parameter），而且超出 `max_len` 的位置根本没有向量（正弦编码对任意 `p` 都存在）。""",
                 of="41e0f4499f")

LEARNED_TEXT = bi(r"""`LearnedPositionalEmbedding(max_len, d_model)` is an `nn.Module` with one member,
`self.embedding = nn.Embedding(max_len, d_model)` (the check copies its own weights into it, so the
initialisation does not matter, but the name does). `forward(x)` takes `x` of shape `(B, T, d_model)`,
`T <= max_len`, and returns `x` plus the vectors of positions `0 .. T-1`, shape `(B, T, d_model)`.
Do not write into `x`.""", zh=r"""`LearnedPositionalEmbedding(max_len, d_model)` 是一个 `nn.Module`，只有一个成员
`self.embedding = nn.Embedding(max_len, d_model)`（检查会把它自己的权重复制进去，所以初始化方式无关紧要，但名字
要对）。`forward(x)` 接收形状为 `(B, T, d_model)` 的 `x`，`T <= max_len`，返回 `x` 加上位置 `0 .. T-1` 的向量，
形状为 `(B, T, d_model)`。不要写入 `x`。""", of="a9c7996488")

LEARNED_HINT = stages(
    idea=bi(r"""The learned table is an embedding with one row per position: look up the rows of positions
`0 .. T-1` and add them to every sequence of the batch. The vector a position gets does not depend on the token
that sits there.""",
            zh=r"""可学习的位置表就是一个嵌入，每个位置一行：查出位置 `0 .. T-1` 的那些行，加到批量中的每个序列上。
一个位置得到的向量与该位置上是哪个词元无关。""", of="2ccb953b04"),
    shapes=bi(r"""1. In `__init__`, the parent's constructor comes first: a module can register members only after it.
   Then the embedding: `max_len` rows of width `d_model`.
2. In `forward`, `x` is `(B, T, d_model)`: `T` is its second axis, not its first.
3. The positions `0 .. T-1`, integers of shape `(T,)`, on the device of `x`; looked up, they give `(T, d_model)`.
4. Add them to `x`: broadcasting over the batch gives `(B, T, d_model)`. Return the sum as a new tensor (an
   in-place addition would write into `x`).""",
              zh=r"""1. 在 `__init__` 中先调用父类的构造函数：模块只有在此之后才能注册成员。然后创建嵌入：`max_len` 行，每行宽 `d_model`。
2. 在 `forward` 中，`x` 的形状是 `(B, T, d_model)`：`T` 是它的第二个轴，不是第一个。
3. 位置 `0 .. T-1` 是形状为 `(T,)` 的整数张量，放在 `x` 所在的设备上；查表后得到 `(T, d_model)`。
4. 把它们加到 `x` 上：沿批量维广播，得到 `(B, T, d_model)`。把和作为一个新张量返回（原地加法会写入 `x`）。""",
              of="279475897b"),
    code=bi(r"""`__init__` starts with `super().__init__()`, then creates the member.
In `forward`, `self.embedding(torch.arange(T, device=x.device))` is `(T, d_model)`; adding it to
`(B, T, d_model)` broadcasts over the batch. `T` is `x.size(1)`, not `x.size(0)`.""",
                  zh=r"""`__init__` 先调用 `super().__init__()`，再创建这个成员。在 `forward` 中，
`self.embedding(torch.arange(T, device=x.device))` 的形状是 `(T, d_model)`；把它加到 `(B, T, d_model)` 上会沿
批量维广播。`T` 是 `x.size(1)`，不是 `x.size(0)`。""", of="2189d2f780"))

ORDER_WHY = bi(r"""## 5. Measured: an order task, without positions and with yours

A task that only order can solve: each sequence of 12 tokens holds two marker tokens, `FIRST` and
`SECOND` (ids 0 and 1), among random fillers; the label says whether `FIRST` comes before `SECOND`. Both
orders hold the same tokens, so a model that sees a set of tokens can do no better than chance (50%).

The model: token embedding, then the positions (nothing, your sinusoidal table, or your learned embedding;
each yours, or the reference while yours does not pass its check, and the cell says which),
one block of self-attention (notebook 04's `MultiHeadAttention`) and a feed-forward layer with residual
connections, a mean over the positions, and a linear read-out to two classes. Each variant trains for 200
steps of Adam (`course_lib.train.fit`) on fresh random batches of 128 and is tested on 2000 unseen sequences.""",
               zh=r"""## 5. 测量：一个顺序任务，不加位置与加上你的位置

这是一个只有靠顺序才能解决的任务：每个长度为 12 的序列在随机填充词元之间含有两个标记词元 `FIRST` 和 `SECOND`
（id 分别为 0 和 1）；标签表示 `FIRST` 是否出现在 `SECOND` 之前。两种顺序包含的词元完全相同，所以一个只看到词元
集合的模型不可能比瞎猜（50%）做得更好。

模型结构：词元嵌入（embedding），然后加上位置（什么都不加、你的正弦位置表，或你的可学习位置嵌入；每一种都用你的实现，
如果你的实现还没通过检查就用参考实现，单元格会说明用的是哪一个），接着是一个自注意力块（笔记本 04 的
`MultiHeadAttention`）和一个前馈层，都带残差连接（residual connection），然后对所有位置取平均，最后用一个线性
读出层输出两个类别。每个变体都用 Adam 训练 200 步（`course_lib.train.fit`），每步用一个新随机生成的、大小为 128 的
批量，最后在 2000 个没见过的序列上测试。""", of="5e0fbd2987")

ORDER_CODE = bi("""steps = 15 if GRADING else 200  # a few seconds; while grading, only a check that it runs
T, d_model = 12, 32
sinusoidal = yours_or_reference("sinusoidal_positional_encoding", sinusoidal_positional_encoding)
Learned = yours_or_reference("LearnedPositionalEmbedding", LearnedPositionalEmbedding)
whose = lambda mine, yours: "yours" if mine is yours else "reference"  # noqa: E731
torch.manual_seed(0)
variants = {
    "no positions": nn.Identity(),
    f"sinusoidal ({whose(sinusoidal, sinusoidal_positional_encoding)})":
        experiments.AddFixedTable(sinusoidal(T, d_model)),
    f"learned ({whose(Learned, LearnedPositionalEmbedding)})": Learned(T, d_model),
}
accuracies, histories = {}, {}
for name, positions in variants.items():
    accuracies[name], histories[name] = experiments.train_order_task(positions, name, steps=steps, T=T,
                                                                     d_model=d_model, seed=0)
for name, accuracy in accuracies.items():
    print(f"{name:<20} test accuracy {accuracy:.1%}")
fig = experiments.plot_training(histories, accuracies)
plt.show()""", zh="""steps = 15 if GRADING else 200  # 只需几秒；评分时只检查它能运行
T, d_model = 12, 32
sinusoidal = yours_or_reference("sinusoidal_positional_encoding", sinusoidal_positional_encoding)
Learned = yours_or_reference("LearnedPositionalEmbedding", LearnedPositionalEmbedding)
whose = lambda mine, yours: "你的" if mine is yours else "参考实现"  # noqa: E731
torch.manual_seed(0)
variants = {
    "不加位置": nn.Identity(),
    f"正弦（{whose(sinusoidal, sinusoidal_positional_encoding)}）":
        experiments.AddFixedTable(sinusoidal(T, d_model)),
    f"可学习（{whose(Learned, LearnedPositionalEmbedding)}）": Learned(T, d_model),
}
accuracies, histories = {}, {}
for name, positions in variants.items():
    accuracies[name], histories[name] = experiments.train_order_task(positions, name, steps=steps, T=T,
                                                                     d_model=d_model, seed=0)
for name, accuracy in accuracies.items():
    print(f"{name:<12} 测试准确率 {accuracy:.1%}")
fig = experiments.plot_training(histories, accuracies)
plt.show()""", of="af7e68eb33")

ROPE_WHY = bi(r"""## 6. Optional extension: rotary position embeddings (RoPE)

*This section is optional. Its graded cell is worth 1 point of the notebook's 5; the rest of the notebook
does not depend on it.*

Section 3 showed that a shift by `k` turns every pair of the sinusoidal code by the angle $\omega_i k$.
Rotary embeddings (Su et al., "RoFormer", 2021; used by LLaMA and most recent language models) use that
rotation directly. Instead of *adding* a code to the token vectors, they *rotate* the queries and the keys:
pair `i` of a vector at position `p` is turned by the angle $p\,\omega_i$, with the same
$\omega_i = 10000^{-2i/d}$:

$$\begin{pmatrix} x'_{2i} \\ x'_{2i+1} \end{pmatrix} =
\begin{pmatrix} \cos p\omega_i & -\sin p\omega_i \\ \sin p\omega_i & \cos p\omega_i \end{pmatrix}
\begin{pmatrix} x_{2i} \\ x_{2i+1} \end{pmatrix}.$$

A rotation by $m\omega$ on the query and by $n\omega$ on the key leave a dot product that depends on the
angle between them, $(n - m)\omega$: the attention score sees only the *relative* position, by construction,
and the values are left alone. You apply it to `q` and `k` (inside each head) just before the scores.""",
              zh=r"""## 6. 选做扩展：旋转位置编码（RoPE）

*本节为选做。它的评分单元格占本笔记本 5 分中的 1 分；笔记本的其余部分不依赖于它。*

第 3 节表明，平移 `k` 会让正弦编码的每一对都转过角度 $\omega_i k$。旋转位置编码（Su 等人，“RoFormer”，2021；
LLaMA 和大多数近期的语言模型（language model）都采用它）直接利用这种旋转。它不是把编码*加*到词元向量上，而是*旋转*
查询和键：位置 `p` 上向量的第 `i` 对转过角度 $p\,\omega_i$，频率仍是 $\omega_i = 10000^{-2i/d}$：

$$\begin{pmatrix} x'_{2i} \\ x'_{2i+1} \end{pmatrix} =
\begin{pmatrix} \cos p\omega_i & -\sin p\omega_i \\ \sin p\omega_i & \cos p\omega_i \end{pmatrix}
\begin{pmatrix} x_{2i} \\ x_{2i+1} \end{pmatrix}.$$

查询转过 $m\omega$、键转过 $n\omega$ 之后，它们的点积只取决于二者之间的夹角 $(n - m)\omega$：注意力分数在构造上
就只看到*相对*位置，而值保持不变。你要在计算分数之前，把它作用于（每个头（head）内部的）`q` 和 `k`。""", of="85c0c00b7e")

ROPE_TEXT = bi(r"""`x` has shape `(..., T, D)` with `D` even (for example `(B, h, T, d)` inside attention);
`positions` is an optional integer tensor of shape `(T,)`, the position of each row (default
`torch.arange(T)`; with a key-value cache, as in notebook 09, the new rows sit at later positions, and a rotary
model passes those). Return a tensor of the shape and dtype of `x` in which features `2i` and `2i+1` of row `t`
are rotated by the angle `positions[t] / 10000^(2i/D)`. Pairs are neighbours `(2i, 2i+1)`, as in the RoFormer
paper, Meta's LLaMA reference code and the sinusoidal table (GPT-NeoX and the Hugging Face port of LLaMA pair
`i` with `i + D/2` instead, the "rotate_half" convention; the check names that convention if you use it).
Do not write into `x`.""", zh=r"""`x` 的形状为 `(..., T, D)`，`D` 为偶数（例如在注意力内部是 `(B, h, T, d)`）；
`positions` 是一个可选的整数张量，形状 `(T,)`，表示每一行所在的位置（默认为 `torch.arange(T)`；使用键值缓存
（KV cache）时，如笔记本 09 那样，新的行位于靠后的位置，使用旋转编码的模型就把这些位置传进来）。返回一个与 `x`
形状和 dtype 相同的张量，其中第 `t` 行的特征 `2i` 和 `2i+1` 转过角度 `positions[t] / 10000^(2i/D)`。配对的是相邻
的特征 `(2i, 2i+1)`，与 RoFormer 论文、Meta 的 LLaMA 参考代码以及正弦位置表相同（GPT-NeoX 和 Hugging Face 移植的
LLaMA 则把 `i` 与 `i + D/2` 配对，即“rotate_half”约定；如果你用了这种约定，检查会指出来）。不要写入 `x`。""",
               of="936840cce6")

ROPE_HINT = stages(
    idea=bi(r"""Treat features `2i` and `2i+1` of row `t` as a point in the plane, and rotate it by the angle
`positions[t] · ω_i`, with the frequencies `ω_i` of the sinusoidal table. Every pair of every row turns at once:
compute all the angles, then rotate with their cosines and sines.""",
            zh=r"""把第 `t` 行的特征 `2i` 和 `2i+1` 看作平面上的一个点，让它转过角度 `positions[t] · ω_i`，频率
`ω_i` 与正弦位置表相同。所有行的所有特征对同时旋转：先算出全部角度，再用它们的余弦和正弦完成旋转。""", of="19f6f705d1"),
    shapes=bi(r"""1. The positions `(T,)` (by default `0 .. T-1`) and the `D/2` frequencies give the angles
   `(T, D/2)`, computed in the dtype of `x`; their cosines and sines are `(T, D/2)` each and broadcast over the
   leading dimensions of `x`.
2. Split `x` `(..., T, D)` into the first features of the pairs (the even ones) and the second (the odd ones),
   `(..., T, D/2)` each.
3. Rotate: new first = first · cos − second · sin; new second = first · sin + second · cos.
4. Put every rotated pair back in its own place, interleaved (not all the firsts, then all the seconds): pair
   them on a new last axis, `(..., T, D/2, 2)`, then merge the last two axes into `(..., T, D)`.""",
              zh=r"""1. 位置 `(T,)`（默认为 `0 .. T-1`）和 `D/2` 个频率给出角度 `(T, D/2)`，用 `x` 的 dtype 计算；它们的余弦和正弦各为 `(T, D/2)`，会在 `x` 前面的各维上广播。
2. 把 `x` `(..., T, D)` 拆成每一对的第一个特征（偶数位）和第二个特征（奇数位），各为 `(..., T, D/2)`。
3. 旋转：新的第一个 = 第一个 · cos − 第二个 · sin；新的第二个 = 第一个 · sin + 第二个 · cos。
4. 把每一对旋转后的特征放回原位，交错排列（而不是先放全部第一个，再放全部第二个）：在新的最后一个轴上把它们配成对，得到 `(..., T, D/2, 2)`，再把最后两个轴合并为 `(..., T, D)`。""", of="837a72ee7d"),
    code=bi(r"""Angles `(T, D/2)` as in your sinusoidal table (compute them in `x.dtype`);
`x1, x2 = x[..., 0::2], x[..., 1::2]` are `(..., T, D/2)`; the rotated pair is `x1·cos - x2·sin` and
`x1·sin + x2·cos`;
`torch.stack([a, b], dim=-1).flatten(-2)` interleaves them back into `(..., T, D)`.""",
               zh=r"""角度 `(T, D/2)` 的算法与你的正弦位置表相同（用 `x.dtype` 计算）；
`x1, x2 = x[..., 0::2], x[..., 1::2]` 的形状是 `(..., T, D/2)`；旋转后的一对是 `x1·cos - x2·sin` 和
`x1·sin + x2·cos`；`torch.stack([a, b], dim=-1).flatten(-2)` 把它们交错放回 `(..., T, D)`。""", of="ae6ffe7cc8"))

ROPE_DEMO = bi("""# Measured: after the rotation, a query-key score depends only on the distance n - m.
rope = yours_or_reference("apply_rope", apply_rope)
g = torch.Generator().manual_seed(0)
q, k = torch.randn(1, 16, generator=g), torch.randn(1, 16, generator=g)  # one query and one key, (1, D)


def rotary_score(m, n):
    \"\"\"The dot product of q rotated to position m and k rotated to position n.\"\"\"
    return (rope(q, torch.tensor([m])) @ rope(k, torch.tensor([n])).T).item()


for m, n in [(0, 3), (10, 13), (250, 253), (5, 0), (105, 100)]:
    print(f"query at {m:>3}, key at {n:>3} (distance {n - m:>2}): score {rotary_score(m, n):+.4f}")
gap = max(abs(rotary_score(m, m + 3) - rotary_score(0, 3)) for m in range(200))
print(f"greatest |score(m, m + 3) - score(0, 3)| over m = 0..199: {gap:.1e}")
print(f"norm of k before and after rotating it to position 40: {k.norm():.4f}, "
      f"{rope(k, torch.tensor([40])).norm():.4f}")""", zh="""# 测量：旋转之后，查询与键的分数只取决于距离 n - m。
rope = yours_or_reference("apply_rope", apply_rope)
g = torch.Generator().manual_seed(0)
q, k = torch.randn(1, 16, generator=g), torch.randn(1, 16, generator=g)  # 一个查询和一个键，(1, D)


def rotary_score(m, n):
    \"\"\"把 q 旋转到位置 m、把 k 旋转到位置 n 之后二者的点积。\"\"\"
    return (rope(q, torch.tensor([m])) @ rope(k, torch.tensor([n])).T).item()


for m, n in [(0, 3), (10, 13), (250, 253), (5, 0), (105, 100)]:
    print(f"查询在 {m:>3}，键在 {n:>3}（距离 {n - m:>2}）：分数 {rotary_score(m, n):+.4f}")
gap = max(abs(rotary_score(m, m + 3) - rotary_score(0, 3)) for m in range(200))
print(f"在 m = 0..199 上，最大 |score(m, m + 3) - score(0, 3)|：{gap:.1e}")
print(f"k 旋转到位置 40 之前与之后的范数：{k.norm():.4f}，"
      f"{rope(k, torch.tensor([40])).norm():.4f}")""", of="5d8850f4a4")

MEASURED = bi("""# What was measured, read from the numbers above.
print(f"Blind to order: shuffling the input of a random MultiHeadAttention changed its output by at most "
      f"{gaps_without.max():.0e} beyond the same shuffle (float32 rounding), the mean-pooled output by "
      f"{pooled_gap:.0e}. With the sinusoidal table added the same test gave {gaps_with.max():.2f}, "
      f"{gaps_with.max() / gaps_without.max():.0e} times more, against a spread of {token_spread:.2f} between "
      f"the outputs of different tokens.")
print(f"A shift is one matrix: PE[p] @ M_k matched PE[p + k] to {max(errors):.0e} for every p and every k from 1 "
      f"to {shifts[-1]} ({exact_error:.0e} for a float64 table), while the codes themselves differ by up to "
      f"{(pe[:-5] - pe[5:]).abs().max().item():.2f} five positions apart.")
print(f"Dot products depend only on the distance: PE[p]·PE[p+k] varied across p by at most {diagonal_spread:.0e}; "
      f"it is {gram[0, 0]:.1f} at distance 0, {gram[0, 1]:.1f} at 1 and {gram[0, 50]:.1f} at 50.")
order = ", ".join(f"{name} {accuracy:.1%}" for name, accuracy in accuracies.items())
print(f"The order task, after {steps} steps: {order} (chance is 50%)."
      + (" A token run under grading: too short to learn." if GRADING else ""))
print(f"Rotary embeddings: the score of a rotated query and key stayed the same to {gap:.0e} at distance 3, "
      f"and the rotation kept the norm of k ({k.norm():.4f}).")""", zh="""# 测到了什么：从上面的数字读出。
print(f"看不见顺序：打乱一个随机 MultiHeadAttention 的输入，其输出与同样打乱后的输出最多相差 "
      f"{gaps_without.max():.0e}（float32 舍入误差），平均汇聚后的输出相差 "
      f"{pooled_gap:.0e}。加上正弦位置表后，同样的测试得到 {gaps_with.max():.2f}，"
      f"是前者的 {gaps_with.max() / gaps_without.max():.0e} 倍，而不同词元的输出之间的差异（标准差）为 "
      f"{token_spread:.2f}。")
print(f"平移就是乘一个矩阵：对每个 p 和从 1 到 {shifts[-1]} 的每个 k，PE[p] @ M_k 与 PE[p + k] 相差不超过 "
      f"{max(errors):.0e}（用 float64 表时为 {exact_error:.0e}），而相隔五个位置的编码本身最多相差 "
      f"{(pe[:-5] - pe[5:]).abs().max().item():.2f}。")
print(f"点积只取决于距离：PE[p]·PE[p+k] 随 p 的变化不超过 {diagonal_spread:.0e}；"
      f"距离为 0 时是 {gram[0, 0]:.1f}，为 1 时是 {gram[0, 1]:.1f}，为 50 时是 {gram[0, 50]:.1f}。")
order = "，".join(f"{name} {accuracy:.1%}" for name, accuracy in accuracies.items())
print(f"顺序任务，训练 {steps} 步之后：{order}（瞎猜为 50%）。"
      + ("评分时只是象征性地运行一下：步数太少，学不会。" if GRADING else ""))
print(f"旋转位置编码：距离为 3 时，旋转后的查询与键的分数保持不变，误差不超过 {gap:.0e}；"
      f"旋转保持了 k 的范数（{k.norm():.4f}）。")""", of="27d171ca24")

SUMMARY = bi(r"""## Summary

* Self-attention is permutation-equivariant: without positions it sees a set, not a sequence.
* `sinusoidal_positional_encoding` gives position `p` the sines and cosines of `p·ω_i`,
  `ω_i = 10000^(-2i/d)`, interleaved; it needs no training and exists for any length, a shift by `k` is a
  fixed rotation of each pair, and dot products of codes depend only on distance.
* `LearnedPositionalEmbedding` learns a vector per position instead (compare the two on the toy task in
  the printout above); it has nothing to offer beyond `max_len`.
* Rotary embeddings rotate queries and keys rather than adding a code, so scores see relative positions
  only.

**In the paper** ("Attention Is All You Need", Vaswani et al., 2017). Section 3.5 (Positional Encoding) opens
with the blindness measured in section 1: the model "contains no recurrence and no convolution", so the order
must be injected. `sinusoidal_positional_encoding` is its $PE_{(pos, 2i)} = \sin(pos/10000^{2i/d_{model}})$,
$PE_{(pos, 2i+1)} = \cos(pos/10000^{2i/d_{model}})$, added to the embeddings at the bottom of the encoder and
decoder stacks. The paper chose it because $PE_{pos+k}$ is a linear function of $PE_{pos}$ for any fixed
offset `k` (the shift matrix of section 3), and because it may extrapolate to longer sequences than training
saw. `LearnedPositionalEmbedding` is the alternative the same section reports as giving nearly identical
results (Table 3, row (E)). Rotary embeddings came later (Su et al., 2021).

The recurrence is gone and the order is back; what dropping the recurrence buys in time has not been
measured yet.

**Next:** notebook 06 measures what the lack of recurrence buys: all positions computed at once.""",
             zh=r"""## 小结

* 自注意力具有置换等变性：没有位置信息时，它看到的是一个集合，而不是一个序列。
* `sinusoidal_positional_encoding` 给位置 `p` 分配 `p·ω_i` 的正弦和余弦，`ω_i = 10000^(-2i/d)`，交错排列；它不需要
  训练，对任意长度都存在；平移 `k` 就是对每一对做一次固定的旋转；编码之间的点积只取决于距离。
* `LearnedPositionalEmbedding` 则为每个位置学习一个向量（可以在上面的输出中比较两者在这个小任务上的表现）；超出
  `max_len` 的位置它无能为力。
* 旋转位置编码旋转查询和键，而不是加上一个编码，因此注意力分数只看到相对位置。

**对应论文**（"Attention Is All You Need"，Vaswani 等，2017）。第 3.5 节（Positional Encoding）一开头讲的就是第 1 节测得的“看不见顺序”：模型“既没有循环也没有卷积”（contains no recurrence and no convolution），所以必须把顺序信息注入进去。`sinusoidal_positional_encoding` 就是该节的 $PE_{(pos, 2i)} = \sin(pos/10000^{2i/d_{model}})$、$PE_{(pos, 2i+1)} = \cos(pos/10000^{2i/d_{model}})$，加在编码器和解码器堆叠底部的嵌入（embedding）上。论文选它的理由是：对任意固定的偏移 `k`，$PE_{pos+k}$ 都是 $PE_{pos}$ 的线性函数（即第 3 节的平移矩阵），而且它也许能外推到比训练时更长的序列。`LearnedPositionalEmbedding` 是同一节报告的替代方案，两者结果几乎相同（表 3 的 (E) 行）。旋转位置编码出现得更晚（Su 等，2021）。

循环已经去掉，顺序也找回来了；去掉循环在时间上换来了什么，还没有测量过。

**下一步：** 笔记本 06 测量没有循环带来了什么：所有位置同时计算。""", of="94aa20e6a4")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(BLIND_WHY),
        *question("05.pooled"),
        code(BLIND_CODE),
        answer("05.pooled", "pooled=pooled_gap.item()"),
        markdown(SINUSOIDAL_WHY),
        *exercise(1, ref.sinusoidal_positional_encoding, points=3, seed=5021, difficulty=2, importance=5,
                  minutes=20, text=SINUSOIDAL_TEXT, hint=SINUSOIDAL_HINT,
                  signature="def sinusoidal_positional_encoding(max_len, d_model) -> torch.Tensor",
                  final_assert="assert torch.allclose(sinusoidal_positional_encoding(2, 2), "
                               "torch.tensor([[0.0, 1.0], [math.sin(1.0), math.cos(1.0)]])), "
                               "\"with d_model = 2, PE[p] = [sin(p), cos(p)] (d_model = 2 时，PE[p] = [sin(p), cos(p)])\""),
        code(SINUSOIDAL_DEMO),
        markdown(BROKEN_WHY),
        code(BROKEN_CODE),
        markdown(WHAT_WHY),
        code(HEATMAP_CODE),
        markdown(SHIFT_WHY),
        code(SHIFT_CODE),
        markdown(SHIFT_NOTE),
        code(SHIFT_ROUNDING),
        markdown(DOT_WHY),
        code(DOT_CODE),
        markdown(LEARNED_WHY),
        *exercise(2, ref.LearnedPositionalEmbedding, points=1, seed=5307, difficulty=1, importance=3, minutes=10,
                  text=LEARNED_TEXT, hint=LEARNED_HINT,
                  signature="class LearnedPositionalEmbedding(nn.Module):\n"
                            "    def __init__(self, max_len, d_model): ...\n"
                            "    def forward(self, x) -> torch.Tensor: ...",
                  final_assert="_module = LearnedPositionalEmbedding(4, 3)\n"
                               "assert torch.equal(_module(torch.zeros(1, 4, 3))[0], _module.embedding.weight), "
                               "\"on a zero input the output is the table itself (输入为零时，输出就是位置表本身)\""),
        markdown(ORDER_WHY),
        *question("05.learned"),
        code(ORDER_CODE),
        answer("05.learned", "accuracies=list(accuracies.values()), steps=steps"),
        markdown(ROPE_WHY),
        *exercise(3, ref.apply_rope, points=1, seed=5519, difficulty=3, importance=3, minutes=20,
                  text=ROPE_TEXT, hint=ROPE_HINT, signature="def apply_rope(x, positions=None) -> torch.Tensor",
                  final_assert="assert torch.allclose(apply_rope(torch.ones(1, 1, 4)), torch.ones(1, 1, 4)), "
                               "\"position 0 is not rotated (位置 0 不旋转)\""),
        code(ROPE_DEMO),
        code(MEASURED),
        markdown(SUMMARY),
    ], title=TITLE)
