"""Notebook 06: no recurrence, all positions at once; depth and work of a recurrence and of attention, measured."""
from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import parallelism as ref

TITLE = bi("06 Parallelism", zh="06 并行", of="08ed358b00")

INTRO = bi(r"""# 06 · Parallelism: no recurrence, all positions at once

**What you build:** the cost formulas `rnn_flops` and `attention_flops`, `graph_depth` (the longest chain of
operations in an autograd graph), and `attention_all_positions`, which replaces a loop over query positions
by one batched computation.
**What you measure:** the work of each layer (your formulas against PyTorch's `FlopCounterMode` on real
layers) and its depth (counted on real autograd graphs); the wall time of an RNN, an LSTM and a self-attention
layer on this machine, with their spread and the machine's load, and a simple model fitted to them (with its
error); how the gradient from one position reaches
another; what a fused attention kernel buys.
**Time:** [[times]].

Notebooks 03 to 05 removed the recurrence and gave the order back with positions; notebook 05 ended on what
has not been measured yet, the speed that was the reason for removing it. The paper that introduced the
Transformer says that self-attention "connects all positions with a constant
number of sequentially executed operations, whereas a recurrent layer requires O(n) sequential operations",
and that it costs more work per layer once the sequence is longer than the width. That is two claims in one:

* **depth**: how many operations must wait for each other. An RNN cannot compute step `t` before step
  `t - 1`: its depth grows with `T`. Attention computes every position from the inputs in a fixed number
  of steps;
* **work**: how many operations there are in all. An RNN does `T` steps of `D²` work; attention compares
  every position with every other, `T²` pairs of `D` work.

Which one wins on a real machine depends on how many operations the machine can do *at the same time*. We
measure both halves separately, then put them together.

**What this adds to notebook 01.** Notebook 01 measured the recurrence alone: the time to read a sequence
against its length, with one thread and with several, and the gradient that reaches the first step from a
distant loss. Sections 4 and 6 repeat those two measurements with attention beside the recurrence: the same kind of timing for an RNN,
an LSTM and a self-attention layer, forward and backward, and the same gradient measurement for one causal
attention layer. What is new is the explanation: the work and the depth of each layer, counted on the real
layers (sections 1 and 2), and a model built from those two counts that accounts for the times (section 5)
and says when attention wins.

**Timing on a laptop.** A wall time depends on what else the machine is doing. So every time in this notebook
is the **median of several runs, printed with its range**: the middle half of the runs (from the fastest
quarter to the slowest quarter, so that one interrupted run does not count), beside the load: how many cores
other programs kept busy meanwhile. Two times count as different only when their ranges do not overlap and
their medians differ by at least 20 %; otherwise the notebook says the comparison is inconclusive on this
machine, and why. These thresholds live in one place, `course_lib/experiments/claims.py`, with their reasons.
On a busy machine your conclusions may differ from a neighbour's; what the notebook prints is still what your
numbers show.

**Shapes and symbols used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | sequence length (number of positions) |
| `D` | model width, `d_model`; the hidden state of the RNN has width `D` too |
| `d` | width of the queries and keys given to an attention function |
| FLOP | one floating-point operation; a multiply-add counts as 2 |
| depth | the number of operations on the longest chain in which each waits for the one before |

Run the set-up cells first: the language cell, then the set-up cell. Every exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.""", zh=r"""# 06 · 并行：没有循环，所有位置同时计算

**你要实现：** 计算量公式 `rnn_flops` 和 `attention_flops`；`graph_depth`（自动求导图（autograd graph）中最长的
运算链）；以及 `attention_all_positions`，它用一次批量计算取代对查询位置的循环。
**你要测量：** 每一层的计算量（在真实的层上，用 PyTorch 的 `FlopCounterMode` 核对你的公式）和深度（在真实的自动
求导图上计数）；循环神经网络（RNN）、长短期记忆网络（LSTM）和自注意力（self-attention）层在这台机器上的墙钟时间，
连同其波动范围和机器的负载，以及据此拟合的一个简单模型（连同它的误差）；梯度（gradient）如何从一个位置传到另一个
位置；融合的注意力内核带来了什么。
**用时：** [[times]]。

笔记本 03 到 05 去掉了循环，又用位置把顺序找了回来；笔记本 05 结束时指出了一件还没有测量的事：速度，而它正是
去掉循环的初衷。提出 Transformer 的那篇论文说，自注意力“用常数个顺序执行的操作连接所有位置，而循环层需要 O(n) 个顺序操作”，
并且一旦序列（sequence）长度超过宽度，它每层的计算量就更大。这其实是两个论断合在一起：

* **深度**：有多少个操作必须彼此等待。RNN 必须先算完第 `t - 1` 步才能算第 `t` 步：它的深度随 `T` 增长。注意力
  （attention）从输入出发，用固定的步数算出每一个位置；
* **计算量**：总共有多少个操作。RNN 做 `T` 步，每步 `D²` 的计算量；注意力把每个位置与其他所有位置比较，共 `T²`
  对，每对 `D` 的计算量。

在真实的机器上谁更快，取决于机器能*同时*做多少个操作。我们分别测量这两个方面，再把它们合起来。

**本笔记本在笔记本 01 之上增加了什么。** 笔记本 01 只测量了循环本身：读完一个序列所需的时间如何随长度变化（用单线程
和多线程），以及远处的损失有多少梯度传回第一步。第 4 节和第 6 节重复这两项测量，并把注意力放在循环旁边：用同样的方式给
RNN、LSTM 和一个自注意力层计时，包括前向和反向；对一个因果注意力层做同样的梯度测量。新的是解释：在真实的层上数出
每一层的计算量和深度（第 1、2 节），再用这两个数建立一个模型，用它解释测得的时间（第 5 节），并说明注意力在什么时候
胜出。

**在笔记本电脑上计时。** 墙钟时间取决于机器同时还在做什么。所以本笔记本中的每个时间都是**多次运行的中位数，并附上
其范围**：即中间一半运行的范围（从第 25 百分位到第 75 百分位，这样某一次被打断的运行不会算进去），旁边还给出负载：
测量期间其他程序占用了多少个核心。只有当两个时间的范围不重叠、且中位数相差至少 20 % 时，才认为它们不同；否则笔记本
会说明这一比较在这台机器上没有定论，以及原因。这些阈值集中放在 `course_lib/experiments/claims.py` 一处，并附有理由。
在繁忙的机器上，你的结论可能与旁边同学的不同；但笔记本打印的，始终是你自己的数字所表明的结果。

**本笔记本使用的形状与符号**

| 符号 | 含义 |
|---|---|
| `B` | 批量（batch）大小 |
| `T` | 序列长度（位置个数） |
| `D` | 模型宽度 `d_model`；RNN 的隐状态（hidden state）宽度也是 `D` |
| `d` | 传给注意力函数的查询（query）和键（key）的宽度 |
| FLOP | 一次浮点运算；一次乘加算作 2 次 |
| 深度 | 最长的一条运算链上的运算个数，链上每个运算都要等待前一个 |

请先运行设置单元格：先运行语言单元格，再运行设置单元格。每个练习后面都有一个检查单元格：它会在远不到两秒内给出
答复，要么是一行绿色的通过信息，要么是一条指出它所识别出的错误的信息。""", of="4250cab45e")

SETUP = """# Set-up: imports, the course's checks, fixed seeds.
# 设置：导入、课程的检查、固定随机种子。
import inspect
import math
import os

import matplotlib.pyplot as plt
import torch

from course_lib.checks import check_attention_all_positions, check_attention_flops, check_graph_depth, check_rnn_flops
from course_lib.experiments import (
    claims,  # thresholds and timing with its spread / 阈值，以及带波动范围的计时
    yours_or_reference,  # your code if it passes its check, else the reference / 通过检查就用你的代码，否则用参考实现
)
from course_lib.experiments import parallelism as experiments

# notebook 01's measurement / 笔记本 01 的测量
from course_lib.experiments.sequence_models import gradient_to_first_step

# handed out: the loop you will replace / 直接提供：你将要取代的循环
from course_lib.handouts import attention_one_query_at_a_time

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises / 评分时缩小的是实验，不是练习
REPEATS = 2 if GRADING else None  # None: 5 runs per timing on an idle machine, 9 on a busy one / None：空闲机器上每次计时运行 5 次，繁忙时 9 次"""

