"""Notebook 04: multi-head attention, several attentions side by side, each on its own slice of the features."""
from author import answer, bi, code, exercise, language_cell, locked_code, markdown, notebook, question, stages

from course_lib.solutions import multi_head_attention as ref

TITLE = bi("""04 Multi-head attention""", zh="""04 多头注意力""", of="4fdeb80472")

INTRO = bi("""# 04 · Multi-head attention: several heads look at different aspects

**What you build:** `CharTokenizer` (text to token ids), `split_heads`, `merge_heads`, `MultiHeadAttention`.
**What you measure:** how much byte-pair encoding shortens a real text; that an embedding is a table look-up; what
tying the query and key projections does to a layer that must look one token to the left; that your module computes
exactly what `torch.nn.MultiheadAttention` computes; that the heads of a small trained model attend to different
positions; what several heads cost compared with one.
**Time:** [[times]].

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

**你要实现：** 词元分析器（tokenizer）`CharTokenizer`，它把文本变成词元（token）的编号；以及 `split_heads`、`merge_heads`、`MultiHeadAttention`。
**你要测量：** 字节对编码（BPE）能把一份真实文本缩短多少；嵌入（embedding）就是查表；查询和键共用一个投影时，一层网络还能否看向左边一个词元；
你的模块与 `torch.nn.MultiheadAttention` 计算的完全相同；一个训练好的小模型的各个头注意不同的位置；
多个头与一个头相比要付出什么代价。
**时间：** [[times]]。

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
回答，要么是一行绿色的通过信息，要么是一条消息，指出它认出的错误。""", of="85d1e7158a")

SETUP = """# Set-up: imports, the course's checks, your attention from notebook 03, fixed seeds.
# 设置：导入、课程的检查、你在笔记本 03 中写的注意力、固定的随机种子。
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import check_char_tokenizer, check_merge_heads, check_multi_head_attention, check_split_heads

# your code if it passes its check, else the reference / 通过检查就用你的代码，否则用参考实现
from course_lib.experiments import yours_or_reference
from course_lib.experiments.multi_head_attention import (
    CopyConfig,
    ToyConfig,
    attention_costs,
    bpe_tokens,
    evaluate_previous_token,
    evaluate_two_relations,
    plot_head_maps,
    plot_previous_token,
    shipped_text,
    train_bpe,
    train_previous_token,
    train_two_relations,
)

# you built it in notebook 03 / 你在笔记本 03 中实现了它
from course_lib.handouts import scaled_dot_product_attention

torch.manual_seed(0)
# the grader shrinks the experiments, not the exercises / 评分程序缩小实验规模，不缩小练习
GRADING = "NBGRADER_EXECUTION" in os.environ"""

TEXT_WHY = bi("""## 1. From text to vectors

Attention works on vectors: notebook 03 fed it random `(B, T, D)` tensors. A language model reads text. Three
steps turn the one into the other:

1. a **tokenizer** cuts the text into **tokens** and gives each token an integer **id**, its number in a
   **vocabulary** of `V` tokens: a string becomes a list of `T` ids, a batch of them a `(B, T)` tensor;
2. an **embedding**, a table `W` of shape `(V, D)` with one row per token, turns each id into a vector:
   `(B, T)` ids become `(B, T, D)`;
3. those vectors are what attention reads.

The simplest tokenizer takes every character as one token. The course ships one real text to try it on,
`course_lib.text.shakespeare()`: the Sonnets, Macbeth, Romeo and Juliet and Hamlet as Project Gutenberg has them,
514,863 characters, 73 of them distinct (where it comes from and what was removed: `course_lib/text/SHAKESPEARE.md`).""",
              zh="""## 1. 从文本到向量

注意力作用在向量上：笔记本 03 喂给它的是随机的 `(B, T, D)` 张量。语言模型（language model）读的却是文本。从文本到
向量要走三步：

1. **词元分析器**把文本切成一个个**词元**，并给每个词元一个整数**编号**（id），即它在含 `V`
   个词元的**词表（vocabulary）** 中的序号：一个字符串变成 `T` 个编号的列表，一批这样的列表就是一个 `(B, T)` 张量；
2. **嵌入**是一张形状为 `(V, D)` 的表 `W`，每个词元占一行，它把每个编号变成一个向量：`(B, T)` 的编号
   变成 `(B, T, D)`；
3. 注意力读的就是这些向量。

最简单的词元分析器把每个字符当作一个词元。课程随附了一份真实的文本供你试用，即 `course_lib.text.shakespeare()`：
古腾堡计划（Project Gutenberg）版本的《十四行诗》《麦克白》《罗密欧与朱丽叶》和《哈姆雷特》，共 514,863 个字符，
其中不同的字符有 73 个（它的来源以及删去了哪些内容，见 `course_lib/text/SHAKESPEARE.md`）。""", of="c705441f6d")

TOKENIZER_TEXT = bi("""`CharTokenizer(text)` builds the vocabulary from `text`: its distinct characters, **sorted**
(`sorted(set(text))`); id `i` is the `i`-th of them, from `0` to `vocab_size - 1`.

* `vocab_size`: an `int`, the number of distinct characters;
* `encode(s)` returns a `list` of Python `int`s, one id per character of `s`; a character that is not in the
  vocabulary raises `ValueError`, with that character in the message;
* `decode(ids)` returns a `str`: the characters of the ids, joined with nothing between them, so that
  `decode(encode(s)) == s`.

Why sorted? The ids must not depend on the order in which the characters happen to appear: two tokenizers built
on texts with the same characters then agree, and `list(set(text))`, whose order of strings changes from one Python
run to the next, is ruled out. Why an error rather than skipping the character? A tokenizer that silently drops or
replaces a character changes the text without telling anyone.""",
                    zh="""`CharTokenizer(text)` 由 `text` 构建词表：取其中不同的字符，**排序**（`sorted(set(text))`）；编号 `i`
就是其中第 `i` 个字符，编号从 `0` 到 `vocab_size - 1`。

* `vocab_size`：一个 `int`，即不同字符的个数；
* `encode(s)` 返回由 Python `int` 组成的 `list`，`s` 的每个字符对应一个编号；不在词表中的字符会引发 `ValueError`，
  并且信息中要写出这个字符；
* `decode(ids)` 返回一个 `str`：把这些编号对应的字符连接起来，中间不加任何东西，使得 `decode(encode(s)) == s`。

为什么要排序？编号不应取决于字符碰巧出现的先后顺序：这样，用含有相同字符的文本构建的两个词元分析器给出相同的编号；
同时也排除了 `list(set(text))`，因为字符串集合的顺序在每次运行 Python 时都可能不同。为什么要报错，而不是跳过这个
字符？一个悄悄丢掉或替换字符的词元分析器改变了文本，却没有告诉任何人。""", of="9e8a89cd56")

