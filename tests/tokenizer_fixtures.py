"""Shared fixtures and helpers of the tokenizer tests.

Import what a test module needs from here (``conftest.py`` is shared with the model tests).

A small SentencePiece model is trained once per session on ``tests/data/multilingual.txt`` —
seeded trainer, one thread, no shuffling, so the bytes are identical on every run — as a
*unigram* model (what XLM-R's ``sentencepiece.bpe.model`` really is) and as a *BPE* model.
For each, transformers' slow ``XLMRobertaTokenizer`` writes the checkpoint directory, and
transformers' ``XLMRobertaTokenizerFast`` (converting it) is the reference for offsets.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from dataclasses import dataclass

import pytest
from hypothesis import strategies as st

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
CORPUS_PATH = os.path.join(DATA_DIR, "multilingual.txt")
MODEL_TYPES = ("unigram", "bpe")
VOCAB_SIZE = 2000


def corpus_lines():
    with open(CORPUS_PATH, encoding="utf-8") as handle:
        return handle.read().splitlines()


def train_sentencepiece(model_type: str, vocab_size: int = VOCAB_SIZE) -> bytes:
    """Deterministically train a SentencePiece model on the test corpus; return its bytes."""
    import sentencepiece

    writer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()),
        model_writer=writer,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=1.0,
        num_threads=1,
        shuffle_input_sentence=False,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    return writer.getvalue()


@dataclass(repr=False)
class TokenizerSet:
    """One trained model: its checkpoint directory and the three tokenizers built on it."""

    model_type: str
    model_bytes: bytes
    directory: str  # saved by transformers' slow tokenizer: .model + the two JSON files
    fast_directory: str  # saved by transformers' fast tokenizer: adds tokenizer.json
    ours: object
    slow: object
    fast: object

    def __repr__(self) -> str:  # keep hypothesis failure reports short
        return f"TokenizerSet({self.model_type!r})"

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis prints dataclasses field by field otherwise
        printer.text(repr(self))


def _quiet_transformers():
    import transformers

    transformers.logging.set_verbosity_error()
    return transformers


def build_tokenizer_set(model_type: str, root: str) -> TokenizerSet:
    transformers = _quiet_transformers()
    from xlmr_np.tokenization import XLMRobertaTokenizer

    model_bytes = train_sentencepiece(model_type)
    model_path = os.path.join(root, f"{model_type}.model")
    with open(model_path, "wb") as handle:
        handle.write(model_bytes)
    directory = os.path.join(root, f"{model_type}-checkpoint")
    transformers.XLMRobertaTokenizer(vocab_file=model_path).save_pretrained(directory)
    slow = transformers.XLMRobertaTokenizer.from_pretrained(directory)
    fast = transformers.XLMRobertaTokenizerFast.from_pretrained(directory)
    fast_directory = os.path.join(root, f"{model_type}-fast-checkpoint")
    fast.save_pretrained(fast_directory)
    return TokenizerSet(
        model_type=model_type,
        model_bytes=model_bytes,
        directory=directory,
        fast_directory=fast_directory,
        ours=XLMRobertaTokenizer.from_pretrained(directory),
        slow=slow,
        fast=fast,
    )


@pytest.fixture(scope="session")
def tokenizer_sets(tmp_path_factory):
    """``{"unigram": TokenizerSet, "bpe": TokenizerSet}``, built once per session."""
    pytest.importorskip("sentencepiece")
    pytest.importorskip("transformers")
    root = str(tmp_path_factory.mktemp("xlmr-tokenizers"))
    return {model_type: build_tokenizer_set(model_type, root) for model_type in MODEL_TYPES}


@pytest.fixture(scope="session")
def unigram(tokenizer_sets):
    """The unigram set — XLM-R's real model type, used by most tests."""
    return tokenizer_sets["unigram"]


@pytest.fixture(scope="session", params=MODEL_TYPES)
def any_model(request, tokenizer_sets):
    """Each model type in turn."""
    return tokenizer_sets[request.param]


