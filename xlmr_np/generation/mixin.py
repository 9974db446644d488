"""``GenerationMixin.generate``: continue a batch of prompts, token by token, with the KV cache.

The settings, their defaults and what each mode does are the reference's (transformers 4.39
``generate`` with a model config's defaults), so for the same weights greedy and beam search
return the same token ids. Notably, as in the reference for this model:

- ``eos_token_id`` / ``pad_token_id`` of None fall back to the config's (2 and 1 for XLM-R);
  with no pad id the end id pads.
- Without ``attention_mask``, one is made from ``input_ids != pad_token_id`` when the prompt
  contains the pad id (and pad is not an end id), else all ones.
- Position ids come from the ids, not from the mask: in the prompt, pads get ``padding_idx`` and
  real tokens count up from ``padding_idx + 1``; a new token at cache length ``L`` gets
  ``padding_idx + 1 + L``, or ``padding_idx`` when it is the pad id (finished rows).
- Right-padded prompts work but continue after their pads, as the reference does.
- A batch runs until a row that has not ended would need a position past the table (with the
  cache, left pads count; without it, only tokens), and raises an InputError at that step, where
  the reference fails.

Returns the prompts with the new tokens appended: int64 ids of shape (batch, prompt_length + n),
n <= max_new_tokens, on the host (NumPy). ``eos_token_id=[]`` disables ending early.
docs/generation.md explains each mode.
"""

from __future__ import annotations

import numbers

from ..backend import backend_of, default_rng, namespace, to_backend, to_numpy
from ..errors import InputError
from ..modeling.validation import check_ids, is_int
from .beam_scorer import BeamSearchScorer
from .logits_processing import sampling_warpers
from .search import beam_search, greedy_search, sample


def _host_array(value, name: str):
    """``value`` (list, NumPy or CuPy array) as a NumPy array, or an InputError (e.g. ragged lists)."""
    try:
        return to_numpy(value)
    except (ValueError, TypeError) as error:
        raise InputError(f"{name} could not be read as an array: {error}") from None


