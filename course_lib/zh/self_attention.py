"""Notebook 03's catalog of mistakes in Chinese (course_lib/checks/self_attention.py): softmax, scaled dot-product
attention, the causal and padding masks. The masking mistakes shared by every attention exercise are in
course_lib/zh/framework.py."""

MESSAGES = {
    # -- softmax ---------------------------------------------------------------------------------------------------
    "exp() of the raw scores (the max is not subtracted first)": "直接对原始分数求 exp()（没有先减去最大值）",
    "exp(1000) overflows to inf and inf/inf is NaN: subtract x.amax(dim, keepdim=True) first; softmax does not change "
    "when every score in a row moves by the same amount.":
        "exp(1000) 会溢出成 inf，而 inf/inf 是 NaN：先减去 x.amax(dim, keepdim=True)；一行中所有分数都加减同一个数时，"
        "softmax 的结果不变。",
    "a softmax that ignores `dim`": "softmax 忽略了 `dim`",
    "use the `dim` argument in both the max and the sum, not a fixed -1.":
        "求最大值和求和时都要用参数 `dim`，而不是固定的 -1。",
    "the global max subtracted instead of the max along `dim`": "减去的是全局最大值，而不是沿 `dim` 的最大值",
    "one max for the whole tensor underflows rows whose scores are far below it (0/0 = NaN): take the max along `dim` "
    "with keepdim=True.":
        "整个张量只用一个最大值，会让分数远低于它的行下溢（0/0 = NaN）：沿 `dim` 取最大值，并设 keepdim=True。",
    "a max taken without keepdim=True": "求最大值时没有设 keepdim=True",
    "x.amax(dim) drops that dimension, so it broadcasts along the wrong axis: use x.amax(dim=dim, keepdim=True).":
        "x.amax(dim) 会去掉那一维，于是沿错误的轴广播：请用 x.amax(dim=dim, keepdim=True)。",
    "a sum taken without keepdim=True": "求和时没有设 keepdim=True",
    "e.sum(dim) drops that dimension, so it broadcasts along the wrong axis: use e.sum(dim=dim, keepdim=True).":
        "e.sum(dim) 会去掉那一维，于是沿错误的轴广播：请用 e.sum(dim=dim, keepdim=True)。",
    "log-probabilities (a log_softmax)": "返回了对数概率（log_softmax）",
    "return the probabilities themselves: they are positive and sum to 1 along `dim`.":
        "返回概率本身：它们为正，且沿 `dim` 的和为 1。",

    # -- scaled dot-product attention --------------------------------------------------------------------------------
    "`k.T` used to transpose the keys": "用 `k.T` 来转置键",
    "on a 3-D or 4-D tensor `.T` reverses every axis, batch included: use k.transpose(-2, -1) (or k.mT), which swaps "
    "only the last two.":
        "对三维或四维张量，`.T` 会把所有轴（包括批量轴）的顺序倒过来：请用 k.transpose(-2, -1)（或 k.mT），它只交换"
        "最后两个轴。",
    "`k.transpose(1, 2)`, which swaps the wrong axes once there are extra batch dimensions":
        "用了 `k.transpose(1, 2)`，一旦有额外的批量维，它交换的就是错误的轴",
    "count axes from the end: k.transpose(-2, -1) swaps Tk and d_k whatever the number of batch dimensions (heads, in "
    "notebook 04).":
        "从末尾数轴：无论有几个批量维（笔记本 04 中还有头这一维），k.transpose(-2, -1) 交换的都是 Tk 和 d_k。",
    "no 1/sqrt(d_k) scaling": "没有按 1/sqrt(d_k) 缩放",
    "divide the scores by math.sqrt(d_k): dot products of d_k-dimensional vectors grow like sqrt(d_k), which "
    "saturates the softmax.":
        "把分数除以 math.sqrt(d_k)：d_k 维向量的点积大小随 sqrt(d_k) 增长，会让 softmax 饱和。",
    "scores divided by d_k instead of sqrt(d_k)": "分数除以了 d_k，而不是 sqrt(d_k)",
    "divide by math.sqrt(d_k), the standard deviation of a dot product of unit-variance vectors.":
        "应除以 math.sqrt(d_k)，也就是单位方差向量点积的标准差。",
    "scores divided by sqrt(d_v) instead of sqrt(d_k)": "分数除以了 sqrt(d_v)，而不是 sqrt(d_k)",
    "the scale comes from the width of the queries and keys, q.size(-1), not of the values.":
        "缩放因子来自查询和键的宽度 q.size(-1)，而不是值的宽度。",
    "a softmax over the queries (dim=-2) instead of the keys": "softmax 在查询上（dim=-2）而不是在键上做",
    "each query's weights over the keys must sum to 1: softmax over the last axis.":
        "每个查询在所有键上的权重之和必须为 1：在最后一个轴上做 softmax。",

    # -- causal mask -------------------------------------------------------------------------------------------------
    "an inverted mask (True above the diagonal, as nn.Transformer's masks)":
        "掩码取反了（对角线以上为 True，像 nn.Transformer 的掩码那样）",
    "in this course True means 'may attend': True on and below the diagonal.":
        "本课程中 True 表示“可以关注”：对角线及其以下为 True。",
    "a mask without its diagonal": "掩码缺了对角线",
    "a position may attend to itself: keep the diagonal True (tril(), not tril(-1)).":
        "一个位置可以关注它自己：让对角线保持 True（用 tril()，而不是 tril(-1)）。",
    "the transposed mask (True on and above the diagonal)": "掩码被转置了（对角线及其以上为 True）",
    "row i is query i; it may see keys 0..i, so the True entries are below the diagonal.":
        "第 i 行对应第 i 个查询；它可以看到键 0..i，所以 True 应在对角线以下。",
    "a float mask": "浮点型掩码",
    "return dtype torch.bool.": "返回 dtype 为 torch.bool 的掩码。",
    "an additive float mask (0 and -inf)": "加性的浮点型掩码（0 和 -inf）",
    "this course's masks are boolean, True where attention is allowed.":
        "本课程的掩码是布尔型的，允许关注的位置为 True。",

    # -- padding mask ------------------------------------------------------------------------------------------------
    "positions compared with `lengths` without `lengths[:, None]`": "位置与 `lengths` 比较时没有用 `lengths[:, None]`",
    "`torch.arange(max_len) < lengths` lines the two up on one axis (an error, or a wrong shape): compare "
    "torch.arange(max_len)[None, :] (1, max_len) with lengths[:, None] (B, 1), which broadcasts to (B, max_len).":
        "`torch.arange(max_len) < lengths` 会把两者对齐在同一个轴上（要么报错，要么形状不对）：应比较 "
        "torch.arange(max_len)[None, :] (1, max_len) 与 lengths[:, None] (B, 1)，它们广播成 (B, max_len)。",
    "an inverted mask (True at the padding)": "掩码取反了（填充位置为 True）",
    "True marks the real tokens, the ones attention may look at.": "True 标出真实的词元，也就是注意力可以关注的那些。",
    "an off-by-one (<= instead of <)": "差了一（用了 <= 而不是 <）",
    "positions are counted from 0, so a sequence of length n has real tokens at 0..n-1.":
        "位置从 0 开始数，所以长度为 n 的序列，真实词元位于 0..n-1。",
    "a transposed mask (max_len, B)": "掩码被转置成了 (max_len, B)",
    "one row per sequence: the shape is (B, max_len).": "每个序列一行：形状是 (B, max_len)。",
    "an integer mask": "整数型掩码",
}
