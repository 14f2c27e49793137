"""Notebook 07: what makes a deep stack trainable: layer norm, the feed-forward block, residual connections,
warm-up and label smoothing."""
from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import training_deep_stacks as ref

TITLE = bi("07 Training deep stacks", zh="07 训练深层堆叠", of="4beb5cdf9a")

INTRO = bi(r"""# 07 · Training deep stacks: residuals, layer norm, feed-forward, warm-up

**What you build:** `layer_norm`, `FeedForward`, `EncoderLayer` (both placements of the norm), the warm-up
schedule `noam_lr` and `label_smoothed_cross_entropy`.
**What you measure:** that your encoder layer computes what `torch.nn.TransformerEncoderLayer` computes; what
layer norm does to the scale of the activations through depth; how the gradient reaching each layer of a
12-layer stack depends on the residual connections and on where the norm sits; how a deep post-LN stack
trains with and without warm-up, over several seeds, and at which learning rate each stops learning.
**Time:** [[times]].

Notebooks 03 to 05 built one attention layer, and notebook 06 measured what it buys: a depth that does not
grow with the length, which is what lets many cores work at once, for more work per layer. Notebook 06
measured one layer. The Transformer stacks many: 6 in the 2017 paper, dozens in
today's language models. Stacking is where training gets hard. A signal that passes through 12 layers is
multiplied by 12 Jacobians on the way back; if each one shrinks it a little, the first layers learn nothing,
and if each one grows it a little, the updates blow up. The Transformer's answer is a handful of small
pieces, each of which this notebook builds and then measures:

* **layer norm** keeps every position's feature vector at a fixed scale;
* the **feed-forward block** gives each position some computation of its own, between two attentions;
* **residual connections** (`x + sublayer(x)`) give the gradient a path around every sublayer;
* **warm-up** starts the learning rate small while the freshly initialised stack is fragile;
* **label smoothing** keeps the model from chasing infinitely confident predictions.

**Shapes and symbols used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | sequence length |
| `D` or `d_model` | model width: the size of every position's vector between sublayers |
| `h` | number of attention heads, `num_heads` |
| `d_ff` | width of the feed-forward block's hidden layer (4·`D` in the paper) |
| `N`, `K` | number of scored positions and number of classes (for the loss) |
| `L` | number of layers in a stack |

Run the set-up cells first: the language cell, then the set-up cell. Every exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.""",
           zh=r"""# 07 · 训练深层堆叠：残差、层归一化、前馈块、预热

**你要实现：** `layer_norm`、`FeedForward`、`EncoderLayer`（层归一化的两种放置方式）、预热调度 `noam_lr`，
以及 `label_smoothed_cross_entropy`。
**你要测量：** 你的编码器（encoder）层与 `torch.nn.TransformerEncoderLayer` 计算的是同一个函数；层归一化如何
影响激活值在深度方向上的尺度；在 12 层的堆叠中，到达每一层的梯度（gradient）如何取决于残差连接以及归一化放在
哪里；一个深层的后置层归一化（post-LN）堆叠在有预热和无预热时如何训练（training），换多个随机种子看，以及
两者各自在哪个学习率下学不动。
**时间：** [[times]]。

笔记本 03 到 05 搭出了一个注意力（attention）层，笔记本 06 测量了它带来的好处：深度不随长度增长，许多核心因此
能同时工作，代价是每层的计算量更大。笔记本 06 测的是一层。Transformer 把许多这样的层堆叠起来：2017 年的论文用了 6 层，
如今的语言模型（language model）有几十层。训练的难处正出在堆叠上。一个信号穿过 12 层，反向传播时就要乘上
12 个雅可比矩阵：如果每一个都让它缩小一点，最前面几层就什么也学不到；如果每一个都让它放大一点，更新就会
失控。Transformer 的对策是几个小部件，本笔记本逐一实现它们，再逐一测量：

* **层归一化**（layer normalization）把每个位置的特征向量保持在固定的尺度上；
* **前馈块**（即基于位置的前馈网络，positionwise feed-forward network）在两次注意力之间，给每个位置一些
  只属于它自己的计算；
* **残差连接**（residual connection，`x + sublayer(x)`）给梯度在每个子层旁边留了一条绕行的路；
* **预热**（warm-up）在堆叠刚初始化、还很脆弱的时候，让学习率（learning rate）从很小开始；
* **标签平滑**（label smoothing）让模型不去追逐无限自信的预测。

**本笔记本使用的形状和符号**

| 符号 | 含义 |
|---|---|
| `B` | 批量（batch）大小 |
| `T` | 序列（sequence）长度 |
| `D` 或 `d_model` | 模型宽度：子层之间每个位置的向量的大小 |
| `h` | 注意力头（head）的个数，`num_heads` |
| `d_ff` | 前馈块隐藏层的宽度（论文中为 4·`D`） |
| `N`、`K` | 参与计分的位置数和类别数，用于损失（loss） |
| `L` | 堆叠的层数 |

请先运行开头的两个单元格：先运行语言单元格，再运行设置单元格。每个练习后面都跟着一个检查单元格：它在远不到两秒内
给出一行绿色的通过信息，或者给出一条消息，指出它认出的错误。""", of="6e26b6213f")

SETUP = """# Set-up: imports, the course's checks, notebook 04's attention, fixed seeds.
# 设置：导入、课程的检查、笔记本 04 的注意力、固定的随机种子。
import math
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import (
    check_encoder_layer,
    check_feed_forward,
    check_label_smoothed_cross_entropy,
    check_layer_norm,
    check_noam_lr,
)
from course_lib.experiments import (
    claims,  # the thresholds every printed conclusion uses / 每条打印出的结论所用的阈值
    yours_or_reference,  # your code if it passes its check, else the reference / 通过检查就用你的代码，否则用参考答案
)
from course_lib.experiments import training_deep_stacks as experiments
from course_lib.handouts import MultiHeadAttention  # you built it in notebook 04 / 你在笔记本 04 中实现过它

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises / 评分程序只缩小实验，不改练习"""

LN_WHY = bi(r"""## 1. Layer norm

A layer's output is a sum of many products; its scale depends on the scale of its input and of its weights,
and in a stack these scales multiply. **Layer normalisation** (Ba, Kiros and Hinton, 2016) resets the scale
at every step: for each position on its own, it takes the `D` features, subtracts their mean and divides by
their standard deviation, so that the vector has mean 0 and variance 1. Two learned vectors of size `D`
then give the layer back the freedom to choose a scale and an offset per feature:

$$\mathrm{LN}(x) = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}\,\gamma + \beta,\qquad
\mu = \frac1D\sum_{j} x_j,\quad \sigma^2 = \frac1D\sum_j (x_j - \mu)^2 .$$

Three details matter, and the check knows the slips people make with each:

* the statistics are over the **last** dimension, the features of one position: each token is normalised
  on its own, whatever the batch or the sequence holds (batch norm, by contrast, averages over the batch);
* the variance is the **biased** one, divided by `D`, not `D - 1` (that is what `nn.LayerNorm` computes;
  `torch.var` divides by `D - 1` unless told `unbiased=False`);
* `ϵ` (1e-5) goes **inside** the square root: it keeps the division finite when all features are equal.""",
            zh=r"""## 1. 层归一化

一层的输出是许多乘积之和；它的尺度取决于输入的尺度和权重的尺度，而在堆叠中，这些尺度会层层相乘。
**层归一化**（Ba、Kiros 和 Hinton，2016）在每一步都把尺度重新设定：对每个位置单独处理，取它的 `D` 个特征，
减去它们的均值，再除以它们的标准差，使这个向量的均值为 0、方差为 1。随后，两个大小为 `D` 的可学习向量把自由
还给这一层，让它为每个特征选择自己的尺度和偏移：

$$\mathrm{LN}(x) = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}\,\gamma + \beta,\qquad
\mu = \frac1D\sum_{j} x_j,\quad \sigma^2 = \frac1D\sum_j (x_j - \mu)^2 .$$

有三个细节很要紧，检查认得人们在每一处常犯的错误：

* 统计量在**最后一个**维度上计算，也就是一个位置的各个特征：每个词元（token）单独归一化，不管批量或序列里
  还有什么（相比之下，批量归一化是在批量上求平均）；
* 方差是**有偏**的，除以 `D` 而不是 `D - 1`（`nn.LayerNorm` 就是这样计算的；`torch.var` 除以 `D - 1`，除非
  指定 `unbiased=False`）；
* `ϵ`（1e-5）放在平方根**里面**：当所有特征都相等时，它让除法仍然有限。""", of="52f2a2b76a")

LN_TEXT = bi("""`x` has shape `(..., D)`: any number of leading dimensions. `gamma` and `beta` have shape `(D,)`. Return a
tensor of the shape of `x`: every vector `x[..., :]` normalised to mean 0 and (biased) variance 1 over its
`D` features, then multiplied by `gamma` and shifted by `beta`. Use the `eps` you are given.""",
             zh="""`x` 的形状为 `(..., D)`：前面可以有任意多个维度。`gamma` 和 `beta` 的形状为 `(D,)`。返回一个与 `x` 形状相同
的张量：每个向量 `x[..., :]` 在它的 `D` 个特征上归一化为均值 0、（有偏）方差 1，再乘以 `gamma`、加上 `beta`。
使用传给你的 `eps`。""", of="3b54efa25e")

