"""Checkpoint files: loading, saving, tokenizer.json-only checkpoints, corrupt and missing files."""

import io
import json
import os
import pickle
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlmr_np.errors import CheckpointError, ConfigError, XLMRError
from xlmr_np.tokenization import XLMRobertaTokenizer
from xlmr_np.tokenization.protobuf_wire import encode_varint, iter_fields, varint_field
from xlmr_np.tokenization.sentencepiece_model import read_model_type, read_normalizer_settings, read_pieces
from xlmr_np.tokenization.tokenizer_json import model_proto_from_tokenizer_json

try:
    from tokenizer_fixtures import any_model, copy_directory, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401
except ImportError:  # tests/ imported as a package
    from tests.tokenizer_fixtures import any_model, copy_directory, corpus_lines, text_strategy, tokenizer_sets, unigram  # noqa: F401

HYPOTHESIS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# ---------------------------------------------------------------------- save_pretrained


def test_saved_directory_loads_in_both_transformers_tokenizers(any_model, tmp_path):
    import transformers

    saved = any_model.ours.save_pretrained(str(tmp_path / "saved"))
    assert sorted(os.path.basename(path) for path in saved) == [
        "sentencepiece.bpe.model", "special_tokens_map.json", "tokenizer_config.json",
    ]
    lines = corpus_lines()
    expected = any_model.ours(lines)["input_ids"]
    slow = transformers.XLMRobertaTokenizer.from_pretrained(str(tmp_path / "saved"))
    fast = transformers.XLMRobertaTokenizerFast.from_pretrained(str(tmp_path / "saved"))
    assert slow(lines)["input_ids"] == expected
    assert fast(lines)["input_ids"] == expected
    assert slow.mask_token_id == fast.mask_token_id == any_model.ours.mask_token_id
    assert fast("the <mask> of")["input_ids"] == any_model.ours("the <mask> of")["input_ids"]


def test_saved_json_files_equal_transformers(unigram, tmp_path):
    """Same JSON as ``transformers.XLMRobertaTokenizer(vocab_file=...).save_pretrained`` writes."""
    ours_dir = tmp_path / "ours"
    unigram.ours.save_pretrained(str(ours_dir))
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        assert read_json(ours_dir / name) == read_json(os.path.join(unigram.directory, name))
    assert (ours_dir / "sentencepiece.bpe.model").read_bytes() == unigram.model_bytes


def test_save_load_round_trip_keeps_settings(unigram, tmp_path):
    tokenizer = XLMRobertaTokenizer.from_pretrained(unigram.directory, model_max_length=64, padding_side="left")
    tokenizer.save_pretrained(str(tmp_path))
    again = XLMRobertaTokenizer.from_pretrained(str(tmp_path))
    assert again.model_max_length == 64 and again.padding_side == "left"
    assert again(corpus_lines()[:20])["input_ids"] == tokenizer(corpus_lines()[:20])["input_ids"]


def test_special_tokens_map_overrides_config(unigram, tmp_path):
    directory = copy_directory(unigram.directory, str(tmp_path / "checkpoint"))
    special_map = read_json(os.path.join(directory, "special_tokens_map.json"))
    special_map["mask_token"] = {"content": "<mask>", "lstrip": False, "rstrip": False, "normalized": False, "single_word": False}
    config = read_json(os.path.join(directory, "tokenizer_config.json"))
    config["added_tokens_decoder"]["2001"]["lstrip"] = False
    config["model_max_length"] = 512
    for name, data in (("special_tokens_map.json", special_map), ("tokenizer_config.json", config)):
        with open(os.path.join(directory, name), "w", encoding="utf-8") as handle:
            json.dump(data, handle)
    import transformers

    ours = XLMRobertaTokenizer.from_pretrained(directory)
    slow = transformers.XLMRobertaTokenizer.from_pretrained(directory)
    assert ours.model_max_length == slow.model_max_length == 512
    assert ours.tokenize("the <mask> of") == slow.tokenize("the <mask> of")
    assert not ours.added_tokens_decoder[ours.mask_token_id].lstrip
    # Without lstrip the space before <mask> is no longer part of its offsets (as in the fast tokenizer).
    fast = transformers.XLMRobertaTokenizerFast.from_pretrained(directory)
    offsets = ours("the <mask> of", return_offsets_mapping=True)["offset_mapping"]
    assert offsets == fast("the <mask> of", return_offsets_mapping=True)["offset_mapping"]
    assert offsets[2] == (4, 10)
    assert unigram.ours("the <mask> of", return_offsets_mapping=True)["offset_mapping"][2] == (3, 10)