WORK_WHY = bi(r"""## 1. Work: count the FLOPs of one layer

We count what dominates: the matrix products. A product `(m, n) x (n, p)` computes `m·p` outputs of `n`
multiply-adds each: `2·m·n·p` FLOPs, counting a multiply-add as **2 FLOPs**. Additions of biases, `tanh`, the
softmax are small next to the products, and we leave them out.

PyTorch can count for us, and we will use it to check your formulas on real layers. `FlopCounterMode` (from
`torch.utils.flop_counter`) is a context manager: it watches every operation PyTorch runs inside its `with`
block and adds up the FLOPs of the matrix products, with the same conventions as above:

```python
counter = FlopCounterMode(display=False)
with counter:
    torch.randn(3, 4) @ torch.randn(4, 5)  # (3, 4) x (4, 5)
counter.get_total_flops()  # 2·3·4·5 = 120
```

**The RNN layer** of notebook 01, with input and hidden widths both `D`, reads one position per step:
`h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)`, with `W_xh` and `W_hh` both `(D, D)`. Count it for **one
sequence** (`B = 1`), so `x_t` and `h_prev` are `(1, D)`.

**The self-attention layer** of notebooks 03 and 04, for one sequence `x` of shape `(T, D)`:
`q, k, v = w_q(x), w_k(x), w_v(x)` (each `(T, D) x (D, D)`), then `q @ kᵀ` and `weights @ v`, then `w_o`.
Splitting `D` into `h` heads of width `D / h` changes none of these totals (notebook 04 measured it), so
count one head of width `D`.""", zh=r"""## 1. 计算量：数一层的 FLOP

我们只数占主导的部分：矩阵乘法。乘积 `(m, n) x (n, p)` 计算 `m·p` 个输出，每个需要 `n` 次乘加：共 `2·m·n·p` 个
FLOP，一次乘加算作 **2 个 FLOP**。加偏置、`tanh`、softmax 与矩阵乘法相比都很小，我们略去不计。

PyTorch 可以替我们计数，我们会用它在真实的层上核对你的公式。`FlopCounterMode`（来自 `torch.utils.flop_counter`）
是一个上下文管理器：它监视 PyTorch 在其 `with` 块内运行的每个操作，并把矩阵乘法的 FLOP 加起来，约定与上面相同：

```python
counter = FlopCounterMode(display=False)
with counter:
    torch.randn(3, 4) @ torch.randn(4, 5)  # (3, 4) x (4, 5)
counter.get_total_flops()  # 2·3·4·5 = 120
```

**笔记本 01 的 RNN 层**，输入宽度和隐藏宽度都是 `D`，每步读入一个位置：
`h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)`，其中 `W_xh` 和 `W_hh` 都是 `(D, D)`。按**一个序列**（`B = 1`）
计数，所以 `x_t` 和 `h_prev` 都是 `(1, D)`。

**笔记本 03 和 04 的自注意力层**，对形状为 `(T, D)` 的一个序列 `x`：`q, k, v = w_q(x), w_k(x), w_v(x)`（每个都是
`(T, D) x (D, D)`），然后是 `q @ kᵀ` 和 `weights @ v`，最后是 `w_o`。把 `D` 分成 `h` 个宽度为 `D / h` 的头（head）
不会改变这些总数（笔记本 04 测量过），所以按一个宽度为 `D` 的头来计数。""", of="33e4028cd1")

RNN_TEXT = bi("""`T` and `d_model` are Python ints. Return the FLOPs (an `int`) of one RNN layer's forward pass over one
sequence of `T` positions: the two matrix products of every step, 2 FLOPs per multiply-add.""",
              zh="""`T` 和 `d_model` 是 Python 整数。返回一个 RNN 层在一个长度为 `T` 的序列上做一次前向传播的 FLOP 数
（一个 `int`）：每一步的两次矩阵乘法，每次乘加算 2 个 FLOP。""", of="eec0dc3d11")

RNN_HINT = stages(
    idea=bi("""A recurrence does the same work at every step: count the FLOPs of one step, its two matrix products,
then multiply by the number of steps. The bias and the `tanh` are left out, as the rules above say.""",
            zh="""循环在每一步做的工作都一样：先数出一步的 FLOP，即它的两次矩阵乘法，再乘以步数。按上面的约定，偏置和 `tanh` 不计。""",
            of="85e01752a8"),
    shapes=bi("""1. One step multiplies the input `x_t` `(1, D)` by `W_xh` `(D, D)`, and the previous state `h_prev`
   `(1, D)` by `W_hh` `(D, D)`.
2. A product `(m, n) x (n, p)` does `m·n·p` multiply-adds, so `2·m·n·p` FLOPs.
3. Add the two products of one step, multiply by `T`, and return an `int`.""",
              zh="""1. 一步要把输入 `x_t` `(1, D)` 乘以 `W_xh` `(D, D)`，再把上一步的状态 `h_prev` `(1, D)` 乘以 `W_hh` `(D, D)`。
2. 乘积 `(m, n) x (n, p)` 做 `m·n·p` 次乘加，即 `2·m·n·p` 个 FLOP。
3. 把一步中两次乘法的 FLOP 相加，乘以 `T`，返回一个 `int`。""", of="f2b3cbd865"),
    code=bi("""One step is two `(1, D) x (D, D)` products: `2 · 2·D²` FLOPs. There are `T` steps.""",
              zh="""一步是两次 `(1, D) x (D, D)` 乘法：`2 · 2·D²` 个 FLOP。一共 `T` 步。""", of="9fd01c12f3"))

ATT_TEXT = bi("""Return the FLOPs (an `int`) of one self-attention layer's forward pass over one sequence of `T` positions:
the four projections `w_q`, `w_k`, `w_v`, `w_o`, the scores `q @ kᵀ` and the mixing `weights @ v`, 2 FLOPs
per multiply-add.""", zh="""返回一个自注意力层在一个长度为 `T` 的序列上做一次前向传播的 FLOP 数（一个 `int`）：四个投影
`w_q`、`w_k`、`w_v`、`w_o`，分数 `q @ kᵀ`，以及混合 `weights @ v`，每次乘加算 2 个 FLOP。""", of="38da8b5c28")

ATT_HINT = stages(
    idea=bi("""Attention's work is six matrix products: four projections, which grow as `T·D²`, and two products
across positions, the scores and the mixing, which grow as `T²·D`. Count each with the rule `2·m·n·p` and add
them up.""",
            zh="""注意力的工作量是六次矩阵乘法：四个投影，随 `T·D²` 增长；两次跨位置的乘法，即分数和混合，随 `T²·D` 增长。用 `2·m·n·p` 的规则逐个计数，再加起来。""",
            of="cd3ea62a26"),
    shapes=bi("""1. The sequence `x` is `(T, D)`; each of the four projections is a `(T, D) x (D, D)` product.
2. The scores: the queries `(T, D)` times the keys transposed `(D, T)` give `(T, T)`.
3. The mixing: the weights `(T, T)` times the values `(T, D)` give `(T, D)`.
4. Heads split `D` into `h` widths of `D / h`, but the totals over the heads are the same: count one head of
   width `D`. Add the six terms and return an `int`.""",
              zh="""1. 序列 `x` 为 `(T, D)`；四个投影每个都是一次 `(T, D) x (D, D)` 乘法。
2. 分数：查询 `(T, D)` 乘以转置后的键 `(D, T)`，得到 `(T, T)`。
3. 混合：权重 `(T, T)` 乘以值 `(T, D)`，得到 `(T, D)`。
4. 多头把 `D` 分成 `h` 份宽度为 `D / h` 的头，但各头加起来的总数不变：按一个宽度为 `D` 的头计数。把六项相加，返回一个 `int`。""",
              of="fba3bda747"),
    code=bi("""Four `(T, D) x (D, D)` products, then `(T, D) x (D, T)` for the scores and `(T, T) x (T, D)` for the
mixing. Write each term on its own line with a comment: it is easier to check, and to read later.""",
              zh="""四次 `(T, D) x (D, D)` 乘法，然后分数是 `(T, D) x (D, T)`，混合是 `(T, T) x (T, D)`。把每一项写在单独
的一行并加上注释：这样更容易核对，以后也更容易读懂。""", of="2c49bcc42a"))

WORK_MEASURE = bi(r"""### Measured: your formulas against `FlopCounterMode`, and the memory that grows with `T`

`FlopCounterMode` watches every operation PyTorch runs inside its `with` block and adds up the FLOPs of the
matrix products. We run an `nn.RNN(D, D)` and a self-attention layer (four `nn.Linear(D, D)` around your
`attention_all_positions` from exercise 4, or the reference until yours passes) on one sequence of each
length, width `D = 64`, and compare with your formulas.

Memory grows with `T` too. To compute gradients, the RNN keeps its `T` hidden states, `T·D` numbers;
attention keeps the `T x T` weights of every head, `T²` numbers, besides states of size `T·D` like the RNN's.""",
                  zh=r"""### 测量：用 `FlopCounterMode` 核对你的公式，以及随 `T` 增长的内存

`FlopCounterMode` 监视 PyTorch 在其 `with` 块内运行的每个操作，并把矩阵乘法的 FLOP 加起来。我们在每种长度的一个
序列上运行一个 `nn.RNN(D, D)` 和一个自注意力层（四个 `nn.Linear(D, D)` 包着你在练习 4 中写的
`attention_all_positions`；在你的实现通过检查之前用参考实现），宽度 `D = 64`，并与你的公式比较。

内存也随 `T` 增长。为了计算梯度，RNN 要保存它的 `T` 个隐状态，共 `T·D` 个数；注意力要保存每个头的 `T x T` 注意力
权重（attention weights），共 `T²` 个数，此外还有和 RNN 一样大小为 `T·D` 的状态。""", of="8c83562a5b")