LN_HINT = stages(
    idea=bi("""Normalise every vector on its own: subtract the mean of its `D` features and divide by their standard
deviation (the biased one, with `eps` inside the square root); then scale by `gamma` and shift by `beta`, feature
by feature.""",
            zh="""每个向量单独归一化：减去它 `D` 个特征的均值，再除以它们的标准差（有偏的那种，`eps` 放在平方根里面）；然后逐个特征乘以 `gamma`、加上 `beta`。""",
            of="2ec66dff65"),
    shapes=bi("""1. `x` is `(..., D)`. The mean over the last axis, kept as an axis of size 1: `(..., 1)`.
2. The variance over the last axis, dividing by `D` (not `D - 1`), also kept: `(..., 1)`.
3. Subtract the mean and divide by the square root of variance plus `eps`: the size-1 axis broadcasts, `(..., D)`.
4. Multiply by `gamma` `(D,)` and add `beta` `(D,)`: they broadcast over all the leading dimensions. The result
   has the shape of `x`.""",
              zh="""1. `x` 为 `(..., D)`。在最后一个轴上求均值，并把这个轴保留为大小 1：`(..., 1)`。
2. 在最后一个轴上求方差，除以 `D`（不是 `D - 1`），同样保留：`(..., 1)`。
3. 减去均值，再除以“方差加 `eps`”的平方根：大小为 1 的轴会广播，得到 `(..., D)`。
4. 乘以 `gamma` `(D,)`，加上 `beta` `(D,)`：它们在前面所有的维上广播。结果与 `x` 形状相同。""",
              of="38f702b2b7"),
    code=bi("""`x.mean(dim=-1, keepdim=True)` and `x.var(dim=-1, keepdim=True, unbiased=False)` keep a dimension of size 1,
so they broadcast against `x`. Then `(x - mean) / torch.sqrt(var + eps) * gamma + beta`.""",
             zh="""`x.mean(dim=-1, keepdim=True)` 和 `x.var(dim=-1, keepdim=True, unbiased=False)` 会保留一个大小为 1 的维度，
因此能与 `x` 广播。然后计算 `(x - mean) / torch.sqrt(var + eps) * gamma + beta`。""", of="de0c0a55f0"))

LN_DEMO = bi("""# Your layer_norm against PyTorch's, on a batch of token vectors far from mean 0 and variance 1.
norm = yours_or_reference("layer_norm", layer_norm)
torch.manual_seed(0)
x = 3 * torch.randn(2, 4, 8) + 5  # (B, T, D)
gamma, beta = torch.ones(8), torch.zeros(8)
y = norm(x, gamma, beta)
print("per-position mean of the output (first sequence):", [round(v, 4) for v in y[0].mean(-1).tolist()])
print("per-position std of the output (first sequence): ", [round(v, 4) for v in y[0].std(-1, unbiased=False).tolist()])
print(f"greatest difference from F.layer_norm: {(y - F.layer_norm(x, (8,), gamma, beta)).abs().max().item():.1e}")""",
             zh="""# 把你的 layer_norm 与 PyTorch 的对比，输入是一批远离均值 0、方差 1 的词元向量。
norm = yours_or_reference("layer_norm", layer_norm)
torch.manual_seed(0)
x = 3 * torch.randn(2, 4, 8) + 5  # (B, T, D)
gamma, beta = torch.ones(8), torch.zeros(8)
y = norm(x, gamma, beta)
print("输出在每个位置上的均值（第一个序列）：  ", [round(v, 4) for v in y[0].mean(-1).tolist()])
print("输出在每个位置上的标准差（第一个序列）：", [round(v, 4) for v in y[0].std(-1, unbiased=False).tolist()])
print(f"与 F.layer_norm 的最大差异：{(y - F.layer_norm(x, (8,), gamma, beta)).abs().max().item():.1e}")""", of="4dc8616711")

SCALE_WHY = bi(r"""### Measured: the scale of the activations through depth

Now that both placements of the norm are defined, here is what the norm buys in a residual stack. To see the
norm alone, we leave attention out: 24 of **your** `FeedForward` blocks (exercise 2), PyTorch's default
initialisation, and a batch of random vectors `(B, T, D) = (16, 8, 64)` with rms 1, pushed through them three
ways, with the same weights:

* **no norm**: `x = x + ffn(x)`;
* **post-LN** (the table above, feed-forward sublayer only): `x = layer_norm(x + ffn(x))`;
* **pre-LN**: `x = x + ffn(layer_norm(x))`.

We print the root-mean-square of the residual stream `x` after each block. Your `layer_norm` and `FeedForward`
run (each if it passes its check).""",
               zh=r"""### 测量：激活值的尺度随深度的变化

两种归一化放置方式都已定义好了，现在来看归一化在残差堆叠里带来了什么。为了单独观察归一化，我们先把注意力
拿掉：24 个**你的** `FeedForward` 块（练习 2），PyTorch 的默认初始化，再加一批均方根（rms）为 1 的随机向量
`(B, T, D) = (16, 8, 64)`，用同样的权重，按三种方式让它们穿过这些块：

* **无归一化**（no norm）：`x = x + ffn(x)`；
* **post-LN**（即上面的表，只含前馈子层）：`x = layer_norm(x + ffn(x))`；
* **pre-LN**：`x = x + ffn(layer_norm(x))`。

我们打印每个块之后残差流 `x` 的均方根。运行的是你的 `layer_norm` 和 `FeedForward`（各自通过检查时）。""",
               of="be3fe8d36c")

SCALE_CODE = bi("""norm = yours_or_reference("layer_norm", layer_norm)
ffn_cls = yours_or_reference("FeedForward", FeedForward)
depth = 6 if GRADING else 24
scales = experiments.activation_scales(depth=depth, d_model=64, d_ff=128, norm=norm, ffn_cls=ffn_cls)
print(f"{'after block':>11} | {'no norm':>8} | {'pre-LN':>8} | {'post-LN':>8}")
for i in sorted({0, 1, 3, 7, 11, 15, depth - 1} & set(range(depth))):
    print(f"{i + 1:>11} | {scales['no norm'][i]:>8.3f} | {scales['pre-LN'][i]:>8.3f} | {scales['post-LN'][i]:>8.3f}")
fig = experiments.plot_activation_scales(scales)
plt.show()""",
                zh="""norm = yours_or_reference("layer_norm", layer_norm)
ffn_cls = yours_or_reference("FeedForward", FeedForward)
depth = 6 if GRADING else 24
scales = experiments.activation_scales(depth=depth, d_model=64, d_ff=128, norm=norm, ffn_cls=ffn_cls)
print(f"{'经过的块数':>6} | {'无归一化':>4} | {'pre-LN':>8} | {'post-LN':>8}")
for i in sorted({0, 1, 3, 7, 11, 15, depth - 1} & set(range(depth))):
    print(f"{i + 1:>11} | {scales['no norm'][i]:>8.3f} | {scales['pre-LN'][i]:>8.3f} | {scales['post-LN'][i]:>8.3f}")
fig = experiments.plot_activation_scales(scales)
plt.show()""", of="62e2753ef3")

SCALE_SUMMARY = bi("""# The interpretation, computed from the measurements above.
growth = {name: scales[name][-1] / scales["input"] for name in ("no norm", "pre-LN", "post-LN")}
per_block = growth["no norm"] ** (1 / depth)
print(f"Without a norm the residual stream grew {growth['no norm']:.2f}x over {depth} blocks, about "
      f"{per_block:.3f}x per block: a geometric growth, which compounds with depth.")
if growth["pre-LN"] < growth["no norm"]:
    print(f"Pre-LN normalises only what enters each block, so the stream still grows, but more slowly: "
          f"{growth['pre-LN']:.2f}x (each block adds an output of bounded size to it).")
else:
    print(f"Pre-LN did not slow the growth here ({growth['pre-LN']:.2f}x against {growth['no norm']:.2f}x).")
low, high = min(scales["post-LN"]), max(scales["post-LN"])
where = f"at {low:.3f}" if high - low < 5e-4 else f"between {low:.3f} and {high:.3f}"
print(f"Post-LN resets the scale after every block: the stream's rms stays {where} (the norm's gamma is 1), "
      "whatever the depth.")""",
                   zh="""# 解读：由上面的测量结果计算得出。
growth = {name: scales[name][-1] / scales["input"] for name in ("no norm", "pre-LN", "post-LN")}
per_block = growth["no norm"] ** (1 / depth)
print(f"没有归一化时，残差流经过 {depth} 个块增长了 {growth['no norm']:.2f} 倍，"
      f"每个块约 {per_block:.3f} 倍：这是几何增长，随深度不断累积。")
if growth["pre-LN"] < growth["no norm"]:
    print(f"Pre-LN 只对进入每个块的内容做归一化，所以残差流仍在增长，只是更慢："
          f"{growth['pre-LN']:.2f} 倍（每个块往残差流里加的输出，大小是有界的）。")
else:
    print(f"这里 pre-LN 没有减缓增长（{growth['pre-LN']:.2f} 倍，对比无归一化的 {growth['no norm']:.2f} 倍）。")
low, high = min(scales["post-LN"]), max(scales["post-LN"])
where = f"在 {low:.3f}" if high - low < 5e-4 else f"在 {low:.3f} 到 {high:.3f} 之间"
print(f"Post-LN 在每个块之后都把尺度重新设定：残差流的均方根保持{where}（归一化的 gamma 为 1），"
      "无论多深都是如此。")""", of="8021c70fde")

