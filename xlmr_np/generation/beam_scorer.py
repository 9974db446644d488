"""Beam search bookkeeping: BeamHypotheses (finished sequences) and BeamSearchScorer.

Pure Python on host values, step for step the reference's ``BeamHypotheses`` and
``BeamSearchScorer`` (transformers/generation/beam_search.py, without beam groups), so the same
scores select the same beams, finish the same hypotheses and stop at the same step.

A finished hypothesis is scored ``sum_logprobs / generated_length ** length_penalty``:
``length_penalty > 0`` favours longer outputs (a sum of negative log-probabilities grows with
length, dividing by a larger power shrinks it), ``< 0`` shorter ones.
"""

from __future__ import annotations

from ..backend import namespace
from ..errors import InputError


class BeamHypotheses:
    """The ``num_beams`` best finished hypotheses of one batch entry."""

    def __init__(self, num_beams: int, length_penalty: float, early_stopping, max_length: int | None = None):
        self.length_penalty = length_penalty
        self.early_stopping = early_stopping
        self.max_length = max_length
        self.num_beams = num_beams
        self.beams = []  # (score, token ids) pairs
        self.worst_score = 1e9

    def __len__(self):
        return len(self.beams)

    def add(self, hypothesis, sum_logprobs: float, generated_len: int):
        """Keep ``hypothesis`` if there is room or it beats the worst kept one."""
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hypothesis))
            if len(self) > self.num_beams:
                ranked = sorted((s, index) for index, (s, _) in enumerate(self.beams))
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs: float, cur_len: int, prompt_len: int) -> bool:
        """True when no beam still running can beat the worst kept hypothesis.

        ``early_stopping=True`` stops as soon as ``num_beams`` hypotheses are finished; ``False``
        uses the reference's heuristic (the best running score at the current length);
        ``"never"`` bounds the best attainable score exactly.
        """
        if len(self) < self.num_beams:
            return False
        if self.early_stopping is True:
            return True
        if self.early_stopping is False or self.length_penalty <= 0.0:
            highest_attainable = best_sum_logprobs / (cur_len - prompt_len) ** self.length_penalty
        else:  # "never" with a positive length penalty: the longest length gives the best score
            highest_attainable = best_sum_logprobs / (self.max_length - prompt_len) ** self.length_penalty
        return self.worst_score >= highest_attainable


class BeamSearchScorer:
    """Chooses the next ``num_beams`` beams of every batch entry and collects finished ones."""

    def __init__(self, batch_size: int, num_beams: int, length_penalty: float = 1.0,
                 early_stopping=False, max_length: int | None = None):
        self.num_beams = num_beams
        self.hypotheses = [BeamHypotheses(num_beams, length_penalty, early_stopping, max_length)
                           for _ in range(batch_size)]
        self.done = [False] * batch_size

    @property
    def is_done(self) -> bool:
        return all(self.done)

    def process(self, input_ids, next_scores, next_tokens, next_indices, pad_token_id, eos_token_ids,
                prompt_len: int):
        """One step. All arguments are host arrays.

        input_ids (batch * beams, cur), next_scores/next_tokens/next_indices (batch, 2 * beams):
        the best candidates of each entry, best first. Returns (beam_scores, beam_tokens, beam_idx),
        each (batch * beams,): the new beams' scores, last tokens and source rows.
        """
        xp = namespace(next_scores)
        batch_size, beams = len(self.hypotheses), self.num_beams
        cur_len = input_ids.shape[-1] + 1  # the length once this step's token is appended
        beam_scores = xp.zeros((batch_size, beams), dtype=next_scores.dtype)
        beam_tokens = xp.zeros((batch_size, beams), dtype=next_tokens.dtype)
        beam_idx = xp.zeros((batch_size, beams), dtype=next_indices.dtype)
        eos = set(eos_token_ids or ())

        for batch in range(batch_size):
            if self.done[batch]:
                # Finished entries keep running on padding, with score 0, until the others finish.
                beam_tokens[batch, :] = pad_token_id
                continue
            filled = 0
            for rank in range(next_tokens.shape[1]):
                token, score = int(next_tokens[batch, rank]), float(next_scores[batch, rank])
                source = batch * beams + int(next_indices[batch, rank])
                if token in eos:
                    if rank >= beams:
                        continue  # an end below the top `beams` candidates is not a finished beam
                    self.hypotheses[batch].add(input_ids[source].copy(), score,
                                               generated_len=cur_len - prompt_len)
                else:
                    beam_scores[batch, filled] = next_scores[batch, rank]
                    beam_tokens[batch, filled] = token
                    beam_idx[batch, filled] = source
                    filled += 1
                if filled == beams:
                    break
            self.done[batch] = self.done[batch] or self.hypotheses[batch].is_done(
                float(next_scores[batch].max()), cur_len, prompt_len)
        return beam_scores.reshape(-1), beam_tokens.reshape(-1), beam_idx.reshape(-1)

    def finalize(self, input_ids, beam_scores, max_length: int, pad_token_id, eos_token_ids, prompt_len: int):
        """Add the running beams of unfinished entries, pick each entry's best, pad to one length.

        Returns (batch, length) token ids: the best hypothesis, then (if shorter than the longest
        and the length limit) one end-of-sequence token, then padding.
        """
        xp = namespace(input_ids)
        beams = self.num_beams
        for batch, hypotheses in enumerate(self.hypotheses):
            if self.done[batch]:
                continue
            for beam in range(beams):
                row = batch * beams + beam
                hypotheses.add(input_ids[row], float(beam_scores[row]),
                               generated_len=input_ids.shape[-1] - prompt_len)

        best = []
        for hypotheses in self.hypotheses:
            ranked = sorted(hypotheses.beams, key=lambda item: item[0])
            best.append(ranked[-1][1])  # highest score; among equal scores the last added
        lengths = [len(hypothesis) for hypothesis in best]
        out_len = min(max(lengths) + 1, max_length)
        if min(lengths) != max(lengths) and pad_token_id is None:
            raise InputError("beam search produced outputs of different lengths: pass pad_token_id")
        fill = pad_token_id if min(lengths) != max(lengths) else 0
        decoded = xp.full((len(best), out_len), fill, dtype=input_ids.dtype)
        for row, hypothesis in enumerate(best):
            decoded[row, :lengths[row]] = hypothesis
            if lengths[row] < out_len:
                decoded[row, lengths[row]] = eos_token_ids[0]
        return decoded