WORK_CODE = bi("""rnn_flops_ = yours_or_reference("rnn_flops", rnn_flops)
attention_flops_ = yours_or_reference("attention_flops", attention_flops)
attention = yours_or_reference("attention_all_positions", attention_all_positions)  # sections 1-7 use it
D = 64
work = experiments.work_table(rnn_flops_, attention_flops_, attention, lengths=(16, 64, 256), d_model=D)
print(f"{'T':>5} | {'RNN: formula':>13} {'counted':>12} | {'attention: formula':>18} {'counted':>12} |"
      f" {'RNN states':>10} {'scores (1 head)':>15}")
for r in work:
    print(f"{r['T']:>5} | {r['RNN formula']:>13,} {r['RNN counted']:>12,} | {r['attention formula']:>18,} "
          f"{r['attention counted']:>12,} | {r['RNN states (bytes)'] / 1024:>7.0f} KiB "
          f"{r['attention scores (bytes)'] / 1024:>11.0f} KiB")""",
               zh="""rnn_flops_ = yours_or_reference("rnn_flops", rnn_flops)
attention_flops_ = yours_or_reference("attention_flops", attention_flops)
attention = yours_or_reference("attention_all_positions", attention_all_positions)  # 第 1-7 节都用它
D = 64
work = experiments.work_table(rnn_flops_, attention_flops_, attention, lengths=(16, 64, 256), d_model=D)
print(f"{'T':>5} | {'RNN：公式':>11} {'实测':>10} | {'注意力：公式':>13} {'实测':>10} |"
      f" {'RNN 状态':>8} {'分数（1 个头）':>10}")
for r in work:
    print(f"{r['T']:>5} | {r['RNN formula']:>13,} {r['RNN counted']:>12,} | {r['attention formula']:>18,} "
          f"{r['attention counted']:>12,} | {r['RNN states (bytes)'] / 1024:>7.0f} KiB "
          f"{r['attention scores (bytes)'] / 1024:>11.0f} KiB")""", of="2d561aead9")

WORK_SUMMARY = bi("""agree = all(r["RNN formula"] == r["RNN counted"] and r["attention formula"] == r["attention counted"] for r in work)
ran = {"rnn_flops": rnn_flops_ is rnn_flops, "attention_flops": attention_flops_ is attention_flops}  # yours ran?
whose = ("your formulas" if all(ran.values()) else
         "the formulas that ran (" + ", ".join(f"{n}: {'yours' if mine else 'the reference'}" for n, mine in ran.items()) + ")")
print(f"{whose[0].upper() + whose[1:]} {'equal' if agree else 'DIFFER FROM'} what FlopCounterMode counts on the real layers.")
for claim in experiments.work_claims(rnn_flops_, attention_flops_, [r["T"] for r in work], D, whose):
    print(claim)
for r in work:
    print(f"T = {r['T']:>4}: attention stores {r['attention scores (bytes)'] / r['RNN states (bytes)']:5.2f}x as many "
          "numbers per head for its weights as the RNN keeps in states")""",
                  zh="""agree = all(r["RNN formula"] == r["RNN counted"] and r["attention formula"] == r["attention counted"] for r in work)
ran = {"rnn_flops": rnn_flops_ is rnn_flops, "attention_flops": attention_flops_ is attention_flops}  # 运行的是你的吗？
whose = ("你的公式" if all(ran.values()) else
         "实际运行的公式（" + "，".join(f"{n}：{'你的' if mine else '参考实现'}" for n, mine in ran.items()) + "）")
print(f"{whose[0].upper() + whose[1:]}{'与 FlopCounterMode 在真实层上的计数相等' if agree else '与 FlopCounterMode 在真实层上的计数不一致'}。")
for claim in experiments.work_claims(rnn_flops_, attention_flops_, [r["T"] for r in work], D, whose):
    print(claim)
for r in work:
    print(f"T = {r['T']:>4}：注意力每个头为其权重保存的数，是 RNN 保存的状态数的 "
          f"{r['attention scores (bytes)'] / r['RNN states (bytes)']:5.2f} 倍")""", of="aaa256b22c")

DEPTH_WHY = bi(r"""## 2. Depth: the longest chain of operations that wait for each other

Work says how much there is to do. **Depth** says how much of it must be done one thing after another, however
many processors there are. Operations that do not depend on each other can run at the same time; a chain of
operations, each needing the result of the one before, cannot.

PyTorch records this dependency structure for us. Every tensor computed from tensors that require gradients
has a `grad_fn`: the node of the **autograd graph** that will compute its gradient. `node.next_functions` is a
tuple of `(node, index)` pairs, one per input of the operation: the nodes that produced the inputs.

* an input that needs no gradient (a constant) appears as `(None, 0)`;
* a leaf tensor (created by you with `requires_grad=True`) appears as an `AccumulateGrad` node: it only stores
  the gradient; it is not an operation;
* a leaf itself has `grad_fn` `None`.

```python
x = torch.ones(3, requires_grad=True)
y = (x * 2).exp()
y.grad_fn                 # <ExpBackward0>
y.grad_fn.next_functions  # ((<MulBackward0>, 0),)
y.grad_fn.next_functions[0][0].next_functions  # ((<AccumulateGrad>, 0), (None, 0)): x, and the constant 2
```

The **depth** of a tensor is the number of operations on the longest chain from the leaves to it: `y` above
has depth 2. An operation can start only once **all** its inputs are ready, so its depth is 1 plus the
**largest** depth among its inputs.""", zh=r"""## 2. 深度：彼此等待的最长运算链

计算量说明总共有多少事要做。**深度**说明其中有多少必须一件接一件地做，无论有多少个处理器。互不依赖的操作可以同时
运行；而一条运算链上每个操作都需要前一个的结果，就无法同时运行。

PyTorch 替我们记录了这种依赖结构。每个由需要梯度的张量计算出来的张量都有一个 `grad_fn`：它是**自动求导图**中将要
计算其梯度的节点。`node.next_functions` 是由 `(node, index)` 对组成的元组，该操作的每个输入对应一对：也就是产生这些
输入的节点。

* 不需要梯度的输入（常数）表现为 `(None, 0)`；
* 叶子张量（由你用 `requires_grad=True` 创建）表现为一个 `AccumulateGrad` 节点：它只负责存放梯度，不是一个运算；
* 叶子张量本身的 `grad_fn` 是 `None`。

```python
x = torch.ones(3, requires_grad=True)
y = (x * 2).exp()
y.grad_fn                 # <ExpBackward0>
y.grad_fn.next_functions  # ((<MulBackward0>, 0),)
y.grad_fn.next_functions[0][0].next_functions  # ((<AccumulateGrad>, 0), (None, 0))：x，以及常数 2
```

一个张量的**深度**，是从叶子到它的最长链上的运算个数：上面的 `y` 深度为 2。一个运算只有在它的**所有**输入都就绪后
才能开始，所以它的深度是 1 加上其输入中**最大**的深度。""", of="dac5b49867")

DEPTH_TEXT = bi("""`output` is a tensor. Return (an `int`) the number of operations on the longest chain of its autograd graph:
0 for a leaf (`output.grad_fn is None`); otherwise count the nodes from `output.grad_fn` down, skipping
`None` entries and `AccumulateGrad` nodes.

The graph of a recurrence has **exponentially many paths** (an LSTM's state reaches the next step along
several of them): remember the depth of every node you have finished in a dict, so that every node is
computed once. A recursive function works for the sizes used here; the reference uses an explicit stack, which
also works for graphs thousands of operations deep.""", zh="""`output` 是一个张量。返回（一个 `int`）其自动求导图中
最长链上的运算个数：叶子（`output.grad_fn is None`）返回 0；否则从 `output.grad_fn` 往下数节点，跳过 `None` 项和
`AccumulateGrad` 节点。

循环的计算图有**指数多条路径**（LSTM 的状态沿其中好几条到达下一步）：用一个 dict 记住每个已经算完的节点的深度，
这样每个节点只计算一次。对这里用到的规模，递归函数就够用；参考实现用的是显式的栈，对几千个运算深的图也适用。""",
                of="d15646459e")

DEPTH_HINT = stages(
    idea=bi("""The depth of a node is 1 plus the greatest depth among its inputs, and 1 when it has no inputs left
to count: a recursion down the graph. Remember every node's answer, so that a node reached along many paths is
computed only once.""",
            zh="""一个节点的深度是 1 加上其各输入深度中的最大值；没有需要计数的输入时为 1：这是沿计算图往下的递归。记住每个节点的结果，这样经由多条路径到达的节点也只计算一次。""",
            of="b1942c1456"),
    shapes=bi("""1. A leaf (its `grad_fn` is `None`) has depth 0; otherwise start from the output's `grad_fn`.
2. A node's inputs are the first members of its `next_functions` pairs; skip the `None` entries (constants)
   and the `AccumulateGrad` nodes (leaves, not operations).
3. The depth of a node is 1 plus the largest depth of its inputs (1 when none remain). Keep a dict from node to
   depth and look a node up there before computing it.
4. The answer is the depth of the output's `grad_fn`, an `int`. A recursive function is enough here; an
   explicit stack also handles graphs deeper than Python's recursion limit.""",
              zh="""1. 叶子（其 `grad_fn` 为 `None`）的深度为 0；否则从输出的 `grad_fn` 开始。
2. 一个节点的输入是它的 `next_functions` 中每一对的第一个元素；跳过 `None` 项（常数）和 `AccumulateGrad` 节点（它们是叶子，不是运算）。
3. 一个节点的深度是 1 加上其输入中最大的深度（没有剩下的输入时为 1）。用一个 dict 记录节点到深度的映射，计算一个节点之前先在其中查找。
4. 答案是输出的 `grad_fn` 的深度，一个 `int`。这里用递归函数就够了；显式的栈还能处理比 Python 递归上限更深的图。""",
              of="fbe00d2e01"),
    code=bi("""```python
memo = {}
def depth(node):
    if node not in memo:
        inputs = [n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad"]
        memo[node] = 1 + max((depth(n) for n in inputs), default=0)
    return memo[node]
```""", zh="""```python
memo = {}
def depth(node):
    if node not in memo:
        inputs = [n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad"]
        memo[node] = 1 + max((depth(n) for n in inputs), default=0)
    return memo[node]
```""", of="d0ee73c704"))

