"""``xlmr-np explain``: a step-by-step trace of one forward pass.

Tokens and ids, embedding statistics, and per layer the hidden-state norm, how much the layer
changed it, and the attention entropy (how spread out each head's attention is, in nats; a head
that looks at one token has entropy 0, one that looks at all n tokens evenly has log n).
With ``--plot DIR``: one PNG of attention heatmaps (one panel per head) per layer.
"""

from __future__ import annotations

import math
import os

import numpy

from ..backend import to_numpy


def attention_entropy(probabilities):
    """Mean entropy (nats) of the attention rows: (batch, heads, q, k) -> float."""
    p = to_numpy(probabilities).astype(numpy.float64)
    return float(numpy.mean(-numpy.sum(p * numpy.log(numpy.clip(p, 1e-30, None)), axis=-1)))


def trace(model, tokenizer, text):
    """The numbers ``explain`` prints, as a JSON-ready dict."""
    encoding = tokenizer(text, truncation=True)
    ids = encoding["input_ids"]
    output = model(numpy.asarray([ids]), output_hidden_states=True, output_attentions=True)
    hidden = [to_numpy(h)[0] for h in output.hidden_states]
    embeddings = hidden[0]
    layers = []
    for index in range(1, len(hidden)):
        change = numpy.linalg.norm(hidden[index] - hidden[index - 1], axis=-1)
        layers.append({
            "layer": index,
            "hidden_norm": float(numpy.mean(numpy.linalg.norm(hidden[index], axis=-1))),
            "change_norm": float(numpy.mean(change)),
            "attention_entropy": attention_entropy(output.attentions[index - 1]),
        })
    return {
        "text": text,
        "tokens": tokenizer.convert_ids_to_tokens(ids),
        "ids": ids,
        "embeddings": {"mean": float(embeddings.mean()), "std": float(embeddings.std()),
                       "min": float(embeddings.min()), "max": float(embeddings.max()),
                       "token_norm": float(numpy.mean(numpy.linalg.norm(embeddings, axis=-1)))},
        "uniform_entropy": math.log(len(ids)),
        "layers": layers,
        "_attentions": [to_numpy(a)[0] for a in output.attentions],
    }


def format_trace(result) -> str:
    lines = [f"text: {result['text']!r}", "tokens and ids:"]
    lines += [f"  {index:3d}  {token!r:20} {token_id}"
              for index, (token, token_id) in enumerate(zip(result["tokens"], result["ids"]))]
    e = result["embeddings"]
    lines.append(f"embeddings (after LayerNorm): mean {e['mean']:+.4f}  std {e['std']:.4f}  "
                 f"min {e['min']:+.3f}  max {e['max']:+.3f}  mean token norm {e['token_norm']:.3f}")
    lines.append(f"per layer (attention entropy in nats; uniform over {len(result['ids'])} tokens "
                 f"= {result['uniform_entropy']:.3f}):")
    lines.append("  layer  hidden norm  change norm  attention entropy")
    lines += [f"  {r['layer']:5d}  {r['hidden_norm']:11.3f}  {r['change_norm']:11.3f}  {r['attention_entropy']:17.3f}"
              for r in result["layers"]]
    return "\n".join(lines)


def plot_attentions(result, directory) -> list[str]:
    """Write one heatmap PNG per layer into ``directory``; return the paths."""
    try:
        import matplotlib  # noqa: PLC0415 - optional dependency

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        from ..errors import InputError  # noqa: PLC0415

        raise InputError("--plot needs matplotlib: pip install matplotlib") from None
    os.makedirs(directory, exist_ok=True)
    labels = result["tokens"]
    paths = []
    for layer, attention in enumerate(result["_attentions"], start=1):
        heads = attention.shape[0]
        columns = min(heads, 4)
        rows = math.ceil(heads / columns)
        figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3.2 * rows), squeeze=False)
        for head in range(rows * columns):
            axis = axes[head // columns][head % columns]
            if head >= heads:
                axis.axis("off")
                continue
            axis.imshow(attention[head], cmap="viridis", vmin=0.0, vmax=1.0)
            axis.set_title(f"head {head}", fontsize=8)
            axis.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
            axis.set_yticks(range(len(labels)), labels, fontsize=6)
        figure.suptitle(f"layer {layer}: attention (row = query, column = key)")
        figure.tight_layout()
        path = os.path.join(directory, f"attention_layer_{layer:02d}.png")
        figure.savefig(path, dpi=100)
        plt.close(figure)
        paths.append(path)
    return paths
