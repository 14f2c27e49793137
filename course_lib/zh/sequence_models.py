"""Notebook 01's catalog of mistakes in Chinese (course_lib/checks/sequence_models.py): rnn_cell, rnn_forward,
lstm_cell. Each name reads after "看起来是" (looks like); each hint is a teacher's sentence."""

# rnn_cell's mistakes; rnn_forward names each of them again as "a wrong step inside the loop: <name>", with its
# hint after a sentence of its own (composed below, as the check composes them)
_RNN_CELL = {
    "no nonlinearity (a purely linear cell)": "没有非线性（纯线性的单元）",
    "squash the sum with torch.tanh: without it the state can grow without bound, and a stack of linear steps is just "
    "one linear map.":
        "用 torch.tanh 压缩这个和：没有它，状态可能无限增长，而一串线性步骤叠起来也只是一个线性映射。",
    "relu instead of tanh": "用了 relu 而不是 tanh",
    "the vanilla RNN (and nn.RNNCell's default) uses torch.tanh, which keeps the state in (-1, 1) and lets it be "
    "negative.":
        "普通 RNN（以及 nn.RNNCell 的默认设置）用的是 torch.tanh，它把状态保持在 (-1, 1) 内，并允许状态为负。",
    "sigmoid instead of tanh": "用了 sigmoid 而不是 tanh",
    "use torch.tanh: sigmoid is for gates (between 0 and 1); the state lives in (-1, 1).":
        "请用 torch.tanh：sigmoid 用于门（取值在 0 和 1 之间）；而状态取值在 (-1, 1) 内。",
    "W_hh transposed (h_prev @ W_hh.T)": "W_hh 被转置了（h_prev @ W_hh.T）",
    "W_hh is (H, H), so the transpose has the same shape and no error shows: the contract is h_prev @ W_hh, rows "
    "indexed by the old state, columns by the new one.":
        "W_hh 的形状是 (H, H)，转置后形状不变，所以不会报错：接口约定是 h_prev @ W_hh，行对应旧状态，列对应新状态。",
    "the bias missing": "漏了偏置",
    "add b_h (shape (H,), it broadcasts over the batch) inside the tanh.":
        "在 tanh 里面加上 b_h（形状为 (H,)，它会在批量维上广播）。",
    "the bias added after the tanh": "偏置加在了 tanh 之后",
    "b_h goes inside: tanh(x_t @ W_xh + h_prev @ W_hh + b_h).":
        "b_h 应放在里面：tanh(x_t @ W_xh + h_prev @ W_hh + b_h)。",
}
_RNN_CELL_NAMES = ["no nonlinearity (a purely linear cell)", "relu instead of tanh", "sigmoid instead of tanh",
                   "W_hh transposed (h_prev @ W_hh.T)", "the bias missing", "the bias added after the tanh"]
_RNN_CELL_HINTS = [english for english in _RNN_CELL if english not in _RNN_CELL_NAMES]

