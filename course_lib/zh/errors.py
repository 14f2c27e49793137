"""What a learner reads of an error, in Chinese: course_lib/checks/_errors.py (`translate_error`: a raised error as a
sentence about the learner's line). A hint of `error_hint` has no full stop: `sentence` adds "。"."""

MESSAGES = {
    "line {line} of your `{function}`": "你的 `{function}` 的第 {line} 行",
    "line {line} of your `{function}` ({file})": "你的 `{function}`（{file}）的第 {line} 行",
    "{name} is {shape}": "{name} 是 {shape}",
    "{name} is a tuple of {count} tensors": "{name} 是含 {count} 个张量的元组",
    "{where}, `{line}`, fails ({shapes})": "{where} `{line}` 出错（{shapes}）",
    "{where}, `{line}`, fails": "{where} `{line}` 出错",
    "{where} fails ({shapes})": "{where}出错（{shapes}）",
    "{where} fails": "{where}出错",
    "{failing}: {hint}": "{failing}：{hint}",
    "{failing} with {error}: {message}": "{failing}，抛出 {error}：{message}",
    "{where}, `{line}`: {hint}": "{where} `{line}`：{hint}",
    "{where}: {hint}": "{where}：{hint}",
    ".": "。",
    "it changes in place a tensor that autograd needs for the backward pass: write it out of place (w = w / s, not "
    "w /= s; s = 1 / s, not s.reciprocal_(); x = -x, not x.neg_())":
        "它原地修改了一个自动求导在反向传播中要用到的张量：请改用非原地写法（写 w = w / s，而不是 w /= s；"
        "写 s = 1 / s，而不是 s.reciprocal_()；写 x = -x，而不是 x.neg_()）",
    "a tuple is used where a tensor is expected: an attention returns (output, weights) and a cached module (output, "
    "cache); take the output with [0] or unpack it":
        "在需要张量的地方用了元组：注意力返回 (output, weights)，带缓存的模块返回 (output, cache)；用 [0] 取出输出，"
        "或者解包",
    "a matrix product whose inner sizes differ: is a transpose missing, or the wrong tensor used?":
        "矩阵乘法两边的内侧维度大小不同：是漏了一次转置，还是用错了张量？",
    "two tensors meet whose sizes differ along dimension {dim} ({a} and {b}): is an axis missing (a [:, None]), "
    "transposed, or one tensor the wrong one?":
        "两个在第 {dim} 维上大小不同（{a} 和 {b}）的张量参与了同一运算：是少了一个轴（[:, None]）、做了转置，还是"
        "其中一个张量用错了？",
    "it names an axis the tensor does not have: count its dimensions (tensor.dim())":
        "它用到了张量并没有的轴：数一数张量的维数（tensor.dim()）",
    "a view or reshape asks for sizes whose product is not the number of elements: check the sizes":
        "view 或 reshape 要求的各维大小之积不等于元素个数：检查这些大小",
    "an embedding is looked up with a token id past the end of its table: are these the tokens of another vocabulary "
    "(source for target), or positions past max_len?":
        "查嵌入表时用的词元 id 超出了表的末尾：这些是不是另一个词表的词元（把源序列当成了目标序列），或者位置超过了 "
        "max_len？",
    "an index runs past the end of an axis: check which axis you index and its length":
        "索引超出了某个轴的末尾：检查你索引的是哪个轴，以及它的长度",
    "it unpacks a different number of values than the call returns": "它解包的值的个数与调用返回的个数不同",
}
