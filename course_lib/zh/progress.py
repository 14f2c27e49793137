"""The Chinese texts of the progress view (course_lib/progress.py and `python -m autograde progress`), keyed by the
English each one translates."""

MESSAGES = {
    # the notebooks' topics: the grid's row labels, as the Chinese notebooks' titles name them
    "Sequence models": "序列模型",
    "Classic attention": "经典注意力",
    "Self-attention": "自注意力",
    "Multi-head attention": "多头注意力",
    "Positional encoding": "位置编码",
    "Parallelism": "并行",
    "Training deep stacks": "训练深层堆叠",
    "The Transformer": "完整的 Transformer",
    "GPT, decoder only": "GPT：仅解码器",
    # the figure
    "Your progress: {headline}": "你的进度：{headline}",
    "{passed} of {total} exercises passed, {failed} failed": "{total} 个练习中已通过 {passed} 个，未通过 {failed} 个",
    "; {answered} of {asked} predictions answered": "；{asked} 个预测中已回答 {answered} 个",
    "{passed} of {total} passed": "{total} 个中通过 {passed} 个",
    "exercises": "练习",
    "predictions": "预测",
    "passed": "通过",
    "failed (the mistake last named beneath)": "未通过（下方是最近一次指出的错误）",
    "not tried": "尚未尝试",
    "prediction answered": "已回答的预测",
    "prediction met, not answered": "见到但未回答的预测",
    "{answered} of {asked} answered": "{asked} 个中已回答 {answered} 个",
    "no prediction yet": "还没有预测",
    "{first} or {second}": "{first}或{second}",
    "{names} (these give the same outputs here)": "{names}（它们在这里给出相同的输出）",
    # the text the command prints
    "predictions {answered}/{asked}": "预测 {answered}/{asked}",
    "\u2714 passed  \u2718 failed (the mistake last named)  \u00b7 not tried":
        "\u2714 通过  \u2718 未通过（括号里是最近一次指出的错误）  \u00b7 尚未尝试",
    "figure: {path}": "图：{path}",
}