TOKENIZER_HINT = stages(
    idea=bi("""Two tables do all the work: one from a character to its id (for `encode`), one from an id to its character (for
`decode`). Both come from the same sorted list of the text's distinct characters.""",
            zh="""所有的工作由两张表完成：一张从字符查到编号（供 `encode` 用），一张从编号查到字符（供 `decode` 用）。两张表都来自
同一个列表：文本中不同字符排好序的列表。""", of="eda92d6666"),
    shapes=bi("""1. In `__init__`: `chars = sorted(set(text))`, a list of `V` one-character strings. Keep it, set
   `vocab_size = len(chars)`, and build the reverse table, character to position in `chars` (a `dict`).
2. `encode(s)`: for each character of `s`, check that it is in the table (if not, raise `ValueError` with the
   character in the message), and collect its id: a list of `len(s)` ints.
3. `decode(ids)`: look each id up in `chars` and join the characters into one string, with nothing between them.""",
              zh="""1. 在 `__init__` 中：`chars = sorted(set(text))`，一个由 `V` 个单字符字符串组成的列表。保存它，令
   `vocab_size = len(chars)`，再建立反查表：从字符到它在 `chars` 中的位置（一个 `dict`）。
2. `encode(s)`：对 `s` 的每个字符，先检查它在表中（如果不在，就引发 `ValueError`，信息中写出这个字符），再收集它的
   编号：得到一个含 `len(s)` 个整数的列表。
3. `decode(ids)`：在 `chars` 中查出每个编号对应的字符，把它们连接成一个字符串，中间不加任何东西。""", of="99417a3d0d"),
    code=bi("""```python
self.chars = sorted(set(text))
self.vocab_size = len(self.chars)
self.ids = {ch: i for i, ch in enumerate(self.chars)}
# in encode, for each ch of s:
if ch not in self.ids:
    raise ValueError(f"character {ch!r} is not in the vocabulary")
# decode:
return "".join(self.chars[i] for i in ids)
```""",
            zh="""```python
self.chars = sorted(set(text))
self.vocab_size = len(self.chars)
self.ids = {ch: i for i, ch in enumerate(self.chars)}
# 在 encode 中，对 s 的每个字符 ch：
if ch not in self.ids:
    raise ValueError(f"character {ch!r} is not in the vocabulary")
# decode：
return "".join(self.chars[i] for i in ids)
```""", of="3567a640d4"))

TOKENIZER_DEMO = bi("""# Your tokenizer on the shipped text: its vocabulary, and a line encoded and decoded back.
Tokenizer = yours_or_reference("CharTokenizer", CharTokenizer)
text = shipped_text()  # course_lib.text.shakespeare(): 514,863 characters
tokenizer = Tokenizer(text)
print("vocab_size:", tokenizer.vocab_size)
print("the vocabulary, ids 0 ..", tokenizer.vocab_size - 1, ":", repr(tokenizer.decode(list(range(tokenizer.vocab_size)))))
line = "To be, or not to be,--that is the question:"
ids = tokenizer.encode(line)
print(len(line), "characters ->", len(ids), "ids:", ids[:14], "...")
print("decode(encode(line)) == line:", tokenizer.decode(ids) == line)
try:
    tokenizer.encode("café")  # é is not in the text
except ValueError as error:
    print("encode('café') raises ValueError:", error)""",
                    zh="""# 你的词元分析器用在随附的文本上：它的词表，以及把一行文字编码再解码回来。
Tokenizer = yours_or_reference("CharTokenizer", CharTokenizer)
text = shipped_text()  # course_lib.text.shakespeare()：514,863 个字符
tokenizer = Tokenizer(text)
print("vocab_size：", tokenizer.vocab_size)
print("词表，编号 0 ..", tokenizer.vocab_size - 1, "：", repr(tokenizer.decode(list(range(tokenizer.vocab_size)))))
line = "To be, or not to be,--that is the question:"
ids = tokenizer.encode(line)
print(len(line), "个字符 ->", len(ids), "个编号：", ids[:14], "...")
print("decode(encode(line)) == line：", tokenizer.decode(ids) == line)
try:
    tokenizer.encode("café")  # 文本中没有 é
except ValueError as error:
    print("encode('café') 引发 ValueError：", error)""", of="3bcf34ae33")

BPE_WHY = bi("""### Fewer, longer tokens: byte-pair encoding

One token per character makes sequences long: the line above is 43 positions, and the cost of attention grows
with the square of the length (notebook 06 measures it). Real tokenizers use pieces of words instead: GPT-2's
vocabulary has 50,257 tokens. They are learned by **byte-pair encoding** (BPE; Sennrich et al., 2016, on
characters; GPT-2 on bytes):

1. start from single characters;
2. count every pair of adjacent tokens in the training text (the **corpus**);
3. **merge** the most frequent pair into one new token, everywhere it occurs;
4. repeat from 2, as many merges as the vocabulary should grow.

Each merge adds one token to the vocabulary and makes the text shorter. Below, `train_bpe` does exactly this on the
first 30,000 characters of the text, 30 merges; then `bpe_tokens` cuts 20,000 characters it never saw (from the
middle of the text) by applying the merges in the order they were learned, and we count tokens per character.
This plain version lets a merge cross a space; GPT-2 first splits the text into words, numbers and punctuation and
never merges across those pieces.""",
             zh="""### 更少、更长的词元：字节对编码

每个字符一个词元会让序列变得很长：上面那一行有 43 个位置，而注意力的代价随长度的平方增长（笔记本 06 测量了这一点）。
实际使用的词元分析器改用词的片段：GPT-2 的词表有 50,257 个词元。它们由**字节对编码（BPE）** 学得（Sennrich 等人，2016，
作用于字符；GPT-2 作用于字节）：

1. 从单个字符开始；
2. 统计训练文本（**语料**，corpus）中每一对相邻词元出现的次数；
3. 把出现最多的那一对**合并**（merge）成一个新词元，凡是出现的地方都合并；
4. 回到第 2 步，词表要增大多少，就合并多少次。

每次合并给词表增加一个词元，并使文本变短。下面，`train_bpe` 正是在文本的前 30,000 个字符上这样做，合并 30 次；然后
`bpe_tokens` 按学到的先后顺序应用这些合并，切分它从未见过的 20,000 个字符（取自文本的中部），我们再数一数每个字符
合多少个词元。这个朴素的版本允许合并跨过空格；GPT-2 则先把文本切成单词、数字和标点，从不跨越这些片段进行合并。""",
             of="822986378c")

BPE_CODE = bi("""n_train, n_merges = (5_000, 5) if GRADING else (30_000, 30)  # a second or two; a token run while grading
merges = train_bpe(text[:n_train], n_merges)  # [(left, right, count when merged), ...] in the order learned
print("first merges:", ", ".join(f"{a + b!r} ({count})" for a, b, count in merges[:12]))
held_out = text[250_000:270_000]  # 20,000 characters the merges never saw
pieces = bpe_tokens(held_out, merges)
per_character = len(pieces) / len(held_out)
print(f"vocabulary: {tokenizer.vocab_size} characters + {len(merges)} merges = "
      f"{tokenizer.vocab_size + len(merges)} tokens")
print(f"held-out text: {len(held_out):,} characters -> {len(pieces):,} tokens, {per_character:.3f} tokens per character "
      f"(1.000 with one token per character)")
print("the line cut into tokens:", " | ".join(bpe_tokens(line, merges)))
print(f"Measured: {len(merges)} merges cut the held-out text to {per_character:.2f} tokens per character, "
      + (f"{1 - per_character:.0%} fewer positions for attention to cover."
         if per_character < 0.9 else "less than a 10% saving (the threshold): too few merges to matter."))""",
              zh="""n_train, n_merges = (5_000, 5) if GRADING else (30_000, 30)  # 一两秒；评分时只象征性地跑一下
merges = train_bpe(text[:n_train], n_merges)  # [(左, 右, 合并时的次数), ...]，按学到的先后顺序
print("最先学到的合并：", "，".join(f"{a + b!r}（{count}）" for a, b, count in merges[:12]))
held_out = text[250_000:270_000]  # 合并规则从未见过的 20,000 个字符
pieces = bpe_tokens(held_out, merges)
per_character = len(pieces) / len(held_out)
print(f"词表：{tokenizer.vocab_size} 个字符 + {len(merges)} 次合并 = "
      f"{tokenizer.vocab_size + len(merges)} 个词元")
print(f"留出的文本：{len(held_out):,} 个字符 -> {len(pieces):,} 个词元，每个字符 {per_character:.3f} 个词元"
      f"（每个字符一个词元时为 1.000）")
print("切分成词元的那一行：", " | ".join(bpe_tokens(line, merges)))
print(f"测量结果：{len(merges)} 次合并把留出文本降到每个字符 {per_character:.2f} 个词元，"
      + (f"注意力要覆盖的位置少了 {1 - per_character:.0%}。"
         if per_character < 0.9 else "节省不到 10%（阈值）：合并次数太少，作用不大。"))""", of="8ec0372216")