FFN_WHY = bi(r"""## 2. The feed-forward block

Attention moves information *between* positions: each output is a weighted average of values. It does
little computation on what it gathered: the average is linear in the values. The Transformer gives every
position a small two-layer network of its own, the same for all positions (a 1×1 convolution, in other
words), between one attention and the next:

$$\mathrm{FFN}(x) = W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2,$$

widening from `D` to `d_ff` (2048 = 4·512 in the paper) and narrowing back. The ReLU is what makes the block
more than one linear map. Most of an encoder layer's parameters sit in this block: 8·`D`² (with `d_ff` = 4·`D`)
against 4·`D`² for the attention's four projections.""",
             zh=r"""## 2. 前馈块

注意力在位置*之间*搬运信息：每个输出都是值（value）的加权平均。对收集来的信息，它几乎不做计算：这个平均对
值是线性的。Transformer 在一次注意力和下一次注意力之间，给每个位置配一个小小的两层网络，所有位置共用同一个
（换句话说，就是 1×1 卷积）：

$$\mathrm{FFN}(x) = W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2,$$

先从 `D` 加宽到 `d_ff`（论文中为 2048 = 4·512），再收窄回来。正是 ReLU 让这个块不只是一个线性映射。一个编码器层
的大部分参数（parameter）都在这个块里：8·`D`²（当 `d_ff` = 4·`D` 时），而注意力的四个投影只有 4·`D`²。""",
             of="34c4fcd660")

FFN_TEXT = bi("""`__init__(d_model, d_ff, dropout=0.0)`: two `nn.Linear` members named **`linear1`** (`d_model -> d_ff`) and
**`linear2`** (`d_ff -> d_model`), with bias, and an `nn.Dropout(dropout)`.

`forward(x)`: `x` has shape `(..., d_model)`; return `linear2(dropout(relu(linear1(x))))`, of the same shape.
The check loads its own weights into `linear1` and `linear2` (so the names matter), runs in `eval()`, then
checks that dropout acts in `train()`.""",
              zh="""`__init__(d_model, d_ff, dropout=0.0)`：两个 `nn.Linear` 成员，分别名为 **`linear1`**（`d_model -> d_ff`）和
**`linear2`**（`d_ff -> d_model`），都带偏置，再加一个暂退法（dropout）层 `nn.Dropout(dropout)`。

`forward(x)`：`x` 的形状为 `(..., d_model)`；返回 `linear2(dropout(relu(linear1(x))))`，形状不变。检查会把它自己的
权重载入 `linear1` 和 `linear2`（所以名字很重要），在 `eval()` 下运行，然后检查 dropout 在 `train()` 下确实起作用。""",
              of="72b73719f3")

FFN_HINT = stages(
    idea=bi("""Two linear layers with a ReLU between them, applied to every position on its own: widen from `d_model`
to `d_ff`, apply the ReLU and the dropout there, then narrow back to `d_model`.""",
            zh="""两个线性层，中间夹一个 ReLU，对每个位置单独作用：先从 `d_model` 加宽到 `d_ff`，在那里做 ReLU 和 dropout，再收窄回 `d_model`。""",
            of="9e094bb343"),
    shapes=bi("""1. In `__init__`: the parent's constructor first, then `linear1` (`d_model -> d_ff`), `linear2`
   (`d_ff -> d_model`) and the dropout module.
2. In `forward`: `x` `(..., d_model)`, through `linear1`: `(..., d_ff)`; the ReLU, then the dropout, on that
   hidden layer, still `(..., d_ff)`; through `linear2`: `(..., d_model)`.
3. A linear layer acts on the last axis, so no reshaping. The dropout module acts by itself in `train()` mode
   and does nothing in `eval()` mode: no flag to check.""",
              zh="""1. 在 `__init__` 中：先调用父类的构造函数，再创建 `linear1`（`d_model -> d_ff`）、`linear2`（`d_ff -> d_model`）和 dropout 模块。
2. 在 `forward` 中：`x` `(..., d_model)` 经过 `linear1` 得到 `(..., d_ff)`；在这个隐藏层上先做 ReLU，再做 dropout，形状仍是 `(..., d_ff)`；经过 `linear2` 得到 `(..., d_model)`。
3. 线性层作用于最后一个轴，所以不需要改变形状。dropout 模块在 `train()` 模式下自动起作用，在 `eval()` 模式下什么也不做：无需检查任何标志。""",
              of="6a07f2cd51"),
    code=bi("""`nn.Linear` acts on the last dimension whatever the leading ones, so `(B, T, D)` needs no reshaping.
Dropout goes after the ReLU, on the hidden layer of width `d_ff`.""",
              zh="""`nn.Linear` 只作用于最后一个维度，不管前面有哪些维度，所以 `(B, T, D)` 无需改变形状。Dropout 放在 ReLU
之后，作用在宽度为 `d_ff` 的隐藏层上。""", of="31b3fbd86f"))

ENC_WHY = bi(r"""## 3. The encoder layer: residual connections, and where the norm goes

An encoder layer is two sublayers: self-attention (notebook 04's `MultiHeadAttention`), then the
feed-forward block. Each is wrapped in a **residual connection**: the sublayer computes a *change* that is
added to its input, `x + sublayer(x)`. The derivative of `x + f(x)` with respect to `x` is `I + f'(x)`:
whatever `f` does to the gradient, the identity term passes it through unchanged. That holds all the way down
a **pre-LN** stack (the table below), whose residual path from the output to the input is a clean identity:
there the lowest layer hears the loss about as clearly as the highest. In a **post-LN** stack a layer norm sits
on the residual path, so the gradient passes through every norm on its way down, and each norm rescales it.
The gradient measurement further down compares the two placements, and a stack without residual connections.

Where does the layer norm go? Two answers are in use, and torch's `TransformerEncoderLayer` offers both with
its `norm_first` flag:

| | `norm_first=False`: **post-LN** (the 2017 paper) | `norm_first=True`: **pre-LN** (GPT-2 and later) |
|---|---|---|
| attention | `x = norm1(x + attend(x))` | `x = x + attend(norm1(x))` |
| feed-forward | `x = norm2(x + ffn(x))` | `x = x + ffn(norm2(x))` |

In post-LN the norm sits on the residual path itself: every layer's output is normalised, and the gradient
must pass through 2·`L` norms on its way down. In pre-LN the residual path from the output to the input is a
clean sum, never normalised; each sublayer reads a normalised copy of it. (A pre-LN stack therefore needs one
final norm after its last layer, which the model adds, not the layer.)

The layer uses dropout in three places, as torch's does: inside the feed-forward block after the ReLU
(`self.dropout`), and on each sublayer's output just before it is added to the residual (`self.dropout1`,
`self.dropout2`); `MultiHeadAttention` drops attention weights itself.""",
             zh=r"""## 3. 编码器层：残差连接，以及归一化放在哪里

一个编码器层由两个子层组成：自注意力（self-attention，即笔记本 04 的 `MultiHeadAttention`），然后是前馈块。
每个子层都包在一个**残差连接**里：子层计算的是一个*变化量*，加到它的输入上，即 `x + sublayer(x)`。`x + f(x)`
对 `x` 的导数是 `I + f'(x)`：不管 `f` 对梯度做了什么，恒等项都把梯度原样传过去。在采用**前置层归一化**（pre-LN）
的堆叠（见下表）中，这一点一直成立到最底层，因为从输出到输入的残差路径是一个干净的恒等映射：在那里，最底层听到的
损失和最顶层差不多一样清楚。在 **post-LN** 堆叠中，层归一化就在残差路径上，梯度向下传时要穿过每一个归一化，
而每个归一化都会重新缩放它。后面的梯度测量会比较这两种放置方式，外加一个没有残差连接的堆叠。

层归一化放在哪里？实际使用的有两种答案，torch 的 `TransformerEncoderLayer` 用 `norm_first` 标志把两种都提供了：

| | `norm_first=False`：**post-LN**（2017 年的论文） | `norm_first=True`：**pre-LN**（GPT-2 及之后） |
|---|---|---|
| 注意力 | `x = norm1(x + attend(x))` | `x = x + attend(norm1(x))` |
| 前馈 | `x = norm2(x + ffn(x))` | `x = x + ffn(norm2(x))` |

在 post-LN 中，归一化就在残差路径本身上：每一层的输出都被归一化，梯度向下传时必须穿过 2·`L` 个归一化。在 pre-LN
中，从输出到输入的残差路径是一个干净的求和，从不被归一化；每个子层读取的是它的一个归一化副本。（因此 pre-LN
堆叠需要在最后一层之后再加一个归一化，由模型来加，而不是由层来加。）

这个层和 torch 的一样，在三个地方使用 dropout：前馈块内部、ReLU 之后（`self.dropout`），以及每个子层的输出在
加到残差上之前（`self.dropout1`、`self.dropout2`）；`MultiHeadAttention` 自己会对注意力权重（attention weights）
做 dropout。""", of="27e09c8a32")

