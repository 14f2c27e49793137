"""Plots render Chinese: the Chinese edition's labels find their glyphs, with no missing-glyph warning."""
import subprocess
import sys

FIGURE = """
import io, warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
warnings.simplefilter("error")  # matplotlib's "Glyph ... missing from current font" becomes a failure
{setup}
fig, ax = plt.subplots()
ax.plot([1, 2, 3], [3, 1, 2], label="缩放点积注意力")
ax.set(title="注意力权重随 d_k 的变化", xlabel="键的位置 (position)", ylabel="梯度范数 −1.5")
ax.legend()
fig.savefig(io.BytesIO(), format="png")
print(matplotlib.rcParams["font.family"])
"""


def _draw(setup):
    return subprocess.run([sys.executable, "-c", FIGURE.format(setup=setup)], capture_output=True, text=True,
                          timeout=120)


def test_chinese_labels_draw_without_a_missing_glyph_once_the_language_is_chinese():
    done = _draw("import course_lib; course_lib.set_language('zh')")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Noto Sans CJK SC" in done.stdout


def test_without_the_font_the_same_figure_warns_so_the_test_above_can_fail():
    done = _draw("")
    assert done.returncode != 0 and "missing from" in done.stderr, done.stderr[-2000:]


def test_a_read_only_environment_falls_back_to_the_collection_and_still_has_every_glyph(tmp_path):
    setup = (f"import pathlib, course_lib.fonts as f; "
             f"f.face_path = lambda: pathlib.Path({str(tmp_path / 'ro' / 'x.otf')!r}); "
             f"pathlib.Path({str(tmp_path / 'ro')!r}).mkdir(); pathlib.Path({str(tmp_path / 'ro')!r}).chmod(0o500); "
             f"f.extract = lambda dest=None: (_ for _ in ()).throw(OSError('read-only')); "
             f"import course_lib; course_lib.set_language('zh')")
    done = _draw(setup)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Noto Sans CJK" in done.stdout
