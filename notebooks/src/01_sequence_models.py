"""Notebook 01: the RNN and the LSTM read a sequence one step at a time; we measure what that costs."""
from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import sequence_models as ref

TITLE = bi("01 Sequence models", zh="01 序列模型", of="a2114bc728")

INTRO = bi("""# 01 · Sequence models: reading one step at a time

**What you build:** `rnn_cell`, `rnn_forward`, `lstm_cell`.
**What you measure:** (a) the time to read a sequence against its length, with one thread and with several;
(b) how much gradient reaches the first step from a loss `t` steps later, for an RNN and an LSTM;
(c) whether an RNN and an LSTM can learn to recall a symbol seen `k` steps earlier.
**Time:** [[times]].

Text, audio, prices: many inputs are sequences, and their length varies. A **recurrent** network reads such a
sequence the way you read this sentence: one element after the other, carrying a summary of what it has read
so far, the **hidden state** `h`. At every step the same small network combines the new input with the old
state into a new state. The design is compact and handles any length, and it has two costs, which this
notebook measures: step `t` cannot start before step `t - 1` is done, and what was read long ago has to
survive many steps to influence anything.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size (sequences read side by side) |
| `T` | sequence length (steps) |
| `D` | width of one input vector `x_t` |
| `H` | width of the hidden state `h_t` (and of the LSTM's cell state `c_t`) |

Inputs are batch first: a batch of sequences is `x` of shape `(B, T, D)`, and `x[:, t]` is step `t` of every
sequence, shape `(B, D)`.

Run the set-up cells first (the language cell, then the set-up cell). Every exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.
""", zh="""# 01 · 序列模型：一步一步地读

**实现：** `rnn_cell`、`rnn_forward`、`lstm_cell`。
**测量：** (a) 读完一个序列所需的时间如何随序列长度变化，分别用单线程和多线程；(b) 对 RNN 和 LSTM 而言，`t` 步之后的损失（loss）能有多少梯度（gradient）传回第一步；(c) RNN 和 LSTM 能否学会回忆 `k` 步之前见过的一个符号。
**时间：** [[times]]。

文本、音频、价格：许多输入都是序列（sequence），而且长度不一。**循环神经网络**（recurrent neural network，RNN）读这样的序列，就像你读这句话一样：一个元素接一个元素地读，同时带着一份对已读内容的摘要，即**隐状态**（hidden state）`h`。每一步，同一个小网络把新的输入和旧的状态合成为新的状态。这种设计很紧凑，能处理任意长度；它也有两项代价，本笔记本会把它们测量出来：第 `t` 步必须等第 `t - 1` 步算完才能开始；很久以前读到的内容，要撑过许多步才能对后面产生影响。

**本笔记本使用的形状记号**

| 记号 | 含义 |
|---|---|
| `B` | 批量（batch）大小（并排读取的序列数） |
| `T` | 序列长度（步数） |
| `D` | 一个输入向量 `x_t` 的宽度 |
| `H` | 隐状态 `h_t` 的宽度（也是 LSTM 记忆元状态 `c_t` 的宽度） |

输入采用批量维在前（batch first）的布局：一批序列是形状为 `(B, T, D)` 的 `x`，`x[:, t]` 是每个序列的第 `t` 步，形状为 `(B, D)`。

请先运行两个设置单元格：先是语言单元格，再是设置单元格。每个练习（exercise）后面都跟着一个检查（check）单元格：它会在远不到两秒的时间内作答，要么给出一行绿色的通过信息，要么给出一条消息，指出它认出的错误。
""", of="2c7d47cb33")

SETUP = """# Set-up: imports, the course's checks and experiments, fixed seeds.
# 设置：导入模块、课程的检查和实验，固定随机种子。
import math
import os

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib.checks import check_lstm_cell, check_rnn_cell, check_rnn_forward
from course_lib.experiments import sequence_models as experiments

# your code if it passes its check, else the reference / 你的代码通过了检查就用它，否则用参考实现
from course_lib.experiments import yours_or_reference

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments; the exercises stay the same / 评分程序会缩小实验规模，练习不变"""

RNN_CELL_WHY = bi("""## 1. The RNN cell: one step

At step `t` the cell reads the input `x_t` and the previous state `h_{t-1}` and returns the new state:

$$h_t = \\tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$$

* `x_t W_xh` brings in the new input, `h_{t-1} W_hh` what was read before; the same weights serve every step.
* `tanh` squashes the sum into `(-1, 1)`: the state stays bounded however long the sequence, and two steps
  are not just one bigger linear map.

**A note on layouts.** This course writes weights so that the formula reads left to right, `x @ W` with `W`
of shape `(D, H)`. PyTorch's `nn.RNNCell` stores `weight_ih` as `(H, D)` and computes `x @ weight_ih.T`, and
it has two biases, `bias_ih` and `bias_hh`, which are simply added. The demo below converts one into the other.""",
zh="""## 1. RNN 单元：一步

在第 `t` 步，单元读入输入 `x_t` 和上一步的状态 `h_{t-1}`，返回新的状态：

$$h_t = \\tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$$

* `x_t W_xh` 带进新的输入，`h_{t-1} W_hh` 带进之前读过的内容；每一步都用同一组权重。
* `tanh` 把这个和压缩到 `(-1, 1)` 之内：无论序列多长，状态都保持有界；而且两步合起来也不只是一个更大的线性映射。

**关于权重布局。** 本课程让公式从左往右读：`x @ W`，其中 `W` 的形状为 `(D, H)`。PyTorch 的 `nn.RNNCell` 把 `weight_ih` 存成 `(H, D)`，计算的是 `x @ weight_ih.T`；它还有两个偏置 `bias_ih` 和 `bias_hh`，二者直接相加。下面的演示把一种布局换算成另一种。""", of="8e31b33120")

RNN_CELL_TEXT = bi("""`x_t` `(B, D)`, `h_prev` `(B, H)`, `W_xh` `(D, H)`, `W_hh` `(H, H)`, `b_h` `(H,)`. Return `h_t`, shape `(B, H)`.
Do not write into the inputs.""",
zh="""`x_t` `(B, D)`、`h_prev` `(B, H)`、`W_xh` `(D, H)`、`W_hh` `(H, H)`、`b_h` `(H,)`。返回 `h_t`，形状为 `(B, H)`。不要原地修改输入。""", of="1a43cdbb05")

