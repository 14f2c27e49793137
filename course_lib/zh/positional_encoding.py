"""The Chinese names and hints of the known mistakes of notebook 05 (course_lib/checks/positional_encoding.py),
keyed by the English each one translates, in the order the checks list them."""

MESSAGES = {
    "sin and cos swapped (cos on the even dimensions)":
        "sin 与 cos 用反了（偶数维上放的是 cos）",
    ("PE[p, 2i] = sin(...) on the even dimensions 0, 2, 4, ... and PE[p, 2i+1] = cos(...) on the odd ones: position "
     "0 is [0, 1, 0, 1, ...]."):
        ("PE[p, 2i] = sin(...) 放在偶数维 0, 2, 4, ...，PE[p, 2i+1] = cos(...) 放在奇数维："
         "位置 0 的编码是 [0, 1, 0, 1, ...]。"),
    "sines and cosines concatenated in halves ([sin..., cos...]) instead of interleaved":
        "正弦和余弦按前后两半拼接（[sin..., cos...]），而不是交错排列",
    ("put the sines in the even columns and the cosines in the odd ones: pe[:, 0::2] = sin, pe[:, 1::2] = cos (not "
     "torch.cat([sin, cos], dim=-1))."):
        ("正弦放在偶数列，余弦放在奇数列：pe[:, 0::2] = sin，pe[:, 1::2] = cos（不要用 torch.cat([sin, cos], "
         "dim=-1)）。"),
    "the exponent taken per dimension (10000^(j/d) with j the dimension index) instead of per pair":
        "指数按单个维度取（10000^(j/d)，j 为维度下标），而不是按维度对取",
    ("both dimensions of a pair share one frequency: dimension 2i+1 uses the exponent 2i/d, like dimension 2i. Take "
     "the exponents from torch.arange(0, d_model, 2) and use them for sin and cos."):
        ("同一对中的两个维度共用一个频率：第 2i+1 维和第 2i 维一样，用的是指数 2i/d。"
         "用 torch.arange(0, d_model, 2) 得到这些指数，sin 和 cos 都用它们。"),
    "the pair index i in the exponent instead of 2i (10000^(i/d))":
        "指数里用的是维度对的下标 i，而不是 2i（10000^(i/d)）",
    ("the exponent is 2i/d, i = 0 .. d/2 - 1, so it runs from 0 to almost 1: torch.arange(0, d_model, 2) / d_model "
     "gives 2i/d directly."):
        ("指数是 2i/d，i = 0 .. d/2 - 1，所以它从 0 增长到接近 1：torch.arange(0, d_model, 2) / d_model 直接给出 "
         "2i/d。"),
    "the exponent doubled (2·(2i)/d)":
        "指数翻了一倍（2·(2i)/d）",
    "torch.arange(0, d_model, 2) already holds 2i: divide it by d_model without multiplying by 2 again.":
        "torch.arange(0, d_model, 2) 里已经是 2i：直接除以 d_model，不要再乘 2。",
    "the angle multiplied by 10000^(2i/d) instead of divided (the exponent's sign)":
        "角度乘以了 10000^(2i/d)，而不是除以它（指数的符号错了）",
    ("the angle is p / 10000^(2i/d) = p · 10000^(-2i/d): frequencies fall from 1 to about 1/10000. In the exp form "
     "the exponent needs its minus sign: torch.exp(two_i * -(math.log(10000.0) / d_model))."):
        ("角度是 p / 10000^(2i/d) = p · 10000^(-2i/d)：频率从 1 降到约 1/10000。写成 exp 形式时，指数必须带上负号："
         "torch.exp(two_i * -(math.log(10000.0) / d_model))。"),
    "base 1000 instead of 10000":
        "底数用了 1000，而不是 10000",
    "the base of the paper is 10000 (1e4): its longest wavelength is 10000·2π positions.":
        "论文中的底数是 10000（1e4）：最长的波长是 10000·2π 个位置。",
    "the natural log and log10 mixed up (base e^4 instead of 10000)":
        "把自然对数和 log10 弄混了（底数成了 e^4，而不是 10000）",
    ("in the exp form, 10000^(-2i/d) = exp(-2i · ln(10000) / d): use math.log(10000.0), the natural log, not "
     "math.log10 (which gives 4)."):
        ("写成 exp 形式时，10000^(-2i/d) = exp(-2i · ln(10000) / d)：要用自然对数 math.log(10000.0)，"
         "而不是 math.log10（它给出的是 4）。"),
    "an exponent that is always 0 (integer division 2i // d)":
        "指数恒为 0（用了整数除法 2i // d）",
    "2i // d is 0 for every pair, so all pairs get the frequency 1: use true division, 2i / d.":
        "2i // d 对每一对都等于 0，于是所有维度对的频率都是 1：请用真除法 2i / d。",
    "positions counted from 1 instead of 0":
        "位置从 1 开始计数，而不是从 0 开始",
    "the first row is position 0, so PE[0] = [0, 1, 0, 1, ...]: use torch.arange(max_len).":
        "第一行是位置 0，所以 PE[0] = [0, 1, 0, 1, ...]：用 torch.arange(max_len)。",
    "the same vector for every position (the angle misses the position p)":
        "每个位置都得到同一个向量（角度里漏了位置 p）",
    "the angle of row p is p / 10000^(2i/d): multiply by the position, a (max_len, 1) column.":
        "第 p 行的角度是 p / 10000^(2i/d)：要乘以位置，即一个形状为 (max_len, 1) 的列。",
    "the transposed table (d_model, max_len)":
        "表被转置了，形状成了 (d_model, max_len)",
    "one row per position: the shape is (max_len, d_model).":
        "每个位置占一行：形状应为 (max_len, d_model)。",
    "a leading batch dimension (1, max_len, d_model)":
        "前面多了一个批量维度，形状成了 (1, max_len, d_model)",
    "return the table itself, (max_len, d_model); whoever adds it to a batch broadcasts it.":
        "直接返回这张表本身，形状为 (max_len, d_model)；把它加到一个批量上时会自动广播。",
    "a float64 table":
        "表的 dtype 是 float64",
    ("return float32, the dtype of the model's activations: build it with dtype=torch.float32 or end with .float() "
     "(NumPy and math give float64)."):
        ("返回 float32，即模型激活值的 dtype：构造时指定 dtype=torch.float32，"
         "或最后调用 .float()（NumPy 和 math 算出来的是 float64）。"),
    "the position vectors returned without x":
        "只返回了位置向量，没有加上 x",
    "return x + self.embedding(positions): the positions are added to the tokens, not put in place of them.":
        "返回 x + self.embedding(positions)：位置向量是加到词元上的，而不是取代它们。",
    "the whole table added (all max_len rows, not the first T)":
        "加上了整张表（全部 max_len 行，而不是前 T 行）",
    "a sequence of length T = x.size(1) needs the rows 0..T-1: self.embedding(torch.arange(T)).":
        "长度为 T = x.size(1) 的序列需要第 0..T-1 行：self.embedding(torch.arange(T))。",
    "torch.arange(T) gives 0..T-1; rows 1..T run out of the table at T = max_len.":
        "torch.arange(T) 给出的是 0..T-1；如果取第 1..T 行，当 T = max_len 时就超出了表的范围。",
    "the positions taken from the batch axis (x.size(0) instead of x.size(1))":
        "位置取自批量轴（用了 x.size(0)，而不是 x.size(1)）",
    "x is (B, T, d_model): the length is x.size(1) (or B, T, D = x.shape).":
        "x 的形状是 (B, T, d_model)：长度是 x.size(1)（或者写 B, T, D = x.shape）。",
    "positions concatenated to x instead of added":
        "位置向量被拼接到 x 上，而不是与 x 相加",
    "the output keeps the width d_model: add, x + self.embedding(positions).":
        "输出的宽度仍是 d_model：要相加，x + self.embedding(positions)。",
    "x scaled by sqrt(d_model) before the positions are added":
        "加上位置向量之前把 x 乘了 sqrt(d_model)",
    ("the Transformer scales its token embeddings by sqrt(d_model), but that belongs to the token embedding: this "
     "module only adds the position vectors to x as it is."):
        "Transformer 确实会把词元嵌入乘以 sqrt(d_model)，但这一步属于词元嵌入：本模块只把位置向量加到原样的 x 上。",
    "features paired in halves (i, i + D/2), the rotate_half convention":
        "特征按前后两半配对（i, i + D/2），即 rotate_half 的约定",
    ("GPT-NeoX and Hugging Face's LLaMA pair feature i with i + D/2; this course pairs neighbours "
     "(2i, 2i+1), as the RoFormer paper, Meta's LLaMA code and the sinusoidal table do: "
     "x1, x2 = x[..., 0::2], x[..., 1::2]."):
        ("GPT-NeoX 和 Hugging Face 版的 LLaMA 把特征 i 与 i + D/2 配成一对；本课程和 RoFormer 论文、Meta 的 LLaMA "
         "代码以及正弦位置编码表一样，把相邻的 (2i, 2i+1) 配成一对：x1, x2 = x[..., 0::2], x[..., 1::2]。"),
    "the rotated pairs written back in halves ([x1'..., x2'...]) instead of interleaved":
        "旋转后的各对按前后两半写回（[x1'..., x2'...]），而不是交错放回原处",
    ("put each pair back where it came from: torch.stack([r1, r2], dim=-1).flatten(-2), not torch.cat([r1, r2], "
     "dim=-1)."):
        "把每一对放回它原来的位置：torch.stack([r1, r2], dim=-1).flatten(-2)，而不是 torch.cat([r1, r2], dim=-1)。",
    "a rotation the other way (the sign of sin flipped)":
        "旋转方向反了（sin 的符号反了）",
    "rotate by +angle: x1' = x1·cos - x2·sin, x2' = x1·sin + x2·cos.":
        "按 +angle 旋转：x1' = x1·cos - x2·sin，x2' = x1·sin + x2·cos。",
    "`positions` ignored (always 0..T-1)":
        "忽略了 `positions`（总是 0..T-1）",
    "use the positions given; only when positions is None fall back to torch.arange(T).":
        "使用传入的 positions；只有当 positions 为 None 时，才退回到 torch.arange(T)。",
    "the default positions are torch.arange(T): row 0 is not rotated.":
        "默认位置是 torch.arange(T)：第 0 行不旋转。",
    "the pair index i in the exponent instead of 2i (10000^(i/D))":
        "指数里用的是维度对的下标 i，而不是 2i（10000^(i/D)）",
    "the pair (2i, 2i+1) turns at the frequency 10000^(-2i/D), as in the sinusoidal table.":
        "维度对 (2i, 2i+1) 以频率 10000^(-2i/D) 旋转，与正弦位置编码表中的频率相同。",
    "the sinusoidal table added instead of a rotation":
        "加上了正弦位置编码表，而不是做旋转",
    "rotary embeddings rotate each pair by its angle; they do not add anything to x.":
        "旋转位置嵌入把每一对按它的角度旋转；它不往 x 上加任何东西。",
}
