"""Every tutorial runs to the end, and its documentation page renders.

Each tutorial is executed the way ``python tutorials/build.py`` executes it for the docs: in a
fresh Python process, a temporary working directory, matplotlib's Agg backend, one BLAS thread.
The tutorials check their own claims with ``assert``, so a change to xlmr_np that makes one
wrong fails here; so does a change that moves the source lines a tutorial shows
(``tutorial_support.show_lines`` raises when its markers are gone).
"""

import importlib.util
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TUTORIALS_DIR = ROOT / "tutorials"
TIMEOUT = 240  # seconds per tutorial; all ten take about a minute together on two cores


def load_build():
    spec = importlib.util.spec_from_file_location("xlmr_np_tutorials_build", TUTORIALS_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = load_build()
TUTORIALS = build.tutorial_files()


def test_the_numbered_path_is_complete():
    assert [path.name[:3] for path in TUTORIALS] == [f"{n:02d}_" for n in range(1, 11)]
    for path in TUTORIALS:
        title, summary = build.title_and_summary(path)
        assert title.startswith(path.name[:2]), (path.name, title)
        assert summary, f"{path.name}: no introduction paragraph after the title"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda path: path.stem)
def test_tutorial_runs_and_renders(path, tmp_path):
    result = build.execute(path, tmp_path / "figures", timeout=TIMEOUT)
    page = tmp_path / f"{path.stem}.md"
    page.write_text(build.render_page(path, result), encoding="utf-8")
    text = build.current_page(page, path)
    assert text is not None, "the page is not recognised as executed, or a figure is missing"
    code_cells = [cell for cell in build.parse_cells(path.read_text(encoding="utf-8")) if cell.kind == "code"]
    assert len(result["outputs"]) == len(code_cells), "not every code cell ran"
    assert "```text" in text, "the tutorial printed nothing"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda path: path.stem)
def test_tutorial_is_jupytext_percent_format(path):
    jupytext = pytest.importorskip("jupytext")
    notebook = jupytext.read(path, fmt="py:percent")
    ours = build.parse_cells(path.read_text(encoding="utf-8"))
    theirs = [cell for cell in notebook.cells if cell.source.strip()]
    assert [cell.cell_type for cell in theirs] == [cell.kind for cell in ours]
    assert [cell.source.strip() for cell in theirs] == [cell.source.strip() for cell in ours]


def test_parse_and_render_a_tiny_tutorial(tmp_path):
    path = tmp_path / "99_tiny.py"
    path.write_text("# %% [markdown]\n# # 99 · Tiny\n#\n# Text.\n\n# %%\nprint('hi')\n"
                    "# %% [markdown]\n# More.\n\n# %%\nx = 1\n", encoding="utf-8")
    cells = build.parse_cells(path.read_text(encoding="utf-8"))
    assert [(cell.kind, cell.source, cell.first_line) for cell in cells] == [
        ("markdown", "# 99 · Tiny\n\nText.", 2), ("code", "print('hi')", 7),
        ("markdown", "More.", 9), ("code", "x = 1", 12)]
    result = {"seconds": 0.1, "outputs": [
        {"cell": 1, "stdout": "hi\n[figure: tiny.png saved to /somewhere/tiny.png]\n"},
        {"cell": 3, "stdout": ""}]}
    page = build.render_page(path, result)
    assert "```python\nprint('hi')\n```\n\n```text\nhi\n```\n\n![tiny.png](figures/tiny.png)" in page
    assert "[figure:" not in page and "Run it yourself" in page
    assert "Outputs not shown" in build.render_page(path, None)


def test_show_lines_fails_when_the_source_moved():
    sys.path.insert(0, str(TUTORIALS_DIR))
    try:
        import tutorial_support
    finally:
        sys.path.remove(str(TUTORIALS_DIR))
    from xlmr_np.modeling.attention import softmax

    with pytest.raises(LookupError, match="needs updating"):
        tutorial_support.show_lines(softmax, "a line that is not there")
    with pytest.raises(LookupError, match="does not follow"):
        tutorial_support.show_lines(softmax, "def softmax", "a line that is not there")
