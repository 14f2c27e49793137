"""The Chinese names and hints of the known mistakes of notebook 06 (course_lib/checks/parallelism.py),
keyed by the English each one translates, in the order the checks list them."""

MESSAGES = {
    "multiply-adds counted once (the factor 2 forgotten)":
        "乘加只算了一次（漏了系数 2）",
    "FlopCounterMode counts a multiply and an add as 2 FLOPs: a (1, D) x (D, D) product costs 2·D².":
        "FlopCounterMode 把一次乘法和一次加法算作 2 FLOPs：一个 (1, D) x (D, D) 的乘积花费 2·D²。",
    "one matrix product per step (x_t @ W_xh or h @ W_hh forgotten)":
        "每一步只算了一次矩阵乘法（漏了 x_t @ W_xh 或 h @ W_hh）",
    "each step multiplies the input by W_xh AND the previous state by W_hh: two (D, D) products.":
        "每一步既要把输入乘以 W_xh，又要把上一步的隐状态乘以 W_hh：两个 (D, D) 的乘积。",
    "the cost of one step only (not multiplied by T)":
        "只算了一步的开销（没有乘以 T）",
    "a layer reads all T positions, one step each: multiply the cost of a step by T.":
        "一层要读完全部 T 个位置，每个位置一步：把一步的开销乘以 T。",
    "an LSTM counted (four gates)":
        "按 LSTM 计算了（四个门）",
    "a plain RNN has one W_xh and one W_hh of shape (D, D); an LSTM's four gates make it 4 times more.":
        "普通 RNN 只有一个 W_xh 和一个 W_hh，形状都是 (D, D)；LSTM 有四个门，开销是它的 4 倍。",
    "quadratic in T, as attention is":
        "像注意力那样，与 T 成平方关系",
    "a recurrence does the same work at every step whatever the length: T·D², not T²·D.":
        "循环在每一步做的工作都一样，与序列长度无关：是 T·D²，而不是 T²·D。",
    "multiply-adds counted as T·D (a vector, not a matrix)":
        "乘加次数算成了 T·D（当成了向量，而不是矩阵）",
    "x_t @ W_xh is a (1, D) row times a (D, D) matrix: D outputs of D multiply-adds each, D².":
        "x_t @ W_xh 是一个 (1, D) 的行乘以一个 (D, D) 的矩阵：D 个输出，每个需要 D 次乘加，共 D²。",
    "FlopCounterMode counts a multiply and an add as 2 FLOPs: (T, D) x (D, D) costs 2·T·D².":
        "FlopCounterMode 把一次乘法和一次加法算作 2 FLOPs：(T, D) x (D, D) 花费 2·T·D²。",
    "the four projections left out":
        "漏掉了四个投影",
    "w_q, w_k, w_v and w_o are (T, D) x (D, D) products: 4 · 2·T·D² on top of the T² terms.":
        "w_q、w_k、w_v 和 w_o 都是 (T, D) x (D, D) 的乘积：在 T² 项之外，还有 4 · 2·T·D²。",
    "the output projection w_o forgotten":
        "漏了输出投影 w_o",
    "there are four projections: w_q, w_k, w_v, and w_o after the heads are merged.":
        "一共有四个投影：w_q、w_k、w_v，以及各个头合并之后的 w_o。",
    "weights @ v forgotten (only q @ k^T counted)":
        "漏了 weights @ v（只算了 q @ k^T）",
    "the (T, T) weights multiply the (T, D) values too: another 2·T²·D.":
        "(T, T) 的权重还要乘以 (T, D) 的值：再加上 2·T²·D。",
    "the scores counted as T·D² (linear in T)":
        "分数的开销算成了 T·D²（与 T 成线性关系）",
    "q @ k^T is (T, D) x (D, T): T·T scores of D multiply-adds each, T²·D, and the same for weights @ v.":
        "q @ k^T 是 (T, D) x (D, T)：共 T·T 个分数，每个需要 D 次乘加，即 T²·D；weights @ v 也一样。",
    "multiplied by the number of heads or by D again (T²·D²)":
        "又乘了一次头数或 D（T²·D²）",
    "h heads of width d = D / h cost h · T²·d = T²·D: heads do not add work.":
        "h 个宽度为 d = D / h 的头，开销是 h · T²·d = T²·D：分成多个头并不增加工作量。",
    "AccumulateGrad nodes counted as operations":
        "把 AccumulateGrad 节点算成了运算",
    ("AccumulateGrad only stores a leaf's gradient: skip it (type(node).__name__ == 'AccumulateGrad'); a leaf has "
     "depth 0."):
        ("AccumulateGrad 只负责存下叶子张量的梯度：跳过它（type(node).__name__ == 'AccumulateGrad'）；"
         "叶子的深度为 0。"),
    "the shortest chain instead of the longest":
        "取的是最短链，而不是最长链",
    "an operation can start only once ALL its inputs are ready: take the max over the inputs, not the min.":
        "一个运算要等它的全部输入都就绪后才能开始：对各个输入取 max，而不是 min。",
    "edges counted instead of operations (one too few)":
        "数的是边而不是运算（少了一个）",
    "count the operations on the chain, the output's own grad_fn included: x * 2 has depth 1.":
        "数链上的运算个数，输出自己的 grad_fn 也算在内：x * 2 的深度为 1。",
    "only the first input of each operation followed":
        "每个运算只沿着第一个输入往下走",
    ("an operation has several inputs (node.next_functions is a tuple of (node, index) pairs): take the longest "
     "chain over all of them."):
        "一个运算可以有多个输入（node.next_functions 是由 (node, index) 对组成的元组）：要在所有输入中取最长的链。",
    "every operation of the graph counted, not the longest chain":
        "数了图中全部的运算，而不是最长链",
    ("independent operations can run at the same time: the depth is the length of the longest chain of operations "
     "that wait for each other, not their number."):
        "相互独立的运算可以同时执行：深度是相互等待的运算所构成的最长链的长度，而不是运算的总数。",
    "None entries of next_functions followed (inputs that need no gradient)":
        "沿着 next_functions 中的 None 项继续往下走（不需要梯度的输入）",
    "next_functions holds (None, 0) for an input that needs no gradient, such as a constant: skip it.":
        "对于不需要梯度的输入（例如常量），next_functions 中记的是 (None, 0)：跳过它。",
    "the causal flag ignored":
        "忽略了 causal 参数",
    "with causal=True query t may only see keys 0..t: mask the scores above the diagonal with -inf.":
        "causal=True 时，查询 t 只能看到键 0..t：用 -inf 遮住对角线以上的分数。",
    "the causal mask shifted by one (a query sees the next key)":
        "因果掩码错位了一格（查询能看到下一个键）",
    ("torch.ones(T, T).tril() keeps the diagonal and everything below: key t is allowed for query t, key t + 1 is "
     "not."):
        "torch.ones(T, T).tril() 保留对角线及其以下的部分：查询 t 可以看键 t，不能看键 t + 1。",
    "the causal mask excludes the query's own position":
        "因果掩码把查询自己的位置也排除了",
    "query t sees keys 0..t, its own position included (the loop slices k[:, :t + 1]).":
        "查询 t 能看到键 0..t，包括它自己的位置（循环里取的是 k[:, :t + 1]）。",
    "masked scores set to 0 instead of -inf":
        "被掩码的分数设成了 0，而不是 -inf",
    "a score of 0 still gets weight exp(0) after the softmax: fill with float('-inf').":
        "分数为 0 的位置经过 softmax 后仍有权重 exp(0)：应填入 float('-inf')。",
    "no 1/sqrt(d) scaling":
        "没有做 1/sqrt(d) 缩放",
    "the loop divides the scores by math.sqrt(d), d = q.size(-1): do the same.":
        "循环里把分数除以了 math.sqrt(d)，其中 d = q.size(-1)：这里也要这样做。",
    "scores divided by d instead of sqrt(d)":
        "分数除以了 d，而不是 sqrt(d)",
    "divide by math.sqrt(d), not by d.":
        "要除以 math.sqrt(d)，而不是 d。",
    "softmax over the queries (dim=-2)":
        "在查询所在的轴上做了 softmax（dim=-2）",
    "each query's weights over the keys sum to 1: softmax over the last axis, the keys.":
        "每个查询在所有键上的权重之和为 1：在最后一个轴（键所在的轴）上做 softmax。",
}
