"""Notebook 04's catalog of mistakes in Chinese (course_lib/checks/multi_head_attention.py): CharTokenizer (with the
messages of its harness in course_lib/checks/_harness.py), split_heads,
merge_heads, MultiHeadAttention, and the members text its weights need. The masking mistakes shared by every
attention exercise are in course_lib/zh/framework.py."""

MESSAGES = {
    # -- CharTokenizer: the catalog ----------------------------------------------------------------------------------
    "the vocabulary in order of first appearance, not sorted": "词表按字符首次出现的顺序排列，而不是排序后的顺序",
    ("the contract fixes the order so that two tokenizers built on the same characters agree: chars = "
     "sorted(set(text)), and id i is chars[i]."):
        "约定固定了顺序，这样用同一组字符构建的两个词元分析器给出相同的编号：chars = sorted(set(text))，"
        "编号 i 就是 chars[i]。",
    "the vocabulary in another order than sorted (list(set(text)) has no fixed order)":
        "词表的顺序不是排序后的顺序（list(set(text)) 没有固定的顺序）",
    ("a set's order changes from run to run (and sorted(..., reverse=True) is another order): chars = "
     "sorted(set(text)), ids 0, 1, 2, ... in that order."):
        "集合的顺序每次运行都可能不同（sorted(..., reverse=True) 也是另一种顺序）：chars = sorted(set(text))，"
        "按这个顺序依次编号 0, 1, 2, ...。",
    "ids starting at 1 instead of 0": "编号从 1 开始，而不是从 0 开始",
    ("id i is the position of the character in the sorted vocabulary, from 0 to vocab_size - 1: an "
     "nn.Embedding(vocab_size, d) has rows 0 .. vocab_size - 1 and no row vocab_size."):
        "编号 i 是字符在排序后的词表中的位置，从 0 到 vocab_size - 1：nn.Embedding(vocab_size, d) 只有第 "
        "0 .. vocab_size - 1 行，没有第 vocab_size 行。",
    "decode joins the characters with spaces": "decode 用空格把字符连接起来",
    ("each id is one character, spaces included: join them with ''.join(...), so that decode(encode(s)) == s."):
        "每个编号就是一个字符，空格也是：用 ''.join(...) 连接，这样才有 decode(encode(s)) == s。",
    "a character outside the vocabulary dropped instead of raising ValueError":
        "词表之外的字符被悄悄丢掉了，而不是引发 ValueError",
    ("dropping it silently changes the text: raise ValueError(f'character {ch!r} is not in the vocabulary')."):
        "悄悄丢掉它会改变文本：应当 raise ValueError(f'character {ch!r} is not in the vocabulary')。",
    "a character outside the vocabulary mapped to 0 instead of raising ValueError":
        "词表之外的字符被映射成 0，而不是引发 ValueError",
    ("0 is the id of a real character (the first of the sorted vocabulary): raise ValueError naming the character "
     "instead."):
        "0 是一个真实字符的编号（排序后词表中的第一个字符）：应当引发 ValueError，并在信息中指出是哪个字符。",
    "a character outside the vocabulary mapped to -1 (str.find) instead of raising ValueError":
        "词表之外的字符被映射成 -1（str.find 的返回值），而不是引发 ValueError",
    ("str.find returns -1 for a character it does not find, and -1 indexes the last row of a table: check for -1 "
     "and raise ValueError naming the character (str.index raises by itself)."):
        "str.find 找不到字符时返回 -1，而 -1 会索引到表的最后一行：要检查 -1，并引发指出该字符的 ValueError"
        "（str.index 自己就会引发）。",
    "a ValueError that does not name the character": "引发的 ValueError 没有指出是哪个字符",
    ("say which character it is, so that the learner sees what to remove: raise ValueError(f'character {ch!r} is "
     "not in the vocabulary')."):
        "要说出是哪个字符，让使用者知道该去掉什么：raise ValueError(f'character {ch!r} is not in the vocabulary')。",
    "a KeyError from the dict look-up instead of a ValueError": "字典查找引发了 KeyError，而不是 ValueError",
    ("the contract asks for ValueError: test `if ch not in self.ids:` and raise ValueError naming ch (or catch the "
     "KeyError and raise ValueError from it)."):
        "约定要求的是 ValueError：先判断 `if ch not in self.ids:`，再引发指出 ch 的 ValueError"
        "（或者捕获 KeyError，再由它引发 ValueError）。",
    "vocab_size = len(text): every character counted, repeats too":
        "vocab_size = len(text)：把每个字符都数了一遍，重复的也算",
    ("the vocabulary holds each distinct character once: vocab_size = len(set(text)), the number of ids."):
        "词表中每个不同的字符只出现一次：vocab_size = len(set(text))，也就是编号的个数。",
    "vocab_size one more than the number of distinct characters": "vocab_size 比不同字符的个数多 1",
    ("this tokenizer reserves no id (no padding, no unknown): vocab_size = len(sorted(set(text)))."):
        "这个词元分析器不保留任何编号（没有填充，也没有“未知”）：vocab_size = len(sorted(set(text)))。",
    "encode returns a tensor instead of a list of ints": "encode 返回的是张量，而不是整数列表",
    ("return a plain list, [self.ids[ch] for ch in s]; the caller makes a tensor when it needs one "
     "(torch.tensor(ids))."):
        "返回普通的列表 [self.ids[ch] for ch in s]；调用者需要张量时自己去做（torch.tensor(ids)）。",
    "encode returns a string instead of a list of ints": "encode 返回的是字符串，而不是整数列表",
    "return the ids themselves in a list, [self.ids[ch] for ch in s], not their digits joined.":
        "把编号本身放进列表返回，[self.ids[ch] for ch in s]，而不是把它们的数字拼接起来。",
    "decode returns a list of characters instead of a string": "decode 返回的是字符列表，而不是字符串",
    "join them into one string: ''.join(self.chars[i] for i in ids).":
        "把它们连接成一个字符串：''.join(self.chars[i] for i in ids)。",
    # -- CharTokenizer: what the harness says (course_lib/checks/_harness.py) ----------------------------------------
    ("{call} returned a torch.Tensor, not a list of ints: return a plain Python list (ids.tolist(), or build it "
     "with a list comprehension)"):
        "{call} 返回的是 torch.Tensor，而不是整数列表：请返回普通的 Python 列表（ids.tolist()，或用列表推导式构建）",
    "{call} returned a string, not a list of ints: return [id of each character], e.g. [3, 0, 7]":
        "{call} 返回的是字符串，而不是整数列表：请返回 [每个字符的编号]，例如 [3, 0, 7]",
    "{call} should return a list of Python ints, got {type}": "{call} 应当返回 Python 整数的列表，得到的是 {type}",
    ("vocab_size is a method: make it a number, an attribute set in __init__ (self.vocab_size = ...) or a "
     "@property"):
        "vocab_size 是一个方法：它应当是一个数，即在 __init__ 中设置的属性（self.vocab_size = ...），"
        "或者一个 @property",
    "vocab_size should be a Python int (the number of distinct characters), got {type}":
        "vocab_size 应当是 Python 的 int（不同字符的个数），得到的是 {type}",
    "decode(ids) should return a str, got {type}: join the characters with ''.join(...)":
        "decode(ids) 应当返回 str，得到的是 {type}：用 ''.join(...) 把字符连接起来",
    "`vocab_size` is {got}, expected {want}": "`vocab_size` 是 {got}，应为 {want}",
    "`encode(s)` returned {got}, expected {want}": "`encode(s)` 返回了 {got}，应为 {want}",
    "`decode(ids)` returned {got!r}, expected {want!r}": "`decode(ids)` 返回了 {got!r}，应为 {want!r}",
    "`encode(unknown)` raised ValueError, but its message does not name the character outside the vocabulary":
        "`encode(unknown)` 引发了 ValueError，但信息中没有指出哪个字符在词表之外",
    "`encode(unknown)` raised another exception than ValueError for the character outside the vocabulary":
        "对词表之外的字符，`encode(unknown)` 引发的不是 ValueError，而是别的异常",
    ("`encode(unknown)` returned something else than a list of ints instead of raising ValueError for the "
     "character outside the vocabulary"):
        "对词表之外的字符，`encode(unknown)` 没有引发 ValueError，而是返回了一个不是整数列表的东西",
    ("`encode(unknown)` returned {got} instead of raising ValueError for the character outside the vocabulary"):
        "对词表之外的字符，`encode(unknown)` 没有引发 ValueError，而是返回了 {got}",
    # -- the experiments' figures (course_lib/experiments/multi_head_attention.py) ---------------------------------
    "tied": "共享",
    "separate": "分开",
    "tied W_q = W_k": "共享 W_q = W_k",
    "separate W_q, W_k": "分开的 W_q、W_k",
    "position t": "位置 t",
    "mean length of the row x_t W_q": "行 x_t W_q 的平均长度",
    "Free rows: how long is each position's row?": "长度不受约束的行：每个位置的行有多长？",
    "Equal-length rows, {which}: accuracy {accuracy:.0%}": "等长的行，{which}：准确率 {accuracy:.0%}",
    # -- split_heads -------------------------------------------------------------------------------------------------
    "heads split with a reshape but no transpose": "拆分头时只用了 reshape，没有转置",
    "x.reshape(B, h, T, d) has the right shape but mixes positions into the heads: reshape to (B, T, h, d) first, "
    "then .transpose(1, 2).":
        "x.reshape(B, h, T, d) 形状是对的，但把不同位置混进了各个头：先 reshape 成 (B, T, h, d)，再 .transpose(1, 2)。",
    "heads interleaved (feature j goes to head j % h)": "各头交错排列（第 j 个特征分给了第 j % h 个头）",
    "head i takes the consecutive features i·d .. (i+1)·d - 1: view as (B, T, h, d), not (B, T, d, h).":
        "第 i 个头取连续的特征 i·d .. (i+1)·d - 1：view 成 (B, T, h, d)，而不是 (B, T, d, h)。",
    "the heads axis left after the time axis: shape (B, T, h, d)": "头轴留在了时间轴之后：形状为 (B, T, h, d)",
    "after x.view(B, T, h, d), swap the T and h axes with .transpose(1, 2).":
        "x.view(B, T, h, d) 之后，用 .transpose(1, 2) 交换 T 轴和 h 轴。",
    "num_heads used as the width of a head": "把 num_heads 当成了每个头的宽度",
    "num_heads is the number of slices; each slice is d = D // num_heads wide.":
        "num_heads 是切成的份数；每一份的宽度是 d = D // num_heads。",
    "each head's slice transposed: shape (B, h, d, T)": "每个头的切片被转置了：形状为 (B, h, d, T)",
    "the result is (B, h, T, d): one (T, d) block per head, positions along the rows.":
        "结果是 (B, h, T, d)：每个头一个 (T, d) 块，各位置沿行排列。",

    # -- merge_heads -------------------------------------------------------------------------------------------------
    "heads merged with a reshape but no transpose": "合并头时只用了 reshape，没有转置",
    "x.reshape(B, T, h·d) straight from (B, h, T, d) mixes positions: .transpose(1, 2) to (B, T, h, d) first, then "
    "reshape.":
        "直接从 (B, h, T, d) 做 x.reshape(B, T, h·d) 会把不同位置混在一起：先 .transpose(1, 2) 成 (B, T, h, d)，"
        "再 reshape。",
    ".view() on the transposed tensor": "对转置后的张量调用了 .view()",
    "after .transpose(1, 2) the tensor is not contiguous, so .view() fails: use .reshape(...) or "
    ".contiguous().view(...).":
        ".transpose(1, 2) 之后张量在内存中不连续，所以 .view() 会失败：请用 .reshape(...) 或 .contiguous().view(...)。",
    "the heads transposed but not flattened: shape (B, T, h, d)": "头转置了但没有展平：形状为 (B, T, h, d)",
    "finish with .reshape(B, T, h * d): each position gets one vector of width h·d.":
        "最后做 .reshape(B, T, h * d)：每个位置得到一个宽度为 h·d 的向量。",
    "heads interleaved (feature j taken from head j % h)": "各头交错排列（第 j 个特征取自第 j % h 个头）",
    "head i's features go back to the consecutive positions i·d .. (i+1)·d - 1: transpose to (B, T, h, d) and flatten "
    "the last two axes, in that order.":
        "第 i 个头的特征要放回连续的位置 i·d .. (i+1)·d - 1：先转置成 (B, T, h, d)，再展平最后两个轴，顺序不能颠倒。",
    "heads stacked along the time axis: shape (B, h·T, d)": "各头沿时间轴堆叠了：形状为 (B, h·T, d)",
    "the heads go side by side in the feature axis: the result is (B, T, h·d).":
        "各头应在特征轴上并排放置：结果是 (B, T, h·d)。",

    # -- MultiHeadAttention ------------------------------------------------------------------------------------------
    "exactly four nn.Linear(d_model, d_model) members with bias named w_q, w_k, w_v, w_o":
        "恰好四个带偏置的 nn.Linear(d_model, d_model) 成员，名为 w_q、w_k、w_v、w_o",
    "run check_split_heads on your split_heads: reshape to (B, T, h, d), then .transpose(1, 2).":
        "对你的 split_heads 运行 check_split_heads：先 reshape 成 (B, T, h, d)，再 .transpose(1, 2)。",
    "heads split and merged with reshapes but no transposes": "拆分和合并头时都只用了 reshape，没有转置",
    "the pair undo each other, but in between each 'head' holds a mix of positions: split with .view(B, T, h, "
    "d).transpose(1, 2), merge with .transpose(1, 2).reshape(B, T, h·d).":
        "这两步恰好互相抵消，但在两者之间，每个“头”里装的是混在一起的不同位置：拆分用 "
        ".view(B, T, h, d).transpose(1, 2)，合并用 .transpose(1, 2).reshape(B, T, h·d)。",
    "heads merged without a transpose": "合并头时没有转置",
    "run check_merge_heads on your merge_heads: .transpose(1, 2) back to (B, T, h, d), then reshape.":
        "对你的 merge_heads 运行 check_merge_heads：先 .transpose(1, 2) 回到 (B, T, h, d)，再 reshape。",
    "heads merged with .view() on the transposed tensor": "合并头时对转置后的张量调用了 .view()",
    "run check_merge_heads on your merge_heads: after .transpose(1, 2) use .reshape(...), not .view(...).":
        "对你的 merge_heads 运行 check_merge_heads：.transpose(1, 2) 之后用 .reshape(...)，而不是 .view(...)。",
    "head i takes the consecutive features i·d .. (i+1)·d - 1, so the weights of w_q, w_k, w_v and w_o line up with "
    "the heads as in nn.MultiheadAttention.":
        "第 i 个头取连续的特征 i·d .. (i+1)·d - 1，这样 w_q、w_k、w_v 和 w_o 的权重才能像 nn.MultiheadAttention "
        "中那样与各头对齐。",
    "the keys transposed with `k.T` or `k.transpose(1, 2)` inside your own attention":
        "在你自己写的注意力中用 `k.T` 或 `k.transpose(1, 2)` 转置键",
    "after split_heads the keys are (B, h, Tk, d): `k.transpose(1, 2)` swaps heads and positions, `k.T` reverses all "
    "four axes. Use k.transpose(-2, -1), or call scaled_dot_product_attention(q, k, v, mask) from the set-up cell.":
        "split_heads 之后键的形状是 (B, h, Tk, d)：`k.transpose(1, 2)` 交换的是头和位置，`k.T` 则把四个轴的顺序全倒"
        "过来。请用 k.transpose(-2, -1)，或者调用设置单元格中的 scaled_dot_product_attention(q, k, v, mask)。",
    "the output projection w_o not applied": "没有应用输出投影 w_o",
    "after merging the heads, return self.w_o(merged): it is what mixes the heads' outputs.":
        "合并各头之后，返回 self.w_o(merged)：正是它把各个头的输出混合起来。",
    "scores divided by sqrt(d_model) instead of sqrt(d_head)": "分数除以了 sqrt(d_model)，而不是 sqrt(d_head)",
    "each head's queries and keys are d_head = d_model // num_heads wide; scaled_dot_product_attention on the split "
    "heads already divides by the right sqrt.":
        "每个头的查询和键宽度为 d_head = d_model // num_heads；对拆分后的头调用 scaled_dot_product_attention，它已经"
        "除以了正确的平方根。",
    "scores scaled twice (divided by d_head)": "分数被缩放了两次（相当于除以 d_head）",
    "scaled_dot_product_attention already divides by sqrt(d_head): do not scale q or k yourself.":
        "scaled_dot_product_attention 已经除以了 sqrt(d_head)：不要自己再缩放 q 或 k。",
    "weights averaged over the heads: shape (B, Tq, Tk)": "注意力权重在各头上取了平均：形状为 (B, Tq, Tk)",
    "return every head's map, shape (B, h, Tq, Tk), as they come out of scaled_dot_product_attention "
    "(nn.MultiheadAttention averages them by default; this course keeps them apart).":
        "按 scaled_dot_product_attention 输出的样子返回每个头的权重图，形状为 (B, h, Tq, Tk)（nn.MultiheadAttention "
        "默认会把它们平均；本课程把它们分开保留）。",
    "pass `mask` on to scaled_dot_product_attention(q, k, v, mask).":
        "把 `mask` 传给 scaled_dot_product_attention(q, k, v, mask)。",
    "in this course True means 'may attend' (nn.MultiheadAttention's boolean masks mean the opposite): pass the mask "
    "on unchanged.":
        "本课程中 True 表示“可以关注”（nn.MultiheadAttention 的布尔掩码意思正相反）：把掩码原样传下去。",
    "the mask given an extra head axis (mask.unsqueeze(1))": "给掩码多加了一个头轴（mask.unsqueeze(1)）",
    "the mask already broadcasts against (B, h, Tq, Tk): a (B, 1, 1, Tk) padding mask or a (Tq, Tk) causal mask works "
    "as it is. Pass it on unchanged.":
        "掩码本来就能与 (B, h, Tq, Tk) 广播：(B, 1, 1, Tk) 的填充掩码或 (Tq, Tk) 的因果掩码都可以直接使用。把它原样"
        "传下去。",
    "the query and key projections swapped (w_q applied to the key)": "查询投影与键投影用反了（w_q 用在了键上）",
    "queries come from `query` through w_q, keys from `key` through w_k.":
        "查询由 `query` 经 w_q 得到，键由 `key` 经 w_k 得到。",
    "keys and values computed from the query (right only for self-attention)": "键和值都由查询算出（只对自注意力才对）",
    "use the `key` and `value` arguments: in cross-attention they are another sequence, of another length Tk.":
        "使用参数 `key` 和 `value`：在交叉注意力中，它们来自另一个序列，长度是另一个 Tk。",
    "the value not projected (w_v not applied)": "值没有经过投影（没有应用 w_v）",
    "v = split_heads(self.w_v(value), num_heads): every input goes through its own projection.":
        "v = split_heads(self.w_v(value), num_heads)：每个输入都要经过它自己的投影。",
    "the values projected with w_k": "值用 w_k 做了投影",
    "a copy-paste slip: values go through self.w_v.": "复制粘贴时的笔误：值应经过 self.w_v。",
    "projections without bias": "投影没有偏置",
    "nn.Linear(d_model, d_model) has a bias by default: keep it (nn.MultiheadAttention has one too).":
        "nn.Linear(d_model, d_model) 默认带偏置：保留它（nn.MultiheadAttention 也有偏置）。",
    # -- MultiHeadAttention: where dropout sits (told apart in train(), course_lib/checks/_harness.py) -----------------
    "dropout applied to the output after w_o instead of to the attention weights":
        "dropout 作用在了 w_o 之后的输出上，而不是注意力权重上",
    ("nn.MultiheadAttention drops attention links, not output features: in train(), weights = self.dropout(weights), "
     "then out = weights @ v, and w_o reads the merged heads as usual. The dropout on the attention's output belongs "
     "to the layer that uses it (dropout1 in notebook 07's encoder layer)."):
        "nn.MultiheadAttention 丢弃的是注意力连接，而不是输出特征：在 train() 中先 weights = self.dropout(weights)，"
        "再 out = weights @ v，w_o 照常读取合并后的各头输出。作用在注意力输出上的 dropout 属于使用它的那一层"
        "（笔记本 07 编码器层中的 dropout1）。",
    "dropout applied to the merged heads before w_o instead of to the attention weights":
        "dropout 作用在了 w_o 之前合并好的各头输出上，而不是注意力权重上",
    ("drop the attention weights (B, h, Tq, Tk) themselves: weights = self.dropout(weights), then out = weights @ v, "
     "then merge the heads and apply w_o."):
        "要丢弃的是注意力权重 (B, h, Tq, Tk) 本身：weights = self.dropout(weights)，然后 out = weights @ v，"
        "再合并各头并应用 w_o。",
    "dropout applied to the returned weights only: the output is computed from the weights before dropout":
        "dropout 只作用在了返回的注意力权重上：输出是用 dropout 之前的权重算出来的",
    ("after weights = self.dropout(weights), compute the output again from them: out = weights @ v (the output must "
     "read the dropped weights)."):
        "在 weights = self.dropout(weights) 之后，要用它们重新计算输出：out = weights @ v"
        "（输出必须读取经过 dropout 的权重）。",
}
