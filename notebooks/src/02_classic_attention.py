"""Notebook 02: encoder-decoder attention (Bahdanau's additive attention), measured on a toy task, then set
beside self-attention."""
from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import classic_attention as ref

TITLE = bi("02 Classic attention", zh="02 经典注意力", of="c09c07e86c")

INTRO = bi("""# 02 · Classic attention: a decoder that looks back at the source

**What you build:** `additive_attention`, the attention of Bahdanau, Cho and Bengio (2015).
**What you measure:** a small GRU encoder-decoder that reverses 12-digit sequences, trained with and without
attention: its accuracy, which output steps fail without attention, and the alignment it learns (a heat map
and the share of attention that lands on the right source digit).
**Time:** [[times]]; the training itself runs in under a minute.

Notebook 01 showed that a recurrent network reads a sequence one step at a time and that what it read long
ago fades. This notebook shows what that does to a *translation* model, an encoder-decoder, and the fix that
started the road to the Transformer: attention.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | source length: number of encoder states |
| `Dq` | width of the query (the decoder's state) |
| `Dk`, `Dv` | width of a key, of a value (both are encoder states in a translation model) |
| `A` | width of the hidden layer of the additive score |
| `H` | hidden width of the toy encoder and decoder |

Run the set-up cells first (the language cell, then the set-up cell). The exercise is followed by a check
cell: it answers in well under two seconds with a green line, or with a message that names the mistake it
recognises.
""", zh="""# 02 · 经典注意力：回看源序列的解码器

**实现：** `additive_attention`，即 Bahdanau、Cho 和 Bengio（2015）提出的加性注意力（additive attention）。
**测量：** 一个把 12 位数字序列倒过来的小型 GRU 编码器-解码器（encoder-decoder），分别在有注意力和没有注意力的情况下训练（training）：它的准确率，没有注意力时哪些输出步会出错，以及它学到的对齐（一张热图，以及落在正确源数字上的注意力所占的份额）。
**时间：** [[times]]；训练本身不到一分钟。

笔记本 01 表明，循环神经网络（recurrent neural network，RNN）一次读一步，很久以前读到的内容会逐渐淡去。本笔记本展示这对一个*翻译*模型，即编码器-解码器，意味着什么，以及开启了通往 Transformer 之路的那个解决办法：注意力（attention）。

**本笔记本使用的形状记号**

| 记号 | 含义 |
|---|---|
| `B` | 批量（batch）大小 |
| `T` | 源序列长度：编码器状态的个数 |
| `Dq` | 查询（query）的宽度（即解码器的状态） |
| `Dk`、`Dv` | 一个键（key）、一个值（value）的宽度（在翻译模型中两者都是编码器的状态） |
| `A` | 加性评分函数中隐藏层的宽度 |
| `H` | 玩具编码器和解码器的隐藏宽度 |

请先运行两个设置单元格：先是语言单元格，再是设置单元格。练习（exercise）后面跟着一个检查（check）单元格：它会在远不到两秒的时间内作答，要么给出一行绿色的通过信息，要么给出一条消息，指出它认出的错误。
""", of="3d3ece6fea")

SETUP = """# Set-up: imports, the course's checks, fixed seeds.
# 设置：导入模块、课程的检查，固定随机种子。
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course_lib.checks import check_additive_attention
from course_lib.experiments import classic_attention as lab

# your code if it passes its check, else the reference / 你的代码通过了检查就用它，否则用参考实现
from course_lib.experiments import yours_or_reference

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercise / 评分程序会缩小实验规模，练习不变"""

