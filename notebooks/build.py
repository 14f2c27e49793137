"""Build the source notebooks from `notebooks/src/<stem>.py`: `python notebooks/build.py [STEM ...]`."""
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "src"))

from autograde.notebook import write  # noqa: E402


def stems():
    """Every notebook that has a builder, in course order."""
    return sorted(p.stem for p in (HERE / "src").glob("[0-9][0-9]_*.py"))


def build(stem):
    """The notebook that `notebooks/src/<stem>.py` describes."""
    spec = importlib.util.spec_from_file_location(f"nb_{stem}", HERE / "src" / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build()


def main(argv):
    for stem in argv or stems():
        write(build(stem), HERE / f"{stem}.ipynb")
        print(f"wrote notebooks/{stem}.ipynb")


if __name__ == "__main__":
    main(sys.argv[1:])
