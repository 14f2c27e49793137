"""The check framework's messages in Chinese: course_lib/checks/framework.py (the ✔ line, failures, diagnoses, the
masking mistakes every attention exercise shares), and what the harness (_harness.py), the student environment's
recordings (_recorded.py), the plain-data codec (_plain.py) and the grader's worker (_trusted.py) tell a learner.
The framework's other jobs have their own: `errors` (_errors.py), `difference` (_difference.py) and `localise`
(_localise.py).
"""

MESSAGES = {
    # -- framework.py: describing a case, the mismatch report ------------------------------------------------------
    "case '{label}' ({inputs})": "测试用例“{label}”（{inputs}）",
    "on {case}": "出错于{case}",
    "argument {name}": "参数 {name}",
    "parameter {name}": "模块参数 {name}",
    "seeded {members}": "按种子生成的 {members}",
    "{count} / {total} elements differ; first at index {index}: yours {got}, expected {want}":
        "{count} / {total} 个元素不同；第一个在下标 {index} 处：你的是 {got}，应为 {want}",
    "{share:.0%} of your values are NaN where none are expected: are you computing exp() of huge scores, or "
    "-inf - (-inf) on a row where everything is masked?":
        "你的值中有 {share:.0%} 是 NaN，而这里一个 NaN 都不该有：你是不是对很大的分数求了 exp()，或者在整行都被"
        "掩码的行上算了 -inf - (-inf)？",
    "mismatched elements {count} / {total}; greatest difference {greatest:.3g} at index {index} (yours {got:.6g}, "
    "expected {want:.6g})":
        "不一致的元素 {count} / {total}；最大差值 {greatest:.3g}，位于下标 {index}（你的是 {got:.6g}，应为 "
        "{want:.6g}）",

    # -- the tripwire (strict mode: the hidden tests) --------------------------------------------------------------
    "{function} in course_lib/{folder}/{file}": "course_lib/{folder}/{file} 中的 {function}",
    "the profiler was switched off from inside the implementation": "性能分析钩子（profiler）在你的实现内部被关掉了",
    "{name}: your implementation runs the reference solution ({where}); write it yourself":
        "{name}：你的实现运行了参考实现（{where}）；请自己写出来",

    # -- a check's verdict -----------------------------------------------------------------------------------------
    "got None: pass your function or class itself, e.g. check(my_function)":
        "收到的是 None：请传入你的函数或类本身，例如 check(my_function)",
    "this is the reference solution from course_lib.solutions, not your implementation":
        "这是 course_lib.solutions 中的参考实现，不是你自己的实现",
    "\u2714 {name}: all {count} cases match the reference ({checked}).":
        "\u2714 {name}：全部 {count} 个测试用例都与参考实现一致（检查了{checked}）。",
    "shapes, dtypes, values, gradients, inputs untouched": "形状、dtype、数值、梯度，以及输入未被改动",
    "shapes, dtypes, values, inputs untouched": "形状、dtype、数值，以及输入未被改动",
    "{exercise}: {message}": "{exercise}：{message}",
    "your {name} uses your {piece} ({where}), which does not pass its check yet: fix that first.":
        "你的 {name} 用到了你的 {piece}（{where}），而它还没有通过自己的检查：请先修好它。",
    "your {name} uses your {piece}, which does not pass its check yet: fix that first.":
        "你的 {name} 用到了你的 {piece}，而它还没有通过自己的检查：请先修好它。",

    # -- one case: the call, the inputs, the outputs' attributes and values ----------------------------------------
    "not implemented yet: it calls `{function}`, which still raises NotImplementedError; finish that exercise first "
    "(or use torch's version for now)":
        "尚未实现：它调用了 `{function}`，而后者仍会抛出 NotImplementedError；请先完成那个练习（或者暂时用 torch "
        "自带的版本）",
    "not implemented yet (it raises NotImplementedError): replace the `raise NotImplementedError()` line with your "
    "code":
        "尚未实现（它抛出 NotImplementedError）：把 `raise NotImplementedError()` 这一行换成你的代码",
    "raised {error}: {message}": "抛出了 {error}：{message}",
    "your implementation wrote into its input `{name}`; use out-of-place operations (x = x - m, not x -= m or "
    "x.sub_(m))":
        "你的实现改写了它的输入 `{name}`；请使用非原地操作（写 x = x - m，而不是 x -= m 或 x.sub_(m)）",
    "returned {count} value(s), expected {wanted} ({names})": "返回了 {count} 个值，应返回 {wanted} 个（{names}）",
    "`{output}` differs from the reference: {report}": "`{output}` 与参考实现不同：{report}",
    "`{output}` should be a torch.Tensor, got {type}": "`{output}` 应当是 torch.Tensor，却是 {type}",
    "`{output}` has shape {got}, expected {want}": "`{output}` 的形状是 {got}，应为 {want}",
    "`{output}` has dtype {got}, expected {want}": "`{output}` 的 dtype 是 {got}，应为 {want}",

    # -- gradients -------------------------------------------------------------------------------------------------
    "raised {error} once its inputs require gradients: {message}": "输入需要梯度时抛出了 {error}：{message}",
    "`{output}` is detached from its inputs: the values are right, but no gradient can flow back through it, so "
    "nothing before it would learn. Look for `.detach()`, `torch.no_grad()`, `.data`, or a detour through NumPy or "
    "`.item()`.":
        "`{output}` 与它的输入断开了：数值是对的，但梯度无法经它反向传播，它之前的一切都学不到东西。检查有没有 "
        "`.detach()`、`torch.no_grad()`、`.data`，或者绕道 NumPy 或 `.item()` 的地方。",
    "no gradient reaches `{input}` through your implementation, though the values are right: part of the computation "
    "is cut off from it. Look for `.detach()`, `torch.no_grad()` or `.data`.":
        "数值是对的，但没有梯度经你的实现到达 `{input}`：计算中有一部分与它断开了。检查有没有 `.detach()`、"
        "`torch.no_grad()` 或 `.data`。",
    "shape {got}, expected {want}": "形状是 {got}，应为 {want}",
    "the gradient with respect to `{input}` differs from the reference's ({detail}), though the values are right: "
    "part of the computation is cut off from the gradient (`.detach()`, `torch.no_grad()`, `.data`) or replaced by a "
    "constant.":
        "数值是对的，但关于 `{input}` 的梯度与参考实现的不同（{detail}）：计算中有一部分与梯度断开了（`.detach()`、"
        "`torch.no_grad()`、`.data`），或者被换成了常数。",

    # -- when no known mistake matches: the shape of the difference ------------------------------------------------
    "`{agree}` agrees with the reference, `{output}` does not": "`{agree}` 与参考实现一致，`{output}` 却不一致",
    "`{agree}` agree with the reference, `{output}` does not": "`{agree}` 都与参考实现一致，`{output}` 却不一致",
    "{lead}: {shape}": "{lead}：{shape}",
    "in `{output}`, {shape}": "在 `{output}` 中，{shape}",
    "yours gives the reference's result for {moved}: an off-by-one in how you use it?":
        "你的结果与参考实现在 {moved} 时的结果相同：是用它的时候差了一吗？",

    # -- naming the mistake ----------------------------------------------------------------------------------------
    "looks like {mistake}. {hint}": "看起来是“{mistake}”。{hint}",
    "looks like {first} or {second} (these give the same outputs here). {hints}":
        "看起来是“{first}”或“{second}”（它们在这里给出相同的输出）。{hints}",
    "looks like {first} or {second} or {third} (these give the same outputs here). {hints}":
        "看起来是“{first}”“{second}”或“{third}”（它们在这里给出相同的输出）。{hints}",
    " or ": " 或 ",
    "{diagnosis}\n  ({problem})": "{diagnosis}\n  （{problem}）",
    "{hint} ({shape})": "{hint}（{shape}）",

    # -- module exercises: building, weights, train() and eval() ---------------------------------------------------
    "your {name}": "你的 {name}",
    "looks like dropout applied in eval(): two calls on the same input give different outputs. Use nn.Dropout "
    "members (model.eval() switches them off) or F.dropout(x, p, training=self.training).":
        "看起来是在 eval() 中仍然应用了 dropout：对同一个输入调用两次，得到的输出不同。请使用 nn.Dropout 成员"
        "（model.eval() 会关掉它们），或者 F.dropout(x, p, training=self.training)。",
    "raised {error} in train() mode: {message}": "在 train() 模式下抛出了 {error}：{message}",
    # where MultiHeadAttention's dropout sits (course_lib/checks/_harness.py, AttentionDropoutExercise)
    ("in train() the weights your module returns are neither the attention weights nor the dropped weights its "
     "output reads: return the weights the output is computed from."):
        "在 train() 模式下，你的模块返回的权重既不是注意力权重，也不是输出所读取的、经过 dropout 的权重："
        "请返回计算输出时所用的那份权重。",
    ("in train() with dropout={p} your output is not what dropout on the attention weights gives. Drop the attention "
     "weights (B, h, Tq, Tk) themselves, as nn.MultiheadAttention does: weights = self.dropout(weights), then out = "
     "weights @ v, then merge the heads and apply w_o."):
        "在 train() 模式、dropout={p} 时，你的输出不是对注意力权重做 dropout 应得的结果。请像 nn.MultiheadAttention "
        "那样丢弃注意力权重 (B, h, Tq, Tk) 本身：weights = self.dropout(weights)，然后 out = weights @ v，"
        "再合并各头并应用 w_o。",
    # greedy_decode: what reaches decode (course_lib/checks/_harness.py, GreedyExercise)
    ("{diagnosis} At decode call {call} of {calls} (T={positions}), your tgt_mask hides from rows {rows} some of the "
     "tokens they have decoded so far."):
        "{diagnosis}在第 {call} 次（共 {calls} 次）调用 decode 时（T={positions}），你的 tgt_mask 对第 {rows} 行"
        "遮住了它们已经解码出的部分词元。",
    "Apply nn.Dropout where the exercise says (it is a no-op in eval() only).":
        "请在练习指定的位置应用 nn.Dropout（它只在 eval() 中不起作用）。",
    "in train() with dropout={p} your outputs equal the eval() outputs: dropout is never applied.":
        "在 train() 模式、dropout={p} 时，你的输出与 eval() 的输出相同：dropout 从未生效。",
    "in train() with dropout=0 your outputs differ from eval(): something besides dropout depends on the mode. "
    "{problem}":
        "在 train() 模式、dropout=0 时，你的输出与 eval() 的不同：除了 dropout，还有别的东西随模式而变。{problem}",
    "{name}(...) should build an nn.Module, got {type}": "{name}(...) 应当构建一个 nn.Module，却得到了 {type}",
    "the check gives your module its own weights, so it needs {members} and no other parameters; yours has "
    "{parameters} (missing {missing}, unexpected {unexpected})":
        "检查会把自己的权重装进你的模块，所以模块需要{members}，且不能有其他参数；你的模块有 {parameters}"
        "（缺少 {missing}，多出 {unexpected}）",
    "nothing": "无",
    "no parameters": "没有参数",
    "your parameter `{name}` has shape {got}, expected {want}": "你的参数 `{name}` 的形状是 {got}，应为 {want}",
    "the members {names} of the contract": "接口约定中的成员 {names}",

    # -- the masking mistakes every attention exercise shares (masking_mistakes) -----------------------------------
    "the mask ignored": "忽略了掩码",
    "fill the scores where mask is False with float('-inf') before the softmax.":
        "在 softmax 之前，把 mask 为 False 处的分数填成 float('-inf')。",
    "an inverted mask (True taken as blocked)": "掩码取反了（把 True 当成了屏蔽）",
    "in this course True means 'may attend' (as in F.scaled_dot_product_attention): fill where ~mask, not where mask.":
        "本课程中 True 表示“可以关注”（与 F.scaled_dot_product_attention 相同）：应填充 ~mask 处，而不是 mask 处。",
    "the mask applied after the softmax": "在 softmax 之后才应用掩码",
    "zeroing weights after the softmax leaves rows that no longer sum to 1: mask the scores with -inf before the "
    "softmax.":
        "在 softmax 之后把权重置零，各行的和就不再是 1：应在 softmax 之前用 -inf 给分数加掩码。",
    "masked scores set to 0 instead of -inf": "被掩码的分数设成了 0，而不是 -inf",
    "a score of 0 still gets weight exp(0) = 1 after the softmax: use float('-inf').":
        "分数为 0 的位置经过 softmax 仍会得到权重 exp(0) = 1：请用 float('-inf')。",

    # -- _harness.py: ways of calling an implementation, checks a kind of exercise adds ----------------------------
    "the module needs an nn.Embedding member named `embedding` (self.embedding = nn.Embedding(max_len, d_model)), so "
    "its weights can be checked":
        "模块需要一个名为 `embedding` 的 nn.Embedding 成员（self.embedding = nn.Embedding(max_len, d_model)），"
        "检查才能核对它的权重",
    "self.embedding.weight has shape {got}, expected (max_len, d_model) = {want}: one row per position":
        "self.embedding.weight 的形状是 {got}，应为 (max_len, d_model) = {want}：每个位置一行",
    "it should return a Python int (a number of FLOPs), got {type} {value}: keep to integer arithmetic (* and +, or // "
    "if you divide)":
        "它应当返回一个 Python int（FLOPs 数），却返回了 {type} {value}：只用整数运算（* 和 +，要除就用 //）",
    "a leaf tensor (requires_grad=True)": "一个叶子张量（requires_grad=True）",
    "the output of {graph}": "{graph}的输出",
    "the output of {graph} over T={T}": "{graph}在 T={T} 上的输出",
    "a diamond": "一个菱形计算图",
    "an RNN": "一个 RNN",
    "an LSTM cell loop": "一个 LSTM 单元的循环",
    "attention": "注意力",
    "a constant bias added": "一个加上常数偏置的运算",
    "it should return a Python int (a number of operations), got {type} {value}":
        "它应当返回一个 Python int（运算的个数），却返回了 {type} {value}",
    "the values are right, but {graph} took your function {seconds:.2f} s (one visit of every node: {yardstick:.1f} "
    "ms): it seems to walk every path separately, and a recurrence's graph has exponentially many. Remember each "
    "node's depth in a dict once it is known (memoise), so every node is visited once.":
        "数值是对的，但你的函数处理{graph}用了 {seconds:.2f} 秒（每个节点访问一次只需 {yardstick:.1f} 毫秒）：它似乎把"
        "每条路径都单独走了一遍，而循环结构的计算图中路径数是指数级的。每个节点的深度一旦求出就记进字典（记忆化），"
        "这样每个节点只访问一次。",
    "the values are right, but over T=40 positions your output's autograd graph has {ops} operations (the batched "
    "reference: {want}): it still goes through the positions one at a time. Compute every query's scores with one "
    "product q @ k.transpose(-2, -1) and mask the future with a (T, T) boolean matrix.":
        "数值是对的，但在 T=40 个位置上，你的输出的自动求导图有 {ops} 个运算（批量计算的参考实现：{want} 个）：它仍在"
        "逐个位置计算。用一次乘积 q @ k.transpose(-2, -1) 算出所有查询的分数，再用一个 (T, T) 的布尔矩阵给未来的位置"
        "加掩码。",
    "noam_lr should return a float, got {type}": "noam_lr 应当返回一个浮点数，却返回了 {type}",
    "raised {error} while its buffers were read: {message}": "读取它的缓冲区（buffer）时抛出了 {error}：{message}",
    "no attribute `pe`": "没有属性 `pe`",
    "`pe` as a plain attribute ({type})": "普通属性 `pe`（{type}）",
    "none": "无",
    "the values are right, but the positional table is not a buffer named `pe` (your module has {what}; buffers: "
    "{buffers}). Register it in __init__: self.register_buffer(\"pe\", sinusoidal_positional_encoding(max_len, "
    "d_model)): a buffer moves with model.to(device) and belongs to the module, and it is not a parameter, so nothing "
    "trains it.":
        "数值是对的，但位置编码表不是名为 `pe` 的缓冲区（buffer）（你的模块有{what}；缓冲区：{buffers}）。请在 "
        "__init__ 中注册它：self.register_buffer(\"pe\", sinusoidal_positional_encoding(max_len, d_model))。缓冲区"
        "会随 model.to(device) 一起移动、属于模块本身，而且它不是参数，所以不会被训练。",
    "no gradient reaches the model's parameters (your loss is detached from its inputs): is the loss computed under "
    "torch.no_grad() or turned into a number with .item()? The values are right, but training calls loss.backward(), "
    "which needs the tensor F.cross_entropy returns, still attached to the model's graph.":
        "没有梯度到达模型的参数（你的损失与输入断开了）：损失是不是在 torch.no_grad() 下算的，或者用 .item() 变成了"
        "一个数？数值是对的，但训练要调用 loss.backward()，它需要 F.cross_entropy 返回的那个张量，并且仍连在模型的"
        "计算图上。",
    " (yours returned a Python {type}, {value}: return the tensor itself, without .item() or float())":
        "（你的代码返回了 Python {type} {value}：直接返回张量本身，不要用 .item() 或 float()）",
    "raised {error} on a model that counts its calls: {message}": "在一个会记录调用的模型上抛出了 {error}：{message}",
    "with use_cache=False your generate still passes a cache to the model: use_cache=False means the whole sequence, "
    "model(idx), at every step, without a cache (the slow path the notebook times against the cached one).":
        "use_cache=False 时，你的 generate 仍然把缓存传给了模型：use_cache=False 的意思是每一步都不带缓存地输入整个"
        "序列 model(idx)（笔记本拿这条慢路径与带缓存的路径比较耗时）。",
    "with use_cache=True your generate never passes a cache back to the model: it called the model {calls} times on "
    "{fed} positions in all, where {needed} would do (each step runs the whole sequence again, or the cache the model "
    "returns is dropped). Keep what the model returns and feed only the newest token with it: logits, cache = "
    "model(idx[:, -1:], cache).":
        "use_cache=True 时，你的 generate 从不把缓存传回模型：它调用了模型 {calls} 次，一共输入 {fed} 个位置，而 "
        "{needed} 个就够了（每一步都重新计算整个序列，或者丢掉了模型返回的缓存）。保留模型返回的缓存，每次只把最新"
        "的词元连同它一起输入：logits, cache = model(idx[:, -1:], cache)。",
    "with use_cache=True your generate calls the model without a cache at call {call} of {calls}: after the first "
    "call, every call gets the cache the previous call returned.":
        "use_cache=True 时，你的 generate 在 {calls} 次调用中的第 {call} 次没有传入缓存：第一次调用之后，每次调用都"
        "应传入上一次调用返回的缓存。",
    "with use_cache=True your generate passes the model a cache other than the one the previous call returned (call "
    "{call} of {calls}): keep the returned cache, logits, cache = model(..., cache), and pass that one on.":
        "use_cache=True 时，你的 generate 传给模型的缓存不是上一次调用返回的那个（{calls} 次调用中的第 {call} 次）："
        "保留返回的缓存，logits, cache = model(..., cache)，再把它传下去。",
    "with use_cache=True your generate feeds the model {fed} positions in all, where {needed} would do: with the "
    "cache, each call gets only the tokens the cache does not hold yet (the newest one).":
        "use_cache=True 时，你的 generate 一共给模型输入了 {fed} 个位置，而 {needed} 个就够了：有了缓存，每次调用只需"
        "输入缓存里还没有的词元（最新的那个）。",

    # -- _recorded.py: the student environment (no reference solutions) --------------------------------------------
    "this course environment holds no reference solution of {name} (your instructor removed them), so there is "
    "nothing to fall back to: make your {name} pass its check, then run this again":
        "这个课程环境里没有 {name} 的参考实现（你的老师移除了参考实现），所以无法改用它：先让你的 {name} 通过检查，"
        "再重新运行这里",
    "the reference": "参考实现",
    "the mistake '{mistake}'": "错误“{mistake}”",
    "{name}: the student environment holds no recording of {who}'s '{run}' run on case '{case}'; rebuild it with "
    "`python -m autograde student-env`":
        "{name}：学生环境中没有{who}在测试用例“{case}”上的“{run}”运行记录；请用 `python -m autograde student-env` "
        "重新构建",
    "{name}: this course environment records the check's cases for seed {public} only (the seed the notebook's check "
    "cells use), not seed {seed}: call the check without `seed`":
        "{name}：这个课程环境只记录了种子 {public}（笔记本的检查单元格所用的种子）的测试用例，没有种子 {seed} 的："
        "调用检查时不要传 `seed`",

    # -- _trusted.py: the grader's worker --------------------------------------------------------------------------
    "the value is nested too deeply": "值的嵌套层次太深",
    "cannot send a {type}": "无法发送 {type} 类型的值",
    "could not return the result: {error}": "无法返回结果：{error}",
    "{exercise}: cannot grade, the notebook replaced torch functions ({functions}); restart the kernel without that "
    "code":
        "{exercise}：无法评分，笔记本替换了 torch 的函数（{functions}）；去掉那段代码，再重启内核",
}
