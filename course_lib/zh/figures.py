"""What the experiments draw and print: plot titles, axis and legend labels, progress lines, timing tables and the
measured sentences of course_lib/experiments/{sequence_models, classic_attention, multi_head_attention,
positional_encoding, parallelism, training_deep_stacks, gpt}.py and course_lib/train.py.

Result keys ("RNN", "attention", "warm-up", "post-LN", ...) stay English in the code; their Chinese here is only
what a figure or a sentence shows.
"""

MESSAGES = {
    # -- course_lib/train.py: the one line a training run prints ---------------------------------------------------
    "{desc}: {done}/{total} steps in {seconds:.1f} s": "{desc}：{done}/{total} 步，用时 {seconds:.1f} 秒",
    "{desc}: {done} steps in {seconds:.1f} s": "{desc}：{done} 步，用时 {seconds:.1f} 秒",

    # -- shared by several figures and sentences -------------------------------------------------------------------
    ", ": "，",
    ".": "。",
    "attention": "注意力",
    "attention weight": "注意力权重",
    "training step": "训练步数",
    "sequence length T": "序列长度 T",

    # -- 01 sequence models ------------------------------------------------------------------------------------
    "{count} thread": "{count} 个线程",
    "{count} threads": "{count} 个线程",
    "proportional to T": "与 T 成正比",
    "sequence length T (steps)": "序列长度 T（步）",
    "time per sequence (ms)": "每条序列的用时（毫秒）",
    "nn.RNN: time to read one sequence": "nn.RNN：读完一条序列的用时",
    "distance t (steps between the input and the loss)": "距离 t（输入与损失之间相隔的步数）",
    "||d loss_t / d x_0|| (mean over batch)": "||d loss_t / d x_0||（批量上的均值）",
    "Gradient reaching step 0 from the loss at step t": "从第 t 步的损失传回第 0 步的梯度",
    "recall task": "回忆任务",
    "chance (1/{vocab})": "随机猜测（1/{vocab}）",
    "k (steps between the symbol and the question)": "k（符号与提问之间相隔的步数）",
    "test accuracy": "测试准确率",
    "Recall the first of k symbols": "回忆 k 个符号中的第一个",

    # -- 02 classic attention --------------------------------------------------------------------------------
    "with attention": "有注意力",
    "without attention": "无注意力",
    "Learned alignment, averaged over test sequences": "学到的对齐，在测试序列上取平均",
    "One test sequence": "一条测试序列",
    "source position (encoder state)": "源位置（编码器状态）",
    "output step (decoder)": "输出步（解码器）",
    "source position (its digit below)": "源位置（下方是该位置的数字）",
    "output step: digit written": "输出步：写出的数字",

    # -- 04 multi-head attention -----------------------------------------------------------------------------
    "{count} head(s)": "{count} 个头",
    "{label}: head {i}\nlargest weight on t-1: {previous:.0%}, on 0: {first:.0%}":
        "{label}：头 {i}\n最大权重落在 t-1：{previous:.0%}，落在 0：{first:.0%}",
    "key position": "键的位置",
    "query position": "查询的位置",

    # -- 05 positional encoding ------------------------------------------------------------------------------
    "no positions": "无位置信息",
    "sinusoidal positions added": "加上正弦位置编码",
    "position in the shuffled sequence": "打乱后序列中的位置",
    "greatest |difference|": "最大 |差值|",
    "attn(shuffled x) vs shuffled attn(x)": "attn(打乱的 x) 与打乱的 attn(x) 之差",
    "dimension j (pairs of sin, cos; frequency falls to the right)": "维度 j（sin、cos 成对排列；频率从左往右递减）",
    "position p": "位置 p",
    "position q": "位置 q",
    "Sinusoidal positional encoding, {positions} positions x {dimensions} dimensions":
        "正弦位置编码：{positions} 个位置 × {dimensions} 个维度",
    "Dot products between positions": "位置之间的点积",
    "from p = {p}": "从 p = {p} 起",
    "distance k (positions)": "距离 k（位置数）",
    "It depends only on the distance k": "点积只取决于距离 k",
    "column": "列",
    "row": "行",
    "M_k for k = {k}, d_model = {d_model}: a rotation per pair": "k = {k}、d_model = {d_model} 时的 M_k："
    "每对维度一个旋转",
    "your float32 table": "你的 float32 编码表",
    "float32 spacing at the largest angle": "最大角度处 float32 的数值间距",
    "shift k (positions)": "平移量 k（位置数）",
    "greatest |PE[p] @ M_k - PE[p+k]| over p": "所有 p 上最大的 |PE[p] @ M_k - PE[p+k]|",
    "One matrix per shift, the same for every p": "每个平移量一个矩阵，对每个 p 都相同",
    "{name}: test accuracy {accuracy:.1%}": "{name}：测试准确率 {accuracy:.1%}",
    "chance": "随机猜测",
    "batch accuracy ({window}-step mean)": "批量准确率（{window} 步滑动平均）",
    "Which marker comes first? One attention block, three kinds of positions":
        "哪个标记词元在前？一个注意力块，三种位置信息",

    # -- 06 parallelism: figures and the timing table ---------------------------------------------------------
    "forward": "前向",
    "forward+backward": "前向+反向",
    "CPU ({count} threads)": "CPU（{count} 个线程）",
    "on the {device}: median of the runs, in ms, and the middle half of the runs":
        "在 {device} 上：各次运行的中位数（毫秒），括号内是中间一半运行的范围",
    "{mode}:": "{mode}：",
    "{mode}, {device}": "{mode}，{device}",
    "time per sequence (ms): median, range": "每条序列的用时（毫秒）：中位数与范围",
    "{name}, model": "{name}，模型",
    "{name}, measured": "{name}，实测",
    "{cores:,} core": "{cores:,} 个核心",
    "{cores:,} cores": "{cores:,} 个核心",
    "forward time per sequence (ms)": "每条序列的前向用时（毫秒）",

    # -- 06 parallelism: the measured sentences ----------------------------------------------------------------
    "T = {T:>4}: attention does {ratio:4.1f}x the RNN's work": "T = {T:>4}：注意力的计算量是 RNN 的 {ratio:4.1f} 倍",
    "With {whose}, attention does at least {least:.1f}x the RNN's work at every length up to {longest}: its four "
    "projections alone cost 8·T·D², twice the RNN's 4·T·D². Its T² terms (scores and mixing, 4·T²·D) add as much "
    "again as the whole RNN from T = {quadratic} = D on, so the gap grows with T.":
        "按{whose}计算，在不超过 {longest} 的每个长度上，注意力的计算量都至少是 RNN 的 {least:.1f} 倍："
        "单是它的四个投影就要 "
        "8·T·D²，是 RNN 的 4·T·D² 的两倍。从 T = {quadratic} = D 起，它的 T² 项（打分与混合，4·T²·D）又要再加上相当于"
        "整个 RNN 的计算量，所以差距随 T 增大。",
    "faster at {where}": "{where} 时更快",
    "slower at {where}": "{where} 时更慢",
    "inconclusive at {where}": "{where} 时无定论",
    "{mode}: attention against the {rnn}: {spans}": "{mode}：注意力对比 {rnn}：{spans}",
    "; the lines cross between T = {before} and T = {after} on this machine":
        "；在这台机器上，两条曲线在 T = {before} 与 T = {after} 之间相交",
    " ({why})": "（{why}）",
    "From T = {first} to {last} attention's forward time grew {growth:.1f}x (range {low:.1f}-{high:.1f}x) while its "
    "work grew {work:.0f}x: ":
        "从 T = {first} 到 {last}，注意力的前向用时增长为 {growth:.1f} 倍（范围 {low:.1f}-{high:.1f} 倍），"
        "而它的计算量增长为 "
        "{work:.0f} 倍：",
    "it grew far less than the work: most of the time at short lengths is not arithmetic but fixed costs and waiting.":
        "用时的增长远小于计算量的增长：在短序列上，大部分时间花在固定开销和等待上，而不是算术运算上。",
    "it grew about as much as the work: the time follows the work: this machine is busy computing at these lengths.":
        "用时的增长与计算量的增长大致相当：用时跟着计算量走，在这些长度上，这台机器一直忙于计算。",
    "whether it follows the work is inconclusive here: {why}.": "用时是否跟着计算量走，这里无法下结论：{why}。",
    "The {name}'s forward time grew {growth:.1f}x (range {low:.1f}-{high:.1f}x) over the same lengths, {longer}x "
    "longer.":
        "在同样这些长度上（最长是最短的 {longer} 倍），{name} 的前向用时增长为 {growth:.1f} 倍（范围 "
        "{low:.1f}-{high:.1f} 倍）。",
    "The model explains these times within {error:.0%} (relative rms error, at most {limit:.0%} counts as a good fit "
    "here).":
        "这个模型对这些时间的解释误差在 {error:.0%} 以内（相对均方根误差；这里不超过 {limit:.0%} 就算拟合良好）。",
    "The model fits these times poorly: {error:.0%} relative rms error, above the {limit:.0%} this notebook accepts, "
    "so read its extrapolations below as rough. ":
        "这个模型对这些时间拟合得不好：相对均方根误差为 {error:.0%}，超过了本笔记本接受的 {limit:.0%}，"
        "所以下面的外推只能当作粗略的估计。",
    "Other work used {other:.1f} of {cores} cores while the times were taken, and adds time that no model of the "
    "layer can predict.":
        "计时期间其他任务占用了 {cores} 个核心中的 {other:.1f} 个，它们添加的时间是任何关于这一层的模型都无法预测的。",
    "Something besides work and depth costs time here (caches, memory allocation).":
        "这里除了计算量和深度之外，还有别的因素在耗费时间（缓存、内存分配）。",
    "In the model, more cores shrink only the work term; the recurrence's T x L of latency never shrinks, so the more "
    "parallel the machine, the longer the sequences on which attention wins.":
        "在这个模型中，更多的核心只能缩小计算量这一项；循环的 T x L 延迟永远不会缩小，所以机器的并行度越高，"
        "注意力胜出的序列就越长。",
    "Here the fitted model does not move the crossover to longer sequences as cores are added (its latency term is "
    "too small to matter on this machine's numbers), so it cannot show the argument; see the fit's error above.":
        "这里拟合出的模型并没有随着核心增多而把交叉点移向更长的序列（按这台机器的数据，它的延迟项小到无关紧要），"
        "所以它无法展示这个论点；请看上面的拟合误差。",
    "Over {positions} more positions the gradient through attention falls {attention:.0f}x, through the RNN "
    "{rnn:.0e}x: ":
        "距离再增加 {positions} 个位置后，穿过注意力的梯度衰减了 {attention:.0f} 倍，穿过 RNN 的衰减了 {rnn:.0e} 倍：",
    "every key is a single attention step from every query (the fall through attention comes from query t sharing "
    "its weight among t + 1 keys), while the recurrence multiplies one Jacobian per step.":
        "每个键与每个查询之间都只隔一步注意力（穿过注意力的衰减，来自查询 t 把权重分给 t + 1 个键），"
        "而循环每一步都要乘一个雅可比矩阵。",
    "no clear difference here.": "这里没有明显差别。",
    "At random initialisation the gradient through the LSTM falls about as fast as through the RNN: {lstm:.1f} "
    "against {rnn:.1f} orders of magnitude over {positions} positions (they differ when one is {same:.2f}x the other "
    "and at least one order apart).":
        "在随机初始化下，穿过 LSTM 的梯度与穿过 RNN 的梯度衰减得差不多快："
        "在 {positions} 个位置上分别下降 {lstm:.1f} 和 "
        "{rnn:.1f} 个数量级（只有当一个是另一个的 {same:.2f} 倍、且相差至少一个数量级时才算不同）。",
    "At random initialisation the gradient through the LSTM falls faster than through the RNN: {lstm:.1f} against "
    "{rnn:.1f} orders of magnitude over {positions} positions (they differ when one is {same:.2f}x the other and at "
    "least one order apart).":
        "在随机初始化下，穿过 LSTM 的梯度比穿过 RNN 的梯度衰减得更快：在 {positions} 个位置上分别下降 {lstm:.1f} 和 "
        "{rnn:.1f} 个数量级（只有当一个是另一个的 {same:.2f} 倍、且相差至少一个数量级时才算不同）。",
    "At random initialisation the gradient through the LSTM falls more slowly than through the RNN: {lstm:.1f} "
    "against {rnn:.1f} orders of magnitude over {positions} positions (they differ when one is {same:.2f}x the other "
    "and at least one order apart).":
        "在随机初始化下，穿过 LSTM 的梯度比穿过 RNN 的梯度衰减得更慢：在 {positions} 个位置上分别下降 {lstm:.1f} 和 "
        "{rnn:.1f} 个数量级（只有当一个是另一个的 {same:.2f} 倍、且相差至少一个数量级时才算不同）。",
    " An untrained LSTM's forget gates sit near 0.5, so its cell state fades too; the LSTM's advantage comes once "
    "training opens those gates.":
        "未经训练的 LSTM 的遗忘门接近 0.5，所以它的记忆元状态也会逐渐消退；"
        "LSTM 的优势要等训练把这些门打开之后才显现出来。",
    "T = {T:>4}: yours {yours}, fused {fused}: ": "T = {T:>4}：你的 {yours}，融合内核 {fused}：",
    "the fused kernel is {ratio:.1f}x faster (range {low:.1f}-{high:.1f}x)":
        "融合内核快 {ratio:.1f} 倍（范围 {low:.1f}-{high:.1f} 倍）",
    "the fused kernel is slower here ({times:.1f}x your time)": "这里融合内核更慢（用时是你的 {times:.1f} 倍）",
    "no clear difference ({ratio:.1f}x, range {low:.1f}-{high:.1f}x: {why})":
        "没有明显差别（{ratio:.1f} 倍，范围 {low:.1f}-{high:.1f} 倍：{why}）",
    "T = {T:>4}: LSTM {lstm:>9,.0f} tokens/s, attention {attention:>9,.0f} tokens/s: attention {ratio:.1f}x (range "
    "{low:.1f}-{high:.1f}x)":
        "T = {T:>4}：LSTM 每秒 {lstm:>9,.0f} 个词元，注意力每秒 {attention:>9,.0f} 个词元："
        "注意力是 LSTM 的 {ratio:.1f} 倍"
        "（范围 {low:.1f}-{high:.1f} 倍）",
    "Attention's throughput relative to the LSTM goes from {first:.1f}x at T = {first_T} to {last:.1f}x at "
    "T = {last_T}: ":
        "注意力的吞吐量相对于 LSTM，从 T = {first_T} 时的 {first:.1f} 倍变为 T = {last_T} 时的 {last:.1f} 倍：",
    "its advantage falls as T grows here: a batch of 8 gives each LSTM step 8 sequences of independent work, while "
    "attention's work grows as T².":
        "这里它的优势随 T 增大而缩小：大小为 8 的批量让 LSTM 的每一步都有 8 条序列的独立工作可做，"
        "而注意力的计算量按 T² 增长。",
    "its advantage grows with T here: the LSTM's steps, one after the other, cost more the longer the sequence.":
        "这里它的优势随 T 增大而扩大：LSTM 的步骤一步接一步，序列越长，花费越多。",
    "no clear trend (a change counts from {ratio}x with the ranges apart; {why}).":
        "没有明显的趋势（变化达到 {ratio} 倍且范围不重叠才算数；{why}）。",
    "no clear trend (a change counts from {ratio}x with the ranges apart).":
        "没有明显的趋势（变化达到 {ratio} 倍且范围不重叠才算数）。",
    "batched {batched}, loop over the {T} queries {loop}: ": "批量版本 {batched}，逐个遍历 {T} 个查询的循环 {loop}：",
    "the loop takes {ratio:.0f}x the time (range {low:.0f}-{high:.0f}x): it runs {loop_operations} operations, one "
    "after another from Python, where the batched version runs {batched_operations}.":
        "循环的用时是批量版本的 {ratio:.0f} 倍（范围 {low:.0f}-{high:.0f} 倍）：它从 Python 中一个接一个地执行 "
        "{loop_operations} 个运算，而批量版本只执行 {batched_operations} 个。",
    "the loop is faster here, against the count of operations.": "这里循环反而更快，与运算个数所预示的相反。",
    "no clear difference ({why}).": "没有明显差别（{why}）。",

    # -- 07 training deep stacks -----------------------------------------------------------------------------
    "post-LN, no residuals": "post-LN，无残差连接",
    "no norm": "无归一化",
    "input": "输入",
    "warm-up": "有预热",
    "no warm-up": "无预热",
    "Gradient norm per layer at initialisation": "初始化时每一层的梯度范数",
    "layer (1 = next to the input)": "层（1 = 紧挨输入的一层）",
    "gradient norm of the layer's parameters": "该层参数的梯度范数",
    "residual blocks applied": "已经过的残差块数",
    "rms of the residual stream": "残差流的均方根（rms）",
    "Activation scale through depth": "激活值的尺度随深度的变化",
    "learns for every seed ({losses})": "对每个种子都学会了（{losses}）",
    "fails for every seed ({losses})": "对每个种子都失败了（{losses}）",
    "learns for {learned} of {seeds} seeds ({losses})": "在 {seeds} 个种子中对 {learned} 个学会了（{losses}）",
    ", {count} failed run still falling at step {steps}: not learned yet within {steps} steps, rather than stuck":
        "，其中 {count} 次失败的运行到第 {steps} 步时损失仍在下降：只是 {steps} 步内还没学会，而不是卡住了",
    ", {count} failed runs still falling at step {steps}: not learned yet within {steps} steps, rather than stuck":
        "，其中 {count} 次失败的运行到第 {steps} 步时损失仍在下降：只是 {steps} 步内还没学会，而不是卡住了",
    "peak {lr:g}: with warm-up it {with_warmup}; without, it {without}":
        "峰值 {lr:g}：有预热时，{with_warmup}；无预热时，{without}",
    ". Here no warm-up ends lower for every seed: at a peak this safe, the {warmup} warm-up steps only train at a "
    "smaller learning rate":
        "。这里无预热的最终损失对每个种子都更低：峰值这样安全时，那 {warmup} 步预热只是在用更小的学习率训练",
    ". Warm-up ends lower for every seed": "。有预热的最终损失对每个种子都更低",
    ". Neither ends lower for every seed (by {gap} nats or more: warm-up for {warm}, no warm-up for {cold} of "
    "{seeds})":
        "。没有哪一方对每个种子都更低（以低出 {gap} 奈特或更多计：{seeds} 个种子中，有预热更低的有 {warm} 个，"
        "无预热更低的有 {cold} 个）",
    "Warm-up decides it at a peak learning rate of {lrs}: with it the stack learns for all {seeds} seeds, without it "
    "for none, within {steps} steps.":
        "在峰值学习率 {lrs} 下，预热起了决定作用：在 {steps} 步内，有预热时这个堆叠对全部 {seeds} 个种子都学会了，"
        "无预热时一个也没学会。",
    "No peak learning rate tried separates the schedules for all {seeds} seeds (learns with warm-up and fails "
    "without it for every seed).":
        "试过的峰值学习率中，没有一个能在全部 {seeds} 个种子上把两种调度区分开"
        "（即对每个种子都是有预热时学会、无预热时失败）。",
    " At {lrs} the run without warm-up does better: warm-up is a price paid at low learning rates for safety at high "
    "ones.":
        "在 {lrs} 下，无预热的运行反而更好：预热是在低学习率下付出的代价，换来的是高学习率下的安全。",
    "failure line ({threshold})": "失败线（{threshold}）",
    "training loss (nats)": "训练损失（奈特）",
    "peak learning rate {lr:g}, {seeds} seeds": "峰值学习率 {lr:g}，{seeds} 个种子",
    "peak learning rate": "峰值学习率",
    "final training loss (capped at 10)": "最终训练损失（超过 10 的按 10 画）",
    "Final loss, {seeds} seeds per point": "最终损失，每个点 {seeds} 个种子",

    # -- 09 GPT ----------------------------------------------------------------------------------------------
    "training the character GPT": "训练字符级 GPT",
    "without cache: the whole prefix again": "不用缓存：每次重算整个前缀",
    "with cache: only the new token": "用缓存：只算新的词元",
    "position of the generated token": "生成词元的位置",
    "milliseconds for this token": "生成该词元的用时（毫秒）",
    "Work per generated token": "每个生成词元的工作量",
    "cross-entropy (nats per character)": "交叉熵（每个字符的奈特数）",
    "Training the character GPT on the generated sentences": "在生成的句子上训练字符级 GPT",
    # notebook 09: the real text and the heads (issue 31)
    "training the character GPT on Shakespeare": "在莎士比亚文本上训练字符级 GPT",
    "chance: the subject's share of the visible characters": "随机水平：主语在可见字符中所占的比例",
    "L{layer} H{head}": "第{layer}层 头{head}",
    "weight on the subject": "落在主语上的权重",
    "From the verb to its subject: each head's weight": "从动词到它的主语：每个头的权重",
    "key: the character attended to": "键：被注意的字符",
    "query: the character attending": "查询：发出注意的字符",
}