BOTTLENECK_WHY = bi("""## 1. The bottleneck: a whole source squeezed into one vector

The neural translation models that attention set out to improve (Sutskever, Vinyals and Le, 2014; Cho et al.,
2014) are two recurrent networks. The **encoder** reads the source $x_1 \\dots x_T$ and keeps its states
$h_1 \\dots h_T$; the **decoder** then writes the output one token at a time from its own state $s_i$. The only
thing that passes from one to the other is **one fixed vector**, the encoder's last state $h_T$ (the "summary").

That vector has the same width whether the source has 5 words or 50. Everything the decoder will ever know
about the source must fit in it, and the encoder must decide what to keep before it knows what the decoder
will need. Cho et al. (2014) measured the consequence: translation quality of these models falls steeply as
sentences get longer.

**Bahdanau's fix (2015): keep every encoder state and let the decoder choose.** At each output step $i$ the
decoder, in state $s_{i-1}$, scores every encoder state $h_t$ with a small network, the *alignment model*:

$$e_{i,t} = v^\\top \\tanh\\left(s_{i-1} W_q + h_t W_k\\right), \\qquad
\\alpha_{i,t} = \\frac{\\exp(e_{i,t})}{\\sum_{t'} \\exp(e_{i,t'})}, \\qquad c_i = \\sum_t \\alpha_{i,t}\\, h_t .$$

The weights $\\alpha_{i,\\cdot}$ sum to 1 over the source positions, and the **context** $c_i$ is their
weighted average of the encoder states: a fresh summary for every output step, focused where the decoder
looks. The decoder reads $c_i$ alongside its previous output. Every step is differentiable, so the model learns
*where to look* from the translation loss alone; nobody tells it the alignment.

In the vocabulary of the rest of the course: the decoder state is the **query**, the encoder states are the
**keys** (what is scored) and the **values** (what is averaged). In a translation model keys and values are
the same states; the function below keeps them apart, as attention does from notebook 03 on.""",
zh="""## 1. 瓶颈：整个源序列被挤进一个向量

注意力要改进的那类神经翻译模型（Sutskever、Vinyals 和 Le，2014；Cho 等，2014）由两个循环网络组成。**编码器**（encoder）读入源序列 $x_1 \\dots x_T$，并保留它的各个状态 $h_1 \\dots h_T$；随后**解码器**（decoder）从它自己的状态 $s_i$ 出发，一次一个词元（token）地写出输出。从前者传到后者的唯一东西是**一个固定的向量**：编码器的最后一个状态 $h_T$（即"摘要"）。

无论源序列有 5 个词还是 50 个词，这个向量的宽度都一样。解码器关于源序列所能知道的一切，都必须装进这个向量；而编码器必须在知道解码器需要什么之前，就决定保留哪些内容。Cho 等（2014）测量了由此带来的后果：句子越长，这类模型的翻译质量下降得越厉害。

**Bahdanau 的解决办法（2015）：保留编码器的每一个状态，让解码器自己挑。** 在每个输出步 $i$，处于状态 $s_{i-1}$ 的解码器用一个小网络，即*对齐模型*（alignment model），给每个编码器状态 $h_t$ 打分：

$$e_{i,t} = v^\\top \\tanh\\left(s_{i-1} W_q + h_t W_k\\right), \\qquad
\\alpha_{i,t} = \\frac{\\exp(e_{i,t})}{\\sum_{t'} \\exp(e_{i,t'})}, \\qquad c_i = \\sum_t \\alpha_{i,t}\\, h_t .$$

权重 $\\alpha_{i,\\cdot}$ 在所有源位置上之和为 1，**上下文**（context）$c_i$ 就是用这些权重对编码器状态求的加权平均：每个输出步都有一份新的摘要，聚焦在解码器正在看的地方。解码器把 $c_i$ 和它上一步的输出一起读入。每一步都可微，所以模型只凭翻译的损失（loss）就能学会*该看哪里*；没有人告诉它对齐（alignment）是什么。

用本课程后面的术语来说：解码器的状态是**查询**（query），编码器的各个状态既是**键**（key，被打分的对象），也是**值**（value，被平均的对象）。在翻译模型中，键和值是同一组状态；下面的函数把两者分开，从笔记本 03 起的注意力也都是这样。""", of="80aac69869")

ADDITIVE_HEADING = bi("## 2. Additive attention", zh="## 2. 加性注意力", of="1678309ee9")

ADDITIVE_TEXT = bi("""Inputs, one query per batch row:

* `query` `(B, Dq)`: the decoder's state; `keys` `(B, T, Dk)` and `values` `(B, T, Dv)`: the encoder's states;
* `W_q` `(Dq, A)`, `W_k` `(Dk, A)`, `v` `(A,)`: the alignment model's parameters;
* `mask` `(B, T)` bool or `None`: **`True` where attention is allowed** (the course's convention); a padded
  source position is `False` and must get weight exactly 0.

Compute `score_t = v · tanh(query @ W_q + keys_t @ W_k)` for every `t` at once, mask, softmax over the
source positions, and return `(context, weights)`: `context` `(B, Dv)`, `weights` `(B, T)`.
Use `torch.softmax`; do not write into the inputs.""",
zh="""输入（每个批量行一个查询）：

* `query` `(B, Dq)`：解码器的状态；`keys` `(B, T, Dk)` 和 `values` `(B, T, Dv)`：编码器的各个状态；
* `W_q` `(Dq, A)`、`W_k` `(Dk, A)`、`v` `(A,)`：对齐模型的参数（parameter）；
* `mask` `(B, T)`，bool 类型或 `None`：**`True` 表示允许注意该位置**（本课程的约定）；源序列中的填充位置为 `False`，其权重必须恰好为 0。

对所有 `t` 一次性算出 `score_t = v · tanh(query @ W_q + keys_t @ W_k)`，施加掩码（mask），在源位置上做 softmax，然后返回 `(context, weights)`：`context` `(B, Dv)`，`weights` `(B, T)`。请使用 `torch.softmax`；不要原地修改输入。""", of="56a71828a5")

