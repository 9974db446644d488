"""question-answering against transformers' pipeline with ``XLMRobertaTokenizerFast``.

A random-weight ``XLMRobertaForQuestionAnswering`` is saved next to the test tokenizer
(tests/tokenizer_fixtures.py), with 514 positions as XLM-R has, so the reference's defaults
(max_seq_len=384, doc_stride=128) fit. Answers, character spans and the number of answers must
be equal to the reference's; scores agree within 1e-4. Long contexts are split into several
overlapping windows and the best spans merged across them.
"""

import shutil
import warnings

import numpy as np
import pytest
import transformers

from reference import assert_close, reference_checkpoint
from tokenizer_fixtures import corpus_lines, tokenizer_sets, unigram  # noqa: F401 - pytest fixtures
from xlmr_np import InputError
from xlmr_np.pipelines import pipeline
from xlmr_np.pipelines.question_answering import QuestionAnsweringPipeline, character_span

# The reference's postprocessing calls np.array on a torch tensor, which NumPy 2 warns about.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

EXAMPLES = [
    ("Where does Ada live?", "My name is Ada and I live in Berlin, close to the river."),
    ("Где живёт Ольга?", "Ольга живёт в Санкт-Петербурге, а Владимир — в Киеве."),
    ("東京はどこですか?", "東京 は 日本 の 首都 です。 大阪 も 大きな 都市 です。"),
    ("Qui est à Montréal?", "Zoë est à Montréal; ça va très bien, merci! <mask> et <unk> aussi."),
    ("ما هي العاصمة؟", "القاهرة هي عاصمة مصر، وهي مدينة كبيرة جدا."),
]


def long_context():
    """About 480 tokens of the multilingual corpus: two windows even at the defaults."""
    return " ".join(line.strip() for line in corpus_lines()[:18] if line.strip())


@pytest.fixture(scope="module")
def qa_checkpoint(tmp_path_factory, unigram):  # noqa: F811 - the fixture's value
    directory = str(tmp_path_factory.mktemp("qa-checkpoint"))
    settings = dict(vocab_size=len(unigram.slow), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=48, max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5)
    reference_checkpoint(directory, transformers.XLMRobertaForQuestionAnswering, settings)
    for name in ("sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"):
        shutil.copy(f"{unigram.fast_directory}/{name}", f"{directory}/{name}")
    fast = transformers.XLMRobertaTokenizerFast.from_pretrained(directory)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = transformers.pipeline("question-answering", model=directory, tokenizer=fast, framework="pt")
    return directory, pipeline("question-answering", model=directory), theirs


def assert_same_answers(got, want, context):
    """Same shape (dict or list), same answers and spans, scores within the tolerance."""
    assert isinstance(got, dict) == isinstance(want, dict), f"{context}: {got} vs {want}"
    got, want = ([got], [want]) if isinstance(want, dict) else (got, want)
    assert len(got) == len(want), f"{context}: {got} vs {want}"
    for mine, theirs in zip(got, want):
        assert set(mine) == {"score", "start", "end", "answer"}
        assert (mine["answer"], mine["start"], mine["end"]) == (theirs["answer"], theirs["start"], theirs["end"]), \
            f"{context}: {mine} vs {theirs}"
    assert_close(np.array([answer["score"] for answer in got]), np.array([answer["score"] for answer in want]),
                 "question-answering scores")


def test_answers_match_transformers(qa_checkpoint):
    _, ours, theirs = qa_checkpoint
    batch = ours([{"question": q, "context": c} for q, c in EXAMPLES], max_answer_len=6)
    for (question, context), got in zip(EXAMPLES, batch):
        want = theirs(question=question, context=context, max_answer_len=6)
        assert_same_answers(got, want, question)
        assert got["answer"] == context[got["start"]:got["end"]] and got["answer"]
    for question, context in EXAMPLES[:3]:
        for options in ({"top_k": 3}, {"top_k": 2, "handle_impossible_answer": True},
                        {"align_to_words": False, "max_answer_len": 3}):
            assert_same_answers(ours(question=question, context=context, **options),
                                theirs(question=question, context=context, **options), f"{question} {options}")


def test_long_context_windows_match_transformers(qa_checkpoint):
    _, ours, theirs = qa_checkpoint
    context = long_context()
    question = "Which city is the capital?"
    for options in ({}, {"top_k": 4}, {"max_seq_len": 48, "doc_stride": 16, "top_k": 3},
                    {"max_seq_len": 64, "doc_stride": 0, "handle_impossible_answer": True, "max_answer_len": 4},
                    {"max_seq_len": 40, "doc_stride": 20, "top_k": 2, "align_to_words": False}):
        windows = ours.tokenizer(question, context, truncation="only_second", return_overflowing_tokens=True,
                                 max_length=options.get("max_seq_len", 384), stride=options.get("doc_stride", 128))
        assert len(windows["input_ids"]) >= 2
        got = ours(question=question, context=context, **options)
        assert_same_answers(got, theirs(question=question, context=context, **options), f"long context {options}")
    # the best answer of a window that starts inside the context maps back to the whole context
    answers = ours(question=question, context=context, max_seq_len=40, doc_stride=10, top_k=10)
    assert max(answer["start"] for answer in answers) > 300
    assert all(answer["answer"] == context[answer["start"]:answer["end"]] for answer in answers)


