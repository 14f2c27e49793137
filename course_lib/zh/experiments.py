"""What an experiment says about whose code it runs (course_lib/experiments/__init__.py, `yours_or_reference`)."""

MESSAGES = {
    "Using your {name} (it passes its check).": "使用你的 {name}（它通过了检查）。",
    "Your {name} does not pass its check yet, so this runs the course's reference instead ({reason}).":
        "你的 {name} 还没有通过检查，所以这里改为运行课程的参考实现（{reason}）。",
    "Your {name} does not pass its check yet ({reason}), and there is no reference to run instead in this "
    "environment: this experiment needs your {name} to pass its check first.":
        "你的 {name} 还没有通过检查（{reason}），而这个环境里没有可以代替它运行的参考实现：这个实验需要你的 {name} "
        "先通过检查。",
}
