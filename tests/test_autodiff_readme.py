"""The README's engine section: its examples run, and its table of supported NumPy
functions lists every function the engine registers (so it cannot go stale).
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import engine_table
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def engine_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- BEGIN engine -->(.*?)<!-- END engine -->", text, re.S)
    assert match, "README.md has no <!-- BEGIN engine --> ... <!-- END engine --> section"
    return match.group(1)


def test_readme_engine_examples_run() -> None:
    # A code fence ends an example's expected output, as a blank line would.
    section = re.sub(r"^```\w*$", "", engine_section(), flags=re.M)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(section, {}, "README engine section", str(README), 0)
    assert len(test.examples) > 20
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    runner = doctest.DocTestRunner(optionflags=flags)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} README example(s) failed (see output)"


def _skip_on_an_older_numpy(listed: set) -> None:
    """The table is generated on the newest NumPy; an older one lacks some of its names
    (np.cumulative_sum came in 2.1, np.matvec in 2.2), so it is compared there only."""
    import numpy as np

    for name in listed:
        if name.startswith("np."):
            obj = np
            for part in name.split(".")[1:]:
                obj = getattr(obj, part, None)
                if obj is None:
                    pytest.skip(
                        f"the README table lists {name}, which NumPy {np.__version__} lacks"
                    )


def test_readme_table_lists_every_registered_function() -> None:
    section = engine_section()
    table = section[section.index("| family | NumPy functions | notes |") :]
    listed = set(re.findall(r"`((?:np|scipy\.special)\.[\w.]+)`", table))
    _skip_on_an_older_numpy(listed)
    registered = {name for names in engine_table.families().values() for name in names}
    missing = sorted(registered - listed)
    assert not missing, (
        f"the README table misses {missing}; regenerate it with python tests/engine_table.py"
    )
    stale = sorted(listed - registered)
    assert not stale, f"the README table lists functions the engine does not register: {stale}"


def test_readme_table_is_the_generated_one() -> None:
    section = engine_section()
    _skip_on_an_older_numpy(set(re.findall(r"`(np\.[\w.]+)`", section)))
    assert engine_table.markdown_table() in section


def test_every_registered_name_is_a_real_numpy_function() -> None:
    import importlib

    import numpy as np

    for names in engine_table.families().values():
        for name in names:
            obj = np if name.startswith("np.") else importlib.import_module("scipy.special")
            for part in name.split(".")[1 if name.startswith("np.") else 2 :]:
                obj = getattr(obj, part)
            assert callable(obj), name
