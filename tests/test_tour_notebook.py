"""The tour as a Jupyter notebook (``gradkit tour --notebook``): its cells are the page's
sections, it is valid nbformat 4, a real kernel runs it with no error and shows figures,
and bad paths are refused without creating anything."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import gradkit
from gradkit.viz.tour import Section, section_code
from gradkit.viz.tour_notebook import (
    PICTURES,
    TourNotebookError,
    tour_notebook,
    write_tour_notebook,
)
from gradkit.viz.tour_sections import SECTIONS


def _source(cell) -> str:
    return "".join(cell["source"])


def test_the_notebook_holds_every_section_as_the_page_shows_it():
    nb = tour_notebook()
    cells = nb["cells"]
    assert 'the tutorial *"Calculus for Deep Learning"*' in _source(cells[0])
    codes = [_source(c) for c in cells if c["cell_type"] == "code"]
    headings = [_source(c).splitlines()[0] for c in cells if c["cell_type"] == "markdown"]
    for number, section in enumerate(SECTIONS, start=1):
        intro, code = section_code(section.run)
        assert code in codes  # the snippet exactly as the page shows it
        assert f"## {number}. {section.title}" in headings
        assert intro.split("\n")[0] in "".join(_source(c) for c in cells)
    assert len(codes) == len(SECTIONS) + len(PICTURES)
    assert set(PICTURES) <= {section.key for section in SECTIONS}
    ids = [c["id"] for c in cells]
    assert len(set(ids)) == len(ids)


def test_the_written_file_is_valid_nbformat(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    path = write_tour_notebook(tmp_path / "tour.ipynb")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert json.loads(path.read_text(encoding="utf-8")) == tour_notebook()


def test_bad_paths_are_refused_and_nothing_is_created(tmp_path):
    with pytest.raises(TourNotebookError, match="is a folder"):
        write_tour_notebook(tmp_path)
    with pytest.raises(TourNotebookError, match="does not exist; create it first"):
        write_tour_notebook(tmp_path / "missing" / "tour.ipynb")
    assert not (tmp_path / "missing").exists()
    with pytest.raises(TourNotebookError, match=r"ends in \.ipynb"):
        write_tour_notebook(tmp_path / "tour.html")
    assert list(tmp_path.iterdir()) == []


def test_a_section_that_fills_the_report_itself_is_refused():
    def hello(report):
        report.text("hi")

    with pytest.raises(TourNotebookError, match="'demo' fills the page's report itself"):
        tour_notebook([Section("demo", "Demo", hello)])


def test_the_cli_writes_the_notebook(tmp_path, monkeypatch, capsys):
    pytest.importorskip("rich")
    from gradkit.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["tour", "--notebook"]) == 0
    assert "notebook written: gradkit-tour.ipynb" in capsys.readouterr().out
    assert json.loads((tmp_path / "gradkit-tour.ipynb").read_text())["nbformat"] == 4
    assert main(["tour", "--notebook", "class.ipynb"]) == 0
    assert (tmp_path / "class.ipynb").is_file()
    assert not (tmp_path / "gradkit-tour").exists()  # the page was not written
    assert main(["tour", "--notebook", "no/such/folder.ipynb"]) == 2
    err = capsys.readouterr().err
    assert "--notebook: the folder 'no/such' does not exist" in err
    assert not (tmp_path / "no").exists()


def test_a_kernel_runs_the_notebook_and_shows_figures(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    pytest.importorskip("sympy")
    nb = nbformat.read(write_tour_notebook(tmp_path / "tour.ipynb"), as_version=4)
    # the kernel runs in tmp_path (files the snippets write land there) and imports the
    # gradkit under test, even when that is found through a relative PYTHONPATH
    here = str(Path(gradkit.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([here, os.environ.get("PYTHONPATH", "")]))
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute(cwd=str(tmp_path))
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, [f"{o.ename}: {o.evalue}" for o in errors]
    warnings = [o.text for c in code for o in c.outputs if o.get("name") == "stderr"]
    assert not warnings, warnings
    images = [sum("image/png" in o.get("data", {}) for o in c.outputs) for c in code]
    assert sum(images) >= 10, images
    for cell, count in zip(code, images):  # every picture cell shows its pictures
        source = cell.source
        if source in PICTURES.values():
            assert count == source.count("gk.viz."), (source, count)
    printed = "".join(o.get("text", "") for c in code for o in c.outputs)
    assert "max |hand - autodiff|" in printed  # the snippets' own prints
    derivation = [
        o for c in code for o in c.outputs if "<math" in o.get("data", {}).get("text/html", "")
    ]
    assert derivation  # the symbolic section's derivation, typeset