ADDITIVE_HINT = stages(
    idea=bi("""Each source position gets a score from a small network: project the query and that position's key into one
space of width `A`, add them, squash with tanh, and read one number off with `v`. A masked position gets the
score minus infinity, so the softmax over the positions gives it weight exactly 0; the context is the average of
the values with those weights.""",
            zh="""每个源位置的分数由一个小网络给出：把查询和这个位置的键投影到同一个宽度为 `A` 的空间，相加，用 tanh 压缩，再用 `v`
读出一个数。被掩码屏蔽的位置，分数为负无穷，所以在各位置上做 softmax 之后，它的权重恰好为 0；上下文就是用这些权重
对值求的加权平均。""", of="9804fe311d"),
    shapes=bi("""1. Project the query, `(B, Dq) x (Dq, A) -> (B, A)`, and the keys, `(B, T, Dk) x (Dk, A) -> (B, T, A)`.
2. Give the query's projection a time axis of size 1, `(B, 1, A)`, so that adding it to the keys' projection
   broadcasts over the `T` positions: `(B, T, A)`.
3. tanh, then the product with `v` `(A,)` over the last axis: the scores, `(B, T)`.
4. Where the mask `(B, T)` is False, set the score to minus infinity; softmax over the `T` positions: the
   weights, `(B, T)`, each row summing to 1.
5. The context: the weights as `(B, 1, T)` times the values `(B, T, Dv)` give `(B, 1, Dv)`; drop the axis of
   size 1: `(B, Dv)`.""",
              zh="""1. 投影查询：`(B, Dq) x (Dq, A) -> (B, A)`；投影键：`(B, T, Dk) x (Dk, A) -> (B, T, A)`。
2. 给查询的投影加一个大小为 1 的时间轴，变成 `(B, 1, A)`，这样它与键的投影相加时会沿 `T` 个位置广播：`(B, T, A)`。
3. 取 tanh，再沿最后一个轴与 `v` `(A,)` 相乘：得到分数 `(B, T)`。
4. 在掩码 `(B, T)` 为 False 的位置，把分数设为负无穷；在 `T` 个位置上做 softmax：得到权重 `(B, T)`，每行和为 1。
5. 上下文：把权重看作 `(B, 1, T)`，乘以值 `(B, T, Dv)`，得到 `(B, 1, Dv)`；去掉大小为 1 的轴：`(B, Dv)`。""", of="f69e20a362"),
    code=bi("""`query @ W_q` is `(B, A)` and `keys @ W_k` is `(B, T, A)`: give the first a time axis,
`(query @ W_q)[:, None, :]`, so that it broadcasts over the `T` positions. `tensor_of_shape_B_T_A @ v` gives
`(B, T)`. `scores.masked_fill(~mask, float("-inf"))` blocks the positions where the mask is False. For the
context, `(weights[:, None, :] @ values).squeeze(1)`: `(B, 1, T) x (B, T, Dv) -> (B, Dv)`.""",
zh="""`query @ W_q` 是 `(B, A)`，`keys @ W_k` 是 `(B, T, A)`：给前者加一个时间轴，`(query @ W_q)[:, None, :]`，让它沿 `T` 个位置广播。`tensor_of_shape_B_T_A @ v` 得到 `(B, T)`。`scores.masked_fill(~mask, float("-inf"))` 屏蔽掩码为 False 的位置。至于上下文，用 `(weights[:, None, :] @ values).squeeze(1)`：`(B, 1, T) x (B, T, Dv) -> (B, Dv)`。""", of="7058c8b02c"))

ADDITIVE_DEMO = bi("""# One decoder query over 4 encoder states; the last source position is padding.
additive = yours_or_reference("additive_attention", additive_attention)
g = torch.Generator().manual_seed(0)
query, states = torch.randn(1, 3, generator=g), torch.randn(1, 4, 3, generator=g)  # (B, Dq), (B, T, Dk)
W_q, W_k, v = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g), torch.randn(5, generator=g)
mask = torch.tensor([[True, True, True, False]])  # (B, T): position 3 is padding
context, weights = additive(query, states, states, W_q, W_k, v, mask=mask)
print("weights:", weights.numpy().round(3), " sum:", weights.sum().item())
print("context:", context.numpy().round(3), " = weights @ states:",
      (weights @ states[0]).numpy().round(3))""",
zh="""# 一个解码器查询，作用于 4 个编码器状态；最后一个源位置是填充。
additive = yours_or_reference("additive_attention", additive_attention)
g = torch.Generator().manual_seed(0)
query, states = torch.randn(1, 3, generator=g), torch.randn(1, 4, 3, generator=g)  # (B, Dq), (B, T, Dk)
W_q, W_k, v = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g), torch.randn(5, generator=g)
mask = torch.tensor([[True, True, True, False]])  # (B, T)：位置 3 是填充
context, weights = additive(query, states, states, W_q, W_k, v, mask=mask)
print("权重：", weights.numpy().round(3), " 和：", weights.sum().item())
print("上下文：", context.numpy().round(3), " = weights @ states：",
      (weights @ states[0]).numpy().round(3))""", of="fe18824933")

