"""``xlmr-np verify``: run xlmr_np and the PyTorch reference on the same input, layer by layer.

Needs the test extra (torch and transformers); prints the largest and mean absolute difference
of every hidden state and of the pooled output, and fails (exit 1) above the tolerance the test
suite uses (docs/testing.md).
"""

from __future__ import annotations

import warnings

import numpy

from ..backend import to_numpy
from ..errors import InputError

TOLERANCE = 1e-4


def compare_with_reference(model, source, tokenizer, text):
    """Rows of (name, max abs error, mean abs error) for each hidden state and the pooled output."""
    try:
        import torch  # noqa: PLC0415 - optional: only this command needs the reference
        import transformers  # noqa: PLC0415
    except ImportError:
        raise InputError("verify needs the PyTorch reference: pip install 'xlmr-np[test]'") from None
    ids = numpy.asarray([tokenizer(text, truncation=True)["input_ids"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        transformers.logging.set_verbosity_error()
        reference, loading = transformers.XLMRobertaModel.from_pretrained(source, output_loading_info=True)
    reference.eval()
    has_pooler = not any("pooler." in key for key in loading["missing_keys"])
    with torch.no_grad():
        expected = reference(torch.from_numpy(ids), output_hidden_states=True)
    actual = model(ids, output_hidden_states=True)
    rows = []
    for index, (a, e) in enumerate(zip(actual.hidden_states, expected.hidden_states)):
        name = "embeddings" if index == 0 else f"layer {index}"
        rows.append((name, *errors(a, e.numpy())))
    if has_pooler:  # a masked-LM checkpoint has none: both sides would initialise it randomly
        rows.append(("pooler", *errors(actual.pooler_output, expected.pooler_output.numpy())))
    return rows


def errors(actual, expected):
    difference = numpy.abs(to_numpy(actual).astype(numpy.float64) - expected.astype(numpy.float64))
    return float(difference.max()), float(difference.mean())


def format_rows(rows) -> str:
    lines = ["  output        max |error|   mean |error|"]
    lines += [f"  {name:12s}  {worst:11.3e}   {mean:11.3e}" for name, worst, mean in rows]
    worst = max(row[1] for row in rows)
    verdict = "OK" if worst <= TOLERANCE else "MISMATCH"
    lines.append(f"largest error {worst:.3e} (tolerance {TOLERANCE:.0e}): {verdict}")
    return "\n".join(lines)