ENC_TEXT = bi("""`__init__(d_model, num_heads, d_ff, dropout=0.0, norm_first=False)`: the members **`self_attn`** (a
`MultiHeadAttention(d_model, num_heads, dropout)`, notebook 04's, imported in the set-up cell), **`linear1`**,
**`linear2`** (the feed-forward block, as in exercise 2), **`norm1`**, **`norm2`** (`nn.LayerNorm(d_model)`), the
dropouts, and `norm_first`. These names are torch's, and they are what the check loads its weights into.

`forward(x, mask=None)`: `x` has shape `(B, T, D)`; `mask` (True = may attend) broadcasts against the scores
`(B, h, T, T)` and is passed on to the self-attention unchanged. Return `(B, T, D)`, computed as in the table
above for the `norm_first` you were given. The check runs both placements, with a padding mask `(B, 1, 1, T)`
and a causal mask `(T, T)`.""",
              zh="""`__init__(d_model, num_heads, d_ff, dropout=0.0, norm_first=False)`：成员 **`self_attn`**（一个
`MultiHeadAttention(d_model, num_heads, dropout)`，即笔记本 04 的多头注意力（multi-head attention），已在设置
单元格中导入）、**`linear1`**、**`linear2`**（前馈块，同练习 2）、**`norm1`**、**`norm2`**（`nn.LayerNorm(d_model)`）、
各个 dropout，以及 `norm_first`。这些名字都沿用 torch 的，检查正是把权重载入这些成员。

`forward(x, mask=None)`：`x` 的形状为 `(B, T, D)`；掩码（mask）`mask`（True = 可以关注）能与分数 `(B, h, T, T)`
广播，原样传给自注意力。返回 `(B, T, D)`，按上表中与给定的 `norm_first` 对应的方式计算。检查会运行两种放置方式，
分别使用填充掩码（padding mask）`(B, 1, 1, T)` 和因果掩码（causal mask）`(T, T)`。""", of="10b7871ebd")

ENC_HINT = stages(
    idea=bi("""Two sublayers, each wrapped in a residual connection: self-attention, then the feed-forward block.
`norm_first` decides only where each layer norm goes: after the residual sum (post-LN), or on the sublayer's
input, leaving the residual sum itself unnormalised (pre-LN).""",
            zh="""两个子层，每个都包在残差连接里：先是自注意力，再是前馈块。`norm_first` 只决定每个层归一化放在哪里：放在残差求和之后（post-LN），或者放在子层的输入上，而残差之和本身不做归一化（pre-LN）。""",
            of="b0ff42e613"),
    shapes=bi("""Everything stays `(B, T, D)`.
1. Post-LN: self-attention with `x` as query, key and value and the mask (keep its output, not its weights),
   then `dropout1`, add `x`, then `norm1`. Then the feed-forward block (`linear1`, ReLU, `dropout`, `linear2`),
   `dropout2`, add, `norm2`.
2. Pre-LN: `norm1` of `x`; self-attention on that normalised copy (as query, key and value), `dropout1`, added to
   the unnormalised `x`. Then `norm2`, the feed-forward block, `dropout2`, added the same way.
3. The mask goes to the attention unchanged: it already broadcasts against the scores `(B, h, T, T)`.""",
              zh="""所有张量都保持 `(B, T, D)`。
1. post-LN：以 `x` 同时作为查询、键和值，连同掩码做自注意力（取它的输出，不要权重），然后 `dropout1`，加上 `x`，再 `norm1`。接着是前馈块（`linear1`、ReLU、`dropout`、`linear2`），然后 `dropout2`，相加，再 `norm2`。
2. pre-LN：先对 `x` 做 `norm1`；在这个归一化后的副本上做自注意力（同时作为查询、键和值），`dropout1`，加到未归一化的 `x` 上。然后 `norm2`、前馈块、`dropout2`，同样加回去。
3. 掩码原样传给注意力：它本来就能与分数 `(B, h, T, T)` 广播。""",
              of="b4085c7992"),
    code=bi("""```python
def forward(self, x, mask=None):
    if self.norm_first:
        x = x + self._attend(self.norm1(x), mask)
        ...
```
with `_attend(x, mask)` returning `self.dropout1(self.self_attn(x, x, x, mask)[0])` (the attention returns
`(output, weights)`).""",
              zh="""```python
def forward(self, x, mask=None):
    if self.norm_first:
        x = x + self._attend(self.norm1(x), mask)
        ...
```
其中 `_attend(x, mask)` 返回 `self.dropout1(self.self_attn(x, x, x, mask)[0])`（注意力返回的是
`(output, weights)`）。""", of="95209332c8"))

TORCH_WHY = bi(r"""### Measured: the same function as `torch.nn.TransformerEncoderLayer`

PyTorch's layer has the same members under the same names, except that its attention keeps the three input
projections in one matrix, `in_proj_weight` `(3D, D)`, and calls `w_o` `out_proj` (as in notebook 04). We copy
the weights of your layer into torch's, for both placements, and compare on a batch with a padding mask and
with a causal mask. Remember that torch's boolean masks mean the opposite of ours: `True` is *blocked*
there, so we pass `~mask`.""",
               zh=r"""### 测量：与 `torch.nn.TransformerEncoderLayer` 是同一个函数

PyTorch 的层有同样的成员、同样的名字，只是它的注意力把三个输入投影放在一个矩阵 `in_proj_weight` `(3D, D)` 里，
并把 `w_o` 叫作 `out_proj`（与笔记本 04 相同）。我们把你的层的权重复制到 torch 的层里，两种放置方式都做，然后在
同一个批量上分别用填充掩码和因果掩码比较。记住，torch 的布尔掩码与我们的含义相反：在那里 `True` 表示*屏蔽*，
所以我们传入 `~mask`。""", of="3946a15214")

TORCH_CODE = bi("""Layer = yours_or_reference("EncoderLayer", EncoderLayer)


def torch_copy(ours):
    \"\"\"A torch.nn.TransformerEncoderLayer holding the weights of `ours`.\"\"\"
    D = ours.linear1.in_features
    theirs = nn.TransformerEncoderLayer(D, ours.self_attn.num_heads, ours.linear1.out_features, dropout=0.0,
                                        batch_first=True, norm_first=ours.norm_first)
    a = ours.self_attn
    with torch.no_grad():
        theirs.self_attn.in_proj_weight.copy_(torch.cat([a.w_q.weight, a.w_k.weight, a.w_v.weight]))  # (3D, D)
        theirs.self_attn.in_proj_bias.copy_(torch.cat([a.w_q.bias, a.w_k.bias, a.w_v.bias]))  # (3D,)
        theirs.self_attn.out_proj.weight.copy_(a.w_o.weight)
        theirs.self_attn.out_proj.bias.copy_(a.w_o.bias)
        for name in ("linear1", "linear2", "norm1", "norm2"):
            for p_theirs, p_ours in zip(getattr(theirs, name).parameters(), getattr(ours, name).parameters()):
                p_theirs.copy_(p_ours)
    return theirs.eval()


torch.manual_seed(0)
x = torch.randn(3, 6, 16)  # (B, T, D)
real = torch.arange(6)[None, :] < torch.tensor([6, 4, 1])[:, None]  # (B, T): True at real tokens
causal = torch.ones(6, 6, dtype=torch.bool).tril()  # (T, T): True = may attend
torch_difference = 0.0  # the greatest difference over both placements and both masks
for norm_first in (False, True):
    ours = Layer(16, 4, 32, 0.0, norm_first).eval()
    theirs = torch_copy(ours)
    with torch.no_grad():
        padded = (ours(x, real[:, None, None, :]) - theirs(x, src_key_padding_mask=~real)).abs()
        causal_diff = (ours(x, causal) - theirs(x, src_mask=~causal)).abs()
    torch_difference = max(torch_difference, padded[real].max().item(), causal_diff.max().item())
    name = "pre-LN " if norm_first else "post-LN"
    print(f"{name}: greatest difference with a padding mask {padded[real].max().item():.1e} (real positions), "
          f"with a causal mask {causal_diff.max().item():.1e}")""",
                zh="""Layer = yours_or_reference("EncoderLayer", EncoderLayer)


def torch_copy(ours):
    \"\"\"一个装着 `ours` 的权重的 torch.nn.TransformerEncoderLayer。\"\"\"
    D = ours.linear1.in_features
    theirs = nn.TransformerEncoderLayer(D, ours.self_attn.num_heads, ours.linear1.out_features, dropout=0.0,
                                        batch_first=True, norm_first=ours.norm_first)
    a = ours.self_attn
    with torch.no_grad():
        theirs.self_attn.in_proj_weight.copy_(torch.cat([a.w_q.weight, a.w_k.weight, a.w_v.weight]))  # (3D, D)
        theirs.self_attn.in_proj_bias.copy_(torch.cat([a.w_q.bias, a.w_k.bias, a.w_v.bias]))  # (3D,)
        theirs.self_attn.out_proj.weight.copy_(a.w_o.weight)
        theirs.self_attn.out_proj.bias.copy_(a.w_o.bias)
        for name in ("linear1", "linear2", "norm1", "norm2"):
            for p_theirs, p_ours in zip(getattr(theirs, name).parameters(), getattr(ours, name).parameters()):
                p_theirs.copy_(p_ours)
    return theirs.eval()


torch.manual_seed(0)
x = torch.randn(3, 6, 16)  # (B, T, D)
real = torch.arange(6)[None, :] < torch.tensor([6, 4, 1])[:, None]  # (B, T)：真实词元处为 True
causal = torch.ones(6, 6, dtype=torch.bool).tril()  # (T, T)：True = 可以关注
torch_difference = 0.0  # 两种放置方式、两种掩码下的最大差异
for norm_first in (False, True):
    ours = Layer(16, 4, 32, 0.0, norm_first).eval()
    theirs = torch_copy(ours)
    with torch.no_grad():
        padded = (ours(x, real[:, None, None, :]) - theirs(x, src_key_padding_mask=~real)).abs()
        causal_diff = (ours(x, causal) - theirs(x, src_mask=~causal)).abs()
    torch_difference = max(torch_difference, padded[real].max().item(), causal_diff.max().item())
    name = "pre-LN " if norm_first else "post-LN"
    print(f"{name}：用填充掩码时最大差异 {padded[real].max().item():.1e}（真实位置），"
          f"用因果掩码时 {causal_diff.max().item():.1e}")""", of="1d687d9a11")

