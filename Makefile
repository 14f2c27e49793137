# The README's commands. `make lab` opens the course, `make test` runs every test; both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready
# JupyterLab refuses to run as root (as in a container) unless told it may.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test bench notebooks demo clean

$(READY): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e .
	$(PY) -m ipykernel install --sys-prefix --name transformers-course --display-name "Transformers course (.venv)" >/dev/null
	touch $(READY)

lab: $(READY)  ## student versions into lab/ (never over your work), then JupyterLab on them
	$(PY) -m autograde lab
	$(VENV)/bin/jupyter lab --notebook-dir=lab $(ALLOW_ROOT)

test: $(READY)  ## the whole test suite
	$(PY) -m pytest

bench: $(READY)  ## how fast checks answer and the grader grades, written to benchmarks/RESULTS.md
	$(PY) benchmarks/run.py

notebooks: $(READY)  ## rebuild notebooks/*.ipynb from notebooks/src/*.py
	$(PY) notebooks/build.py

clean:
	rm -rf course .pytest_cache

demo: $(READY)  ## a sample class released, graded, fed back and reported end to end
	$(PY) -m autograde.demo
