"""Only the cells a grade needs: which cells of a submission the grading kernel runs (`--experiments`).

A grade comes from the set-up cell, the solution cells, the check cells and the graded test cells (every cell
with nbgrader metadata); the language cell before the set-up (`set_language`) runs too, so that the messages of a
Chinese notebook are Chinese. The other cells are the notebook's demos and experiments: training runs, sweeps and
plots that no grade depends on. Under `--experiments skip` (the default) the kernel runs a plain cell only if
a cell the grade needs reads a name it binds (a helper function a student wrote in a cell of their own, say),
found from the cells' code, transitively; the others are not run and say so in the feedback. `shrunk` runs
every cell with the experiments shrunk (`NBGRADER_EXECUTION` set, as nbgrader always did); `full` runs every
cell at full size. A plain cell that crashes costs nothing in any mode: it holds no points.
"""

from __future__ import annotations

import ast
import os
import time

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbclient.util import run_sync
from traitlets import Enum, Unicode

from autograde.engine.notebook import grade_meta
from autograde.engine.pool import ForkedKernelManager
from autograde.engine.preprocessors import SurviveDeadKernel

MODES = ("skip", "shrunk", "full")
EVERYTHING = "*"  # a cell that may bind any name (a star import, exec, globals())
NOT_RUN = ("not run while grading: no grade depends on this cell (--experiments skip); "
           "it runs as usual in your own notebook\n")


def _python(source):
    """The cell as Python: IPython's magics and shell escapes turned into calls (as the kernel would)."""
    try:
        source = TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - read it as it is
        pass
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def bindings(tree):
    """The global names a cell may bind or change: assignments, imports, definitions, names declared global,
    and the objects whose attributes or items it assigns (`setup.length = 5` changes `setup`)."""
    names = set()

    def visit(node, top):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if top:
                names.add(node.name)
            for inner in ast.walk(node):
                if isinstance(inner, ast.Global):
                    names.update(inner.names)
            for child in node.decorator_list:
                visit(child, top)
            return
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    names.add(EVERYTHING)
                else:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)) and top:
            names.add(node.id)
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root(node)
            if root:
                names.add(root)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "exec", "eval", "globals", "setattr", "vars", "__import__", "get_ipython"):
            names.add(EVERYTHING)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _root(node.func) and \
                node.func.attr in ("update", "append", "extend", "insert", "pop", "clear", "setdefault",
                                   "add", "remove", "__setitem__", "load_state_dict", "copy_", "fill_"):
            names.add(_root(node.func))  # changes an object in place: the object counts as bound here
        for child in ast.iter_child_nodes(node):
            visit(child, top)

    for statement in tree.body:
        visit(statement, True)
    return names


SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
          ast.GeneratorExp)


def reads(tree):
    """Every global name a cell reads, function bodies included (they run when a later cell calls them); a
    function's own parameters and local variables are not globals."""
    return _free(tree.body if isinstance(tree, ast.Module) else [tree], top=True)


def _free(nodes, top=False, bound=()):
    """Names read by `nodes` that the scope does not bind itself (parameters, local assignments)."""
    loads, stores, declared = set(), set(bound), set()
    inner = []

    def visit(node):
        if isinstance(node, SCOPES):
            for child in (node.decorator_list if hasattr(node, "decorator_list") else []):
                visit(child)
            args = getattr(node, "args", None)
            if isinstance(args, ast.arguments):
                for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
                    visit(default)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stores.add(node.name)
            inner.append(node)
            return
        if isinstance(node, ast.ClassDef):
            stores.add(node.name)
            for child in node.bases + node.keywords + node.decorator_list:
                visit(child)
            inner.append(node)
            return
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update(a.asname or a.name.split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for node in nodes:
        visit(node)
    free = set(loads) if top else (loads - stores) | (loads & declared)
    for node in inner:
        free |= _free_inside(node)
    return free if top else free - (stores - declared)


def _free_inside(node):
    """Names an inner scope (a class body, a function, a lambda, a comprehension) reads from outside it."""
    if isinstance(node, ast.ClassDef):
        return _free(node.body, top=False)  # a class body's names are its own; methods see globals
    if isinstance(node, ast.Lambda):
        return _free([node.body], bound=_params(node.args))
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _free(node.body, bound=_params(node.args))
    # a comprehension: its targets are its own
    targets = {n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)}
    parts = [g.iter for g in node.generators] + [c for g in node.generators for c in g.ifs]
    parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    return _free(parts, bound=targets)


def _params(args):
    return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} | {
        a.arg for a in (args.vararg, args.kwarg) if a is not None}


