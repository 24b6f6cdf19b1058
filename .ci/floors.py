"""Print a pip constraints file pinning every declared floor of pyproject.toml.

Each requirement ``name>=X`` (dependencies and every extra but ``bench`` and
``typecheck``) becomes ``name==X``: CI installs the oldest versions gradkit claims to
support and runs the tests on them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None


def _requirements(text: str) -> list[str]:
    if tomllib is not None:
        data = tomllib.loads(text)["project"]
        reqs = list(data["dependencies"])
        for extra, items in data["optional-dependencies"].items():
            if extra not in ("bench", "typecheck"):
                reqs += items
        return reqs
    # 3.10 has no tomllib: the requirement strings are simple enough for a regex
    body = text[text.index("[project]"):text.index("[project.scripts]")]
    body = re.sub(r'(?m)^(bench|typecheck) = \[.*?\]$', "", body)
    return re.findall(r'"([A-Za-z0-9_.\-\[\]]+>=[0-9][^"]*)"', body)


def main() -> None:
    text = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml").read_text()
    pins: dict[str, str] = {}
    for req in _requirements(text):
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?>=([0-9][^,;\s]*)", req.strip())
        if match and match.group(1) != "gradkit":
            pins[match.group(1).lower()] = match.group(3)
    for name, version in sorted(pins.items()):
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
