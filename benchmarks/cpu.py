"""CPU inference benchmark: xlmr_np against transformers (eager, sdpa) and ONNX Runtime.

    pip install -e ".[bench]" && python benchmarks/cpu.py

Builds a base-size checkpoint once (transformers, random init, safetensors; an ONNX export of the
same weights), then runs every runner in its own process, one after another, at the same thread
count, and prints tokens/s per workload and the ratio of xlmr_np to the best peer. Each runner's
output on a probe batch is compared with the others (max abs difference), so a fast wrong answer
can't win. Numbers go to docs/benchmarks.md by hand, with the command that produced them.

The machine's speed drifts between runners, so one run's ratios can be off by 10-20%. With
``--rounds N`` every runner runs N times, the order reversed every other round (ABC, CBA, ...),
and the table shows each runner's median, followed by the ratio of each round.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

BASE = dict(vocab_size=250002, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
            intermediate_size=3072, max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5)
FIXED = [(1, 16), (8, 128), (32, 128), (4, 512)]
WORKLOADS = [f"{batch}x{seq}" for batch, seq in FIXED] + ["variable-arrival", "variable-sorted"]
RUNNERS = ["xlmr_np", "transformers-eager", "transformers-sdpa", "onnxruntime"]
BATCH = 32


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -------------------------------------------------------------------------- the workloads


def sentence_lengths(count: int, seed: int = 0) -> list[int]:
    """Real-text-like lengths: log-normal around ~30 tokens, 6 to 256, long tail."""
    rng = np.random.default_rng(seed)
    return [int(n) for n in np.clip(rng.lognormal(3.4, 0.8, size=count), 6, 256)]


def make_sentences(count: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    sentences = []
    for length in sentence_lengths(count, seed):
        ids = rng.integers(5, BASE["vocab_size"], size=length)
        ids[0], ids[-1] = 0, 2
        sentences.append(ids)
    return sentences


def batches(sentences, sort: bool):
    order = sorted(range(len(sentences)), key=lambda i: len(sentences[i])) if sort else range(len(sentences))
    ordered = [sentences[i] for i in order]
    return [ordered[i:i + BATCH] for i in range(0, len(ordered), BATCH)]


def pad(sequences):
    width = max(len(s) for s in sequences)
    ids = np.ones((len(sequences), width), dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        ids[row, :len(sequence)] = sequence
        mask[row, :len(sequence)] = 1
    return ids, mask


PROBE_LENGTHS = (7, 31, 64, 12)


def probe_batch(vocab_size: int = BASE["vocab_size"]):
    """The fixed probe sequences every runner encodes (ids below 1000, or the vocabulary)."""
    rng = np.random.default_rng(123)
    return [np.concatenate([[0], rng.integers(5, min(1000, vocab_size), size=n - 2), [2]]) for n in PROBE_LENGTHS]


# -------------------------------------------------------------------------- the runners


def load_runner(name: str, workdir: str, threads: int):
    """Return (encode(list of id arrays) -> list of (len, hidden) arrays, load seconds)."""
    checkpoint = os.path.join(workdir, "base")
    start = time.perf_counter()
    if name == "xlmr_np":
        import xlmr_np

        model = xlmr_np.XLMRobertaModel.from_pretrained(checkpoint)
        load = time.perf_counter() - start

        def encode(sequences):
            return model.encode_batch(sequences).last_hidden_state

        return encode, load
    if name.startswith("transformers"):
        import torch
        from transformers import XLMRobertaModel

        torch.set_num_threads(threads)
        implementation = name.split("-")[1]
        model = XLMRobertaModel.from_pretrained(checkpoint, attn_implementation=implementation).eval()
        load = time.perf_counter() - start

        def encode(sequences):
            ids, mask = pad(sequences)
            with torch.inference_mode():
                hidden = model(torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state
            return [hidden[row, :len(s)].numpy() for row, s in enumerate(sequences)]

        return encode, load
    if name == "onnxruntime":
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(os.path.join(workdir, "base.onnx"), options,
                                               providers=["CPUExecutionProvider"])
        load = time.perf_counter() - start

        def encode(sequences):
            ids, mask = pad(sequences)
            hidden = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]
            return [hidden[row, :len(s)] for row, s in enumerate(sequences)]

        return encode, load
    raise SystemExit(f"unknown runner {name}")


def time_fixed(encode, batch, seq, min_seconds):
    rng = np.random.default_rng(seq)
    sequences = [np.concatenate([[0], rng.integers(5, BASE["vocab_size"], size=seq - 2), [2]])
                 for _ in range(batch)]
    encode(sequences)  # warm-up
    times, started = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - started < min_seconds:
        start = time.perf_counter()
        encode(sequences)
        times.append(time.perf_counter() - start)
    return batch * seq / statistics.median(times)


def time_variable(encode, sentences, sort):
    groups = batches(sentences, sort)
    encode(groups[0])  # warm-up
    start = time.perf_counter()
    for group in groups:
        encode(group)
    return sum(len(s) for s in sentences) / (time.perf_counter() - start)


def run_one(args):
    """Child process: load one runner, time every workload, print one JSON line."""
    try:
        encode, load = load_runner(args.run, args.workdir, args.threads)
    except Exception as error:  # e.g. sdpa not supported by this transformers version
        print(json.dumps({"runner": args.run, "error": f"{type(error).__name__}: {error}"[:300]}))
        return
    result = {"runner": args.run, "load_s": load, "load_peak_rss_mb": peak_rss_mb()}
    probe = encode(probe_batch())
    np.save(os.path.join(args.workdir, f"probe-{args.run}.npy"), np.concatenate(probe))
    for batch, seq in FIXED:
        result[f"{batch}x{seq}"] = time_fixed(encode, batch, seq, args.min_seconds)
        if (batch, seq) == (8, 128):
            result["peak_rss_after_8x128_mb"] = peak_rss_mb()
    sentences = make_sentences(args.sentences)
    result["variable-arrival"] = time_variable(encode, sentences, sort=False)
    result["variable-sorted"] = time_variable(encode, sentences, sort=True)
    print(json.dumps(result))


# -------------------------------------------------------------------------- the driver


def save_random_checkpoint(checkpoint, config):
    """transformers' XLMRobertaModel(config), random init with seed 0, saved as safetensors, once."""
    if os.path.exists(os.path.join(checkpoint, "model.safetensors")):
        return
    import torch
    import transformers
    from transformers import XLMRobertaConfig, XLMRobertaModel

    torch.manual_seed(0)
    model = XLMRobertaModel(XLMRobertaConfig(**config)).eval()
    # transformers 5 removed the argument (it always writes safetensors) and raises TypeError on it
    options = {"safe_serialization": True} if int(transformers.__version__.split(".")[0]) < 5 else {}
    model.save_pretrained(checkpoint, **options)