RNN_CELL_HINT = stages(
    idea=bi("""The new state mixes what the cell reads now (the input) with what it remembers (the previous state). Bring
each to the state's width with its own weights, add the two and the bias, and squash the sum with tanh, so that
the state stays between -1 and 1.""",
            zh="""新状态融合了单元此刻读到的内容（输入）和它记住的内容（上一步的状态）。用各自的权重把两者都变换到状态的宽度，
把两者与偏置相加，再用 tanh 压缩这个和，使状态保持在 -1 与 1 之间。""", of="d891de042f"),
    shapes=bi("""1. The input times `W_xh`: `(B, D) x (D, H) -> (B, H)`.
2. The previous state times `W_hh`: `(B, H) x (H, H) -> (B, H)`.
3. Add the two, and the bias `b_h` `(H,)`, which broadcasts over the `B` rows: still `(B, H)`.
4. tanh, element by element: `h_t`, `(B, H)`.""",
              zh="""1. 输入乘以 `W_xh`：`(B, D) x (D, H) -> (B, H)`。
2. 上一步的状态乘以 `W_hh`：`(B, H) x (H, H) -> (B, H)`。
3. 把两者相加，再加上偏置 `b_h` `(H,)`，它沿 `B` 行广播：形状仍是 `(B, H)`。
4. 逐元素取 tanh：得到 `h_t`，形状为 `(B, H)`。""", of="03b8b6d25c"),
    code=bi("""`x_t @ W_xh` is `(B, D) x (D, H) -> (B, H)` and `h_prev @ W_hh` is `(B, H) x (H, H) -> (B, H)`; `b_h` of shape
`(H,)` broadcasts over the batch. `W_hh` is square, so `h_prev @ W_hh.T` would run without an error and be wrong.""",
zh="""`x_t @ W_xh` 是 `(B, D) x (D, H) -> (B, H)`，`h_prev @ W_hh` 是 `(B, H) x (H, H) -> (B, H)`；形状为 `(H,)` 的 `b_h` 会沿批量维广播。`W_hh` 是方阵，所以 `h_prev @ W_hh.T` 也能运行、不会报错，但结果是错的。""", of="1ed1a8f6e5"))

RNN_CELL_DEMO = bi("""# Yours against nn.RNNCell with the same weights (PyTorch stores them transposed, with two biases).
cell = yours_or_reference("rnn_cell", rnn_cell)
torch.manual_seed(1)
torch_cell = nn.RNNCell(input_size=3, hidden_size=5)
W_xh, W_hh = torch_cell.weight_ih.T.detach(), torch_cell.weight_hh.T.detach()  # (3, 5), (5, 5)
b_h = (torch_cell.bias_ih + torch_cell.bias_hh).detach()  # (5,)
x_t, h_prev = torch.randn(2, 3), torch.randn(2, 5)  # (B, D), (B, H)
with torch.no_grad():
    difference = (cell(x_t, h_prev, W_xh, W_hh, b_h) - torch_cell(x_t, h_prev)).abs().max().item()
print("greatest difference from nn.RNNCell:", difference)""",
zh="""# 用相同的权重，把你的实现与 nn.RNNCell 对比（PyTorch 存的是转置后的权重，并且有两个偏置）。
cell = yours_or_reference("rnn_cell", rnn_cell)
torch.manual_seed(1)
torch_cell = nn.RNNCell(input_size=3, hidden_size=5)
W_xh, W_hh = torch_cell.weight_ih.T.detach(), torch_cell.weight_hh.T.detach()  # (3, 5), (5, 5)
b_h = (torch_cell.bias_ih + torch_cell.bias_hh).detach()  # (5,)
x_t, h_prev = torch.randn(2, 3), torch.randn(2, 5)  # (B, D), (B, H)
with torch.no_grad():
    difference = (cell(x_t, h_prev, W_xh, W_hh, b_h) - torch_cell(x_t, h_prev)).abs().max().item()
print("与 nn.RNNCell 的最大差异：", difference)""", of="621712d889")

RNN_FORWARD_WHY = bi("""## 2. The RNN over a sequence: a loop that cannot be skipped

To read a whole sequence, start from an initial state `h0` (often zeros) and apply the cell at every step,
feeding each new state into the next step. Collect the states: `outputs[:, t]` is the state after reading
`x[:, t]`, and the last one, `h_last`, summarises the whole sequence.

Look at the loop you are about to write: step `t` needs `h` from step `t - 1`. Within one step, the `B`
sequences of the batch and the `H` units can be computed in parallel, but the `T` steps must run one after
the other. Section 4 measures what that means for the time to read a sequence.""",
zh="""## 2. 在整个序列上运行 RNN：一个省不掉的循环

要读完整个序列，就从初始状态 `h0`（通常为零）出发，在每一步应用这个单元，并把每个新状态送进下一步。把各步的状态收集起来：`outputs[:, t]` 是读完 `x[:, t]` 之后的状态，最后一个状态 `h_last` 概括了整个序列。

看看你马上要写的这个循环：第 `t` 步需要第 `t - 1` 步的 `h`。在一步之内，批量中的 `B` 个序列和 `H` 个单元可以并行计算，但 `T` 个步骤必须一个接一个地运行。第 4 节会测量这对读完一个序列所需的时间意味着什么。""", of="0d4db14e46")

RNN_FORWARD_TEXT = bi("""`x` `(B, T, D)`, `h0` `(B, H)`, and the cell's weights. Return `(outputs, h_last)`: `outputs` `(B, T, H)` holds
the state after each step, `h_last` `(B, H)` the state after the last step. Use your `rnn_cell`.""",
zh="""`x` `(B, T, D)`、`h0` `(B, H)`，以及单元的权重。返回 `(outputs, h_last)`：`outputs` `(B, T, H)` 存放每一步之后的状态，`h_last` `(B, H)` 是最后一步之后的状态。请调用你自己的 `rnn_cell`。""", of="1ccfceb916")