GRAD_WHY = bi(r"""### Measured: the gradient that reaches each layer

Now the claim about residual connections. We stack 12 encoder layers (`D` = 32, 4 heads, `d_ff` = 64) between
token and position embeddings and a read-out, put one batch of a toy task through it (reverse a sequence of
8 digits), and measure, right at initialisation, the norm of the loss's gradient with respect to each
layer's parameters: how loudly each layer hears the loss. Three stacks, all built from your `EncoderLayer`:

* **post-LN**, the paper's layer;
* **pre-LN**, the same layer with `norm_first=True` (and a final norm before the read-out);
* **post-LN without residuals**: the same members, but `x = norm1(attend(x))`, `x = norm2(ffn(x))`: no
  path around the sublayers.

Each number is the average over 3 random initialisations.""",
              zh=r"""### 测量：到达每一层的梯度

现在来检验关于残差连接的说法。我们在词元嵌入（embedding）、位置嵌入与输出层之间堆叠 12 个编码器层（`D` = 32，
4 个头，`d_ff` = 64），把一个玩具任务（把 8 个数字组成的序列倒过来）的一个批量送进去，在刚初始化时测量损失对每一层
参数的梯度的范数：也就是每一层听到的损失有多响。三个堆叠，都用你的 `EncoderLayer` 搭成：

* **post-LN**，论文中的层；
* **pre-LN**，同一个层，但 `norm_first=True`（并在输出层之前加一个最终的归一化）；
* **没有残差的 post-LN**：同样的成员，但 `x = norm1(attend(x))`、`x = norm2(ffn(x))`：子层旁边没有绕行的路。

每个数字都是 3 次随机初始化的平均值。""", of="bc5c3ac69e")

GRAD_CODE = bi("""Layer = yours_or_reference("EncoderLayer", EncoderLayer)
config = experiments.StackConfig(depth=12, d_model=32, num_heads=4, d_ff=64)
seeds = (0,) if GRADING else (0, 1, 2)
norms = {p: experiments.layer_gradient_norms(config, p, Layer, seeds) for p in experiments.PLACEMENTS}
print(f"{'layer':>5} | " + " | ".join(f"{p:>21}" for p in norms))
for i in range(config.depth):
    print(f"{i + 1:>5} | " + " | ".join(f"{norms[p][i]:>21.3f}" for p in norms))
fig = experiments.plot_gradient_norms(norms)
plt.show()""",
               zh="""Layer = yours_or_reference("EncoderLayer", EncoderLayer)
config = experiments.StackConfig(depth=12, d_model=32, num_heads=4, d_ff=64)
seeds = (0,) if GRADING else (0, 1, 2)
norms = {p: experiments.layer_gradient_norms(config, p, Layer, seeds) for p in experiments.PLACEMENTS}
print(f"{'层':>4} | " + " | ".join(f"{p:>21}" for p in norms))
for i in range(config.depth):
    print(f"{i + 1:>5} | " + " | ".join(f"{norms[p][i]:>21.3f}" for p in norms))
fig = experiments.plot_gradient_norms(norms)
plt.show()""", of="2d9bd21008")

GRAD_SUMMARY = bi("""# The interpretation, computed from the measurements above (thresholds: course_lib/experiments/claims.py).
ratio = {p: n[-1] / n[0] for p, n in norms.items()}  # last layer's gradient over the first layer's
spread = {p: max(n) / min(n) for p, n in norms.items()}
for p in norms:
    print(f"{p:>21}: the last layer's gradient is {ratio[p]:.2f}x the first layer's; "
          f"largest over smallest across the 12 layers {spread[p]:.2f}x")
no_res, post, pre = ratio["post-LN, no residuals"], ratio["post-LN"], ratio["pre-LN"]
evenly = (f"every layer gets about the same gradient (within {claims.EVEN_SPREAD}x)"
          if spread["pre-LN"] < claims.EVEN_SPREAD else
          f"the layers stay within {spread['pre-LN']:.1f}x of each other")
direction = "shrinks" if no_res > 1 else "grows"
print(f"Without residual connections the gradient {direction} on its way down: the last layer's gradient is "
      f"{no_res:.1f}x the first layer's. With them (post-LN) that factor is {post:.2f}, and with the norm moved off "
      f"the residual path (pre-LN) it is {pre:.2f}: {evenly}.")""",
                  zh="""# 解读：由上面的测量结果计算得出（阈值见 course_lib/experiments/claims.py）。
ratio = {p: n[-1] / n[0] for p, n in norms.items()}  # 最后一层的梯度除以第一层的梯度
spread = {p: max(n) / min(n) for p, n in norms.items()}
for p in norms:
    print(f"{p:>21}：最后一层的梯度是第一层的 {ratio[p]:.2f} 倍；"
          f"12 层中最大值与最小值之比为 {spread[p]:.2f} 倍")
no_res, post, pre = ratio["post-LN, no residuals"], ratio["post-LN"], ratio["pre-LN"]
evenly = (f"每一层得到的梯度大致相同（相差在 {claims.EVEN_SPREAD} 倍以内）"
          if spread["pre-LN"] < claims.EVEN_SPREAD else
          f"各层之间相差在 {spread['pre-LN']:.1f} 倍以内")
direction = "越来越小" if no_res > 1 else "越来越大"
print(f"没有残差连接时，梯度在向下传的过程中{direction}：最后一层的梯度是第一层的 "
      f"{no_res:.1f} 倍。有残差连接时（post-LN），这个倍数是 {post:.2f}；把归一化移出残差路径后"
      f"（pre-LN），它是 {pre:.2f}：{evenly}。")""", of="be3fdcd86f")

NOAM_WHY = bi(r"""## 4. Warm-up: the learning-rate schedule

Adam divides each update by a running estimate of the gradient's size. In the first steps that estimate
rests on a handful of gradients, and a freshly initialised deep stack (post-LN especially: its gradients near
the output are the largest, as measured above) can take a few large, badly aimed steps from which it never
recovers. The paper's schedule begins with a **warm-up**: the learning rate grows linearly from almost 0 for
`warmup` steps, then decays as one over the square root of the step:

$$\mathrm{lr}(s) = D^{-0.5}\cdot\min\left(s^{-0.5},\; s\cdot \mathrm{warmup}^{-1.5}\right),\qquad s = 1, 2, \dots$$

The two branches meet at `s = warmup`, the peak. The factor `D^-0.5` gives wider models smaller steps. The
paper used `D` = 512 and `warmup` = 4000, and gives the schedule no name: "Noam" comes from code,
tensor2tensor's learning-rate schedule `"noam"` and the Annotated Transformer's `NoamOpt`, both named after
Noam Shazeer, one of the paper's authors.""",
              zh=r"""## 4. 预热：学习率调度

Adam 把每一次更新除以梯度大小的一个滑动估计。在最初几步，这个估计只建立在寥寥几个梯度之上；而刚初始化的深层
堆叠（尤其是 post-LN：正如上面测得的，它靠近输出的几层梯度最大）可能迈出几步又大又偏的更新，从此再也恢复不过来。
论文的调度以**预热**开头：在前 `warmup` 步中，学习率从几乎为 0 线性增长，之后按步数平方根的倒数衰减：

$$\mathrm{lr}(s) = D^{-0.5}\cdot\min\left(s^{-0.5},\; s\cdot \mathrm{warmup}^{-1.5}\right),\qquad s = 1, 2, \dots$$

两个分支在 `s = warmup` 处相交，那里就是峰值。因子 `D^-0.5` 让更宽的模型迈更小的步子。论文用的是 `D` = 512、
`warmup` = 4000，并没有给这个调度起名字：“Noam”这个名字来自代码，即 tensor2tensor 中名为 `"noam"` 的学习率调度
和 Annotated Transformer 的 `NoamOpt`，两者都得名于论文作者之一 Noam Shazeer。""", of="a7489b3cd4")

NOAM_TEXT = bi("""`step` (an int ≥ 1), `d_model`, `warmup`: return the learning rate as a Python float.""",
               zh="""`step`（一个 ≥ 1 的整数）、`d_model`、`warmup`：以 Python float 返回学习率。""", of="af3885ebe8")

NOAM_HINT = stages(
    idea=bi("""The rate follows the smaller of two curves, a linear ramp and an inverse square-root decay, scaled by
`d_model` to the power -0.5. The two cross at `step = warmup`, the peak.""",
            zh="""学习率取两条曲线中较小的那一条：一条线性上升，一条按平方根的倒数衰减，再乘以 `d_model` 的 -0.5 次方。两条曲线在 `step = warmup` 处相交，那里就是峰值。""",
            of="0171a5711b"),
    shapes=bi("""Plain numbers, no tensors: 1. the decay, `step` to the power -0.5; 2. the ramp, `step` times `warmup`
to the power -1.5; 3. the smaller of the two; 4. times `d_model` to the power -0.5. Return a Python float.""",
              zh="""只有普通的数，没有张量：1. 衰减项，`step` 的 -0.5 次方；2. 上升项，`step` 乘以 `warmup` 的 -1.5 次方；3. 取两者中较小的；4. 乘以 `d_model` 的 -0.5 次方。以 Python float 返回。""",
              of="e8be1c8174"),
    code=bi("""`d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)`. The smaller of the two branches is the ramp
while `step < warmup`, and the decay after.""",
               zh="""`d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)`。当 `step < warmup` 时，两个分支中较小的是线性
上升的那一支；之后较小的是衰减的那一支。""", of="3c3c4188fe"))

