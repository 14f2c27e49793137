"""Reference solutions, one module per notebook; every exercise is re-exported here by name."""
from .._reexport import reexport

__all__ = reexport(__name__, __path__, globals())
