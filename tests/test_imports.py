"""Which way the imports run: the project's modules form no import circle, imports at the top or inside functions.

`python tests/test_imports.py` prints the numbers: imports at the top and inside functions per package, and any
circle with its members.
"""

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("autograde", "course_lib")


def module_files():
    """{dotted module name: its file} for every module of the project's packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(tree):
    """(node, inside a function) for every import statement of a module."""
    found = []

    def walk(node, inside):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, inside))
            walk(child, inside or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    walk(tree, False)
    return found


def _targets(node, name, is_package, modules):
    """The project's modules an import statement of module `name` names."""
    if isinstance(node, ast.Import):
        dotted = [alias.name for alias in node.names]
    else:
        if node.level:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            stem = ".".join(base + ([node.module] if node.module else []))
        else:
            stem = node.module
        dotted = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem for alias in node.names]
    targets = set()
    for target in dotted:
        while target and target not in modules:  # `import a.b.c` of a name inside a.b: the module a.b
            target = target.rpartition(".")[0]
        if target and target != name:
            targets.add(target)
    return targets


def import_graph():
    """({module: the project's modules it imports}, {package: (imports at the top, imports inside functions)})."""
    files = module_files()
    graph, counts = {}, {}
    for name, path in files.items():
        graph[name] = set()
        top, inside = counts.get(name.split(".")[0], (0, 0))
        for node, in_function in _imports(ast.parse(path.read_text(), str(path))):
            graph[name] |= _targets(node, name, path.name == "__init__.py", files)
            top, inside = (top, inside + 1) if in_function else (top + 1, inside)
        counts[name.split(".")[0]] = (top, inside)
    return graph, counts


def circles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_relative_and_absolute_imports():
    """The graph finds edges written either way (a graph with no edges would find no circle either)."""
    graph, _ = import_graph()
    assert "course_lib.i18n" in graph["course_lib.checks.framework"]  # from ..i18n import tr
    assert "course_lib.checks.framework" in graph["autograde.engine.verdict"]  # from course_lib.checks.framework import
    assert "course_lib.checks._trusted" in graph["autograde.engine.verdict"]  # the same, inside a function


def test_no_import_circle():
    """Every module's imports, at the top or inside functions, reach only modules below it."""
    found = circles(import_graph()[0])
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)


# The grader's floors, from the bottom up: the course folder, what runs one submission, where jobs run, the steps,
# the command line (README, "autograde/").
FLOORS = ("autograde.gradebook", "autograde.engine", "autograde.backends", "autograde.steps", "autograde.cli")


def floor(module):
    """The index in FLOORS of the floor `module` stands on (None: the package's own __init__ and __main__)."""
    return next((i for i, f in enumerate(FLOORS) if module == f or module.startswith(f + ".")), None)


def arrows_up(graph):
    """(module, what it imports) for every import that reaches a higher floor, or the grader from course_lib."""
    found = []
    for module, targets in graph.items():
        for target in targets:
            if module.startswith("course_lib") and target.startswith("autograde"):
                found.append((module, target))
            elif floor(module) is not None and floor(target) is not None and floor(target) > floor(module):
                found.append((module, target))
    return sorted(found)


def test_the_graders_floors_import_only_the_floors_below():
    """The layout is the pipeline: gradebook < engine < backends < steps < cli, and course_lib never imports the
    grader; an import at the top or inside a function that climbs a floor fails, naming both ends."""
    assert arrows_up({"autograde.engine.x": {"autograde.steps.y"}}) == [("autograde.engine.x", "autograde.steps.y")]
    graph, _ = import_graph()
    assert {floor(m) for m in graph} >= set(range(len(FLOORS))), "a floor has no module: FLOORS is out of date"
    found = arrows_up(graph)
    assert not found, "imports that climb a floor: " + "; ".join(f"{a} -> {b}" for a, b in found)


if __name__ == "__main__":
    graph, counts = import_graph()
    for package, (top, inside) in counts.items():
        print(f"{package}: {top + inside} imports, {inside} inside functions")
    for circle in circles(graph):
        print(f"circle of {len(circle)}: {', '.join(circle)}")
    for module, target in arrows_up(graph):
        print(f"climbs a floor: {module} -> {target}")
