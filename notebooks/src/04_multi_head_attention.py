"""Notebook 04: multi-head attention, several attentions side by side, each on its own slice of the features."""
from author import bi, code, exercise, language_cell, locked_code, markdown, notebook

from course_lib.solutions import multi_head_attention as ref

TITLE = bi("""04 Multi-head attention""", zh="""04 多头注意力""", of="4fdeb80472")

INTRO = bi("""# 04 · Multi-head attention: several heads look at different aspects

**What you build:** `split_heads`, `merge_heads`, `MultiHeadAttention`.
**What you measure:** that your module computes exactly what `torch.nn.MultiheadAttention` computes; that the
heads of a small trained model attend to different positions; what several heads cost compared with one.
**Time:** about 60 minutes.

In notebook 03 every query produced **one** set of weights over the keys, one softmax, and read **one**
weighted average of the values. That is a limit. A word may need its verb, which is near, and the subject of
the sentence, which is far; one softmax has to split its weight between them, and the average it reads blurs
the two together.

Multi-head attention runs several attentions side by side. The projected queries, keys and values of width
`D` are cut into `h` slices of width `d = D / h`; each slice (a **head**) does its own scaled dot-product
attention, with its own weights over the keys; the heads' outputs are put side by side again and mixed by one
more linear map, `w_o`. The work is the same as one attention of width `D`; what changes is that there are
`h` softmaxes per query instead of one.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | sequence length; `Tq`, `Tk` the number of queries and of keys (both `T` in self-attention) |
| `D` | model width, `d_model` |
| `h` | number of heads, `num_heads` |
| `d` | width of one head, `d_head = D / h` |

Run the set-up cells first: the language cell, then the set-up cell. Every exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.""",
           zh="""# 04 · 多头注意力：几个头关注不同的方面

**你要实现：** `split_heads`、`merge_heads`、`MultiHeadAttention`。
**你要测量：** 你的模块与 `torch.nn.MultiheadAttention` 计算的完全相同；一个训练好的小模型的各个头注意不同的位置；
多个头与一个头相比要付出什么代价。
**时间：** 约 60 分钟。

在笔记本 03 中，每个查询（query）在键（key）上只产生**一组**权重，只有一个 softmax，读取的是值（value）的**一个**
加权平均。这是一个局限。一个词可能既需要它的动词（离得近），又需要句子的主语（离得远）；一个 softmax 只能把权重在这两者
之间分配，读到的平均又把两者混在了一起。

多头注意力（multi-head attention）把多个注意力（attention）并排运行。投影后宽度为 `D` 的查询、键和值被切成 `h` 段，
每段宽 `d = D / h`；每一段（一个**头**，head）各自做缩放点积注意力（scaled dot-product attention），对键有自己的一组
权重；各个头的输出再并排拼接起来，由另一个线性映射 `w_o` 混合。计算量与一个宽度为 `D` 的注意力相同；变化在于每个查询
有 `h` 个 softmax，而不是一个。

**本笔记本使用的形状**

| 符号 | 含义 |
|---|---|
| `B` | 批量（batch）大小 |
| `T` | 序列（sequence）长度；`Tq`、`Tk` 为查询的个数和键的个数（在自注意力中都是 `T`） |
| `D` | 模型宽度，`d_model` |
| `h` | 头的个数，`num_heads` |
| `d` | 一个头的宽度，`d_head = D / h` |

先运行两个设置单元格：先运行语言单元格，再运行设置单元格。每个练习后面都跟着一个检查单元格：它在远不到两秒内给出
回答，要么是一行绿色的通过信息，要么是一条消息，指出它认出的错误。""", of="8fa695c5c8")

SETUP = """# Set-up: imports, the course's checks, your attention from notebook 03, fixed seeds.
# 设置：导入、课程的检查、你在笔记本 03 中写的注意力、固定的随机种子。
import os

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib.checks import check_merge_heads, check_multi_head_attention, check_split_heads

# your code if it passes its check, else the reference / 通过检查就用你的代码，否则用参考实现
from course_lib.experiments import yours_or_reference
from course_lib.experiments.multi_head_attention import (
    ToyConfig,
    attention_costs,
    evaluate_two_relations,
    plot_head_maps,
    train_two_relations,
)

# you built it in notebook 03 / 你在笔记本 03 中实现了它
from course_lib.handouts import scaled_dot_product_attention

torch.manual_seed(0)
# the grader shrinks the experiments, not the exercises / 评分程序缩小实验规模，不缩小练习
GRADING = "NBGRADER_EXECUTION" in os.environ"""