RNN_FORWARD_HINT = stages(
    idea=bi("""Read the sequence one step at a time with your `rnn_cell`: the state after step `t` is the previous state of
step `t + 1`. Keep every step's state: together they are `outputs`, and the last one is `h_last`.""",
            zh="""用你的 `rnn_cell` 一步一步地读这个序列：第 `t` 步之后的状态，就是第 `t + 1` 步的上一步状态。把每一步的状态都留下：
它们合起来就是 `outputs`，最后一个就是 `h_last`。""", of="e302fb5762"),
    shapes=bi("""1. Start from `h0`, `(B, H)`.
2. For each step `t` from 0 to `T - 1`: take that step's input for the whole batch, `(B, D)` (a slice along the
   time axis, the second one, not along the batch axis), and compute the new state `(B, H)` from it and the
   current state.
3. Stack the `T` states of shape `(B, H)` along a new axis in position 1, the time axis: `(B, T, H)`. Stacked
   along a new first axis they would give `(T, B, H)`.
4. Return that and the last state, `(B, H)`.""",
              zh="""1. 从 `h0` 出发，形状为 `(B, H)`。
2. 对每一步 `t`（从 0 到 `T - 1`）：取整个批量在这一步的输入 `(B, D)`（沿第二个轴，即时间轴取切片，而不是沿批量轴），
   用它和当前状态算出新状态 `(B, H)`。
3. 把这 `T` 个形状为 `(B, H)` 的状态沿位置 1 上的一个新轴（时间轴）堆叠：`(B, T, H)`。若沿新的第一个轴堆叠，
   得到的是 `(T, B, H)`。
4. 返回它，以及最后一个状态 `(B, H)`。""", of="7ff7c478d9"),
    code=bi("""Loop `for t in range(T)` and take `x[:, t]` (shape `(B, D)`); `for x_t in x` would walk the batch instead.
Collect the states in a list and `torch.stack(states, dim=1)`: the default `dim=0` gives `(T, B, H)`.""",
zh="""用 `for t in range(T)` 循环，取 `x[:, t]`（形状为 `(B, D)`）；`for x_t in x` 遍历的却是批量。把各步状态收集到一个列表里，再用 `torch.stack(states, dim=1)` 堆叠：默认的 `dim=0` 会得到 `(T, B, H)`。""", of="664cec0179"))

RNN_FORWARD_DEMO = bi("""# Yours against nn.RNN (batch_first=True), which runs the same loop in C++.
forward = yours_or_reference("rnn_forward", rnn_forward)
torch.manual_seed(2)
torch_rnn = nn.RNN(input_size=3, hidden_size=5, batch_first=True)
W_xh, W_hh = torch_rnn.weight_ih_l0.T.detach(), torch_rnn.weight_hh_l0.T.detach()  # (3, 5), (5, 5)
b_h = (torch_rnn.bias_ih_l0 + torch_rnn.bias_hh_l0).detach()  # (5,)
x, h0 = torch.randn(2, 7, 3), torch.randn(2, 5)  # (B, T, D), (B, H)
outputs, h_last = forward(x, h0, W_xh, W_hh, b_h)
with torch.no_grad():
    torch_outputs, torch_h_last = torch_rnn(x, h0[None])  # nn.RNN wants h0 as (layers, B, H)
print("outputs", tuple(outputs.shape), "h_last", tuple(h_last.shape))
print("greatest difference from nn.RNN:", (outputs - torch_outputs).abs().max().item(),
      (h_last - torch_h_last[0]).abs().max().item())""",
zh="""# 把你的实现与 nn.RNN（batch_first=True）对比，后者用 C++ 运行同样的循环。
forward = yours_or_reference("rnn_forward", rnn_forward)
torch.manual_seed(2)
torch_rnn = nn.RNN(input_size=3, hidden_size=5, batch_first=True)
W_xh, W_hh = torch_rnn.weight_ih_l0.T.detach(), torch_rnn.weight_hh_l0.T.detach()  # (3, 5), (5, 5)
b_h = (torch_rnn.bias_ih_l0 + torch_rnn.bias_hh_l0).detach()  # (5,)
x, h0 = torch.randn(2, 7, 3), torch.randn(2, 5)  # (B, T, D), (B, H)
outputs, h_last = forward(x, h0, W_xh, W_hh, b_h)
with torch.no_grad():
    torch_outputs, torch_h_last = torch_rnn(x, h0[None])  # nn.RNN 要求 h0 的形状为 (layers, B, H)
print("outputs", tuple(outputs.shape), "h_last", tuple(h_last.shape))
print("与 nn.RNN 的最大差异：", (outputs - torch_outputs).abs().max().item(),
      (h_last - torch_h_last[0]).abs().max().item())""", of="ebfbf10b06")

LSTM_WHY = bi("""## 3. The LSTM cell: a memory with gates

In the RNN everything the network remembers passes through `tanh(... h W_hh ...)` at every step. The LSTM
(Hochreiter and Schmidhuber, 1997) adds a second state, the **cell** `c`, that is changed only by adding gated
new content to it. Gers, Schmidhuber and Cummins (2000, "Learning to Forget: Continual Prediction with LSTM")
added the **forget gate**, which also multiplies the cell element-wise before each addition; the LSTM used
today, PyTorch's included, has it. Four blocks are computed from one product:

$$[\\,i\\;|\\;f\\;|\\;g\\;|\\;o\\,] = x_t W_{ih} + h_{t-1} W_{hh} + b \\qquad \\text{(4 blocks of } H \\text{ columns, in this order)}$$

| block | activation | role |
|---|---|---|
| `i` input gate | sigmoid | how much of the new content to write |
| `f` forget gate | sigmoid | how much of the old cell to keep |
| `g` candidate | tanh | the new content, between -1 and 1 |
| `o` output gate | sigmoid | how much of the cell to show |

$$c_t = f \\odot c_{t-1} + i \\odot g \\qquad h_t = o \\odot \\tanh(c_t)$$

From one step to the next the cell is only multiplied by `f`. When the forget gate is near 1 the cell carries
information, and gradient, almost unchanged across many steps; section 5 measures that path.
The order `i, f, g, o` is PyTorch's (`nn.LSTMCell` stores `weight_ih` as `(4H, D)`, the four blocks stacked
in that order); some libraries use another order (ONNX: `i, o, f, c`), so weights do not always transfer
without reordering.""",
zh="""## 3. LSTM 单元：带门的记忆

在 RNN 中，网络记住的一切每一步都要经过 `tanh(... h W_hh ...)`。长短期记忆网络（long short-term memory，LSTM；Hochreiter 和 Schmidhuber，1997）增加了第二个状态，即**记忆元**（memory cell）`c`，对它的修改只有一种：加上经过门控的新内容。后来，Gers、Schmidhuber 和 Cummins（2000，"Learning to Forget: Continual Prediction with LSTM"）加入了**遗忘门**（forget gate）：每次相加之前，先把记忆元逐元素地乘以这个门。今天通用的 LSTM（包括 PyTorch 的）都带有遗忘门。四个块由同一次乘积算出：

$$[\\,i\\;|\\;f\\;|\\;g\\;|\\;o\\,] = x_t W_{ih} + h_{t-1} W_{hh} + b \\qquad \\text{（4 个块，每块 } H \\text{ 列，按此顺序）}$$

| 块 | 激活函数 | 作用 |
|---|---|---|
| `i` 输入门 | sigmoid | 新内容写入多少 |
| `f` 遗忘门 | sigmoid | 旧的记忆元保留多少 |
| `g` 候选记忆元 | tanh | 新内容，取值在 -1 与 1 之间 |
| `o` 输出门 | sigmoid | 记忆元对外展示多少 |

$$c_t = f \\odot c_{t-1} + i \\odot g \\qquad h_t = o \\odot \\tanh(c_t)$$

从一步到下一步，记忆元只被乘以 `f`。遗忘门接近 1 时，记忆元能把信息（以及梯度）几乎原封不动地带过许多步；第 5 节会测量这条路径。`i, f, g, o` 是 PyTorch 的顺序（`nn.LSTMCell` 把 `weight_ih` 存成 `(4H, D)`，四个块按这个顺序堆叠）；有些库采用别的顺序（ONNX 是 `i, o, f, c`），所以权重不重新排列就未必能直接搬过去用。""", of="919e88a1ee")