EMBED_WHY = bi("""### The embedding: a table look-up

The ids are integers; attention needs vectors. An **embedding** is a table `W` of shape `(V, D)`, one learned row
per token of the vocabulary, and the vector of id `i` is the row `W[i]`. It is also a matrix product: the one-hot
vector of `i` (length `V`, a 1 at position `i` and 0 elsewhere) times `W` picks out exactly row `i`. For a batch of
ids:

`(B, T)` ids → one-hot `(B, T, V)` → `@ W` → `(B, T, D)`, the same numbers as `W[ids]`.

The look-up is the product without its multiplications by zero, and `nn.Embedding(V, D)` keeps `W` as its
`weight` and does the look-up. Notebook 01 fed one-hot vectors to its RNN: its first matrix, `W_xh`, was an
embedding table in disguise. Below we check that the three agree, on two pieces of the line above.""",
               zh="""### 嵌入：查表

编号是整数；注意力需要的是向量。**嵌入**是一张形状为 `(V, D)` 的表 `W`，词表中每个词元有一行可学习的参数，编号 `i`
的向量就是第 `W[i]` 行。它也是一次矩阵乘法：`i` 的独热（one-hot）向量（长度为 `V`，第 `i` 位为 1，其余为 0）乘以
`W`，恰好取出第 `i` 行。对一批编号：

`(B, T)` 的编号 → 独热 `(B, T, V)` → `@ W` → `(B, T, D)`，数值与 `W[ids]` 完全相同。

查表就是省掉了所有乘以零的运算的矩阵乘法；`nn.Embedding(V, D)` 把 `W` 存为它的 `weight`，并执行查表。笔记本 01
给 RNN 输入的是独热向量：它的第一个矩阵 `W_xh` 其实就是一张乔装的嵌入表。下面我们在上面那一行的两段文字上检验这三种
做法是否一致。""", of="aeb2a3c95e")

EMBED_CODE = bi("""# Three ways to turn ids into vectors, with one table W.
torch.manual_seed(0)
V, D = tokenizer.vocab_size, 8
W = torch.randn(V, D)  # (V, D): one row per token
ids = torch.tensor([tokenizer.encode("To be, or not"), tokenizer.encode("that is the q")])  # (B, T) = (2, 13)
one_hot = F.one_hot(ids, num_classes=V).float()  # (B, T, V)
by_product = one_hot @ W  # (B, T, V) @ (V, D) -> (B, T, D)
by_index = W[ids]  # (B, T, D): row ids[b, t] of W at [b, t]
embedding = nn.Embedding(V, D)
with torch.no_grad():
    embedding.weight.copy_(W)  # the module's table is now W
    by_module = embedding(ids)  # (B, T, D)
print("ids", tuple(ids.shape), "-> one-hot", tuple(one_hot.shape), "-> vectors", tuple(by_product.shape))
gaps = {"one_hot(ids) @ W against W[ids]": (by_product - by_index).abs().max().item(),
        "nn.Embedding against W[ids]": (by_module - by_index).abs().max().item()}
for what, gap in gaps.items():
    print(f"greatest absolute difference, {what}: {gap:.1e}")
worst = max(gaps.values())
print("Measured: " + ("the three give exactly the same numbers: an embedding is a look-up in a table of rows."
                      if worst == 0 else "they agree to float32 rounding (below 1e-6, the threshold)."
                      if worst < 1e-6 else "they differ by more than rounding: something is off."))""",
                zh="""# 用同一张表 W，把编号变成向量的三种做法。
torch.manual_seed(0)
V, D = tokenizer.vocab_size, 8
W = torch.randn(V, D)  # (V, D)：每个词元一行
ids = torch.tensor([tokenizer.encode("To be, or not"), tokenizer.encode("that is the q")])  # (B, T) = (2, 13)
one_hot = F.one_hot(ids, num_classes=V).float()  # (B, T, V)
by_product = one_hot @ W  # (B, T, V) @ (V, D) -> (B, T, D)
by_index = W[ids]  # (B, T, D)：位置 [b, t] 上是 W 的第 ids[b, t] 行
embedding = nn.Embedding(V, D)
with torch.no_grad():
    embedding.weight.copy_(W)  # 现在模块的表就是 W
    by_module = embedding(ids)  # (B, T, D)
print("编号", tuple(ids.shape), "-> 独热", tuple(one_hot.shape), "-> 向量", tuple(by_product.shape))
gaps = {"one_hot(ids) @ W 与 W[ids]": (by_product - by_index).abs().max().item(),
        "nn.Embedding 与 W[ids]": (by_module - by_index).abs().max().item()}
for what, gap in gaps.items():
    print(f"最大绝对差，{what}：{gap:.1e}")
worst = max(gaps.values())
print("测量结果：" + ("三者给出完全相同的数：嵌入就是在一张由行组成的表中查找。"
                    if worst == 0 else "三者在 float32 舍入误差内一致（低于阈值 1e-6）。"
                    if worst < 1e-6 else "差异超出了舍入误差：有地方不对。"))""", of="5459caca96")