NOAM_PLOT = bi("""noam = yours_or_reference("noam_lr", noam_lr)
steps = range(1, 20001)
fig, ax = plt.subplots(figsize=(6.5, 3.2))
for d_model, warmup in ((512, 4000), (512, 8000), (256, 4000)):
    ax.plot(steps, [noam(s, d_model, warmup) for s in steps], label=f"d_model {d_model}, warmup {warmup}")
ax.set(xlabel="step", ylabel="learning rate", title="The schedule of 'Attention Is All You Need'")
ax.legend()
fig.tight_layout()
plt.show()
print(f"peak for d_model 512, warmup 4000: {noam(4000, 512, 4000):.2e} at step 4000")""",
               zh="""noam = yours_or_reference("noam_lr", noam_lr)
steps = range(1, 20001)
fig, ax = plt.subplots(figsize=(6.5, 3.2))
for d_model, warmup in ((512, 4000), (512, 8000), (256, 4000)):
    ax.plot(steps, [noam(s, d_model, warmup) for s in steps], label=f"d_model {d_model}，warmup {warmup}")
ax.set(xlabel="步数", ylabel="学习率", title="《Attention Is All You Need》的学习率调度")
ax.legend()
fig.tight_layout()
plt.show()
print(f"d_model 512、warmup 4000 时的峰值：{noam(4000, 512, 4000):.2e}，在第 4000 步")""", of="ea41d0562c")

WARM_WHY = bi(r"""### Measured: a deep post-LN stack with and without warm-up

We train the 12-layer post-LN stack of section 3 (your `EncoderLayer`) on the reversal task with Adam, 80
steps, at three peak learning rates, and repeat every run with **3 seeds** (each seed changes the initial
weights and the batches): a conclusion must hold for every seed shown, not for one lucky run. Two schedules
with the same peak and the same decay:

* **warm-up**: your `noam_lr`, rescaled so that its peak (at step 20) is the chosen learning rate;
* **no warm-up**: the peak from the first step, then the same `1/sqrt(step)` decay after step 20.

The model predicts one of **13 tokens** at every position: the 10 digits and the 3 markers of
`course_lib.data` (`PAD`, `BOS`, `EOS`), which share the vocabulary with the digits. Guessing uniformly over them
costs ln 13 ≈ 2.56 nats, about where the loss starts. A model that has learned nothing about the order, but
predicts the digits' frequencies, reaches ln 10 ≈ 2.30. We call a run *failed* when its final loss (the mean of
its last 10 steps) is above **2.2**, drawn as the red line on both plots (`claims.FAILED_LOSS`). A run above the
line whose curve is still falling has not learned *yet*, within these 80 steps; the cell says so.""",
              zh=r"""### 测量：有预热与无预热的深层 post-LN 堆叠

我们用 Adam 在倒序任务上训练第 3 节的 12 层 post-LN 堆叠（你的 `EncoderLayer`），训练 80 步，取三个峰值学习率，
每次运行都用 **3 个随机种子**重复（每个种子都会改变初始权重和批量）：结论必须对展示出的每个种子都成立，而不是
只对某一次走运的运行成立。两种调度的峰值相同，衰减也相同：

* **预热**：你的 `noam_lr`，经过缩放，使它的峰值（在第 20 步）等于所选的学习率；
* **无预热**：从第一步起就是峰值，第 20 步之后同样按 `1/sqrt(step)` 衰减。

模型在每个位置上从 **13 个词元**中预测一个：10 个数字，加上 `course_lib.data` 的 3 个标记（`PAD`、`BOS`、`EOS`），
它们和数字共用一个词表（vocabulary）。在它们之中均匀地猜，代价是 ln 13 ≈ 2.56 奈特（nats），损失大约就从这里开始。
一个对顺序一无所知、但会按数字出现的频率来预测的模型，能达到 ln 10 ≈ 2.30。当一次运行的最终损失（最后 10 步的
平均值）高于 **2.2** 时，我们称它*失败*；这条线在两幅图上都画成红线（`claims.FAILED_LOSS`）。一次运行若在线
之上、但曲线仍在下降，那它只是在这 80 步内*还没*学会；单元格会把这一点说出来。""", of="195e1ea4a0")

WARM_CODE = bi("""Layer = yours_or_reference("EncoderLayer", EncoderLayer)
noam = yours_or_reference("noam_lr", noam_lr)
config = experiments.StackConfig(depth=12, d_model=32, num_heads=4, d_ff=64)
lrs, seeds = experiments.WARMUP_LRS, experiments.WARMUP_SEEDS
steps, warmup = experiments.WARMUP_STEPS, experiments.WARMUP_WARMUP  # about 30 s on a laptop CPU
runs = experiments.warmup_experiment(config, lrs, seeds, Layer, noam, steps, warmup)
print(f"final training loss, {len(seeds)} seeds: " + ", ".join(str(s) for s in seeds))
print(f"{'peak lr':>8} | {'warm-up':>20} | {'no warm-up':>20}")
for lr in lrs:
    cells = [", ".join(f"{runs[s][0][label][lr]:.2f}" for s in seeds) for label in ("warm-up", "no warm-up")]
    print(f"{lr:>8g} | {cells[0]:>20} | {cells[1]:>20}")
shown = 5e-3 if 5e-3 in lrs else lrs[0]
fig = experiments.plot_warmup(runs, shown, title=f"12-layer post-LN stack, peak learning rate {shown:g}")
plt.show()""",
               zh="""Layer = yours_or_reference("EncoderLayer", EncoderLayer)
noam = yours_or_reference("noam_lr", noam_lr)
config = experiments.StackConfig(depth=12, d_model=32, num_heads=4, d_ff=64)
lrs, seeds = experiments.WARMUP_LRS, experiments.WARMUP_SEEDS
steps, warmup = experiments.WARMUP_STEPS, experiments.WARMUP_WARMUP  # 在笔记本电脑的 CPU 上约 30 秒
runs = experiments.warmup_experiment(config, lrs, seeds, Layer, noam, steps, warmup)
print(f"最终训练损失，{len(seeds)} 个种子：" + ", ".join(str(s) for s in seeds))
print(f"{'峰值 lr':>6} | {'预热':>18} | {'无预热':>17}")
for lr in lrs:
    cells = [", ".join(f"{runs[s][0][label][lr]:.2f}" for s in seeds) for label in ("warm-up", "no warm-up")]
    print(f"{lr:>8g} | {cells[0]:>20} | {cells[1]:>20}")
shown = 5e-3 if 5e-3 in lrs else lrs[0]
fig = experiments.plot_warmup(runs, shown, title=f"12 层 post-LN 堆叠，峰值学习率 {shown:g}")
plt.show()""", of="caaf9a88ef")

WARM_SUMMARY = bi("""# The interpretation, computed from the measurements above: each sentence holds for every seed shown.
warm_rows, warm_claim = experiments.warmup_claims(runs, steps, warmup)
for row in warm_rows:
    print(row)
print(warm_claim)""",
                  zh="""# 解读：由上面的测量结果计算得出，每句话对展示出的每个种子都成立。
warm_rows, warm_claim = experiments.warmup_claims(runs, steps, warmup)
for row in warm_rows:
    print(row)
print(warm_claim)""", of="8c888e1f65")

LS_WHY = bi(r"""## 5. Label smoothing

Cross-entropy against a one-hot target is lowest when the model gives the right class probability 1, which
a softmax only reaches as the logits go to infinity. The model keeps pushing its logits apart long after its
answers are right. **Label smoothing** (Szegedy et al., 2016; the Transformer used 0.1) trains against a
softer target: `1 - ε` on the true class, plus `ε` spread evenly over **all** `K` classes (the true one
included, as `F.cross_entropy(..., label_smoothing=ε)` defines it):

$$\mathrm{loss} = (1-\varepsilon)\,\bigl(-\log p_y\bigr) + \varepsilon\,\frac1K\sum_{k=1}^{K}\bigl(-\log p_k\bigr).$$

Now the best prediction is no longer infinitely confident. In sequence tasks some positions are padding:
their target is `ignore_index`, and they count for nothing, neither in the sum nor in the number of
positions the mean divides by.""",
            zh=r"""## 5. 标签平滑

以独热向量为目标的交叉熵（cross-entropy），在模型给正确类别的概率为 1 时最低，而 softmax 只有在 logits 趋于无穷
时才能达到这一点。于是，模型在答案早已正确之后，还会不停地把 logits 往两边推开。**标签平滑**（Szegedy 等，2016；
Transformer 用的是 0.1）用一个更柔和的目标来训练：真实类别上放 `1 - ε`，再把 `ε` 均匀地分到**全部** `K` 个类别上
（包括真实类别，与 `F.cross_entropy(..., label_smoothing=ε)` 的定义一致）：

$$\mathrm{loss} = (1-\varepsilon)\,\bigl(-\log p_y\bigr) + \varepsilon\,\frac1K\sum_{k=1}^{K}\bigl(-\log p_k\bigr).$$

这样一来，最佳预测就不再是无限自信的了。在序列任务中，有些位置是填充：它们的目标是 `ignore_index`，完全不算数，
既不计入求和，也不计入求平均时所除的位置数。""", of="8d811b54ea")

