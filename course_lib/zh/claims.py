"""The sentences of course_lib/experiments/claims.py: the machine's load, threads, why a comparison is inconclusive."""

MESSAGES = {
    "other work kept {other:.1f} of {cores} cores busy meanwhile (idle machine)":
        "其间其他任务占用了 {cores} 个核心中的 {other:.1f} 个（机器空闲）",
    "other work kept {other:.1f} of {cores} cores busy meanwhile (busy machine)":
        "其间其他任务占用了 {cores} 个核心中的 {other:.1f} 个（机器繁忙）",
    "the load average says {other:.1f} of {cores} cores busy meanwhile (idle machine)":
        "据平均负载，其间 {cores} 个核心中有 {other:.1f} 个在忙（机器空闲）",
    "the load average says {other:.1f} of {cores} cores busy meanwhile (busy machine)":
        "据平均负载，其间 {cores} 个核心中有 {other:.1f} 个在忙（机器繁忙）",
    "{count} thread ({load})": "{count} 个线程（{load}）",
    "{count} threads ({load})": "{count} 个线程（{load}）",
    "1 thread, not {wanted}: {load}, and threads that wait for each other on a busy machine measure the scheduler "
    "rather than the layer":
        "用 1 个线程，而不是 {wanted} 个：{load}；在繁忙的机器上，线程相互等待，测到的将是调度器而不是这一层",
    "other work used {other:.1f} of the {cores} cores while this ran, so the runs vary more than the difference":
        "运行期间其他任务占用了 {cores} 个核心中的 {other:.1f} 个，所以各次运行之间的波动比两者的差别还大",
    "the runs vary more than the difference, even on this idle machine: the difference is too small to tell":
        "即使在这台空闲的机器上，各次运行之间的波动也比两者的差别大：差别太小，无法判断",
}