TIED_WHY = bi("""## 2. Why the query and the key are separate projections

In notebook 03 the queries and keys were given. In a layer they are made from the same vectors, `X` of shape
`(T, D)` with one row per position, by two learned matrices: `Q = X W_q`, `K = X W_k`, and the scores are
`S = Q Kᵀ`. Why two matrices, and not one?

Suppose `W_q = W_k = W` and write `Z = X W`, one row `z_i` per position. Then `S = X W Wᵀ Xᵀ = Z Zᵀ`: every
score is the dot product of two rows of one table, `s_ij = z_i · z_j`. Such a matrix is symmetric (`s_ij = s_ji`)
and positive semi-definite, and the Cauchy–Schwarz inequality bounds each entry by the diagonal:

$$s_{ij} = z_i \\cdot z_j \\le \\lVert z_i \\rVert \\, \\lVert z_j \\rVert = \\sqrt{s_{ii} \\, s_{jj}}.$$

If all rows have the same length, `s_ij ≤ s_ii`: every position scores **itself** at least as high as any other.
"Look one to the left", the look-up a language model needs all the time (read the previous word), can then never
beat "look at yourself". The only way around it is rows of different lengths: `s_{t,t-1} > s_{t,t}` needs the row
at `t-1` to be longer than the row at `t`, wherever the look-up works. With two matrices, `S = X W_q W_kᵀ Xᵀ` can be
any matrix: not symmetric, and nothing favours the diagonal.

We measure it on the smallest task that needs the asymmetric look-up: **copy the previous token**. The input is 8
random tokens (0..9); the target at position `t ≥ 1` is the token at `t-1`. The model: token and learned position
embeddings, one causal attention with a single head, a linear read-out, no residual path (so whatever a position
outputs, it has read through attention). We train it four times, with the same seed, data and 80 Adam steps:
`W_q` and `W_k` tied or separate, and the rows of `q` and `k` either free or scaled to the same length before the
dot product (`s_ij = 10 · cos(q_i, k_j)`: the case of the argument above; query-key normalisation, Henry et al.
2020, normalises them this way in real models, with a learned scale in place of our 10).""",
              zh="""## 2. 为什么查询和键是两个分开的投影

在笔记本 03 中，查询和键是直接给定的。在一层网络里，它们由同一组向量（形状为 `(T, D)` 的 `X`，每个位置一行）经过
两个可学习的矩阵得到：`Q = X W_q`，`K = X W_k`，分数为 `S = Q Kᵀ`。为什么要两个矩阵，而不是一个？

假设 `W_q = W_k = W`，记 `Z = X W`，每个位置一行 `z_i`。于是 `S = X W Wᵀ Xᵀ = Z Zᵀ`：每个分数都是同一张表中两行的
点积，`s_ij = z_i · z_j`。这样的矩阵是对称的（`s_ij = s_ji`）、半正定的，而柯西–施瓦茨（Cauchy–Schwarz）不等式用
对角线上的元素给每个元素定了上界：

$$s_{ij} = z_i \\cdot z_j \\le \\lVert z_i \\rVert \\, \\lVert z_j \\rVert = \\sqrt{s_{ii} \\, s_{jj}}.$$

如果所有行的长度相同，就有 `s_ij ≤ s_ii`：每个位置给**自己**打的分，至少和给任何其他位置的一样高。“看左边一个”是语言
模型时时刻刻都要做的查找（读前一个词），这时它永远胜不过“看自己”。唯一的出路是让各行长度不同：要 `s_{t,t-1} > s_{t,t}`，
凡是这种查找成功的地方，`t-1` 处的行都必须比 `t` 处的行长。用两个矩阵时，`S = X W_q W_kᵀ Xᵀ` 可以是任意矩阵：不必
对称，也没有什么偏向对角线。

我们在需要这种不对称查找的最小任务上测量它：**复制前一个词元**。输入是 8 个随机词元（0..9）；位置 `t ≥ 1` 的目标是
`t-1` 处的词元。模型：词元嵌入和可学习的位置嵌入、一个单头的因果注意力、一个线性读出层，没有残差连接（所以一个位置
输出的任何东西都是通过注意力读到的）。我们用相同的随机种子、相同的数据、各 80 步 Adam 训练它四次：`W_q` 与 `W_k`
共享或分开；`q` 和 `k` 的各行长度要么不受约束，要么在点积之前缩放到相同长度（`s_ij = 10 · cos(q_i, k_j)`：正是上面
论证所说的情形；查询-键归一化（query-key normalisation，Henry 等人，2020）在实际模型中就是这样归一化它们的，只是用一个可学习的缩放系数代替了我们的 10）。""",
              of="fc410d4299")

TIED_CODE = bi("""copy_config = CopyConfig(steps=5 if GRADING else 80)  # vocab 10, length 8, d_model 32, batch 64: seconds each
copy_results = {}
for equal_norms in (False, True):
    for tied in (True, False):
        model, _ = train_previous_token(copy_config, tied=tied, equal_norms=equal_norms, seed=0)
        copy_results[(equal_norms, tied)] = evaluate_previous_token(model, n=512, seed=1)

print(f"{'rows':<13} {'W_q, W_k':<9} {'accuracy':>8} {'w on t-1':>8} {'w on t':>6} {'t-1 beats t':>13} "
      f"{'row t-1 longer':>14} | mean row length at positions 0..7")
for (equal_norms, tied), r in copy_results.items():
    longer = f"{r['longer before']:.0%}" if r["beats self"] else "-"
    print(f"{'equal length' if equal_norms else 'free':<13} {'tied' if tied else 'separate':<9} {r['accuracy']:>8.1%} "
          f"{r['weight on previous']:>8.2f} {r['weight on self']:>6.2f} {r['beats self']:>5} / {r['queries']:<5} "
          f"{longer:>14} | " + " ".join(f"{n:.0f}" for n in r["row norms"].tolist()))
print("('t-1 beats t': queries whose score on t-1 is above the score on t; 'row t-1 longer': the share of those "
      "where |x_(t-1) W_q| > |x_t W_q|)")""",
               zh="""copy_config = CopyConfig(steps=5 if GRADING else 80)  # 词表 10，长度 8，d_model 32，批量 64：每次几秒
copy_results = {}
for equal_norms in (False, True):
    for tied in (True, False):
        model, _ = train_previous_token(copy_config, tied=tied, equal_norms=equal_norms, seed=0)
        copy_results[(equal_norms, tied)] = evaluate_previous_token(model, n=512, seed=1)

# 表头的宽度扣除了汉字多占的列数（一个汉字占两列），好让各列对齐。
print(f"{'行':<12} {'W_q, W_k':<9} {'准确率':>5} {'t-1权重':>6} {'t权重':>4} {'t-1胜过t':>11} "
      f"{'t-1的行更长':>10} | 位置 0..7 上行的平均长度")
for (equal_norms, tied), r in copy_results.items():
    longer = f"{r['longer before']:.0%}" if r["beats self"] else "-"
    print(f"{'长度相等' if equal_norms else '不受约束':<9} {'共享' if tied else '分开':<7} {r['accuracy']:>8.1%} "
          f"{r['weight on previous']:>8.2f} {r['weight on self']:>6.2f} {r['beats self']:>5} / {r['queries']:<5} "
          f"{longer:>14} | " + " ".join(f"{n:.0f}" for n in r["row norms"].tolist()))
print("（“t-1 胜过 t”：在 t-1 上的分数高于在 t 上的分数的查询个数；“t-1 的行更长”：这些查询中 "
      "|x_(t-1) W_q| > |x_t W_q| 的比例）")""", of="9ee78dc2df")

