"""The course as a student sees it: JupyterLab started as `make lab` starts it, driven in Debian's Chromium.

Playwright (pinned in requirements.lock) drives the Chromium that `apt-get install chromium` brings: it never
downloads a browser. Where no Chromium is installed the test is skipped, saying so; `.ci/run` installs it.
Screenshots of each step go to screenshots/ (ignored by git), with the browser's console and the server's log.
"""
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from commandline import autograde

from autograde.engine.notebook import KERNELSPEC

REPO = Path(__file__).resolve().parents[1]
SHOTS = REPO / "screenshots"
ASSIGNMENT = "03_self_attention"
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
WAIT = 120_000  # ms: generous, the test machine is shared and a kernel's first `import torch` is slow

CORRECT_SOFTMAX = """def softmax(x, dim=-1):
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)
"""
CORRECT_ATTENTION = """def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores, dim=-1)
    return weights @ v, weights
"""
UNSCALED_ATTENTION = CORRECT_ATTENTION.replace(" / math.sqrt(q.size(-1))", "")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="browser test skipped: no Chromium on this machine (Debian/Ubuntu: `sudo apt-get install chromium`; "
    ".ci/run installs it). Playwright never downloads a browser here.",
)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _makefile_lab_env(repo):
    """The environment `make lab` gives JupyterLab (its LAB_ENV), with this interpreter's prefix for .venv."""
    line = next(line for line in (repo / "Makefile").read_text().splitlines() if line.startswith("LAB_ENV :="))
    assert "JUPYTER_CONFIG_PATH=$(CURDIR)/lab_config" in line, line
    return {"JUPYTER_CONFIG_PATH": str(repo / "lab_config"), "JUPYTER_PATH": str(Path(sys.prefix) / "share/jupyter")}


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory, repo, released_course):
    """JupyterLab on the released notebook 03, as `make lab` starts it, on a free local port with a token.

    Jupyter's per-user folders are fresh ones (no settings, workspaces or kernels of the machine's user);
    the course's kernel is registered there as the Makefile registers it."""
    tmp = tmp_path_factory.mktemp("browser")
    lab = tmp / "lab"
    lab.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NBGRADER"))}
    env.pop("MPLBACKEND", None)  # conftest sets Agg for the tests; the student's kernel draws inline
    env.update(_makefile_lab_env(repo))
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        IPYTHONDIR=str(tmp / "ipython"),
    )
    # Three slow starts at once: the kernel's registration, the server, and the release of notebook 03.
    kernel = subprocess.Popen(
        [sys.executable, "-m", "ipykernel", "install", "--user", "--name", KERNELSPEC["name"],
         "--display-name", KERNELSPEC["display_name"]],
        env=env, stdout=subprocess.DEVNULL,
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp / "server.log").open("w")
    argv = [str(Path(sys.executable).parent / "jupyter"), "lab", f"--notebook-dir={lab}", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    url = f"http://127.0.0.1:{port}"
    try:
        # `make lab COURSE_LANG=zh` copies the Chinese edition into its own folder: lab-zh/ beside lab/
        autograde("lab", "--lang", "zh", "--lab-dir", lab / "lab-zh", "--course-dir", tmp / "course-zh")
        released_course(tmp / "course", ASSIGNMENT)
        shutil.copy2(tmp / "course" / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", lab)
        assert kernel.wait(120) == 0, "could not register the course's kernel"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "JupyterLab exited:\n" + (tmp / "server.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer in 120 s"
                time.sleep(0.5)
        yield {"url": url, "token": token, "lab": lab, "log": tmp / "server.log"}
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        SHOTS.mkdir(exist_ok=True)
        shutil.copy2(tmp / "server.log", SHOTS / "server.log")


def test_a_student_works_through_notebook_03_in_chromium(lab_server):
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    nb = nbformat.read(lab_server["lab"] / f"{ASSIGNMENT}.ipynb", as_version=4)
    sources = [c.source for c in nb.cells]

    def index(what, predicate):
        found = [i for i, source in enumerate(sources) if predicate(source.strip())]
        assert found, f"notebook {ASSIGNMENT} has no {what} any more: update this test"
        return found[0]

    softmax_cell = index("softmax exercise", lambda s: s.startswith("def softmax("))
    softmax_check = index("softmax check", lambda s: s == "check_softmax(softmax)")
    attention_cell = index("attention exercise", lambda s: s.startswith("def scaled_dot_product_attention("))
    attention_check = index(
        "attention check", lambda s: s == "check_scaled_dot_product_attention(scaled_dot_product_attention)"
    )
    experiment_cell = index("saturation experiment", lambda s: "def saturation(" in s)
    plot_cell = index("saturation plot", lambda s: "plt.subplots" in s)
    assert softmax_check == softmax_cell + 1 and attention_check == attention_cell + 1  # each check right below
    assert "raise NotImplementedError()" in sources[softmax_cell] + sources[attention_cell]
    console, step = [], iter(range(1, 100))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT)
            expect.set_options(timeout=WAIT)
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: console.append(("pageerror", str(e))))

            def shot(name):
                page.screenshot(path=str(SHOTS / f"{next(step):02d}_{name}.png"))

            def cell(i):
                return page.locator(".jp-Notebook .jp-Cell").nth(i)

            def output(i):
                return cell(i).locator(".jp-OutputArea")

            def no_dialog():
                dialogs = page.locator(".jp-Dialog")
                assert dialogs.count() == 0, f"unexpected dialog: {dialogs.first.inner_text()}"

            def type_into(i, code):
                """Replace a cell's code as a student would (select all, paste), then run it and the check below."""
                cell(i).scroll_into_view_if_needed()
                cell(i).locator(".cm-content").click()
                page.keyboard.press("Control+A")
                page.keyboard.insert_text(code)
                page.keyboard.press("Shift+Enter")  # runs the solution cell; the check cell below is selected
                page.keyboard.press("Shift+Enter")  # runs the check

            # 1. The first screen: the notebook, its kernel, no pop-up, no instructor menu.
            page.goto(f"{lab_server['url']}/lab/tree/{ASSIGNMENT}.ipynb?reset&token={lab_server['token']}")
            expect(cell(0)).to_be_visible()
            expect(page.locator(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelName")).to_have_text(
                nb.metadata.kernelspec.display_name
            )
            expect(page.locator(".validate-button")).to_be_visible()
            page.wait_for_timeout(2000)  # pop-ups (news, updates) would have come by now
            shot("opened")
            no_dialog()
            toasts = page.locator(".Toastify__toast")
            assert toasts.count() == 0, f"unexpected notification: {toasts.first.inner_text()}"
            menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
            assert "Nbgrader" not in menus, menus

            # 2. Run All: it stops at the first check, which says the function is not written yet.
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
            page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
            expect(output(softmax_check)).to_contain_text("not implemented yet")
            cell(softmax_check).scroll_into_view_if_needed()
            shot("run_all_not_implemented")

            # 3. A correct softmax and a correct attention pass their checks.
            type_into(softmax_cell, CORRECT_SOFTMAX)
            expect(output(softmax_check)).to_contain_text("✔ softmax")
            type_into(attention_cell, CORRECT_ATTENTION)
            expect(output(attention_check)).to_contain_text("✔ scaled_dot_product_attention")
            cell(attention_check).scroll_into_view_if_needed()
            shot("checks_pass")

            # 4. Attention without the 1/sqrt(d_k) scaling: the check names the mistake.
            type_into(attention_cell, UNSCALED_ATTENTION)
            expect(output(attention_check)).to_contain_text("looks like no 1/sqrt(d_k) scaling")
            cell(attention_check).scroll_into_view_if_needed()
            shot("check_names_the_mistake")

            # 5. Validate (nbgrader's button): the result names what fails.
            no_dialog()
            page.locator(".validate-button").click()
            dialog = page.locator(".jp-Dialog")
            expect(dialog).to_be_visible()
            expect(dialog.locator(".jp-Dialog-header")).to_contain_text("Validat")
            expect(dialog).to_contain_text("scaled_dot_product_attention")
            shot("validate")
            dialog.locator(".jp-Dialog-button").last.click()
            expect(dialog).to_have_count(0)

            # 6. The measured claim: run the experiment and its plot; the figure is drawn.
            cell(experiment_cell).scroll_into_view_if_needed()
            cell(experiment_cell).locator(".cm-content").click()
            for _ in range(experiment_cell, plot_cell + 1):
                page.keyboard.press("Shift+Enter")
            image = output(plot_cell).locator("img")
            expect(image).to_be_visible()
            assert image.evaluate("img => img.complete && img.naturalWidth > 300"), "the plot did not render"
            cell(plot_cell).scroll_into_view_if_needed()
            shot("plot")
            no_dialog()
            server_log = lab_server["log"].read_text()  # before the browser goes, which ends its connections
        finally:
            browser.close()
            (SHOTS / "console.log").write_text("".join(f"{kind}: {text}\n" for kind, text in console))

    errors = [f"{kind}: {text}" for kind, text in console if kind in ("error", "pageerror")]
    assert not errors, "errors in the browser console:\n" + "\n".join(errors)
    warnings = [text for kind, text in console if kind == "warning"]
    assert not warnings, "warnings in the browser console (an extension built for another JupyterLab?):\n" + "\n".join(
        warnings
    )
    assert "Traceback" not in server_log and "Unwritable" not in server_log, server_log[-3000:]


def test_the_chinese_edition_speaks_chinese_in_chromium(lab_server, repo):
    """`make lab COURSE_LANG=zh`: the Chinese notebooks in lab-zh/. Two copies of 03 run with Run All (the path the
    test above takes): one with a mistake, whose check names it in Chinese, and one solved, whose plot renders with
    Chinese labels (no missing glyph: the CJK font)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright

    from autograde.steps.demo import solutions_of, student_notebook

    folder = lab_server["lab"] / "lab-zh"
    assert sorted(p.stem for p in folder.glob("*.ipynb"))[0] == "01_sequence_models"
    released = nbformat.read(folder / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert released.metadata["course"]["language"] == "zh"
    good = solutions_of(nbformat.read(repo / "notebooks" / "zh" / f"{ASSIGNMENT}.ipynb", as_version=4))
    nbformat.write(student_notebook(released, {"softmax": CORRECT_SOFTMAX, "scaled_dot_product_attention":
                                               UNSCALED_ATTENTION}), str(folder / "mistake.ipynb"))
    nbformat.write(student_notebook(released, good), str(folder / "solved.ipynb"))
    sources = [c.source.strip() for c in released.cells]
    attention_check = next(i for i, s in enumerate(sources) if s.startswith("check_scaled_dot_product_attention("))
    plot_cell = next(i for i, s in enumerate(sources) if "plt.subplots" in s)
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT)
            expect.set_options(timeout=WAIT)

            def cell(i):
                return page.locator(".jp-Notebook .jp-Cell").nth(i)

            def run_all(name):
                """Run All once the kernel runs cells: on a busy machine a Run All sent while the new notebook's
                kernel is still connecting runs nothing, so it is sent again until the set-up cell has run."""
                page.goto(f"{lab_server['url']}/lab/tree/lab-zh/{name}.ipynb?reset&token={lab_server['token']}")
                expect(cell(0)).to_contain_text("自注意力")
                tries = []
                for attempt in range(6):
                    try:
                        # What a busy page may leave in the way of the menu: a menu the last try left open, a
                        # dialog (accepted, and named if this fails)
                        page.keyboard.press("Escape")
                        dialogs = page.locator(".jp-Dialog")
                        if dialogs.count():
                            tries.append(f"a dialog: {dialogs.first.inner_text()[:200]!r}")
                            # JupyterLab asks for a kernel when it opens a notebook before it has listed the
                            # kernels (a busy machine): the course's, the one the notebook names
                            choice = dialogs.first.locator("select")
                            if choice.count():
                                choice.select_option(label=released.metadata.kernelspec.display_name, timeout=10_000)
                            dialogs.first.locator(".jp-Dialog-button.jp-mod-accept").click(timeout=10_000)
                        page.locator(".lm-MenuBar-itemLabel", has_text="Run").click(timeout=20_000)
                        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click(timeout=20_000)
                        expect(cell(2).locator(".jp-InputPrompt")).to_contain_text(re.compile(r"\[[0-9*]+\]"),
                                                                                   timeout=20_000)
                        return
                    except (AssertionError, PlaywrightTimeout) as error:
                        tries.append(f"try {attempt + 1}: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
                raise AssertionError(f"Run All ran no cell of the Chinese notebook in six tries: {tries}")

            def shot(at, name):
                cell(at).scroll_into_view_if_needed()
                page.wait_for_timeout(1000)  # the notebook draws the cells it scrolled to
                page.screenshot(path=str(SHOTS / f"{name}.png"))

            run_all("mistake")
            expect(cell(attention_check).locator(".jp-OutputArea")).to_contain_text("没有按 1/sqrt(d_k) 缩放")
            shot(attention_check, "zh_check_names_the_mistake")
            run_all("solved")
            image = cell(plot_cell).locator(".jp-OutputArea img")
            expect(image).to_be_visible()
            assert image.evaluate("img => img.complete && img.naturalWidth > 300"), "the plot did not render"
            assert "Glyph" not in cell(plot_cell).locator(".jp-OutputArea").inner_text()
            shot(plot_cell, "zh_plot")
        except Exception:
            page.screenshot(path=str(SHOTS / "zh_failed.png"))
            raise
        finally:
            browser.close()
