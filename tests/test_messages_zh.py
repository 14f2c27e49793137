"""Check messages in Chinese (issue 30): every message a learner reads has a Chinese text, and no Chinese text
outlives its English.

The English of a message is written where it is used and passed through `course_lib.i18n.tr`; its Chinese sits in
`course_lib/zh/<module>.py`, keyed by that English. A catalog mistake's name and hint are keys as written in
`Mistake(name, impl, hint)`. So a changed English message shows here twice: the new English has no Chinese, and
the old Chinese is an orphan (its key is no current English message).
"""
import ast
import importlib
import math
import os
import pkgutil
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from checking import assert_rejected

from course_lib import i18n, zh
from course_lib.checks import EXERCISES
from course_lib.checks.framework import ModuleExercise, _members

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "course_lib"
CJK = re.compile(r"[\u3400-\u9fff]")


# -- what the English messages are ------------------------------------------------------------------------------------
def _string_constants(tree):
    """Module-level names bound to a string (`NO_GRADIENT = ("..." "...")`), which `tr(NAME)` may pass."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def tr_literals(folders=(PACKAGE,)):
    """{english: "file:line"} for the first argument of every `tr(...)` call (the second of `tr_in(...)` and of
    `translated_error(...)`; the first of `t(...)`, the grader's `functools.partial(tr_in, language)`) that is a
    string literal, or a module-level string constant, in the Python files under `folders` (course_lib/zh aside)."""
    found = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.py")):
            if "zh" in path.relative_to(folder).parts[:1] or ".venv" in path.parts:
                continue
            tree = ast.parse(path.read_text(), str(path))
            constants = _string_constants(tree)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                position = {"tr": 0, "tr_in": 1, "translated_error": 1, "t": 0}.get(name)
                if position is None or len(node.args) <= position:
                    continue
                arg = node.args[position]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    text = arg.value
                elif isinstance(arg, ast.Name) and arg.id in constants:
                    text = constants[arg.id]
                else:
                    continue  # a value (a mistake's name, a members text): its English is counted below
                found.setdefault(text, f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def check_module(exercise):
    """The module of course_lib.checks that defines an exercise (where its cases are made)."""
    return exercise.make_cases.__module__.rsplit(".", 1)[-1]


def catalog_texts():
    """[(check module, exercise, "name" or "hint", english)] for every catalog mistake of every exercise."""
    return [(check_module(exercise), name, kind, text)
            for name, exercise in EXERCISES.items() for m in exercise.mistakes
            for kind, text in (("name", m.name), ("hint", m.hint))]


def members_texts():
    """[(check module, exercise, english)] for each module exercise whose members text is its own (`members=...`);
    the framework's default text is a template of course_lib/zh/framework.py."""
    found = []
    for name, exercise in EXERCISES.items():
        if not isinstance(exercise, ModuleExercise):
            continue
        with torch.random.fork_rng(devices=[]):
            built = exercise.reference(*exercise._tiny_init())
        default = f"the members {', '.join(_members(built.named_parameters()))} of the contract"
        if exercise.members != default:
            found.append((check_module(exercise), name, exercise.members))
    return found


def string_literals(folder):
    """Every string literal of the Python files in `folder` (implicit concatenations joined, as Python joins them)."""
    return {node.value for path in Path(folder).rglob("*.py")
            for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def current_english():
    """Every English text a Chinese one may translate: tr literals (of course_lib and the notebooks' sources),
    catalog names and hints, members texts; and any string of the grader's sources (autograde passes some of its
    texts to `tr_in` through a table or a default value)."""
    texts = set(tr_literals((PACKAGE, REPO / "notebooks" / "src")))
    texts |= {text for *_, text in catalog_texts()}
    texts |= {text for *_, text in members_texts()}
    texts |= string_literals(REPO / "autograde")
    return texts


def zh_modules():
    """{module name: its MESSAGES} for each module of course_lib/zh."""
    return {info.name: importlib.import_module(f"course_lib.zh.{info.name}").MESSAGES
            for info in pkgutil.iter_modules(zh.__path__)}


def fields(text):
    """The `{fields}` of a template, with their format specs and conversions (a set: a text may name one twice)."""
    try:
        return {(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(text)
                if name is not None}
    except ValueError:  # a lone brace: compare the braces themselves
        return set(re.findall(r"\{[^{}]*\}", text))


# -- (a) every catalog mistake has a Chinese name and hint ----------------------------------------------------------
@pytest.mark.parametrize("module", sorted({check_module(e) for e in EXERCISES.values()}))
def test_every_catalog_mistake_has_a_chinese_name_and_hint(module):
    missing = [f"{exercise} ({kind}): {text!r}" for where, exercise, kind, text in catalog_texts()
               if where == module and text not in zh.MESSAGES]
    assert not missing, (f"{len(missing)} catalog texts of course_lib/checks/{module}.py have no Chinese in "
                         f"course_lib/zh/: write them (keyed by the English exactly as written):\n"
                         + "\n".join(missing))


@pytest.mark.parametrize("module", sorted({m for m, *_ in members_texts()}))
def test_every_members_text_of_a_module_exercise_has_chinese(module):
    """A module exercise's own `members=` text is printed (translated) when the learner's parameters do not fit."""
    missing = [f"{exercise}: {text!r}" for where, exercise, text in members_texts()
               if where == module and text not in zh.MESSAGES]
    assert not missing, f"members texts of course_lib/checks/{module}.py with no Chinese:\n" + "\n".join(missing)


# -- (b) every tr literal has Chinese --------------------------------------------------------------------------------
def test_every_message_passed_through_tr_has_chinese():
    missing = [f"{where}: {text!r}" for text, where in tr_literals().items() if text not in zh.MESSAGES]
    assert not missing, f"{len(missing)} messages have no Chinese in course_lib/zh/:\n" + "\n".join(missing)


# -- (c) no Chinese text outlives its English -------------------------------------------------------------------------
def test_no_chinese_text_is_orphaned():
    english = current_english()
    orphans = [f"course_lib/zh/{module}.py: {key!r}" for module, messages in zh_modules().items()
               for key in messages if key not in english]
    assert not orphans, ("these Chinese texts translate English that no longer exists (the English was changed: "
                         "translate the new one and delete the old):\n" + "\n".join(orphans))


def test_no_two_modules_translate_one_english_text_differently():
    """A text shared by two catalogs (a masking mistake's name, a full stop) has one Chinese: course_lib/zh keeps
    the last module's and lists the conflict."""
    assert not zh.CONFLICTS, "\n".join(f"course_lib/zh/{{{modules}}}.py: {english!r}"
                                       for modules, english in zh.CONFLICTS)


# -- (d) each Chinese text keeps its English's fields, and is Chinese ------------------------------------------------
def test_each_chinese_text_keeps_exactly_the_fields_of_its_english():
    wrong = [f"course_lib/zh/{module}.py: {key!r}: {sorted(map(str, fields(key)))} -> "
             f"{sorted(map(str, fields(text)))}"
             for module, messages in zh_modules().items() for key, text in messages.items()
             if fields(key) != fields(text)]
    assert not wrong, "\n".join(wrong)


def test_each_chinese_text_is_written_in_chinese():
    untranslated = [f"course_lib/zh/{module}.py: {key!r}" for module, messages in zh_modules().items()
                    for key, text in messages.items()
                    if re.search(r"[A-Za-z]{2}", re.sub(r"\{[^{}]*\}|`[^`]*`", "", key)) and not CJK.search(text)]
    assert not untranslated, "left in English:\n" + "\n".join(untranslated)


def test_every_chinese_template_fills_in():
    """A template with fields is filled by `str.format`: its Chinese must take the same keyword arguments."""
    for module, messages in zh_modules().items():
        for key, text in messages.items():
            names = {f[0] for f in fields(key) if isinstance(f, tuple)}
            if not names:
                continue
            values = {name: 1.5 for name in names}
            try:
                key.format(**values)
            except (ValueError, KeyError, IndexError):
                continue  # a text looked up as it is (literal braces): never formatted
            text.format(**values)


# -- (e) a check speaks Chinese when asked ---------------------------------------------------------------------------
@pytest.fixture
def chinese():
    """Chinese for this test only (the previous choice is restored afterwards)."""
    with i18n.speaking("zh"):
        yield


@pytest.fixture
def english():
    with i18n.speaking("en"):
        yield


def sdpa_without_scaling(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)  # the 1/sqrt(d_k) forgotten
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights


def sdpa_doubled(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return 2 * weights @ v, weights  # a factor no catalog mistake has


def failure(exercise, impl):
    return assert_rejected(EXERCISES[exercise].check_function(), impl)


def test_a_known_mistake_is_named_in_chinese(chinese):
    error = failure("scaled_dot_product_attention", sdpa_without_scaling)
    mistake = next(m for m in EXERCISES["scaled_dot_product_attention"].mistakes if m.impl is not None
                   and "sqrt" in m.name and "no " in m.name)
    message = str(error)
    assert zh.MESSAGES[mistake.name] in message and zh.MESSAGES[mistake.hint] in message, message
    assert message.startswith("scaled_dot_product_attention：看起来是"), message
    assert "looks like" not in message and "differs from the reference" not in message, message
    assert error.mistake == mistake.name  # the grader's fact stays English, whatever the language
    assert error.exercise == "scaled_dot_product_attention" and not error.not_implemented


def test_a_mistake_no_catalog_knows_gets_a_chinese_diagnosis(chinese, capsys):
    error = failure("scaled_dot_product_attention", sdpa_doubled)
    message = str(error)
    said = i18n.tr("yours is the reference times {factor:.4g} everywhere", factor=2.0)
    assert said in message and CJK.search(said), message
    assert "yours is the reference" not in message and "mismatched elements" not in message, message
    assert error.mistake is None
    assert "测试用例" in message, message  # the case it failed on, in Chinese too
    EXERCISES["scaled_dot_product_attention"].check_function()(EXERCISES["scaled_dot_product_attention"].reference)
    assert capsys.readouterr().out.startswith("\u2714 scaled_dot_product_attention：全部")


def softmax(x, dim=-1):  # the learner's softmax, over the wrong axis (a global, as a notebook cell defines it)
    return torch.softmax(x, dim=0)


def sdpa_on_the_learners_softmax(q, k, v, mask=None):  # right, but built on the learner's failing softmax
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores, dim=-1)
    return weights @ v, weights


def test_a_failing_dependency_is_named_in_chinese_and_in_the_errors_attributes(chinese):
    error = failure("scaled_dot_product_attention", sdpa_on_the_learners_softmax)
    assert error.uses == "softmax" and error.blamed == "softmax", str(error)
    assert "你的 softmax" in str(error) and "uses your" not in str(error), str(error)


# -- (f) COURSE_LANG chooses the default -----------------------------------------------------------------------------
SCRIPT = """
import torch
from course_lib.checks import check_softmax
def softmax(x, dim=-1):
    return torch.exp(x) / torch.exp(x).sum(dim, keepdim=True)
try:
    check_softmax(softmax)
except AssertionError as error:
    print(error)
"""


def run_with(env):
    environ = {k: v for k, v in os.environ.items() if k != "COURSE_LANG"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                            cwd=REPO, env={**environ, **env})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_course_lang_zh_makes_chinese_the_default_and_english_stays_the_default_otherwise():
    chinese, english = run_with({"COURSE_LANG": "zh"}), run_with({})
    assert "softmax：看起来是" in chinese and CJK.search(chinese), chinese
    assert english.startswith("softmax: looks like exp() of the raw scores"), english
    assert not CJK.search(english), english


# -- (g) the error's attributes say in English what its message says in any language --------------------------------
def test_the_errors_attributes_name_the_mistake_the_english_message_names(english):
    """`error.mistake` is the English name of the catalog mistake the message names ("looks like <name>. "), for
    every catalog mistake of notebooks 01-04, so the grader need not parse a message (which may be Chinese).
    autograde.engine.results.MISTAKE reads a prefix of it: the name up to its own first ". ", if it has one."""
    from autograde.engine.results import MISTAKE

    mine = ("sequence_models", "classic_attention", "self_attention", "multi_head_attention")
    for name, exercise in EXERCISES.items():
        if check_module(exercise) not in mine:
            continue
        for m in exercise.mistakes:
            error = failure(name, m.impl)
            message = str(error)
            assert error.not_implemented is False and error.uses is None, message
            if error.mistake is None:
                assert "looks like" not in message, message
                continue
            assert message.startswith(f"{name}: looks like {error.mistake}"), message
            assert m.name in error.mistake.split(" or ") or error.mistake.startswith(m.name + " or ") \
                or f" or {m.name} (" in error.mistake or error.mistake.startswith(m.name), message
            assert error.mistake.startswith(MISTAKE.search(message + " ").group(1)), message


def test_an_unfinished_exercise_says_so_in_its_attributes(chinese):
    def softmax(x, dim=-1):
        raise NotImplementedError()

    error = failure("softmax", softmax)
    assert error.not_implemented is True and error.mistake is None
    assert "尚未实现" in str(error) and "not implemented" not in str(error)


def test_a_mistake_recorded_in_english_is_named_in_a_chinese_student_environment(chinese, monkeypatch):
    """The student environment compares the learner's run with the catalog's runs recorded at build time, in the
    language of the build. A mistake that shows as one of the course's own errors (a module without the bias the
    check's weights need) is still named when the learner reads Chinese: errors compare by their English."""
    from course_lib.checks import _recorded
    from course_lib.checks.framework import REGISTRY

    exercise = EXERCISES["MultiHeadAttention"]
    with i18n.speaking("en"):
        recording = _recorded.record(exercise)
    assert any(m["name"] == "projections without bias" for m in recording["mistakes"])
    monkeypatch.setitem(REGISTRY, "MultiHeadAttention", exercise)  # `rebuild` registers the replayed exercise
    replayed = _recorded.rebuild(recording)
    no_bias = next(m.impl for m in exercise.mistakes if m.name == "projections without bias")
    raised = assert_rejected(replayed.check, no_bias, quiet=True, names=zh.MESSAGES["projections without bias"])
    assert raised.mistake == "projections without bias", str(raised)


def test_the_graders_worker_answers_in_the_language_a_run_asks_for(english):
    """A run request's `language` is the language of the sentences the worker puts together (a diagnosis of the
    learner's line), whatever the worker's own: the grader can grade a Chinese notebook with an English worker."""
    import base64
    import io
    import json
    import pickle

    from course_lib.checks._trusted import serve

    source = "def softmax(x, dim=-1):\n    return x.view(-1, 7)\n"  # a view that cannot be
    case = EXERCISES["softmax"].cases(0)[0]
    run = {"op": "run", "exercise": "softmax", "impl": "softmax", "what": "explain", "strict": False,
           "case": base64.b64encode(pickle.dumps(case)).decode(),
           "options": base64.b64encode(pickle.dumps({})).decode()}
    requests = [json.dumps({"op": "exec", "source": source, "label": "<cell>"})]
    requests += [json.dumps({**run, "language": language}) for language in ("zh", "en")] + [json.dumps(run)]
    replies = io.StringIO()
    serve(requests, replies)
    said = [json.loads(line)["result"]["v"] for line in replies.getvalue().splitlines()[1:]]
    assert said[0].startswith("你的 `softmax` 的第 2 行") and CJK.search(said[0]), said
    assert said[1].startswith("line 2 of your `softmax`") and said[2] == said[1], said
    assert i18n.language() == "en"