EXPERIMENT_WHY = bi("""## 3. Measured: reversing digits with and without attention

**The task.** The source is 12 random digits, the target the same digits in reverse order:
`3 1 4 1 5 9 2 6 5 3 5 8` → `8 5 3 5 6 2 9 5 1 4 1 3`. About 40 bits of information, and output step `i` needs
source position `T - 1 - i`: the first output needs the last input, the last output the first input.

**Three pieces of machinery, before they are used.**

* A **GRU** (`nn.GRU`) is a recurrent network like notebook 01's LSTM: gates decide what to keep, but there is
  no separate cell state. A **bidirectional** GRU runs two of them over the source, one from left to right and
  one from right to left, and puts their states side by side: the state at position `t` describes digit `t`
  together with what comes before it *and* after it.
* **Teacher forcing**: while training, the decoder reads the *correct* previous digit at every step, not the
  one it predicted, so every step learns from the start even while early guesses are wrong.
* **Greedy decoding**: at test time there is no correct previous digit to read, so the decoder picks its most
  likely digit at each step (`argmax`) and reads that one at the next step.

**Two models, the same everywhere else** (`course_lib/experiments/classic_attention.py`, trained on the CPU):

* both encode with a bidirectional GRU (`H = 64`: 32 features per direction), so each encoder state $h_t$
  describes digit `t` and its surroundings, as in Bahdanau et al.;
* **without attention**, the decoder GRU starts from the encoder's summary (the last state of each direction)
  and reads that same vector at every step: the bottleneck;
* **with attention**, the decoder starts from zeros and reads, at every step, the context computed by **your**
  `additive_attention` (or the course's reference while yours does not pass its check; the cell says which),
  with `A = 32`, its state as the query and the encoder states as keys and values. Everything it learns about
  the source has to come through your function, gradients included.

Both train for 600 steps of 64 fresh sequences with teacher forcing (`course_lib.train.fit`: Adam, learning
rate 0.01, gradient norm clipped at 1), then decode 1,000 unseen sequences greedily.""",
zh="""## 3. 测量：有注意力和没有注意力时的数字倒序

**任务。** 源序列是 12 个随机数字，目标是把这些数字倒过来：`3 1 4 1 5 9 2 6 5 3 5 8` → `8 5 3 5 6 2 9 5 1 4 1 3`。信息量约为 40 比特；输出第 `i` 步需要源位置 `T - 1 - i`：第一个输出需要最后一个输入，最后一个输出需要第一个输入。

**先介绍要用到的三样机制。**

* **门控循环单元**（gated recurrent unit，GRU，`nn.GRU`）是和笔记本 01 中的长短期记忆网络（long short-term memory，LSTM）类似的循环网络：由门决定保留什么，但没有单独的记忆元状态。**双向** GRU 在源序列上运行两个 GRU，一个从左到右，一个从右到左，并把它们的状态并排拼在一起：位置 `t` 的状态描述数字 `t`，连同它前面*和*后面的内容。
* **强制教学**（teacher forcing）：训练时，解码器每一步读入的都是*正确的*上一个数字，而不是它自己预测的那个；这样即使早期的猜测是错的，每一步也能从一开始就学习。
* **贪心解码**（greedy decoding）：测试时没有正确的上一个数字可读，所以解码器每一步都选出它认为最可能的数字（`argmax`），并在下一步读入这个数字。

**两个模型，其余各处完全相同**（`course_lib/experiments/classic_attention.py`，在 CPU 上训练）：

* 两者都用双向 GRU 编码（`H = 64`：每个方向 32 个特征），所以每个编码器状态 $h_t$ 描述数字 `t` 及其周围的内容，与 Bahdanau 等人的做法一样；
* **没有注意力**时，解码器 GRU 从编码器的摘要（每个方向的最后一个状态）出发，并在每一步都读入这同一个向量：这就是瓶颈；
* **有注意力**时，解码器从零状态出发，每一步读入由**你的** `additive_attention` 算出的上下文（你的实现还没通过检查时就用课程的参考实现，单元格会说明用的是哪个），其中 `A = 32`，以解码器的状态为查询，以编码器的状态为键和值。它关于源序列学到的一切都必须经过你的函数，梯度（gradient）也不例外。

两者都用强制教学训练 600 步，每步 64 个新生成的序列（`course_lib.train.fit`：Adam，学习率（learning rate）0.01，梯度范数裁剪到 1），然后对 1,000 个没见过的序列做贪心解码。""", of="8524121a65")

TRAIN_CODE = bi("""LENGTH = 12
STEPS = 5 if GRADING else 600  # the grader only checks that the cells run
N_TEST = 50 if GRADING else 1000
additive = yours_or_reference("additive_attention", additive_attention)

models, scores = {}, {}
for attention in (False, True):
    name = "with attention" if attention else "without attention"
    models[name], _ = lab.train_reversal(lab.Seq2SeqConfig(attention=attention), length=LENGTH, steps=STEPS,
                                         seed=0, desc=name, attention=additive)
    scores[name] = lab.evaluate_reversal(models[name], length=LENGTH, n=N_TEST, seed=1)

print(f"{'model':<18} | {'digits right':>12} | {'sequences right':>15}")
for name, s in scores.items():
    print(f"{name:<18} | {s.token_accuracy:>12.1%} | {s.sequence_accuracy:>15.1%}")""",
zh="""LENGTH = 12
STEPS = 5 if GRADING else 600  # 评分程序只检查这些单元格能否运行
N_TEST = 50 if GRADING else 1000
additive = yours_or_reference("additive_attention", additive_attention)

models, scores = {}, {}
for attention in (False, True):
    name = "有注意力" if attention else "无注意力"
    models[name], _ = lab.train_reversal(lab.Seq2SeqConfig(attention=attention), length=LENGTH, steps=STEPS,
                                         seed=0, desc=name, attention=additive)
    scores[name] = lab.evaluate_reversal(models[name], length=LENGTH, n=N_TEST, seed=1)

print(f"{'模型':<14} | {'数字正确率':>7} | {'整个序列正确率':>8}")
for name, s in scores.items():
    print(f"{name:<12} | {s.token_accuracy:>12.1%} | {s.sequence_accuracy:>15.1%}")""", of="7d06ff64a8")