LS_TEXT = bi("""`logits` `(N, K)`, `target` `(N,)` of class indices, `smoothing` a float in `[0, 1]`. Return the mean loss over
the positions whose target is not `ignore_index` (all of them when `ignore_index` is None), a scalar tensor
equal to `F.cross_entropy(logits, target, label_smoothing=smoothing, ignore_index=...)`.""",
             zh="""`logits` 的形状为 `(N, K)`，`target` `(N,)` 是类别下标，`smoothing` 是 `[0, 1]` 中的浮点数。返回目标不等于
`ignore_index` 的那些位置上的平均损失（`ignore_index` 为 None 时就是全部位置），一个标量张量，等于
`F.cross_entropy(logits, target, label_smoothing=smoothing, ignore_index=...)`。""", of="64ea314510")

LS_HINT = stages(
    idea=bi("""The loss at one position mixes two terms of its log-probabilities: minus the true class's, weighted
`1 - smoothing`, and minus their mean over all `K` classes, weighted `smoothing`. Then average over the positions
that count: an ignored position is left out of the sum and of the count you divide by.""",
            zh="""一个位置上的损失混合了其对数概率的两项：真实类别的对数概率取负，权重为 `1 - smoothing`；全部 `K` 个类别的对数概率的均值取负，权重为 `smoothing`。然后在计入的位置上求平均：被忽略的位置既不计入求和，也不计入作除数的个数。""",
              of="689b90a5f3"),
    shapes=bi("""1. The log-softmax over the classes: `(N, K)`.
2. Which positions count: a boolean `(N,)`, all True when `ignore_index` is None.
3. The true class's log-probability, one per row, picked by index: `(N,)`. An ignored row may hold a target that
   is no class at all: give those rows class 0 first, so that indexing is legal; their loss is dropped anyway.
4. The mean of every row over the `K` classes: `(N,)`.
5. Combine the two terms into a loss per position, `(N,)`; sum it over the positions that count and divide by
   their number: a scalar tensor.""",
              zh="""1. 在类别维上做 log-softmax：`(N, K)`。
2. 哪些位置计入：一个布尔张量 `(N,)`，`ignore_index` 为 None 时全为 True。
3. 按下标取出每一行真实类别的对数概率：`(N,)`。被忽略的行的目标可能根本不是一个类别：先把这些行的类别设为 0，让索引合法；反正它们的损失之后会被丢掉。
4. 每一行在 `K` 个类别上的均值：`(N,)`。
5. 把两项合成每个位置的损失 `(N,)`；在计入的位置上求和，再除以这些位置的个数：得到一个标量张量。""",
              of="81a754680e"),
    code=bi("""`logp = torch.log_softmax(logits, dim=-1)`; `-logp.gather(-1, target[:, None])` is the true class's term and
`-logp.mean(dim=-1)` the uniform one. Positions with `target == ignore_index` must not index `gather` with an
invalid class: replace their target by 0 first (`masked_fill`), then drop their loss.""",
             zh="""`logp = torch.log_softmax(logits, dim=-1)`；`-logp.gather(-1, target[:, None])` 是真实类别那一项，
`-logp.mean(dim=-1)` 是均匀分布那一项。`target == ignore_index` 的位置不能拿无效的类别去索引 `gather`：先把它们的
目标替换为 0（`masked_fill`），再丢掉它们的损失。""", of="c5dcd7db4a"))

LS_DEMO = bi("""loss_fn = yours_or_reference("label_smoothed_cross_entropy", label_smoothed_cross_entropy)
torch.manual_seed(0)
logits, target = torch.randn(6, 5), torch.tensor([1, 0, 4, 0, 2, 3])  # class 0 plays the padding token
for eps, ignore in ((0.0, None), (0.1, None), (0.1, 0)):
    ours = loss_fn(logits, target, eps, ignore_index=ignore)
    theirs = F.cross_entropy(logits, target, label_smoothing=eps, ignore_index=-100 if ignore is None else ignore)
    print(f"smoothing {eps}, ignore_index {ignore}: the function above {ours.item():.5f}, "
          f"F.cross_entropy {theirs.item():.5f}")

# The best confidence: logits (c, 0, ..., 0) with the true class first, for a growing margin c (float64).
K, margins = 10, torch.linspace(0, 20, 401, dtype=torch.float64)
best_margin = {}
for eps in (0.0, 0.1):
    logits = F.pad(margins[:, None], (0, K - 1))  # (401, K): margin c, then K - 1 zeros
    losses = torch.stack([loss_fn(row[None], torch.tensor([0]), eps) for row in logits])  # one position each
    best = best_margin[eps] = margins[losses.argmin()].item()
    p_true = torch.softmax(logits[losses.argmin()], -1)[0].item()
    if best == margins[-1].item():
        where = "at the end of the range: it keeps falling as the margin grows"
    else:
        where = f"at margin {best:.2f} (p of the true class {p_true:.3f}); beyond it the loss rises again"
    print(f"smoothing {eps}: loss at margin 5 {losses[100].item():.4f}, at 20 {losses[-1].item():.2e}; lowest {where}")""",
             zh="""loss_fn = yours_or_reference("label_smoothed_cross_entropy", label_smoothed_cross_entropy)
torch.manual_seed(0)
logits, target = torch.randn(6, 5), torch.tensor([1, 0, 4, 0, 2, 3])  # 类别 0 扮演填充词元
for eps, ignore in ((0.0, None), (0.1, None), (0.1, 0)):
    ours = loss_fn(logits, target, eps, ignore_index=ignore)
    theirs = F.cross_entropy(logits, target, label_smoothing=eps, ignore_index=-100 if ignore is None else ignore)
    print(f"平滑 {eps}，ignore_index {ignore}：上面的函数 {ours.item():.5f}，"
          f"F.cross_entropy {theirs.item():.5f}")

# 最佳的自信程度：logits 为 (c, 0, ..., 0)，真实类别排在第一位，间隔 c 逐渐增大（float64）。
K, margins = 10, torch.linspace(0, 20, 401, dtype=torch.float64)
best_margin = {}
for eps in (0.0, 0.1):
    logits = F.pad(margins[:, None], (0, K - 1))  # (401, K)：间隔 c，后面跟 K - 1 个 0
    losses = torch.stack([loss_fn(row[None], torch.tensor([0]), eps) for row in logits])  # 每行一个位置
    best = best_margin[eps] = margins[losses.argmin()].item()
    p_true = torch.softmax(logits[losses.argmin()], -1)[0].item()
    if best == margins[-1].item():
        where = "在范围的末端：随着间隔增大，损失一直在下降"
    else:
        where = f"在间隔 {best:.2f} 处（真实类别的概率为 {p_true:.3f}）；超过它，损失又会上升"
    print(f"平滑 {eps}：间隔为 5 时损失 {losses[100].item():.4f}，为 20 时 {losses[-1].item():.2e}；最低点{where}")""",
             of="464d4f0e44")

RECAP = bi("""# What was measured, computed from the cells above.
print(f"Layer norm: over {depth} residual blocks of the FeedForward that ran, the stream's rms grew "
      f"{growth['no norm']:.2f}x without a norm and {growth['pre-LN']:.2f}x with pre-LN; with post-LN it stayed "
      f"at {scales['post-LN'][-1]:.2f}.")
print(f"The EncoderLayer that ran and torch.nn.TransformerEncoderLayer, same weights, both placements: greatest "
      f"difference {torch_difference:.1e}.")
print(f"Gradient at initialisation, last layer over first, {config.depth} layers: "
      f"{ratio['post-LN, no residuals']:.1f}x without residuals, {ratio['post-LN']:.2f}x post-LN, "
      f"{ratio['pre-LN']:.2f}x pre-LN.")
print(f"Warm-up, 12-layer post-LN stack, {len(seeds)} seeds: {warm_claim}")
plain = ("still falls at margin 20, the end of the range" if best_margin[0.0] == 20.0
         else f"is lowest at margin {best_margin[0.0]:.2f}")
print(f"Label smoothing 0.1: the loss is lowest at margin {best_margin[0.1]:.2f}; without smoothing it {plain}.")""",
           zh="""# 测得了什么：由上面各单元格的结果计算得出。
print(f"层归一化：经过实际运行的 FeedForward 的 {depth} 个残差块，残差流的均方根在无归一化时增长了 "
      f"{growth['no norm']:.2f} 倍，在 pre-LN 时增长了 {growth['pre-LN']:.2f} 倍；在 post-LN 时保持"
      f"在 {scales['post-LN'][-1]:.2f}。")
print(f"实际运行的 EncoderLayer 与 torch.nn.TransformerEncoderLayer，同样的权重，两种放置方式："
      f"最大差异 {torch_difference:.1e}。")
print(f"初始化时的梯度，最后一层与第一层之比，{config.depth} 层："
      f"无残差 {ratio['post-LN, no residuals']:.1f} 倍，post-LN {ratio['post-LN']:.2f} 倍，"
      f"pre-LN {ratio['pre-LN']:.2f} 倍。")
print(f"预热，12 层 post-LN 堆叠，{len(seeds)} 个种子：{warm_claim}")
plain = ("在间隔 20（范围的末端）处仍在下降" if best_margin[0.0] == 20.0
         else f"在间隔 {best_margin[0.0]:.2f} 处最低")
print(f"标签平滑 0.1：损失在间隔 {best_margin[0.1]:.2f} 处最低；不做平滑时，损失{plain}。")""", of="d5da472990")

