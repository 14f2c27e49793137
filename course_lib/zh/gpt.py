"""The Chinese names and hints of the known mistakes of notebook 09 (course_lib/checks/gpt.py),
keyed by the English each one translates, in the order the checks list them."""

MESSAGES = {
    "no causal mask":
        "没有因果掩码",
    ("without the mask every position reads the tokens after it, which it must predict: mask the scores with a "
     "lower-triangular (T, T) mask of True on and below the diagonal."):
        ("没有掩码时，每个位置都能读到它后面那些本该由它来预测的词元：用一个对角线及其以下为 True 的下三角 (T, T) "
         "掩码遮住分数。"),
    "the mask off by one (each position also sees the next one)":
        "掩码错位了一格（每个位置还能看到下一个位置）",
    "position i may see keys 0 .. i, itself included and nothing after: .tril() (diagonal 0) for a square mask.":
        "位置 i 可以看到键 0 .. i，包括它自己，之后的都看不到：方形掩码用 .tril()（diagonal 为 0）。",
    "the mask off by one (each position hides itself)":
        "掩码错位了一格（每个位置看不到自己）",
    "position i sees itself too: .tril() with diagonal 0, not -1 (row 0 would see nothing).":
        "位置 i 也要能看到它自己：用 diagonal 为 0 的 .tril()，而不是 -1（否则第 0 行什么也看不到）。",
    "the causal mask aligned to the top left when there is a cache":
        "有键值缓存时，因果掩码仍按左上角对齐",
    ("with T_past cached positions the new query i sits at position T_past + i: its mask row allows keys 0 .. T_past "
     "+ i. torch.ones(T, T_all).tril(diagonal=T_all - T) does it."):
        ("缓存了 T_past 个位置时，新的查询 i 位于位置 T_past + i：它那一行掩码允许键 0 .. T_past + i。"
         "torch.ones(T, T_all).tril(diagonal=T_all - T) 正好做到这一点。"),
    "the causal mask built for the new tokens only, (T, T) instead of (T, T_past + T)":
        "因果掩码只为新词元构建，形状是 (T, T)，而不是 (T, T_past + T)",
    ("the scores are (B, h, T, T_past + T) once the cached keys are in: build the mask for that rectangle, "
     "torch.ones(T, T_all).tril(diagonal=T_all - T)."):
        ("放入缓存的键之后，分数的形状是 (B, h, T, T_past + T)：要为这个矩形构建掩码，"
         "torch.ones(T, T_all).tril(diagonal=T_all - T)。"),
    "the cache concatenated on the wrong axis":
        "键值缓存在错误的轴上拼接",
    "keys and values are (B, h, T, d): the positions are axis 2, so torch.cat([past_k, k], dim=2).":
        "键和值的形状是 (B, h, T, d)：位置在第 2 轴，所以用 torch.cat([past_k, k], dim=2)。",
    "only the new keys and values returned as the cache":
        "键值缓存中只返回了新的键和值",
    "return the concatenated (k, v), the cached positions and the new ones, so that the next call sees them all.":
        "返回拼接后的 (k, v)，既包括缓存的位置也包括新的位置，这样下一次调用才能看到全部。",
    "scores not divided by sqrt(d_head)":
        "分数没有除以 sqrt(d_head)",
    ("divide q @ k^T by sqrt(d) (d = d_model // num_heads), or use scaled_dot_product_attention from notebook 03, "
     "which does."):
        ("把 q @ k^T 除以 sqrt(d)（d = d_model // num_heads），或者使用笔记本 03 中的 scaled_dot_product_attention，"
         "它会做这一步。"),
    "positions restarted at 0 with a cache":
        "有键值缓存时，位置又从 0 开始",
    ("with a cache of T_past positions the new tokens sit at positions T_past, T_past + 1, ...: read T_past from the "
     "cache (cache[0][0].size(2)) and use torch.arange(T_past, T_past + T)."):
        ("缓存了 T_past 个位置时，新词元位于位置 T_past, T_past + 1, ...：从缓存中读出 T_past（cache[0][0].size(2)）"
         "，并使用 torch.arange(T_past, T_past + T)。"),
    "no position embedding":
        "没有位置嵌入",
    "add self.pos_embed(positions) to the token embeddings: without it attention is blind to order (notebook 05).":
        "把 self.pos_embed(positions) 加到词元嵌入上：没有它，注意力无法分辨顺序（见笔记本 05）。",
    "post-LN blocks (norm after the residual sum)":
        "用了 post-LN 块（在残差相加之后归一化）",
    "GPT's blocks are pre-LN: x = x + attn(ln_1(x)), then x = x + mlp(ln_2(x)).":
        "GPT 的块是 pre-LN：x = x + attn(ln_1(x))，然后 x = x + mlp(ln_2(x))。",
    "no final layer norm ln_f before the head":
        "head 之前没有最后的层归一化 ln_f",
    "pre-LN blocks leave the residual stream un-normalised: logits = self.head(self.ln_f(x)).":
        "pre-LN 块输出的残差流没有经过归一化：logits = self.head(self.ln_f(x))。",
    "temperature applied after the softmax":
        "温度在 softmax 之后才用上",
    ("divide the logits by the temperature, then take the softmax: dividing the probabilities changes nothing once "
     "torch.multinomial normalises them."):
        "先把 logits 除以温度，再做 softmax：对概率做除法不起任何作用，因为 torch.multinomial 会把它们重新归一化。",
    "temperature ignored":
        "忽略了温度",
    "logits = logits / temperature before the softmax: below 1 it sharpens, above 1 it flattens.":
        "在 softmax 之前写 logits = logits / temperature：温度低于 1 时分布变尖锐，高于 1 时变平坦。",
    "top-k keeping k-1 tokens":
        "top-k 只保留了 k-1 个词元",
    "torch.topk(logits, k).values[:, -1:] is the k-th largest logit: keep the logits >= it.":
        "torch.topk(logits, k).values[:, -1:] 是第 k 大的 logit：保留大于等于它的 logits。",
    "top-k keeping k+1 tokens":
        "top-k 保留了 k+1 个词元",
    "keep exactly the k largest logits: compare with torch.topk(logits, k).values[:, -1:].":
        "恰好保留最大的 k 个 logits：与 torch.topk(logits, k).values[:, -1:] 比较。",
    "sampling from the logits instead of the probabilities":
        "从 logits 而不是概率中采样",
    "torch.multinomial wants non-negative weights: sample from torch.softmax(logits, dim=-1).":
        "torch.multinomial 需要非负的权重：从 torch.softmax(logits, dim=-1) 中采样。",
    "temperature 0 not treated as greedy (argmax)":
        "温度为 0 时没有按贪心（argmax）处理",
    "dividing by a temperature of 0 gives inf and NaN: return logits.argmax(dim=-1) when temperature == 0.":
        "除以为 0 的温度会得到 inf 和 NaN：当 temperature == 0 时，返回 logits.argmax(dim=-1)。",
    "the generator not passed to torch.multinomial":
        "generator 没有传给 torch.multinomial",
    ("torch.multinomial(probs, 1, generator=generator): without it the draws come from the global RNG and cannot be "
     "reproduced."):
        "torch.multinomial(probs, 1, generator=generator)：不传它，采样就来自全局随机数生成器，结果无法复现。",
    "the whole sequence fed again together with the cache":
        "带着键值缓存又送入了整个序列",
    "once the cache holds the prompt, feed only the newest token, idx[:, -1:], with the cache.":
        "缓存里已经有了提示词之后，只需把最新的词元 idx[:, -1:] 和缓存一起送入模型。",
    "only the newest token fed, without the cache":
        "只送入了最新的词元，却没有带上键值缓存",
    ("logits, cache = model(idx[:, -1:], cache): keep the returned cache and pass it back, or the model sees one "
     "token and nothing before it."):
        ("logits, cache = model(idx[:, -1:], cache)：保存返回的缓存，并在下一步把它传回去，否则模型只看到一个词元，"
         "看不到它之前的任何内容。"),
    "the next token sampled from the first position's logits":
        "下一个词元是从第一个位置的 logits 中采样的",
    "the prediction for the next token is at the last position: logits[:, -1, :].":
        "对下一个词元的预测在最后一个位置：logits[:, -1, :]。",
    "the new token put at the front of the sequence":
        "新词元被放到了序列的开头",
    "append it at the end: torch.cat([idx, next_token[:, None]], dim=1).":
        "把它追加到末尾：torch.cat([idx, next_token[:, None]], dim=1)。",
    "one token too many generated":
        "多生成了一个词元",
    "loop max_new_tokens times: the result has T + max_new_tokens tokens.":
        "循环 max_new_tokens 次：结果共有 T + max_new_tokens 个词元。",
    # the members a module exercise expects (framework: when the learner's parameters do not fit)
    ('four nn.Linear(d_model, d_model) members with bias named w_q, w_k, w_v, w_o, as in '
     'notebook 04'):
        ('四个带偏置的 nn.Linear(d_model, d_model) 成员，名为 w_q、'
         'w_k、w_v、w_o，与笔记本 04 相同'),
    ('the members tok_embed, pos_embed, blocks (each with ln_1, attn.w_q/w_k/w_v/w_o, ln_2, '
     'mlp.linear1/linear2), ln_f and head'):
        ('成员 tok_embed、pos_embed、blocks（每个块含 ln_1、attn.'
         'w_q/w_k/w_v/w_o、ln_2、mlp.linear1/linear2）、ln_'
         'f 和 head'),
    # language_model_loss
    "targets not shifted (each position scored on its own token)":
        "目标没有错开一位（每个位置都用它自己的词元来评分）",
    ("position t must predict the NEXT token: score logits[:, :-1] against idx[:, 1:]. Scored on its own "
     "token, the model only learns to copy its input."):
        ("位置 t 要预测的是下一个词元：用 logits[:, :-1] 对照 idx[:, 1:] 来评分。如果用它自己的词元来评分，"
         "模型只会学会照抄输入。"),
    "targets shifted the wrong way (each position scored on the token before it)":
        "目标错开的方向反了（每个位置都用它前一个词元来评分）",
    ("the prediction at position t is for the token at t + 1: logits[:, :-1] against idx[:, 1:], not "
     "logits[:, 1:] against idx[:, :-1]."):
        ("位置 t 上的预测针对的是位置 t + 1 的词元：用 logits[:, :-1] 对照 idx[:, 1:]，"
         "而不是 logits[:, 1:] 对照 idx[:, :-1]。"),
    "the loss summed instead of averaged":
        "损失求的是和，而不是平均值",
    ("take the mean over all B·(T-1) predictions (F.cross_entropy's default reduction): a sum grows "
     "with the batch and the length, and so would the step the optimizer takes."):
        ("对全部 B·(T-1) 个预测取平均（F.cross_entropy 默认的 reduction）：求和会随批量大小和长度增长，"
         "优化器迈出的步子也会跟着变大。"),
    "the loss averaged over the batch only (summed over the positions)":
        "损失只在批量上取平均（在位置上求和）",
    ("average over every prediction, B·(T-1) of them, not only over the B rows: flatten (B, T-1, V) to "
     "(B·(T-1), V) and let F.cross_entropy take the mean."):
        ("要对全部 B·(T-1) 个预测取平均，而不只是对 B 行：把 (B, T-1, V) 展平成 (B·(T-1), V)，"
         "再让 F.cross_entropy 取平均。"),
    "(B, T, V) logits passed to F.cross_entropy, which reads axis 1 as the classes":
        "把 (B, T, V) 的 logits 直接传给了 F.cross_entropy，而它把第 1 轴当作类别",
    ("F.cross_entropy wants the classes on axis 1: flatten to (B·(T-1), V) and (B·(T-1),) with reshape, "
     "or pass logits.transpose(1, 2), (B, V, T-1)."):
        ("F.cross_entropy 要求类别在第 1 轴上：用 reshape 展平成 (B·(T-1), V) 和 (B·(T-1),)，"
         "或者传入 logits.transpose(1, 2)，即 (B, V, T-1)。"),
    "the softmax taken over the positions instead of the vocabulary":
        "softmax 是在位置上取的，而不是在词表上",
    ("log_softmax over the last axis, the vocabulary (dim=-1): each position's V scores make one "
     "distribution over the next token."):
        ("在最后一个轴（词表，dim=-1）上做 log_softmax：每个位置的 V 个分数构成一个关于下一个词元的分布。"),
    "probabilities used where log-probabilities belong":
        "该用对数概率的地方用了概率",
    "cross-entropy is the mean of -log p(next token): use log_softmax (or F.cross_entropy), not softmax.":
        "交叉熵是 -log p(下一个词元) 的平均：用 log_softmax（或 F.cross_entropy），而不是 softmax。",
    # train_step
    "the gradients never zeroed (they add up over the steps)":
        "梯度从未清零（它们在各步之间不断累加）",
    ("PyTorch adds each backward's gradients to .grad: call optimizer.zero_grad() before "
     "loss.backward() in every step, or the second step moves by the sum of both steps' gradients."):
        ("PyTorch 会把每次反向传播的梯度加到 .grad 上：每一步都要在 loss.backward() 之前调用 "
         "optimizer.zero_grad()，否则第二步会按两步梯度之和来更新。"),
    "the gradients zeroed after backward (step() finds none)":
        "梯度在反向传播之后才清零（step() 找不到梯度）",
    ("zero the gradients before loss.backward(), not between backward and step: step() then finds "
     "the gradients zeroed and the parameters do not move."):
        ("要在 loss.backward() 之前清零梯度，而不是在 backward 和 step 之间：否则 step() 看到的梯度已被清零，"
         "参数不会移动。"),
    "loss.backward() missing":
        "缺少 loss.backward()",
    ("without loss.backward() no gradient is computed and step() has nothing to apply: "
     "zero_grad, backward, step."):
        "没有 loss.backward()，就不会计算梯度，step() 也就无从更新：依次 zero_grad、backward、step。",
    "optimizer.step() missing":
        "缺少 optimizer.step()",
    "backward only computes the gradients; optimizer.step() is what moves the parameters.":
        "backward 只计算梯度；真正移动参数的是 optimizer.step()。",
    "optimizer.step() called before loss.backward()":
        "在 loss.backward() 之前调用了 optimizer.step()",
    ("step() applies the gradients .grad holds at that moment: compute them first, zero_grad, "
     "backward, then step."):
        "step() 应用的是那一刻 .grad 中的梯度：先把它们算出来，依次 zero_grad、backward，然后才 step。",
    "the model left in eval() mode":
        "模型停留在 eval() 模式",
    ("call model.train() at the start of the step: a model left in eval() (as after sampling) trains "
     "without its dropout."):
        "在这一步开始时调用 model.train()：停留在 eval() 模式的模型（例如刚采样完）训练时不会使用暂退法（dropout）。",
    "the loss returned as a tensor, not a Python float":
        "损失以张量返回，而不是 Python float",
    "return loss.item(): a float to print and plot, which keeps no graph alive.":
        "返回 loss.item()：一个可以打印和画图的 float，不会让计算图一直占着内存。",
    ("train_step returned {type}, not a Python float: return loss.item(), the number (a tensor would keep the "
     "whole graph of the step alive)"):
        ("train_step 返回的是 {type}，而不是 Python float：返回 loss.item() 这个数"
         "（张量会让这一步的整个计算图一直存活）"),
}