LSTM_TEXT = bi("""`x_t` `(B, D)`, `h_prev` `(B, H)`, `c_prev` `(B, H)`, `W_ih` `(D, 4H)`, `W_hh` `(H, 4H)`, `b` `(4H,)`.
Return `(h_t, c_t)`, both `(B, H)`. Columns `0:H` of the gate pre-activations are `i`, `H:2H` are `f`, `2H:3H`
are `g`, `3H:4H` are `o`.""",
zh="""`x_t` `(B, D)`、`h_prev` `(B, H)`、`c_prev` `(B, H)`、`W_ih` `(D, 4H)`、`W_hh` `(H, 4H)`、`b` `(4H,)`。返回 `(h_t, c_t)`，两者的形状都是 `(B, H)`。门的预激活值中，第 `0:H` 列是 `i`，`H:2H` 列是 `f`，`2H:3H` 列是 `g`，`3H:4H` 列是 `o`。""", of="85d8a8247c")

LSTM_HINT = stages(
    idea=bi("""One product computes the four blocks at once; then each block gets its own activation: sigmoid for the three
gates (a fraction between 0 and 1: how much) and tanh for the candidate. The new cell keeps a fraction of the old
cell and adds a fraction of the candidate; the new state shows a fraction of the squashed cell.""",
            zh="""一次乘积同时算出全部四个块；然后每个块用各自的激活函数：三个门用 sigmoid（0 与 1 之间的一个比例：表示“多少”），
候选记忆元用 tanh。新的记忆元保留旧记忆元的一部分，再加上候选内容的一部分；新的状态展示压缩后的记忆元的一部分。""", of="ef91e65409"),
    shapes=bi("""1. The pre-activations, as in the RNN cell but four times wider:
   `(B, D) x (D, 4H) + (B, H) x (H, 4H) + (4H,) -> (B, 4H)`.
2. Cut the last axis into four consecutive blocks of `H` columns, in the order `i, f, g, o`: four `(B, H)` tensors.
3. Sigmoid on `i`, `f` and `o`; tanh on `g`. The shapes do not change.
4. The new cell, element by element: `c_t = f ⊙ c_prev + i ⊙ g`, `(B, H)`.
5. The new state: `h_t = o ⊙ tanh(c_t)`, `(B, H)`. Return both, the state first.""",
              zh="""1. 预激活值，与 RNN 单元的算法相同，只是宽了四倍：
   `(B, D) x (D, 4H) + (B, H) x (H, 4H) + (4H,) -> (B, 4H)`。
2. 把最后一个轴切成四个相邻的块，每块 `H` 列，顺序为 `i, f, g, o`：得到四个 `(B, H)` 张量。
3. 对 `i`、`f` 和 `o` 取 sigmoid；对 `g` 取 tanh。形状不变。
4. 逐元素计算新的记忆元：`c_t = f ⊙ c_prev + i ⊙ g`，形状为 `(B, H)`。
5. 新的状态：`h_t = o ⊙ tanh(c_t)`，形状为 `(B, H)`。两者都返回，状态在前。""", of="44f129da35"),
    code=bi("""`i, f, g, o = gates.chunk(4, dim=-1)` cuts the `(B, 4H)` pre-activations into four consecutive `(B, H)`
blocks. Three of them go through `torch.sigmoid`, `g` through `torch.tanh`. Then the two formulas above, with `*`
(element-wise).""",
zh="""`i, f, g, o = gates.chunk(4, dim=-1)` 把 `(B, 4H)` 的预激活值切成四个相邻的 `(B, H)` 块。其中三个经过 `torch.sigmoid`，`g` 经过 `torch.tanh`。然后用 `*`（逐元素相乘）套用上面的两个公式。""", of="98c1aafeff"))