MESSAGES = {
    **_RNN_CELL,
    # -- rnn_forward ---------------------------------------------------------------------------------------------
    "the hidden state not carried (every step starts from h0)": "没有传递隐状态（每一步都从 h0 开始）",
    "pass the state returned by step t - 1 into step t: h = rnn_cell(x[:, t], h, ...), with h = h0 only before the "
    "loop.":
        "把第 t - 1 步返回的状态传入第 t 步：h = rnn_cell(x[:, t], h, ...)，只在循环开始前令 h = h0。",
    "outputs stacked along the wrong axis, (T, B, H)": "输出沿错误的轴堆叠，得到 (T, B, H)",
    "torch.stack(outputs) stacks along dim 0; this course is batch first: torch.stack(outputs, dim=1).":
        "torch.stack(outputs) 沿第 0 维堆叠；本课程中批量维在前：torch.stack(outputs, dim=1)。",
    "outputs concatenated into (B, T*H)": "输出被拼接成了 (B, T*H)",
    "torch.cat joins the steps along an existing axis; torch.stack(outputs, dim=1) adds the time axis.":
        "torch.cat 沿已有的轴连接各步；torch.stack(outputs, dim=1) 才会新增时间轴。",
    "the first hidden state returned instead of the last": "返回了第一个隐状态而不是最后一个",
    "h_last is the state after the final step, outputs[:, -1], not outputs[:, 0].":
        "h_last 是最后一步之后的状态，即 outputs[:, -1]，而不是 outputs[:, 0]。",
    "h0 returned as the last hidden state": "把 h0 当作最后的隐状态返回了",
    "return the state after the final step, the one the loop ends with.":
        "返回最后一步之后的状态，也就是循环结束时的那个。",
    "h0 included in the outputs, (B, T+1, H)": "输出中包含了 h0，得到 (B, T+1, H)",
    "outputs[:, t] is the state *after* reading x[:, t]: collect the new states only.":
        "outputs[:, t] 是读入 x[:, t] *之后*的状态：只收集新的状态。",
    "outputs holding the state before each step (h0 ... h_(T-1))": "输出存的是每一步之前的状态（h0 … h_(T-1)）",
    "append the new state after calling rnn_cell, not the one you passed in.":
        "调用 rnn_cell 之后，追加新的状态，而不是你传进去的那个。",
    "a loop over the batch instead of over time (`for x_t in x`)": "循环遍历的是批量而不是时间（`for x_t in x`）",
    "x is (B, T, D): iterating over x walks the batch; loop over t in range(T) and take x[:, t].":
        "x 的形状是 (B, T, D)：直接遍历 x 走的是批量维；应当对 t in range(T) 循环，并取 x[:, t]。",

    # -- lstm_cell -----------------------------------------------------------------------------------------------
    "the gates cut along the batch axis (chunk(4) or chunk(4, 0))": "门沿批量轴切分了（chunk(4) 或 chunk(4, 0)）",
    "gates is (B, 4H) and chunk's dim defaults to 0, the batch: gates.chunk(4, dim=-1) cuts the 4H columns into the "
    "four (B, H) blocks.":
        "gates 的形状是 (B, 4H)，而 chunk 的 dim 默认是 0，也就是批量维：gates.chunk(4, dim=-1) 才会把 4H 列切成四个 "
        "(B, H) 块。",
    "the input and forget gates swapped in the cell update (c_t = i * c_prev + f * g)":
        "更新记忆元时输入门与遗忘门对调了（c_t = i * c_prev + f * g）",
    "the forget gate f multiplies the old cell and the input gate i the candidate: c_t = f * c_prev + i * g.":
        "遗忘门 f 乘旧的记忆元，输入门 i 乘候选记忆元：c_t = f * c_prev + i * g。",
    "the gates in the order i, f, o, g": "门的顺序是 i, f, o, g",
    "PyTorch's order is i, f, g, o: i, f, g, o = gates.chunk(4, dim=-1). Weights trained by nn.LSTM only work in that "
    "order.":
        "PyTorch 的顺序是 i, f, g, o：i, f, g, o = gates.chunk(4, dim=-1)。nn.LSTM 训练出的权重只在这个顺序下才能用。",
    "the gates in the order f, i, g, o": "门的顺序是 f, i, g, o",
    "the gates in the order i, g, f, o (TensorFlow's i, j, f, o)": "门的顺序是 i, g, f, o（TensorFlow 的 i, j, f, o）",
    "the gates in the order i, f, g, o but interleaved (reshape(B, H, 4))":
        "门的顺序是 i, f, g, o，但各门交错排列（reshape(B, H, 4)）",
    "each gate is one consecutive block of H columns: gates[:, 0:H] is i, gates[:, H:2H] is f, and so on; "
    "gates.chunk(4, dim=-1) cuts them that way.":
        "每个门是连续的一块 H 列：gates[:, 0:H] 是 i，gates[:, H:2H] 是 f，依此类推；gates.chunk(4, dim=-1) "
        "正是这样切的。",
    "add b (shape (4H,)) to the gate pre-activations.": "把 b（形状为 (4H,)）加到门的激活前的值上。",
    "sigmoid instead of tanh on the candidate g": "候选记忆元 g 用了 sigmoid 而不是 tanh",
    "i, f and o are gates (sigmoid, between 0 and 1); g is new content and takes torch.tanh, so it can also be "
    "negative.":
        "i、f 和 o 是门（sigmoid，取值在 0 和 1 之间）；g 是新内容，用 torch.tanh，所以也可以为负。",
    "the cell state not passed through the forget gate (c_t = c_prev + i * g)":
        "记忆元没有经过遗忘门（c_t = c_prev + i * g）",
    "the forget gate decides how much of the old cell to keep: c_t = f * c_prev + i * g.":
        "遗忘门决定保留多少旧的记忆元：c_t = f * c_prev + i * g。",
    "the old cell state dropped (c_t = i * g)": "丢掉了旧的记忆元（c_t = i * g）",
    "c_t = f * c_prev + i * g: the term f * c_prev is the LSTM's memory.":
        "c_t = f * c_prev + i * g：f * c_prev 这一项就是 LSTM 的记忆。",
    "a tanh applied to the new cell state itself": "对新的记忆元本身用了 tanh",
    "c_t = f * c_prev + i * g, with no tanh: the tanh belongs in h_t = o * tanh(c_t), and the cell stays unsquashed "
    "so that it can carry information unchanged.":
        "c_t = f * c_prev + i * g，不加 tanh：tanh 属于 h_t = o * tanh(c_t)，记忆元不被压缩，才能把信息原样传下去。",
    "the tanh missing on the cell in h_t (h_t = o * c_t)": "h_t 中漏了记忆元上的 tanh（h_t = o * c_t）",
    "h_t = o * torch.tanh(c_t).": "应为 h_t = o * torch.tanh(c_t)。",
    "h_t read from the old cell (o * tanh(c_prev))": "h_t 读的是旧的记忆元（o * tanh(c_prev)）",
    "compute c_t first, then h_t = o * torch.tanh(c_t).": "先算出 c_t，再算 h_t = o * torch.tanh(c_t)。",
    "(c_t, h_t) returned instead of (h_t, c_t)": "返回了 (c_t, h_t) 而不是 (h_t, c_t)",
    "return h_t first, as nn.LSTMCell does: return h_t, c_t.": "像 nn.LSTMCell 一样先返回 h_t：return h_t, c_t。",
}

# rnn_forward's "a wrong step inside the loop: <rnn_cell's mistake>", its hint led by the sentence the check adds
for _name in _RNN_CELL_NAMES:
    MESSAGES[f"a wrong step inside the loop: {_name}"] = f"循环中的某一步有误：{_RNN_CELL[_name]}"
for _hint in _RNN_CELL_HINTS:
    MESSAGES["rnn_forward runs your rnn_cell at every step: make check_rnn_cell pass first. " + _hint] = \
        "rnn_forward 每一步都会运行你的 rnn_cell：请先让 check_rnn_cell 通过。" + _RNN_CELL[_hint]
del _name, _hint