class GenerationMixin:
    """Adds ``generate`` to a causal language model (``XLMRobertaForCausalLM``)."""

    def prepare_inputs_for_generation(self, input_ids, past_key_values=None, attention_mask=None):
        """The reference's: with a cache, feed only the ids the cache has not seen (the last one)."""
        if attention_mask is None:
            attention_mask = namespace(input_ids).ones(input_ids.shape, dtype=input_ids.dtype)
        if past_key_values is not None:
            past_length = past_key_values[0][0].shape[2]
            keep_from = past_length if input_ids.shape[1] > past_length else input_ids.shape[1] - 1
            input_ids = input_ids[:, keep_from:]
        return {"input_ids": input_ids, "attention_mask": attention_mask, "past_key_values": past_key_values}

    def _reorder_cache(self, past_key_values, beam_idx):
        """Beam search: row ``i`` of the new cache is row ``beam_idx[i]`` of the old one."""
        reordered = []
        for layer_past in past_key_values:
            xp = namespace(layer_past[0])
            rows = to_backend(beam_idx, backend_of(layer_past[0]))
            reordered.append(tuple(xp.take(state, rows, axis=0) for state in layer_past))
        return tuple(reordered)

    def generate(self, input_ids, attention_mask=None, max_new_tokens=20, do_sample=False, temperature=1.0,
                 top_k=50, top_p=1.0, num_beams=1, length_penalty=1.0, early_stopping=False,
                 eos_token_id=None, pad_token_id=None, seed=None):
        """Greedy search (default), sampling (``do_sample``), beam search (``num_beams > 1``) or
        beam sampling (both). ``seed`` makes sampling reproducible."""
        config = self.config
        input_ids = self._generation_ids(input_ids)
        batch, prompt_len = input_ids.shape
        eos_token_ids = self._end_ids(eos_token_id)
        if pad_token_id is None:
            pad_token_id = config.pad_token_id
        if pad_token_id is None and eos_token_ids is not None:
            pad_token_id = eos_token_ids[0]  # the reference's fallback for open-ended generation
        if pad_token_id is not None and (not is_int(pad_token_id) or not 0 <= pad_token_id < config.vocab_size):
            raise InputError(f"pad_token_id={pad_token_id!r} must be an id in [0, vocab_size={config.vocab_size})")
        self._check_settings(max_new_tokens, do_sample, temperature, top_k, top_p, num_beams, length_penalty,
                             early_stopping, seed)
        max_length = prompt_len + max_new_tokens

        host = namespace(input_ids)
        if attention_mask is None:
            pad_is_end = eos_token_ids is not None and pad_token_id in eos_token_ids
            if pad_token_id is not None and bool(host.any(input_ids == pad_token_id)) and not pad_is_end:
                attention_mask = (input_ids != pad_token_id).astype(host.int64)
            else:
                attention_mask = host.ones(input_ids.shape, dtype=host.int64)
        else:
            attention_mask = _host_array(attention_mask, "attention_mask")
            if tuple(attention_mask.shape) != tuple(input_ids.shape):
                raise InputError(f"attention_mask has shape {tuple(attention_mask.shape)}, but input_ids has "
                                 f"shape {tuple(input_ids.shape)}")
            # Cast to int64 below, so a value other than 0/1 (0.5 -> 0) would silently change the mask.
            if attention_mask.dtype.kind not in "biuf" or not bool(host.isin(attention_mask, (0, 1)).all()):
                raise InputError(f"attention_mask must hold 0 (padding) and 1 (tokens), got "
                                 f"{attention_mask.dtype} values {host.unique(attention_mask)[:5].tolist()}")
            attention_mask = attention_mask.astype(host.int64)

        warpers = sampling_warpers(float(temperature), top_k, top_p,
                                   min_tokens_to_keep=2 if num_beams > 1 else 1) if do_sample else []
        rng = default_rng(seed) if do_sample else None
        if num_beams == 1:
            kwargs = {"attention_mask": attention_mask, "past_key_values": None}
            if do_sample:
                return sample(self, input_ids, kwargs, max_length, pad_token_id, eos_token_ids, warpers, rng)
            return greedy_search(self, input_ids, kwargs, max_length, pad_token_id, eos_token_ids)

        # Beam search: every prompt repeated num_beams times, next to each other.
        scorer = BeamSearchScorer(batch, num_beams, length_penalty, early_stopping, max_length)
        kwargs = {"attention_mask": host.repeat(attention_mask, num_beams, axis=0), "past_key_values": None}
        return beam_search(self, host.repeat(input_ids, num_beams, axis=0), kwargs, scorer, max_length,
                           pad_token_id, eos_token_ids, warpers=warpers, rng=rng)

    # -- argument checks ---------------------------------------------------------------------------

    def _generation_ids(self, input_ids):
        ids = _host_array(input_ids, "input_ids")
        if ids.dtype.kind not in "iu":
            raise InputError(f"input_ids must hold integer token ids, got dtype {ids.dtype}")
        if ids.ndim != 2 or ids.shape[0] == 0 or ids.shape[1] == 0:
            raise InputError(f"input_ids must be 2-D (batch, prompt length) with at least one token, "
                             f"got shape {tuple(ids.shape)}")
        ids = ids.astype("int64")
        check_ids(ids, "input_ids", self.config.vocab_size, "vocab_size")
        return ids

    def _end_ids(self, eos_token_id):
        """An id or a list of ids (any of them ends a sequence), or None: the config's eos id."""
        if eos_token_id is None:
            eos_token_id = self.config.eos_token_id
        if eos_token_id is None:
            return None
        ids = [eos_token_id] if not isinstance(eos_token_id, (list, tuple)) else list(eos_token_id)
        for value in ids:
            if not is_int(value) or not 0 <= value < self.config.vocab_size:
                raise InputError(f"eos_token_id={eos_token_id!r} must be an id (or ids) in "
                                 f"[0, vocab_size={self.config.vocab_size})")
        return [int(value) for value in ids] or None

    def _check_settings(self, max_new_tokens, do_sample, temperature, top_k, top_p, num_beams,
                        length_penalty, early_stopping, seed):
        if not is_int(max_new_tokens) or max_new_tokens < 1:
            raise InputError(f"max_new_tokens={max_new_tokens!r} must be an integer >= 1")
        if not is_int(num_beams) or num_beams < 1:
            raise InputError(f"num_beams={num_beams!r} must be an integer >= 1 (1 means no beam search)")
        if not isinstance(do_sample, bool):
            raise InputError(f"do_sample={do_sample!r} must be True or False")
        if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real) or not temperature > 0:
            raise InputError(f"temperature={temperature!r} must be a number > 0 (for greedy decoding "
                             f"use do_sample=False)")
        if top_k is not None and (not is_int(top_k) or top_k < 0):
            raise InputError(f"top_k={top_k!r} must be an integer >= 0 (0 or None: no top-k filtering)")
        if isinstance(top_p, bool) or not isinstance(top_p, numbers.Real) or not 0.0 <= top_p <= 1.0:
            raise InputError(f"top_p={top_p!r} must be a number in [0, 1]")
        if isinstance(length_penalty, bool) or not isinstance(length_penalty, numbers.Real):
            raise InputError(f"length_penalty={length_penalty!r} must be a number")
        if early_stopping not in (True, False, "never"):
            raise InputError(f"early_stopping={early_stopping!r} must be True, False or 'never'")
        if seed is not None and (not is_int(seed) or seed < 0):
            raise InputError(f"seed={seed!r} must be an integer >= 0 or None")
