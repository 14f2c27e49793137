# The README's commands. `make lab` opens the course, `make test` runs every test; both set up .venv first.
# Another Python than python3: `make lab PYTHON=python3.11` (the course needs 3.11).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready
# The Jupyter kernel the notebooks ask for (autograde/engine/notebook.py's KERNELSPEC: a test keeps them equal).
KERNEL_NAME := transformers-course
KERNEL_DISPLAY := Transformers course (Python 3)
# JupyterLab refuses to run as root (as in a container) unless told it may.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
# The student's JupyterLab: lab_config/ turns off the news and update pop-ups and nbgrader's instructor menus
# (the Validate button stays), and this .venv's kernel comes first even if another checkout registered one.
LAB_ENV := JUPYTER_CONFIG_PATH=$(CURDIR)/lab_config JUPYTER_PATH=$(abspath $(VENV))/share/jupyter
LOCK_TOOLS := build/lock-tools
# The edition `make lab` opens: COURSE_LANG=zh (or zh_CN, ...) gives the Chinese notebooks in their own folder, lab-zh/.
LANG_EDITION := $(if $(filter zh%,$(COURSE_LANG)),zh,en)
LAB_DIR := $(if $(filter zh,$(LANG_EDITION)),lab-zh,lab)

.PHONY: lab test bench notebooks demo clean lock kernel

$(READY): pyproject.toml requirements.lock
	@test -x $(PY) || { \
	  $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	    echo "error: the course needs Python 3.11, and '$(PYTHON)' is not it (or is missing):" \
	         "run make with PYTHON=python3.11, or the path of a Python 3.11"; exit 1; }; \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	    echo "error: '$(PYTHON) -m venv' failed; on Debian and Ubuntu install it first: sudo apt install python3.11-venv"; \
	    exit 1; }; }
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m course_lib.fonts >/dev/null  # the Chinese face of Noto Sans CJK, for the Chinese edition's plots
	$(MAKE) --no-print-directory kernel
	touch $(READY)

kernel:  ## register the course's kernel for this .venv: for make lab, and for any Jupyter front end of this user
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL_NAME) --display-name "$(KERNEL_DISPLAY)" >/dev/null
	$(PY) -m ipykernel install --user --name $(KERNEL_NAME) --display-name "$(KERNEL_DISPLAY)" >/dev/null

lab: $(READY)  ## student versions into lab/ (never over your work), then JupyterLab on them; COURSE_LANG=zh: 中文版, in lab-zh/
	$(PY) -m autograde lab --lang $(LANG_EDITION)
	@echo "JupyterLab opens in your browser (or open the http://localhost:8888/lab?token=... address printed below)."
	@echo "Start with 01_sequence_models.ipynb. To stop: Ctrl+C here (twice), or File > Shut Down in JupyterLab."
	$(if $(filter zh,$(LANG_EDITION)),@echo "浏览器会打开 JupyterLab（或打开下面打印的 http://localhost:8888/lab?token=... 地址）。从 01_sequence_models.ipynb 开始。停止：在这里按两次 Ctrl+C。")
	COURSE_LANG=$(LANG_EDITION) $(LAB_ENV) $(VENV)/bin/jupyter lab --notebook-dir=$(LAB_DIR) $(ALLOW_ROOT)

test: $(READY)  ## the whole test suite (tests/test_browser.py needs Debian's chromium: apt-get install chromium)
	$(PY) -m pytest

lock:  ## regenerate requirements.lock from pyproject.toml's pins; `make lock UPGRADE=--upgrade` also takes the newest transitive versions
	test -x $(LOCK_TOOLS)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_TOOLS) && \
	  $(LOCK_TOOLS)/bin/pip install --quiet pip-tools==7.6.2; }
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet --allow-unsafe --strip-extras \
	  --no-emit-find-links --no-emit-index-url $(UPGRADE) --output-file=requirements.lock pyproject.toml
	@# A local wheel's "+cpu" tag is no version PyPI has: keep the plain pin that pyproject.toml has.
	$(LOCK_TOOLS)/bin/python -c "import pathlib, re; p = pathlib.Path('requirements.lock'); \
	  p.write_text(re.sub(r'(?m)^torch==([0-9.]+)\+cpu$$', r'torch==\1', p.read_text()))"

bench: $(READY)  ## how fast checks answer and the grader grades, written to benchmarks/RESULTS.md
	$(PY) benchmarks/run.py

notebooks: $(READY)  ## rebuild notebooks/*.ipynb from notebooks/src/*.py
	$(PY) notebooks/build.py

clean:
	rm -rf course .pytest_cache screenshots

demo: $(READY)  ## a sample class released, graded, fed back and reported end to end
	$(PY) -m autograde.steps.demo