SPLIT_WHY = bi("""## 1. Splitting the features into heads

We never build `h` separate query projections. One `nn.Linear(D, D)` computes all heads' queries at once:
its output, of width `D = h·d`, holds head 0's query in features `0 .. d-1`, head 1's in `d .. 2d-1`, and so
on. The same goes for keys and values. To let every head attend on its own, give the heads their own axis:

`(B, T, h·d)` → view as `(B, T, h, d)` → transpose to `(B, h, T, d)`.

Now the head axis sits with the batch axis, and `scaled_dot_product_attention` from notebook 03, which
accepts any leading dimensions, runs all heads at once: `(B, h, Tq, d) x (B, h, d, Tk) -> (B, h, Tq, Tk)`.

The transpose is the step people skip. `x.reshape(B, h, T, d)` has the right shape, but its "head 0" holds
the first `T·d` numbers of the sequence, that is the whole feature vectors of the first few positions: the
heads would mix positions, and attention would be computed between pieces of different tokens.""",
               zh="""## 1. 把特征切分成头

我们从不构建 `h` 个单独的查询投影。一个 `nn.Linear(D, D)` 一次算出所有头的查询：它的输出宽度为 `D = h·d`，特征
`0 .. d-1` 是头 0 的查询，`d .. 2d-1` 是头 1 的，依此类推。键和值也一样。为了让每个头各自做注意力，要给头一个
自己的轴：

`(B, T, h·d)` → 用 view 看成 `(B, T, h, d)` → 转置为 `(B, h, T, d)`。

现在头的轴和批量轴排在一起，而笔记本 03 的 `scaled_dot_product_attention` 接受任意个前导维度，于是它一次就能在所有
头上运行：`(B, h, Tq, d) x (B, h, d, Tk) -> (B, h, Tq, Tk)`。

转置是人们常常跳过的一步。`x.reshape(B, h, T, d)` 的形状没错，但它的“头 0”装的是序列的前 `T·d` 个数，也就是前几个
位置的完整特征向量：各个头会把不同的位置混在一起，注意力将在不同词元（token）的碎片之间计算。""", of="75216e3e56")

SPLIT_TEXT = bi("""`x` has shape `(B, T, h·d)`, `num_heads` is `h` (it divides the last dimension). Return shape `(B, h, T, d)`,
where head `i` holds features `i·d .. (i+1)·d - 1` of every position: `result[b, i, t] == x[b, t, i*d:(i+1)*d]`.""",
                zh="""`x` 的形状为 `(B, T, h·d)`，`num_heads` 就是 `h`（它能整除最后一个维度）。返回形状 `(B, h, T, d)`，
其中头 `i` 装的是每个位置的特征 `i·d .. (i+1)·d - 1`：`result[b, i, t] == x[b, t, i*d:(i+1)*d]`。""", of="209f75bd52")

SPLIT_HINT = bi("""`x.view(B, T, num_heads, d)` cuts the last axis into consecutive slices; `.transpose(1, 2)` then swaps the `T`
and `h` axes.""",
                zh="""`x.view(B, T, num_heads, d)` 把最后一个轴切成连续的几段；然后 `.transpose(1, 2)` 交换 `T` 轴和 `h` 轴。""", of="96e9b133f5")

MERGE_TEXT = bi("""The inverse of `split_heads`: `x` has shape `(B, h, T, d)`; return `(B, T, h·d)` with head `i`'s features back in
positions `i·d .. (i+1)·d - 1`, so that `merge_heads(split_heads(x, h))` equals `x`.""",
                zh="""`split_heads` 的逆运算：`x` 的形状为 `(B, h, T, d)`；返回 `(B, T, h·d)`，头 `i` 的特征回到位置
`i·d .. (i+1)·d - 1`，使得 `merge_heads(split_heads(x, h))` 等于 `x`。""", of="091d550d4e")

MERGE_HINT = bi("""Transpose back to `(B, T, h, d)`, then flatten the last two axes. After a transpose the tensor is no longer
contiguous in memory, so `.view(...)` refuses; `.reshape(...)` (or `.contiguous().view(...)`) works.""",
                zh="""先转置回 `(B, T, h, d)`，再把最后两个轴展平。转置之后，张量在内存中不再连续，所以 `.view(...)` 会拒绝
执行；`.reshape(...)`（或 `.contiguous().view(...)`）可以。""", of="f679632f7e")

SPLIT_DEMO = bi("""# Features numbered 0..11 at two positions, cut into 3 heads of width 4.
split = yours_or_reference("split_heads", split_heads)
merge = yours_or_reference("merge_heads", merge_heads)
x = torch.arange(24.0).view(1, 2, 12)  # (B=1, T=2, D=12): position 0 holds 0..11, position 1 holds 12..23
heads = split(x, 3)  # (1, 3, 2, 4)
for i in range(3):
    print(f"head {i}:", heads[0, i].tolist())
print("merge_heads(split_heads(x)) == x:", torch.equal(merge(heads), x))""",
                zh="""# 两个位置，每个位置的特征依次编号，切成 3 个宽度为 4 的头。
split = yours_or_reference("split_heads", split_heads)
merge = yours_or_reference("merge_heads", merge_heads)
x = torch.arange(24.0).view(1, 2, 12)  # (B=1, T=2, D=12)：位置 0 装 0..11，位置 1 装 12..23
heads = split(x, 3)  # (1, 3, 2, 4)
for i in range(3):
    print(f"头 {i}：", heads[0, i].tolist())
print("merge_heads(split_heads(x)) == x：", torch.equal(merge(heads), x))""", of="b35d992303")

