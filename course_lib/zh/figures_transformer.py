"""Notebook 08's figures and progress lines (course_lib/experiments/transformer.py)."""

MESSAGES = {
    "{name}, length {length}": "{name}，长度 {length}",
    "layer {i}, mean of heads": "第 {i} 层，各头的平均",
    "layer {i}, head {h}": "第 {i} 层，头 {h}",
    "source token (key)": "源序列词元（键）",
    "token being predicted (query)": "正在预测的词元（查询）",
    "weight": "权重",
    "sequence length (digits)": "序列长度（数字个数）",
    "exact-sequence accuracy (%)": "整句完全正确率（%）",
    "After the same seconds of training": "训练相同秒数之后",
    "training time (s)": "训练时间（秒）",
    "held-out exact accuracy (%)": "留出集整句正确率（%）",
    "During training (checked every few steps)": "训练过程中（每隔几步检查一次）",
}
