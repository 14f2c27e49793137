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
}