LSTM_DEMO = bi("""# Yours against nn.LSTMCell with the same weights.
cell = yours_or_reference("lstm_cell", lstm_cell)
torch.manual_seed(3)
torch_lstm = nn.LSTMCell(input_size=3, hidden_size=5)
W_ih, W_hh = torch_lstm.weight_ih.T.detach(), torch_lstm.weight_hh.T.detach()  # (3, 20), (5, 20)
b = (torch_lstm.bias_ih + torch_lstm.bias_hh).detach()  # (20,)
x_t, h_prev, c_prev = torch.randn(2, 3), torch.randn(2, 5), torch.randn(2, 5)  # (B, D), (B, H), (B, H)
h_t, c_t = cell(x_t, h_prev, c_prev, W_ih, W_hh, b)
with torch.no_grad():
    torch_h, torch_c = torch_lstm(x_t, (h_prev, c_prev))
print("greatest difference from nn.LSTMCell:", (h_t - torch_h).abs().max().item(),
      (c_t - torch_c).abs().max().item())""",
zh="""# 用相同的权重，把你的实现与 nn.LSTMCell 对比。
cell = yours_or_reference("lstm_cell", lstm_cell)
torch.manual_seed(3)
torch_lstm = nn.LSTMCell(input_size=3, hidden_size=5)
W_ih, W_hh = torch_lstm.weight_ih.T.detach(), torch_lstm.weight_hh.T.detach()  # (3, 20), (5, 20)
b = (torch_lstm.bias_ih + torch_lstm.bias_hh).detach()  # (20,)
x_t, h_prev, c_prev = torch.randn(2, 3), torch.randn(2, 5), torch.randn(2, 5)  # (B, D), (B, H), (B, H)
h_t, c_t = cell(x_t, h_prev, c_prev, W_ih, W_hh, b)
with torch.no_grad():
    torch_h, torch_c = torch_lstm(x_t, (h_prev, c_prev))
print("与 nn.LSTMCell 的最大差异：", (h_t - torch_h).abs().max().item(),
      (c_t - torch_c).abs().max().item())""", of="d200319e2a")

TIME_WHY = bi("""## 4. Measured: the time to read a sequence grows with its length, whatever the cores

The claim: an RNN must run its `T` steps one after the other, so the time to read **one** sequence grows in
proportion to `T`, and more cores do not shorten it: each step is a product of a `(1, H)` state with an
`(H, H)` matrix, far too little work to share out, and the next step cannot start early.

We time `nn.RNN` (its loop runs in C++, so this is the recurrence itself, not Python's overhead) on one
sequence (`B = 1`, `D = 32`, `H = 64`) of several lengths, with one thread and with every thread PyTorch
has here, best of several runs. The plot has logarithmic axes: time proportional to `T` (a fixed cost per
step) is a straight line parallel to the dashed one.""",
zh="""## 4. 测量：读一个序列的时间随长度增长，核再多也一样

论断：RNN 必须一步接一步地运行它的 `T` 个步骤，所以读**一个**序列的时间与 `T` 成正比，而且更多的核也缩短不了它：每一步只是一个 `(1, H)` 的状态乘一个 `(H, H)` 的矩阵，工作量太小，分摊不开，而下一步又不能提前开始。

我们给 `nn.RNN` 计时（它的循环在 C++ 中运行，所以测到的是循环本身，而不是 Python 的开销）：读一个序列（`B = 1`、`D = 32`、`H = 64`），取几种长度，分别用单线程和 PyTorch 在这台机器上能用的全部线程，每种取多次运行中最快的一次。图的两个坐标轴都是对数刻度：与 `T` 成正比的时间（每步的开销固定）是一条与虚线平行的直线。""", of="2a25342c62")

TIME_CODE = bi("""lengths = [32, 64] if GRADING else [32, 64, 128, 256, 512, 1024]
thread_counts = sorted({1, torch.get_num_threads()})
times = {n: experiments.time_per_sequence(lengths, n, repeats=3 if GRADING else 10) for n in thread_counts}
print(f"{'T':>6} | " + " | ".join(f"{n} thread(s): ms, us per step" for n in thread_counts))
for i, T in enumerate(lengths):  # a constant cost per step means time proportional to T
    print(f"{T:>6} | " + " | ".join(f"{times[n][i] * 1e3:>9.3f} {times[n][i] / T * 1e6:>12.2f}      "
                                     for n in thread_counts))""",
zh="""lengths = [32, 64] if GRADING else [32, 64, 128, 256, 512, 1024]
thread_counts = sorted({1, torch.get_num_threads()})
times = {n: experiments.time_per_sequence(lengths, n, repeats=3 if GRADING else 10) for n in thread_counts}
print(f"{'T':>6} | " + " | ".join(f"{n} 个线程：毫秒，每步微秒    " for n in thread_counts))
for i, T in enumerate(lengths):  # 每步开销固定，意味着时间与 T 成正比
    print(f"{T:>6} | " + " | ".join(f"{times[n][i] * 1e3:>9.3f} {times[n][i] / T * 1e6:>12.2f}      "
                                     for n in thread_counts))""", of="5483db65ae")

TIME_PLOT = """fig = experiments.plot_time_vs_length(lengths, times)
plt.show()"""

GRAD_WHY = bi("""## 5. Measured: the gradient from a distant loss fades

To learn that an output at step `t` depends on the input at step 0, the gradient of the loss at step `t` has
to travel back through `t` steps. In the RNN each step back multiplies it by `W_hh` and by the slope of
`tanh` (at most 1). If those factors shrink it, it shrinks **geometrically**: a straight line going down on
a log scale. In the LSTM the cell path multiplies it by the forget gate `f` instead.

For each `t` we take a fixed random read-out of `h_t` as the loss and measure the norm of its gradient with
respect to the input `x_0`, at random initialisation (`H = 64`, 16 sequences). The recurrence is **yours**:
your `rnn_forward`, and a loop of your `lstm_cell` (or the references while yours do not pass their checks;
the cell says which), given the initial weights of PyTorch's modules. Four models:

* `nn.RNN` with PyTorch's initialisation;
* `nn.LSTM` with PyTorch's initialisation: the forget-gate bias is near 0, so `f` starts near 0.5;
* `nn.LSTM` with the forget-gate bias set to 1 (`f` near 0.73), the usual recommendation (Gers et al., 2000;
  Jozefowicz et al., 2015);
* `nn.LSTM` with the forget-gate bias set to 3 (`f` near 0.95), the model used in section 6.""",
zh="""## 5. 测量：远处的损失传回的梯度逐渐衰减

要学到第 `t` 步的输出依赖于第 0 步的输入，第 `t` 步损失的梯度必须反向穿过 `t` 个步骤。在 RNN 中，每往回走一步，梯度都要乘以 `W_hh` 和 `tanh` 的斜率（至多为 1）。如果这些因子使它变小，它就会**按几何级数**缩小：在对数坐标上是一条向下的直线。在 LSTM 中，沿着记忆元这条路径，梯度乘的则是遗忘门 `f`。

对每个 `t`，我们用一个固定的随机向量读出 `h_t`，以此作为损失，在随机初始化下测量它对输入 `x_0` 的梯度的范数（`H = 64`，16 个序列）。这里的循环是**你的**：你的 `rnn_forward`，以及由你的 `lstm_cell` 组成的循环（你的实现还没通过检查时就用参考实现，单元格会说明用的是哪个），权重取 PyTorch 模块的初始权重。一共四个模型：

* `nn.RNN`，用 PyTorch 的初始化；
* `nn.LSTM`，用 PyTorch 的初始化：遗忘门的偏置接近 0，所以 `f` 起初接近 0.5；
* `nn.LSTM`，遗忘门的偏置设为 1（`f` 接近 0.73），这是通常的建议（Gers 等，2000；Jozefowicz 等，2015）；
* `nn.LSTM`，遗忘门的偏置设为 3（`f` 接近 0.95），即第 6 节所用的模型。""", of="1b53a1afd8")