TIED_PLOT = bi("""fig = plot_previous_token(copy_results)
plt.show()

free_tied, free_separate = copy_results[(False, True)], copy_results[(False, False)]
equal_tied, equal_separate = copy_results[(True, True)], copy_results[(True, False)]
gap = equal_separate["accuracy"] - equal_tied["accuracy"]
print(f"Rows of equal length: tied W_q = W_k reaches {equal_tied['accuracy']:.1%} (chance is 10%), separate "
      f"{equal_separate['accuracy']:.1%}. The tied model scored t-1 above t on {equal_tied['beats self']} of "
      f"{equal_tied['queries']} queries and put {equal_tied['weight on self']:.2f} of its weight on t itself, "
      f"{equal_tied['weight on previous']:.2f} on t-1: "
      + ("as Cauchy-Schwarz says, a position never scores another above itself, and this look-up needs separate "
         "projections (a gap of more than 30 points, the threshold)." if gap > 0.3 and equal_tied["beats self"] == 0
         else "the gap is 30 points or less, or t-1 did beat t: here the argument did not show (the threshold is "
              "30 points)."))
norms = free_tied["row norms"].tolist()
shrinking = [t for t in range(1, len(norms)) if norms[t - 1] > norms[t]]
others = [t for t in range(1, len(norms)) if t not in shrinking]
by_position = free_tied["accuracy by position"]  # positions 1..T-1
def right_where(positions):  # the tied model's accuracy over these positions
    return by_position[[t - 1 for t in positions]].mean().item()

print(f"Free rows: tied reaches {free_tied['accuracy']:.1%}, separate {free_separate['accuracy']:.1%}. On the "
      f"{free_tied['beats self']} queries where the tied model scored t-1 above t, the row at t-1 was the longer in "
      f"{free_tied['longer before']:.0%} of them"
      + (" (Cauchy-Schwarz says it must be 100%, and it is): " if free_tied["longer before"] > 0.999
         else " (Cauchy-Schwarz says 100%: something is off): ")
      + f"its mean row length goes from {norms[0]:.0f} at position 0 to {norms[-1]:.0f} at position {len(norms) - 1}; "
      f"the separate model's rows need no such order (its row at t-1 is the longer in only "
      f"{free_separate['longer before']:.0%} of the queries).")
if others:
    print(f"Where the tied model's mean row does shrink from t-1 to t (t = {shrinking}), it is right on "
          f"{right_where(shrinking):.0%} of its predictions; where it does not (t = {others}), on "
          f"{right_where(others):.0%}.")
else:
    print("Its mean row shrinks at every step from position 0 to the last: a way out that runs out of room as "
          "sequences grow, since every row must be shorter than the one before.")""",
               zh="""fig = plot_previous_token(copy_results)
plt.show()

free_tied, free_separate = copy_results[(False, True)], copy_results[(False, False)]
equal_tied, equal_separate = copy_results[(True, True)], copy_results[(True, False)]
gap = equal_separate["accuracy"] - equal_tied["accuracy"]
print(f"等长的行：共享 W_q = W_k 时准确率为 {equal_tied['accuracy']:.1%}（随机猜测为 10%），分开时为 "
      f"{equal_separate['accuracy']:.1%}。共享的模型在 {equal_tied['queries']} 个查询中，只有 {equal_tied['beats self']} 个"
      f"给 t-1 的分数高于给 t 的分数；它把 {equal_tied['weight on self']:.2f} 的权重放在 t 自己身上，"
      f"{equal_tied['weight on previous']:.2f} 放在 t-1 上："
      + ("正如柯西–施瓦茨不等式所说，一个位置给别的位置的分数从不高于给自己的，这种查找需要分开的投影（差距超过阈值 30 个百分点）。"
         if gap > 0.3 and equal_tied["beats self"] == 0
         else "差距不超过 30 个百分点，或者 t-1 确实胜过了 t：这里论证没有体现出来（阈值为 30 个百分点）。"))
norms = free_tied["row norms"].tolist()
shrinking = [t for t in range(1, len(norms)) if norms[t - 1] > norms[t]]
others = [t for t in range(1, len(norms)) if t not in shrinking]
by_position = free_tied["accuracy by position"]  # 位置 1..T-1
def right_where(positions):  # 共享模型在这些位置上的准确率
    return by_position[[t - 1 for t in positions]].mean().item()

print(f"不受约束的行：共享时准确率为 {free_tied['accuracy']:.1%}，分开时为 {free_separate['accuracy']:.1%}。在共享的模型"
      f"给 t-1 的分数高于给 t 的 {free_tied['beats self']} 个查询中，t-1 处的行更长的占 {free_tied['longer before']:.0%}"
      + ("（柯西–施瓦茨不等式说必须是 100%，确实如此）：" if free_tied["longer before"] > 0.999
         else "（柯西–施瓦茨不等式说应为 100%：有地方不对）：")
      + f"它的行的平均长度从位置 0 的 {norms[0]:.0f} 降到位置 {len(norms) - 1} 的 {norms[-1]:.0f}；"
      f"分开的模型的行不需要这样的顺序（在它的查询中，t-1 处的行更长的只占 {free_separate['longer before']:.0%}）。")
if others:
    print(f"在共享模型的平均行长从 t-1 到 t 确实变短的位置（t = {shrinking}），它的准确率为 {right_where(shrinking):.0%}；"
          f"在没有变短的位置（t = {others}），准确率为 {right_where(others):.0%}。")
else:
    print("它的平均行长从位置 0 到最后一个位置每一步都在变短：这条出路随着序列变长会用尽空间，"
          "因为每一行都必须比前一行短。")""", of="03d6fdaa3c")

SPLIT_WHY = bi("""## 3. Splitting the features into heads

We never build `h` separate query projections. One `nn.Linear(D, D)` computes all heads' queries at once:
its output, of width `D = h·d`, holds head 0's query in features `0 .. d-1`, head 1's in `d .. 2d-1`, and so
on. The same goes for keys and values. To let every head attend on its own, give the heads their own axis:

`(B, T, h·d)` → view as `(B, T, h, d)` → transpose to `(B, h, T, d)`.

Now the head axis sits with the batch axis, and `scaled_dot_product_attention` from notebook 03, which
accepts any leading dimensions, runs all heads at once: `(B, h, Tq, d) x (B, h, d, Tk) -> (B, h, Tq, Tk)`.

The transpose is the step people skip. `x.reshape(B, h, T, d)` has the right shape, but its "head 0" holds
the first `T·d` numbers of the sequence, that is the whole feature vectors of the first few positions: the
heads would mix positions, and attention would be computed between pieces of different tokens.""",
               zh="""## 3. 把特征切分成头

我们从不构建 `h` 个单独的查询投影。一个 `nn.Linear(D, D)` 一次算出所有头的查询：它的输出宽度为 `D = h·d`，特征
`0 .. d-1` 是头 0 的查询，`d .. 2d-1` 是头 1 的，依此类推。键和值也一样。为了让每个头各自做注意力，要给头一个
自己的轴：

`(B, T, h·d)` → 用 view 看成 `(B, T, h, d)` → 转置为 `(B, h, T, d)`。

现在头的轴和批量轴排在一起，而笔记本 03 的 `scaled_dot_product_attention` 接受任意个前导维度，于是它一次就能在所有
头上运行：`(B, h, Tq, d) x (B, h, d, Tk) -> (B, h, Tq, Tk)`。

转置是人们常常跳过的一步。`x.reshape(B, h, T, d)` 的形状没错，但它的“头 0”装的是序列的前 `T·d` 个数，也就是前几个
位置的完整特征向量：各个头会把不同的位置混在一起，注意力将在不同词元的碎片之间计算。""", of="21031423cd")

SPLIT_TEXT = bi("""`x` has shape `(B, T, h·d)`, `num_heads` is `h` (it divides the last dimension). Return shape `(B, h, T, d)`,
where head `i` holds features `i·d .. (i+1)·d - 1` of every position: `result[b, i, t] == x[b, t, i*d:(i+1)*d]`.""",
                zh="""`x` 的形状为 `(B, T, h·d)`，`num_heads` 就是 `h`（它能整除最后一个维度）。返回形状 `(B, h, T, d)`，
其中头 `i` 装的是每个位置的特征 `i·d .. (i+1)·d - 1`：`result[b, i, t] == x[b, t, i*d:(i+1)*d]`。""", of="209f75bd52")

