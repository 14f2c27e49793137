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


class _WhenNbgraderApiLoads:
    """A finder that only wraps the loading of `nbgrader.api`, so that `_patch_nbgrader_api` runs right after it."""

    def find_spec(self, name, path, target=None):
        if name != "nbgrader.api":
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            load(module)
            _patch_nbgrader_api(module)

        spec.loader.exec_module = exec_module
        return spec


if "nbgrader.api" in sys.modules:  # a course's nbgrader_config.py, read by nbgrader's own commands, imports us late
    _patch_nbgrader_api(sys.modules["nbgrader.api"])
else:
    sys.meta_path.insert(0, _WhenNbgraderApiLoads())
