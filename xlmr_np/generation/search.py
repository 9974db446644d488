"""The decoding loops: greedy search, sampling, beam search and beam sampling.

Each follows the reference's loop (transformers/generation/utils.py, ``_greedy_search``,
``_sample``, ``_beam_search``, ``_beam_sample``): run the model on the tokens the cache has not
seen, take the last position's logits, choose the next token(s), append, update the attention
mask and the cache, stop at the length limit or when every sequence has ended.

Token ids, the attention mask and the beam bookkeeping live on the host; logits, scores and the
key/value cache stay on the model's backend. Random choices use the Gumbel-max trick:
``argmax(scores + Gumbel noise)`` is a draw from ``softmax(scores)``, and the top ``n`` of
the same sum are ``n`` draws without replacement, as ``torch.multinomial`` makes them.
"""

from __future__ import annotations

from ..backend import backend_of, namespace, to_backend, to_numpy
from ..errors import InputError
from ..losses import log_softmax
from .logits_processing import apply_warpers


def check_step_positions(config, fed_ids, past_length, new_tokens, beams=1):
    """InputError when this step's tokens would run past the position table, before the model runs.

    Positions are counted as the model counts them: a row's non-pad ids take the positions after
    everything cached (cached pads included), a row of pads only takes none; relative attention
    limits the key length instead. The reference fails at the same step (an index error), and
    not before: rows that have ended feed pads, so a batch whose rows all end in time runs.
    ``fed_ids``: (batch * beams, fed) on the host; ``new_tokens``: tokens generated before this step.
    """
    host = namespace(fed_ids)
    cached = f"{past_length} cached, left padding included, + " if past_length else ""
    if config.position_embedding_type == "absolute":
        counts = (fed_ids != config.pad_token_id).sum(axis=1)  # (rows,) non-pad ids fed
        used = host.where(counts > 0, past_length + counts, 0)  # (rows,) positions after padding_idx
        allowed = config.max_position_embeddings - config.pad_token_id - 1
        counted = "new" if past_length else "tokens that are not padding"
        limit = (f"the position table has max_position_embeddings={config.max_position_embeddings} rows and "
                 f"real tokens start after padding_idx={config.pad_token_id}, so {allowed} positions fit")
    else:
        counts = host.full(fed_ids.shape[0], fed_ids.shape[1])  # (rows,) every fed id is a key
        used = past_length + counts
        allowed = config.max_position_embeddings
        counted = "new" if past_length else "tokens, padding included"
        limit = (f"{config.position_embedding_type} attention embeds distances only up to "
                 f"max_position_embeddings={allowed}")
    row = int(host.argmax(used))
    if int(used[row]) <= allowed:
        return
    hint = f"max_new_tokens={new_tokens} runs" if new_tokens else "shorten the prompt"
    raise InputError(f"generate: row {row // beams} of input_ids needs {int(used[row])} positions for new token "
                     f"{new_tokens + 1} ({cached}{int(counts[row])} {counted}), but {limit}; {hint}")


def decoding_step(model, input_ids, model_kwargs, prompt_len, beams=1):
    """One forward pass; returns the last position's logits (batch, vocab) and the next kwargs."""
    inputs = model.prepare_inputs_for_generation(input_ids, **model_kwargs)
    past = inputs["past_key_values"]
    check_step_positions(model.config, inputs["input_ids"], 0 if past is None else past[0][0].shape[2],
                         input_ids.shape[1] - prompt_len, beams)
    outputs = model(**inputs, return_dict=True)
    host = namespace(input_ids)
    mask = model_kwargs["attention_mask"]
    next_kwargs = {
        "past_key_values": outputs.past_key_values,  # None when the model keeps no cache
        "attention_mask": host.concatenate([mask, host.ones((mask.shape[0], 1), dtype=mask.dtype)], axis=-1),
    }
    return outputs.logits[:, -1, :], next_kwargs


def descending_order(values):
    """Indices that sort each row from largest to smallest, ties in index order (a stable sort).

    CuPy's sort is always stable and takes no ``kind``; NumPy's default is not stable.
    """
    xp = namespace(values)
    if backend_of(values) == "numpy":
        return xp.argsort(-values, axis=-1, kind="stable")
    return xp.argsort(-values, axis=-1)


def top_candidates(values, n):
    """Per row, the indices of the ``n`` largest values, largest first (ties by index).

    A partial partition finds them in O(vocab) (a full sort of beams * 250k scores each step
    would dominate beam search on a real vocabulary); only those ``n`` are then sorted.
    """
    xp = namespace(values)
    if n >= values.shape[-1]:
        return descending_order(values)
    chosen = xp.argpartition(-values, n - 1, axis=-1)[:, :n]  # the n largest, in no order
    chosen = xp.sort(chosen, axis=-1)  # index order, so the stable sort below breaks ties by index
    return xp.take_along_axis(chosen, descending_order(xp.take_along_axis(values, chosen, axis=-1)), axis=-1)


def gumbel_noise(rng, shape, like):
    """Standard Gumbel noise of ``shape`` in float64 on the backend of ``like``."""
    return to_backend(rng.gumbel(size=shape), backend_of(like))


