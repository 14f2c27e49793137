"""The Chinese of the predict-then-run questions and comparisons (course_lib/predict.py)."""

MESSAGES = {
    # -- the cells and the comparison ---------------------------------------------------------------------------
    "**Predict, then run** (not graded). {text}": "**先预测，再运行**（不计分）。{text}",
    "Write your letter in the cell below before you run the measurement; the cell after the measurement compares it "
    "with what was measured.":
        "在运行测量之前，把你选的字母写进下面的单元格；测量之后的单元格会把它与测量结果作比较。",
    "Write your number in the cell below before you run the measurement; a prediction within a factor {tolerance} of "
    "the measured value counts as right.":
        "在运行测量之前，把你预测的数写进下面的单元格；与测量值相差不超过 {tolerance} 倍的预测算作正确。",
    "your prediction: one of {keys}": "你的预测：{keys} 之一",
    "your prediction: a number, such as {example}": "你的预测：一个数，例如 {example}",
    "There is no prediction question named {name!r}.": "没有名为 {name!r} 的预测问题。",
    "The measurement above did not give what this comparison needs ({error}): run the measurement's cells first.":
        "上面的测量没有给出这次比较所需的结果（{error}）：请先运行测量的单元格。",
    "You have not answered this question ({variable} is None): nothing to compare, but here is what was measured.":
        "你还没有回答这个问题（{variable} 仍是 None）：没有可比较的预测，下面是测量到的结果。",
    "Your answer {answer!r} is not one this question takes: {expected}.":
        "你的答案 {answer!r} 不是这个问题接受的答案：{expected}。",
    "answer with one of {keys}": "请用 {keys} 之一作答",
    "answer with a number, such as {example}": "请用一个数作答，例如 {example}",
    "This run's measurement cannot decide the question.": "这次运行的测量结果无法判定这个问题。",
    "✔ Your prediction, {given}, is what was measured.": "✔ 你的预测是 {given}，与测量结果一致。",
    "✘ You predicted {given}; the measurement says ({key}) {right}.":
        "✘ 你预测的是 {given}；测量结果是 ({key}) {right}。",
    "✔ Your prediction, {answer:g}, is within a factor {tolerance:g} of the measured {truth}.":
        "✔ 你的预测是 {answer:g}，与测量值 {truth} 相差不超过 {tolerance:g} 倍。",
    "✘ You predicted {answer:g}; the measurement says {truth} (a prediction within a factor {tolerance:g} counts as "
    "right).":
        "✘ 你预测的是 {answer:g}；测量值是 {truth}（与它相差不超过 {tolerance:g} 倍的预测算作正确）。",

    # -- 01 -----------------------------------------------------------------------------------------------------
    "The LSTM was designed against fading memory. With PyTorch's own initialisation (forget gate near 0.5), how "
    "large is the gradient reaching `x_0` from a loss 99 steps later, relative to the one from a loss at step 0?":
        "LSTM 正是为了对抗记忆衰退而设计的。使用 PyTorch 自己的初始化（遗忘门接近 0.5）时，从 99 步之后的损失（loss）"
        "传回 `x_0` 的梯度（gradient），相对于从第 0 步的损失传回的梯度，有多大？",
    "above 0.1: the LSTM keeps most of it": "大于 0.1：LSTM 保住了大部分",
    "between 1e-10 and 0.1: it fades, but moderately": "在 1e-10 和 0.1 之间：会衰减，但不算剧烈",
    "below 1e-10: it vanishes, as in the plain RNN": "小于 1e-10：像普通 RNN 一样消失了",
    "Measured: from {steps} steps away the LSTM with PyTorch's initialisation kept {lstm} of the gradient, the RNN "
    "{rnn}, the LSTM with forget bias 3 {bias3} (the thresholds are 0.1 and 1e-10).":
        "测量结果：从 {steps} 步之外传回时，使用 PyTorch 初始化的 LSTM 保留了 {lstm} 的梯度，RNN 保留了 {rnn}，遗忘门"
        "偏置为 3 的 LSTM 保留了 {bias3}（阈值为 0.1 和 1e-10）。",
    "Gates alone do not save the gradient: a forget gate near 0.5 about halves it at every step, and 0.5^{steps} is "
    "{power}. Only a forget gate near 1 (bias 3) keeps it.":
        "光有门并不能保住梯度：接近 0.5 的遗忘门每一步都让它减半左右，而 0.5^{steps} 等于 {power}。只有接近 1 的遗忘"
        "门（偏置为 3）才能保住它。",
    "Here the LSTM's cell path carried the gradient back with little loss.":
        "这里 LSTM 的细胞状态通路把梯度几乎无损地传了回去。",
    "Section 5 showed the gradient of the LSTM with forget bias 3 surviving 99 steps. Trained with the same budget "
    "on the recall task, which models name the symbol seen `k = 128` steps earlier (the longest `k`) correctly more "
    "than 90% of the time?":
        "第 5 节表明，遗忘门偏置为 3 的 LSTM 的梯度能挺过 99 步。用相同的预算在回忆任务上训练后，哪些模型能以超过 "
        "90% 的准确率说出 `k = 128` 步之前（最长的 `k`）看到的符号？",
    "both": "两个都能",
    "only the LSTM": "只有 LSTM",
    "only the RNN": "只有 RNN",
    "neither": "两个都不能",
    "Measured at k = {k}: the RNN {rnn}, the LSTM {lstm} (chance is {chance}; the threshold is 90%).":
        "在 k = {k} 处的测量结果：RNN {rnn}，LSTM {lstm}（随机猜测为 {chance}；阈值为 90%）。",
    "A gradient that survives at initialisation is a promise, not a result: picking out the one symbol that matters "
    "among {k} steps of noise was too hard for both within this training budget.":
        "初始化时梯度能传回来，只是一个希望，而不是结果：在这样的训练预算内，从 {k} 步噪声中找出唯一要紧的那个符号，"
        "对两个模型都太难了。",
    "The LSTM's cell path turned the surviving gradient into learning, where the RNN's gradient had faded.":
        "LSTM 的细胞状态通路把保留下来的梯度变成了学习，而 RNN 的梯度早已衰减。",
    "At this length the dependency was short enough for the model(s) above 90% to learn it.":
        "在这个长度上，依赖关系足够短，准确率超过 90% 的模型学会了它。",

    # -- 03 -----------------------------------------------------------------------------------------------------
    "Without the `1/sqrt(d_k)` scaling, with 16 keys and random queries and keys: when `d_k` grows 64-fold, from 8 "
    "to 512, how does the mean largest attention weight of a query move?":
        "不做 `1/sqrt(d_k)` 缩放，16 个键，查询和键都是随机的：当 `d_k` 增大 64 倍（从 8 到 512）时，一个查询最大的注"
        "意力权重（attention weight）的平均值会怎样变化？",
    "it stays about the same (changes by less than 0.1)": "基本不变（变化小于 0.1）",
    "it falls toward the uniform 1/16": "下降，趋向均匀分布的 1/16",
    "it rises toward 1 (one-hot)": "上升，趋向 1（one-hot）",
    "Measured: the mean largest weight went from {w0} at d_k = 8 to {w1} at d_k = 512 (a change of 0.1 or more "
    "counts as moving; 1/16 = 0.06 is uniform).":
        "测量结果：最大权重的平均值从 d_k = 8 时的 {w0} 变为 d_k = 512 时的 {w1}（变化达到 0.1 或以上才算变化；1/16 "
        "= 0.06 表示均匀）。",
    "The scores' spread grows like sqrt(d_k), 8-fold here, and the softmax of widely spread scores gives almost "
    "everything to the largest one{onehot}.":
        "分数的离散程度像 sqrt(d_k) 那样增长，这里是 8 倍；分数越分散，softmax 就把几乎全部权重交给最大的那个{onehot}"
        "。",
    ": above 0.9, nearly one-hot": "：超过 0.9，几乎是 one-hot",
    "The weights hardly moved: the scores did not spread out as expected here.":
        "权重几乎没有变化：这里的分数没有像预期那样分散开。",
    "Still without the scaling: by what factor does the gradient reaching the scores shrink from the narrowest width "
    "(`d_k = 2`) to the widest (`d_k = 2048`, 1024 times wider)? Answer with a number (1 means it does not shrink).":
        "仍然不做缩放：从最窄的宽度（`d_k = 2`）到最宽的宽度（`d_k = 2048`，宽 1024 倍），到达分数的梯度缩小为原来的"
        "几分之一？用一个数作答（1 表示没有缩小）。",
    "Measured: the gradient fell from {g0} at d_k = {d0} to {g1} at d_k = {d1}, a factor {factor}; the scores' "
    "spread grew about sqrt({d1}/{d0}) = {root}-fold.":
        "测量结果：梯度从 d_k = {d0} 时的 {g0} 降到 d_k = {d1} 时的 {g1}，缩小了 {factor} 倍；分数的离散程度增大了约 "
        "sqrt({d1}/{d0}) = {root} 倍。",
    "It falls more slowly than the scores spread: a saturated softmax still passes some gradient to its largest "
    "score and its close rivals. Slow or not, it keeps falling as the width grows, where the scaled scores keep it "
    "level.":
        "它下降得比分数分散得慢：饱和的 softmax 仍会把一些梯度传给最大的分数和与它接近的几个分数。但无论快慢，它都随"
        "宽度增大而持续下降，而缩放后的分数让梯度保持平稳。",
    "It falls at least as fast as the scores spread.": "它下降得至少和分数分散得一样快。",

    # -- 04 -----------------------------------------------------------------------------------------------------
    "The same width `D = 64`, but 8 heads of width 8 instead of 1 head of width 64. Compared with one head, how many "
    "parameters and FLOPs does the layer have?":
        "同样的宽度 `D = 64`，但用 8 个宽度为 8 的头（head），而不是 1 个宽度为 64 的头。与一个头相比，这一层的参数（"
        "parameter）和 FLOPs 有多少？",
    "about 8 times as many": "大约是 8 倍",
    "the same": "一样多",
    "about 8 times fewer": "大约只有 1/8",
    "Measured for h = {h0} and h = {h1}: parameters {p0} and {p1}, FLOPs {f0} and {f1} (a ratio within 1.5 counts as "
    "the same); the attention maps grew from {a0} to {a1} entries.":
        "h = {h0} 和 h = {h1} 时的测量结果：参数分别为 {p0} 和 {p1}，FLOPs 分别为 {f0} 和 {f1}（比值在 1.5 倍以内算作"
        "一样）；注意力图（attention map）的元素从 {a0} 个增加到 {a1} 个。",
    "Heads cut the same four D x D matrices into slices, and h heads of width D/h score h·T·T·(D/h) = T·T·D, as one "
    "wide head does. Only the number of softmaxes and the maps to store grow with h.":
        "多个头只是把同样的四个 D x D 矩阵切成几片；h 个宽度为 D/h 的头计算分数的代价是 h·T·T·(D/h) = T·T·D，与一个宽"
        "头相同。随 h 增长的只有 softmax 的个数和需要存储的注意力图。",
    "A single head has one softmax per query, and the task needs two positions read at once (`t-1` and `0`). After "
    "the same training, how well does the 1-head model of the same width do on the harder of the two relations?":
        "单个头对每个查询只有一个 softmax，而这个任务需要同时读取两个位置（`t-1` 和 `0`）。经过同样的训练后，宽度相同"
        "的单头模型在两种关系中较难的那一种上表现如何？",
    "it fails it: below 50% right": "学不会：正确率低于 50%",
    "partly: between 50% and 95% right": "学会一部分：正确率在 50% 到 95% 之间",
    "it gets it: above 95% right": "学会了：正确率高于 95%",
    "Measured after {steps} steps: the 1-head model was right on {previous} (t-1) and {first} (the first token), the "
    "2-head model on {previous2} and {first2} (the thresholds are 50% and 95%).":
        "{steps} 步之后的测量结果：单头模型的正确率为 {previous}（t-1）和 {first}（第一个词元），双头模型为 "
        "{previous2} 和 {first2}（阈值为 50% 和 95%）。",
    "One softmax can spread its weight over two keys: the single head put about half on each ({w_prev} and "
    "{w_first}) and the read-outs took both tokens from the mixture. It works, less cleanly: its loss is {ratio} "
    "times the 2-head model's.":
        "一个 softmax 可以把权重分给两个键：这个单头在两个键上各放了大约一半（{w_prev} 和 {w_first}），读出层再从这个"
        "混合中取出两个词元。这行得通，但不那么干净：它的损失是双头模型的 {ratio} 倍。",
    "One softmax per query could not serve both relations well within this budget; two heads, one per relation, "
    "could.":
        "在这个预算内，每个查询一个 softmax 无法同时照顾好两种关系；两个头各管一种关系，就可以。",

    # -- 05 -----------------------------------------------------------------------------------------------------
    "Shuffle the 10 tokens of a self-attention layer's input (no positions added), then average its outputs over the "
    "positions into one vector, as a sentence classifier would. How much does that vector change?":
        "打乱一个自注意力层输入中的 10 个词元（不加位置信息），再像句子分类器那样，把各位置的输出平均成一个向量。这个"
        "向量会改变多少？",
    "clearly (by more than 1e-4)": "明显改变（超过 1e-4）",
    "not at all, up to float32 rounding (less than 1e-4)": "除了 float32 舍入误差之外完全不变（小于 1e-4）",
    "Measured: the pooled vector changed by at most {gap} (the threshold is 1e-4; float32 rounding is about 1e-7).":
        "测量结果：平均后的向量最多改变了 {gap}（阈值为 1e-4；float32 的舍入误差约为 1e-7）。",
    "Each token gets the same output wherever it stands, only the rows move, and an average does not care in which "
    "order its terms come: without positions the layer sees a set, not a sequence.":
        "每个词元无论站在哪里，得到的输出都一样，只是行的位置变了；而平均值不在乎各项的顺序：没有位置信息，这一层看到"
        "的是一个集合，而不是一个序列。",
    "Something in this layer depends on the order: look for a position term or a mask.":
        "这一层中有某个部分依赖于顺序：找一找位置项或掩码。",
    "The learned embedding starts from random vectors and must learn what each position means within 200 training "
    "steps; the sinusoidal table knows from the start. On the order task, how does the learned one's test accuracy "
    "compare with the sinusoidal one's?":
        "可学习的位置嵌入从随机向量开始，必须在 200 步训练内学会每个位置的含义；正弦位置表则从一开始就知道。在顺序任"
        "务上，可学习嵌入的测试准确率与正弦位置表相比如何？",
    "clearly lower (more than 2 points below)": "明显更低（低 2 个百分点以上）",
    "about the same (within 2 points)": "差不多（相差 2 个百分点以内）",
    "clearly higher (more than 2 points above)": "明显更高（高 2 个百分点以上）",
    "Measured after {steps} steps: no positions {none}, sinusoidal {sin}, learned {learned} (chance is 50%; a "
    "difference of more than 2 points counts).":
        "{steps} 步之后的测量结果：不加位置 {none}，正弦 {sin}，可学习 {learned}（随机猜测为 50%；相差超过 2 个百分点"
        "才算有差别）。",
    "Telling which of two markers comes first needs only a coarse sense of position, and the steps were enough to "
    "learn one: the learned table caught up.":
        "判断两个标记谁先出现，只需要粗略的位置感，而这些训练步数足以学会它：可学习的位置表追了上来。",
    "The table that knows positions from the start kept its lead within this budget.":
        "在这个预算内，一开始就知道位置的表保持了领先。",
    "The learned table did better here: it could fit this task's positions directly.":
        "这里可学习的位置表表现更好：它可以直接拟合这个任务的位置。",

    # -- 06 -----------------------------------------------------------------------------------------------------
    "At a short length, `T = 16` positions of width `D = 64` (so `T` is well below `D`), which layer does more "
    "arithmetic: one RNN layer or one self-attention layer?":
        "在较短的长度上，`T = 16` 个位置、宽度 `D = 64`（`T` 远小于 `D`），哪一层的计算量更大：一个 RNN 层，还是一个"
        "自注意力层？",
    "the RNN (more than 1.5 times attention's FLOPs)": "RNN（超过注意力 FLOPs 的 1.5 倍）",
    "about the same (within 1.5 times)": "差不多（相差 1.5 倍以内）",
    "attention (more than 1.5 times the RNN's FLOPs)": "注意力（超过 RNN FLOPs 的 1.5 倍）",
    "Measured at T = {T}, D = {D}: the RNN {rnn} FLOPs, attention {att}, {ratio} times as many (a ratio within 1.5 "
    "counts as the same).":
        "T = {T}、D = {D} 时的测量结果：RNN {rnn} FLOPs，注意力 {att}，是前者的 {ratio} 倍（比值在 1.5 倍以内算作一样"
        "）。",
    "The T² terms are small at short lengths, but attention's four D x D projections cost 8·T·D², twice the RNN's "
    "two products: attention is not the cheaper layer. What it buys is depth, not work.":
        "在短序列上 T² 项很小，但注意力的四个 D x D 投影要花 8·T·D²，是 RNN 两次乘法的两倍：注意力并不是更便宜的那一"
        "层。它换来的是深度，而不是工作量。",
    "The RNN's depth grows by a few operations per position. As the sequence grows from 1 to 32 positions, what does "
    "the depth of the causal self-attention layer do?":
        "RNN 的深度每多一个位置就增加几个运算。当序列从 1 个位置增长到 32 个位置时，因果自注意力层的深度会怎样？",
    "it grows in proportion to T, like the RNN's": "像 RNN 一样，与 T 成正比地增长",
    "it grows, but slowly (like log T)": "会增长，但很慢（像 log T）",
    "it stays the same": "保持不变",
    "Measured from T = {T0} to T = {T1}: attention's depth went from {a0} to {a1}, the RNN's from {r0} to {r1} (half "
    "an operation per position or more counts as growing with T).":
        "从 T = {T0} 到 T = {T1} 的测量结果：注意力的深度从 {a0} 变为 {a1}，RNN 的从 {r0} 变为 {r1}（每个位置增加半个"
        "运算或更多，才算随 T 增长）。",
    "Every position goes through the same few operations at the same time; a longer sequence makes each operation "
    "bigger, not the chain longer.":
        "所有位置同时经过同样的几个运算；序列更长，只是让每个运算更大，而不是让运算链更长。",
    "Attention's depth grew here: something in the graph runs position by position.":
        "这里注意力的深度增长了：图中有某个部分在逐个位置地运行。",

    # -- 02 -----------------------------------------------------------------------------------------------------
    "Without attention, the decoder knows the source only through the encoder's summary. Reversing 12 digits, which "
    "output steps will it get right most often?":
        "没有注意力时，解码器（decoder）只能通过编码器（encoder）的摘要来了解源序列。反转 12 个数字时，它在哪些输出步"
        "上答对得最多？",
    "the first ones (they copy the last source digits)": "最前面的几步（复制源序列最后的几个数字）",
    "the middle ones": "中间的几步",
    "the last ones (they copy the first source digits)": "最后面的几步（复制源序列最前的几个数字）",
    "no third of the steps stands out": "没有哪三分之一的输出步特别突出",
    "Measured without attention, share of digits right: {first} over the first third of the output steps, {middle} "
    "over the middle third, {last} over the last third (a third stands out when it leads the next by 0.1 or more).":
        "没有注意力时的测量结果，数字的正确率：输出步的前三分之一为 {first}，中间三分之一为 {middle}，后三分之一为 "
        "{last}（领先第二名 0.1 或以上，才算突出）。",
    "The first outputs copy the last source digits, the ones the forward GRU read just before the summary was taken; "
    "every later output has to be recovered from the same fixed-size vector, and that is where the mistakes are.":
        "最前面的输出复制的是源序列最后的几个数字，也就是正向 GRU 在生成摘要之前刚刚读到的数字；之后的每个输出都必须"
        "从同一个固定大小的向量中恢复出来，错误就出在这里。",
    "The summary kept some digits better than others: the steps that copy the digits it kept least are where the "
    "bottleneck shows.":
        "摘要对某些数字保存得比其他数字好：瓶颈就体现在复制那些保存得最差的数字的输出步上。",
    "The model with attention learned to reverse the digits. On average, what share of an output step's attention "
    "lands on exactly the source digit it copies?":
        "有注意力的模型学会了反转数字。平均而言，一个输出步的注意力有多大比例恰好落在它要复制的那个源数字上？",
    "below 0.2, close to uniform": "低于 0.2，接近均匀",
    "between 0.2 and 0.8": "在 0.2 和 0.8 之间",
    "above 0.8, nearly all of it": "高于 0.8，几乎全部",
    "Measured: {on} of a step's attention on exactly the right source digit, {near} on it or a neighbour, with "
    "{digits} of the digits right (uniform attention: {uniform}; the thresholds are 0.2 and 0.8).":
        "测量结果：一个输出步的注意力有 {on} 恰好落在正确的源数字上，{near} 落在它或它的邻居上，数字的正确率为 "
        "{digits}（均匀注意力为 {uniform}；阈值为 0.2 和 0.8）。",
    "Getting every digit right does not need a one-hot alignment: a bidirectional state also describes the digits "
    "beside it, so weight on a neighbour still carries the right digit.":
        "要把每个数字都答对，并不需要 one-hot 的对齐：双向状态也描述了旁边的数字，所以落在邻居上的权重同样带来了正确"
        "的数字。",
    "The alignment is nearly one-hot: each step reads almost only the digit it copies.":
        "对齐几乎是 one-hot 的：每个输出步几乎只读取它要复制的那个数字。",

    # -- 07 -----------------------------------------------------------------------------------------------------
    "Post-LN normalises the residual stream after every block. Pre-LN normalises too, but only what enters each "
    "block. After 24 blocks, what is the rms of the residual stream with pre-LN?":
        "post-LN 在每个块之后对残差流做归一化。pre-LN 也做归一化，但只归一化进入每个块的输入。经过 24 个块之后，pre-L"
        "N 的残差流的均方根（rms）是多少？",
    "1, like post-LN (within 5%)": "1，和 post-LN 一样（相差 5% 以内）",
    "it grows, but less than without a norm": "会增长，但比不做归一化时增长得少",
    "it grows as much as without a norm (within 5%)": "和不做归一化时增长得一样多（相差 5% 以内）",
    "Measured after {depth} blocks: the stream's rms grew {none}x without a norm, {pre}x with pre-LN and {post}x "
    "with post-LN (within 5% counts as the same).":
        "{depth} 个块之后的测量结果：残差流的均方根在不做归一化时增长为 {none} 倍，pre-LN 为 {pre} 倍，post-LN 为 "
        "{post} 倍（相差 5% 以内算作一样）。",
    "Pre-LN normalises what enters each block, not the stream: every block adds an output of bounded size, so the "
    "stream still grows, only more slowly. That is why a pre-LN model ends with one more norm before its read-out.":
        "pre-LN 归一化的是进入每个块的输入，而不是残差流本身：每个块都往流上加一个大小有界的输出，所以残差流仍会增长"
        "，只是更慢。这就是为什么 pre-LN 模型在读出层之前还要再加一个归一化。",
    "Here pre-LN did not fall between the two: compare the rows of the table above.":
        "这里 pre-LN 并没有落在两者之间：请对照上表的各行。",
    "Twelve encoder layers, at initialisation. Relative to the gradient of its last layer (next to the loss), which "
    "stack keeps more gradient at layer 1, post-LN (the paper's) or pre-LN?":
        "十二个编码器层，处于初始化状态。相对于最后一层（紧挨着损失）的梯度，哪种堆叠在第 1 层保留的梯度更多：post-LN"
        "（论文的做法）还是 pre-LN？",
    "post-LN (the paper's placement)": "post-LN（论文中的放置方式）",
    "pre-LN (the norm first)": "pre-LN（先做归一化）",
    "about the same (within 1.25x)": "差不多（相差 1.25 倍以内）",
    "Measured: layer 1's gradient is {post}x layer {depth}'s in the post-LN stack and {pre}x in the pre-LN stack (a "
    "difference of 1.25x or more counts); without residuals it is {none}x.":
        "测量结果：第 1 层的梯度在 post-LN 堆叠中是第 {depth} 层的 {post} 倍，在 pre-LN 堆叠中是 {pre} 倍（相差 1.25 "
        "倍或以上才算有差别）；没有残差连接时是 {none} 倍。",
    "In post-LN every gradient on its way down passes through each layer's norm, which rescales it; in pre-LN the "
    "residual path is a clean sum from the loss to layer 1, so the first layer hears the loss as loudly as the last. "
    "It is one reason why most deep Transformers since GPT-2 put the norm first.":
        "在 post-LN 中，梯度向下传播时要经过每一层的归一化，并被它重新缩放；在 pre-LN 中，残差通路是从损失直达第 1 层"
        "的干净求和，所以第一层听到的损失和最后一层一样响亮。这也是自 GPT-2 以来，大多数深层 Transformer 都把归一化放"
        "在前面的原因之一。",
    "Here post-LN kept more at layer 1 than pre-LN: at this depth and at initialisation its norms did not yet shrink "
    "the gradient on its way down.":
        "这里 post-LN 在第 1 层保留的梯度比 pre-LN 多：在这个深度、在初始化时，它的归一化还没有让向下传播的梯度变小。",
    "At this depth and at initialisation the two placements keep about as much: the gap between them opens in deeper "
    "stacks and during training.":
        "在这个深度、在初始化时，两种放置方式保留的梯度差不多：它们之间的差距会在更深的堆叠中和训练过程中拉开。",

    # -- 08 -----------------------------------------------------------------------------------------------------
    "above 90%": "高于 90%",
    "between 50% and 90%": "在 50% 和 90% 之间",
    "below 50%": "低于 50%",
    "The LSTM encoder-decoder has more parameters than the Transformer, no attention, and the same seconds of "
    "training. What share of the 10-digit test sequences will it reverse exactly?":
        "LSTM 编码器-解码器的参数比 Transformer 多，没有注意力，训练时间（秒数）相同。它能把多大比例的 10 位测试序列"
        "完全正确地反转？",
    "Measured at {length} digits: the LSTM reversed {lstm} of the test sequences exactly ({tokens} of the digits), "
    "the Transformer {transformer}, each in about {seconds} s (the thresholds are 50% and 90%).":
        "{length} 位数字时的测量结果：LSTM 完全正确地反转了 {lstm} 的测试序列（数字正确率 {tokens}），Transformer 为 "
        "{transformer}，各用约 {seconds} 秒（阈值为 50% 和 90%）。",
    "More parameters do not make up for the bottleneck: every digit must pass through one final state, and a "
    "sequence is exact only if all of its digits are, so a few shaky digits per sequence sink most sequences.":
        "参数更多也弥补不了瓶颈：每个数字都必须经过那一个最终状态，而一个序列只有所有数字都对才算完全正确，所以每个序"
        "列里几个不稳的数字就足以让大多数序列出错。",
    "At this length and budget the LSTM's final state held enough of the source.":
        "在这个长度和预算下，LSTM 的最终状态保存了足够多的源序列信息。",
    "Now half the length: 5 digits, the same recipe and the same time budget. What share of the sequences will the "
    "LSTM reverse exactly?":
        "现在长度减半：5 个数字，同样的配方，同样的时间预算。LSTM 能把多大比例的序列完全正确地反转？",
    "Measured: at {length} digits the LSTM reversed {lstm} of the sequences exactly, the Transformer {transformer}; "
    "the LSTM by length: {by_length} (the thresholds are 50% and 90%).":
        "测量结果：{length} 位数字时，LSTM 完全正确地反转了 {lstm} 的序列，Transformer 为 {transformer}；LSTM 在各长"
        "度上：{by_length}（阈值为 50% 和 90%）。",
    "A short source fits in one final state: the LSTM is not a bad model, its state is a fixed size, and what it "
    "must hold grows with the length.":
        "短的源序列装得进一个最终状态：LSTM 并不是一个差的模型，只是它的状态大小固定，而它要装下的内容随长度增长。",
    "Even this short source was too much for one final state within the same seconds.":
        "在同样的秒数内，即使是这么短的源序列，对一个最终状态来说也太多了。",

    # -- 09 -----------------------------------------------------------------------------------------------------
    "The cache saves recomputing the prefix. Generating 256 tokens instead of 16, how does the cache's speed-up (the "
    "total time without it over the total time with it) change?":
        "缓存省去了重新计算前缀。生成 256 个词元而不是 16 个时，键值缓存（KV cache）带来的加速比（不用缓存的总时间除"
        "以用缓存的总时间）会怎样变化？",
    "it grows with the number of tokens": "随词元数增大",
    "it stays about the same": "基本不变",
    "it falls": "变小",
    "Measured: the time without the cache over the time with it was {s0} for {few} tokens and {s1} for {many} "
    "tokens (a change of {ratio}x or more counts).":
        "测量结果：不用缓存的时间除以用缓存的时间，生成 {few} 个词元时为 {s0}，生成 {many} 个词元时为 {s1}（变化达到 "
        "{ratio} 倍或以上才算有变化）。",
    "Without the cache, token t recomputes all t positions, so the total work grows like n²; with it every token "
    "costs about the same, so the total grows like n. The saving grows with the length, though the fixed cost of "
    "each call keeps it below the ratio of the arithmetic.":
        "不用缓存时，第 t 个词元要重新计算全部 t 个位置，所以总工作量像 n² 那样增长；用缓存时每个词元的代价大致相同，"
        "总量像 n 那样增长。节省随长度增大，不过每次调用的固定开销让它低于计算量之比。",
    "The saving did not grow here: on a small model the fixed cost of each call, the same with and without the "
    "cache, hides the arithmetic the cache saves.":
        "这里节省没有增大：对小模型来说，每次调用的固定开销（用不用缓存都一样）掩盖了缓存省下的计算。",
    "How many bytes of cache does the model of the timing above (2 layers, `D = 64`, float32) keep per position of "
    "one sequence? Answer with a number.":
        "上面计时所用的模型（2 层，`D = 64`，float32）对一个序列的每个位置要保存多少字节的缓存？用一个数作答。",
    "Measured: {bytes} bytes per position and sequence, = 2 (a key and a value) x {layers} layers x {d_model} "
    "numbers x 4 bytes.":
        "测量结果：每个序列的每个位置 {bytes} 字节，= 2（一个键和一个值）x {layers} 层 x {d_model} 个数 x 4 字节。",
    "Every layer keeps its own keys and values, so the cache grows with the depth and the width of the model as well "
    "as with the text: for a large model, this is what limits how many sequences fit in memory at once.":
        "每一层都保存自己的键和值，所以缓存随模型的深度和宽度增长，也随文本增长：对大模型来说，正是它限制了内存中能同"
        "时容纳多少个序列。",
}