GRAD_CODE = bi("""T_grad = 20 if GRADING else 100
forward = yours_or_reference("rnn_forward", rnn_forward)
cell = yours_or_reference("lstm_cell", lstm_cell)
models = {  # label: (kind, forget-gate bias; None keeps PyTorch's initialisation)
    "RNN": ("rnn", None),
    "LSTM, PyTorch init (f ~ 0.5)": ("lstm", None),
    "LSTM, forget bias 1 (f ~ 0.73)": ("lstm", 1.0),
    "LSTM, forget bias 3 (f ~ 0.95)": ("lstm", 3.0),
}
curves = {label: experiments.gradient_to_first_step(kind, T_grad, forget_bias=bias, seed=0,
                                                   rnn_forward=forward, lstm_cell=cell)
          for label, (kind, bias) in models.items()}
steps_shown = [t for t in (0, 10, 20, 50, 99) if t < T_grad]
print(f"{'gradient norm at x_0, loss at step t':>36} | " + " | ".join(f"t={t:<6}" for t in steps_shown))
for label, norms in curves.items():
    print(f"{label:>36} | " + " | ".join(f"{norms[t]:.1e}" for t in steps_shown))""",
zh="""T_grad = 20 if GRADING else 100
forward = yours_or_reference("rnn_forward", rnn_forward)
cell = yours_or_reference("lstm_cell", lstm_cell)
models = {  # 标签：(种类, 遗忘门偏置；None 表示保留 PyTorch 的初始化)
    "RNN": ("rnn", None),
    "LSTM, PyTorch 默认初始化 (f ~ 0.5)": ("lstm", None),
    "LSTM, 遗忘门偏置 1 (f ~ 0.73)": ("lstm", 1.0),
    "LSTM, 遗忘门偏置 3 (f ~ 0.95)": ("lstm", 3.0),
}
curves = {label: experiments.gradient_to_first_step(kind, T_grad, forget_bias=bias, seed=0,
                                                   rnn_forward=forward, lstm_cell=cell)
          for label, (kind, bias) in models.items()}
steps_shown = [t for t in (0, 10, 20, 50, 99) if t < T_grad]
print(f"{'x_0 处的梯度范数，损失在第 t 步':>24} | " + " | ".join(f"t={t:<6}" for t in steps_shown))
for label, norms in curves.items():
    print(f"{label:>31} | " + " | ".join(f"{norms[t]:.1e}" for t in steps_shown))""", of="77976d9fa0")

GRAD_PLOT = """fig = experiments.plot_gradient_norms(curves)
plt.show()"""

TASK_WHY = bi("""## 6. Measured: recall a symbol seen `k` steps ago

A gradient at initialisation is a forecast; whether the model can *learn* a long dependency is the real test.
The task: a sequence of `k` random symbols (8 possible, one-hot); after reading all of them, name the
**first** one. The answer depends only on a symbol `k` steps back, and every symbol after it is noise to
ignore. Chance is 1/8.

For each `k` we train a small `nn.RNN` and a small `nn.LSTM` (hidden size 32, forget-gate bias 3, section 5)
with the same budget (`course_lib.train.fit`): Adam, learning rate 3e-3, batches of 64 fresh sequences, at most
600 steps (training stops early once 20 batches in a row are answered perfectly), and measure the accuracy on
1000 new sequences. These two are PyTorch's `nn.RNN` and `nn.LSTM`, whose loops run in C++: a Python loop of
your cells computes the same thing (the demos above compared them), only more slowly.""",
zh="""## 6. 测量：回忆 `k` 步之前见过的符号

初始化时的梯度只是一种预测；模型能否真正*学会*长距离的依赖，才是真正的检验。任务是：给出一个由 `k` 个随机符号组成的序列（共 8 种符号，独热编码），读完全部符号之后，说出**第一个**符号是什么。答案只取决于 `k` 步之前的那个符号，它后面的每个符号都是需要忽略的噪声。随机猜中的概率是 1/8。

对每个 `k`，我们用相同的预算（`course_lib.train.fit`）训练（training）一个小的 `nn.RNN` 和一个小的 `nn.LSTM`（隐状态宽度 32，遗忘门偏置 3，见第 5 节）：Adam 优化器，学习率（learning rate）3e-3，每个批量是 64 个新生成的序列，最多 600 步（一旦连续 20 个批量全部答对，训练就提前停止），然后在 1000 个新序列上测量准确率。这两个模型是 PyTorch 的 `nn.RNN` 和 `nn.LSTM`，它们的循环在 C++ 中运行：用 Python 循环调用你的单元也会算出同样的结果（上面的演示已经比较过），只是更慢。""", of="5c5603d415")

TASK_SAMPLE = bi("""# Two sequences of the task for k = 6: the answer is the first symbol.
x, y = experiments.recall_batch(2, 6, torch.Generator().manual_seed(0))  # x (2, 6, 8) one-hot, y (2,)
print("symbols:", x.argmax(dim=-1).tolist(), " answers:", y.tolist())""",
zh="""# k = 6 时这个任务的两个序列：答案是第一个符号。
x, y = experiments.recall_batch(2, 6, torch.Generator().manual_seed(0))  # x (2, 6, 8) 独热编码，y (2,)
print("符号：", x.argmax(dim=-1).tolist(), " 答案：", y.tolist())""", of="902e2ec4bf")

