"""The ``xlmr-np`` command end to end, through a subprocess: exit codes, JSON, stderr."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import transformers

from xlmr_np import backend
from reference import reference_checkpoint
from tokenizer_fixtures import tokenizer_sets, unigram  # noqa: F401 - pytest fixtures


def run(*arguments, stdin=None, env=None):
    return subprocess.run([sys.executable, "-m", "xlmr_np.cli.main", *arguments], input=stdin,
                          capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def make_checkpoint(directory, unigram, hf_class, **config):  # noqa: F811
    settings = dict(vocab_size=len(unigram.slow), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                    intermediate_size=48, max_position_embeddings=130, type_vocab_size=1, layer_norm_eps=1e-5)
    settings.update(config)
    reference_checkpoint(directory, hf_class, settings)
    for name in ("sentencepiece.bpe.model", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(f"{unigram.directory}/{name}", directory / name)
    return str(directory)


@pytest.fixture(scope="module")
def masked_lm(tmp_path_factory, unigram):  # noqa: F811
    return make_checkpoint(tmp_path_factory.mktemp("mlm"), unigram, transformers.XLMRobertaForMaskedLM)


def test_fill_mask_human_and_json(masked_lm):
    human = run("fill-mask", "--model", masked_lm, "--top-k", "3", "The cat <mask> on the mat.")
    assert human.returncode == 0, human.stderr
    assert human.stdout.startswith("The cat <mask> on the mat.\n") and len(human.stdout.splitlines()) == 4
    machine = run("fill-mask", "--model", masked_lm, "--json", "--top-k", "2", "A <mask>.", "B <mask> <mask>.")
    assert machine.returncode == 0, machine.stderr
    first, second = [json.loads(line) for line in machine.stdout.splitlines()]
    assert len(first) == 2 and {"score", "token", "token_str", "sequence"} <= set(first[0])
    assert len(second) == 2 and len(second[0]) == 2  # two masks, two propositions each


@pytest.mark.gpu
@pytest.mark.skipif(not backend.cupy_available(), reason="CuPy with a usable NVIDIA GPU is not available here")
def test_fill_mask_on_cupy_matches_numpy(masked_lm):
    outputs = {}
    for name in ("numpy", "cupy"):
        result = run("fill-mask", "--model", masked_lm, "--backend", name, "--json", "--top-k", "3", "A <mask> b.")
        assert result.returncode == 0, (name, result.stderr)
        outputs[name] = json.loads(result.stdout)
    assert [p["token"] for p in outputs["cupy"]] == [p["token"] for p in outputs["numpy"]]
    np.testing.assert_allclose([p["score"] for p in outputs["cupy"]], [p["score"] for p in outputs["numpy"]],
                               rtol=1e-4, atol=1e-6)


def test_inputs_from_stdin_and_files(masked_lm, tmp_path):
    piped = run("fill-mask", "--model", masked_lm, "--json", stdin="One <mask>.\n\nTwo <mask>.\n")
    assert piped.returncode == 0 and len(piped.stdout.splitlines()) == 2
    jsonl = tmp_path / "inputs.jsonl"
    jsonl.write_text('{"text": "One <mask>."}\n{"text": "Two <mask>."}\n')
    from_file = run("fill-mask", "--model", masked_lm, "--json", "--file", str(jsonl))
    assert from_file.stdout == piped.stdout


@pytest.mark.parametrize("arguments, stdin, env, words", [
    (["fill-mask", "no mask here"], None, None, ["no <mask> token"]),
    (["fill-mask", "--file", "EMPTY"], None, None, ["holds no input lines"]),
    pytest.param(["fill-mask", "--backend", "cupy", "a <mask>"], None, None, ["cupy"],
                 marks=pytest.mark.skipif(backend.cupy_available(), reason="CuPy works here: no error to report")),
    (["classify", "--model", "someone/missing-model", "text"], None, {"HF_HUB_OFFLINE": "1"},
     ["someone/missing-model"]),
    (["embed", "--model", "NO_TOKENIZER", "text"], None, None, ["has no tokenizer"]),
    (["qa", "--model", "MLM", "--question", "who?"], None, None, ["--context"]),
])
def test_bad_input_is_one_line_on_stderr(masked_lm, tmp_path, arguments, stdin, env, words):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(os.path.join(masked_lm, name), bare / name)
    replacements = {"EMPTY": str(empty), "NO_TOKENIZER": str(bare), "MLM": masked_lm}
    arguments = [replacements.get(a, a) for a in arguments]
    if "--model" not in arguments:
        arguments[1:1] = ["--model", masked_lm]
    result = run(*arguments, stdin=stdin, env=env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr


def test_embed_and_classify(tmp_path, unigram):  # noqa: F811
    base = make_checkpoint(tmp_path / "base", unigram, transformers.XLMRobertaModel)
    result = run("embed", "--model", base, "--pooling", "mean", "--normalize", "--json", "Hello world", "Привет")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(r["embedding"]) for r in rows] == [32, 32]
    assert all(abs(np.linalg.norm(r["embedding"]) - 1) < 1e-5 for r in rows)
    names = {0: "negative", 1: "positive"}
    classifier = make_checkpoint(tmp_path / "cls", unigram, transformers.XLMRobertaForSequenceClassification,
                                 id2label=names, label2id={v: k for k, v in names.items()})
    result = run("classify", "--model", classifier, "--top-k", "2", "--json", "good", "bad")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [sorted(r["label"] for r in row) for row in rows] == [["negative", "positive"]] * 2


def test_explain_writes_a_trace_and_heatmaps(masked_lm, tmp_path):
    pytest.importorskip("matplotlib")
    result = run("explain", "--model", masked_lm, "--plot", str(tmp_path / "plots"), "--json", "The cat sat.")
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["tokens"][0] == "<s>" and trace["tokens"][-1] == "</s>"
    assert len(trace["layers"]) == 2
    assert all(0 <= layer["attention_entropy"] <= trace["uniform_entropy"] + 1e-6 for layer in trace["layers"])
    assert sorted(os.listdir(tmp_path / "plots")) == ["attention_layer_01.png", "attention_layer_02.png"]
    human = run("explain", "--model", masked_lm, "The cat sat.")
    assert "attention entropy" in human.stdout


def test_verify_agrees_with_the_reference(masked_lm):
    result = run("verify", "--model", masked_lm, "--json", "The cat sat on the mat.")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["max_error"] < report["tolerance"]
    assert [row["output"] for row in report["rows"]][:3] == ["embeddings", "layer 1", "layer 2"]