MHA_WHY = bi("""## 2. Multi-head attention

With the two helpers the module is short:

1. project: `q = w_q(query)`, `k = w_k(key)`, `v = w_v(value)`, each `nn.Linear(D, D)`;
2. split each into heads: `(B, T, D) -> (B, h, T, d)`;
3. attend in every head at once with `scaled_dot_product_attention(q, k, v, mask)`: output `(B, h, Tq, d)`,
   weights `(B, h, Tq, Tk)`; the scores are divided by $\\sqrt{d}$, the width of a head;
4. merge the heads: `(B, h, Tq, d) -> (B, Tq, D)`;
5. mix them with the output projection: `w_o(merged)`.

`query` and `key`/`value` may be different sequences (**cross-attention**, as when a decoder reads an
encoder): `Tq` and `Tk` then differ. In self-attention the same tensor is passed three times.

**Masks.** The mask follows the course's convention, `True` where attention is allowed, and it is passed on
unchanged: it broadcasts against the weights `(B, h, Tq, Tk)`. A padding mask of shape `(B, 1, 1, Tk)` hides
the same keys from every head and query; a causal mask `(Tq, Tk)` works as it is.

**Dropout** (the encoder and decoder layers of notebooks 07 and 08 are built on this module and hand it their
`dropout`) drops attention weights at random, as
`nn.MultiheadAttention` does; in `eval()` mode it does nothing. The check compares your module in `eval()`, then
in `train()` with dropout on, where it tells dropout on the weights from dropout on the output.""",
             zh="""## 2. 多头注意力

有了这两个辅助函数，模块就很短了：

1. 投影：`q = w_q(query)`、`k = w_k(key)`、`v = w_v(value)`，每个都是 `nn.Linear(D, D)`；
2. 把每一个切分成头：`(B, T, D) -> (B, h, T, d)`；
3. 用 `scaled_dot_product_attention(q, k, v, mask)` 在所有头上同时做注意力：输出 `(B, h, Tq, d)`，
   权重 `(B, h, Tq, Tk)`；分数除以的是 $\\sqrt{d}$，即一个头的宽度；
4. 合并各个头：`(B, h, Tq, d) -> (B, Tq, D)`；
5. 用输出投影把它们混合：`w_o(merged)`。

`query` 与 `key`/`value` 可以是不同的序列（**交叉注意力**，cross-attention，例如解码器（decoder）读取编码器
（encoder）的输出时）：这时 `Tq` 与 `Tk` 不同。在自注意力（self-attention）中，同一个张量被传入三次。

**掩码。** 掩码（mask）遵循本课程的约定，在允许注意的位置为 `True`，并且原样往下传：它与权重 `(B, h, Tq, Tk)` 广播。
形状为 `(B, 1, 1, Tk)` 的填充掩码（padding mask）对每个头、每个查询屏蔽同样的键；形状为 `(Tq, Tk)` 的因果掩码
（causal mask）可以直接使用。

**暂退法（dropout）**（笔记本 07 和 08 的编码器层和解码器层都建立在这个模块之上，并把它们的 `dropout` 交给它）随机
丢弃注意力权重（attention weights），与 `nn.MultiheadAttention` 的做法相同；在 `eval()` 模式下它什么也不做。检查先在
`eval()` 模式下比较你的模块，再在开启 dropout 的 `train()` 模式下比较，分辨出 dropout 是作用在权重上还是输出上。""", of="5e1b443162")

MHA_TEXT = bi("""`__init__(d_model, num_heads, dropout=0.0)`: call `super().__init__()`; keep `num_heads`; create four
`nn.Linear(d_model, d_model)` (with bias, the default) named **`w_q`, `w_k`, `w_v`, `w_o`**, and an
`nn.Dropout(dropout)`.

`forward(query, key, value, mask=None)`: `query` `(B, Tq, D)`, `key` and `value` `(B, Tk, D)`; return
`(output, weights)` with `output` `(B, Tq, D)` and `weights` `(B, h, Tq, Tk)`, every head's own map (not averaged).

Use your `split_heads` and `merge_heads` from above (their checks should pass first: a slip there shows up
here too) and `scaled_dot_product_attention`, imported in the set-up cell (it is notebook 03's). The check
builds `MultiHeadAttention(12, 3)`, loads its own weights into `w_q`, `w_k`, `w_v`, `w_o` (so the names
matter, and your initialisation does not), calls `eval()` and compares; then it checks in `train()` that the
dropout falls on the attention weights (`weights = self.dropout(weights)` before `weights @ v`).""",
              zh="""`__init__(d_model, num_heads, dropout=0.0)`：调用 `super().__init__()`；保存 `num_heads`；创建四个
`nn.Linear(d_model, d_model)`（带偏置，即默认设置），分别命名为 **`w_q`、`w_k`、`w_v`、`w_o`**，以及一个
`nn.Dropout(dropout)`。

`forward(query, key, value, mask=None)`：`query` 为 `(B, Tq, D)`，`key` 和 `value` 为 `(B, Tk, D)`；返回
`(output, weights)`，其中 `output` 为 `(B, Tq, D)`，`weights` 为 `(B, h, Tq, Tk)`，是每个头自己的注意力图（不取平均）。

使用上面你自己写的 `split_heads` 和 `merge_heads`（应当先让它们通过检查：那里的错误在这里也会显现），以及在设置单元格
中导入的 `scaled_dot_product_attention`（它就是笔记本 03 的那个）。检查会构建 `MultiHeadAttention(12, 3)`，把它自己的
参数（parameter）加载到 `w_q`、`w_k`、`w_v`、`w_o` 中（所以名字很重要，而你的初始化无关紧要），调用 `eval()`，再作比较；
然后在 `train()` 模式下检查 dropout 是否作用在注意力权重上（先 `weights = self.dropout(weights)`，再 `weights @ v`）。""", of="de13afe109")