STEP_PLOT_CODE = bi("""# Which output steps fail? Output step i copies source position T - 1 - i.
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for (name, s), style in zip(scores.items(), ("o-", "s--")):
    ax.plot(range(LENGTH), s.step_accuracy.numpy(), style, label=name)
ax.axhline(0.1, color="grey", lw=0.8, ls=":", label="chance (1 digit in 10)")
ax.set(xlabel="output step i (copies source position T - 1 - i)", ylabel="share of digits right",
       title=f"Accuracy by output step, reversing {LENGTH} digits", ylim=(0, 1.05), xticks=range(LENGTH))
ax.legend()
fig.tight_layout()
plt.show()""",
zh="""# 哪些输出步会出错？输出第 i 步复制的是源位置 T - 1 - i。
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for (name, s), style in zip(scores.items(), ("o-", "s--")):
    ax.plot(range(LENGTH), s.step_accuracy.numpy(), style, label=name)
ax.axhline(0.1, color="grey", lw=0.8, ls=":", label="随机猜测（十个数字猜一个）")
ax.set(xlabel="输出步 i（复制源位置 T - 1 - i）", ylabel="数字正确的比例",
       title=f"倒序 {LENGTH} 个数字：各输出步的准确率", ylim=(0, 1.05), xticks=range(LENGTH))
ax.legend()
fig.tight_layout()
plt.show()""", of="363c897b18")

ALIGN_WHY = bi("""### The learned alignment

For reversal the right alignment is known: output step `i` should read source position `T - 1 - i`, the
anti-diagonal. The model was never told so. Below, the attention weights of the trained model: on the left
averaged over the 1,000 test sequences, on the right for one sequence, with its digits on the axes.""",
zh="""### 学到的对齐

对倒序任务来说，正确的对齐是已知的：输出第 `i` 步应当读源位置 `T - 1 - i`，即反对角线。模型从没被告知这一点。下面是训练好的模型的注意力权重（attention weights）：左图是在 1,000 个测试序列上的平均，右图是其中一个序列，坐标轴上标出了它的数字。""", of="73690600c1")

ALIGN_CODE = bi("""with_attention = scores["with attention"]
src, tgt = lab.reversal_batch(1, LENGTH, torch.Generator().manual_seed(7))
preds, weights = models["with attention"].generate(src, LENGTH)  # (1, T_out), (1, T_out, T)
fig = lab.alignment_figure(with_attention.mean_weights, example=(src[0], preds[0], weights[0]))
plt.show()

print(f"attention weight on the right source position (T - 1 - i), mean: {with_attention.mass_on_source:.2f}")
print(f"  on it or a neighbour (i.e. within one position):            {with_attention.mass_near_source:.2f}")
print(f"output steps whose largest weight is on the right position:   {with_attention.peak_on_source:.0%}")
print(f"(uniform attention would put 1/{LENGTH} = {1 / LENGTH:.2f} on it)")""",
zh="""with_attention = scores["有注意力"]
src, tgt = lab.reversal_batch(1, LENGTH, torch.Generator().manual_seed(7))
preds, weights = models["有注意力"].generate(src, LENGTH)  # (1, T_out), (1, T_out, T)
fig = lab.alignment_figure(with_attention.mean_weights, example=(src[0], preds[0], weights[0]))
plt.show()

print(f"落在正确源位置（T - 1 - i）上的注意力权重，平均：      {with_attention.mass_on_source:.2f}")
print(f"  落在该位置或其相邻位置（即相差不超过一个位置）上的： {with_attention.mass_near_source:.2f}")
print(f"最大权重落在正确位置上的输出步所占比例：               {with_attention.peak_on_source:.0%}")
print(f"（均匀的注意力会在该位置上放 1/{LENGTH} = {1 / LENGTH:.2f}）")""", of="76d74d463b")