DEPTH_MEASURE = bi(r"""### Measured: depth of a recurrence and of attention, on their real graphs

For each length `T` we build three layers of width 16 and count with your `graph_depth`. The weights of the RNN
and of the attention layer do not require gradients, so their graphs hold only what depends on the input (the
LSTM's weights do, which adds a few nodes beside the chain but does not lengthen it):

* **layer**: the depth of the whole output, every position of the input requiring gradients;
* **path**: the longest chain from the input at position 0 to the output at position `T - 1` (only
  position 0 requires gradients; we read the last position's output).

The RNN is `nn.RNN`; the LSTM runs `nn.LSTMCell` step by step (on the CPU `nn.LSTM` is one fused kernel, a
single node of the graph, which hides its steps); the attention layer is causal self-attention with four
projections, built on your `attention_all_positions`.""", zh=r"""### 测量：循环与注意力在各自真实计算图上的深度

对每种长度 `T`，我们构造三个宽度为 16 的层，并用你的 `graph_depth` 计数。RNN 和注意力层的权重不需要梯度，所以它们
的计算图只包含依赖于输入的部分（LSTM 的权重需要梯度，这会在链旁边多出几个节点，但不会让链变长）：

* **layer**（整层）：整个输出的深度，输入的每个位置都需要梯度；
* **path**（路径）：从位置 0 的输入到位置 `T - 1` 的输出的最长链（只有位置 0 需要梯度；我们读取最后一个位置的
  输出）。

RNN 用的是 `nn.RNN`；LSTM 用 `nn.LSTMCell` 一步一步地运行（在 CPU 上 `nn.LSTM` 是一个融合内核，在计算图中只是
一个节点，会把它的各个步骤藏起来）；注意力层是带四个投影的因果自注意力，建立在你的 `attention_all_positions` 之上。""",
                   of="01f2dfcaf7")

DEPTH_CODE = bi("""graph_depth_ = yours_or_reference("graph_depth", graph_depth)
lengths = (1, 2, 4, 8) if GRADING else (1, 2, 4, 8, 16, 32)
depths = experiments.depth_table(graph_depth_, attention, lengths)
names = ("RNN", "LSTM", "attention")
print(f"{'T':>4} | " + " | ".join(f"{n + ': layer':>16} {'path':>5}" for n in names))
for r in depths:
    print(f"{r['T']:>4} | " + " | ".join(f"{r[n + ' layer']:>16} {r[n + ' path']:>5}" for n in names))""",
                zh="""graph_depth_ = yours_or_reference("graph_depth", graph_depth)
lengths = (1, 2, 4, 8) if GRADING else (1, 2, 4, 8, 16, 32)
depths = experiments.depth_table(graph_depth_, attention, lengths)
names = ("RNN", "LSTM", "attention")  # 也是结果表中的键名，保持英文
print(f"{'T':>4} | " + " | ".join(f"{n + '：整层':>16} {'路径':>5}" for n in names))
for r in depths:
    print(f"{r['T']:>4} | " + " | ".join(f"{r[n + ' layer']:>16} {r[n + ' path']:>5}" for n in names))""",
                of="ba5ac87af1")

DEPTH_SUMMARY = bi("""slopes = {n: experiments.ops_per_step(depths, n) for n in names}
for n, (per_step, rest) in slopes.items():
    print(f"{n:>9}: depth = {per_step:.1f} x T + {rest:.1f}")
attention_depths = sorted({r["attention layer"] for r in depths})
constant = len(attention_depths) == 1
print(f"Each RNN step adds {slopes['RNN'][0]:.0f} dependent operations (a product, an addition, tanh) and each LSTM "
      f"step {slopes['LSTM'][0]:.0f}; attention's depth "
      + (f"stays {attention_depths[0]} whatever T" if constant else f"varies between {attention_depths[0]} and "
         f"{attention_depths[-1]}: look at your graph")
      + f", and the path from the first position to the last is {depths[-1]['attention path']} operations long "
      f"at T = {depths[-1]['T']}, against {depths[-1]['RNN path']} through the RNN.")""",
                   zh="""slopes = {n: experiments.ops_per_step(depths, n) for n in names}
for n, (per_step, rest) in slopes.items():
    print(f"{n:>9}：深度 = {per_step:.1f} x T + {rest:.1f}")
attention_depths = sorted({r["attention layer"] for r in depths})
constant = len(attention_depths) == 1
print(f"RNN 每一步增加 {slopes['RNN'][0]:.0f} 个相互依赖的运算（一次乘法、一次加法、tanh），LSTM 每一步增加 "
      f"{slopes['LSTM'][0]:.0f} 个；注意力的深度"
      + (f"无论 T 是多少都保持为 {attention_depths[0]}" if constant else f"在 {attention_depths[0]} 和 "
         f"{attention_depths[-1]} 之间变化：请检查你的计算图")
      + f"；在 T = {depths[-1]['T']} 时，从第一个位置到最后一个位置的路径经过注意力长 {depths[-1]['attention path']} 个运算，"
      f"经过 RNN 则长 {depths[-1]['RNN path']} 个。")""", of="12929302a4")

LOOP_WHY = bi(r"""## 3. All positions at once

Depth is not the whole story. Here is the same attention written as a recurrence would be, one query position
after the other (it is handed out; `causal=True` lets query `t` see the keys `0 .. t` only). Its queries do not
wait for each other, so its graph is hardly deeper than the batched one: the depth of section 2 does not tell
them apart. What differs is the **number of operations**: the loop runs a few small operations *per query*,
`T` times as many as one batched computation, and Python launches each of them after the one before. Exercise
4 removes the loop; the cell after it counts the operations (the nodes of the autograd graph, as
`graph_depth` walks them) and times both.""", zh=r"""## 3. 所有位置同时计算

深度并不是全部。下面是同一个注意力，但像循环那样写成一个查询位置接一个查询位置地算（直接提供给你；`causal=True`
让查询 `t` 只能看到键 `0 .. t`）。它的各个查询并不彼此等待，所以它的计算图几乎不比批量版本更深：第 2 节的深度区分
不出二者。不同的是**运算的个数**：循环*对每个查询*都要运行几个小运算，总数是一次批量计算的 `T` 倍，而且 Python
要一个接一个地启动它们。练习 4 去掉这个循环；练习之后的单元格会数出两者的运算个数（即 `graph_depth` 遍历的自动求导
图节点），并给两者计时。""", of="3a769e4196")

LOOP_CODE = """print(inspect.getsource(attention_one_query_at_a_time))"""

ALL_TEXT = bi("""`q` `(..., T, d)`, `k` `(..., Tk, d)`, `v` `(..., Tk, d_v)`: any leading dimensions. Return `(..., T, d_v)`,
the same values as `attention_one_query_at_a_time(q, k, v, causal)` for 3-D inputs, with **no loop**: one
product for all the scores, a `(T, Tk)` boolean mask for `causal=True` (query `t` sees keys `0 .. t`), one
softmax, one product with `v`. The check also counts the operations of your output's autograd graph: a loop
over positions gives right values, but is not this exercise.""", zh="""`q` 为 `(..., T, d)`，`k` 为 `(..., Tk, d)`，
`v` 为 `(..., Tk, d_v)`：前面可以有任意多个维度。返回 `(..., T, d_v)`，对三维输入，其值与
`attention_one_query_at_a_time(q, k, v, causal)` 相同，但**不用循环**：一次乘法算出所有分数，`causal=True` 时用一个
`(T, Tk)` 的布尔掩码（mask）（查询 `t` 只能看到键 `0 .. t`），一次 softmax，再与 `v` 做一次乘法。检查还会数你的输出
的自动求导图中的运算个数：对位置循环能得到正确的值，但那不是本练习要做的。""", of="e481e85768")

