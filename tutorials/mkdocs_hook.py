"""MkDocs hook: put the tutorials in the site.

For each tutorial ``tutorials/NN_name.py`` the site gets the page ``tutorials/NN_name.md``:
the one ``python tutorials/build.py`` wrote into build/tutorials/ (with the outputs of a run,
and its figures) while it matches the tutorial's current source; otherwise a page rendered
here without outputs. Pages are added in memory; nothing is written to docs/. So
``mkdocs build --strict`` never depends on the tutorials having been run, and never shows
outputs of an older version of a tutorial. ``tutorials/index.md`` is rendered from the
tutorials' titles. A tutorial missing from ``nav`` is a warning (an error under ``--strict``).
Set ``XLMR_NP_TUTORIAL_PAGES`` to take the executed pages from another folder.
"""

from __future__ import annotations

import importlib.util
import logging
import pathlib
import sys

from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.tutorials")

_spec = importlib.util.spec_from_file_location(
    "xlmr_np_tutorials_build", pathlib.Path(__file__).resolve().parent / "build.py")
build = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = build  # dataclasses look their module up there
_spec.loader.exec_module(build)


def _add(files, config, uri, **source):
    existing = files.get_file_from_path(uri)
    if existing is not None:
        files.remove(existing)
    files.append(File.generated(config, uri, **source))


def on_files(files, config):
    pages = build.pages_dir()
    paths = build.tutorial_files()
    for path in paths:
        text = build.current_page(pages / f"{path.stem}.md", path)
        if text is None:
            log.info("tutorial %s: no current page in %s (run python tutorials/build.py); "
                     "showing it without outputs", path.name, pages)
            text = build.render_page(path, None)
        for name in build.page_figures(text):
            _add(files, config, f"tutorials/figures/{name}", abs_src_path=str(pages / "figures" / name))
        _add(files, config, f"tutorials/{path.stem}.md", content=text)
    _add(files, config, "tutorials/index.md", content=build.render_index(paths))
    return files


def on_nav(nav, config, files):
    listed = {page.file.src_uri for page in nav.pages}
    for path in build.tutorial_files():
        if f"tutorials/{path.stem}.md" not in listed:
            log.warning("tutorial %s is not in mkdocs.yml's nav (add tutorials/%s.md)",
                        path.name, path.stem)
    return nav