def test_call_forms(qa_checkpoint):
    directory, ours, _ = qa_checkpoint
    assert isinstance(ours, QuestionAnsweringPipeline)
    (q0, c0), (q1, c1) = EXAMPLES[:2]
    first = ours(question=q0, context=c0)
    assert isinstance(first, dict)
    assert ours({"question": q0, "context": c0}) == first
    assert ours(q0, c0) == first
    assert ours([{"question": q0, "context": c0}]) == first  # one example: its result, as the reference
    both = ours([{"question": q0, "context": c0}, {"question": q1, "context": c1}])
    assert both == ours(question=[q0, q1], context=[c0, c1]) and both[0] == first
    assert ours(question=[q0, "Who?"], context=c0)[0] == first
    assert ours([]) == []


def test_word_aligned_spans_equal_the_references(unigram):  # noqa: F811
    """``align_to_words`` widens a token to its word as the reference's ``get_indices`` does with
    the fast tokenizer's ``Encoding`` (``word_to_chars(token_to_word(...), sequence_index=1)``)."""
    options = dict(truncation="only_second", max_length=40, stride=5, return_overflowing_tokens=True,
                   return_offsets_mapping=True)
    texts = [line for line in corpus_lines()[::3] if line.strip()] + [c for _, c in EXAMPLES] + [
        "x <mask>東京 ok \u2581y", "a  <unk>  b", "…(naïvé\U000446cdİstanbul)"]
    widened = 0
    for text in texts:
        ours, fast = unigram.ours("q", text, **options), unigram.fast("q", text, **options)
        if ours["input_ids"] != fast["input_ids"]:  # no reference where the ids differ
            continue
        for row in range(len(ours["input_ids"])):
            encoding = fast[row]
            context = [index for index, sequence in enumerate(encoding.sequence_ids) if sequence == 1]
            for s, e in zip(context, context[1:] + context[-1:]):
                want = (encoding.word_to_chars(encoding.token_to_word(s), sequence_index=1)[0],
                        encoding.word_to_chars(encoding.token_to_word(e), sequence_index=1)[1])
                assert character_span(ours, row, s, e, True) == want, text
                widened += want != (encoding.offsets[s][0], encoding.offsets[e][1])
            assert character_span(ours, row, 0, 0, True) == (0, 0)  # <s>: the null answer's offsets
    assert widened > 0  # some spans were widened to words


def test_max_question_len_cuts_the_question(qa_checkpoint):
    """An xlmr_np extension: the reference's fast path ignores ``max_question_len``."""
    _, ours, _ = qa_checkpoint
    question, context = EXAMPLES[0]
    offsets = ours.tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    assert len(offsets) > 3
    short = question[:offsets[2][1]]
    assert ours(question=question, context=context, max_question_len=3) == ours(question=short, context=context)
    assert ours(question=question, context=context, max_question_len=50) == ours(question=question, context=context)


def test_bad_input_is_rejected(qa_checkpoint):
    _, ours, _ = qa_checkpoint
    question, context = EXAMPLES[0]
    with pytest.raises(InputError, match="question cannot be empty, got ''"):
        ours(question="", context=context)
    with pytest.raises(InputError, match="context cannot be empty, got ''"):
        ours({"question": question, "context": ""})
    with pytest.raises(InputError, match="got str and NoneType"):
        ours(question=question, context=None)
    with pytest.raises(InputError, match="has no 'context'"):
        ours({"question": question})
    with pytest.raises(InputError, match="context= is missing"):
        ours(question=question)
    with pytest.raises(InputError, match="2 questions but 1 contexts"):
        ours(question=[question, question], context=[context])
    with pytest.raises(InputError, match="max_answer_len must be a positive integer, got 0"):
        ours(question=question, context=context, max_answer_len=0)
    with pytest.raises(InputError, match="top_k must be a positive integer, got 0"):
        ours(question=question, context=context, top_k=0)
    with pytest.raises(InputError, match="doc_stride=50 is larger than max_seq_len=40"):
        ours(question=question, context=context, max_seq_len=40, doc_stride=50)
    with pytest.raises(InputError, match="max_seq_len=600 is more than the 512 tokens"):
        ours(question=question, context=context, max_seq_len=600)
    with pytest.raises(InputError, match="no room for the second text"):
        ours(question=question * 10, context=context, max_seq_len=32)
