"""Notebook 04's catalog of mistakes in Chinese (course_lib/checks/multi_head_attention.py): split_heads,
merge_heads, MultiHeadAttention, and the members text its weights need. The masking mistakes shared by every
attention exercise are in course_lib/zh/framework.py."""

MESSAGES = {
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
