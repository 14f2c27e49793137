"""Where a module departs from the reference, in Chinese: course_lib/checks/_localise.py (`CallTree`). The words
of what agrees end with their semicolon: they are joined to the sentence that follows."""

MESSAGES = {
    "first": "第一",
    "second": "第二",
    "third": "第三",
    "fourth": "第四",
    "fifth": "第五",
    "{k}th": "第 {k} ",
    "`{part}` (on its {ordinal} call)": "`{part}`（{ordinal}次调用时）",
    "{parts} agrees with the reference; ": "{parts} 与参考实现一致；",
    "{parts} agree with the reference; ": "{parts} 都与参考实现一致；",
    "the parts it calls agree with the reference; ": "它调用的各部分都与参考实现一致；",
    " (yours passes None, the reference a value)": "（你的代码传入 None，参考实现传入一个值）",
    " (yours passes a value, the reference None)": "（你的代码传入一个值，参考实现传入 None）",
    "check what you pass as queries, keys and values (and which mask)":
        "检查你作为查询、键和值传入的是什么（以及哪个掩码）",
    "check that the cache is passed on to it": "检查缓存有没有传给它",
    "check which mask you pass it": "检查你传给它的是哪个掩码",
    "look at what you compute before it and pass it": "看看你在它之前算出并传给它的东西",
    "the input of {part} differs from the reference's, in {argument}: {hint}.":
        "{part} 的输入与参考实现的不同，差在 {argument}：{hint}。",
    "{part} gets no {arguments} from yours (the reference passes it): {hint}.":
        "你的代码没有给 {part} 传 {arguments}（参考实现传了）：{hint}。",
    "further argument": "更多参数",
    "check the arguments you pass it": "检查你传给它的参数",
    "{part} is called with {count} argument(s), the reference passes {wanted}: check the arguments you pass it.":
        "你调用 {part} 时传了 {count} 个参数，参考实现传了 {wanted} 个：检查你传给它的参数。",
    "It never calls {parts}, which the reference calls.": "它从未调用参考实现调用了的 {parts}。",
    " (the {ordinal} tensor it returns)": "（它返回的{ordinal}个张量）",
    "the input of {part} agrees with the reference's, but its output{which} does not: look inside {part}.":
        "{part} 的输入与参考实现的一致，但它的输出{which}不一致：看看 {part} 内部。",
    "the output{which} of {part} does not: look at how {part} combines them (residual sums, norms, the order of its "
    "steps, what it returns).":
        "但 {part} 的输出{which}不一致：看看 {part} 是怎样把它们组合起来的（残差相加、归一化、各步骤的顺序、返回什么）"
        "。",
    "`{part}` {count} times where the reference calls it {wanted}": "`{part}` {count} 次，而参考实现调用 {wanted} 次",
    "It calls {calls}.": "它调用了 {calls}。",
    "the output of {module} does not: look at how it combines them (residual sums, norms, the order of its steps, what "
    "it returns).":
        "但{module} 的输出不一致：看看它是怎样把它们组合起来的（残差相加、归一化、各步骤的顺序、返回什么）。",
}