def test_pickle_round_trip(unigram):
    clone = pickle.loads(pickle.dumps(unigram.ours))
    lines = corpus_lines()[:30]
    assert clone(lines, return_offsets_mapping=True) == unigram.ours(lines, return_offsets_mapping=True)
    encoding = pickle.loads(pickle.dumps(unigram.ours("a", "b")))
    assert encoding.sequence_ids() == [None, 0, None, None, 1, None]


# ---------------------------------------------------------------------- tokenizer.json only


@pytest.fixture(scope="module")
def json_only(tokenizer_sets, tmp_path_factory):
    """Per model type: a copy of the fast checkpoint without ``sentencepiece.bpe.model``."""
    root = tmp_path_factory.mktemp("json-only")
    result = {}
    for model_type, tokenizers in tokenizer_sets.items():
        directory = copy_directory(tokenizers.fast_directory, str(root / model_type), drop=("sentencepiece.bpe.model",))
        assert "tokenizer.json" in os.listdir(directory) and "sentencepiece.bpe.model" not in os.listdir(directory)
        result[model_type] = XLMRobertaTokenizer.from_pretrained(directory)
    return result


def test_tokenizer_json_checkpoint_gives_same_ids(any_model, json_only):
    ours = json_only[any_model.model_type]
    lines = corpus_lines()
    assert ours(lines)["input_ids"] == any_model.ours(lines)["input_ids"]
    assert ours(lines, return_offsets_mapping=True)["offset_mapping"] == any_model.fast(lines, return_offsets_mapping=True)["offset_mapping"]
    assert ours.get_vocab() == any_model.slow.get_vocab()
    assert ours.tokenize("the <mask> of") == any_model.slow.tokenize("the <mask> of")


@HYPOTHESIS
@given(text=text_strategy())
def test_tokenizer_json_checkpoint_random_text(any_model, json_only, text):
    assert json_only[any_model.model_type](text)["input_ids"] == any_model.slow(text)["input_ids"]


def test_rebuilt_model_has_the_original_pieces(any_model):
    data = read_json(os.path.join(any_model.fast_directory, "tokenizer.json"))
    rebuilt = model_proto_from_tokenizer_json(data)
    original_pieces, rebuilt_pieces = read_pieces(any_model.model_bytes), read_pieces(rebuilt)
    assert [(piece.text, piece.type) for piece in rebuilt_pieces] == [(piece.text, piece.type) for piece in original_pieces]
    if any_model.model_type == "unigram":
        assert [piece.score for piece in rebuilt_pieces] == [piece.score for piece in original_pieces]
    assert read_model_type(rebuilt) == read_model_type(any_model.model_bytes)
    assert read_normalizer_settings(rebuilt).precompiled_charsmap == read_normalizer_settings(any_model.model_bytes).precompiled_charsmap


def test_rebuilt_model_parses_with_protobuf(unigram):
    """Cross-check our hand-written wire format with the protobuf library (test-only dependency)."""
    from transformers.convert_slow_tokenizer import import_protobuf

    model_pb2 = import_protobuf()
    rebuilt = model_proto_from_tokenizer_json(read_json(os.path.join(unigram.fast_directory, "tokenizer.json")))
    ours, original = model_pb2.ModelProto(), model_pb2.ModelProto()
    ours.ParseFromString(rebuilt)
    original.ParseFromString(unigram.model_bytes)
    assert [(p.piece, p.score, p.type) for p in ours.pieces] == [(p.piece, p.score, p.type) for p in original.pieces]
    assert ours.trainer_spec.model_type == original.trainer_spec.model_type
    assert (ours.trainer_spec.unk_id, ours.trainer_spec.bos_id, ours.trainer_spec.eos_id, ours.trainer_spec.pad_id) == (0, 1, 2, -1)
    assert ours.normalizer_spec.precompiled_charsmap == original.normalizer_spec.precompiled_charsmap
    assert ours.normalizer_spec.add_dummy_prefix and ours.normalizer_spec.remove_extra_whitespaces


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.tuples(st.integers(1, 2**29 - 1), st.integers(0, 2**63 - 1)), max_size=10))
def test_varint_fields_round_trip(values):
    encoded = b"".join(varint_field(number, value) for number, value in values)
    assert [(number, value) for number, _, value in iter_fields(encoded)] == values


def test_negative_varint_is_ten_bytes():
    assert len(encode_varint(-1)) == 10


# ---------------------------------------------------------------------- missing and corrupt files


def write(path, content):
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(path, mode) as handle:
        handle.write(content)


def test_missing_directory_and_files(tmp_path):
    with pytest.raises(CheckpointError, match="not a directory"):
        XLMRobertaTokenizer.from_pretrained(str(tmp_path / "nowhere"))
    with pytest.raises(CheckpointError, match="neither sentencepiece.bpe.model nor tokenizer.json"):
        XLMRobertaTokenizer.from_pretrained(str(tmp_path))
    with pytest.raises(CheckpointError, match="cannot read"):
        XLMRobertaTokenizer(vocab_file=str(tmp_path / "missing.model"))
    with pytest.raises(CheckpointError):
        XLMRobertaTokenizer()


