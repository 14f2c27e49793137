"""The Chinese names and hints of the known mistakes of notebook 08 (course_lib/checks/transformer.py),
keyed by the English each one translates, in the order the checks list them."""

MESSAGES = {
    "cross-attention on the decoder's own states instead of the memory":
        "交叉注意力作用在解码器自己的状态上，而不是 memory 上",
    ("cross_attn reads the encoder: its queries come from the decoder (x), its keys and values from `memory`: "
     "self.cross_attn(x, memory, memory, memory_mask)."):
        ("cross_attn 读取的是编码器：查询来自解码器（x），键和值来自 `memory`："
         "self.cross_attn(x, memory, memory, memory_mask)。"),
    "self- and cross-attention in the wrong order":
        "自注意力和交叉注意力的顺序弄错了",
    ("first the target reads its own past (self_attn with tgt_mask, norm1), then the source (cross_attn with "
     "memory_mask, norm2), then the feed-forward block (norm3)."):
        ("先让目标序列读取它自己的过去（self_attn 配 tgt_mask，norm1），再读取源序列（cross_attn 配 memory_mask，"
         "norm2），最后是前馈块（norm3）。"),
    "the memory mask ignored":
        "忽略了 memory 掩码",
    "pass memory_mask to the cross-attention: it hides the source's padding from every query.":
        "把 memory_mask 传给交叉注意力：它让每个查询都看不到源序列中的填充。",
    "the causal mask (tgt_mask) ignored":
        "忽略了因果掩码（tgt_mask）",
    "pass tgt_mask to the self-attention: without it a position reads the tokens it must predict.":
        "把 tgt_mask 传给自注意力：没有它，一个位置就能读到它应当预测的词元。",
    "tgt_mask and memory_mask swapped":
        "tgt_mask 和 memory_mask 用反了",
    "tgt_mask (T, T) goes with the self-attention, memory_mask (.., T, S) with the cross-attention.":
        "tgt_mask (T, T) 配自注意力，memory_mask (.., T, S) 配交叉注意力。",
    "norm_first ignored: always post-LN":
        "忽略了 norm_first：总是 post-LN",
    "with norm_first=True normalise each sublayer's input: x = x + sublayer(norm(x)).":
        "norm_first=True 时，对每个子层的输入做归一化：x = x + sublayer(norm(x))。",
    "norm_first ignored: always pre-LN":
        "忽略了 norm_first：总是 pre-LN",
    "with norm_first=False (the default, as in the paper) normalise after the sum: x = norm(x + sublayer(x)).":
        "norm_first=False（默认值，与论文一致）时，在相加之后再归一化：x = norm(x + sublayer(x))。",
    "pre-LN with the residual added after the norm":
        "pre-LN 中残差加在了归一化之后",
    "pre-LN keeps the residual path clean: x = x + sublayer(norm(x)), not norm(x) + sublayer(norm(x)).":
        "pre-LN 让残差路径保持干净：x = x + sublayer(norm(x))，而不是 norm(x) + sublayer(norm(x))。",
    "post-LN with the norm inside the residual":
        "post-LN 中把归一化放进了残差分支",
    "post-LN normalises the sum: x = norm(x + sublayer(x)), not x + norm(sublayer(x)).":
        "post-LN 对和做归一化：x = norm(x + sublayer(x))，而不是 x + norm(sublayer(x))。",
    "no residual connection around the cross-attention":
        "交叉注意力外面没有残差连接",
    "every sublayer adds its output to its input: x = norm2(x + cross_attn(...)).":
        "每个子层都把输出加到输入上：x = norm2(x + cross_attn(...))。",
    "one layer norm used for all three sublayers":
        "三个子层共用了同一个层归一化",
    ("each sublayer has its own norm: norm1 for self-attention, norm2 for cross-attention, norm3 for the "
     "feed-forward block."):
        "每个子层都有自己的归一化：norm1 用于自注意力，norm2 用于交叉注意力，norm3 用于前馈块。",
    "no ReLU in the feed-forward block":
        "前馈块中没有 ReLU",
    "linear2(dropout(relu(linear1(x)))): without the ReLU the two linears are one linear map.":
        "linear2(dropout(relu(linear1(x))))：没有 ReLU，两个线性层就相当于一个线性映射。",
    "no dropout inside the feed-forward block (after the ReLU)":
        "前馈块内部没有 dropout（ReLU 之后）",
    ("as in nn.TransformerDecoderLayer, dropout acts on each sublayer's output before its residual sum, x + "
     "dropout(sublayer(...)), and once more inside the feed-forward block, after the ReLU: "
     "linear2(dropout(relu(linear1(x))))."):
        ("与 nn.TransformerDecoderLayer 一样，dropout 作用在每个子层的输出上、残差相加之前，"
         "即 x + dropout(sublayer(...))；在前馈块内部、ReLU 之后还要再用一次：linear2(dropout(relu(linear1(x))))。"),
    "no dropout on the feed-forward sublayer's output":
        "前馈子层的输出上没有 dropout",
    "dropout on the residual sum instead of the sublayer's output":
        "dropout 作用在残差之和上，而不是子层的输出上",
    ("drop the sublayer's output, then add: x + dropout(sublayer(x)); dropping the sum also drops parts of the "
     "residual path x itself. as in nn.TransformerDecoderLayer, dropout acts on each sublayer's output before its "
     "residual sum, x + dropout(sublayer(...)), and once more inside the feed-forward block, after the ReLU: "
     "linear2(dropout(relu(linear1(x))))."):
        ("先对子层的输出做 dropout，再相加：x + dropout(sublayer(x))；对和做 dropout，"
         "会把残差路径上的 x 本身也丢掉一部分。与 nn.TransformerDecoderLayer 一样，dropout 作用在每个子层的输出上、"
         "残差相加之前，即 x + dropout(sublayer(...))；在前馈块内部、ReLU 之后还要再用一次："
         "linear2(dropout(relu(linear1(x))))。"),
    "dropout is never applied (train() gives the eval() outputs)":
        "dropout 从未生效（train() 下的输出与 eval() 下相同）",
    ("give self_attn and cross_attn the dropout and apply nn.Dropout members where the exercise says; model.train() "
     "switches them on, model.eval() off."):
        ("把 dropout 传给 self_attn 和 cross_attn，并按练习的要求在相应位置使用 nn.Dropout 成员；"
         "model.train() 会打开它们，model.eval() 会关闭它们。"),
    "embeddings not scaled by sqrt(d_model)":
        "嵌入没有乘以 sqrt(d_model)",
    "multiply each token embedding by math.sqrt(d_model) before adding the positions.":
        "在加上位置编码之前，把每个词元嵌入乘以 math.sqrt(d_model)。",
    "embeddings divided by sqrt(d_model)":
        "嵌入除以了 sqrt(d_model)",
    "the embeddings are multiplied by sqrt(d_model), not divided.":
        "嵌入要乘以 sqrt(d_model)，而不是除以它。",
    "positions not added":
        "没有加上位置编码",
    "add self.pe[:T] (the sinusoidal table, a buffer) to the scaled embeddings of source and target.":
        "把 self.pe[:T]（正弦位置编码表，一个 buffer）加到源序列和目标序列缩放后的嵌入上。",
    "the causal mask missing":
        "缺少因果掩码",
    "decode builds causal_mask(T) itself: without it position t reads the tokens it must predict.":
        "decode 自己构建 causal_mask(T)：没有它，位置 t 就能读到它应当预测的词元。",
    "the causal mask transposed (upper triangle)":
        "因果掩码被转置了（成了上三角）",
    "True on and below the diagonal: position t may read positions 0..t (causal_mask(T)).":
        "对角线及其以下为 True：位置 t 可以读位置 0..t（causal_mask(T)）。",
    "tgt_mask replaces the causal mask instead of adding to it":
        "tgt_mask 取代了因果掩码，而不是与它合并",
    ("combine them: mask = causal_mask(T) & tgt_mask; the target's padding mask alone lets every position read the "
     "future."):
        "把两者合并：mask = causal_mask(T) & tgt_mask；只用目标序列的填充掩码，每个位置都能读到未来。",
    "the memory mask ignored (src_mask not passed to the cross-attention)":
        "忽略了 memory 掩码（src_mask 没有传给交叉注意力）",
    "in forward, src_mask is also the memory mask: decode(tgt, memory, tgt_mask, src_mask).":
        "在 forward 中，src_mask 同时也是 memory 掩码：decode(tgt, memory, tgt_mask, src_mask)。",
    "src_mask not passed to the encoder layers":
        "src_mask 没有传给编码器层",
    "encode passes src_mask to every encoder layer: the source's padding is hidden there too.":
        "encode 要把 src_mask 传给每一个编码器层：在那里，源序列中的填充也要被遮住。",
    "the decoder reads the source embeddings, not the encoder's output":
        "解码器读的是源序列的嵌入，而不是编码器的输出",
    "memory = self.encode(src, src_mask): the decoder attends to what the encoder stack computed.":
        "memory = self.encode(src, src_mask)：解码器关注的是整个编码器堆叠算出的结果。",
    "the source embedding used for the target":
        "目标序列用了源序列的嵌入",
    "the target tokens go through self.tgt_embed (another vocabulary, another table).":
        "目标词元要经过 self.tgt_embed（另一个词表，另一张嵌入表）。",
    "layers not chained: every layer reads the embeddings":
        "各层没有串起来：每一层读的都是嵌入",
    "x = layer(x, ...) in a loop: each layer reads the previous layer's output.":
        "在循环中写 x = layer(x, ...)：每一层读取上一层的输出。",
    "the final layer norms (enc_norm, dec_norm) not applied":
        "没有使用最后的层归一化（enc_norm、dec_norm）",
    ("as torch.nn.Transformer does, normalise the last encoder layer's output with enc_norm and the last decoder "
     "layer's with dec_norm."):
        ("与 torch.nn.Transformer 一样，用 enc_norm 归一化最后一个编码器层的输出，"
         "用 dec_norm 归一化最后一个解码器层的输出。"),
    "softmax applied to the logits":
        "对 logits 做了 softmax",
    "return the raw scores of self.out: F.cross_entropy applies log-softmax itself.":
        "直接返回 self.out 给出的原始分数：F.cross_entropy 自己会做 log-softmax。",
    "an off-by-one between the decoder input and the target (the target not shifted)":
        "解码器输入与目标错了一位（目标没有移位）",
    "the decoder reads tgt[:, :-1] and position t must predict the NEXT token: target = tgt[:, 1:].":
        "解码器读的是 tgt[:, :-1]，而位置 t 要预测的是下一个词元：target = tgt[:, 1:]。",
    "the whole target fed to the decoder and scored against itself":
        "把整个目标序列送入解码器，又拿它自己来计算损失",
    ("with the causal mask position t sees token t, so predicting token t is copying: feed tgt[:, :-1], score "
     "against tgt[:, 1:]."):
        "有因果掩码时，位置 t 能看到词元 t，预测词元 t 就成了照抄：输入 tgt[:, :-1]，与 tgt[:, 1:] 比较计算损失。",
    "input and target shifted the wrong way":
        "输入和目标的移位方向反了",
    "the decoder input starts with BOS (tgt[:, :-1]); the target is the same sequence one step later (tgt[:, 1:]).":
        "解码器输入以 BOS 开头（tgt[:, :-1]）；目标是同一个序列向后错一步（tgt[:, 1:]）。",
    "padding counted in the loss":
        "填充位置计入了损失",
    "pass ignore_index=pad_id to F.cross_entropy (when pad_id is given), so padded positions count for nothing.":
        "给定 pad_id 时，把 ignore_index=pad_id 传给 F.cross_entropy，让填充位置不计入损失。",
    "src_mask not passed to the model":
        "src_mask 没有传给模型",
    "model(src, decoder_input, src_mask): the source's padding must stay hidden.":
        "model(src, decoder_input, src_mask)：源序列中的填充必须一直被遮住。",
    "the loss summed instead of averaged":
        "损失求的是和，而不是平均值",
    "F.cross_entropy's default reduction='mean' averages over the positions that count.":
        "F.cross_entropy 默认的 reduction='mean' 会在计入损失的位置上求平均。",
    "softmax applied before F.cross_entropy":
        "在 F.cross_entropy 之前做了 softmax",
    "F.cross_entropy takes raw logits and applies log-softmax itself.":
        "F.cross_entropy 接收的是原始 logits，它自己会做 log-softmax。",
    "the decoder fed placeholders instead of its own previous outputs":
        "送入解码器的是占位符，而不是它自己之前的输出",
    ("each step feeds the tokens decoded so far, ys, back in: the model continues its own output (no ground truth "
     "exists at test time)."):
        "每一步都把目前已解码出的词元 ys 送回解码器：模型接着自己的输出往下生成（测试时没有真实答案可用）。",
    "the argmax of the first position's logits instead of the last":
        "取了第一个位置 logits 的 argmax，而不是最后一个位置的",
    "logits[:, -1] holds the prediction after the last token read; logits[:, 0] is the first token's.":
        "logits[:, -1] 是读完最后一个词元之后的预测；logits[:, 0] 是第一个词元的。",
    "the argmax taken over the positions instead of the vocabulary":
        "在位置维上取了 argmax，而不是在词表维上",
    "logits[:, -1] has shape (B, V): argmax(dim=-1) picks the most likely token.":
        "logits[:, -1] 的形状是 (B, V)：argmax(dim=-1) 选出最可能的词元。",
    "the start token left out of the output":
        "输出中漏掉了起始词元",
    "the result starts with bos_id, as the decoder's input does: (B, L) with L <= max_len.":
        "结果以 bos_id 开头，和解码器的输入一样：形状为 (B, L)，其中 L <= max_len。",
    "max_len + 1 tokens (the start token not counted)":
        "生成了 max_len + 1 个词元（没有把起始词元算在内）",
    "max_len counts every token of the result, bos_id included: loop while ys.size(1) < max_len.":
        "max_len 计的是结果中的全部词元，bos_id 也算在内：循环条件是 ys.size(1) < max_len。",
    "eos_id ignored: decoding runs to max_len":
        "忽略了 eos_id：一直解码到 max_len",
    "stop once every sequence has produced eos_id, and fill finished sequences with eos_id.":
        "当每个序列都已生成 eos_id 时停止，并用 eos_id 填充已经结束的序列。",
    "decoding stops as soon as any sequence produced eos_id":
        "只要有一个序列生成了 eos_id，解码就停止了",
    "stop when ALL sequences are done (done.all()); the others still have tokens to produce.":
        "要等所有序列都结束才停止（done.all()）；其他序列还有词元要生成。",
    "finished sequences keep decoding after eos_id":
        "已经结束的序列在 eos_id 之后还在继续解码",
    "once a sequence produced eos_id, append eos_id to it (next_token.masked_fill(done, eos_id)).":
        "一个序列生成 eos_id 之后，就只往它后面追加 eos_id（next_token.masked_fill(done, eos_id)）。",
    "src_mask not passed to encode and decode":
        "src_mask 没有传给 encode 和 decode",
    "model.encode(src, src_mask) and model.decode(ys, memory, memory_mask=src_mask).":
        "调用 model.encode(src, src_mask) 和 model.decode(ys, memory, memory_mask=src_mask)。",
    "an inverted causal mask passed to decode (True taken as blocked)":
        "传给 decode 的因果掩码取反了（把 True 当成了屏蔽）",
    ("in this course True means 'may attend'. decode builds causal_mask(T) itself and combines a tgt_mask you pass "
     "with it (&), so greedy decoding needs none: model.decode(ys, memory, memory_mask=src_mask)."):
        "本课程中 True 表示“可以关注”。decode 会自己构建 causal_mask(T)，并把你传入的 tgt_mask 与它合并（&），"
        "所以贪心解码不需要传 tgt_mask：model.decode(ys, memory, memory_mask=src_mask)。",
    "a tgt_mask that hides tokens decoded so far":
        "tgt_mask 遮住了已经解码出的词元",
    ("decode builds causal_mask(T) itself (position t reads 0..t, itself included) and combines a tgt_mask you pass "
     "with it (&), so greedy decoding needs none: model.decode(ys, memory, memory_mask=src_mask). A tgt_mask may hide "
     "padding, never a token the model decoded."):
        "decode 会自己构建 causal_mask(T)（位置 t 读取 0..t，包括它自己），并把你传入的 tgt_mask 与它合并（&），"
        "所以贪心解码不需要传 tgt_mask：model.decode(ys, memory, memory_mask=src_mask)。tgt_mask 只能遮住填充，"
        "绝不能遮住模型解码出的词元。",
    # the members a module exercise expects (framework: when the learner's parameters do not fit)
    ('the members self_attn, cross_attn (MultiHeadAttention), linear1, linear2, norm1, norm2, '
     'norm3'):
        ('成员 self_attn、cross_attn（MultiHeadAttention）、l'
         'inear1、linear2、norm1、norm2、norm3'),
    ('the members src_embed, tgt_embed, encoder_layers, decoder_layers, enc_norm, dec_norm, out '
     '(and the positional table as a buffer, not a parameter)'):
        ('成员 src_embed、tgt_embed、encoder_layers、decoder'
         '_layers、enc_norm、dec_norm、out（位置编码表作为缓冲区，而不是参'
         '数）'),
}
