"""Imported first by :mod:`gradkit.symbolic`: SymPy comes with the ``symbolic`` extra."""

from gradkit._optional import require

require("sympy", "gk.symbolic")