ALL_HINT = stages(
    idea=bi("""One matrix product computes every query's scores against every key at once. The causal rule becomes a
fixed `(T, Tk)` mask: the hidden scores are set to minus infinity before the softmax, so that their weights are
exactly zero. Nothing loops over positions.""",
            zh="""一次矩阵乘法就能同时算出每个查询对每个键的分数。因果规则变成一个固定的 `(T, Tk)` 掩码：在 softmax 之前把被遮住的分数设为负无穷，它们的权重就恰好为零。不需要对位置做任何循环。""",
            of="af04c2322a"),
    shapes=bi("""1. The scores: `q` `(..., T, d)` times `k` with its last two axes swapped, `(..., d, Tk)`, divided by
   `sqrt(d)`: `(..., T, Tk)`.
2. If `causal`: a boolean `(T, Tk)` table, True on and below the diagonal (key `j <= t`), made on the device of
   `q`; the scores where it is False become `-inf`. It broadcasts over the leading dimensions.
3. The softmax over the last axis, the keys: `(..., T, Tk)`, each row summing to 1.
4. The weights times `v` `(..., Tk, d_v)`: `(..., T, d_v)`.""",
              zh="""1. 分数：`q` `(..., T, d)` 乘以交换了最后两个轴的 `k`，即 `(..., d, Tk)`，再除以 `sqrt(d)`：得到 `(..., T, Tk)`。
2. 如果 `causal` 为真：在 `q` 所在的设备上构造一个 `(T, Tk)` 的布尔表，对角线及其下方为 True（键 `j <= t`）；表中为 False 处的分数设为 `-inf`。它会在前面的各维上广播。
3. 在最后一个轴（键）上做 softmax：得到 `(..., T, Tk)`，每一行之和为 1。
4. 权重乘以 `v` `(..., Tk, d_v)`：得到 `(..., T, d_v)`。""",
              of="f6059edf5e"),
    code=bi("""`scores = q @ k.transpose(-2, -1) / math.sqrt(d)` gives `(..., T, Tk)`. For the causal case,
`torch.ones(T, Tk, dtype=torch.bool, device=q.device).tril()` is True where key `j <= t` (`device=` keeps the
mask where `q` is, on a GPU in section 8); `scores.masked_fill(~allowed, float("-inf"))` hides the rest. Then
`torch.softmax(scores, dim=-1) @ v`. Import `math` in the cell if you use it.""",
              zh="""`scores = q @ k.transpose(-2, -1) / math.sqrt(d)` 得到 `(..., T, Tk)`。对于因果的情形，
`torch.ones(T, Tk, dtype=torch.bool, device=q.device).tril()` 在键 `j <= t` 处为 True（`device=` 让掩码与 `q` 在
同一设备上，第 8 节在 GPU 上运行时需要它）；`scores.masked_fill(~allowed, float("-inf"))` 把其余的遮住。然后是
`torch.softmax(scores, dim=-1) @ v`。如果用到 `math`，请在单元格中导入它。""", of="14bcc4a169"))

LOOP_DEMO = bi("""# The batched version equals the loop; count the operations of each graph, and time both.
loop = experiments.loop_versus_batched(attention, attention_one_query_at_a_time, graph_depth_, T=256,
                                       repeats=REPEATS)
print(f"q, k, v: (B, T, d) = (2, {loop['T']}, 16); greatest difference {loop['difference']:.1e}")
print(f"depth of the output: batched {loop['depth']['batched']} | loop {loop['depth']['loop']}")
print(f"operations in the graph: batched {loop['operations']['batched']} | loop {loop['operations']['loop']}")
print(loop["claim"])
print(f"Load: {loop['load']}.")""", zh="""# 批量版本与循环版本结果相同；数一数各自计算图中的运算个数，并给两者计时。
loop = experiments.loop_versus_batched(attention, attention_one_query_at_a_time, graph_depth_, T=256,
                                       repeats=REPEATS)
print(f"q, k, v：(B, T, d) = (2, {loop['T']}, 16)；最大差值 {loop['difference']:.1e}")
print(f"输出的深度：批量 {loop['depth']['batched']} | 循环 {loop['depth']['loop']}")
print(f"计算图中的运算个数：批量 {loop['operations']['batched']} | 循环 {loop['operations']['loop']}")
print(loop["claim"])
print(f"负载：{loop['load']}。")""", of="e559bddd0f")

TIME_WHY = bi(r"""## 4. Wall time on this machine

Now we time the three layers, width `D = 64`, on **one sequence** (`B = 1`), on two threads: an `nn.RNN` and
an `nn.LSTM` (PyTorch's own layers: on the CPU the RNN runs its steps in a C++ loop, the LSTM as one fused
kernel) and the self-attention layer (four projections around your attention, causal), forward only and
forward plus backward. If other work keeps the machine busy, the cell uses one thread instead of two and says
why: threads that wait for each other on a busy machine measure the scheduler, not the layer. Each time is the
median of 5 runs (9 when other work keeps the machine busy, within a time budget), printed with its range, and
the load is printed beside the table. The lengths and layers are timed in turns, round after round, so that a
busy moment slows one run of each rather than all runs of one.

The course needs no GPU: these times are from the CPU. Where the machine has one, section 8 repeats the
timings there and says so.""", zh=r"""## 4. 这台机器上的墙钟时间

现在我们给三个宽度为 `D = 64` 的层计时，在**一个序列**（`B = 1`）上，用两个线程：一个 `nn.RNN` 和一个 `nn.LSTM`
（PyTorch 自带的层：在 CPU 上，RNN 在一个 C++ 循环里逐步运行，LSTM 则是一个融合内核），以及自注意力层（四个投影
包着你的注意力，因果），分别测只做前向和前向加反向。如果其他工作让机器处于繁忙状态，这个单元格会改用一个线程而不是
两个，并说明原因：在繁忙的机器上，彼此等待的线程测到的是调度器，而不是这一层。每个时间是 5 次运行的中位数（其他工作
让机器繁忙时为 9 次，在一定的时间预算内），并附上其范围，负载打印在表格旁边。各种长度和各个层轮流计时，一轮接一轮，
这样某个繁忙的时刻只会拖慢每种情形中的一次运行，而不是某一种情形的所有运行。

本课程不需要 GPU：这些时间都来自 CPU。如果机器上有 GPU，第 8 节会在 GPU 上重复这些计时，并注明这一点。""", of="703b5ec8a7")

TIME_CODE = bi("""lengths = experiments.TIME_LENGTHS
P, why = claims.choose_threads(2)[:2]  # two threads, or one if other work keeps the machine busy
cpu = f"CPU, {P} thread{'s' if P > 1 else ''}"
print(f"Timing on {why}.")
times, load = experiments.time_layers(attention, lengths, d_model=D, repeats=REPEATS, num_threads=P)
print(experiments.time_table(lengths, times, cpu))
print(f"Load: {load}.")
fig = experiments.plot_wall_time(lengths, times, cpu)
plt.show()""", zh="""lengths = experiments.TIME_LENGTHS
P, why = claims.choose_threads(2)[:2]  # 两个线程；如果其他工作让机器繁忙，就用一个
cpu = f"CPU（{P} 个线程{'并行' if P > 1 else ''}）"
print(f"计时使用 {why}。")
times, load = experiments.time_layers(attention, lengths, d_model=D, repeats=REPEATS, num_threads=P)
print(experiments.time_table(lengths, times, cpu))
print(f"负载：{load}。")
fig = experiments.plot_wall_time(lengths, times, cpu)
plt.show()""", of="28688b81b9")

TIME_SUMMARY = bi("""# Each sentence is chosen by the medians and ranges above (thresholds in course_lib/experiments/claims.py).
time_claims = experiments.wall_time_claims(lengths, times, load, lambda T: attention_flops_(T, D))
for claim in time_claims:
    print(claim)
if load.busy:
    print(f"Warning: {load}. Other work shares the cores, so these times may differ from an idle machine's; "
          "run this cell again when the machine is quieter to compare.")""",
                  zh="""# 每句话都由上面的中位数和范围决定（阈值见 course_lib/experiments/claims.py）。
time_claims = experiments.wall_time_claims(lengths, times, load, lambda T: attention_flops_(T, D))
for claim in time_claims:
    print(claim)
if load.busy:
    print(f"注意：{load}。其他工作在共用这些核心，所以这些时间可能与空闲机器上的不同；"
          "等机器空闲一些时再运行一次这个单元格，以便比较。")""", of="0e13774ed1")

GPU_WHY = bi(r"""## 8. The same layers on a GPU, if this machine has one

Nothing in this course needs a GPU. If PyTorch sees one (`torch.cuda.is_available()`), the cell below repeats
the timings of section 4 and the fused-kernel timing of section 7 on it (not the training throughput), with the
clock waiting for the GPU to finish (`torch.cuda.synchronize`), and labels every number with its device. This
notebook quotes no GPU numbers of its own: what the cell prints on your machine is the only GPU measurement
here. Section 5's model says what to look for: thousands of arithmetic units make the work term small, so it
predicts that the recurrence's chain of steps then dominates.""", zh=r"""## 8. 同样的层在 GPU 上（如果这台机器有 GPU）

本课程的任何部分都不需要 GPU。如果 PyTorch 能看到 GPU（`torch.cuda.is_available()`），下面的单元格会在 GPU 上
重复第 4 节的计时和第 7 节中融合内核的计时（不包括训练吞吐量），计时时钟会等待 GPU 完成工作
（`torch.cuda.synchronize`），并给每个数字标明它的设备。本笔记本本身没有引用任何 GPU 上的数字：这个单元格在你的机器
上打印的结果，就是这里唯一的 GPU 测量。第 5 节的模型告诉你该看什么：成千上万个运算单元让计算量一项变得很小，所以模型
预测，这时占主导的将是循环那一串前后相继的步骤。""", of="1a5f879b69")

