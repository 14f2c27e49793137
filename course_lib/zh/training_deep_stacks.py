"""The Chinese names and hints of the known mistakes of notebook 07 (course_lib/checks/training_deep_stacks.py),
keyed by the English each one translates, in the order the checks list them."""

MESSAGES = {
    "the unbiased variance (divided by D - 1)":
        "用了无偏方差（除以 D - 1）",
    ("layer norm uses the biased variance, the mean of the squared deviations: x.var(dim=-1, unbiased=False, "
     "keepdim=True), as nn.LayerNorm does."):
        ("层归一化用的是有偏方差，即偏差平方的均值：x.var(dim=-1, unbiased=False, keepdim=True)，"
         "与 nn.LayerNorm 一致。"),
    "epsilon outside the sqrt":
        "epsilon 放在了 sqrt 外面",
    "divide by torch.sqrt(var + eps), not torch.sqrt(var) + eps: eps guards the variance.":
        "除以 torch.sqrt(var + eps)，而不是 torch.sqrt(var) + eps：eps 是加在方差上、防止除以零的保护项。",
    "epsilon left out":
        "漏掉了 epsilon",
    "add eps to the variance before the square root: torch.sqrt(var + eps).":
        "开平方之前先给方差加上 eps：torch.sqrt(var + eps)。",
    "the eps argument ignored (1e-5 written in)":
        "忽略了 eps 参数（写死了 1e-5）",
    "use the `eps` the function is given, not a constant.":
        "使用函数传入的 `eps`，而不是一个常数。",
    "statistics over the wrong dimension (dim 0, the batch, as batch norm does)":
        "在错误的维度上求统计量（像批量归一化那样，在第 0 维即批量维上求）",
    ("layer norm normalises each position's feature vector on its own: mean and variance over dim=-1 with "
     "keepdim=True."):
        "层归一化对每个位置的特征向量单独做归一化：在 dim=-1 上求均值和方差，并设 keepdim=True。",
    "statistics over the whole tensor":
        "在整个张量上求统计量",
    "take the mean and variance of each position's features, over dim=-1 with keepdim=True, not of the whole tensor.":
        "求每个位置上特征的均值和方差，即在 dim=-1 上求、keepdim=True，而不是对整个张量求。",
    "divided by the variance instead of the standard deviation":
        "除以了方差，而不是标准差",
    "divide by the square root of var + eps.":
        "要除以 var + eps 的平方根。",
    "the mean not subtracted (an RMS norm)":
        "没有减去均值（成了 RMS 归一化）",
    "subtract the mean of each feature vector first, and take the variance around it.":
        "先减去每个特征向量的均值，再以它为中心求方差。",
    "gamma missing (no scale)":
        "缺少 gamma（没有缩放）",
    "after normalising, multiply by gamma (the learned gain), then add beta.":
        "归一化之后，先乘以 gamma（可学习的增益），再加上 beta。",
    "beta missing (no shift)":
        "缺少 beta（没有平移）",
    "after scaling by gamma, add beta (the learned shift).":
        "乘以 gamma 之后，再加上 beta（可学习的平移）。",
    "gamma and beta both missing":
        "gamma 和 beta 都没有用上",
    "return normalised * gamma + beta: the learned gain and shift.":
        "返回 normalised * gamma + beta：用上可学习的增益和平移。",
    "gamma and beta swapped":
        "gamma 和 beta 用反了",
    "gamma multiplies, beta is added: normalised * gamma + beta.":
        "gamma 用来乘，beta 用来加：normalised * gamma + beta。",
    "the activation missing":
        "缺少激活函数",
    "apply torch.relu between linear1 and linear2: without it the two layers are one linear map.":
        "在 linear1 和 linear2 之间使用 torch.relu：没有它，两个线性层就相当于一个线性映射。",
    "GELU instead of ReLU":
        "用了 GELU，而不是 ReLU",
    "the 2017 Transformer (and nn.TransformerEncoderLayer's default) uses ReLU; GELU came with BERT and GPT.":
        ("2017 年的 Transformer（以及 nn.TransformerEncoderLayer 的默认设置）用的是 ReLU；"
         "GELU 是随 BERT 和 GPT 才用起来的。"),
    "tanh instead of ReLU":
        "用了 tanh，而不是 ReLU",
    "use torch.relu between the two linear layers.":
        "在两个线性层之间使用 torch.relu。",
    "ReLU applied to the input, before linear1":
        "ReLU 作用在了输入上，位于 linear1 之前",
    "the ReLU acts on the widened hidden layer: relu(linear1(x)), then linear2.":
        "ReLU 作用在加宽后的隐藏层上：先 relu(linear1(x))，再 linear2。",
    "a ReLU on the output too":
        "输出上也加了 ReLU",
    "the block ends with linear2: its output may be negative, since it is added to the residual stream.":
        "这个块以 linear2 结束：它的输出可以为负，因为它要加到残差流上。",
    "the residual added inside the block (x + ffn(x))":
        "在块内部加了残差（x + ffn(x)）",
    "FeedForward is only the sublayer; the encoder layer adds the residual around it.":
        "FeedForward 只是一个子层；残差由编码器层在它外面加上。",
    "dropout on the output (after linear2) instead of the hidden layer":
        "dropout 作用在输出上（linear2 之后），而不是隐藏层上",
    ("dropout acts on the hidden layer, after the ReLU and before linear2: linear2(dropout(relu(linear1(x)))), as "
     "nn.TransformerEncoderLayer does. The layer that uses the block drops its output itself, before the residual "
     "sum."):
        ("dropout 作用在隐藏层上，位于 ReLU 之后、linear2 之前：linear2(dropout(relu(linear1(x))))，"
         "与 nn.TransformerEncoderLayer 相同。使用这个块的层会在残差相加之前自己对块的输出做 dropout。"),
    "dropout on the input (before linear1) instead of the hidden layer":
        "dropout 作用在输入上（linear1 之前），而不是隐藏层上",
    ("dropout acts on the hidden layer, after the ReLU and before linear2: linear2(dropout(relu(linear1(x)))), as "
     "nn.TransformerEncoderLayer does."):
        ("dropout 作用在隐藏层上，位于 ReLU 之后、linear2 之前：linear2(dropout(relu(linear1(x))))，"
         "与 nn.TransformerEncoderLayer 相同。"),
    "dropout twice: on the hidden layer and on the output":
        "dropout 用了两次：隐藏层上一次，输出上又一次",
    ("dropout acts on the hidden layer, after the ReLU and before linear2: linear2(dropout(relu(linear1(x)))), as "
     "nn.TransformerEncoderLayer does. Once is enough: the output's dropout belongs to the layer around the block."):
        ("dropout 作用在隐藏层上，位于 ReLU 之后、linear2 之前：linear2(dropout(relu(linear1(x))))，"
         "与 nn.TransformerEncoderLayer 相同。用一次就够了：输出上的 dropout 归外面那一层管。"),
    "dropout is never applied (train() gives the eval() outputs)":
        "dropout 从未生效（train() 下的输出与 eval() 下相同）",
    ("keep self.dropout = nn.Dropout(dropout) and apply it to the hidden layer: "
     "linear2(self.dropout(relu(linear1(x)))); model.train() switches it on, model.eval() off."):
        ("保留 self.dropout = nn.Dropout(dropout)，并把它用在隐藏层上：linear2(self.dropout(relu(linear1(x))))；"
         "model.train() 会打开它，model.eval() 会关闭它。"),
    "the norm inside the residual branch in post-LN (x + norm(sublayer(x)))":
        "post-LN 中把归一化放进了残差分支（x + norm(sublayer(x))）",
    "post-LN normalises the residual sum: x = norm1(x + attend(x)), then x = norm2(x + feed_forward(x)).":
        "post-LN 对残差之和做归一化：x = norm1(x + attend(x))，然后 x = norm2(x + feed_forward(x))。",
    "the residual added after the norm in pre-LN (norm(x) + sublayer(norm(x)))":
        "pre-LN 中残差加在了归一化之后（norm(x) + sublayer(norm(x))）",
    ("in pre-LN the residual path carries x itself, never normalised: x = x + attend(norm1(x)), then x = x + "
     "feed_forward(norm2(x))."):
        ("在 pre-LN 中，残差路径传递的是 x 本身，从不归一化：x = x + attend(norm1(x))，"
         "然后 x = x + feed_forward(norm2(x))。"),
    "norm_first ignored (always post-LN)":
        "忽略了 norm_first（总是 post-LN）",
    "keep norm_first and branch on it in forward: True normalises each sublayer's input (pre-LN).":
        "保存 norm_first，并在 forward 中按它分支：True 表示对每个子层的输入做归一化（pre-LN）。",
    "norm_first ignored (always pre-LN)":
        "忽略了 norm_first（总是 pre-LN）",
    "keep norm_first and branch on it in forward: False (the default) is the paper's post-LN, norm1(x + attend(x)).":
        "保存 norm_first，并在 forward 中按它分支：False（默认值）是论文中的 post-LN，即 norm1(x + attend(x))。",
    "norm_first inverted (True builds post-LN)":
        "norm_first 的含义弄反了（True 时构建的是 post-LN）",
    "norm_first=True means the norm comes first, before each sublayer (pre-LN).":
        "norm_first=True 表示归一化在前，放在每个子层之前（pre-LN）。",
    "a missing residual around the self-attention":
        "自注意力外面缺少残差连接",
    "add the sublayer's input back: x + attend(...), in both placements.":
        "把子层的输入加回来：x + attend(...)，两种放置方式都要这样做。",
    "a missing residual around the feed-forward block":
        "前馈块外面缺少残差连接",
    "add the sublayer's input back: x + feed_forward(...), in both placements.":
        "把子层的输入加回来：x + feed_forward(...)，两种放置方式都要这样做。",
    "both residual connections missing":
        "两个残差连接都缺少",
    "each sublayer's output is added to its input: x + sublayer(...).":
        "每个子层的输出都要加到它的输入上：x + sublayer(...)。",
    "the mask ignored":
        "忽略了掩码",
    "pass `mask` on to self.self_attn(x, x, x, mask).":
        "把 `mask` 传给 self.self_attn(x, x, x, mask)。",
    "an inverted mask (True taken as blocked)":
        "掩码取反了（把 True 当成了屏蔽）",
    ("in this course True means 'may attend': pass the mask on unchanged (torch's TransformerEncoderLayer is the one "
     "that wants ~mask)."):
        "本课程中 True 表示“可以关注”：把掩码原样传下去（需要 ~mask 的是 torch 的 TransformerEncoderLayer）。",
    "the FFN's activation missing":
        "前馈网络缺少激活函数",
    "apply torch.relu between linear1 and linear2.":
        "在 linear1 和 linear2 之间使用 torch.relu。",
    "norm1 and norm2 swapped":
        "norm1 和 norm2 用反了",
    "norm1 goes with the self-attention, norm2 with the feed-forward block (the order torch uses).":
        "norm1 配自注意力，norm2 配前馈块（与 torch 的顺序一致）。",
    "an extra layer norm at the end of the pre-LN layer":
        "pre-LN 层的末尾多了一个层归一化",
    ("a pre-LN layer returns the raw residual sum; the final norm belongs once after the whole stack, not in every "
     "layer."):
        "pre-LN 层返回的是未经归一化的残差之和；最后的归一化只在整个堆叠之后做一次，而不是每层都做。",
    "no dropout on the feed-forward sublayer's output":
        "前馈子层的输出上没有 dropout",
    ("as in nn.TransformerEncoderLayer, dropout acts on each sublayer's output before its residual sum, x + "
     "dropout(sublayer(...)), and once more inside the feed-forward block, after the ReLU: "
     "linear2(dropout(relu(linear1(x))))."):
        ("与 nn.TransformerEncoderLayer 一样，dropout 作用在每个子层的输出上、残差相加之前，"
         "即 x + dropout(sublayer(...))；在前馈块内部、ReLU 之后还要再用一次：linear2(dropout(relu(linear1(x))))。"),
    "no dropout on the self-attention's output":
        "自注意力的输出上没有 dropout",
    "no dropout inside the feed-forward block (after the ReLU)":
        "前馈块内部没有 dropout（ReLU 之后）",
    "dropout on the residual sum instead of the sublayer's output":
        "dropout 作用在残差之和上，而不是子层的输出上",
    ("drop the sublayer's output, then add: x + dropout(sublayer(x)); dropping the sum also drops parts of the "
     "residual path x itself. as in nn.TransformerEncoderLayer, dropout acts on each sublayer's output before its "
     "residual sum, x + dropout(sublayer(...)), and once more inside the feed-forward block, after the ReLU: "
     "linear2(dropout(relu(linear1(x))))."):
        ("先对子层的输出做 dropout，再相加：x + dropout(sublayer(x))；对和做 dropout，"
         "会把残差路径上的 x 本身也丢掉一部分。与 nn.TransformerEncoderLayer 一样，dropout 作用在每个子层的输出上、"
         "残差相加之前，即 x + dropout(sublayer(...))；在前馈块内部、ReLU 之后还要再用一次："
         "linear2(dropout(relu(linear1(x))))。"),
    ("give self_attn the dropout and apply nn.Dropout members where the exercise says; model.train() switches them "
     "on, model.eval() off."):
        ("把 dropout 传给 self_attn，并按练习的要求在相应位置使用 nn.Dropout 成员；model.train() 会打开它们，"
         "model.eval() 会关闭它们。"),
    "the warm-up's min replaced by max":
        "预热公式中的 min 换成了 max",
    ("take the smaller of step^-0.5 and step · warmup^-1.5: the linear ramp while step < warmup, the 1/sqrt decay "
     "after."):
        "取 step^-0.5 和 step · warmup^-1.5 中较小的一个：step < warmup 时线性上升，之后按 1/sqrt 衰减。",
    "the d_model factor missing":
        "缺少 d_model 因子",
    "multiply by d_model ** -0.5: wider models get smaller steps.":
        "乘以 d_model ** -0.5：模型越宽，步长越小。",
    "d_model^0.5 instead of d_model^-0.5":
        "用了 d_model^0.5，而不是 d_model^-0.5",
    "the factor is d_model ** -0.5, one over the square root.":
        "这个因子是 d_model ** -0.5，即平方根的倒数。",
    "warmup^-0.5 instead of warmup^-1.5 in the ramp":
        "上升段用了 warmup^-0.5，而不是 warmup^-1.5",
    "the ramp is step · warmup ** -1.5, so that it meets step ** -0.5 exactly at step == warmup.":
        "上升段是 step · warmup ** -1.5，这样它恰好在 step == warmup 时与 step ** -0.5 相交。",
    "step^0.5 instead of step^-0.5 in the decay":
        "衰减段用了 step^0.5，而不是 step^-0.5",
    "after the warm-up the rate decays as step ** -0.5 (one over the square root of the step).":
        "预热结束后，学习率按 step ** -0.5 衰减（步数平方根的倒数）。",
    "no decay after the warm-up (the ramp alone)":
        "预热之后没有衰减（只有上升段）",
    "take min(step ** -0.5, step * warmup ** -1.5): the ramp alone grows for ever.":
        "取 min(step ** -0.5, step * warmup ** -1.5)：只有上升段的话，学习率会一直增长下去。",
    "no warm-up (the decay alone)":
        "没有预热（只有衰减段）",
    "take min(step ** -0.5, step * warmup ** -1.5): the decay alone starts at its largest value.":
        "取 min(step ** -0.5, step * warmup ** -1.5)：只有衰减段的话，学习率一开始就是最大值。",
    "smoothing spread over K-1 classes (the true class left out)":
        "smoothing 只分摊到了 K-1 个类别上（漏掉了真实类别）",
    ("F.cross_entropy's label_smoothing spreads smoothing evenly over all K classes, the true one included: the "
     "target is (1 - smoothing) on the true class plus smoothing / K everywhere."):
        ("F.cross_entropy 的 label_smoothing 把 smoothing 平均分给全部 K 个类别，真实类别也在内："
         "目标分布是真实类别上的 (1 - smoothing)，再在每个类别上加 smoothing / K。"),
    "ignored targets counted in the mean":
        "求均值时把被忽略的目标也算了进去",
    "divide by the number of positions that count, (target != ignore_index).sum(), not by N.":
        "除以真正计入损失的位置数 (target != ignore_index).sum()，而不是 N。",
    "ignore_index not applied (ignored positions scored)":
        "没有应用 ignore_index（被忽略的位置也计入了损失）",
    "drop the positions whose target is ignore_index from the sum and from the count.":
        "把目标为 ignore_index 的位置从求和与计数中都去掉。",
    "smoothing not applied (plain cross-entropy)":
        "没有做标签平滑（普通的交叉熵）",
    "mix in smoothing times the mean of -log p over all classes, and keep 1 - smoothing on the true class.":
        "混入 smoothing 乘以所有类别上 -log p 的均值，并让真实类别保留 1 - smoothing 的权重。",
    "smoothing taken off the true class but never spread":
        "从真实类别上扣掉了 smoothing，却没有把它分摊出去",
    "add smoothing · mean(-log p over all K classes) to (1 - smoothing) · (-log p of the true class).":
        "把 smoothing · mean(全部 K 个类别上的 -log p) 加到 (1 - smoothing) · (真实类别的 -log p) 上。",
    "the true class keeps its full weight (1, not 1 - smoothing)":
        "真实类别保留了全部权重（1，而不是 1 - smoothing）",
    ("the target puts 1 - smoothing (plus smoothing / K) on the true class, so the true class's term is weighted 1 - "
     "smoothing."):
        ("目标分布在真实类别上放的是 1 - smoothing（再加上 smoothing / K），"
         "所以真实类别那一项的权重是 1 - smoothing。"),
    "the sum instead of the mean":
        "求的是和，而不是均值",
    "average over the positions that count, as F.cross_entropy's default reduction='mean' does.":
        "在真正计入损失的位置上求平均，与 F.cross_entropy 默认的 reduction='mean' 一致。",
    "log_softmax over the wrong dimension (dim 0)":
        "在错误的维度上做了 log_softmax（dim 0）",
    "the classes are the last dimension: torch.log_softmax(logits, dim=-1).":
        "类别在最后一个维度上：torch.log_softmax(logits, dim=-1)。",
    "log(softmax(...)) instead of log_softmax (overflows for large logits)":
        "用了 log(softmax(...))，而不是 log_softmax（logits 很大时会溢出）",
    ("torch.log_softmax(logits, dim=-1) subtracts the log-sum-exp and stays finite; log(softmax) gives log(0) = -inf "
     "once a probability underflows."):
        ("torch.log_softmax(logits, dim=-1) 会减去 log-sum-exp，结果始终有限；而 log(softmax) 一旦某个概率下溢为 0，"
         "就会得到 log(0) = -inf。"),
    # the members a module exercise expects (framework: when the learner's parameters do not fit)
    ('two nn.Linear members named linear1 (d_model -> d_ff) and linear2 (d_ff -> d_model), with '
     'bias'):
        ('两个带偏置的 nn.Linear 成员，名为 linear1（d_model -> d_f'
         'f）和 linear2（d_ff -> d_model）'),
    ('the members self_attn (a MultiHeadAttention), linear1, linear2, norm1 and norm2 '
     '(nn.LayerNorm(d_model)), and no other parameters'):
        ('成员 self_attn（一个 MultiHeadAttention）、linear1、l'
         'inear2、norm1 和 norm2（nn.LayerNorm(d_model)），且'
         '没有其他参数'),
}