SPLIT_HINT = stages(
    idea=bi("""Cutting each position's `h·d` features into `h` consecutive slices of width `d` is a reshape of the last axis;
giving each head its own axis in front of the positions is a swap of two axes. No number changes, and none moves
from one position to another.""",
            zh="""把每个位置的 `h·d` 个特征切成 `h` 段宽度为 `d` 的连续片段，就是对最后一个轴做一次变形（reshape）；让每个头在位置
之前拥有自己的轴，就是交换两个轴。没有哪个数被改变，也没有哪个数从一个位置挪到另一个位置。""", of="4ba2879db0"),
    shapes=bi("""1. `x` is `(B, T, h·d)`; the head width is `d = D / h`.
2. Reshape the last axis into two, the heads first: `(B, T, h, d)`. Slice `i` of the new third axis holds
   features `i·d .. (i+1)·d - 1`, because a reshape keeps the numbers in their order.
3. Swap the axes of `T` and `h`: `(B, h, T, d)`.

Reshaping the last axis as `(d, h)` instead gives the same final shape and interleaved heads: the shape alone
cannot tell you that the slices are right.""",
              zh="""1. `x` 的形状为 `(B, T, h·d)`；头的宽度为 `d = D / h`。
2. 把最后一个轴变形为两个轴，头在前：`(B, T, h, d)`。新的第三个轴上的第 `i` 片装的是特征 `i·d .. (i+1)·d - 1`，
   因为变形不改变数的排列顺序。
3. 交换 `T` 轴和 `h` 轴：`(B, h, T, d)`。

如果把最后一个轴变形为 `(d, h)`，最终形状相同，头却是交错的：单看形状，无法判断切片是否正确。""", of="2faa0dee8c"),
    code=bi("""`x.view(B, T, num_heads, d)` cuts the last axis into consecutive slices; `.transpose(1, 2)` then swaps the `T`
and `h` axes.""",
                zh="""`x.view(B, T, num_heads, d)` 把最后一个轴切成连续的几段；然后 `.transpose(1, 2)` 交换 `T` 轴和 `h` 轴。""", of="96e9b133f5"))

MERGE_TEXT = bi("""The inverse of `split_heads`: `x` has shape `(B, h, T, d)`; return `(B, T, h·d)` with head `i`'s features back in
positions `i·d .. (i+1)·d - 1`, so that `merge_heads(split_heads(x, h))` equals `x`.""",
                zh="""`split_heads` 的逆运算：`x` 的形状为 `(B, h, T, d)`；返回 `(B, T, h·d)`，头 `i` 的特征回到位置
`i·d .. (i+1)·d - 1`，使得 `merge_heads(split_heads(x, h))` 等于 `x`。""", of="091d550d4e")

MERGE_HINT = stages(
    idea=bi("""Undo `split_heads` step by step in reverse order: first put the positions back in front of the heads, then lay
the heads' slices side by side again along the feature axis.""",
            zh="""按相反的顺序逐步撤销 `split_heads`：先把位置放回到头的前面，再沿特征轴把各个头的片段重新并排放在一起。""", of="a805728c80"),
    shapes=bi("""1. `x` is `(B, h, T, d)`.
2. Swap the axes of `h` and `T`: `(B, T, h, d)`.
3. Flatten the last two axes into one: `(B, T, h·d)`; head `i`'s features land at `i·d .. (i+1)·d - 1`.

After the swap the numbers are no longer laid out in memory in the tensor's order, so a flatten that only
reinterprets memory refuses; use one that copies when it has to.""",
              zh="""1. `x` 的形状为 `(B, h, T, d)`。
2. 交换 `h` 轴和 `T` 轴：`(B, T, h, d)`。
3. 把最后两个轴展平成一个：`(B, T, h·d)`；头 `i` 的特征落在 `i·d .. (i+1)·d - 1`。

交换之后，数在内存中的排列不再与张量的顺序一致，所以只重新解释内存的展平方式会拒绝执行；要用必要时会复制数据的
那一种。""", of="d63c438672"),
    code=bi("""Transpose back to `(B, T, h, d)`, then flatten the last two axes. After a transpose the tensor is no longer
contiguous in memory, so `.view(...)` refuses; `.reshape(...)` (or `.contiguous().view(...)`) works.""",
                zh="""先转置回 `(B, T, h, d)`，再把最后两个轴展平。转置之后，张量在内存中不再连续，所以 `.view(...)` 会拒绝
执行；`.reshape(...)`（或 `.contiguous().view(...)`）可以。""", of="f679632f7e"))

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

