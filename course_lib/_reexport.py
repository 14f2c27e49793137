"""Re-export every public name of a package's modules, so `from course_lib.checks import check_x` works."""
import importlib
import pkgutil


def reexport(package_name, package_path, namespace, registry=None):
    """Import each module of a package in name order; copy its `__all__` names into `namespace`.

    With `registry` set to an attribute name, also merge that dict of every module and return it too.
    """
    exported, merged = [], {}
    for info in sorted(pkgutil.iter_modules(package_path), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "framework":
            continue
        module = importlib.import_module(f"{package_name}.{info.name}")
        for name in getattr(module, "__all__", ()):
            namespace[name] = getattr(module, name)
            exported.append(name)
        if registry:
            merged.update(getattr(module, registry, {}))
    return (exported, merged) if registry else exported