def is_graded_part(cell):
    """A cell the grade needs whatever it reads: it carries nbgrader metadata (set-up, solution, check, test)."""
    return bool(grade_meta(cell).get("grade_id"))


def sets_language(tree):
    """Whether a cell calls `set_language(...)`: the language cell that opens each notebook, which chooses the
    language the checks' messages take in the graded notebook and its feedback (course_lib.i18n)."""
    return any(isinstance(node, ast.Call) and (getattr(node.func, "id", None) == "set_language"
                                               or getattr(node.func, "attr", None) == "set_language")
               for node in ast.walk(tree))


def needed(cells):
    """The indices of the code cells a graded run executes: every cell with nbgrader metadata, every plain cell
    that sets the messages' language, and every plain cell that binds a name a later needed cell reads,
    transitively (walked from the last cell back)."""
    keep, wanted, everything = set(), set(), False
    for index in range(len(cells) - 1, -1, -1):
        cell = cells[index]
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        tree = _python("".join(source) if isinstance(source, list) else source)
        if is_graded_part(cell):
            keep.add(index)
        elif tree is not None:
            binds = bindings(tree)
            if binds & wanted or (EVERYTHING in binds and wanted) or (everything and binds) or sets_language(tree):
                keep.add(index)
            else:
                continue
        else:
            continue
        if tree is not None:
            names = reads(tree)
            wanted |= names
            everything = everything or bool(names & {"globals", "vars", "eval", "exec", "get_ipython"})
    return keep


TIMING = {}  # this process's last graded run: seconds to start the kernel and to run the cells


def timing(total, verdicts):
    """Where a submission's seconds went: the kernel's start-up, the student's cells, the hidden verdicts
    (waiting for the worker included) and the rest (nbgrader's bookkeeping, copies, the gradebook)."""
    start, run = TIMING.get("start", 0.0), TIMING.get("cells", 0.0)
    return {"total": round(total, 3), "startup": round(start, 3), "cells": round(run, 3),
            "verdicts": round(verdicts, 3), "bookkeeping": round(max(0.0, total - start - run - verdicts), 3)}


class GradedCells(SurviveDeadKernel):
    """The grading kernel's executor: `SurviveDeadKernel`, running only the cells `needed` under `experiments`
    "skip" (and every cell under "shrunk" or "full"), on a kernel forked from the grading job's warm template
    when it has one (`autograde.engine.pool`), a cold one otherwise."""

    experiments = Unicode("skip", help="skip | shrunk | full: what the experiment cells do when grading").tag(
        config=True)
    # Every output of the last cell has arrived when it ends: nothing is left for a graceful shutdown to wait
    # for (nbclient's default, about 0.2 s per submission).
    shutdown_kernel = Enum(["graceful", "immediate"], default_value="immediate",
                           help="how the grading kernel is stopped after the last cell").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs["kernel_manager_class"] = ForkedKernelManager  # nbgrader's Execute sets its own: ours replaces it
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._skip = set()
        if self.experiments == "skip":
            keep = needed(nb.cells)
            self._skip = {i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i not in keep}
        TIMING.clear()
        began = time.perf_counter()
        result = super().preprocess(nb, resources, km)
        TIMING["cells"] = time.perf_counter() - began - TIMING.get("start", 0.0)
        result[0].metadata.setdefault("autograde", {})["experiments"] = self.experiments
        return result

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        # (nbclient's execute_cell wraps its own async_execute_cell: this one is the method every caller uses,
        # nbgrader's preprocess_cell and SurviveDeadKernel's re-run after a restart alike)
        if cell_index in self._skip and cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=NOT_RUN)]
            cell.execution_count = None
            return cell
        return super().execute_cell(cell, cell_index, execution_count, store_history)

    async def async_start_new_kernel(self, **kwargs):
        began = time.perf_counter()
        saved = os.environ.pop("NBGRADER_EXECUTION", None) if self.experiments == "full" else None
        try:  # under "full", the experiments at full size: the kernel is not told it is grading
            return await super().async_start_new_kernel(**kwargs)
        finally:
            if saved is not None:
                os.environ["NBGRADER_EXECUTION"] = saved
            TIMING["start"] = TIMING.get("start", 0.0) + time.perf_counter() - began

    async def async_start_new_kernel_client(self):
        began = time.perf_counter()  # until the kernel answers: its start-up
        try:
            return await super().async_start_new_kernel_client()
        finally:
            TIMING["start"] = TIMING.get("start", 0.0) + time.perf_counter() - began

    # nbclient's synchronous names wrap its own coroutines: these wrap ours (nbconvert's setup_kernel uses them)
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
