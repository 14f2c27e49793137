"""Re-export every public name of a package's modules, so `from course_lib.checks import check_x` works."""
import importlib
import pkgutil


def reexport(package_name, package_path, namespace):
    """Import each module of a package in name order; copy its `__all__` names into `namespace`."""
    exported = []
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "framework":
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        for name in getattr(module, "__all__", ()):
            namespace[name] = getattr(module, name)
            exported.append(name)
    return exported


def import_modules(package_name, package_path):
    """Import each public module of a package in name order (the framework and private modules excepted)."""
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if not info.name.startswith("_") and info.name != "framework":
            importlib.import_module(f"{package_name}.{info.name}")