def sample_from_scores(scores, rng):
    """One token per row, drawn with probability softmax(scores) (-inf scores are never drawn)."""
    xp = namespace(scores)
    keys = scores.astype(xp.float64) + gumbel_noise(rng, scores.shape, scores)  # (batch, vocab)
    return xp.argmax(keys, axis=-1)  # (batch,)


def mark_finished(unfinished, next_tokens, eos_token_ids):
    """Clear the flag of every sequence whose new token is an end-of-sequence id."""
    host = namespace(unfinished)
    if eos_token_ids is None:
        return unfinished
    ended = host.isin(next_tokens, host.asarray(eos_token_ids))
    return unfinished * (1 - ended.astype(unfinished.dtype))


def token_by_token(model, input_ids, model_kwargs, max_length, pad_token_id, eos_token_ids,
                   choose):
    """Greedy search and sampling: ``choose(logits)`` picks each row's next token."""
    host = namespace(input_ids)
    prompt_len = input_ids.shape[-1]
    unfinished = host.ones(input_ids.shape[0], dtype=input_ids.dtype)  # 1 while a row runs
    while True:
        logits, model_kwargs = decoding_step(model, input_ids, model_kwargs, prompt_len)
        next_tokens = to_numpy(choose(logits)).astype(input_ids.dtype)  # (batch,)
        if eos_token_ids is not None:
            # Rows that already ended keep receiving padding.
            next_tokens = next_tokens * unfinished + pad_token_id * (1 - unfinished)
        input_ids = host.concatenate([input_ids, next_tokens[:, None]], axis=-1)
        unfinished = mark_finished(unfinished, next_tokens, eos_token_ids)
        if input_ids.shape[-1] >= max_length or unfinished.max() == 0:
            return input_ids


def greedy_search(model, input_ids, model_kwargs, max_length, pad_token_id, eos_token_ids):
    """Always the most likely next token."""
    return token_by_token(model, input_ids, model_kwargs, max_length, pad_token_id, eos_token_ids,
                          choose=lambda logits: namespace(logits).argmax(logits, axis=-1))


def sample(model, input_ids, model_kwargs, max_length, pad_token_id, eos_token_ids, warpers, rng):
    """The next token drawn from softmax(warped logits)."""
    return token_by_token(model, input_ids, model_kwargs, max_length, pad_token_id, eos_token_ids,
                          choose=lambda logits: sample_from_scores(apply_warpers(warpers, logits), rng))


def beam_search(model, input_ids, model_kwargs, scorer, max_length, pad_token_id, eos_token_ids,
                warpers=None, rng=None):
    """Keep the ``num_beams`` best partial sequences of each entry by summed log-probability.

    ``input_ids`` holds each entry's prompt ``num_beams`` times (batch * beams, prompt). With
    ``rng`` this is beam sampling: candidates are drawn from softmax(warped scores) instead of
    taken best-first, as the reference's ``_beam_sample``.
    """
    host = namespace(input_ids)
    beams = scorer.num_beams
    batch = input_ids.shape[0] // beams
    prompt_len = input_ids.shape[-1]
    beam_scores = host.zeros((batch, beams), dtype="float32")
    if rng is None:
        beam_scores[:, 1:] = -1e9  # the copies of the prompt must not all be picked at step one
    beam_scores = beam_scores.reshape(-1)  # (batch * beams,)
    candidates = max(2, 1 + len(eos_token_ids or ())) * beams if rng is None else 2 * beams

    while True:
        logits, model_kwargs = decoding_step(model, input_ids, model_kwargs, prompt_len, beams)
        xp = namespace(logits)
        scores = log_softmax(logits)  # (batch * beams, vocab)
        if warpers:
            scores = apply_warpers(warpers, scores)
        vocab = scores.shape[-1]
        scores = scores + to_backend(beam_scores, backend_of(scores))[:, None]  # summed log-probs so far
        flat = xp.reshape(scores, (batch, beams * vocab))  # every (beam, token) continuation
        if rng is None:
            top = top_candidates(flat, candidates)  # best first
        else:
            keys = flat.astype(xp.float64) + gumbel_noise(rng, flat.shape, flat)
            drawn = top_candidates(keys, candidates)  # draws without replacement
            by_score = descending_order(xp.take_along_axis(flat, drawn, axis=-1))
            top = xp.take_along_axis(drawn, by_score, axis=-1)  # the draws, best first
        top_scores = to_numpy(xp.take_along_axis(flat, top, axis=-1))  # (batch, candidates)
        top = to_numpy(top)
        beam_scores, beam_tokens, beam_idx = scorer.process(
            input_ids, top_scores, top % vocab, top // vocab, pad_token_id, eos_token_ids, prompt_len)
        input_ids = host.concatenate([input_ids[beam_idx], beam_tokens[:, None].astype(input_ids.dtype)],
                                     axis=-1)
        if model_kwargs["past_key_values"] is not None:
            model_kwargs["past_key_values"] = model._reorder_cache(model_kwargs["past_key_values"], beam_idx)
        if scorer.is_done or input_ids.shape[-1] >= max_length:
            return scorer.finalize(input_ids, beam_scores, max_length, pad_token_id, eos_token_ids, prompt_len)