MHA_HINT = bi("""```python
q = split_heads(self.w_q(query), self.num_heads)  # (B, Tq, D) -> (B, h, Tq, d)
```
and the same for `k` and `v`. `scaled_dot_product_attention` already divides by `sqrt(d)`: do not scale again.
For dropout: `if self.training and self.dropout.p > 0:` drop `weights` and recompute `out = weights @ v`.""",
              zh="""```python
q = split_heads(self.w_q(query), self.num_heads)  # (B, Tq, D) -> (B, h, Tq, d)
```
`k` 和 `v` 同理。`scaled_dot_product_attention` 已经除以了 `sqrt(d)`：不要再缩放一次。
dropout 的做法：`if self.training and self.dropout.p > 0:` 时对 `weights` 做 dropout，再重新计算 `out = weights @ v`。""", of="738e37ad2f")

MHA_DEMO = bi("""# Self-attention and cross-attention with your module: the shapes.
Attention = yours_or_reference("MultiHeadAttention", MultiHeadAttention)
torch.manual_seed(0)
mha = Attention(d_model=12, num_heads=3).eval()
x = torch.randn(2, 5, 12)  # (B, T, D)
memory = torch.randn(2, 7, 12)  # (B, Tk, D): another sequence, e.g. an encoder's output
out, weights = mha(x, x, x)
print("self-attention:  output", tuple(out.shape), "weights", tuple(weights.shape))
out, weights = mha(x, memory, memory)
print("cross-attention: output", tuple(out.shape), "weights", tuple(weights.shape))""",
              zh="""# 用你的模块做自注意力和交叉注意力：看看形状。
Attention = yours_or_reference("MultiHeadAttention", MultiHeadAttention)
torch.manual_seed(0)
mha = Attention(d_model=12, num_heads=3).eval()
x = torch.randn(2, 5, 12)  # (B, T, D)
memory = torch.randn(2, 7, 12)  # (B, Tk, D)：另一个序列，例如编码器的输出
out, weights = mha(x, x, x)
print("自注意力：  输出", tuple(out.shape), "权重", tuple(weights.shape))
out, weights = mha(x, memory, memory)
print("交叉注意力：输出", tuple(out.shape), "权重", tuple(weights.shape))""", of="2c9a8d28bf")

TORCH_WHY = bi("""## 3. Measured: the same function as `torch.nn.MultiheadAttention`

PyTorch's module keeps the three input projections in one matrix, `in_proj_weight` of shape `(3D, D)`:
the query rows first, then the key rows, then the value rows; `out_proj` is our `w_o`. It splits the heads
the same way (head `i` takes features `i·d .. (i+1)·d - 1`). So with the same weights the two modules should
agree to rounding error. The module measured here, and in sections 4 and 5, is yours, or the reference while
yours does not pass its check (the cell says which).

One trap: PyTorch's **boolean** masks mean the opposite of ours. For `key_padding_mask` and `attn_mask`,
`True` means "do not attend". We pass `~mask`. And `average_attn_weights=False` asks for every head's map,
`(B, h, Tq, Tk)`, instead of their average.""",
               zh="""## 3. 测量：与 `torch.nn.MultiheadAttention` 是同一个函数

PyTorch 的模块把三个输入投影存放在一个矩阵里，即形状为 `(3D, D)` 的 `in_proj_weight`：先是查询的各行，然后是键的各行，
最后是值的各行；`out_proj` 就是我们的 `w_o`。它切分头的方式也相同（头 `i` 取特征 `i·d .. (i+1)·d - 1`）。所以在权重
相同时，两个模块的结果应当只差舍入误差。这里以及第 4、5 节测量的模块是你的实现，如果你的还没通过检查，就用参考实现
（单元格会说明用的是哪一个）。

有一个陷阱：PyTorch 的**布尔**掩码含义与我们的相反。对 `key_padding_mask` 和 `attn_mask` 来说，`True` 表示“不要注意”。
所以我们传入 `~mask`。另外，`average_attn_weights=False` 要求返回每个头各自的注意力图 `(B, h, Tq, Tk)`，而不是它们的
平均。""", of="c81045fa2f")

