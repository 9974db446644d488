"""Run the tutorials and write them as documentation pages.

    python tutorials/build.py                 # run every tutorial, write build/tutorials/
    python tutorials/build.py 03 08           # only these (by number or file stem)
    python tutorials/build.py --no-execute    # pages without outputs (fast; no code is run)
    python tutorials/build.py --out DIR       # write DIR/<stem>.md, DIR/index.md, DIR/figures/

build/ is git-ignored: the pages are build output, and ``mkdocs build`` picks them up from
there (tutorials/mkdocs_hook.py; ``XLMR_NP_TUTORIAL_PAGES`` names another folder).

Each tutorial is a Jupytext "percent" script: ``# %% [markdown]`` cells hold prose (every line
commented with ``# ``), ``# %%`` cells hold code. It runs in a fresh Python process, in a
temporary working directory, with matplotlib's Agg backend and one BLAS thread (unless
``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` say otherwise); the code
cells run one after another in one namespace (as ``python tutorials/NN_name.py`` would), and
each cell's printed output is kept. The page shows the prose, each code cell followed by what it printed, and the figures it
saved with ``tutorial_support.save_figure``.

A page records the SHA-256 of the tutorial it came from. ``mkdocs build`` uses the pages written
here while they match their tutorial, and otherwise renders the tutorial without outputs, so
the site always builds and never shows the outputs of an older version of a tutorial.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import traceback

TUTORIALS_DIR = pathlib.Path(__file__).resolve().parent
REPO_ROOT = TUTORIALS_DIR.parent
DEFAULT_OUT = REPO_ROOT / "build" / "tutorials"
PAGES_ENV = "XLMR_NP_TUTORIAL_PAGES"
"""Environment variable naming the folder of executed pages, for ``mkdocs build``."""
TUTORIAL_PATTERN = "[0-9][0-9]_*.py"
FIGURE_LINE = re.compile(r"^\[figure: (?P<name>[^\]\s/\\]+\.png) saved to .*\]$")
DIGEST_LINE = re.compile(r"source sha256 (?P<digest>[0-9a-f]{64})")
DEFAULT_TIMEOUT = 300
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@dataclasses.dataclass
class Cell:
    kind: str  # "markdown" or "code"
    source: str  # markdown with the comment marks removed, or the code as written
    first_line: int  # line number of the first source line in the tutorial file


def tutorial_files() -> list[pathlib.Path]:
    """The tutorials, in order: tutorials/NN_name.py."""
    return sorted(TUTORIALS_DIR.glob(TUTORIAL_PATTERN))


def source_digest(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_cells(text: str) -> list[Cell]:
    """Split a percent-format script into cells (text before the first marker must be blank)."""
    cells: list[Cell] = []
    kind, lines, first = None, [], 1
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("# %%"):
            if kind is not None:
                cells.append(_make_cell(kind, lines, first))
            elif any(part.strip() for part in lines):
                raise ValueError("text before the first '# %%' cell marker")
            kind = "markdown" if "[markdown]" in line else "code"
            lines, first = [], number + 1
        else:
            lines.append(line)
    if kind is not None:
        cells.append(_make_cell(kind, lines, first))
    return [cell for cell in cells if cell.source.strip()]


def _make_cell(kind, lines, first) -> Cell:
    if kind == "markdown":
        prose = []
        for line in lines:
            if line.strip() and not line.startswith("#"):
                raise ValueError(f"line {first + len(prose)}: a markdown cell line must start with '#'")
            prose.append(line[2:] if line.startswith("# ") else line[1:])
        lines = prose
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return Cell(kind, "\n".join(lines), first)


def title_and_summary(path: pathlib.Path) -> tuple[str, str]:
    """The tutorial's ``# `` heading and the first paragraph after it."""
    cells = parse_cells(path.read_text(encoding="utf-8"))
    if not cells or cells[0].kind != "markdown" or not cells[0].source.startswith("# "):
        raise ValueError(f"{path.name}: the first cell must be markdown starting with a '# ' title")
    heading, _, rest = cells[0].source.partition("\n")
    paragraphs = [p.strip() for p in rest.strip().split("\n\n") if p.strip()]
    summary = " ".join(paragraphs[0].split()) if paragraphs else ""
    return heading[2:].strip(), summary


# ------------------------------------------------------------------------------ running


