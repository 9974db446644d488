"""``question-answering``: extractive answers, as transformers' QuestionAnsweringPipeline with
``XLMRobertaTokenizerFast``.

``qa(question=..., context=...)``, ``qa({"question": ..., "context": ...})``, ``qa(question,
context)``, a list of dicts, or ``question=[...]`` with one context or a list of contexts.
Each example gives ``{"score", "start", "end", "answer"}`` (characters of the context), or a
list of them, best first, when ``top_k > 1`` finds more than one answer. As in the reference, a
list holding one example gives that example's result, not a list of one.

A context too long for ``max_seq_len`` tokens (with the question and four special tokens) is
cut into windows that overlap by ``doc_stride`` tokens (the tokenizer's
``truncation="only_second"`` with ``return_overflowing_tokens``). Every window is scored on its
own, exactly as the reference does:

- start and end logits of tokens outside the context (question, separators) are set to
  -10000, ``<s>`` is kept; each is softmaxed over the window;
- the null score (``handle_impossible_answer``) is the smallest start x end probability of
  ``<s>`` over the windows; then ``<s>`` gets probability 0;
- span scores are the outer product start x end, keeping ``start <= end < start +
  max_answer_len``; the window's ``top_k`` best are taken *before* spans that start or end
  outside the context are dropped (so a window may give fewer);
- the answers of all windows are sorted by score (stable) and the first ``top_k`` kept.

Character spans follow ``align_to_words=True`` (the default): the answer is widened to whole
words, the tokenizer's ``word_ids`` (those of the fast tokenizer: a run of tokens that starts
with "▁", or an added token); ``align_to_words=False`` keeps token offsets.
"""

from __future__ import annotations

import numpy as np

from ..backend import to_numpy
from ..errors import InputError
from ..heads import XLMRobertaForQuestionAnswering
from .base import Pipeline

MASKED_LOGIT = -10000.0
MIN_NULL_SCORE = 1000000


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return value


def decode_spans(start, end, top_k, max_answer_len, undesired_tokens):
    """The reference's ``decode_spans``: best (start, end) pairs of one window and their scores.

    ``start``/``end`` are (1, tokens) probabilities, ``undesired_tokens`` is 1 where a token may
    be part of an answer (the reference's name is kept).
    """
    outer = np.matmul(np.expand_dims(start, -1), np.expand_dims(end, 1))
    candidates = np.tril(np.triu(outer), max_answer_len - 1)
    scores_flat = candidates.flatten()
    if top_k == 1:
        idx_sort = [np.argmax(scores_flat)]
    elif len(scores_flat) < top_k:
        idx_sort = np.argsort(-scores_flat)
    else:
        idx = np.argpartition(-scores_flat, top_k)[0:top_k]
        idx_sort = idx[np.argsort(-scores_flat[idx])]
    starts, ends = np.unravel_index(idx_sort, candidates.shape)[1:]
    allowed = undesired_tokens.nonzero()
    desired_spans = np.isin(starts, allowed) & np.isin(ends, allowed)
    starts, ends = starts[desired_spans], ends[desired_spans]
    return starts, ends, candidates[0, starts, ends]


def select_starts_ends(start, end, p_mask, min_null_score, top_k, handle_impossible_answer, max_answer_len):
    """The reference's ``select_starts_ends`` for one window (no padding: every token attended)."""
    undesired_tokens = np.abs(np.asarray(p_mask)[None] - 1)
    undesired_tokens_mask = undesired_tokens == 0.0
    start = np.where(undesired_tokens_mask, MASKED_LOGIT, start[None])
    end = np.where(undesired_tokens_mask, MASKED_LOGIT, end[None])
    start = np.exp(start - start.max(axis=-1, keepdims=True))
    start = start / start.sum()
    end = np.exp(end - end.max(axis=-1, keepdims=True))
    end = end / end.sum()
    if handle_impossible_answer:
        min_null_score = min(min_null_score, (start[0, 0] * end[0, 0]).item())
    start[0, 0] = end[0, 0] = 0.0
    starts, ends, scores = decode_spans(start, end, top_k, max_answer_len, undesired_tokens)
    return starts, ends, scores, min_null_score


