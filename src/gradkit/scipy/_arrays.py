"""Array-likes as SciPy reads them: a list or tuple argument becomes an array."""

from __future__ import annotations

from typing import Any

import numpy as np


def arrays(*values: Any) -> Any:
    """Each list or tuple in ``values`` as a NumPy array (traced values and numbers stay
    as they are); one value in, one out.

    >>> arrays([1.0, 2.0])
    array([1., 2.])
    >>> arrays(3.0, (1, 2))
    (3.0, array([1, 2]))
    """
    out = tuple(np.asarray(v) if isinstance(v, (list, tuple)) else v for v in values)
    return out[0] if len(out) == 1 else out