def copy_directory(source: str, destination: str, drop=()) -> str:
    """Copy a checkpoint directory, leaving out the file names in ``drop``."""
    shutil.copytree(source, destination, ignore=lambda _dir, names: [name for name in names if name in drop])
    return destination


@contextlib.contextmanager
def configured(tokenizers, **settings):
    """Temporarily set attributes (``padding_side``, ``model_max_length``, ...) on several (session-shared) tokenizers."""
    saved = [{name: getattr(tokenizer, name) for name in settings} for tokenizer in tokenizers]
    for tokenizer in tokenizers:
        for name, value in settings.items():
            setattr(tokenizer, name, value)
    try:
        yield
    finally:
        for tokenizer, values in zip(tokenizers, saved):
            for name, value in values.items():
                setattr(tokenizer, name, value)


def sides(tokenizers, truncation_side="right", padding_side="right"):
    """Temporarily set truncation/padding sides on several (session-shared) tokenizers."""
    return configured(tokenizers, truncation_side=truncation_side, padding_side=padding_side)


# ---------------------------------------------------------------------- hypothesis strategies

# Fragments that exercise normalisation and the special-token splitter: words in many scripts,
# decomposed accents, ligatures, full-width forms, odd whitespace, zero-width characters,
# emoji sequences and the special tokens themselves.
FRAGMENTS = [
    "Hello", "world", "the", "tokenizer", "ﬁne", "ﬂow", "café", "cafe\u0301", "naïve", "Ångström",
    "Zoë", "Straße", "ÆØÅ", "İstanbul", "ǅemal", "Привет", "мир", "Ёжик", "Καλημέρα", "ψυχή",
    "مرحبا", "العربية", "שלום", "עולם", "नमस्ते", "हिन्दी", "क़", "สวัสดี", "ภาษาไทย", "กำ",
    "你好", "世界", "日本語", "ｶﾀｶﾅ", "한국어", "\u1100\u1161", "가", "Ａ１２３", "①", "Ⅻ", "½", "x²",
    "😀", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "❤️", "1️⃣", "e\u0323\u0302", "ệ", "a\u0301\u0302",
    "\u00a0", "\u3000", "\t", "\n", "\r\n", "  ", " ", "\u200b", "\u200d", "\u00ad", "\ufeff",
    "\u2581", "\u0301", "¨", "…", "—", "«»", "\x1f", "\u2028", "<s>", "</s>", "<mask>", "<pad>",
    "<unk>", " <mask> ", "<mask", "mask>", ".", ",", "?!", "'s", "n't", "(", ")", "123", "3.14",
]


def text_strategy(max_fragments: int = 12):
    """Texts built from :data:`FRAGMENTS`, arbitrary Unicode and plain spaces."""
    fragment = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=4),
        st.sampled_from(FRAGMENTS).map(lambda text: " " + text),
    )
    return st.lists(fragment, max_size=max_fragments).map("".join)


WORD_LISTS = st.lists(text_strategy(2), max_size=4)
"""Word lists for ``is_split_into_words=True``: up to four words of up to two fragments."""


def draw_call_inputs(draw, split: bool):
    """``text`` and ``text_pair`` of a tokenizer call: one example or a batch of 1-3, a pair or not,
    texts or (``split``) word lists. Returns ``(text, text_pair, examples)``, ``examples`` being the
    ``(text, pair or None)`` of each example."""
    one = WORD_LISTS if split else text_strategy(6)
    size = draw(st.one_of(st.none(), st.integers(1, 3)))  # None: one example, not a batch
    paired = draw(st.booleans())
    if size is None:
        text, text_pair = draw(one), draw(one) if paired else None
        return text, text_pair, [(text, text_pair)]
    text = draw(st.lists(one, min_size=size, max_size=size))
    text_pair = draw(st.lists(one, min_size=size, max_size=size)) if paired else None
    return text, text_pair, list(zip(text, text_pair or [None] * size))


def tokenised_strings(examples, split: bool) -> list:
    """Every text or word of ``examples`` that gets tokenised on its own."""
    return [string for example in examples for part in example if part is not None
            for string in (part if split else [part])]