SUMMARY = bi("""## Summary

* `layer_norm` normalises every position's feature vector on its own, over the last dimension, with the biased
  variance and `ϵ` inside the square root; `gamma` and `beta` give back a learned scale and offset. In a stack
  it fixes the scale of the residual stream (post-LN) or of what enters each block (pre-LN).
* `FeedForward` is a two-layer network applied to every position alone: widen, ReLU, narrow.
* `EncoderLayer` wraps self-attention and the feed-forward block in residual connections and layer norms, in
  either placement; with the same weights it is torch's `TransformerEncoderLayer`. The residual connections
  carry the gradient down a deep stack; moving the norm off the residual path (pre-LN) evens it out across
  the layers.
* `noam_lr` ramps the learning rate up for `warmup` steps, then decays it as `1/sqrt(step)`. The warm-up keeps a
  freshly initialised post-LN stack from taking large early steps; the warm-up cell says, for every seed shown,
  at which peak learning rates that decided whether the stack learned, and where it only cost time.
* `label_smoothed_cross_entropy` trains against a target with `ε` spread over all classes, so the best
  prediction is confident but finite.

**In the paper** ("Attention Is All You Need", Vaswani et al., 2017). `EncoderLayer` with `norm_first=False` is
one layer of the encoder stack of section 3.1 (Encoder and Decoder Stacks): two sublayers, each wrapped as
$\\mathrm{LayerNorm}(x + \\mathrm{Sublayer}(x))$, the residual connection of He et al. (2016) and the layer norm
of Ba et al. (2016), stacked `N = 6` times at `d_model = 512`. `FeedForward` is section 3.3 (Position-wise
Feed-Forward Networks), $\\max(0, xW_1 + b_1)W_2 + b_2$ with `d_ff = 2048`. `noam_lr` is the schedule of section
5.3 (Optimizer), used with Adam ($\\beta_1 = 0.9$, $\\beta_2 = 0.98$, $\\epsilon = 10^{-9}$) and `warmup_steps = 4000`.
`label_smoothed_cross_entropy` is the label smoothing of section 5.4 (Regularization), with $\\epsilon_{ls} = 0.1$,
which the paper says hurts perplexity but improves accuracy and BLEU; the same section applies dropout of 0.1
to each sublayer's output before the residual sum (the `dropout` argument of your layers). The pre-LN
placement is not the paper's: Xiong et al. (2020, "On Layer Normalization in the Transformer Architecture")
analysed it, and GPT-2 and most later models use it.

The cell below gathers the numbers behind each claim, as the cells above measured them with your code.

**Next:** notebook 08 stacks your `EncoderLayer` with a decoder into the whole encoder-decoder Transformer and
trains it on a toy task.""",
             zh="""## 小结

* `layer_norm` 对每个位置的特征向量单独归一化：在最后一个维度上，用有偏方差，`ϵ` 放在平方根里面；`gamma` 和
  `beta` 再还回一个可学习的尺度和偏移。在堆叠中，它固定残差流的尺度（post-LN），或固定进入每个块的内容的尺度
  （pre-LN）。
* `FeedForward` 是一个对每个位置单独施加的两层网络：加宽，ReLU，收窄。
* `EncoderLayer` 把自注意力和前馈块包在残差连接和层归一化里，两种放置方式都行；在同样的权重下，它就是 torch 的
  `TransformerEncoderLayer`。残差连接把梯度一路带到深层堆叠的底部；把归一化移出残差路径（pre-LN）让梯度在各层
  之间更均匀。
* `noam_lr` 在前 `warmup` 步把学习率升上去，之后按 `1/sqrt(step)` 衰减。预热让刚初始化的 post-LN 堆叠不至于在
  早期迈出大步；预热单元格对展示出的每个种子都说明：在哪些峰值学习率下，预热决定了堆叠能否学会，又在哪些峰值
  下它只是多花了时间。
* `label_smoothed_cross_entropy` 以一个把 `ε` 分到所有类别上的目标来训练，因此最佳预测是自信的，但有限度。

**对应论文**（"Attention Is All You Need"，Vaswani 等，2017）。`norm_first=False` 的 `EncoderLayer` 就是第 3.1 节（Encoder and Decoder Stacks）中编码器堆叠的一层：两个子层，每个都包成 $\\mathrm{LayerNorm}(x + \\mathrm{Sublayer}(x))$，即 He 等（2016）的残差连接加上 Ba 等（2016）的层归一化，在 `d_model = 512` 下堆叠 `N = 6` 次。`FeedForward` 就是第 3.3 节（Position-wise Feed-Forward Networks）的 $\\max(0, xW_1 + b_1)W_2 + b_2$，`d_ff = 2048`。`noam_lr` 是第 5.3 节（Optimizer）的学习率调度，与 Adam 优化器（optimizer）一起使用（$\\beta_1 = 0.9$、$\\beta_2 = 0.98$、$\\epsilon = 10^{-9}$），`warmup_steps = 4000`。`label_smoothed_cross_entropy` 是第 5.4 节（Regularization）的标签平滑，$\\epsilon_{ls} = 0.1$；论文指出它会让困惑度变差，但能提高准确率和 BLEU。同一节还在每个子层的输出加到残差上之前施加 0.1 的暂退法（dropout），即你的各层的 `dropout` 参数。pre-LN 的放置方式不是论文里的：Xiong 等（2020，"On Layer Normalization in the Transformer Architecture"）分析了它，GPT-2 和此后的大多数模型都采用它。

下面的单元格汇总了每条结论背后的数字，它们都是上面的单元格用你的代码测得的。

**下一步：** 笔记本 08 把你的 `EncoderLayer` 和解码器（decoder）堆叠在一起，组成完整的编码器-解码器
（encoder-decoder）Transformer，并在一个玩具任务上训练它。""", of="a24afd685f")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(LN_WHY),
        *exercise(1, ref.layer_norm, points=2, seed=7101, difficulty=2, importance=5, minutes=10,
                  text=LN_TEXT, hint=LN_HINT,
                  final_assert="assert torch.allclose(layer_norm(torch.tensor([[1.0, 3.0]]), torch.ones(2), "
                               "torch.zeros(2)), torch.tensor([[-1.0, 1.0]]), atol=1e-3), "
                               "\"each vector: mean 0, variance 1 (每个向量：均值 0，方差 1)\""),
        code(LN_DEMO),
        markdown(FFN_WHY),
        *exercise(2, ref.FeedForward, points=2, seed=7203, difficulty=1, importance=4, minutes=5,
                  text=FFN_TEXT, hint=FFN_HINT,
                  final_assert="assert FeedForward(8, 32)(torch.zeros(2, 3, 8)).shape == (2, 3, 8), "
                               "\"the block maps (B, T, D) to (B, T, D) (这个块把 (B, T, D) 映射为 (B, T, D))\""),
        markdown(ENC_WHY),
        *exercise(3, ref.EncoderLayer, points=4, seed=7307, difficulty=3, importance=5, minutes=20,
                  text=ENC_TEXT, hint=ENC_HINT,
                  final_assert="assert EncoderLayer(8, 2, 16, norm_first=True)(torch.zeros(2, 3, 8)).shape == "
                               "(2, 3, 8), \"the layer maps (B, T, D) to (B, T, D) (这个层把 (B, T, D) 映射为 "
                               "(B, T, D))\""),
        markdown(TORCH_WHY),
        code(TORCH_CODE),
        markdown(SCALE_WHY),
        *question("07.pre_ln"),
        code(SCALE_CODE),
        answer("07.pre_ln", "scales=scales"),
        code(SCALE_SUMMARY),
        markdown(GRAD_WHY),
        *question("07.layer_one"),
        code(GRAD_CODE),
        answer("07.layer_one", "norms=norms"),
        code(GRAD_SUMMARY),
        markdown(NOAM_WHY),
        *exercise(4, ref.noam_lr, points=2, seed=7411, difficulty=1, importance=3, minutes=5,
                  text=NOAM_TEXT, hint=NOAM_HINT,
                  final_assert="assert abs(noam_lr(4000, 512, 4000) - 512 ** -0.5 * 4000 ** -0.5) < 1e-12, "
                               "\"the peak is at step == warmup (峰值在 step == warmup 处)\""),
        code(NOAM_PLOT),
        markdown(WARM_WHY),
        code(WARM_CODE),
        code(WARM_SUMMARY),
        markdown(LS_WHY),
        *exercise(5, ref.label_smoothed_cross_entropy, points=3, seed=7523, difficulty=3, importance=3,
                  minutes=15, text=LS_TEXT, hint=LS_HINT,
                  final_assert="assert abs(label_smoothed_cross_entropy(torch.zeros(2, 4), torch.tensor([0, 3]), "
                               "0.1).item() - math.log(4)) < 1e-5, \"uniform logits cost log K (logits 全相等时损失为 "
                               "log K)\""),
        code(LS_DEMO),
        markdown(SUMMARY),
        code(RECAP),
    ], title=TITLE)
