"""The course's grader: nbgrader underneath, wrapped as a pipeline of named steps (`python -m autograde`)."""
import sys

# jsonschema's optional check of the "iri" string format imports rfc3987_syntax, which builds a parser
# grammar at import time: about 1.1 s of every `import nbformat` here (benchmarks/RESULTS.md). Notebook
# schemas never use that format, so the grader's processes go without it (jsonschema skips what fails to
# import); the students' kernels never import it at all.
sys.modules.setdefault("rfc3987_syntax", None)