TASK_CODE = bi("""ks = [4, 8] if GRADING else [4, 8, 16, 32, 64, 128]
recall_steps = 30 if GRADING else 600
accuracy = experiments.accuracy_vs_k(ks, recall_steps, seed=0)
print(f"{'k':>4} | {'RNN':>6} | {'LSTM':>6}")
for i, k in enumerate(ks):
    print(f"{k:>4} | {accuracy['rnn'][i]:>6.3f} | {accuracy['lstm'][i]:>6.3f}")""",
zh="""ks = [4, 8] if GRADING else [4, 8, 16, 32, 64, 128]
recall_steps = 30 if GRADING else 600
accuracy = experiments.accuracy_vs_k(ks, recall_steps, seed=0)
print(f"{'k':>4} | {'RNN':>6} | {'LSTM':>6}")
for i, k in enumerate(ks):
    print(f"{k:>4} | {accuracy['rnn'][i]:>6.3f} | {accuracy['lstm'][i]:>6.3f}")""", of="e261a27832")

TASK_PLOT = """fig = experiments.plot_accuracy_vs_k(ks, accuracy)
plt.show()"""

MEASURED = bi("""# What was measured, read from the numbers above.
one = times[1]  # seconds per sequence with one thread, one per length
per_step = [seconds / T * 1e6 for seconds, T in zip(one, lengths)]
print(f"(a) Time: with one thread a step cost {min(per_step):.1f} to {max(per_step):.1f} microseconds at every "
      f"length; {lengths[-1] // lengths[0]} times longer sequences took {one[-1] / one[0]:.0f} times as long.")
if len(times) > 1:
    most = max(times)
    speedup = [a / b for a, b in zip(one, times[most])]
    print(f"    {most} threads were at best {max(speedup):.1f} times as fast as one (at worst {min(speedup):.1f}): "
          + ("extra cores do not shorten the loop." if max(speedup) < 1.5 else "some speed-up here."))
far = T_grad - 1
fading = {label: norms[far] / norms[0] for label, norms in curves.items()}
print(f"(b) Gradient: from a loss {far} steps away, the gradient reaching x_0 is, relative to the one at t = 0:")
for label, ratio in fading.items():
    print(f"    {label:<32} {ratio:.0e}")
print(f"    The forget gate decides: with bias 3 the distant gradient is {fading['LSTM, forget bias 3 (f ~ 0.95)']:.2g} "
      f"times the near one, with PyTorch's init {fading['LSTM, PyTorch init (f ~ 0.5)']:.0e}, for the RNN "
      f"{fading['RNN']:.0e}.")
solved = {kind: [k for k, a in zip(ks, accs) if a > 0.9] for kind, accs in accuracy.items()}
reach = {kind: (f"up to k = {max(found)}" if found else "at no k") for kind, found in solved.items()}
print(f"(c) Recall: above 90% accuracy the RNN got {reach['rnn']}, the LSTM {reach['lstm']} (of k = {ks}); "
      f"at the longest k, {accuracy['rnn'][-1]:.2f} and {accuracy['lstm'][-1]:.2f} (chance {1 / 8:.2f})."
      + (" A token run under grading: too short to learn." if GRADING else ""))""",
zh="""# 测得了什么：从上面的数字中读出。
one = times[1]  # 单线程下读一个序列所需的秒数，每个长度一个
per_step = [seconds / T * 1e6 for seconds, T in zip(one, lengths)]
print(f"(a) 时间：单线程下，在每个长度上一步都耗时 {min(per_step):.1f} 到 {max(per_step):.1f} 微秒；"
      f"长 {lengths[-1] // lengths[0]} 倍的序列，耗时是 {one[-1] / one[0]:.0f} 倍。")
if len(times) > 1:
    most = max(times)
    speedup = [a / b for a, b in zip(one, times[most])]
    print(f"    {most} 个线程的速度最多是单线程的 {max(speedup):.1f} 倍（最少 {min(speedup):.1f} 倍）："
          + ("更多的核缩短不了这个循环。" if max(speedup) < 1.5 else "这里有一些加速。"))
far = T_grad - 1
fading = {label: norms[far] / norms[0] for label, norms in curves.items()}
print(f"(b) 梯度：损失在 {far} 步之外时，传到 x_0 的梯度相对于 t = 0 时的梯度为：")
for label, ratio in fading.items():
    print(f"    {label:<30} {ratio:.0e}")
print(f"    起决定作用的是遗忘门：偏置为 3 时，远处传回的梯度是近处的 {fading['LSTM, 遗忘门偏置 3 (f ~ 0.95)']:.2g} 倍；"
      f"用 PyTorch 的初始化时是 {fading['LSTM, PyTorch 默认初始化 (f ~ 0.5)']:.0e} 倍；RNN 则是 "
      f"{fading['RNN']:.0e} 倍。")
solved = {kind: [k for k, a in zip(ks, accs) if a > 0.9] for kind, accs in accuracy.items()}
reach = {kind: (f"最多到 k = {max(found)}" if found else "在所有 k 上都达不到") for kind, found in solved.items()}
print(f"(c) 回忆：准确率超过 90% 的范围：RNN {reach['rnn']}，LSTM {reach['lstm']}（k 取 {ks}）；"
      f"在最长的 k 上，两者分别为 {accuracy['rnn'][-1]:.2f} 和 {accuracy['lstm'][-1]:.2f}（随机猜测为 {1 / 8:.2f}）。"
      + ("评分时只象征性地跑了一下：太短，学不会。" if GRADING else ""))""", of="8bcb30bee5")

