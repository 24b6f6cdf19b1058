"""Release hygiene: licence and metadata, one version, saved files' permissions, and
the optional extras failing with a message that names the extra."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import gradkit as gk

ROOT = Path(__file__).resolve().parents[1]


def test_licence_and_spdx_metadata() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^license = "MIT"$', text, re.M)
    assert "DIGITS-LICENSE.txt" in text
    notice = ROOT / "src" / "gradkit" / "nn" / "data" / "DIGITS-LICENSE.txt"
    assert "CC BY 4.0" in notice.read_text()
    assert "Programming Language :: Python :: 3.13" in text
    assert '"nn/data/*.md"' in text  # the data's README (source and licence) ships too


def test_the_version_has_one_source() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^dynamic = \["version"\]', text, re.M)
    assert 'version = { attr = "gradkit.__version__" }' in text
    assert not re.search(r'^version = "', text, re.M)
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+|rc\d+)?", gk.__version__)


def test_installed_metadata_agrees_with_the_package() -> None:
    from importlib import metadata

    try:
        installed = metadata.version("gradkit")
    except metadata.PackageNotFoundError:
        pytest.skip("gradkit is not installed (run from the source tree)")
    assert installed == gk.__version__


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_models_get_the_users_usual_permissions(tmp_path: Path) -> None:
    from gradkit.nn import Linear
    from gradkit.nn.io import save

    old = os.umask(0o027)
    try:
        path = save(Linear(2, 1, rng=0), tmp_path / "model.npz")
        np.save(tmp_path / "reference.npy", np.zeros(1))  # what NumPy itself gives
    finally:
        os.umask(old)
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o640 == stat.S_IMODE((tmp_path / "reference.npy").stat().st_mode)


_BLOCKER = textwrap.dedent(
    """
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {blocked!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None
    sys.meta_path.insert(0, Block())
    import importlib.util
    _find = importlib.util.find_spec
    def find_spec(name, package=None):
        if name.split(".")[0] in {blocked!r}:
            return None
        return _find(name, package)
    importlib.util.find_spec = find_spec
    """
)


def _run_without(blocked: set[str], code: str) -> subprocess.CompletedProcess[str]:
    src = _BLOCKER.format(blocked=blocked) + textwrap.dedent(code)
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, "-c", src], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_core_works_with_numpy_alone() -> None:
    out = _run_without(
        {"sympy", "matplotlib", "rich", "scipy", "dask"},
        """
        import numpy as np, gradkit as gk
        assert float(gk.grad(lambda x: x ** 3)(2.0)) == 12.0
        assert abs(gk.numerical.derivative(np.sin, 0.5) - np.cos(0.5)) < 1e-13
        model = gk.nn.Sequential(gk.nn.Linear(2, 4, rng=0), gk.nn.Tanh(), gk.nn.Linear(4, 1, rng=0))
        X = np.random.default_rng(0).normal(size=(32, 2)); y = X[:, :1] * 2
        history = gk.nn.fit(model, X, y, loss="mse", optimizer=gk.optim.adam(1e-2),
                            epochs=2, batch_size=8, verbose=True)
        assert len(history.loss) == 2
        assert gk.functions.rosenbrock(np.array([1.0, 1.0])) == 0.0
        print("ok")
    """,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")
    assert "epoch 2/2" in out.stdout  # plain progress lines without rich


@pytest.mark.parametrize(
    "blocked, code, extra",
    [
        ({"sympy"}, "import gradkit as gk; gk.symbolic", "symbolic"),
        ({"matplotlib"}, "import gradkit as gk; gk.viz.plot_derivative", "viz"),
    ],
)
def test_a_missing_extra_is_named(blocked: set[str], code: str, extra: str) -> None:
    out = _run_without(blocked, code)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError") and f'pip install "gradkit[{extra}]"' in last


def test_the_command_line_names_its_extra() -> None:
    out = _run_without(
        {"rich"},
        """
        import sys
        from gradkit.cli import main
        sys.exit(main(["derive", "x**2"]))
    """,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "gradkit derive: error: the gradkit command needs rich, which is not installed: "
        'pip install "gradkit[cli]"'
    )
