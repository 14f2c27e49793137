"""The grader's words a student reads: the feedback page, `validate` and `submit` (autograde/steps/feedback.py,
autograde/steps/student.py). The instructor's commands speak English. (course_lib never imports autograde: the English
keys are written out here, and tests/test_messages_zh.py holds them equal to the grader's texts.)"""

MESSAGES = {
    # autograde/steps/feedback.py
    "Your submission has not been graded yet: the grader had a problem of its own while running it "
    "(nothing is wrong with your file, and no score was recorded). Your instructor has been told and "
    "will grade it again.":
        "你的提交还没有评分：评分程序在运行它时自己出了问题（你的文件没有任何问题，也没有记录分数）。"
        "老师已经收到通知，会重新评分。",
    "Your submission could not be graded: {why}": "你的提交无法评分：{why}",
    "Score: 0 / {max}. Hand in the notebook file itself (.ipynb), as saved by Jupyter.":
        "得分：0 / {max}。请提交 Jupyter 保存的笔记本文件本身（.ipynb）。",
    "Score: {score} / {max}": "得分：{score} / {max}",
    "{earned} earned, {off} off: {why}": "原得 {earned} 分，扣 {off} 分：{why}",
    "exercise": "练习",
    "points": "分数",
    "result": "结果",
    "passed": "通过",
    "failed": "未通过",
    "no message": "没有信息",
    "This fails because {piece}, which it builds on, fails: fix {piece} first.":
        "它未通过，是因为它所依赖的 {piece} 未通过：请先修正 {piece}。",
    "Failed exercises show the message of the check that failed. Run the check cell below "
    "each exercise in your notebook to see it again while you fix it.":
        "未通过的练习会显示未通过的检查给出的信息。修改时，在笔记本里运行每个练习下方的检查单元格，就能再次看到它。",
    "handed in after the due date": "在截止时间之后提交",
    'Experiments: not run while grading (--experiments skip): only the cells a grade needs ran; your '
    'experiment cells cost and earn nothing here, and a crash in one costs nothing.':
        "实验：评分时没有运行（--experiments skip）：只运行了评分需要的单元格；你的实验单元格在这里既不花时间也不得分，"
        "其中出错也不扣分。",
    'Experiments: run while grading, shrunk to a few steps (--experiments shrunk); no grade depends on '
    'them, and a crash in one costs nothing.':
        "实验：评分时运行了，但缩减为寥寥几步（--experiments shrunk）；没有任何分数依赖它们，其中出错也不扣分。",
    'Experiments: run while grading at full size (--experiments full); no grade depends on them, and a '
    'crash in one costs nothing.':
        "实验：评分时按完整规模运行（--experiments full）；没有任何分数依赖它们，其中出错也不扣分。",
    # autograde/steps/student.py: validate and submit
    "pass": "通过",
    "FAIL": "未通过",
    "note": "注意",
    "{passed} of {total} exercises pass the public checks": "{total} 个练习中有 {passed} 个通过了公开检查",
    "; the hidden tests run only when your notebook is graded": "；隐藏测试只在你的笔记本被评分时运行",
    "hand-in file: {path}": "提交文件：{path}",
    "upload this file where your instructor collects the assignment.": "请把这个文件上传到老师收作业的地方。",
}

MESSAGES.update({
    # autograde/steps/report.py (`report --lang zh`: for an instructor who reads Chinese)
    "wrong": "答错",
    "not attempted": "未作答",
    "students": "学生人数",
    "below half marks; wrong: {which}": "得分不到一半；答错：{which}",
    "{assignment}: scores of {n} submissions": "{assignment}：{n} 份提交的得分",
    "score (out of {top})": "得分（满分 {top}）",
    "{assignment}: who did not pass each exercise": "{assignment}：各练习未通过的人数",
    "# Class report": "# 全班报告",
    "{n} submissions, mean {mean} / {top}, median {median}, {full} full marks, {rejected} not "
    "gradeable (scored 0)":
        "{n} 份提交，平均 {mean} / {top}，中位数 {median}，{full} 份满分，{rejected} 份无法评分（记 0 分）",
    ", {faults} not graded because of a grader fault (no score recorded)":
        "，{faults} 份因评分程序自身的故障未评分（没有记录分数）",
    ".": "。",
    "score distribution": "得分分布",
    "exercises": "练习",
    "| exercise | points | passed | wrong | not attempted | misconceptions named by the checks |":
        "| 练习 | 分值 | 通过 | 答错 | 未作答 | 检查指出的错误理解 |",
    "unrecognised ({n})": "未能识别（{n}）",
    "### Students to look at": "### 需要关注的学生",
    "Nobody: no rejection, no tampering, nobody below half marks with a wrong answer.":
        "没有：没有被拒收的提交，没有篡改，也没有人因答错而得分不到一半。",
    "### Handed in late": "### 迟交",
})
