"""One source, two languages: every passage of every notebook has its Chinese, none follows an older English, and
the two editions run the same code."""
import importlib.util

import build
import nbformat
import pytest

from autograde.gradebook import course

STEMS = course.assignments()
ZH = course.NOTEBOOKS / "zh"


@pytest.mark.parametrize("stem", STEMS)
def test_every_passage_has_its_chinese_and_none_is_stale(stem):
    problems = build.stale(stem)
    assert not problems, f"{stem}: " + "; ".join(
        f"{where}: {why} (the English's stamp is now of={now!r}: translate it again, then write that stamp)"
        for where, why, now in problems)


@pytest.mark.parametrize("stem", STEMS)
def test_the_two_editions_run_the_same_code(stem):
    """Comments and strings aside (an f-string's expressions kept), every cell's code is the same in both."""
    assert build.differing_code(stem) == []


@pytest.mark.parametrize("stem", STEMS)
def test_the_committed_chinese_notebook_equals_a_fresh_build(stem):
    fresh = build.build(stem, "zh")
    committed = nbformat.read(ZH / f"{stem}.ipynb", as_version=4)
    assert [(c.cell_type, c.source, c.metadata) for c in committed.cells] == [
        (c.cell_type, c.source, c.metadata) for c in fresh.cells
    ], f"notebooks/zh/{stem}.ipynb differs from notebooks/src/{stem}.py; run `make notebooks`"
    assert committed.metadata["course"] == {"language": "zh"}
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"zh/{stem}: cell {cell.id} has outputs"


@pytest.mark.parametrize("stem", STEMS)
def test_the_chinese_edition_chooses_chinese_messages_and_never_translates_the_name_transformer(stem):
    nb = nbformat.read(ZH / f"{stem}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "变压器" not in text
    language_cell = next(c for c in nb.cells if "set_language(" in c.source)
    assert 'set_language("zh")' in language_cell.source
    assert nb.cells.index(language_cell) < next(i for i, c in enumerate(nb.cells)
                                                if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")


def _load_copy(tmp_path, stem, edit):
    """The builder of `stem`, copied and edited by `edit(source) -> source`, loaded as build.load loads it."""
    copy = tmp_path / f"{stem}.py"
    copy.write_text(edit((build.HERE / "src" / f"{stem}.py").read_text()))
    start = len(build.author.PASSAGES)
    spec = importlib.util.spec_from_file_location(f"edited_{stem}", copy)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, build.author.PASSAGES[start:]


def test_a_changed_english_passage_is_named_stale_with_its_file_and_line(tmp_path):
    """The test of the test: change one English word of 03's introduction and the passage is stale."""
    source = (build.HERE / "src" / "03_self_attention.py").read_text()
    assert "soft dictionary look-up" in source
    _, before = _load_copy(tmp_path, "03_self_attention", lambda s: s)
    assert not [p for p in before if p.stale]
    _, after = _load_copy(tmp_path, "03_self_attention",
                          lambda s: s.replace("soft dictionary look-up", "soft dictionary lookup", 1))
    stale = [p for p in after if p.stale]
    assert len(stale) == 1 and stale[0].where.startswith("03_self_attention.py:"), stale
    assert "soft dictionary lookup" in stale[0].en


def test_a_prose_cell_in_one_language_only_stops_the_chinese_build(tmp_path):
    module, _ = _load_copy(tmp_path, "03_self_attention",
                           lambda s: s.replace("        markdown(INTRO),", '        markdown("English only"),', 1))
    previous, build.author.EDITION = build.author.EDITION, "zh"
    try:
        with pytest.raises(ValueError, match="one language only"):
            module.build()
    finally:
        build.author.EDITION = previous


def test_different_code_in_the_chinese_edition_is_caught():
    same = build.skeleton('x = f(a)  # why\nprint(f"{x:.2f} of {n}", "done")')
    assert build.skeleton('x = f(a)  # 为什么\nprint(f"{n} 中的 {x:.1f}", "完成")') == same
    assert build.skeleton('x = f(b)  # 为什么\nprint(f"{n} 中的 {x:.1f}", "完成")') != same
    assert build.skeleton('x = f(a)\nprint(f"{n} 中的 {x + 1}", "完成")') != same


def test_read_only_cells_are_the_same_bytes_in_both_editions():
    for stem in STEMS:
        en = nbformat.read(course.NOTEBOOKS / f"{stem}.ipynb", as_version=4)
        zh = nbformat.read(ZH / f"{stem}.ipynb", as_version=4)
        for a, b in zip(en.cells, zh.cells, strict=True):
            if a.metadata.get("nbgrader"):
                assert (a.source, a.metadata) == (b.source, b.metadata), f"{stem}: {a.id}"


def test_the_chinese_readme_carries_the_glossary_and_the_two_readmes_link_each_other(repo):
    english, chinese = (repo / "README.md").read_text(), (repo / "README.zh-CN.md").read_text()
    assert "README.zh-CN.md" in english.split("\n## ")[0] and "README.md" in chinese.split("\n## ")[0]
    glossary = chinese.split("## 术语表")[1]
    for term in ("词元", "查询", "注意力汇聚", "缩放点积注意力", "多头注意力", "位置编码", "残差连接", "层归一化",
                 "基于位置的前馈网络", "编码器-解码器", "掩码", "键值缓存"):
        assert term in glossary, term
    assert "变压器" not in chinese and "make lab COURSE_LANG=zh" in chinese
    for command in ("release --lang zh", "report --lang zh", "student-env --lang zh"):
        assert command in english and command in chinese, command