TORCH_CODE = bi("""Attention = yours_or_reference("MultiHeadAttention", MultiHeadAttention)
torch.manual_seed(0)
D, h = 16, 4
ours = Attention(D, h).eval()
theirs = nn.MultiheadAttention(D, h, batch_first=True).eval()
with torch.no_grad():  # give PyTorch's module our weights
    theirs.in_proj_weight.copy_(torch.cat([ours.w_q.weight, ours.w_k.weight, ours.w_v.weight]))  # (3D, D)
    theirs.in_proj_bias.copy_(torch.cat([ours.w_q.bias, ours.w_k.bias, ours.w_v.bias]))  # (3D,)
    theirs.out_proj.weight.copy_(ours.w_o.weight)
    theirs.out_proj.bias.copy_(ours.w_o.bias)

query, memory = torch.randn(3, 4, D), torch.randn(3, 6, D)  # (B, Tq, D), (B, Tk, D)
real = torch.arange(6)[None, :] < torch.tensor([6, 3, 1])[:, None]  # (B, Tk): True at real keys, ours
with torch.no_grad():
    out_ours, w_ours = ours(query, memory, memory, mask=real[:, None, None, :])  # mask (B, 1, 1, Tk)
    out_theirs, w_theirs = theirs(query, memory, memory, key_padding_mask=~real,  # True = ignore, PyTorch's
                                  average_attn_weights=False)
agreement = {"padding": ((out_ours - out_theirs).abs().max().item(), (w_ours - w_theirs).abs().max().item())}
print("cross-attention with padding: output", tuple(out_ours.shape), "weights", tuple(w_ours.shape))
print(f"  greatest difference, output:  {agreement['padding'][0]:.2e}")
print(f"  greatest difference, weights: {agreement['padding'][1]:.2e}")

causal = torch.ones(4, 4, dtype=torch.bool).tril()  # (T, T), True = may attend, ours
with torch.no_grad():
    out_ours, w_ours = ours(query, query, query, mask=causal)
    out_theirs, w_theirs = theirs(query, query, query, attn_mask=~causal, average_attn_weights=False)
agreement["causal"] = ((out_ours - out_theirs).abs().max().item(), (w_ours - w_theirs).abs().max().item())
print("causal self-attention:")
print(f"  greatest difference, output:  {agreement['causal'][0]:.2e}")
print(f"  greatest difference, weights: {agreement['causal'][1]:.2e}")""",
                zh="""Attention = yours_or_reference("MultiHeadAttention", MultiHeadAttention)
torch.manual_seed(0)
D, h = 16, 4
ours = Attention(D, h).eval()
theirs = nn.MultiheadAttention(D, h, batch_first=True).eval()
with torch.no_grad():  # 把我们的权重交给 PyTorch 的模块
    theirs.in_proj_weight.copy_(torch.cat([ours.w_q.weight, ours.w_k.weight, ours.w_v.weight]))  # (3D, D)
    theirs.in_proj_bias.copy_(torch.cat([ours.w_q.bias, ours.w_k.bias, ours.w_v.bias]))  # (3D,)
    theirs.out_proj.weight.copy_(ours.w_o.weight)
    theirs.out_proj.bias.copy_(ours.w_o.bias)

query, memory = torch.randn(3, 4, D), torch.randn(3, 6, D)  # (B, Tq, D), (B, Tk, D)
real = torch.arange(6)[None, :] < torch.tensor([6, 3, 1])[:, None]  # (B, Tk)：真实的键处为 True，我们的约定
with torch.no_grad():
    out_ours, w_ours = ours(query, memory, memory, mask=real[:, None, None, :])  # 掩码 (B, 1, 1, Tk)
    out_theirs, w_theirs = theirs(query, memory, memory, key_padding_mask=~real,  # True = 忽略，PyTorch 的约定
                                  average_attn_weights=False)
agreement = {"padding": ((out_ours - out_theirs).abs().max().item(), (w_ours - w_theirs).abs().max().item())}
print("带填充掩码的交叉注意力：输出", tuple(out_ours.shape), "权重", tuple(w_ours.shape))
print(f"  最大差异，输出：{agreement['padding'][0]:.2e}")
print(f"  最大差异，权重：{agreement['padding'][1]:.2e}")

causal = torch.ones(4, 4, dtype=torch.bool).tril()  # (T, T)，True = 可以注意，我们的约定
with torch.no_grad():
    out_ours, w_ours = ours(query, query, query, mask=causal)
    out_theirs, w_theirs = theirs(query, query, query, attn_mask=~causal, average_attn_weights=False)
agreement["causal"] = ((out_ours - out_theirs).abs().max().item(), (w_ours - w_theirs).abs().max().item())
print("带因果掩码的自注意力：")
print(f"  最大差异，输出：{agreement['causal'][0]:.2e}")
print(f"  最大差异，权重：{agreement['causal'][1]:.2e}")""", of="45f6ae35c4")

HEADS_WHY = bi("""## 4. Measured: heads look at different things

The claim is that several heads let one layer gather several kinds of information at once. We test it on a
toy task built so that **two different relations** matter. The input is a sequence of 8 random tokens
(0..9). At every position `t` the model must output two things:

* the token one step to the left, at `t-1`;
* the token at the first position, `0`.

The model is as small as it can be: token and position embeddings, **one** causal multi-head attention, and
two linear read-outs; the attention is the `Attention` of section 3 (yours, or the reference). There is no
residual path, so whatever a position outputs it has read through attention. We train it twice, with 2 heads
and with 1 head of the same width `D = 32` (the same number of parameters), for 300 Adam steps each
(`course_lib.train.fit`).

For every head we then look at where its largest weight falls, over 512 test sequences and the query
positions `t ≥ 2` (where `t-1` and `0` are different keys).""",
               zh="""## 4. 测量：各个头关注不同的东西

论断是：多个头让一层能同时收集几种信息。我们在一个玩具任务上检验它，这个任务特意设计成有**两种不同的关系**起作用。
输入是由 8 个随机词元（0..9）组成的序列。在每个位置 `t`，模型必须输出两样东西：

* 左边一步、位置 `t-1` 上的词元；
* 第一个位置 `0` 上的词元。

模型小到不能再小：词元嵌入（embedding）和位置嵌入、**一个**带因果掩码的多头注意力，以及两个线性读出层；注意力就是
第 3 节的 `Attention`（你的实现或参考实现）。没有残差连接（residual connection），所以一个位置输出的任何东西都是通过
注意力读到的。我们把它训练（training）两次，一次用 2 个头，一次用 1 个头，宽度相同，都是 `D = 32`（参数个数相同），
每次用 Adam 训练 300 步（`course_lib.train.fit`）。

然后，对每个头，我们在 512 条测试序列上、查询位置 `t ≥ 2`（这时 `t-1` 和 `0` 是不同的键）处，看它最大的权重落在哪里。""", of="6dd4641b38")