MHA_WHY = bi("""## 4. Multi-head attention

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
             zh="""## 4. 多头注意力

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
`eval()` 模式下比较你的模块，再在开启 dropout 的 `train()` 模式下比较，分辨出 dropout 是作用在权重上还是输出上。""", of="48abe8f352")

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

MHA_HINT = stages(
    idea=bi("""Project the queries, keys and values for all heads at once (one `D x D` linear layer each), cut each projection
into heads, let every head run notebook 03's scaled dot-product attention on its own slice, and mix the heads'
outputs with one last linear layer. Dropout falls on the attention weights, and only in training.""",
            zh="""一次为所有头投影查询、键和值（各用一个 `D x D` 的线性层），把每个投影切分成多个头，让每个头在自己的那一片上运行
笔记本 03 的缩放点积注意力，最后用一个线性层把各个头的输出混合起来。暂退法（dropout）作用在注意力权重上，并且只在
训练时起作用。""", of="4e2f2eb2f2"),
    shapes=bi("""1. `query` is `(B, Tq, D)`, `key` and `value` are `(B, Tk, D)`; each head has width `d = D / h`.
2. Project with `w_q`, `w_k` and `w_v`: the shapes stay `(B, Tq, D)` and `(B, Tk, D)`.
3. Split into heads: `(B, h, Tq, d)`, `(B, h, Tk, d)` and `(B, h, Tk, d)`.
4. Attention with the mask: the output `(B, h, Tq, d)` and the weights `(B, h, Tq, Tk)`. It divides by the
   square root of `d` already: do not scale again.
5. In training with a dropout rate above 0: drop weights, then recompute the output as the weights times the
   values, `(B, h, Tq, Tk) x (B, h, Tk, d) -> (B, h, Tq, d)`.
6. Merge the heads, `(B, Tq, D)`, and project with `w_o`: `(B, Tq, D)`. Return it with the weights
   `(B, h, Tq, Tk)`.""",
              zh="""1. `query` 的形状为 `(B, Tq, D)`，`key` 和 `value` 为 `(B, Tk, D)`；每个头的宽度为 `d = D / h`。
2. 用 `w_q`、`w_k` 和 `w_v` 投影：形状仍为 `(B, Tq, D)` 和 `(B, Tk, D)`。
3. 切分成多个头：`(B, h, Tq, d)`、`(B, h, Tk, d)` 和 `(B, h, Tk, d)`。
4. 带掩码的注意力：输出 `(B, h, Tq, d)`，权重 `(B, h, Tq, Tk)`。它已经除以了 `d` 的平方根：不要再缩放一次。
5. 训练时若暂退率大于 0：对权重做暂退，再把输出重新算成权重乘以值，
   `(B, h, Tq, Tk) x (B, h, Tk, d) -> (B, h, Tq, d)`。
6. 合并各个头，得到 `(B, Tq, D)`，再用 `w_o` 投影：`(B, Tq, D)`。把它和权重 `(B, h, Tq, Tk)` 一起返回。""", of="536f574f7f"),
    code=bi("""```python
q = split_heads(self.w_q(query), self.num_heads)  # (B, Tq, D) -> (B, h, Tq, d)
```
and the same for `k` and `v`. `scaled_dot_product_attention` already divides by `sqrt(d)`: do not scale again.
For dropout: `if self.training and self.dropout.p > 0:` drop `weights` and recompute `out = weights @ v`.""",
              zh="""```python
q = split_heads(self.w_q(query), self.num_heads)  # (B, Tq, D) -> (B, h, Tq, d)
```
`k` 和 `v` 同理。`scaled_dot_product_attention` 已经除以了 `sqrt(d)`：不要再缩放一次。
dropout 的做法：`if self.training and self.dropout.p > 0:` 时对 `weights` 做 dropout，再重新计算 `out = weights @ v`。""", of="738e37ad2f"))

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

TORCH_WHY = bi("""## 5. Measured: the same function as `torch.nn.MultiheadAttention`

PyTorch's module keeps the three input projections in one matrix, `in_proj_weight` of shape `(3D, D)`:
the query rows first, then the key rows, then the value rows; `out_proj` is our `w_o`. It splits the heads
the same way (head `i` takes features `i·d .. (i+1)·d - 1`). So with the same weights the two modules should
agree to rounding error. The module measured here, and in sections 6 and 7, is yours, or the reference while
yours does not pass its check (the cell says which).

One trap: PyTorch's **boolean** masks mean the opposite of ours. For `key_padding_mask` and `attn_mask`,
`True` means "do not attend". We pass `~mask`. And `average_attn_weights=False` asks for every head's map,
`(B, h, Tq, Tk)`, instead of their average.""",
               zh="""## 5. 测量：与 `torch.nn.MultiheadAttention` 是同一个函数

PyTorch 的模块把三个输入投影存放在一个矩阵里，即形状为 `(3D, D)` 的 `in_proj_weight`：先是查询的各行，然后是键的各行，
最后是值的各行；`out_proj` 就是我们的 `w_o`。它切分头的方式也相同（头 `i` 取特征 `i·d .. (i+1)·d - 1`）。所以在权重
相同时，两个模块的结果应当只差舍入误差。这里以及第 6、7 节测量的模块是你的实现，如果你的还没通过检查，就用参考实现
（单元格会说明用的是哪一个）。

有一个陷阱：PyTorch 的**布尔**掩码含义与我们的相反。对 `key_padding_mask` 和 `attn_mask` 来说，`True` 表示“不要注意”。
所以我们传入 `~mask`。另外，`average_attn_weights=False` 要求返回每个头各自的注意力图 `(B, h, Tq, Tk)`，而不是它们的
平均。""", of="aec02eca30")

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

HEADS_WHY = bi("""## 6. Measured: heads look at different things

The claim is that several heads let one layer gather several kinds of information at once. We test it on a
toy task built so that **two different relations** matter. The input is a sequence of 8 random tokens
(0..9). At every position `t` the model must output two things:

* the token one step to the left, at `t-1`;
* the token at the first position, `0`.

The model is as small as it can be: token and position embeddings, **one** causal multi-head attention, and
two linear read-outs; the attention is the `Attention` of section 5 (yours, or the reference). There is no
residual path, so whatever a position outputs it has read through attention. We train it twice, with 2 heads
and with 1 head of the same width `D = 32` (the same number of parameters), for 300 Adam steps each
(`course_lib.train.fit`).

For every head we then look at where its largest weight falls, over 512 test sequences and the query
positions `t ≥ 2` (where `t-1` and `0` are different keys).""",
               zh="""## 6. 测量：各个头关注不同的东西

论断是：多个头让一层能同时收集几种信息。我们在一个玩具任务上检验它，这个任务特意设计成有**两种不同的关系**起作用。
输入是由 8 个随机词元（0..9）组成的序列。在每个位置 `t`，模型必须输出两样东西：

* 左边一步、位置 `t-1` 上的词元；
* 第一个位置 `0` 上的词元。

模型小到不能再小：词元嵌入和位置嵌入、**一个**带因果掩码的多头注意力，以及两个线性读出层；注意力就是
第 5 节的 `Attention`（你的实现或参考实现）。没有残差连接（residual connection），所以一个位置输出的任何东西都是通过
注意力读到的。我们把它训练（training）两次，一次用 2 个头，一次用 1 个头，宽度相同，都是 `D = 32`（参数个数相同），
每次用 Adam 训练 300 步（`course_lib.train.fit`）。

然后，对每个头，我们在 512 条测试序列上、查询位置 `t ≥ 2`（这时 `t-1` 和 `0` 是不同的键）处，看它最大的权重落在哪里。""", of="0bd1d59026")

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

COST_WHY = bi("""## 7. Measured: what several heads cost

Splitting `D` into `h` heads changes none of the matrices: `w_q`, `w_k`, `w_v`, `w_o` are `D x D` whatever
`h` is. The scores of one head cost `Tq·Tk·d` multiply-adds, and `h` heads cost `h·Tq·Tk·d = Tq·Tk·D`, as
much as one wide head. What grows with `h` is the number of softmaxes (one per head per query) and the size
of the attention maps, `B·h·Tq·Tk` numbers to store.

That is the claim; here we count instead of reasoning. `attention_costs` builds the module (section 5's
`Attention`, yours or the reference) for each `h`,
counts its parameters, runs one forward pass under PyTorch's `FlopCounterMode` (which counts the FLOPs of
every matrix product, 2 per multiply-add) and reads the sizes of the attention maps it returns.""",
              zh="""## 7. 测量：多个头的代价

把 `D` 切成 `h` 个头不会改变任何矩阵：无论 `h` 是多少，`w_q`、`w_k`、`w_v`、`w_o` 都是 `D x D`。一个头的分数需要
`Tq·Tk·d` 次乘加，`h` 个头需要 `h·Tq·Tk·d = Tq·Tk·D` 次，与一个宽头一样多。随 `h` 增长的是 softmax 的个数（每个头、
每个查询一个）以及注意力图的大小，即要存储的 `B·h·Tq·Tk` 个数。