GPU_CODE = bi("""if torch.cuda.is_available() and not GRADING:
    gpu = experiments.device_name("cuda")
    gpu_times, gpu_load = experiments.time_layers(attention, lengths, d_model=D, device="cuda")
    print(experiments.time_table(lengths, gpu_times, gpu))
    print(f"Load on the CPU that drives it: {gpu_load}.")
    for claim in experiments.wall_time_claims(lengths, gpu_times, gpu_load, lambda T: attention_flops_(T, D))[:4]:
        print(f"{gpu}: {claim}")
    gpu_fused, _ = experiments.time_fused(attention, fused_lengths, device="cuda")
    for claim in experiments.fused_claims(fused_lengths, gpu_fused, gpu_load):
        print(f"{gpu}: {claim}")
else:
    print("No GPU here" + (" (or grading)" if GRADING else "") + f": every time in this notebook was measured on "
          f"the {cpu}.")""", zh="""if torch.cuda.is_available() and not GRADING:
    gpu = experiments.device_name("cuda")
    gpu_times, gpu_load = experiments.time_layers(attention, lengths, d_model=D, device="cuda")
    print(experiments.time_table(lengths, gpu_times, gpu))
    print(f"驱动 GPU 的 CPU 上的负载：{gpu_load}。")
    for claim in experiments.wall_time_claims(lengths, gpu_times, gpu_load, lambda T: attention_flops_(T, D))[:4]:
        print(f"{gpu}：{claim}")
    gpu_fused, _ = experiments.time_fused(attention, fused_lengths, device="cuda")
    for claim in experiments.fused_claims(fused_lengths, gpu_fused, gpu_load):
        print(f"{gpu}：{claim}")
else:
    print("这里没有 GPU" + ("（或正在评分）" if GRADING else "") + f"：本笔记本中的每个时间都是在 "
          f"{cpu} 上测得的。")""", of="c0dfd01f8d")

MODEL_WHY = bi(r"""## 5. A model of the times: work / cores + depth × step latency

Two things limit a layer. Its **work**, spread over `P` cores that each do `f` FLOPs a second, takes
`work / (P·f)` seconds at best. Its **depth**, the chain of operations that must wait for each other, takes
`depth × L` seconds however many cores there are, where `L` is the **latency** of one dependent operation
(starting a kernel, reading its input, writing its output). So

$$\text{time} \approx \text{overhead} + \frac{\text{work}}{P \cdot f} + \text{depth} \times L.$$

We fit `overhead`, `f` and `L` to the median forward times just measured (`P` = the threads they used), with the work from your formulas
and the depth from your graph counts of section 2 (extended to longer `T` with the fitted line
`depth = a·T + b`). Then we ask the model what happens with 64 cores (a large CPU server) and with 10,000
(the order of a GPU's arithmetic units). Those two panels are the model's extrapolation, **not** measurements.""",
               zh=r"""## 5. 时间的模型：计算量 / 核心数 + 深度 × 单步延迟

限制一层速度的有两样东西。它的**计算量**分摊到 `P` 个核心上，每个核心每秒做 `f` 个 FLOP，最少需要
`work / (P·f)` 秒。它的**深度**，即必须彼此等待的那条运算链，无论有多少个核心都需要 `depth × L` 秒，其中 `L` 是
一个相互依赖的运算的**延迟**（启动一个内核、读取它的输入、写出它的输出）。因此

$$\text{time} \approx \text{overhead} + \frac{\text{work}}{P \cdot f} + \text{depth} \times L.$$

我们用刚测得的前向时间中位数（`P` = 测量时用的线程数）来拟合 `overhead`（固定开销）、`f` 和 `L`，计算量来自你的
公式，深度来自你在第 2 节对计算图的计数（用拟合出的直线 `depth = a·T + b` 外推到更长的 `T`）。然后我们问模型：
换成 64 个核心（一台大型 CPU 服务器）和 10,000 个核心（GPU 运算单元的数量级）会怎样。这两幅子图是模型的外推，
**不是**测量结果。""", of="adf59cb779")

MODEL_CODE = bi("""rnn_depth = lambda T: slopes["RNN"][0] * T + slopes["RNN"][1]  # noqa: E731 - fitted in section 2
attention_depth = lambda T: slopes["attention"][0] * T + slopes["attention"][1]  # noqa: E731
fitted = experiments.fit_cost_model(
    work=[rnn_flops_(T, D) for T in lengths] + [attention_flops_(T, D) for T in lengths],
    depth=[rnn_depth(T) for T in lengths] + [attention_depth(T) for T in lengths],
    seconds=experiments.medians(times["RNN"]["forward"]) + experiments.medians(times["attention"]["forward"]),
    cores=P)
print(f"overhead {fitted['overhead'] * 1e6:.0f} µs, f = {fitted['flops per core'] / 1e9:.1f} GFLOP/s per core, "
      f"L = {fitted['latency'] * 1e6:.2f} µs per dependent operation (relative error of the fit "
      f"{fitted['relative error']:.0%})")
fit_claim = experiments.fit_claim(fitted, load)
print(fit_claim)
model_lengths = [2 ** i for i in range(4, 15)]
measured = {"T": lengths, "RNN": experiments.medians(times["RNN"]["forward"]),
            "attention": experiments.medians(times["attention"]["forward"])}
fig = experiments.plot_cost_model(fitted, model_lengths, lambda T: rnn_flops_(T, D), lambda T: attention_flops_(T, D),
                                  rnn_depth, attention_depth, measured, cores=(P, 64, 10_000))
plt.show()""", zh="""rnn_depth = lambda T: slopes["RNN"][0] * T + slopes["RNN"][1]  # noqa: E731 - 在第 2 节拟合
attention_depth = lambda T: slopes["attention"][0] * T + slopes["attention"][1]  # noqa: E731
fitted = experiments.fit_cost_model(
    work=[rnn_flops_(T, D) for T in lengths] + [attention_flops_(T, D) for T in lengths],
    depth=[rnn_depth(T) for T in lengths] + [attention_depth(T) for T in lengths],
    seconds=experiments.medians(times["RNN"]["forward"]) + experiments.medians(times["attention"]["forward"]),
    cores=P)
print(f"固定开销 {fitted['overhead'] * 1e6:.0f} µs，f = 每核心 {fitted['flops per core'] / 1e9:.1f} GFLOP/s，"
      f"L = 每个相互依赖的运算 {fitted['latency'] * 1e6:.2f} µs（拟合的相对误差 "
      f"{fitted['relative error']:.0%}）")
fit_claim = experiments.fit_claim(fitted, load)
print(fit_claim)
model_lengths = [2 ** i for i in range(4, 15)]
measured = {"T": lengths, "RNN": experiments.medians(times["RNN"]["forward"]),
            "attention": experiments.medians(times["attention"]["forward"])}
fig = experiments.plot_cost_model(fitted, model_lengths, lambda T: rnn_flops_(T, D), lambda T: attention_flops_(T, D),
                                  rnn_depth, attention_depth, measured, cores=(P, 64, 10_000))
plt.show()""", of="976704ef0e")

MODEL_SUMMARY = bi("""def model_crossover(cores):
    for T in sorted({int(8 * 1.02 ** i) for i in range(600)}):  # T from 8 to about a million, 2 % apart
        rnn = experiments.predict(fitted, rnn_flops_(T, D), rnn_depth(T), cores)
        if experiments.predict(fitted, attention_flops_(T, D), attention_depth(T), cores) > rnn:
            return T
    return None


print(f"One RNN step costs about {slopes['RNN'][0] * fitted['latency'] * 1e6:.1f} µs of latency in the fitted model, "
      f"{slopes['RNN'][0]:.0f} dependent operations of {fitted['latency'] * 1e6:.2f} µs.")
crossovers = {cores: model_crossover(cores) for cores in (P, 64, 10_000)}
for cores, T_cross in crossovers.items():
    where = f"from T = {T_cross:,}" if T_cross else "at no length below a million"
    print(f"{cores:>6,} core{'s' if cores > 1 else ''}: the model has attention slower than the RNN {where}")
model_claim = experiments.crossover_claims(crossovers)
print(model_claim)""", zh="""def model_crossover(cores):
    for T in sorted({int(8 * 1.02 ** i) for i in range(600)}):  # T 从 8 到大约一百万，相邻两个相差 2 %
        rnn = experiments.predict(fitted, rnn_flops_(T, D), rnn_depth(T), cores)
        if experiments.predict(fitted, attention_flops_(T, D), attention_depth(T), cores) > rnn:
            return T
    return None


print(f"在拟合的模型中，RNN 的一步约有 {slopes['RNN'][0] * fitted['latency'] * 1e6:.1f} µs 的延迟："
      f"{slopes['RNN'][0]:.0f} 个相互依赖的运算，每个 {fitted['latency'] * 1e6:.2f} µs。")
crossovers = {cores: model_crossover(cores) for cores in (P, 64, 10_000)}
for cores, T_cross in crossovers.items():
    where = f"从 T = {T_cross:,} 起" if T_cross else "在一百万以下的任何长度上都不会"
    print(f"{cores:>6,} 个核心{'并行' if cores > 1 else ''}：在模型中，注意力{where}比 RNN 慢")
model_claim = experiments.crossover_claims(crossovers)
print(model_claim)""", of="3ec998d43e")

