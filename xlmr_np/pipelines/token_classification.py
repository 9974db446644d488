"""``token-classification`` (alias ``ner``): a label per token or per entity, as transformers'
TokenClassificationPipeline with ``XLMRobertaTokenizerFast``.

Each text gives a list of dicts. With ``aggregation_strategy="none"`` (the default) one per
token that is not special and whose label is not ignored: ``{"entity", "score", "index",
"word", "start", "end"}``. With ``"simple"``, ``"first"``, ``"average"`` or ``"max"``, adjacent
tokens are grouped into entities: ``{"entity_group", "score", "word", "start", "end"}``.

The reference's rules are kept, including their quirks:

- scores are a float32 softmax of the logits (the reference computes it in NumPy);
- a token is a *subword* (continues the previous word, for ``first`` / ``average`` / ``max``)
  when the character before it and its first character are both not an ASCII space. That is
  the reference's fallback heuristic for tokenizers without a ``continuing_subword_prefix``,
  which XLM-R's Unigram model is;
- ``<unk>`` tokens take the text they cover as their word and always start a word;
- words of grouped tokens are joined the way the fast tokenizer's Metaspace decoder joins
  them: every "▁" becomes a space, except in the first token, where "▁" is dropped;
- B-/I- prefixes: a ``B-`` token always starts a new group, an ``I-`` token (or a label with no
  prefix) joins the previous group of the same type.

Long texts are cut at the model's length (``max_tokens()``). With ``stride=N`` (and an
aggregation strategy other than ``none``) they are instead split into windows that overlap by
``N`` tokens, and entities found in several windows are merged as the reference does: of
overlapping entities the longest wins, then the higher score.
"""

from __future__ import annotations

import numpy as np

from ..backend import to_numpy
from ..errors import InputError
from ..heads import XLMRobertaForTokenClassification
from .base import Pipeline

STRATEGIES = ("none", "simple", "first", "average", "max")
WORD_STRATEGIES = ("first", "average", "max")
SPACE = "\u2581"  # SentencePiece's word-start mark


def strategy_name(aggregation_strategy) -> str:
    """``"none"`` ... ``"max"`` from a string in any case or transformers' AggregationStrategy."""
    value = getattr(aggregation_strategy, "value", aggregation_strategy)
    if isinstance(value, str) and value.lower() in STRATEGIES:
        return value.lower()
    raise InputError(f"aggregation_strategy={aggregation_strategy!r} is unknown; "
                     f"choose one of {', '.join(STRATEGIES)}")


def metaspace_decode(tokens) -> str:
    """Join pieces as the fast tokenizer's ``convert_tokens_to_string`` (Metaspace decoder) does."""
    return "".join(token.replace(SPACE, "") if index == 0 else token.replace(SPACE, " ")
                   for index, token in enumerate(tokens))


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    """The reference's float32 NumPy softmax, with the same operations in the same order."""
    maxes = np.max(logits, axis=-1, keepdims=True)
    shifted_exp = np.exp(logits - maxes)
    return shifted_exp / shifted_exp.sum(axis=-1, keepdims=True)