MEASURED = bi("""# What was measured, read from the numbers above.
without, with_attention = scores["without attention"], scores["with attention"]
by_step = without.step_accuracy  # (T_out,)
best, worst = int(by_step.argmax()), int(by_step.argmin())
whose = "your" if additive is additive_attention else "the reference"
print(f"Without attention the decoder got {without.token_accuracy:.0%} of the digits right and reversed "
      f"{without.sequence_accuracy:.0%} of the sequences without an error. It was best at output step {best} "
      f"({by_step[best]:.0%}, source digit {LENGTH - 1 - best}) and worst at step {worst} ({by_step[worst]:.0%}, "
      f"source digit {LENGTH - 1 - worst}).")
print(f"With {whose} additive attention and no summary at all, the same budget gave "
      f"{with_attention.token_accuracy:.0%} of the digits and {with_attention.sequence_accuracy:.0%} of the "
      f"sequences.")
print(f"Its alignment: on average {with_attention.mass_on_source:.2f} of a step's attention lies on exactly the "
      f"source digit it copies (uniform attention: {1 / LENGTH:.2f}), {with_attention.mass_near_source:.2f} on it "
      f"or a neighbour, and for {with_attention.peak_on_source:.0%} of the output steps the most-attended position "
      f"is the right one. What is left goes mostly to neighbours: a bidirectional state also describes the "
      f"digits beside it.")
gain = with_attention.token_accuracy - without.token_accuracy
print(f"Attention {'removed' if gain > 0.1 else 'did not remove'} the bottleneck here: "
      f"{gain:+.0%} of the digits" + (" (a token run under grading, too short to tell)" if GRADING else "") + "."
      " Other seeds move the accuracies by a few points, and the share of steps whose largest weight is on the"
      " right position by more (try seed=1 in lab.train_reversal).")""",
zh="""# 测得了什么：从上面的数字中读出。
without, with_attention = scores["无注意力"], scores["有注意力"]
by_step = without.step_accuracy  # (T_out,)
best, worst = int(by_step.argmax()), int(by_step.argmin())
whose = "你的" if additive is additive_attention else "参考实现的"
print(f"没有注意力时，解码器答对了 {without.token_accuracy:.0%} 的数字，无一差错地倒序了 "
      f"{without.sequence_accuracy:.0%} 的序列。它在输出第 {best} 步表现最好"
      f"（{by_step[best]:.0%}，对应源位置 {LENGTH - 1 - best}），在第 {worst} 步最差（{by_step[worst]:.0%}，"
      f"对应源位置 {LENGTH - 1 - worst}）。")
print(f"用{whose}加性注意力、完全不用摘要，同样的预算下，数字正确率为 "
      f"{with_attention.token_accuracy:.0%}，整个序列正确率为 {with_attention.sequence_accuracy:.0%}"
      f"。")
print(f"它的对齐：平均而言，每一步有 {with_attention.mass_on_source:.2f} 的注意力恰好落在它要复制的那个源数字上"
      f"（均匀注意力为 {1 / LENGTH:.2f}），{with_attention.mass_near_source:.2f} 落在该数字或其相邻数字上；"
      f"在 {with_attention.peak_on_source:.0%} 的输出步中，注意力最集中的位置就是正确的位置。"
      f"其余的注意力大多落在相邻位置上：双向状态也描述了旁边的数字。")
gain = with_attention.token_accuracy - without.token_accuracy
print(f"在这里，注意力{'消除' if gain > 0.1 else '没有消除'}了瓶颈：数字正确率变化 "
      f"{gain:+.0%}" + ("（评分时只象征性地跑了一下，太短，看不出结论）" if GRADING else "") + "。"
      "换用其他随机种子，准确率会变动几个百分点，最大权重落在正确位置上的输出步所占比例变动更大"
      "（可以在 lab.train_reversal 中试试 seed=1）。")""", of="2d1f5b885f")

CONTRAST_WHY = bi("""## 4. Classic attention and self-attention

Attention removed the bottleneck, but not the recurrence. Look at where the query comes from: the decoder
state $s_{i-1}$, which exists only once the decoder has produced output $i-1$. So the decoder still calls
attention **once per output step, one step after another**, with **one query** `(B, Dq)` each time; and the
encoder that made the keys is still a recurrent network that reads the source one step at a time.

Self-attention (notebook 03) turns attention on the sequence itself: every position of **one** sequence is a
query, a key and a value, and all `T` queries are answered **at once**, in a matrix product:

| | classic (encoder-decoder) attention | self-attention |
|---|---|---|
| who asks | the decoder, at one output step | every position of the sequence |
| query | one vector per sequence, `(B, Dq)` | one per position, `(B, T, d)` |
| keys, values | another sequence: the encoder's states `(B, T, Dk)` | the same sequence `(B, T, d)` |
| score | additive, $v^\\top \\tanh(q W_q + k W_k)$: a small network | dot product $q \\cdot k / \\sqrt{d}$: one matrix product |
| weights | `(B, T)` per call | `(B, T, T)` in one call |
| what stays sequential | the decoder: query $i$ needs output $i-1$; the RNN encoder | nothing within a layer |

The code below runs both on the same 6-position sequence and prints the shapes.""",
zh="""## 4. 经典注意力与自注意力

注意力消除了瓶颈，却没有消除循环。看看查询从哪里来：解码器状态 $s_{i-1}$，它只有在解码器产生了输出 $i-1$ 之后才存在。所以解码器仍然是**每个输出步调用一次注意力，一步接一步**，每次只有**一个查询** `(B, Dq)`；而生成键的编码器仍然是一个一次读一步的循环网络。

自注意力（self-attention，笔记本 03）把注意力用在序列自身上：**同一个**序列的每个位置既是查询，也是键和值，`T` 个查询在一次矩阵乘法中**同时**得到回答：

| | 经典（编码器-解码器）注意力 | 自注意力 |
|---|---|---|
| 谁来提问 | 解码器，在某一个输出步 | 序列的每个位置 |
| 查询 | 每个序列一个向量，`(B, Dq)` | 每个位置一个，`(B, T, d)` |
| 键、值 | 另一个序列：编码器的状态 `(B, T, Dk)` | 同一个序列 `(B, T, d)` |
| 评分 | 加性，$v^\\top \\tanh(q W_q + k W_k)$：一个小网络 | 点积 $q \\cdot k / \\sqrt{d}$：一次矩阵乘法 |
| 权重 | 每次调用 `(B, T)` | 一次调用 `(B, T, T)` |
| 仍须按顺序进行的部分 | 解码器：查询 $i$ 需要输出 $i-1$；RNN 编码器 | 一层之内没有 |

下面的代码在同一个有 6 个位置的序列上运行两者，并打印形状。""", of="04ccace7c2")

