"""The course's grader: nbgrader underneath, wrapped as a pipeline of named steps (`python -m autograde`)."""
import sys

# jsonschema's optional check of the "iri" string format imports rfc3987_syntax, which builds a parser
# grammar at import time: about 1.1 s of every `import nbformat` here (benchmarks/RESULTS.md). Notebook
# schemas never use that format, so the grader's processes go without it (jsonschema skips what fails to
# import); the students' kernels never import it at all.
sys.modules.setdefault("rfc3987_syntax", None)


# nbgrader asks a new Python process, `alembic heads`, for its newest gradebook migration each time it creates a
# gradebook (`nbgrader.api.get_alembic_version`): 2.2 s of every release into a new course folder and of every new
# gradebook on a server, most of it that process importing nbgrader again. alembic answers the same question in
# this process in about a millisecond, from the same migration scripts. If it cannot, nbgrader's own way runs.
def _alembic_head(nbgrader_way):
    def get_alembic_version():
        if _alembic_head.answer is None:
            try:
                from alembic.config import Config
                from alembic.script import ScriptDirectory
                from nbgrader.dbutil import ALEMBIC_DIR

                config = Config()
                config.set_main_option("script_location", ALEMBIC_DIR)
                _alembic_head.answer = ScriptDirectory.from_config(config).get_current_head()
            except Exception:  # noqa: BLE001 - several heads, or alembic changed: ask as nbgrader does
                return nbgrader_way()
        return _alembic_head.answer

    get_alembic_version.nbgrader_way = nbgrader_way
    return get_alembic_version


_alembic_head.answer = None


def _patch_nbgrader_api(module):
    if not hasattr(module.get_alembic_version, "nbgrader_way"):
        module.get_alembic_version = _alembic_head(module.get_alembic_version)


# nbconvert validates the notebook after each of its preprocessors with `relax_add_props=True`, and nbformat's
# `get_validator` compiles a new fastjsonschema validator for every such call (it caches only the strict one): 13
# compilations, about 0.3 s of CPU, per graded submission. The relaxed validator is compiled once per process here;
# what nbformat's cache holds afterwards is exactly what nbformat itself leaves there (the relaxed one).
def _patch_nbformat_validator(module):
    nbformat_way = module.get_validator
    if hasattr(nbformat_way, "nbformat_way"):
        return
    relaxed = {}

    def get_validator(version=None, version_minor=None, relax_add_props=False, name=None):
        if not relax_add_props:
            return nbformat_way(version, version_minor, relax_add_props, name)
        if version is None:
            from nbformat import current_nbformat as version
        if version_minor is None:
            version_minor = getattr(module.import_item(f"nbformat.v{version}"), "nbformat_minor", 0)
        kind = (module._validator_for_name(name) if name else module.get_current_validator()).name
        key = (kind, version, version_minor)
        if key not in relaxed:
            relaxed[key] = nbformat_way(version, version_minor, True, name)
        elif relaxed[key] is not None:
            module.validators[key] = relaxed[key]  # as nbformat's own call leaves its cache
        return relaxed[key]

    get_validator.nbformat_way = nbformat_way
    module.get_validator = get_validator


_AFTER_IMPORT = {"nbgrader.api": _patch_nbgrader_api, "nbformat.validator": _patch_nbformat_validator}


class _AfterImport:
    """A finder that only wraps the loading of the modules of `_AFTER_IMPORT`, so that each one's patch runs
    right after it is executed."""

    def find_spec(self, name, path, target=None):
        if name not in _AFTER_IMPORT:
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            _AFTER_IMPORT[name](module)

        spec.loader.exec_module = exec_module
        return spec


for _name, _patch in _AFTER_IMPORT.items():  # a course's nbgrader_config.py, read by nbgrader's commands, imports
    if _name in sys.modules:                 # us after them
        _patch(sys.modules[_name])
if not any(isinstance(f, _AfterImport) for f in sys.meta_path):
    sys.meta_path.insert(0, _AfterImport())