class TokenClassificationPipeline(Pipeline):
    """``ner("Ada lives in Paris", aggregation_strategy="simple")`` -> entity groups."""

    task = "token-classification"
    model_class = XLMRobertaForTokenClassification

    def check_options(self, aggregation_strategy, ignore_labels, stride):
        strategy = strategy_name(aggregation_strategy)
        if ignore_labels is None:
            ignore_labels = ["O"]
        elif isinstance(ignore_labels, str) or not all(isinstance(label, str) for label in ignore_labels):
            raise InputError(f"ignore_labels must be a list of label names, got {ignore_labels!r}")
        if stride is not None:
            if isinstance(stride, bool) or not isinstance(stride, int) or stride < 0:
                raise InputError(f"stride must be a non-negative integer, got {stride!r}")
            if strategy == "none":
                raise InputError(f"stride={stride} splits long texts into windows, which needs an "
                                 "aggregation_strategy other than 'none' to merge them")
            window = self.max_tokens() - self.tokenizer.num_special_tokens_to_add()
            if stride >= window:
                raise InputError(f"stride={stride} must be smaller than the {window} text tokens "
                                 "each window holds")
        return strategy, list(ignore_labels)

    def run(self, texts, aggregation_strategy="none", ignore_labels=None, stride=None):
        strategy, ignore_labels = self.check_options(aggregation_strategy, ignore_labels, stride)
        for text in texts:
            if not isinstance(text, str):
                raise InputError(f"token-classification takes texts (str), got {type(text).__name__}: {text!r}")
        windowed = stride is not None
        encoding = self.tokenizer(
            list(texts), truncation=True, max_length=self.max_tokens(), return_offsets_mapping=True,
            return_special_tokens_mask=True, return_overflowing_tokens=windowed, stride=stride or 0)
        rows = encoding["input_ids"]
        sample_of_row = encoding["overflow_to_sample_mapping"] if windowed else list(range(len(rows)))
        per_sample = [[] for _ in texts]
        for row, hidden in enumerate(self.hidden_states(rows)):
            logits = self.model.classifier(self.model.dropout(hidden[None]))[0]  # (tokens, labels)
            scores = softmax_rows(to_numpy(logits).astype(np.float32))
            per_sample[sample_of_row[row]].append((row, scores))

        results = []
        for text, windows in zip(texts, per_sample):
            entities = []
            for row, scores in windows:
                pre_entities = self.gather_pre_entities(
                    text, rows[row], scores, encoding["offset_mapping"][row], encoding["special_tokens_mask"][row])
                entities.extend(entity for entity in self.aggregate(pre_entities, strategy)
                                if entity.get("entity") not in ignore_labels
                                and entity.get("entity_group") not in ignore_labels)
            if len(windows) > 1:
                entities = aggregate_overlapping_entities(entities)
            results.append(entities)
        return results

    # ------------------------------------------------------------------ the reference's steps

    def gather_pre_entities(self, text, input_ids, scores, offsets, special_tokens_mask):
        """One dict per non-special token: word, scores, character span, index, is_subword."""
        unk = self.tokenizer.unk_token_id
        pre_entities = []
        for index, token_scores in enumerate(scores):
            if special_tokens_mask[index]:
                continue
            token_id = int(input_ids[index])
            start, end = (int(value) for value in offsets[index])
            word = self.tokenizer.convert_ids_to_tokens(token_id)
            is_subword = start > 0 and " " not in text[start - 1:start + 1]
            if token_id == unk:
                word, is_subword = text[start:end], False
            pre_entities.append({"word": word, "scores": token_scores, "start": start, "end": end,
                                 "index": index, "is_subword": is_subword})
        return pre_entities

    def label(self, index) -> str:
        return self.model.config.id2label[int(index)]

    def aggregate(self, pre_entities, strategy):
        if strategy in ("none", "simple"):
            entities = []
            for pre_entity in pre_entities:
                best = int(pre_entity["scores"].argmax())
                entities.append({"entity": self.label(best), "score": float(pre_entity["scores"][best]),
                                 "index": pre_entity["index"], "word": pre_entity["word"],
                                 "start": pre_entity["start"], "end": pre_entity["end"]})
        else:
            entities = self.aggregate_words(pre_entities, strategy)
        return entities if strategy == "none" else self.group_entities(entities)

    def aggregate_words(self, pre_entities, strategy):
        """Merge each word's subword tokens into one entity whose label the strategy picks."""
        words, group = [], []
        for pre_entity in pre_entities:
            if group and not pre_entity["is_subword"]:
                words.append(self.aggregate_word(group, strategy))
                group = []
            group.append(pre_entity)
        if group:
            words.append(self.aggregate_word(group, strategy))
        return words

    def aggregate_word(self, pre_entities, strategy):
        if strategy == "first":
            scores = pre_entities[0]["scores"]
        elif strategy == "max":
            scores = max(pre_entities, key=lambda entity: entity["scores"].max())["scores"]
        else:  # average
            scores = np.nanmean(np.stack([entity["scores"] for entity in pre_entities]), axis=0)
        best = int(scores.argmax())
        return {"entity": self.label(best), "score": float(scores[best]),
                "word": metaspace_decode([entity["word"] for entity in pre_entities]),
                "start": pre_entities[0]["start"], "end": pre_entities[-1]["end"]}

    def group_entities(self, entities):
        """Adjacent entities of one type (not starting with B-) become one entity group."""
        groups, current = [], []
        for entity in entities:
            if current:
                bi, tag = get_tag(entity["entity"])
                _, last_tag = get_tag(current[-1]["entity"])
                if not (tag == last_tag and bi != "B"):
                    groups.append(self.group_sub_entities(current))
                    current = []
            current.append(entity)
        if current:
            groups.append(self.group_sub_entities(current))
        return groups

    def group_sub_entities(self, entities):
        scores = np.nanmean(np.asarray([entity["score"] for entity in entities], dtype=np.float32))
        return {"entity_group": entities[0]["entity"].split("-", 1)[-1], "score": float(scores),
                "word": metaspace_decode([entity["word"] for entity in entities]),
                "start": entities[0]["start"], "end": entities[-1]["end"]}


def get_tag(entity_name: str):
    """("B" or "I", type): a label with no B-/I- prefix counts as a continuation (I)."""
    if entity_name.startswith("B-"):
        return "B", entity_name[2:]
    if entity_name.startswith("I-"):
        return "I", entity_name[2:]
    return "I", entity_name


def aggregate_overlapping_entities(entities):
    """Entities from overlapping windows: of those that overlap, keep the longest, then the best."""
    if not entities:
        return entities
    entities = sorted(entities, key=lambda entity: entity["start"])
    kept, previous = [], entities[0]
    for entity in entities:
        if previous["start"] <= entity["start"] < previous["end"]:
            length, previous_length = entity["end"] - entity["start"], previous["end"] - previous["start"]
            if length > previous_length or (length == previous_length and entity["score"] > previous["score"]):
                previous = entity
        else:
            kept.append(previous)
            previous = entity
    kept.append(previous)
    return kept


TASKS = {"token-classification": TokenClassificationPipeline, "ner": TokenClassificationPipeline}