CONTRAST_CODE = bi("""g = torch.Generator().manual_seed(0)
B, T, d, A = 2, 6, 8, 5
x = torch.randn(B, T, d, generator=g)  # one sequence of T positions per batch row (an encoder's states)
W_q, W_k, v = torch.randn(d, A, generator=g), torch.randn(d, A, generator=g), torch.randn(A, generator=g)

# Classic: a decoder asks with ONE query per call; to answer T queries it calls T times, one after another.
query = torch.randn(B, d, generator=g)  # (B, Dq): the decoder's state at one output step
context, weights = additive(query, x, x, W_q, W_k, v)  # yours, or the reference (section 3 said which)
print(f"classic:        query {tuple(query.shape)} over keys {tuple(x.shape)}"
      f" -> context {tuple(context.shape)}, weights {tuple(weights.shape)}  (one call per output step)")

# Self-attention: every position of x is a query, answered in one call.
Wq, Wk, Wv = (torch.randn(d, d, generator=g) / d**0.5 for _ in range(3))
q, k, vals = x @ Wq, x @ Wk, x @ Wv  # (B, T, d) each
out = F.scaled_dot_product_attention(q, k, vals)  # (B, T, d)
self_weights = torch.softmax(q @ k.transpose(-2, -1) / d**0.5, dim=-1)  # (B, T, d) x (B, d, T) -> (B, T, T)
print(f"self-attention: queries {tuple(q.shape)} over keys {tuple(k.shape)}"
      f" -> output {tuple(out.shape)}, weights {tuple(self_weights.shape)}  (one call for all positions)")

# Additive scores could serve as self-attention too, one query at a time: the score is not the difference.
rows = [additive(x[:, t], x, x, W_q, W_k, v)[1] for t in range(T)]  # T calls, each (B, T)
print(f"additive scores, one position at a time: {T} calls -> weights "
      f"{tuple(torch.stack(rows, dim=1).shape)}")""",
zh="""g = torch.Generator().manual_seed(0)
B, T, d, A = 2, 6, 8, 5
x = torch.randn(B, T, d, generator=g)  # 每个批量行是一个有 T 个位置的序列（编码器的状态）
W_q, W_k, v = torch.randn(d, A, generator=g), torch.randn(d, A, generator=g), torch.randn(A, generator=g)

# 经典注意力：解码器每次调用只提出一个查询；要回答 T 个查询，就得一个接一个地调用 T 次。
query = torch.randn(B, d, generator=g)  # (B, Dq)：解码器在某一个输出步的状态
context, weights = additive(query, x, x, W_q, W_k, v)  # 你的实现或参考实现（第 3 节已说明是哪个）
print(f"经典注意力：查询 {tuple(query.shape)} 作用于键 {tuple(x.shape)}"
      f" -> 上下文 {tuple(context.shape)}，权重 {tuple(weights.shape)}（每个输出步调用一次）")

# 自注意力：x 的每个位置都是一个查询，一次调用全部回答。
Wq, Wk, Wv = (torch.randn(d, d, generator=g) / d**0.5 for _ in range(3))
q, k, vals = x @ Wq, x @ Wk, x @ Wv  # 各为 (B, T, d)
out = F.scaled_dot_product_attention(q, k, vals)  # (B, T, d)
self_weights = torch.softmax(q @ k.transpose(-2, -1) / d**0.5, dim=-1)  # (B, T, d) x (B, d, T) -> (B, T, T)
print(f"自注意力：  查询 {tuple(q.shape)} 作用于键 {tuple(k.shape)}"
      f" -> 输出 {tuple(out.shape)}，权重 {tuple(self_weights.shape)}（所有位置只调用一次）")

# 加性评分也能用作自注意力，只是一次一个查询：区别不在评分函数。
rows = [additive(x[:, t], x, x, W_q, W_k, v)[1] for t in range(T)]  # 调用 T 次，每次得到 (B, T)
print(f"加性评分，一次一个位置：调用 {T} 次 -> 权重 "
      f"{tuple(torch.stack(rows, dim=1).shape)}")""", of="f74dcfda32")