class _Tee(io.TextIOBase):
    """Writes to the cell's buffer and to the real stdout (so a failing run shows its output)."""

    def __init__(self, buffer, stream):
        self.buffer_, self.stream = buffer, stream

    def write(self, text):
        self.buffer_.write(text)
        self.stream.write(text)
        return len(text)

    def flush(self):
        self.stream.flush()


def run_cells(path: pathlib.Path, record: pathlib.Path) -> int:
    """Run one tutorial's code cells in this process; write each cell's stdout to ``record``."""
    sys.path.insert(0, str(TUTORIALS_DIR))
    namespace = {"__name__": "__main__", "__file__": str(path)}
    outputs, status = [], 0
    started = time.perf_counter()
    for index, cell in enumerate(parse_cells(path.read_text(encoding="utf-8"))):
        if cell.kind != "code":
            continue
        buffer = io.StringIO()
        cell_started = time.perf_counter()
        code = compile("\n" * (cell.first_line - 1) + cell.source, str(path), "exec")
        try:
            with contextlib.redirect_stdout(_Tee(buffer, sys.__stdout__)):
                exec(code, namespace)  # noqa: S102 - running the tutorial is the point
        except BaseException:  # noqa: BLE001 - report any failure, including SystemExit
            traceback.print_exc()
            status = 1
        outputs.append({"cell": index, "stdout": buffer.getvalue(), "line": cell.first_line,
                        "seconds": time.perf_counter() - cell_started})
        if status:
            break
    record.write_text(json.dumps({"outputs": outputs, "seconds": time.perf_counter() - started,
                                  "status": status}), encoding="utf-8")
    return status


def execute(path: pathlib.Path, figures: pathlib.Path, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """Run a tutorial in a fresh process (temporary cwd, Agg backend); return its record.

    Raises RuntimeError with the process's output when the tutorial fails or times out.
    """
    figures.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, MPLBACKEND="Agg", XLMR_NP_TUTORIAL_FIGURES=str(figures),
               PYTHONHASHSEED="0", PYTHONUNBUFFERED="1")
    # One BLAS thread unless the caller chose otherwise: the tutorials' matrices are small, and
    # on a busy machine multi-threaded OpenBLAS spins and is many times slower on them.
    for name in BLAS_THREAD_VARIABLES:
        env.setdefault(name, "1")
    with tempfile.TemporaryDirectory(prefix=f"tutorial-{path.stem}-") as work:
        record = pathlib.Path(work) / "record.json"
        command = [sys.executable, str(pathlib.Path(__file__).resolve()), "--run-one", str(path),
                   "--record", str(record)]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as error:
            raise RuntimeError(f"{path.name} did not finish in {timeout} s; output so far:\n"
                               f"{_text(error.stdout)}\n{_text(error.stderr)}") from None
        wall = time.perf_counter() - started
        if done.returncode != 0 or not record.exists():
            raise RuntimeError(f"{path.name} failed (exit {done.returncode}):\n"
                               f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}")
        result = json.loads(record.read_text(encoding="utf-8"))
    result["wall_seconds"] = wall
    result["stderr"] = done.stderr
    return result


def _text(value):
    return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")


# ------------------------------------------------------------------------------ rendering


