"""The shape of a difference in Chinese: course_lib/checks/_difference.py (`difference_shape`'s detectors). A
suffix of `_factor_words` starts with its colon: it is joined to the sentence before it."""

MESSAGES = {
    "yours is the reference times {factor:.4g}": "你的结果是参考实现的 {factor:.4g} 倍",
    "yours is the reference times {factor:.4g} everywhere": "你的结果处处是参考实现的 {factor:.4g} 倍",
    ": a division by sqrt({n}) too many, or a missing multiplication by it?": "：多除了一次 sqrt({n})，还是漏乘了它？",
    ": a multiplication by sqrt({n}) too many, or a missing division by it?": "：多乘了一次 sqrt({n})，还是漏除了它？",
    ": the sign is flipped": "：符号反了",
    ": a division by {n} (= sqrt({square})) too many, or a missing multiplication by it?":
        "：多除了一次 {n}（= sqrt({square})），还是漏乘了它？",
    ": a multiplication by {n} (= sqrt({square})) too many, or a missing division by it?":
        "：多乘了一次 {n}（= sqrt({square})），还是漏除了它？",
    "yours is the reference plus {offset:.4g} everywhere: a constant added or left out?":
        "你的结果处处等于参考实现加上 {offset:.4g}：是多加了一个常数，还是漏了一个常数？",
    "yours is the reference with axes {a} and {b} swapped (a transpose too many or missing?)":
        "你的结果是参考实现交换第 {a} 轴和第 {b} 轴后的样子（多了一次转置，还是漏了一次？）",
    "yours holds the right numbers in the wrong layout: the reference with axes {a} and {b} transposed and reshaped "
    "back (a reshape or view where a transpose was needed, or the reverse)":
        "你的结果数值都对，但排布错了：它是参考实现转置第 {a} 轴和第 {b} 轴、再 reshape 回原形状的样子（该转置的地方"
        "用了 reshape 或 view，或者反过来）",
    "yours holds the right numbers in the wrong layout: transposing axes {a} and {b} and reshaping back gives the "
    "reference (a reshape or view where a transpose was needed)":
        "你的结果数值都对，但排布错了：把它的第 {a} 轴和第 {b} 轴转置、再 reshape 回原形状，就得到参考实现（该转置的"
        "地方用了 reshape 或 view）",
    "yours at index i + 1 of axis {axis} equals the reference at index i: shifted by one along axis {axis} (an "
    "off-by-one slice, or a position counted from 1?)":
        "你的结果在第 {axis} 轴下标 i + 1 处等于参考实现在下标 i 处：沿第 {axis} 轴错开了一位（切片差了一，还是位置"
        "从 1 开始数了？）",
    "yours at index i of axis {axis} equals the reference at index i + 1: shifted by one along axis {axis} (an "
    "off-by-one slice, or a position counted from 1?)":
        "你的结果在第 {axis} 轴下标 i 处等于参考实现在下标 i + 1 处：沿第 {axis} 轴错开了一位（切片差了一，还是位置"
        "从 1 开始数了？）",
    "yours differs only where the mask blocks (masked or padded positions)":
        "你的结果只在掩码屏蔽的地方（被掩码或填充的位置）与参考实现不同",
    "yours differs only at {indices} of axis {axis} (of {size}); elsewhere it agrees":
        "你的结果只在第 {axis} 轴（长度 {size}）中{indices}与参考实现不同，其余位置都一致",
    "index {index}": "下标为 {index} 的位置",
    "indices {first} to {last}": "下标 {first} 到 {last} 的位置",
    "indices {indices}": "下标为 {indices} 的位置",
}