def build_checkpoint(workdir):
    """The base-size checkpoint (transformers, seed 0, safetensors) and its ONNX export."""
    import torch
    from transformers import XLMRobertaModel

    checkpoint = os.path.join(workdir, "base")
    save_random_checkpoint(checkpoint, BASE)
    onnx_path = os.path.join(workdir, "base.onnx")
    if not os.path.exists(onnx_path):
        model = XLMRobertaModel.from_pretrained(checkpoint).eval()
        ids = torch.randint(5, 1000, (2, 16))
        torch.onnx.export(model, (ids, torch.ones_like(ids)), onnx_path, opset_version=17, dynamo=False,
                          input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state", "pooler_output"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                        "attention_mask": {0: "batch", 1: "seq"}})


def import_time() -> float:
    def wall(code):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    baseline = min(wall("pass") for _ in range(3))
    return min(wall("import xlmr_np") for _ in range(3)) - baseline


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default=os.path.join(os.path.expanduser("~"), ".cache", "xlmr_np_bench"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--min-seconds", type=float, default=3.0)
    parser.add_argument("--runners", default=",".join(RUNNERS))
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the runners this many times, the order reversed every other round; "
                             "the table reports each runner's median over the rounds")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        return run_one(args)

    os.makedirs(args.workdir, exist_ok=True)
    build_checkpoint(args.workdir)
    environment = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
                   "OPENBLAS_NUM_THREADS": str(args.threads), "XLMR_NP_NUM_THREADS": str(args.threads)}
    rounds = {runner: [] for runner in args.runners.split(",")}
    for number in range(args.rounds):
        order = list(rounds) if number % 2 == 0 else list(reversed(rounds))  # drift hits both ends alike
        for runner in order:
            command = [sys.executable, __file__, "--run", runner, "--workdir", args.workdir, "--threads",
                       str(args.threads), "--sentences", str(args.sentences), "--min-seconds", str(args.min_seconds)]
            output = subprocess.run(command, env=environment, capture_output=True, text=True)
            lines = [line for line in output.stdout.splitlines() if line.startswith("{")]
            rounds[runner].append(json.loads(lines[-1]) if lines else {"error": output.stderr[-300:]})
            print(f"# round {number + 1} {runner}: {json.dumps(rounds[runner][-1])}", flush=True)
    results = {runner: median_result(runs) for runner, runs in rounds.items()}
    if args.rounds > 1:
        print_round_ratios(rounds)
    report(args, results)