def _fence(text: str, language: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{language}\n{text}\n{fence}"


def render_page(path: pathlib.Path, result: dict | None) -> str:
    """The markdown page of a tutorial; ``result`` is ``execute``'s record, or None (no outputs)."""
    try:
        relative = path.relative_to(REPO_ROOT).as_posix()
    except ValueError:  # a tutorial outside this repository
        relative = path.as_posix()
    cells = parse_cells(path.read_text(encoding="utf-8"))
    outputs = {item["cell"]: item["stdout"] for item in (result or {}).get("outputs", [])}
    parts = [f"<!-- Generated by tutorials/build.py from {relative} (source sha256 "
             f"{source_digest(path)}). Edit the tutorial, not this page. -->"]
    for index, cell in enumerate(cells):
        if cell.kind == "markdown":
            parts.append(cell.source)
        else:
            parts.append(_fence(cell.source, "python"))
            text_lines, figures = [], []
            for line in outputs.get(index, "").splitlines():
                match = FIGURE_LINE.match(line)
                if match:
                    figures.append(match["name"])
                else:
                    text_lines.append(line)
            while text_lines and not text_lines[-1].strip():
                text_lines.pop()
            if text_lines:
                parts.append(_fence("\n".join(text_lines), "text"))
            parts.extend(f"![{name}](figures/{name})" for name in figures)
        if index == 0:
            parts.append(_run_note(relative, result))
    return "\n\n".join(parts) + "\n"


def _run_note(relative, result) -> str:
    if result is None:
        return ("!!! warning \"Outputs not shown\"\n"
                f"    This page was rendered without running `{relative}`. Run "
                "`python tutorials/build.py` to execute the tutorials and show what they print.")
    return ("!!! note \"Run it yourself\"\n"
            f"    `python {relative}` (or open it in Jupyter through Jupytext). The output below "
            f"is what it printed when this page was built; it ran in {result['seconds']:.1f} s.")


def render_index(paths) -> str:
    rows = []
    for path in paths:
        title, summary = title_and_summary(path)
        rows.append(f"| [{title}]({path.stem}.md) | {summary} |")
    table = "\n".join(["| tutorial | what it shows |", "| --- | --- |", *rows])
    return f"""<!-- Generated by tutorials/build.py. -->

# Tutorials

A path through XLM-RoBERTa in the order the data flows: text to ids, ids to vectors, attention,
the feed-forward block, the full encoder, the task heads, checkpoints, and then how the numbers
are checked and made fast. Every step computes a part by hand with plain array operations,
shows the few lines of xlmr_np that do the same (printed from the installed source, so they
cannot drift), and `assert`s that both agree.

{table}

Each tutorial is a plain Python script in `tutorials/` in Jupytext's percent format: run it with
`python tutorials/01_tokenization.py`, or open it as a notebook with
`jupytext --to notebook tutorials/01_tokenization.py`. The tests run every tutorial
(`tests/test_tutorials.py`), so what these pages show is what the code does.
"""


def pages_dir() -> pathlib.Path:
    """Where ``mkdocs build`` looks for executed pages: $XLMR_NP_TUTORIAL_PAGES or build/tutorials."""
    return pathlib.Path(os.environ.get(PAGES_ENV) or DEFAULT_OUT)


def page_figures(text: str) -> list[str]:
    """The figure file names a page shows."""
    return re.findall(r"!\[[^\]]*\]\(figures/([^)\s]+)\)", text)


def current_page(page: pathlib.Path, path: pathlib.Path) -> str | None:
    """The text of ``page`` if it was executed from the tutorial as it is now and its figures
    exist, else None."""
    if not page.exists():
        return None
    text = page.read_text(encoding="utf-8")
    match = DIGEST_LINE.search(text.split("\n", 1)[0])
    if match is None or match["digest"] != source_digest(path):
        return None
    if "!!! warning \"Outputs not shown\"" in text:
        return None
    if not all((page.parent / "figures" / name).exists() for name in page_figures(text)):
        return None
    return text


# ------------------------------------------------------------------------------ command line


def select(names) -> list[pathlib.Path]:
    paths = tutorial_files()
    if not names:
        return paths
    chosen = [p for p in paths if any(p.stem == n or p.stem.startswith(f"{n}_") or p.name == n
                                      for n in names)]
    unknown = [n for n in names if not any(p.stem == n or p.stem.startswith(f"{n}_") or p.name == n
                                           for p in paths)]
    if unknown:
        raise SystemExit(f"no tutorial named {', '.join(unknown)}; have: "
                         f"{', '.join(p.stem for p in paths)}")
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="tutorials to build (number or stem); default all")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--no-execute", action="store_true", help="render without running")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per tutorial")
    parser.add_argument("--run-one", type=pathlib.Path, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=pathlib.Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_one is not None:
        return run_cells(args.run_one.resolve(), args.record)

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    failures, total = [], 0.0
    for path in select(args.names):
        result = None
        if not args.no_execute:
            try:
                result = execute(path, out / "figures", args.timeout)
            except RuntimeError as error:
                print(f"FAILED {path.name}\n{error}", file=sys.stderr)
                failures.append(path.name)
                continue
            total += result["wall_seconds"]
            slowest = max(result["outputs"], key=lambda item: item["seconds"])
            print(f"{path.name}: {result['wall_seconds']:.1f} s (cells {result['seconds']:.1f} s; "
                  f"slowest: line {slowest['line']}, {slowest['seconds']:.1f} s)", flush=True)
        (out / f"{path.stem}.md").write_text(render_page(path, result), encoding="utf-8")
    (out / "index.md").write_text(render_index(tutorial_files()), encoding="utf-8")
    if not args.no_execute:
        print(f"total: {total:.1f} s")
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