class QuestionAnsweringPipeline(Pipeline):
    """``qa(question="Where?", context="...", top_k=1)`` -> ``{"score", "start", "end", "answer"}``."""

    task = "question-answering"
    model_class = XLMRobertaForQuestionAnswering

    # ------------------------------------------------------------------ inputs

    def __call__(self, *args, **kwargs):
        options = {key: value for key, value in kwargs.items() if key not in ("question", "context")}
        examples = self.examples(args, kwargs)
        if not examples:
            return []
        results = self.run(examples, **options)
        return results[0] if len(examples) == 1 else results

    @staticmethod
    def examples(args, kwargs):
        """``[{"question", "context"}, ...]`` from the reference's accepted call forms."""
        if args:
            if "question" in kwargs or "context" in kwargs:
                raise InputError("pass the examples either positionally or as question=/context=, not both")
            if len(args) == 1:
                inputs = args[0]
            elif len(args) == 2 and all(isinstance(arg, str) for arg in args):
                inputs = [{"question": args[0], "context": args[1]}]
            else:
                inputs = list(args)
        elif "question" in kwargs and "context" in kwargs:
            question, context = kwargs["question"], kwargs["context"]
            if isinstance(question, list) and isinstance(context, str):
                inputs = [{"question": one, "context": context} for one in question]
            elif isinstance(question, list) and isinstance(context, list):
                if len(question) != len(context):
                    raise InputError(f"{len(question)} questions but {len(context)} contexts; "
                                     "give one context, or one per question")
                inputs = [{"question": q, "context": c} for q, c in zip(question, context)]
            elif isinstance(question, str) and isinstance(context, str):
                inputs = [{"question": question, "context": context}]
            else:
                raise InputError(f"question= and context= must be strings or lists of strings, got "
                                 f"{type(question).__name__} and {type(context).__name__}")
        elif "question" in kwargs or "context" in kwargs:
            missing = "context" if "question" in kwargs else "question"
            raise InputError(f"question-answering needs both question= and context=; {missing}= is missing")
        else:
            raise InputError("question-answering needs question= and context=, or {'question', 'context'} dicts")
        if isinstance(inputs, dict):
            inputs = [inputs]
        elif isinstance(inputs, (list, tuple)):
            inputs = list(inputs)
        else:
            raise InputError(f"question-answering takes {{'question', 'context'}} dicts, got {inputs!r}")
        for item in inputs:
            if not isinstance(item, dict):
                raise InputError(f"each example must be a dict with 'question' and 'context', got {item!r}")
            for key in ("question", "context"):
                if key not in item:
                    raise InputError(f"example {item!r} has no {key!r}")
                value = item[key]
                if not isinstance(value, str):
                    raise InputError(f"{key} must be a string, got {type(value).__name__}: {value!r}")
                if not value:
                    raise InputError(f"{key} cannot be empty, got {value!r}")
        return inputs

    def run(self, examples, top_k=1, max_answer_len=15, max_seq_len=None, doc_stride=None,
            handle_impossible_answer=False, max_question_len=None, align_to_words=True):
        top_k = _positive_int("top_k", top_k)
        max_answer_len = _positive_int("max_answer_len", max_answer_len)
        limit = self.max_tokens()
        if max_seq_len is None:
            max_seq_len = min(limit, 384)
        elif _positive_int("max_seq_len", max_seq_len) > limit:
            raise InputError(f"max_seq_len={max_seq_len} is more than the {limit} tokens this model takes")
        if doc_stride is None:
            doc_stride = min(max_seq_len // 2, 128)
        elif isinstance(doc_stride, bool) or not isinstance(doc_stride, int) or doc_stride < 0:
            raise InputError(f"doc_stride must be a non-negative integer, got {doc_stride!r}")
        if doc_stride > max_seq_len:
            raise InputError(f"doc_stride={doc_stride} is larger than max_seq_len={max_seq_len}")
        questions = [example["question"] for example in examples]
        if max_question_len is not None:
            max_question_len = _positive_int("max_question_len", max_question_len)
            questions = [self.shorten_question(question, max_question_len) for question in questions]
        contexts = [example["context"] for example in examples]

        encoding = self.tokenizer(questions, contexts, truncation="only_second", max_length=max_seq_len,
                                  stride=doc_stride, return_overflowing_tokens=True, return_offsets_mapping=True)
        rows = encoding["input_ids"]
        windows = [[] for _ in examples]
        for row, hidden in enumerate(self.hidden_states(rows)):
            logits = to_numpy(self.model.qa_outputs(hidden[None])[0]).astype(np.float32)  # (tokens, 2)
            windows[encoding["overflow_to_sample_mapping"][row]].append((row, logits[:, 0], logits[:, 1]))

        results = []
        for context, sample_windows in zip(contexts, windows):
            min_null_score = MIN_NULL_SCORE
            answers = []
            for row, start_logits, end_logits in sample_windows:
                ids = rows[row]
                sequence_ids = encoding.sequence_ids(row)
                p_mask = np.array([sequence != 1 for sequence in sequence_ids], dtype=np.int64)
                p_mask[np.asarray(ids) == self.tokenizer.cls_token_id] = 0  # <s> stays: the null answer
                starts, ends, scores, min_null_score = select_starts_ends(
                    start_logits, end_logits, p_mask, min_null_score, top_k, handle_impossible_answer,
                    max_answer_len)
                for s, e, score in zip(starts, ends, scores):
                    start_index, end_index = character_span(encoding, row, int(s), int(e), align_to_words)
                    answers.append({"score": score.item(), "start": start_index, "end": end_index,
                                    "answer": context[start_index:end_index]})
            if handle_impossible_answer:
                answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
            answers = sorted(answers, key=lambda answer: answer["score"], reverse=True)[:top_k]
            results.append(answers[0] if len(answers) == 1 else answers)
        return results

    def shorten_question(self, question, max_question_len):
        """The question cut after its first ``max_question_len`` tokens (an xlmr_np extension)."""
        while True:
            encoded = self.tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
            if len(encoded["input_ids"]) <= max_question_len:
                return question
            question = question[:encoded["offset_mapping"][max_question_len - 1][1]]


def character_span(encoding, row, s, e, align_to_words):
    """(start, end) characters of the answer from token ``s`` to token ``e`` of ``row`` (``get_indices``).

    With ``align_to_words``: from the start of ``s``'s word to the end of ``e``'s, within this
    window (``word_to_chars``); the tokens' own offsets otherwise, and for a token outside the
    context's words (``<s>``, the null answer), where the reference's lookup fails and falls back.
    """
    offsets = encoding["offset_mapping"][row]
    if align_to_words:
        start_word, end_word = encoding.token_to_word(row, s), encoding.token_to_word(row, e)
        if start_word is not None and end_word is not None:
            return (encoding.word_to_chars(row, start_word, sequence_index=1).start,
                    encoding.word_to_chars(row, end_word, sequence_index=1).end)
    return int(offsets[s][0]), int(offsets[e][1])


TASKS = {"question-answering": QuestionAnsweringPipeline}
