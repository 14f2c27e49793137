"""Notebook 02's catalog of mistakes in Chinese (course_lib/checks/classic_attention.py): additive attention. The
masking mistakes it shares with every attention exercise are in course_lib/zh/framework.py."""

MESSAGES = {
    "W_q and W_k swapped": "W_q 和 W_k 用反了",
    "the query (width Dq) goes through W_q (Dq, A) and the keys (width Dk) through W_k (Dk, A).":
        "查询（宽度 Dq）经过 W_q (Dq, A)，键（宽度 Dk）经过 W_k (Dk, A)。",
    "the projected query added without a time axis": "投影后的查询没有加上时间轴就直接相加",
    "query @ W_q is (B, A) and keys @ W_k is (B, T, A): (B, A) broadcasts as (1, B, A), which pairs query b with time "
    "step b (or fails). Add the axis: (query @ W_q)[:, None, :].":
        "query @ W_q 的形状是 (B, A)，keys @ W_k 的形状是 (B, T, A)：(B, A) 会被广播成 (1, B, A)，于是第 b 个查询"
        "与第 b 个时间步配在一起（或者直接报错）。请加上这个轴：(query @ W_q)[:, None, :]。",
    "a softmax over the batch axis (dim=0)": "在批量轴上做了 softmax（dim=0）",
    "each query's weights over the T source positions must sum to 1: softmax over dim=-1.":
        "每个查询在 T 个源位置上的权重之和必须为 1：在 dim=-1 上做 softmax。",
    "no softmax (the raw scores used as weights)": "没有 softmax（直接把原始分数当作权重）",
    "turn the scores into weights with torch.softmax(scores, dim=-1): positive, summing to 1.":
        "用 torch.softmax(scores, dim=-1) 把分数变成权重：全为正，且和为 1。",
    "no tanh (the score is linear in query and key)": "没有 tanh（分数关于查询和键是线性的）",
    "score_t = v . tanh(query @ W_q + keys_t @ W_k): tanh of the sum, then the dot with v.":
        "score_t = v . tanh(query @ W_q + keys_t @ W_k)：先对和取 tanh，再与 v 做点积。",
    "tanh applied after the dot with v": "tanh 用在了与 v 做点积之后",
    "tanh goes on the (B, T, A) hidden layer, before the dot with v; the scores themselves are not squashed.":
        "tanh 作用于 (B, T, A) 的隐藏层，在与 v 做点积之前；分数本身不被压缩。",
    "the context computed from the keys instead of the values": "上下文是用键而不是值算出来的",
    "the keys decide the weights; the context averages the values: weights x values, width Dv.":
        "键决定权重；上下文是对值的加权平均：权重乘以值，宽度为 Dv。",
    "the context averaged over T (a mean instead of the weighted sum)": "上下文在 T 上取了平均（用均值代替了加权和）",
    "the weights already sum to 1, so the weighted average is a sum: (weights[:, :, None] * values).sum(dim=1), not "
    ".mean(dim=1).":
        "权重之和已经是 1，所以加权平均就是求和：(weights[:, :, None] * values).sum(dim=1)，而不是 .mean(dim=1)。",
    "weights @ values without an extra axis (a (B, B, Dv) context)":
        "weights @ values 没有额外加轴（得到 (B, B, Dv) 的上下文）",
    "(B, T) @ (B, T, Dv) multiplies every row of weights with every batch's values: use (weights[:, None, :] @ "
    "values).squeeze(1), shape (B, 1, T) x (B, T, Dv) -> (B, Dv).":
        "(B, T) @ (B, T, Dv) 会把每一行权重与每个批量样本的值都相乘：请用 (weights[:, None, :] @ values).squeeze(1)，"
        "形状为 (B, 1, T) x (B, T, Dv) -> (B, Dv)。",
    "a .squeeze() without a dim (it also drops the batch axis when B = 1)":
        "调用 .squeeze() 时没有指定 dim（B = 1 时它连批量轴也去掉了）",
    "squeeze only the axis you added: .squeeze(1).": "只去掉你加上的那个轴：.squeeze(1)。",
}
