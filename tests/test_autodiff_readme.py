"""The engine guide (docs/guide/autodiff.md, the README's engine section until the README
became a front door): its examples run, and its table of supported NumPy functions lists
every function the engine registers (so it cannot go stale).
"""

from __future__ import annotations

import doctest
import re

import engine_table
import pytest

GUIDE = engine_table.GUIDE


def engine_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    match = re.search(r"<!-- BEGIN engine -->(.*?)<!-- END engine -->", text, re.S)
    assert match, f"{GUIDE} has no <!-- BEGIN engine --> ... <!-- END engine --> section"
    return match.group(1)


def test_readme_engine_examples_run() -> None:
    # A code fence ends an example's expected output, as a blank line would.
    section = re.sub(r"^```\w*$", "", engine_section(), flags=re.M)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(section, {}, "engine guide", str(GUIDE), 0)
    assert len(test.examples) > 20
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    runner = doctest.DocTestRunner(optionflags=flags)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} engine guide example(s) failed (see output)"


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
                        f"the engine guide's table lists {name}, which NumPy {np.__version__} lacks"
                    )


def test_readme_table_lists_every_registered_function() -> None:
    section = engine_section()
    table = section[section.index("| family | NumPy functions | notes |") :]
    listed = set(re.findall(r"`((?:np|scipy\.special)\.[\w.]+)`", table))
    _skip_on_an_older_numpy(listed)
    registered = {name for names in engine_table.families().values() for name in names}
    missing = sorted(registered - listed)
    assert not missing, (
        f"the engine guide's table misses {missing}; regenerate it with "
        "python tests/engine_table.py --write"
    )
    stale = sorted(listed - registered)
    assert not stale, (
        f"the engine guide's table lists functions the engine does not register: {stale}"
    )


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