HEADS_CODE = bi("""steps = 5 if GRADING else 300  # a few seconds on a laptop CPU; a token run while grading
results, losses = {}, {}
for num_heads in (2, 1):
    config = ToyConfig(num_heads=num_heads, steps=steps)  # d_model = 32 either way
    model, losses[num_heads] = train_two_relations(config, attention_cls=Attention, seed=0)
    label = f"{num_heads} head{'s' if num_heads > 1 else ''}"
    results[label] = evaluate_two_relations(model, n=512, seed=1)

print(f"{'model':<8} {'test loss':>9} {'acc. t-1':>9} {'acc. first':>10} | head: share of queries whose "
      "largest weight is on t-1 / on 0, mean weight on t-1 / on 0")
for label, r in results.items():
    heads = "; ".join(f"head {x['head']}: {x['top is previous']:.0%} / {x['top is first']:.0%}, "
                      f"{x['weight on previous']:.2f} / {x['weight on first']:.2f}" for x in r["heads"])
    print(f"{label:<8} {r['loss']:>9.1e} {r['accuracy previous']:>9.1%} {r['accuracy first']:>10.1%} | {heads}")""",
                zh="""steps = 5 if GRADING else 300  # 在笔记本电脑的 CPU 上只要几秒；评分时只象征性地跑几步
results, losses = {}, {}
for num_heads in (2, 1):
    config = ToyConfig(num_heads=num_heads, steps=steps)  # 两种情况下 d_model 都是 32
    model, losses[num_heads] = train_two_relations(config, attention_cls=Attention, seed=0)
    label = f"{'多头' if num_heads > 1 else '单头'} (h={num_heads})"
    results[label] = evaluate_two_relations(model, n=512, seed=1)

# 表头的宽度扣除了汉字多占的列数（一个汉字占两列），好让各列对齐。
print(f"{'模型':<8} {'测试损失':>5} {'t-1准确率':>6} {'首位准确率':>5} | 头：最大权重落在 t-1 / 0 上的查询比例，"
      "t-1 / 0 上的平均权重")
for label, r in results.items():
    heads = "；".join(f"头 {x['head']}：{x['top is previous']:.0%} / {x['top is first']:.0%}，"
                      f"{x['weight on previous']:.2f} / {x['weight on first']:.2f}" for x in r["heads"])
    print(f"{label:<8} {r['loss']:>9.1e} {r['accuracy previous']:>9.1%} {r['accuracy first']:>10.1%} | {heads}")""", of="efa6d808bf")

HEADS_PLOT = bi("""tokens = results["2 heads"]["tokens"].tolist()
fig = plot_head_maps(results, title=f"Attention weights on one test sequence, tokens {tokens}")
plt.show()

fig, ax = plt.subplots(figsize=(6, 3.2))
for num_heads, style in ((2, "-"), (1, "--")):
    ax.plot(losses[num_heads], style, label=f"{num_heads} head{'s' if num_heads > 1 else ''}, d_model = 32")
ax.set(yscale="log", xlabel="training step", ylabel="loss (sum of two cross-entropies, nats)",
       title="Training loss on the two-relation task")
ax.legend()
fig.tight_layout()
plt.show()""",
                zh="""tokens = results["多头 (h=2)"]["tokens"].tolist()
fig = plot_head_maps(results, title=f"一条测试序列上的注意力权重，词元为 {tokens}")
plt.show()

fig, ax = plt.subplots(figsize=(6, 3.2))
for num_heads, style in ((2, "-"), (1, "--")):
    ax.plot(losses[num_heads], style, label=f"{'多头' if num_heads > 1 else '单头'} (h={num_heads})，d_model = 32")
ax.set(yscale="log", xlabel="训练步数", ylabel="损失（两个交叉熵之和，单位 nat）",
       title="两种关系任务上的训练损失")
ax.legend()
fig.tight_layout()
plt.show()""", of="fbb0352757")

COST_WHY = bi("""## 5. Measured: what several heads cost

Splitting `D` into `h` heads changes none of the matrices: `w_q`, `w_k`, `w_v`, `w_o` are `D x D` whatever
`h` is. The scores of one head cost `Tq·Tk·d` multiply-adds, and `h` heads cost `h·Tq·Tk·d = Tq·Tk·D`, as
much as one wide head. What grows with `h` is the number of softmaxes (one per head per query) and the size
of the attention maps, `B·h·Tq·Tk` numbers to store.

That is the claim; here we count instead of reasoning. `attention_costs` builds the module (section 3's
`Attention`, yours or the reference) for each `h`,
counts its parameters, runs one forward pass under PyTorch's `FlopCounterMode` (which counts the FLOPs of
every matrix product, 2 per multiply-add) and reads the sizes of the attention maps it returns.""",
              zh="""## 5. 测量：多个头的代价

把 `D` 切成 `h` 个头不会改变任何矩阵：无论 `h` 是多少，`w_q`、`w_k`、`w_v`、`w_o` 都是 `D x D`。一个头的分数需要
`Tq·Tk·d` 次乘加，`h` 个头需要 `h·Tq·Tk·d = Tq·Tk·D` 次，与一个宽头一样多。随 `h` 增长的是 softmax 的个数（每个头、
每个查询一个）以及注意力图的大小，即要存储的 `B·h·Tq·Tk` 个数。

这是论断；这里我们不靠推理，而是直接数。`attention_costs` 对每个 `h` 构建模块（第 3 节的 `Attention`，你的实现或
参考实现），数出它的参数个数，在 PyTorch 的 `FlopCounterMode` 下运行一次前向传播（它统计每个矩阵乘积的 FLOPs，
每次乘加记 2 次），并读出它返回的注意力图的大小。""", of="4499850b75")

