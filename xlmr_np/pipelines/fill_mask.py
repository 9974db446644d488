"""``fill-mask``: the most likely tokens for each ``<mask>``, as transformers' FillMaskPipeline."""

from __future__ import annotations

from ..backend import namespace, to_numpy
from ..errors import InputError
from ..heads import XLMRobertaForMaskedLM
from ..modeling.attention import softmax
from .base import Pipeline


class FillMaskPipeline(Pipeline):
    """``fill_mask("Paris is the <mask> of France.", top_k=5)``.

    One mask: a list of ``{"score", "token", "token_str", "sequence"}``, best first. Several
    masks: one such list per mask (the other masks stay in ``sequence``), as the reference.
    """

    task = "fill-mask"
    model_class = XLMRobertaForMaskedLM

    def run(self, texts, top_k: int = 5):
        if not isinstance(top_k, int) or top_k < 1:
            raise InputError(f"top_k must be a positive integer, got {top_k!r}")
        mask, mask_id, limit = self.tokenizer.mask_token, self.tokenizer.mask_token_id, self.max_tokens()
        encodings = self.tokenizer(list(texts), truncation=True, max_length=limit)["input_ids"]
        for text, ids in zip(texts, encodings):
            if mask_id not in ids:
                shown = repr(text) if len(text) <= 80 else f"{text[:60]!r}... ({len(text)} characters)"
                if mask in text:  # the tokenizer found it, but truncation cut it off
                    raise InputError(f"the {mask} token in the input {shown} comes after the first {limit} "
                                     f"tokens, the most this model reads; shorten the text before the mask")
                raise InputError(f"no {mask} token in the input {shown}")
        results = []
        for ids, hidden in zip(encodings, self.hidden_states(encodings)):
            xp = namespace(hidden)
            positions = [index for index, token in enumerate(ids) if token == mask_id]
            logits = self.model.lm_head(hidden[xp.asarray(positions)][None])[0]  # (masks, vocab)
            probabilities = to_numpy(softmax(logits))
            per_mask = [self.propositions(ids, position, row, top_k, single=len(positions) == 1)
                        for position, row in zip(positions, probabilities)]
            results.append(per_mask[0] if len(per_mask) == 1 else per_mask)
        return results

    def propositions(self, ids, position, probabilities, top_k, single):
        top_k = min(top_k, probabilities.shape[0])
        out = []
        for token in _top_indices(probabilities, top_k):
            filled = list(ids)
            filled[position] = int(token)
            filled = [t for t in filled if t != self.tokenizer.pad_token_id]
            out.append({"score": float(probabilities[token]), "token": int(token),
                        "token_str": self.tokenizer.decode([int(token)]),
                        "sequence": self.tokenizer.decode(filled, skip_special_tokens=single)})
        return out


def _top_indices(values, k):
    """Indices of the k largest values, largest first (argpartition, then sort those k)."""
    xp = namespace(values)
    candidates = xp.argpartition(-values, k - 1)[:k]
    return [int(i) for i in candidates[xp.argsort(-values[candidates], kind="stable")]]
