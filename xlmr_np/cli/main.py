"""``xlmr-np``: the command-line entry point.

    xlmr-np fill-mask "Are you <mask>?"
    xlmr-np embed --pooling mean "first text" "second text" --json
    xlmr-np classify --model DIR --file texts.txt
    xlmr-np ner --model DIR "Angela Merkel visited Paris."
    xlmr-np qa --model DIR --question "Who?" --context "..."
    xlmr-np explain "Are you sure?" --plot attention/
    xlmr-np verify "Are you sure?"
    xlmr-np convert legacy_dir/ converted_dir/

Without ``--model`` the small model that ships with xlmr_np is used (fill-mask, embed, explain,
verify). Errors are one line on stderr and a non-zero exit status. See docs/cli.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from ..errors import XLMRError

EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xlmr-np", description="XLM-RoBERTa on NumPy: pipelines and tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help_text, inputs=True):
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--model", help="checkpoint directory or Hugging Face Hub id (default: built-in model)")
        sub.add_argument("--backend", choices=["numpy", "cupy"], default="numpy")
        sub.add_argument("--json", action="store_true", help="one JSON object per input on stdout")
        if inputs:
            sub.add_argument("texts", nargs="*", help="input texts (else --file, else stdin)")
            sub.add_argument("--file", help="a file of text lines or JSON lines ('-' for stdin)")
            sub.add_argument("--batch-size", type=int, default=32)
            sub.add_argument("--quiet", action="store_true", help="no progress bar")
        return sub

    command("fill-mask", "top tokens for each <mask>").add_argument("--top-k", type=int, default=5)
    embed = command("embed", "sentence embeddings (pooled final hidden states)")
    embed.add_argument("--pooling", choices=["cls", "mean", "max", "mean_sqrt_len"],
                       help="default: the checkpoint's sentence-transformers config, else cls")
    embed.add_argument("--normalize", action=argparse.BooleanOptionalAction, default=None)
    command("classify", "text classification").add_argument("--top-k", type=int, default=1)
    command("ner", "token classification (named entities)").add_argument(
        "--aggregation", default="simple", choices=["none", "simple", "first", "average", "max"])
    qa = command("qa", "extractive question answering")
    qa.add_argument("--question")
    qa.add_argument("--context")
    qa.add_argument("--top-k", type=int, default=1)
    explain = command("explain", "a step-by-step trace of one forward pass")
    explain.add_argument("--plot", metavar="DIR", help="write attention heatmaps (PNG) into DIR")
    command("verify", "compare with the PyTorch reference, layer by layer (needs the test extra)")
    convert = commands.add_parser("convert", help="legacy pytorch_model.bin -> safetensors",
                                  description="Convert a legacy pytorch_model.bin checkpoint to safetensors "
                                              "without running pickled code.")
    convert.add_argument("source", help="a directory, a .bin file or a .bin.index.json")
    convert.add_argument("destination", help="output directory")
    convert.add_argument("--overwrite", action="store_true")
    return parser


def emit(args, results, human):
    """Print results: JSON lines with --json, else each through ``human``."""
    for item, result in results:
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(human(item, result))


def run_pipeline(args, task, items, **options):
    from ..pipelines import pipeline  # noqa: PLC0415 - keeps `xlmr-np --help` fast
    from .progress import progress  # noqa: PLC0415

    pipe = pipeline(task, model=args.model, backend=args.backend, batch_size=args.batch_size,
                    **options.pop("construct", {}))
    chunks = [items[i:i + args.batch_size] for i in range(0, len(items), args.batch_size)]
    results = []
    for chunk in progress(chunks, total=len(chunks), description=task, enabled=not args.quiet and len(chunks) > 1):
        results.extend(pipe.run(chunk, **options))
    return pipe, list(zip(items, results))


def fill_mask(args, items):
    def human(text, result):
        groups = result if isinstance(result[0], list) else [result]
        lines = [text]
        for number, group in enumerate(groups, start=1):
            if len(groups) > 1:
                lines.append(f"  <mask> {number}:")
            lines += [f"  {p['score']:.4f}  {p['token_str']!r:16} {p['sequence']}" for p in group]
        return "\n".join(lines)

    emit(args, run_pipeline(args, "fill-mask", items, top_k=args.top_k)[1], human)


def embed(args, items):
    pipe, results = run_pipeline(args, "sentence-embedding", items,
                                 construct={"pooling": args.pooling, "normalize": args.normalize})
    rows = [(text, [float(v) for v in vector]) for text, vector in results]

    def human(text, vector):
        norm = sum(v * v for v in vector) ** 0.5
        shown = ", ".join(f"{v:+.4f}" for v in vector[:6])
        return f"{text}\n  dim {len(vector)}  norm {norm:.4f}  [{shown}, ...]"

    if args.json:
        for text, vector in rows:
            print(json.dumps({"text": text, "embedding": vector, "pooling": pipe.pooling,
                              "normalized": pipe.normalize}, ensure_ascii=False))
    else:
        emit(args, rows, human)


def classify(args, items):
    def human(text, result):
        return text + "\n" + "\n".join(f"  {r['label']}  {r['score']:.4f}" for r in result)

    emit(args, run_pipeline(args, "text-classification", items, top_k=args.top_k)[1], human)


def ner(args, items):
    def human(text, entities):
        lines = [text] + [f"  {e.get('entity_group', e.get('entity'))}  {e['word']!r}  [{e['start']}:{e['end']}]  "
                          f"{e['score']:.4f}" for e in entities]
        return "\n".join(lines if entities else [text, "  (no entities)"])

    emit(args, run_pipeline(args, "token-classification", items, aggregation_strategy=args.aggregation)[1], human)


def qa(args, items):
    def human(item, answer):
        answers = answer if isinstance(answer, list) else [answer]
        return f"Q: {item['question']}\n" + "\n".join(
            f"  {a['answer']!r}  [{a['start']}:{a['end']}]  {a['score']:.4f}" for a in answers)

    emit(args, run_pipeline(args, "question-answering", items, top_k=args.top_k)[1], human)


def load_for_tools(args):
    """The bare encoder and tokenizer for explain/verify."""
    from ..modeling import XLMRobertaModel  # noqa: PLC0415
    from ..pipelines.model_source import resolve_model  # noqa: PLC0415
    from ..tokenization import XLMRobertaTokenizer  # noqa: PLC0415

    source = resolve_model(args.model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a masked-LM checkpoint's unused head is expected here
        model = XLMRobertaModel.from_pretrained(source, backend=args.backend)
    return model, XLMRobertaTokenizer.from_pretrained(source), source


def explain(args, items):
    from . import explain as tracing  # noqa: PLC0415

    model, tokenizer, _ = load_for_tools(args)
    for text in items:
        result = tracing.trace(model, tokenizer, text)
        if args.plot:
            result["plots"] = tracing.plot_attentions(result, args.plot)
        result.pop("_attentions")  # arrays: plotted above, not printed
        print(json.dumps(result, ensure_ascii=False) if args.json else tracing.format_trace(result))
        if args.plot and not args.json:
            print(f"attention heatmaps: {len(result['plots'])} PNG files in {args.plot}")


def verify(args, items):
    from . import verify as checking  # noqa: PLC0415

    model, tokenizer, source = load_for_tools(args)
    failed = False
    for text in items:
        rows = checking.compare_with_reference(model, source, tokenizer, text)
        worst = max(row[1] for row in rows)
        failed |= worst > checking.TOLERANCE
        if args.json:
            print(json.dumps({"text": text, "max_error": worst, "tolerance": checking.TOLERANCE,
                              "rows": [{"output": n, "max_error": m, "mean_error": a} for n, m, a in rows]}))
        else:
            print(f"{text!r}\n{checking.format_rows(rows)}")
    return 1 if failed else 0


def convert(args):
    from ..checkpoint.convert import convert_bin_to_safetensors  # noqa: PLC0415

    for path in convert_bin_to_safetensors(args.source, args.destination, overwrite=args.overwrite):
        print(path)


COMMANDS = {"fill-mask": fill_mask, "embed": embed, "classify": classify, "ner": ner, "qa": qa,
            "explain": explain, "verify": verify}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "convert":
            return convert(args) or 0
        from .inputs import read_inputs  # noqa: PLC0415

        if args.command == "qa" and args.question is not None:
            if args.context is None:
                raise XLMRError("qa needs --context with --question")
            items = [{"question": args.question, "context": args.context}]
        else:
            fields = ("question", "context") if args.command == "qa" else ("text",)
            items = read_inputs(args.texts, args.file, fields=fields)
            if args.command == "qa" and not all(isinstance(item, dict) for item in items):
                raise XLMRError("qa reads JSON lines with question and context, or --question/--context")
        if getattr(args, "batch_size", 1) < 1:
            raise XLMRError(f"--batch-size must be at least 1, got {args.batch_size}")
        return COMMANDS[args.command](args, items) or 0
    except (XLMRError, RuntimeError, OSError) as error:
        print(f"xlmr-np {args.command}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