def median_result(runs: list) -> dict:
    """One runner's rounds as one result: the median of every number; the first error if any run failed."""
    failed = [run for run in runs if "error" in run]
    if failed:
        return failed[0]
    return {key: statistics.median(run[key] for run in runs) if isinstance(runs[0][key], (int, float)) else runs[0][key]
            for key in runs[0]}


def print_round_ratios(rounds: dict):
    """xlmr_np / best peer in each round, to show the spread the medians hide."""
    if "xlmr_np" not in rounds or any("error" in run for run in rounds["xlmr_np"]):
        return
    print("\nxlmr_np / best peer, round by round:")
    for workload in WORKLOADS:
        ratios = []
        for number, ours in enumerate(rounds["xlmr_np"]):
            peers = [runs[number][workload] for name, runs in rounds.items()
                     if name != "xlmr_np" and "error" not in runs[number]]
            if peers:
                ratios.append(f"{ours[workload] / max(peers):.2f}")
        print(f"  {workload}: {', '.join(ratios)}")


def report(args, results):
    ok = {name: r for name, r in results.items() if "error" not in r}
    print(f"\ntokens/s ({args.threads} threads; variable workloads count real tokens only, "
          f"{args.sentences} sentences, batches of {BATCH}; median of {args.rounds} round(s))\n")
    names = list(ok)
    print("| workload | " + " | ".join(names) + " | xlmr_np / best peer |")
    print("|---" * (len(names) + 2) + "|")
    for workload in WORKLOADS:
        row = [ok[name][workload] for name in names]
        peers = [ok[name][workload] for name in names if name != "xlmr_np"]
        ratio = ok["xlmr_np"][workload] / max(peers) if "xlmr_np" in ok and peers else float("nan")
        print(f"| {workload} | " + " | ".join(f"{value:,.0f}" for value in row) + f" | {ratio:.2f} |")
    for name, result in results.items():
        if "error" in result:
            print(f"\n{name}: not run ({result['error']})")
    print()
    for name in names:
        r = ok[name]
        print(f"{name}: load {r['load_s']:.2f} s, peak RSS after load {r['load_peak_rss_mb']:,.0f} MB, "
              f"after 8x128 {r['peak_rss_after_8x128_mb']:,.0f} MB")
    size = os.path.getsize(os.path.join(args.workdir, "base", "model.safetensors")) / 2**20
    print(f"checkpoint size {size:,.0f} MB; import xlmr_np {import_time():.3f} s")
    probes = {name: np.load(os.path.join(args.workdir, f"probe-{name}.npy")) for name in names}
    for name in names:
        for other in names:
            if name < other:
                print(f"probe max |{name} - {other}| = {np.max(np.abs(probes[name] - probes[other])):.2e}")


if __name__ == "__main__":
    main()