这是论断；这里我们不靠推理，而是直接数。`attention_costs` 对每个 `h` 构建模块（第 5 节的 `Attention`，你的实现或
参考实现），数出它的参数个数，在 PyTorch 的 `FlopCounterMode` 下运行一次前向传播（它统计每个矩阵乘积的 FLOPs，
每次乘加记 2 次），并读出它返回的注意力图的大小。""", of="1ccb895e9f")

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

* Text reaches attention in two steps. A tokenizer turns it into ids: `CharTokenizer` gives each character the
  id of its place in the sorted vocabulary, and byte-pair encoding merges frequent pairs into longer tokens, so
  the same text takes fewer positions (section 1 measured how many fewer). An embedding then turns each id into a
  vector by looking up one row of a `(V, D)` table: the same numbers as a one-hot vector times that table.
* The query and the key are separate projections because one shared matrix makes the scores a symmetric
  positive semi-definite matrix: a position can then score another above itself only where that one's row is
  longer. Section 2 measured it on "copy the previous token": with rows of equal length the tied layer failed
  and the separate one did not; with free rows the tied layer got by only where its rows shrank.
* `split_heads` is a `view` plus a `transpose`; `merge_heads` is a `transpose` plus a `reshape`. The transpose
  keeps every head's slice made of whole positions.
* `MultiHeadAttention` projects once for all heads, attends in every head at once with notebook 03's
  function, merges, and mixes the heads with `w_o`. It equals `torch.nn.MultiheadAttention` given the same
  weights; only the meaning of a boolean mask is inverted there.
* Heads cost the same parameters and matrix-product FLOPs as one head of the full width; what grows with `h`
  is the softmax work and the memory of the attention maps. They buy `h` separate distributions per query, so
  one layer can read from several places at once, as the toy model's two heads did.

**In the paper** ("Attention Is All You Need", Vaswani et al., 2017). `MultiHeadAttention` is section 3.2.2
(Multi-Head Attention): $\\mathrm{MultiHead}(Q, K, V) = \\mathrm{Concat}(\\mathrm{head}_1, \\dots,
\\mathrm{head}_h)\\,W^O$ with $\\mathrm{head}_i = \\mathrm{Attention}(QW_i^Q, KW_i^K, VW_i^V)$. Your `w_q`, `w_k` and
`w_v` hold the `h` matrices $W_i^Q$, $W_i^K$, $W_i^V$ side by side, `split_heads` cuts them apart and `w_o` is
$W^O$ (the paper's projections have no bias; yours have one, as `torch.nn.MultiheadAttention`'s do). The paper
uses `h = 8` heads of width `d = 512 / 8 = 64` and says, as measured above, that the total cost is similar to
one head of full width. Its section 3.2.3 (Applications of Attention in our Model) uses this one module
three ways: self-attention in the encoder, masked self-attention in the decoder, and encoder-decoder
attention, whose queries come from the decoder (notebook 08).

**Next:** notebook 05 shows that attention, heads or not, is blind to the order of its inputs, and fixes it.""",
             zh="""## 小结

* 文本分两步到达注意力。词元分析器把它变成编号：`CharTokenizer` 给每个字符的编号就是它在排好序的词表中的位置；字节对编码
  把常见的相邻对合并成更长的词元，使同样的文本占用更少的位置（第 1 节测量了少了多少）。然后，嵌入在一张 `(V, D)` 的表中
  查出一行，把每个编号变成一个向量：与独热向量乘以这张表得到的数完全相同。
* 查询和键用两个分开的投影，是因为共用一个矩阵会让分数矩阵对称且半正定：这时一个位置给另一个位置的分数要高于给自己的，
  只可能出现在那个位置的行更长的地方。第 2 节在“复制前一个词元”上测量了这一点：行长相等时，共享投影的一层失败了，
  分开的没有；行长不受约束时，共享投影的一层只在它的行逐渐变短的地方才能成功。
* `split_heads` 是一次 `view` 加一次 `transpose`；`merge_heads` 是一次 `transpose` 加一次 `reshape`。转置保证每个头
  的那一段都由完整的位置组成。
* `MultiHeadAttention` 为所有头一次完成投影，用笔记本 03 的函数在所有头上同时做注意力，合并，再用 `w_o` 混合各个头。
  给定相同的权重，它与 `torch.nn.MultiheadAttention` 完全相等；只是那里布尔掩码的含义是反的。
* 多个头与一个全宽度的头参数相同，矩阵乘法的 FLOPs 也相同；随 `h` 增长的是 softmax 的计算量和注意力图占用的内存。
  它们换来的是每个查询 `h` 个独立的分布，因此一层可以同时从几个地方读取，就像玩具模型的两个头那样。

**对应论文**（"Attention Is All You Need"，Vaswani 等，2017）。`MultiHeadAttention` 就是第 3.2.2 节（Multi-Head Attention）：$\\mathrm{MultiHead}(Q, K, V) = \\mathrm{Concat}(\\mathrm{head}_1, \\dots, \\mathrm{head}_h)\\,W^O$，其中 $\\mathrm{head}_i = \\mathrm{Attention}(QW_i^Q, KW_i^K, VW_i^V)$。你的 `w_q`、`w_k`、`w_v` 把 `h` 个矩阵 $W_i^Q$、$W_i^K$、$W_i^V$ 并排存放，`split_heads` 把它们切开，`w_o` 就是 $W^O$（论文的投影没有偏置；你的有偏置，和 `torch.nn.MultiheadAttention` 一样）。论文用 `h = 8` 个头，每个宽 `d = 512 / 8 = 64`，并指出总计算量与一个全宽度的头相近，正如上面所测。论文第 3.2.3 节（Applications of Attention in our Model）以三种方式使用这同一个模块：编码器（encoder）中的自注意力、解码器（decoder）中带掩码的自注意力，以及查询来自解码器的编码器-解码器注意力（笔记本 08）。

**下一步：** 笔记本 05 表明，注意力（不论有几个头）看不到输入的顺序，并修正这一点。""", of="99fc6c0101")


def build():
    return notebook([
        markdown(INTRO),
        language_cell(),
        locked_code(SETUP, "setup"),
        markdown(TEXT_WHY),
        *exercise(1, ref.CharTokenizer, points=2, seed=4103, difficulty=1, importance=4, minutes=15,
                  text=TOKENIZER_TEXT, hint=TOKENIZER_HINT,
                  signature="class CharTokenizer:\n"
                            "    def __init__(self, text): ...  # self.vocab_size: int\n"
                            "    def encode(self, s) -> list[int]: ...\n"
                            "    def decode(self, ids) -> str: ...",
                  final_assert="assert CharTokenizer(\"ba\").encode(\"ab\") == [0, 1], \"ids follow the sorted "
                               "vocabulary: 'a' is 0, 'b' is 1 (编号按排好序的词表：'a' 是 0，'b' 是 1)\""),
        code(TOKENIZER_DEMO),
        markdown(BPE_WHY),
        code(BPE_CODE),
        markdown(EMBED_WHY),
        code(EMBED_CODE),
        markdown(TIED_WHY),
        code(TIED_CODE),
        code(TIED_PLOT),
        markdown(SPLIT_WHY),
        *exercise(2, ref.split_heads, points=2, seed=4211, difficulty=2, importance=4, minutes=10,
                  text=SPLIT_TEXT, hint=SPLIT_HINT, signature="def split_heads(x, num_heads) -> torch.Tensor",
                  final_assert="assert split_heads(torch.arange(4.0).view(1, 1, 4), 2).tolist() == "
                               "[[[[0.0, 1.0]], [[2.0, 3.0]]]], \"head i takes features i*d .. (i+1)*d - 1 (头 i 取特征 i*d .. (i+1)*d - 1)\""),
        *exercise(3, ref.merge_heads, points=2, seed=4327, difficulty=2, importance=4, minutes=10,
                  text=MERGE_TEXT, hint=MERGE_HINT, signature="def merge_heads(x) -> torch.Tensor",
                  final_assert="assert merge_heads(torch.arange(4.0).view(1, 2, 1, 2)).tolist() == "
                               "[[[0.0, 1.0, 2.0, 3.0]]], \"head i's features go back to i*d .. (i+1)*d - 1 (头 i 的特征回到 i*d .. (i+1)*d - 1)\""),
        code(SPLIT_DEMO),
        markdown(MHA_WHY),
        *exercise(4, ref.MultiHeadAttention, points=4, seed=4409, difficulty=3, importance=5, minutes=25,
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
        *question("04.one_head"),
        code(HEADS_CODE),
        code(HEADS_PLOT),
        answer("04.one_head", "two=list(results.values())[0], one=list(results.values())[1], steps=steps"),
        markdown(COST_WHY),
        *question("04.heads_cost"),
        code(COST_CODE),
        answer("04.heads_cost", "rows=rows"),
        code(MEASURED),
        markdown(SUMMARY),
    ], title=TITLE)
