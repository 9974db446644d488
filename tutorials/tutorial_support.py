"""Small helpers the tutorials share: show xlmr_np's own source, save figures.

The tutorials explain xlmr_np by pointing at its code. Rather than pasting a copy that would
drift from the package, they print the live source with ``show_source`` (a whole function or
class) or ``show_lines`` (the lines of one function between two markers). A marker that no
longer matches raises ``LookupError``, so a tutorial whose explanation went stale fails in CI
instead of quietly showing the wrong lines.
"""

from __future__ import annotations

import inspect
import os
import pathlib

TUTORIALS_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = TUTORIALS_DIR.parent
FIGURES_ENV = "XLMR_NP_TUTORIAL_FIGURES"
"""Environment variable naming the folder figures are saved in (tutorials/build.py sets it)."""


def _where(obj):
    """(file shown relative to the repository, source lines, first line number) of ``obj``."""
    lines, first = inspect.getsourcelines(obj)
    first = max(first, 1)  # a module's source starts at line 0 for inspect
    path = pathlib.Path(inspect.getsourcefile(obj)).resolve()
    try:
        shown = path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        shown = str(path)
    return shown, lines, first


def _span(first, count):
    return f"line {first}" if count == 1 else f"lines {first}-{first + count - 1}"


def _print_numbered(header, lines, first):
    print(header)
    for number, line in enumerate(lines, start=first):
        print(f"{number:4d} | {line.rstrip()}")


def show_source(obj):
    """Print the source of a function, class or method of xlmr_np, with its file and line numbers."""
    shown, lines, first = _where(obj)
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", "?"))
    _print_numbered(f"# {shown}, {_span(first, len(lines))} ({name})", lines, first)


def show_lines(obj, start: str, end: str | None = None):
    """Print the lines of ``obj``'s source from the first containing ``start`` to the next
    containing ``end`` (both included; only the start line when ``end`` is None).

    Raises LookupError when a marker is not found: the source changed, and the tutorial text
    around this call must be checked.
    """
    shown, lines, first = _where(obj)
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", "?"))
    begin = next((i for i, line in enumerate(lines) if start in line), None)
    if begin is None:
        raise LookupError(f"{start!r} is not in the source of {name} ({shown}); "
                          "the tutorial needs updating")
    stop = begin
    if end is not None:
        stop = next((i for i in range(begin, len(lines)) if end in lines[i]), None)
        if stop is None:
            raise LookupError(f"{end!r} does not follow {start!r} in the source of {name} "
                              f"({shown}); the tutorial needs updating")
    _print_numbered(f"# {shown}, {_span(first + begin, stop - begin + 1)} (in {name})",
                    lines[begin:stop + 1], first + begin)


def figures_dir() -> pathlib.Path:
    """Where figures go: $XLMR_NP_TUTORIAL_FIGURES, else build/tutorials/figures (git-ignored),
    where tutorials/build.py puts them and the docs build picks them up."""
    folder = pathlib.Path(os.environ.get(FIGURES_ENV) or REPO_ROOT / "build" / "tutorials" / "figures")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_figure(figure, name: str):
    """Save a matplotlib figure as ``name`` (a .png file name) and print a line saying where.

    tutorials/build.py turns that line into the image on the tutorial's page.
    """
    if not name.endswith(".png") or "/" in name or "\\" in name:
        raise ValueError(f"figure name must be a plain .png file name, got {name!r}")
    path = figures_dir() / name
    figure.savefig(path, dpi=110, bbox_inches="tight")
    print(f"[figure: {name} saved to {path}]")
    return path