GRAD_WHY = bi(r"""## 6. Gradients along the sequence

Depth matters for learning too. Notebook 01 measured the gradient that reaches the input at step 0 from the
loss at step `t`: through a recurrence it shrinks about exponentially with `t`, one Jacobian per step. In a
self-attention layer every output is one attention step away from every input it may see. We repeat notebook
01's measurement (same widths, random initialisation, a fixed random read-out) for an RNN, an LSTM and one
causal attention layer built on your `attention_all_positions`, and compare the falls in orders of magnitude
(the slopes of the log plot).""", zh=r"""## 6. 沿序列传播的梯度

深度对学习也有影响。笔记本 01 测量了从第 `t` 步的损失（loss）传到第 0 步输入的梯度：经过循环，它随 `t` 大约呈指数
衰减，每一步乘一个雅可比矩阵。在自注意力层中，每个输出与它能看到的每个输入之间只隔一步注意力。我们对一个 RNN、一个
LSTM 和一个建立在你的 `attention_all_positions` 之上的因果注意力层重复笔记本 01 的测量（同样的宽度、随机初始化、
一个固定的随机读出），并以数量级比较它们的衰减（即对数图中的斜率）。""", of="952c27702b")

GRAD_CODE = bi("""T = 32 if GRADING else 64
curves = {
    "RNN": gradient_to_first_step("rnn", T),
    "LSTM": gradient_to_first_step("lstm", T),
    "self-attention (causal)": experiments.attention_gradient_to_first_step(attention, T),
}
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for label, norms in curves.items():
    ax.plot(range(T), norms, label=label)
ax.set(yscale="log", xlabel="distance t (positions between the input and the loss)",
       ylabel="||d loss_t / d x_0|| (mean over batch)", title="Gradient reaching position 0 from the loss at t")
ax.legend()
fig.tight_layout()
plt.show()""", zh="""T = 32 if GRADING else 64
curves = {  # 键名也用于后面的结论语句，保持英文
    "RNN": gradient_to_first_step("rnn", T),
    "LSTM": gradient_to_first_step("lstm", T),
    "self-attention (causal)": experiments.attention_gradient_to_first_step(attention, T),
}
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for label, norms in curves.items():
    ax.plot(range(T), norms, label=label)
ax.set(yscale="log", xlabel="距离 t（输入与损失之间相隔的位置数）",
       ylabel="||d loss_t / d x_0||（批量上的平均）", title="从位置 t 的损失传到位置 0 的梯度")
ax.legend()
fig.tight_layout()
plt.show()""", of="b6cfce6692")

GRAD_SUMMARY = bi("""far = T - 1
for label, norms in curves.items():
    print(f"{label:>24}: gradient at distance 1 {norms[1]:.1e}, at distance {far} {norms[far]:.1e} "
          f"({norms[1] / norms[far]:.1e}x smaller)")
gradient_claims = experiments.gradient_claims(curves, far)
for claim in gradient_claims:
    print(claim)""", zh="""far = T - 1
for label, norms in curves.items():
    print(f"{label:>24}：距离 1 处的梯度 {norms[1]:.1e}，距离 {far} 处 {norms[far]:.1e}"
          f"（小了 {norms[1] / norms[far]:.1e} 倍）")
gradient_claims = experiments.gradient_claims(curves, far)
for claim in gradient_claims:
    print(claim)""", of="51ae84bf5b")

FUSED_WHY = bi(r"""## 7. What a fused kernel buys

Your `attention_all_positions` runs its steps as separate operations, each its own kernel: the product, the
scaling, the mask, the softmax, the product; between them, the `T x T` scores are written to memory and read
back. `torch.nn.functional.scaled_dot_product_attention` does the same computation in one **fused** kernel,
which works through the keys in blocks and never stores the whole `T x T` matrix. We time both, forward and
backward, with 4 heads of width 16, causal; then the training speed (tokens per second: forward, backward, Adam
step) of a small model built on an LSTM layer and on a self-attention layer, batch 8, as the length grows.
Medians and ranges, as in section 4. (On a GPU the fused kernel is expected to matter more: there, moving the
`T x T` scores to and from memory, more than the arithmetic, tends to limit attention, which is the argument of
the FlashAttention paper (Dao et al., 2022). This notebook does not measure that itself; section 8 times the
fused kernel on a GPU where there is one.)""", zh=r"""## 7. 融合内核带来了什么

你的 `attention_all_positions` 把各个步骤作为独立的操作运行，每个操作是一个单独的内核：乘法、缩放、掩码、softmax、
乘法；在它们之间，`T x T` 的分数要写入内存、再读回来。`torch.nn.functional.scaled_dot_product_attention` 用一个
**融合**内核完成同样的计算，它按块逐批处理键，从不存储完整的 `T x T` 矩阵。我们给两者计时（前向加反向，4 个宽度为
16 的头，因果）；然后测量一个小模型的训练速度（每秒处理的词元（token）数：前向、反向、一步 Adam），模型分别建立在一个
LSTM 层和一个自注意力层之上，批量大小为 8，长度逐渐增大。与第 4 节一样，给出中位数和范围。（在 GPU 上，预计融合内核
的作用更大：在那里，限制注意力速度的往往是 `T x T` 分数在内存中的搬运，而不是算术运算，这正是 FlashAttention 论文
（Dao 等人，2022）的论点。本笔记本自身并不测量这一点；如果有 GPU，第 8 节会在 GPU 上给融合内核计时。）""", of="336a12492f")

FUSED_CODE = bi("""fused_lengths, train_lengths = experiments.FUSED_LENGTHS, experiments.TRAIN_LENGTHS
fused, fused_load = experiments.time_fused(attention, fused_lengths, repeats=REPEATS, num_threads=P)
print(f"Forward and backward, 4 heads of width 16, causal, on the {cpu}:")
fused_claims = experiments.fused_claims(fused_lengths, fused, fused_load)
for T, claim in zip(fused_lengths, fused_claims):
    print(f"{claim}; your scores of 4 heads take {4 * T * T * 4 / 2 ** 20:.2f} MiB")
print(f"Load: {fused_load}.")
steps, train_load = experiments.training_throughput(attention, train_lengths, repeats=REPEATS, num_threads=P)
print(f"Training steps (batch 8), on the {cpu}:")
rows, trend_claim = experiments.throughput_claims(train_lengths, steps, train_load)
for row in rows:
    print(row)
print(f"Load: {train_load}.")""", zh="""fused_lengths, train_lengths = experiments.FUSED_LENGTHS, experiments.TRAIN_LENGTHS
fused, fused_load = experiments.time_fused(attention, fused_lengths, repeats=REPEATS, num_threads=P)
print(f"前向加反向，4 个宽度为 16 的头，因果，在 {cpu} 上：")
fused_claims = experiments.fused_claims(fused_lengths, fused, fused_load)
for T, claim in zip(fused_lengths, fused_claims):
    print(f"{claim}；你的 4 个头的分数占 {4 * T * T * 4 / 2 ** 20:.2f} MiB")
print(f"负载：{fused_load}。")
steps, train_load = experiments.training_throughput(attention, train_lengths, repeats=REPEATS, num_threads=P)
print(f"训练步（批量大小 8），在 {cpu} 上：")
rows, trend_claim = experiments.throughput_claims(train_lengths, steps, train_load)
for row in rows:
    print(row)
print(f"负载：{train_load}。")""", of="693a9bbdea")

FUSED_SUMMARY = bi("""faster = [c for c in fused_claims if c.verdict == "faster"]
if faster:
    best = max(faster, key=lambda c: c.evidence["yours"].median / c.evidence["fused"].median)
    print(f"The fused kernel is faster, beyond the noise, at {len(faster)} of {len(fused_claims)} lengths, up to "
          f"{best.evidence['yours'].median / best.evidence['fused'].median:.1f}x at T = {best.evidence['T']}, "
          "with the same result.")
else:
    print("The fused kernel is not faster beyond the noise at any length here (see the ranges above).")
print(trend_claim)""", zh="""faster = [c for c in fused_claims if c.verdict == "faster"]
if faster:
    best = max(faster, key=lambda c: c.evidence["yours"].median / c.evidence["fused"].median)
    print(f"在 {len(fused_claims)} 种长度中的 {len(faster)} 种上，融合内核快于你的实现，且超出了噪声范围；在 "
          f"T = {best.evidence['T']} 时最多快 {best.evidence['yours'].median / best.evidence['fused'].median:.1f} 倍，"
          "结果相同。")
else:
    print("在这里的任何长度上，融合内核都没有超出噪声范围地更快（见上面的范围）。")
print(trend_claim)""", of="32cb730480")

