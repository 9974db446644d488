"""The long fuzz run: the targets of tests/test_fuzz_files.py for minutes instead of 50 examples.

    python scripts/fuzz.py --minutes 10                 # all targets, round robin
    python scripts/fuzz.py --minutes 2 --targets config,bin-zip --out fuzz-findings

Each target is run in rounds of hypothesis examples (fresh randomness every round, no example
database). An input "fails" when anything escapes other than the documented errors
(``CheckpointError``, ``ConfigError``, and ``InputError`` for non-finite model outputs), or when
it takes longer than ``--input-timeout`` seconds (a hang or an absurd allocation). Failures are
grouped by (target, exception type, innermost xlmr_np frame); the run prints the inputs tried
and the distinct failures, and writes each failure's first input (the mutation operations,
which replay on the seed files) and traceback to ``--out/findings.json``.

Address space is capped (``--memory-gib``) so an absurd allocation is a MemoryError, reported as
a failure, instead of the kernel's OOM killer. A crash of the interpreter itself (a segfault from
reading outside a buffer) cannot be caught: faulthandler prints where it happened, and
``--out/last-input.txt`` holds the input being tried.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback

from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import test_fuzz_files  # noqa: E402  (the strategies and targets)


class InputTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise InputTimeout("input took longer than the per-input limit")


def signature(target, error):
    """(target, exception type, innermost frame inside xlmr_np, or the innermost frame at all)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if f"{os.sep}xlmr_np{os.sep}" in f.filename]
    frame = (ours or frames or [None])[-1]
    where = f"{os.path.relpath(frame.filename)}:{frame.lineno}" if frame else "?"
    return f"{target} | {type(error).__name__} | {where}"


def run_round(name, strategy, function, examples, timeout, state):
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(ops):
        state["tried"][name] += 1
        state["last"].seek(0)
        state["last"].write(f"{name}\n{ops!r}\n")
        state["last"].truncate()
        state["last"].flush()
        signal.alarm(timeout)
        try:
            function(ops)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 - every escape is a finding
            key = signature(name, error)
            record = state["failures"].setdefault(key, {
                "count": 0, "input": repr(ops), "error": f"{type(error).__name__}: {error}"[:500],
                "traceback": traceback.format_exc()[-3000:]})
            if record["count"] == 0:
                print(f"  NEW FAILURE {key}\n    {record['error'][:200]}\n    input: {record['input'][:300]}",
                      flush=True)
            record["count"] += 1
        finally:
            signal.alarm(0)

    one()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--targets", default=",".join(test_fuzz_files.TARGETS))
    parser.add_argument("--round", type=int, default=200, help="examples per target per round")
    parser.add_argument("--input-timeout", type=int, default=10, help="seconds per input")
    parser.add_argument("--memory-gib", type=float, default=8.0)
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "xlmr_np-fuzz-findings"))
    args = parser.parse_args(argv)
    names = [name for name in args.targets.split(",") if name]
    unknown = [name for name in names if name not in test_fuzz_files.TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {', '.join(test_fuzz_files.TARGETS)}")

    limit = int(args.memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    test_fuzz_files.seeds()  # build the seed files before the clock starts
    faulthandler.enable()
    os.makedirs(args.out, exist_ok=True)
    state = {"tried": {name: 0 for name in names}, "failures": {},
             "last": open(os.path.join(args.out, "last-input.txt"), "w", encoding="utf-8")}
    start = time.monotonic()
    deadline = start + 60 * args.minutes
    rounds = 0
    while time.monotonic() < deadline:
        for name in names:
            if time.monotonic() >= deadline:
                break
            strategy, function = test_fuzz_files.TARGETS[name]
            run_round(name, strategy, function, args.round, args.input_timeout, state)
        rounds += 1
        print(f"[{time.monotonic() - start:7.1f}s] round {rounds}: {sum(state['tried'].values())} inputs, "
              f"{len(state['failures'])} distinct failures", flush=True)

    total = sum(state["tried"].values())
    print(f"\n{total} inputs tried in {time.monotonic() - start:.0f} s:")
    for name in names:
        found = sum(1 for key in state["failures"] if key.startswith(name + " |"))
        print(f"  {name:20s} {state['tried'][name]:8d} inputs, {found} distinct failures")
    print(f"{len(state['failures'])} distinct failures" + (":" if state["failures"] else ""))
    for key, record in sorted(state["failures"].items()):
        print(f"  {record['count']:6d}x {key}\n          {record['error'][:200]}")
    state["last"].close()
    with open(os.path.join(args.out, "findings.json"), "w", encoding="utf-8") as handle:
        json.dump({"inputs": state["tried"], "seconds": time.monotonic() - start,
                   "failures": state["failures"]}, handle, indent=2)
    return 1 if state["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
