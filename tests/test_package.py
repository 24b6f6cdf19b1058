"""The package as a whole: its public names, a light import, and CI running the README's command."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import gradkit as gk

ROOT = Path(__file__).resolve().parents[1]


def test_public_api_names_exist() -> None:
    missing = {"symbolic": "sympy", "viz": "matplotlib"}  # the extras' subpackages
    for name in gk.__all__:
        if name in missing and importlib.util.find_spec(missing[name]) is None:
            continue
        assert getattr(gk, name) is not None, name
    for name in ("grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "jacobian",
                 "hessian", "hvp", "directional_derivative", "elementwise_grad", "Tensor",
                 "primitive", "defvjp", "defjvp", "check_grads"):  # fmt: skip
        assert name in gk.__all__, name
    assert gk.jacobian is gk.jacrev


def test_import_loads_no_heavy_modules() -> None:
    code = (
        "import sys, gradkit as gk; gk.grad; "
        "heavy = [m for m in ('sympy', 'matplotlib', 'rich') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_version_matches_pyproject() -> None:
    text = (ROOT / "pyproject.toml").read_text()  # the version is read from gradkit itself
    assert 'version = { attr = "gradkit.__version__" }' in text
    assert re.search(r'^gradkit = "gradkit.cli:main"$', text, re.M)
    assert re.search(r"^test = \[", text, re.M)


def _readme_command(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```bash\n(.+?)\n```", text, re.S)
    assert match, f"README has no {marker} block"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command() -> None:
    cmd = _readme_command("quickstart-test")
    assert "pip install" in cmd and "pytest" in cmd
    extracted = subprocess.run(
        ["bash", "-c", "awk '/<!-- quickstart-test -->/{f=1;next} f&&/^```bash/{g=1;next} "
         "g&&/^```/{exit} g{print}' README.md"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert extracted == cmd
    assert "quickstart-test" in (ROOT / ".ci" / "run").read_text()


def test_quickstart_main_command_runs_the_tour() -> None:
    cmd = _readme_command("quickstart-main")
    assert cmd.startswith('pip install -e ".[all]"') and "gradkit tour" in cmd


def test_python_dash_m_gradkit_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gradkit", "--version"], capture_output=True, text=True, check=True
    )
    assert gk.__version__ in out.stdout
