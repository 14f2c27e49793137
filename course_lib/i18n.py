"""The language of what the course tells a learner: `set_language("zh")` or `set_language("en")`.

Every message a learner reads (a check's ✔ line, a catalog mistake's name and hint, a diagnosis, a measured
conclusion) is written in English where it is used and passed through `tr`. `tr` returns the text of the current
language: English as written, or its Chinese from `course_lib/zh/` (one place for the Chinese texts, keyed by the
English they translate, so a changed English message has no Chinese until someone writes it, and
`tests/test_translations.py` names it).

The default is the environment variable `COURSE_LANG` (`zh` or `en`; not `LANG`, which is the locale), else the
language a student environment was built for (`python -m autograde student-env --lang zh`), else English.
"""
import functools
import os

LANGUAGES = ("en", "zh")
_ALIASES = {"en": "en", "english": "en", "zh": "zh", "zh-cn": "zh", "zh_cn": "zh", "zh-hans": "zh", "cn": "zh",
            "chinese": "zh", "中文": "zh"}
_chosen = None  # set_language's choice; None: COURSE_LANG's, else the package's default, else English
DEFAULT_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "default_language.txt")  # student-env --lang


@functools.lru_cache(maxsize=None)
def _package_default():
    try:
        with open(DEFAULT_FILE, encoding="utf-8") as f:
            return _normalise(f.read(), strict=False)
    except OSError:
        return None


def _normalise(name, strict):
    value = str(name).strip().lower().replace("_", "-")
    language = _ALIASES.get(value) or ("zh" if value.startswith("zh-") else "en" if value.startswith("en-") else None)
    if language is None and strict:
        raise ValueError(f"unknown language {name!r}: use 'en' (English) or 'zh' (中文, Simplified Chinese)")
    return language


def set_language(name):
    """Choose the language of every message the course prints from now on: "en" or "zh" (which also gives
    matplotlib a font with Chinese glyphs, `course_lib.fonts`)."""
    global _chosen
    _chosen = _normalise(name, strict=True)
    if _chosen == "zh":
        from .fonts import use_cjk_font

        use_cjk_font()
    return _chosen


def from_environment():
    """COURSE_LANG's language ("zh" for zh, zh_CN, zh_CN.UTF-8, ...), else "en": the default of the commands'
    --lang, as `make lab COURSE_LANG=zh` expects."""
    return _normalise(os.environ.get("COURSE_LANG", ""), strict=False) or "en"


def language():
    """The language messages are printed in now: set_language's choice, else COURSE_LANG's, else the default a
    student environment was built with (`student-env --lang`), else "en"."""
    return (_chosen or _normalise(os.environ.get("COURSE_LANG", ""), strict=False) or _package_default()
            or "en")


def catalog(name):
    """The texts of language `name`, keyed by the English they translate (empty for English)."""
    if name == "en":
        return {}
    from .zh import MESSAGES  # imported on first use: English learners never load it

    return MESSAGES


def tr(english, /, **values):
    """`english` in the current language, with `values` filled into its `{name}` fields (only when given)."""
    return tr_in(language(), english, **values)


def tr_in(name, english, /, **values):
    """`english` in language `name`, whatever the current one."""
    text = catalog(name).get(english, english)
    return text.format(**values) if values else text


class speaking:
    """`with speaking("zh"):` messages in that language inside the block, the previous choice after it (the grader
    decides each submission's hidden verdicts in the language of the notebook handed in)."""

    def __init__(self, name):
        self.name = _normalise(name, strict=False) or "en"

    def __enter__(self):
        global _chosen
        self.before, _chosen = _chosen, self.name
        return self.name

    def __exit__(self, *exc):
        global _chosen
        _chosen = self.before
        return False


def notebook_language(nb):
    """The language a notebook (a dict or nbformat node) says it is written in: its `course.language`, else "en"."""
    meta = (nb.get("metadata") or {}) if isinstance(nb, dict) else {}
    found = (meta.get("course") or {}).get("language") if isinstance(meta.get("course"), dict) else None
    return found if found in LANGUAGES else "en"
