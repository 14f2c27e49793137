"""The Chinese texts of every message the course prints, keyed by the English text each one translates.

One module per English source: `framework` (the check framework's diagnoses), one per notebook's checks
(their catalog of mistakes: names and hints), `experiments` (measured conclusions and what ran). Each holds
`MESSAGES = {english: chinese}`. A Chinese text keeps the English's `{name}` fields, and uses the glossary of
README.zh-CN.md (词元, 查询/键/值, 掩码, ...). `tests/test_translations.py` fails on an English message with no
Chinese and on a Chinese text whose English no longer exists (it was changed: translate the new one).
"""
import importlib
import pkgutil

CONFLICTS = []  # (module, english) translated differently by two modules: tests/test_messages_zh.py names them


def _load():
    merged, source = {}, {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for english, chinese in module.MESSAGES.items():
            if english in merged and merged[english] != chinese:
                CONFLICTS.append((f"{source[english]} and {info.name}", english))
            merged[english], source[english] = chinese, info.name
    return merged


MESSAGES = _load()
