"""The documentation site builds with ``mkdocs build --strict``, and the getting-started code runs.

The build runs on the real mkdocs.yml into a temporary folder: every nav entry must exist, every
link must resolve, every ``::: module`` of docs/api.md must import and render, and every
tutorial must be in the nav (tutorials/mkdocs_hook.py warns otherwise; ``--strict`` fails on
warnings). The tutorials themselves are not run here (tests/test_tutorials.py does that): the
site is built with one executed page made up for the test, to check that outputs and figures
reach the site, and the other tutorial pages without outputs.
"""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD_TIMEOUT = 300

# A 1x1 PNG, standing in for a figure a tutorial saved.
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5d6a4f70000000049454e44ae426082")


def load_build():
    spec = importlib.util.spec_from_file_location("xlmr_np_tutorials_build", ROOT / "tutorials" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the site once; return (site folder, mkdocs output)."""
    pytest.importorskip("mkdocs", reason="the docs need the test extra: pip install -e '.[test]'")
    build = load_build()
    work = tmp_path_factory.mktemp("docs")
    pages = work / "pages"
    (pages / "figures").mkdir(parents=True)
    (pages / "figures" / "fake.png").write_bytes(PIXEL_PNG)
    first = build.tutorial_files()[0]
    code_cell = next(index for index, cell in enumerate(build.parse_cells(first.read_text(encoding="utf-8")))
                     if cell.kind == "code")
    result = {"seconds": 0.0, "outputs": [
        {"cell": code_cell, "stdout": "OUTPUT-MARKER\n[figure: fake.png saved to somewhere]\n"}]}
    (pages / f"{first.stem}.md").write_text(build.render_page(first, result), encoding="utf-8")

    site_dir = work / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", XLMR_NP_TUTORIAL_PAGES=str(pages))
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return site_dir, done.stderr


def test_every_page_is_built(site):
    site_dir, _ = site
    build = load_build()
    assert (site_dir / "index.html").exists()
    for page in ["getting-started", "api", "architecture", "backends", "checkpoints", "testing",
                 "tutorials"] + [f"tutorials/{path.stem}" for path in build.tutorial_files()]:
        assert (site_dir / page / "index.html").exists(), page


def test_an_executed_tutorial_shows_its_output_and_figure(site):
    site_dir, _ = site
    build = load_build()
    first = build.tutorial_files()[0].stem
    html = (site_dir / "tutorials" / first / "index.html").read_text(encoding="utf-8")
    assert "OUTPUT-MARKER" in html
    assert 'src="../figures/fake.png"' in html
    assert (site_dir / "tutorials" / "figures" / "fake.png").read_bytes() == PIXEL_PNG
    second = build.tutorial_files()[1].stem
    assert "Outputs not shown" in (site_dir / "tutorials" / second / "index.html").read_text(encoding="utf-8")


def test_the_api_reference_is_generated(site):
    site_dir, _ = site
    html = (site_dir / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("xlmr_np.XLMRobertaModel", "xlmr_np.XLMRobertaModel.forward", "xlmr_np.XLMRobertaConfig",
                 "xlmr_np.modeling.embeddings.position_ids_from_input_ids",
                 "xlmr_np.modeling.attention.XLMRobertaSelfAttention", "xlmr_np.heads.XLMRobertaForMaskedLM",
                 "xlmr_np.tokenization.XLMRobertaTokenizer", "xlmr_np.fast.packed.encode_packed"):
        assert f'id="{name}"' in html, name


def test_getting_started_code_runs(tmp_path, monkeypatch):
    """The python blocks of docs/getting-started.md, in order, in one namespace."""
    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "getting_started"}
    with warnings.catch_warnings():
        # The page loads a base checkpoint into task models on purpose: their heads are new.
        warnings.filterwarnings("ignore", message=".*(newly initialised|does not use)")
        for number, block in enumerate(blocks):
            exec(compile(block, f"docs/getting-started.md, python block {number + 1}", "exec"), namespace)