COST_CODE = bi("""length, heads = (16, (1, 2)) if GRADING else (128, (1, 2, 4, 8))
rows = attention_costs(d_model=64, length=length, batch=8, heads=heads, attention_cls=Attention)  # one pass each
columns = ["heads", "d_head", "parameters", "projection FLOPs", "attention FLOPs", "softmax rows",
           "attention-map entries"]
print(" | ".join(f"{c:>21}" if i > 1 else f"{c:>6}" for i, c in enumerate(columns)))
for row in rows:
    print(" | ".join(f"{row[c]:>21,}" if i > 1 else f"{row[c]:>6}" for i, c in enumerate(columns)))
D = 64
print(f"\\n4·D² + 4·D = {4 * D * D + 4 * D:,} parameters for D = {D}")""",
               zh="""length, heads = (16, (1, 2)) if GRADING else (128, (1, 2, 4, 8))
rows = attention_costs(d_model=64, length=length, batch=8, heads=heads, attention_cls=Attention)  # 每个 h 一次前向传播
# 列名是 rows 中每一行的键，所以保留英文：heads 头的个数，d_head 一个头的宽度，parameters 参数个数，
# projection FLOPs 投影的 FLOPs，attention FLOPs 注意力的 FLOPs，softmax rows softmax 的行数，
# attention-map entries 注意力图的元素个数。
columns = ["heads", "d_head", "parameters", "projection FLOPs", "attention FLOPs", "softmax rows",
           "attention-map entries"]
print(" | ".join(f"{c:>21}" if i > 1 else f"{c:>6}" for i, c in enumerate(columns)))
for row in rows:
    print(" | ".join(f"{row[c]:>21,}" if i > 1 else f"{row[c]:>6}" for i, c in enumerate(columns)))
D = 64
print(f"\\nD = {D} 时，4·D² + 4·D = {4 * D * D + 4 * D:,} 个参数")""", of="505440e20c")

MEASURED = bi("""# What was measured, read from the numbers above.
worst = max(max(pair) for pair in agreement.values())
print(f"Same function as PyTorch: with the weights copied over, the two modules differ by at most {worst:.1e} "
      f"in outputs and per-head weights, padding mask and causal mask alike: "
      + ("float32 rounding." if worst < 1e-5 else "more than rounding, so something differs."))
two, one = results["2 heads"], results["1 head"]
specialists = [max(x["top is previous"], x["top is first"]) for x in two["heads"]]
print(f"Heads divide the work: after {steps} steps the 2-head model is right on {two['accuracy previous']:.1%} / "
      f"{two['accuracy first']:.1%} of the positions (t-1 / first), test loss {two['loss']:.1e}; its heads put "
      f"their largest weight on one relation for {specialists[0]:.0%} and {specialists[1]:.0%} of the queries "
      f"(head 0 on t-1: {two['heads'][0]['top is previous']:.0%}, head 1 on t-1: {two['heads'][1]['top is previous']:.0%}).")
print(f"The 1-head model has one softmax per query: mean weight {one['heads'][0]['weight on previous']:.2f} on t-1 "
      f"and {one['heads'][0]['weight on first']:.2f} on 0; it is right on {one['accuracy previous']:.1%} / "
      f"{one['accuracy first']:.1%}, test loss {one['loss']:.1e}, "
      f"{one['loss'] / two['loss']:.0f} times the 2-head model's.")
same = len({(r["parameters"], r["projection FLOPs"], r["attention FLOPs"]) for r in rows}) == 1
print(f"Cost: for h = {rows[0]['heads']} to {rows[-1]['heads']}, parameters {rows[0]['parameters']:,} and FLOPs "
      f"{rows[0]['projection FLOPs'] + rows[0]['attention FLOPs']:,} " + ("for every h" if same else "(they vary!)")
      + f"; softmax rows {rows[0]['softmax rows']:,} to {rows[-1]['softmax rows']:,} and attention-map entries "
      f"{rows[0]['attention-map entries']:,} to {rows[-1]['attention-map entries']:,}: the memory and softmax work "
      f"of h distributions per query.")""",
              zh="""# 测量到了什么：从上面的数字中读出。
worst = max(max(pair) for pair in agreement.values())
print(f"与 PyTorch 是同一个函数：复制权重之后，两个模块的输出和每个头的权重最多相差 {worst:.1e}，"
      f"填充掩码和因果掩码都是如此："
      + ("这是 float32 的舍入误差。" if worst < 1e-5 else "超出了舍入误差，说明有地方不一样。"))
two, one = results["多头 (h=2)"], results["单头 (h=1)"]
specialists = [max(x["top is previous"], x["top is first"]) for x in two["heads"]]
print(f"各个头分工合作：训练 {steps} 步后，2 头模型在 {two['accuracy previous']:.1%} / "
      f"{two['accuracy first']:.1%} 的位置上预测正确（t-1 / 第一个），测试损失 {two['loss']:.1e}；它的两个头各自专注于一种关系："
      f"分别有 {specialists[0]:.0%} 和 {specialists[1]:.0%} 的查询，最大权重落在该头专注的那种关系上"
      f"（头 0 放在 t-1 上：{two['heads'][0]['top is previous']:.0%}，头 1 放在 t-1 上：{two['heads'][1]['top is previous']:.0%}）。")
print(f"1 头模型的每个查询只有一个 softmax：t-1 上的平均权重为 {one['heads'][0]['weight on previous']:.2f}，"
      f"0 上为 {one['heads'][0]['weight on first']:.2f}；它在 {one['accuracy previous']:.1%} / "
      f"{one['accuracy first']:.1%} 的位置上预测正确，测试损失 {one['loss']:.1e}，"
      f"是 2 头模型的 {one['loss'] / two['loss']:.0f} 倍。")
same = len({(r["parameters"], r["projection FLOPs"], r["attention FLOPs"]) for r in rows}) == 1
print(f"代价：h 从 {rows[0]['heads']} 到 {rows[-1]['heads']}，参数 {rows[0]['parameters']:,}，FLOPs "
      f"{rows[0]['projection FLOPs'] + rows[0]['attention FLOPs']:,}，" + ("对每个 h 都一样" if same else "（它们在变化！）")
      + f"；softmax 的行数从 {rows[0]['softmax rows']:,} 增加到 {rows[-1]['softmax rows']:,}，注意力图的元素从 "
      f"{rows[0]['attention-map entries']:,} 增加到 {rows[-1]['attention-map entries']:,}：这是每个查询 h 个分布"
      f"所需的内存和 softmax 计算。")""", of="bff1d1e888")