SUMMARY = bi("""## Summary

* `rnn_cell` is one step, `tanh(x_t W_xh + h_prev W_hh + b_h)`; `rnn_forward` loops it over the sequence,
  carrying the state; `lstm_cell` adds a cell state changed only through gates (order `i, f, g, o`).
* Recurrence costs **time**: the `T` steps of one sequence run one after the other, so the time grows with
  `T` and extra cores do not help.
* Recurrence costs **memory of the past**: information and gradient between two positions `k` steps apart
  travel through `k` steps, fading on the way. Gates slow the fading; they do not shorten the path.

A better design needs two things: **computation that is parallel over positions**, so that all steps of a
sequence are computed at once, and **a short path between any two positions**, so that step 0 can reach step
127 in one hop instead of 127. Attention gives the short path first (notebook 02, still beside a recurrent
encoder and decoder); self-attention, which drops the recurrence, gives both (notebook 03).

**Where this comes from.** `rnn_cell` and `rnn_forward` are the simple recurrent network of Elman (1990,
"Finding Structure in Time"); `lstm_cell` is the LSTM of Hochreiter and Schmidhuber (1997) with the forget gate
of Gers, Schmidhuber and Cummins (2000). The fading gradient of section 5 is the difficulty that Bengio, Simard
and Frasconi (1994, "Learning long-term dependencies with gradient descent is difficult") analysed.
"Attention Is All You Need" (Vaswani et al., 2017) starts from the two costs measured here: its section 1
(Introduction) says that the recurrence's "inherently sequential nature precludes parallelization within
training examples", and its section 4 (Why Self-Attention) counts a recurrent layer's O(n) sequential
operations and O(n) maximum path length between two positions: the time of section 4 and the fading of
sections 5 and 6.

**Next:** notebook 02 lets a decoder look back at every encoder state directly, with attention.""",
zh="""## 小结

* `rnn_cell` 是一步：`tanh(x_t W_xh + h_prev W_hh + b_h)`；`rnn_forward` 在序列上循环调用它，并把状态传下去；`lstm_cell` 增加了一个只经由门来修改的记忆元状态（门的顺序为 `i, f, g, o`）。
* 循环的代价之一是**时间**：一个序列的 `T` 步只能一步接一步地运行，所以时间随 `T` 增长，多加核也无济于事。
* 循环的代价之二是**对过去的记忆**：相距 `k` 步的两个位置之间，信息和梯度要穿过 `k` 步，一路衰减。门能减缓衰减，却不能缩短路径。

更好的设计需要两样东西：**在各个位置上并行的计算**，让一个序列的所有步骤同时算出；以及**任意两个位置之间的短路径**，让第 0 步一跳就能到达第 127 步，而不必走 127 步。注意力（attention）先带来了短路径（笔记本 02，它仍然搭配循环的编码器和解码器）；去掉了循环的自注意力（self-attention）则两样都能提供（笔记本 03）。

**出处。** `rnn_cell` 和 `rnn_forward` 是 Elman（1990，"Finding Structure in Time"）的简单循环网络；`lstm_cell` 是 Hochreiter 和 Schmidhuber（1997）的 LSTM，加上 Gers、Schmidhuber 和 Cummins（2000）的遗忘门。第 5 节测得的梯度衰减，正是 Bengio、Simard 和 Frasconi（1994，"Learning long-term dependencies with gradient descent is difficult"）分析过的难题。"Attention Is All You Need"（Vaswani 等，2017）正是从这里测得的两项代价出发：论文第 1 节（Introduction）指出，循环“固有的顺序性使得一个训练样本之内无法并行”（inherently sequential nature precludes parallelization within training examples）；第 4 节（Why Self-Attention）统计出循环层需要 O(n) 次顺序操作，两个位置之间的最长路径长度为 O(n)：也就是本笔记本第 4 节测得的时间，以及第 5、6 节测得的衰减。

**下一步：** 笔记本 02 用注意力让解码器（decoder）直接回看编码器（encoder）的每一个状态。""", of="7338379246")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(RNN_CELL_WHY),
        *exercise(1, ref.rnn_cell, points=1, seed=4217, difficulty=1, importance=4, minutes=10,
                  text=RNN_CELL_TEXT, hint=RNN_CELL_HINT,
                  signature="def rnn_cell(x_t, h_prev, W_xh, W_hh, b_h) -> torch.Tensor",
                  final_assert="assert torch.allclose(rnn_cell(torch.ones(1, 2), torch.zeros(1, 3), torch.ones(2, 3), "
                               "torch.eye(3), torch.zeros(3)), torch.full((1, 3), math.tanh(2.0))), "
                               "\"each unit gets 1 + 1 = 2 from the input, squashed: tanh(2) "
                               "(每个单元从输入得到 1 + 1 = 2，压缩后为 tanh(2))\""),
        code(RNN_CELL_DEMO),
        markdown(RNN_FORWARD_WHY),
        *exercise(2, ref.rnn_forward, points=2, seed=8093, difficulty=2, importance=5, minutes=15,
                  text=RNN_FORWARD_TEXT, hint=RNN_FORWARD_HINT,
                  signature="def rnn_forward(x, h0, W_xh, W_hh, b_h) -> tuple[torch.Tensor, torch.Tensor]",
                  final_assert="assert rnn_forward(torch.zeros(2, 4, 3), torch.zeros(2, 5), torch.zeros(3, 5), "
                               "torch.zeros(5, 5), torch.zeros(5))[0].shape == (2, 4, 5), "
                               "\"outputs must have shape (B, T, H) (outputs 的形状必须是 (B, T, H))\""),
        code(RNN_FORWARD_DEMO),
        markdown(LSTM_WHY),
        *exercise(3, ref.lstm_cell, points=3, seed=6151, difficulty=3, importance=5, minutes=20,
                  text=LSTM_TEXT, hint=LSTM_HINT,
                  signature="def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b) -> tuple[torch.Tensor, torch.Tensor]",
                  final_assert="assert torch.allclose(lstm_cell(torch.zeros(1, 2), torch.zeros(1, 3), torch.ones(1, 3), "
                               "torch.zeros(2, 12), torch.zeros(3, 12), torch.zeros(12))[1], torch.full((1, 3), 0.5)), "
                               "\"with every pre-activation 0, each gate is 0.5 and g is 0, so c_t = 0.5 * c_prev "
                               "(预激活值全为 0 时，每个门都是 0.5，g 为 0，所以 c_t = 0.5 * c_prev)\""),
        code(LSTM_DEMO),
        markdown(TIME_WHY),
        code(TIME_CODE),
        code(TIME_PLOT),
        markdown(GRAD_WHY),
        *question("01.lstm_gradient"),
        code(GRAD_CODE),
        code(GRAD_PLOT),
        answer("01.lstm_gradient", "curves=list(curves.values()), steps=T_grad - 1"),
        markdown(TASK_WHY),
        code(TASK_SAMPLE),
        *question("01.recall"),
        code(TASK_CODE),
        code(TASK_PLOT),
        answer("01.recall", "ks=ks, accuracy=accuracy"),
        code(MEASURED),
        markdown(SUMMARY),
    ], title=TITLE)
