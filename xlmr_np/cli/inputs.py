"""Reading the command's inputs: arguments, standard input, or a file of lines or JSON lines."""

from __future__ import annotations

import json
import sys

from ..errors import InputError


def read_inputs(texts, file=None, stdin=None, fields=("text",)):
    """Inputs from ``texts`` (arguments), else ``file`` (``-`` = stdin), else piped stdin.

    A ``.jsonl`` file (or lines starting with ``{``) holds one JSON object per line with the
    given ``fields``; otherwise each non-empty line is one text.
    """
    if texts:
        return list(texts)
    stdin = sys.stdin if stdin is None else stdin
    if file is None and stdin.isatty():
        raise InputError("no input: pass texts as arguments, --file PATH, or pipe lines on stdin")
    try:
        if file is None or file == "-":
            lines = stdin.read().splitlines()
            name = "stdin"
        else:
            with open(file, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
            name = file
    except OSError as error:
        raise InputError(f"cannot read {file}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{file or 'stdin'} is not UTF-8 text ({error.reason})") from None
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise InputError(f"{name} holds no input lines")
    if str(name).endswith(".jsonl") or lines[0].lstrip().startswith("{"):
        return [parse_json_line(line, number, name, fields) for number, line in enumerate(lines, start=1)]
    return lines


def parse_json_line(line, number, name, fields):
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise InputError(f"{name} line {number} is not valid JSON ({error.msg})") from None
    if not isinstance(record, dict) or any(not isinstance(record.get(f), str) for f in fields):
        raise InputError(f"{name} line {number} must be a JSON object with string field(s) {', '.join(fields)}")
    return record if len(fields) > 1 else record[fields[0]]