SUMMARY = bi("""## Summary

* An encoder-decoder without attention passes the whole source through **one fixed vector**: the more there
  is to remember, the more it loses; the accuracy by output step above shows which digits it lost.
* **Additive attention** scores every encoder state against the decoder's state with $v^\\top\\tanh(qW_q +
  kW_k)$, turns the scores into weights with a softmax (masked positions get $-\\infty$, so weight 0), and
  hands the decoder a fresh weighted average at every step. The alignment is learned from the task alone.
* The query of classic attention is the decoder's state at one step, `(B, Dq)`; attention is called once per
  output step, and the recurrence stays. **Self-attention** makes every position of one sequence a query,
  `(B, T, d)`, and answers all of them in one matrix product.

**Where this comes from.** `additive_attention` is the alignment model of Bahdanau, Cho and Bengio (2015,
"Neural Machine Translation by Jointly Learning to Align and Translate"): their section 3.1 (Decoder: General
Description) defines the weights and the context vector, and their appendix A.1.2 (Alignment Model) gives the
score $v_a^\\top\\tanh(W_a s_{i-1} + U_a h_j)$, which you wrote as $v^\\top\\tanh(qW_q + kW_k)$. The encoder-decoder
without attention is the one of Sutskever, Vinyals and Le (2014) and Cho et al. (2014). "Attention Is All You
Need" (Vaswani et al., 2017) names this function *additive attention* in its section 3.2.1 (Scaled
Dot-Product Attention) and chooses a dot product instead, which is faster in practice.

**Next:** notebook 03 builds that matrix product, scaled dot-product self-attention, and its masks.""",
zh="""## 小结

* 没有注意力的编码器-解码器要让整个源序列穿过**一个固定的向量**：要记住的越多，丢掉的就越多；上面按输出步统计的准确率显示了它丢掉的是哪些数字。
* **加性注意力**用 $v^\\top\\tanh(qW_q + kW_k)$ 把每个编码器状态与解码器的状态对照打分，再用 softmax 把分数变成权重（被掩码屏蔽的位置得到 $-\\infty$，因此权重为 0），并在每一步交给解码器一份新的加权平均。对齐完全是从任务本身学来的。
* 经典注意力的查询是解码器在某一步的状态，`(B, Dq)`；每个输出步调用一次注意力，循环依然存在。**自注意力**让同一个序列的每个位置都成为查询，`(B, T, d)`，并在一次矩阵乘法中回答全部查询。

**出处。** `additive_attention` 是 Bahdanau、Cho 和 Bengio（2015，"Neural Machine Translation by Jointly Learning to Align and Translate"）的对齐模型：他们论文的第 3.1 节（Decoder: General Description）定义了权重和上下文（context）向量，附录 A.1.2（Alignment Model）给出评分 $v_a^\\top\\tanh(W_a s_{i-1} + U_a h_j)$，也就是你写的 $v^\\top\\tanh(qW_q + kW_k)$。没有注意力的编码器-解码器来自 Sutskever、Vinyals 和 Le（2014）以及 Cho 等（2014）。"Attention Is All You Need"（Vaswani 等，2017）在第 3.2.1 节（Scaled Dot-Product Attention）把这个函数称为*加性注意力*，并改用点积，因为它在实践中更快。

**下一步：** 笔记本 03 实现这次矩阵乘法，即缩放点积自注意力（scaled dot-product self-attention），以及它的掩码。""", of="41c9dcb4c8")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(BOTTLENECK_WHY),
        markdown(ADDITIVE_HEADING),
        *exercise(1, ref.additive_attention, points=3, seed=2024, difficulty=2, importance=4, minutes=20,
                  text=ADDITIVE_TEXT, hint=ADDITIVE_HINT,
                  signature="def additive_attention(query, keys, values, W_q, W_k, v, mask=None)"
                            " -> tuple[torch.Tensor, torch.Tensor]",
                  final_assert="assert torch.allclose(additive_attention(torch.zeros(1, 3), torch.zeros(1, 4, 2), "
                               "torch.eye(4)[None], torch.ones(3, 5), torch.ones(2, 5), torch.ones(5))[1], "
                               "torch.full((1, 4), 0.25)), \"equal scores must give equal weights over the positions "
                               "(分数相同，各位置的权重就必须相同)\""),
        code(ADDITIVE_DEMO),
        markdown(EXPERIMENT_WHY),
        *question("02.steps"),
        code(TRAIN_CODE),
        code(STEP_PLOT_CODE),
        answer("02.steps", "without=list(scores.values())[0]"),
        markdown(ALIGN_WHY),
        *question("02.alignment"),
        code(ALIGN_CODE),
        answer("02.alignment", "with_attention=list(scores.values())[1]"),
        code(MEASURED),
        markdown(CONTRAST_WHY),
        code(CONTRAST_CODE),
        markdown(SUMMARY),
    ], title=TITLE)