SUMMARY = bi(r"""## Summary

* **Work.** An RNN layer costs `4·T·D²` FLOPs, a self-attention layer `8·T·D² + 4·T²·D`, as `FlopCounterMode`
  counts them on the real layers. Attention's `T x T` weights also cost `T²` numbers of memory per head. Per
  layer, attention does *more* work, and more so the longer the sequence.
* **Depth.** Counted on real autograd graphs, a recurrence adds a fixed number of dependent operations per
  step, so its depth and the path between the first and the last position grow with `T`; attention's depth is
  the same at every length. A loop over the queries keeps that depth but multiplies the number of operations.
* **Wall time** depends on the machine, and on what else it is doing. The model
  `overhead + work / (P·f) + depth × L` says why more cores favour attention: they shrink only the work term,
  and the recurrence's `T` steps of latency remain. That, and not fewer FLOPs, is the usual explanation of why
  attention trains faster than a recurrence on GPUs; this notebook times the CPU, and a GPU only in section 8
  where there is one. What *your* machine showed is printed below, from the numbers measured above.

**In the paper** ("Attention Is All You Need", Vaswani et al., 2017). This notebook measures section 4 (Why
Self-Attention) and its Table 1, which compares layers by three counts: the work per layer (self-attention
$O(n^2 \cdot d)$, recurrent $O(n \cdot d^2)$: your `attention_flops` and `rnn_flops` with their constants),
the sequential operations ($O(1)$ against $O(n)$: the depth `graph_depth` counted) and the maximum path length
between two positions ($O(1)$ against $O(n)$: the gradient of section 6). Table 1 leaves the four projections
out of the self-attention layer's work, so the paper finds self-attention cheaper than a recurrence when
`n < d`; with the projections counted, as `FlopCounterMode` counts them, it is never cheaper, and its advantage
is the depth. Section 1 (Introduction) states the same argument in words.

**Next:** notebook 07 stacks attention layers into a deep network and makes it trainable: residual
connections, layer norm, the feed-forward block and warm-up.""", zh=r"""## 小结

* **计算量。** 一个 RNN 层需要 `4·T·D²` 个 FLOP，一个自注意力层需要 `8·T·D² + 4·T²·D` 个，这与 `FlopCounterMode`
  在真实层上的计数一致。注意力的 `T x T` 权重还要占用每个头 `T²` 个数的内存。就单层而言，注意力做的计算*更多*，
  序列越长越是如此。
* **深度。** 在真实的自动求导图上计数，循环每一步都增加固定个数的相互依赖的运算，所以它的深度、以及第一个位置与
  最后一个位置之间的路径都随 `T` 增长；注意力的深度在每种长度上都一样。对查询做循环保持了这个深度，但让运算个数
  成倍增加。
* **墙钟时间**取决于机器，也取决于机器同时还在做什么。模型 `overhead + work / (P·f) + depth × L` 说明了为什么核心
  越多越有利于注意力：核心数只能缩小计算量那一项，而循环那 `T` 步的延迟依然存在。通常认为，注意力在 GPU 上比循环
  训练得更快，原因正在于此，而不在于 FLOP 更少；本笔记本只在 CPU 上计时，只有当机器有 GPU 时，第 8 节才会在 GPU 上
  计时。*你的*机器表现出了什么，打印在下面，来自上面测得的数字。

**对应论文**（"Attention Is All You Need"，Vaswani 等，2017）。本笔记本测量的是第 4 节（Why Self-Attention）及其表 1。
表 1 用三个量比较各种层：每层的计算量（自注意力 $O(n^2 \cdot d)$，循环 $O(n \cdot d^2)$：即你的 `attention_flops` 和
`rnn_flops`，外加常数）、顺序操作数（$O(1)$ 对 $O(n)$：即 `graph_depth` 数出的深度），以及两个位置之间的最长路径
长度（$O(1)$ 对 $O(n)$：即第 6 节的梯度）。表 1 没有把四个投影算进自注意力层的计算量，所以论文得出：当 `n < d` 时
自注意力比循环便宜；像 `FlopCounterMode` 那样把投影也算上，它就从来不会更便宜，它的优势在于深度。论文第 1 节
（Introduction）用文字讲了同样的论证。

**下一步：** 笔记本 07 把注意力层堆叠成一个深层网络，并让它能够训练：残差连接（residual connection）、层归一化
（layer normalization）、前馈块和预热（warm-up）。""", of="f96a63b3e0")

RECAP = bi("""# What this machine showed, printed from the measurements above (thresholds: course_lib/experiments/claims.py).
print(f"Work: {whose} {'match' if agree else 'do NOT match'} FlopCounterMode; attention did "
      f"{work[0]['attention counted'] / work[0]['RNN counted']:.1f}x to {work[-1]['attention counted'] / work[-1]['RNN counted']:.1f}x "
      "the RNN's work.")
print(f"Depth at T = {depths[-1]['T']}: RNN {depths[-1]['RNN layer']}, LSTM {depths[-1]['LSTM layer']}, attention "
      f"{depths[-1]['attention layer']} operations.")
loop_words = {"faster": "the batched version was faster", "slower": "the loop was faster",
              "inconclusive": "no clear difference in time"}[loop["claim"].verdict]
print(f"Loop over queries against one batched computation: {loop_words} ({loop['operations']['loop']} against "
      f"{loop['operations']['batched']} operations).")
print(f"Wall time on the {cpu} ({load}):")
for claim in time_claims[:4]:
    print("  " + claim.text.strip())
print("Cost model: " + fit_claim.text)
print("Gradients: " + gradient_claims[0].text)
print("Training throughput: " + trend_claim.text)""", zh="""# 这台机器表现出了什么，由上面的测量打印出来（阈值见 course_lib/experiments/claims.py）。
print(f"计算量：{whose}与 FlopCounterMode {'一致' if agree else '不一致'}；注意力的计算量是 RNN 的 "
      f"{work[0]['attention counted'] / work[0]['RNN counted']:.1f} 倍到 {work[-1]['attention counted'] / work[-1]['RNN counted']:.1f} 倍"
      "。")
print(f"T = {depths[-1]['T']} 时的深度：RNN {depths[-1]['RNN layer']}，LSTM {depths[-1]['LSTM layer']}，注意力 "
      f"{depths[-1]['attention layer']} 个运算。")
loop_words = {"faster": "批量版本更快", "slower": "循环更快",
              "inconclusive": "时间上没有明显差别"}[loop["claim"].verdict]
print(f"对查询循环与一次批量计算相比：{loop_words}（{loop['operations']['loop']} 个运算对 "
      f"{loop['operations']['batched']} 个）。")
print(f"在 {cpu} 上的墙钟时间（{load}）：")
for claim in time_claims[:4]:
    print("  " + claim.text.strip())
print("时间模型：" + fit_claim.text)
print("梯度：" + gradient_claims[0].text)
print("训练吞吐量：" + trend_claim.text)""", of="8683c32be4")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(WORK_WHY),
        *exercise(1, ref.rnn_flops, points=1, seed=6101, difficulty=1, importance=3, minutes=5,
                  text=RNN_TEXT, hint=RNN_HINT,
                  final_assert='assert rnn_flops(10, 3) == 360, "10 steps of two (1, 3) x (3, 3) products, 2 FLOPs '
                               'per multiply-add (10 步，每步两次 (1, 3) x (3, 3) 乘法，每次乘加 2 个 FLOP)"'),
        *exercise(2, ref.attention_flops, points=2, seed=6203, difficulty=2, importance=4, minutes=10,
                  text=ATT_TEXT, hint=ATT_HINT,
                  final_assert='assert attention_flops(2, 3) == 192, "four projections 8·T·D², scores and mixing '
                               '4·T²·D (四个投影 8·T·D²，分数与混合 4·T²·D)"'),
        markdown(DEPTH_WHY),
        *exercise(3, ref.graph_depth, points=3, seed=6307, difficulty=3, importance=4, minutes=20,
                  text=DEPTH_TEXT, hint=DEPTH_HINT,
                  final_assert='assert graph_depth((torch.ones(2, requires_grad=True) * 2).exp()) == 2, '
                               '"two operations, one after the other (两个运算，一个接一个)"'),
        markdown(LOOP_WHY),
        code(LOOP_CODE),
        *exercise(4, ref.attention_all_positions, points=3, seed=6409, difficulty=2, importance=5, minutes=15,
                  text=ALL_TEXT, hint=ALL_HINT,
                  final_assert='assert attention_all_positions(torch.zeros(1, 3, 2), torch.zeros(1, 3, 2), '
                               'torch.arange(3.0).view(1, 3, 1), causal=True)[0, :, 0].tolist() == [0.0, 0.5, 1.0], '
                               '"query t averages the values 0..t (查询 t 对值 0..t 取平均)"'),
        markdown(WORK_MEASURE),
        *question("06.work"),
        code(WORK_CODE),
        answer("06.work", "work=work, D=D"),
        code(WORK_SUMMARY),
        markdown(DEPTH_MEASURE),
        *question("06.attention_depth"),
        code(DEPTH_CODE),
        answer("06.attention_depth", "depths=depths"),
        code(DEPTH_SUMMARY),
        code(LOOP_DEMO),
        markdown(TIME_WHY),
        code(TIME_CODE),
        code(TIME_SUMMARY),
        markdown(MODEL_WHY),
        code(MODEL_CODE),
        code(MODEL_SUMMARY),
        markdown(GRAD_WHY),
        code(GRAD_CODE),
        code(GRAD_SUMMARY),
        markdown(FUSED_WHY),
        code(FUSED_CODE),
        code(FUSED_SUMMARY),
        markdown(GPU_WHY),
        code(GPU_CODE),
        markdown(SUMMARY),
        code(RECAP),
    ], title=TITLE)
