"""Tokenizer throughput: xlmr_np vs transformers' slow and fast XLM-R tokenizers.

Prints tokens per second (best of several repeats) for a few workloads; asserts nothing.

    python benchmarks/tokenizer.py                         # trains a small model on the test corpus
    python benchmarks/tokenizer.py --checkpoint path/to/xlm-roberta-base --texts 20000

Workloads:
  batch ids       tokenizer(list_of_texts)                  ids + attention mask, no padding
  batch padded    tokenizer(list, padding=True, truncation=True, max_length=128, return_tensors="np")
  batch offsets   tokenizer(list, return_offsets_mapping=True)   (the slow tokenizer cannot do this)
  one by one      tokenizer(text) in a Python loop           per-call overhead

Needs ``transformers``, ``tokenizers`` and ``sentencepiece``. Timings depend on the machine;
SentencePiece's list API may use several threads for large batches, the fast tokenizer too
(``TOKENIZERS_PARALLELISM``). On a busy machine ``--cpu-time`` (CPU seconds of all threads)
gives steadier numbers than wall time.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
CORPUS = os.path.join(REPO, "tests", "data", "multilingual.txt")


def read_corpus():
    with open(CORPUS, encoding="utf-8") as handle:
        return [line for line in handle.read().splitlines() if line.strip()]


def train_checkpoint(directory: str) -> str:
    """Train a 2000-piece unigram model on the test corpus; save it as a transformers checkpoint."""
    import sentencepiece
    import transformers

    writer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(read_corpus()), model_writer=writer, vocab_size=2000, model_type="unigram",
        character_coverage=1.0, num_threads=1, shuffle_input_sentence=False, hard_vocab_limit=False, minloglevel=2,
    )
    model_path = os.path.join(directory, "trained.model")
    with open(model_path, "wb") as handle:
        handle.write(writer.getvalue())
    checkpoint = os.path.join(directory, "checkpoint")
    transformers.XLMRobertaTokenizer(vocab_file=model_path).save_pretrained(checkpoint)
    return checkpoint


def best_time(function, repeats: int, clock=time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        function()
        best = min(best, clock() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", help="tokenizer directory (default: train a small model on the test corpus)")
    parser.add_argument("--texts", type=int, default=5000, help="number of texts per batch (corpus lines, repeated)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per workload; the best is reported")
    parser.add_argument("--single", type=int, default=1000, help="texts for the one-by-one workload")
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="divide by the process's CPU time (all threads) instead of wall time; steadier on a busy machine",
    )
    args = parser.parse_args()

    import transformers

    from xlmr_np.tokenization import XLMRobertaTokenizer

    transformers.logging.set_verbosity_error()
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = args.checkpoint or train_checkpoint(scratch)
        tokenizers = {
            "xlmr_np": XLMRobertaTokenizer.from_pretrained(checkpoint),
            "transformers slow": transformers.XLMRobertaTokenizer.from_pretrained(checkpoint),
            "transformers fast": transformers.XLMRobertaTokenizerFast.from_pretrained(checkpoint),
        }
        corpus = read_corpus()
        texts = (corpus * (args.texts // len(corpus) + 1))[: args.texts]
        token_count = sum(len(row) for row in tokenizers["xlmr_np"](texts)["input_ids"])
        single_texts = texts[: args.single]
        single_tokens = sum(len(row) for row in tokenizers["xlmr_np"](single_texts)["input_ids"])

        workloads = {
            "batch ids": (lambda tok: tok(texts), token_count),
            "batch padded": (
                lambda tok: tok(texts, padding=True, truncation=True, max_length=128, return_tensors="np"),
                token_count,
            ),
            "batch offsets": (lambda tok: tok(texts, return_offsets_mapping=True), token_count),
            "one by one": (lambda tok: [tok(text) for text in single_texts], single_tokens),
        }
        print(f"checkpoint: {checkpoint if args.checkpoint else 'small unigram model trained on tests/data/multilingual.txt'}")
        clock = time.process_time if args.cpu_time else time.perf_counter
        print(f"{len(texts)} texts, {token_count} tokens per batch; {os.cpu_count()} CPUs; "
              f"{'CPU' if args.cpu_time else 'wall'} time\n")
        header = f"{'workload':<16}" + "".join(f"{name:>20}" for name in tokenizers)
        print(header)
        print("-" * len(header))
        for workload, (run, tokens) in workloads.items():
            contenders = {
                name: tokenizer
                for name, tokenizer in tokenizers.items()
                if not (workload == "batch offsets" and name == "transformers slow")  # slow has no offsets
            }
            # Interleave the repeats so that a busy machine slows all contenders alike.
            best = {name: float("inf") for name in contenders}
            for _ in range(args.repeats):
                for name, tokenizer in contenders.items():
                    best[name] = min(best[name], best_time(lambda: run(tokenizer), 1, clock))
            cells = [
                f"{tokens / best[name]:>14,.0f} tok/s" if name in best else f"{'n/a':>20}" for name in tokenizers
            ]
            print(f"{workload:<16}" + "".join(cells))


if __name__ == "__main__":
    main()