@pytest.mark.parametrize("content", [b"", b"not a model at all", b"\x0a\xff\xff\xff\xff\x0f"])
def test_corrupt_model_file(tmp_path, content):
    write(tmp_path / "sentencepiece.bpe.model", content)
    with pytest.raises(CheckpointError, match="sentencepiece.bpe.model"):
        XLMRobertaTokenizer.from_pretrained(str(tmp_path))


def test_truncated_model_file(unigram, tmp_path):
    write(tmp_path / "sentencepiece.bpe.model", unigram.model_bytes[: len(unigram.model_bytes) // 2])
    with pytest.raises(CheckpointError):
        XLMRobertaTokenizer.from_pretrained(str(tmp_path))


def test_model_with_unk_elsewhere_is_rejected(tmp_path):
    import sentencepiece

    writer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()), model_writer=writer, vocab_size=1400, unk_id=2, bos_id=0, eos_id=1,
        character_coverage=1.0, num_threads=1, hard_vocab_limit=False, minloglevel=2,
    )
    with pytest.raises(CheckpointError, match="<unk> at id 2"):
        XLMRobertaTokenizer(model_proto=writer.getvalue())


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda data: "{ not json", "cannot read"),
        (lambda data: dict(data, model={"type": "WordPiece", "vocab": {}}), "WordPiece"),
        (lambda data: dict(data, model=dict(data["model"], vocab=data["model"]["vocab"][1:])), "fairseq layout"),
        (lambda data: dict(data, model=dict(data["model"], vocab=data["model"]["vocab"][:-1])), "fairseq layout"),
        (lambda data: dict(data, model=dict(data["model"], vocab="oops")), "list of"),
        (lambda data: dict(data, model=dict(data["model"], unk_id=0)), "unk_id"),
        (lambda data: {"version": "1.0"}, "no 'model'"),
        (
            lambda data: dict(data, normalizer={"type": "Precompiled", "precompiled_charsmap": "***"}),
            "base64",
        ),
    ],
)
def test_corrupt_tokenizer_json(unigram, tmp_path, mutate, message):
    data = read_json(os.path.join(unigram.fast_directory, "tokenizer.json"))
    mutated = mutate(data)
    write(tmp_path / "tokenizer.json", mutated if isinstance(mutated, str) else json.dumps(mutated))
    with pytest.raises(CheckpointError, match=message):
        XLMRobertaTokenizer.from_pretrained(str(tmp_path))


def test_corrupt_config_files(unigram, tmp_path):
    directory = copy_directory(unigram.directory, str(tmp_path / "bad-config"))
    write(os.path.join(directory, "tokenizer_config.json"), "[1, 2")
    with pytest.raises(CheckpointError, match="tokenizer_config.json"):
        XLMRobertaTokenizer.from_pretrained(directory)
    write(os.path.join(directory, "tokenizer_config.json"), json.dumps({"model_max_length": -5}))
    with pytest.raises(ConfigError, match="model_max_length"):
        XLMRobertaTokenizer.from_pretrained(directory)
    os.remove(os.path.join(directory, "special_tokens_map.json"))  # its entries would override the config's
    write(os.path.join(directory, "tokenizer_config.json"), json.dumps({"mask_token": "[MASK]"}))
    with pytest.raises(ConfigError, match=r"\[MASK\]"):
        XLMRobertaTokenizer.from_pretrained(directory)


def test_errors_are_value_errors():
    assert issubclass(CheckpointError, XLMRError) and issubclass(CheckpointError, ValueError)


# ---------------------------------------------------------------------- packaging


def test_sentencepiece_is_imported_lazily():
    code = (
        "import sys, xlmr_np.tokenization as t; "
        "assert 'sentencepiece' not in sys.modules; "
        "assert 'tokenizers' not in sys.modules and 'google.protobuf' not in sys.modules; "
        "print(t.XLMRobertaTokenizer.__name__)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "XLMRobertaTokenizer"


def test_runtime_does_not_need_protobuf_or_tokenizers(unigram, tmp_path):
    """Loading a tokenizer.json checkpoint works with protobuf and tokenizers blocked."""
    directory = copy_directory(unigram.fast_directory, str(tmp_path / "json"), drop=("sentencepiece.bpe.model",))
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('google', 'tokenizers', 'transformers'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from xlmr_np.tokenization import XLMRobertaTokenizer\n"
        f"tokenizer = XLMRobertaTokenizer.from_pretrained({directory!r})\n"
        "print(tokenizer('Hello world', return_offsets_mapping=True)['input_ids'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(unigram.slow("Hello world")["input_ids"])