SUMMARY = bi("""## Summary

* `split_heads` is a `view` plus a `transpose`; `merge_heads` is a `transpose` plus a `reshape`. The transpose
  keeps every head's slice made of whole positions.
* `MultiHeadAttention` projects once for all heads, attends in every head at once with notebook 03's
  function, merges, and mixes the heads with `w_o`. It equals `torch.nn.MultiheadAttention` given the same
  weights; only the meaning of a boolean mask is inverted there.
* Heads cost the same parameters and matrix-product FLOPs as one head of the full width; what grows with `h`
  is the softmax work and the memory of the attention maps. They buy `h` separate distributions per query, so
  one layer can read from several places at once, as the toy model's two heads did.

**Next:** notebook 05 shows that attention, heads or not, is blind to the order of its inputs, and fixes it.""",
             zh="""## 小结

* `split_heads` 是一次 `view` 加一次 `transpose`；`merge_heads` 是一次 `transpose` 加一次 `reshape`。转置保证每个头
  的那一段都由完整的位置组成。
* `MultiHeadAttention` 为所有头一次完成投影，用笔记本 03 的函数在所有头上同时做注意力，合并，再用 `w_o` 混合各个头。
  给定相同的权重，它与 `torch.nn.MultiheadAttention` 完全相等；只是那里布尔掩码的含义是反的。
* 多个头与一个全宽度的头参数相同，矩阵乘法的 FLOPs 也相同；随 `h` 增长的是 softmax 的计算量和注意力图占用的内存。
  它们换来的是每个查询 `h` 个独立的分布，因此一层可以同时从几个地方读取，就像玩具模型的两个头那样。

**下一步：** 笔记本 05 表明，注意力（不论有几个头）看不到输入的顺序，并修正这一点。""", of="3e00c3e657")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(SPLIT_WHY),
        *exercise(1, ref.split_heads, points=2, seed=4211, difficulty=2, importance=4, minutes=10,
                  text=SPLIT_TEXT, hint=SPLIT_HINT, signature="def split_heads(x, num_heads) -> torch.Tensor",
                  final_assert="assert split_heads(torch.arange(4.0).view(1, 1, 4), 2).tolist() == "
                               "[[[[0.0, 1.0]], [[2.0, 3.0]]]], \"head i takes features i*d .. (i+1)*d - 1 (头 i 取特征 i*d .. (i+1)*d - 1)\""),
        *exercise(2, ref.merge_heads, points=2, seed=4327, difficulty=2, importance=4, minutes=10,
                  text=MERGE_TEXT, hint=MERGE_HINT, signature="def merge_heads(x) -> torch.Tensor",
                  final_assert="assert merge_heads(torch.arange(4.0).view(1, 2, 1, 2)).tolist() == "
                               "[[[0.0, 1.0, 2.0, 3.0]]], \"head i's features go back to i*d .. (i+1)*d - 1 (头 i 的特征回到 i*d .. (i+1)*d - 1)\""),
        code(SPLIT_DEMO),
        markdown(MHA_WHY),
        *exercise(3, ref.MultiHeadAttention, points=4, seed=4409, difficulty=3, importance=5, minutes=25,
                  text=MHA_TEXT, hint=MHA_HINT,
                  signature="class MultiHeadAttention(nn.Module):\n"
                            "    def __init__(self, d_model, num_heads, dropout=0.0): ...\n"
                            "    def forward(self, query, key, value, mask=None) -> tuple[torch.Tensor, torch.Tensor]: ...",
                  final_assert="assert MultiHeadAttention(8, 2)(torch.zeros(1, 3, 8), torch.zeros(1, 5, 8), "
                               "torch.zeros(1, 5, 8))[1].shape == (1, 2, 3, 5), \"weights have shape (B, h, Tq, Tk) (权重的形状为 (B, h, Tq, Tk))\""),
        code(MHA_DEMO),
        markdown(TORCH_WHY),
        code(TORCH_CODE),
        markdown(HEADS_WHY),
        code(HEADS_CODE),
        code(HEADS_PLOT),
        markdown(COST_WHY),
        code(COST_CODE),
        code(MEASURED),
        markdown(SUMMARY),
    ], title=TITLE)
