"""Build the source notebooks from `notebooks/src/<stem>.py`, in both languages.

    python notebooks/build.py [STEM ...]      notebooks/<stem>.ipynb (English) and notebooks/zh/<stem>.ipynb
    python notebooks/build.py --stale [STEM]  every passage whose Chinese is missing or follows an older English,
                                              with the stamp (`of=`) the English has now
"""
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "src"))

import author  # noqa: E402

from autograde.engine.notebook import write  # noqa: E402

EDITIONS = {"en": HERE, "zh": HERE / "zh"}  # where each language's instructor notebooks are written


def stems():
    """Every notebook that has a builder, in course order."""
    return sorted(p.stem for p in (HERE / "src").glob("[0-9][0-9]_*.py"))


def load(stem):
    """The builder module of `stem`, freshly executed (its passages are recorded in `author.PASSAGES`)."""
    spec = importlib.util.spec_from_file_location(f"nb_{stem}", HERE / "src" / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(stem, language="en"):
    """The notebook that `notebooks/src/<stem>.py` describes, in `language`."""
    module = load(stem)
    previous, author.EDITION = author.EDITION, language
    try:
        return module.build()
    finally:
        author.EDITION = previous


def passages(stem):
    """The passages of `stem`'s source (and the shared ones of author.py), in the order they are written."""
    start = len(author.PASSAGES)
    load(stem)
    return [author.LANGUAGE_CELL] + author.PASSAGES[start:]


def stale(stem):
    """(where, why, stamp now) for each passage of `stem` whose Chinese is missing or stale."""
    out = []
    for p in passages(stem):
        if p.zh is None:
            out.append((p.where, "no Chinese", author.stamp(p.en)))
        elif p.stale:
            out.append((p.where, f"the English changed since of={p.of!r}", author.stamp(p.en)))
    return out


def skeleton(source):
    """What must be the same in both editions of a code cell: its syntax tree with every string emptied (the
    expressions inside an f-string kept, sorted, since a sentence may put its numbers in another order)."""
    import ast

    class Empty(ast.NodeTransformer):
        def visit_Constant(self, node):
            return ast.Constant("") if isinstance(node.value, str) else node

        def visit_JoinedStr(self, node):
            fields = sorted(ast.dump(self.visit(v.value)) + f"!{v.conversion}"
                            for v in node.values if isinstance(v, ast.FormattedValue))
            return ast.Constant("f:" + "|".join(fields))

    return ast.dump(Empty().visit(ast.parse(source)))


def differing_code(stem):
    """(cell id, why) for each cell whose code differs between the two editions (comments and strings aside)."""
    en, zh = build(stem, "en"), build(stem, "zh")
    if len(en.cells) != len(zh.cells):
        return [("-", f"{len(en.cells)} cells in English, {len(zh.cells)} in Chinese")]
    out = []
    for a, b in zip(en.cells, zh.cells):
        if a.cell_type != b.cell_type or a.metadata != b.metadata:
            out.append((a.id, "a different kind of cell or different nbgrader metadata"))
        elif a.cell_type == "code" and skeleton(a.source) != skeleton(b.source):
            out.append((a.id, "different code (comments and strings aside)"))
        elif a.cell_type == "code" and a.metadata.get("nbgrader", {}).get("locked") and a.source != b.source:
            out.append((a.id, "a read-only cell that differs: it must be the same bytes in both editions"))
    return out


def main(argv):
    if argv[:1] == ["--same-code"]:
        found = [(stem, *d) for stem in argv[1:] or stems() for d in differing_code(stem)]
        for stem, cell, why in found:
            print(f"{stem} {cell}: {why}")
        print("the code is the same in both editions" if not found else f"{len(found)} cells differ")
        return 1 if found else 0
    if argv[:1] == ["--stale"]:
        found = [(stem, *s) for stem in argv[1:] or stems() for s in stale(stem)]
        for stem, where, why, now in found:
            print(f"{stem}  {where}: {why}; the English's stamp is now of={now!r}")
        return 1 if found else 0
    for stem in argv or stems():
        for language, folder in EDITIONS.items():
            try:
                nb = build(stem, language)
            except ValueError as missing:  # a translation not written yet: the English is written all the same
                print(f"NOT written: {folder.relative_to(HERE.parent)}/{stem}.ipynb: {missing}")
                continue
            folder.mkdir(exist_ok=True)
            write(nb, folder / f"{stem}.ipynb")
            print(f"wrote {folder.relative_to(HERE.parent)}/{stem}.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
