"""resize_token_embeddings and the embedding accessors against transformers' PreTrainedModel.

Each class's reference checkpoint (random weights, biases perturbed) is loaded by xlmr_np; both
models are resized the same way, the reference's new rows (drawn by torch's generator, which we
don't reproduce) are copied into ours, and the outputs are compared on ids that reach into the
new rows. Then the tied LM decoder and its bias, the saved checkpoint in transformers, the memory
layout and dtype of the new arrays, the other backends and the bad arguments.
"""

import copy
import warnings

import numpy as np
import pytest
import torch
import transformers

import guarded_numpy
import xlmr_np.heads as heads
from reference import assert_close, reference_checkpoint, to_numpy
from xlmr_np import InputError, XLMRobertaConfig, XLMRobertaModel, backend
from xlmr_np.nn import Embedding, Linear

transformers.logging.set_verbosity_error()

GUARDED = guarded_numpy.install()
SMALL = dict(vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20,
             max_position_embeddings=30)
CLASSES = ["XLMRobertaModel", "XLMRobertaForMaskedLM", "XLMRobertaForCausalLM",
           "XLMRobertaForSequenceClassification", "XLMRobertaForMultipleChoice",
           "XLMRobertaForTokenClassification", "XLMRobertaForQuestionAnswering"]
LM_CLASSES = ["XLMRobertaForMaskedLM", "XLMRobertaForCausalLM"]
# (new_num_tokens, pad_to_multiple_of) -> rows: grow, shrink, each rounded, and rounding alone
RESIZES = [(53, None, 53), (25, None, 25), (53, 8, 56), (25, 12, 36), (None, 16, 48)]


def our_class(cls_name):
    return XLMRobertaModel if cls_name == "XLMRobertaModel" else getattr(heads, cls_name)


def config_for(cls_name, **extra):
    return {**SMALL, "is_decoder": cls_name == "XLMRobertaForCausalLM", **extra}


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """One reference checkpoint per (class, tie_word_embeddings), made on first use."""
    made = {}

    def get(cls_name, tie=True):
        if (cls_name, tie) not in made:
            directory = tmp_path_factory.mktemp(cls_name)
            reference = reference_checkpoint(directory, getattr(transformers, cls_name),
                                             config_for(cls_name, tie_word_embeddings=tie), seed=5)
            made[cls_name, tie] = (directory, reference)
        directory, reference = made[cls_name, tie]
        return directory, copy.deepcopy(reference)  # each test resizes its own copy

    return get


def load_pair(checkpoints, cls_name, tie=True):
    """(xlmr_np model, reference model) with the same weights."""
    directory, reference = checkpoints(cls_name, tie)
    return our_class(cls_name).from_pretrained(directory), reference


def ids_for(cls_name, vocab_size, seed=0):
    """A batch whose ids cover the top of the vocabulary (the rows a resize adds); multiple
    choice takes (batch, choices, seq)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(3, vocab_size, size=(2, 7))
    ids[0, 1:4] = [vocab_size - 1, vocab_size - 2, vocab_size - 3]
    if cls_name == "XLMRobertaForMultipleChoice":
        ids = np.stack([ids, ids[:, ::-1].copy(), ids[::-1].copy()], axis=1)  # (2, 3, 7)
    return ids


def outputs_of(model, ids, torch_model=False):
    """Every output array a class returns for ``ids``, by name."""
    if torch_model:
        with torch.no_grad():
            output = model(input_ids=torch.tensor(ids))
    else:
        output = model(input_ids=ids)
    names = ["last_hidden_state", "pooler_output", "logits", "start_logits", "end_logits"]
    return {name: output[name] for name in names if name in output and output[name] is not None}


def copy_new_rows(ours, reference, old_num_tokens):
    """Give our new rows the reference's values (its generator is torch's)."""
    ours.get_input_embeddings().weight[old_num_tokens:] = to_numpy(reference.get_input_embeddings().weight)[old_num_tokens:]
    decoder = ours.get_output_embeddings()
    if decoder is not None and decoder.weight is not ours.get_input_embeddings().weight:  # untied
        decoder.weight[old_num_tokens:] = to_numpy(reference.get_output_embeddings().weight)[old_num_tokens:]


def resize_both(ours, reference, new_num_tokens, pad_to_multiple_of):
    """Resize both models alike; return what each resize returned."""
    old = ours.get_input_embeddings().weight.shape[0]
    returned = ours.resize_token_embeddings(new_num_tokens, pad_to_multiple_of)
    expected = reference.resize_token_embeddings(new_num_tokens, pad_to_multiple_of)
    copy_new_rows(ours, reference, old)
    return returned, expected


# -- parity with the reference, every class ---------------------------------------------------------


@pytest.mark.parametrize("new_num_tokens, pad_to_multiple_of, rows", RESIZES)
@pytest.mark.parametrize("cls_name", CLASSES)
def test_resized_model_matches_reference(checkpoints, cls_name, new_num_tokens, pad_to_multiple_of, rows):
    """Size, config, kept rows and every output equal the reference's after the same resize."""
    ours, reference = load_pair(checkpoints, cls_name)
    old_module = ours.get_input_embeddings()
    old_rows = np.array(old_module.weight)
    returned, expected = resize_both(ours, reference, new_num_tokens, pad_to_multiple_of)

    assert returned is ours.get_input_embeddings() and isinstance(returned, Embedding)
    assert tuple(returned.weight.shape) == tuple(expected.weight.shape) == (rows, SMALL["hidden_size"])
    assert ours.config.vocab_size == reference.config.vocab_size == rows
    assert ours.vocab_size == reference.vocab_size == rows
    assert returned.padding_idx is None and expected.padding_idx is None  # as the reference's new module
    kept = min(rows, SMALL["vocab_size"])
    np.testing.assert_array_equal(returned.weight[:kept], old_rows[:kept])  # rows kept, in order
    np.testing.assert_array_equal(old_module.weight, old_rows)  # the old table is left as it was
    assert not np.shares_memory(returned.weight, old_module.weight)

    actual, wanted = outputs_of(ours, ids_for(cls_name, rows)), outputs_of(reference, ids_for(cls_name, rows), True)
    assert actual.keys() == wanted.keys()
    for name in wanted:
        assert_close(actual[name], wanted[name], f"resized {cls_name} {name}")


@pytest.mark.parametrize("new_num_tokens, pad_to_multiple_of, rows", [(53, 8, 56), (25, None, 25)])
@pytest.mark.parametrize("cls_name", LM_CLASSES)
def test_untied_decoder_is_resized_as_in_the_reference(checkpoints, cls_name, new_num_tokens, pad_to_multiple_of,
                                                       rows):
    """tie_word_embeddings=False: the decoder gets rows of its own (new ones drawn, new bias
    entries zero), the output bias follows it, and the logits equal the reference's."""
    ours, reference = load_pair(checkpoints, cls_name, tie=False)
    old_decoder = np.array(ours.lm_head.decoder.weight)
    resize_both(ours, reference, new_num_tokens, pad_to_multiple_of)
    decoder = ours.get_output_embeddings()
    assert isinstance(decoder, Linear) and decoder.weight.shape == (rows, SMALL["hidden_size"])
    assert decoder.weight is not ours.get_input_embeddings().weight
    kept = min(rows, SMALL["vocab_size"])
    np.testing.assert_array_equal(decoder.weight[:kept], old_decoder[:kept])
    assert ours.lm_head.bias is decoder.bias
    assert_close(ours.lm_head.bias, reference.lm_head.bias, "untied resized output bias")
    assert not np.any(ours.lm_head.bias[kept:])
    ids = ids_for(cls_name, rows)
    assert_close(outputs_of(ours, ids)["logits"], outputs_of(reference, ids, True)["logits"],
                 f"untied resized {cls_name} logits")


# -- the tied LM head -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [53, 25])
@pytest.mark.parametrize("cls_name", LM_CLASSES)
def test_tied_decoder_follows_the_new_embeddings(checkpoints, cls_name, rows):
    """The decoder weight is the new embedding array (a change to a row moves that token's logit,
    as in the reference), and the output bias is padded with zeros or cut, as the reference's."""
    ours, reference = load_pair(checkpoints, cls_name)
    old_bias = np.array(ours.lm_head.bias)
    assert np.all(old_bias != 0)  # randomised, so padding and cutting show
    resize_both(ours, reference, rows, None)

    embeddings = ours.get_input_embeddings().weight
    assert ours.lm_head.decoder.weight is embeddings
    assert ours.lm_head.decoder.bias is ours.lm_head.bias and ours.lm_head.bias.shape == (rows,)
    kept = min(rows, SMALL["vocab_size"])
    np.testing.assert_array_equal(ours.lm_head.bias[:kept], old_bias[:kept])
    np.testing.assert_array_equal(ours.lm_head.bias[kept:], 0.0)
    assert_close(ours.lm_head.bias, reference.lm_head.bias, "tied resized output bias")

    ids = ids_for(cls_name, rows)
    before = outputs_of(ours, ids)["logits"]
    token = rows - 1
    embeddings[token] += 0.5
    with torch.no_grad():
        reference.get_input_embeddings().weight[token] += 0.5
    after = outputs_of(ours, ids)["logits"]
    assert not np.allclose(after[..., token], before[..., token])  # the decoder saw the change
    assert_close(after, outputs_of(reference, ids, True)["logits"], f"tied {cls_name} logits, new row changed")


def test_generate_after_a_resize_picks_new_tokens_as_the_reference(checkpoints):
    """Greedy decoding reaches the added rows (scaled up so that it does) and gives the
    reference's tokens."""
    ours, reference = load_pair(checkpoints, "XLMRobertaForCausalLM")
    resize_both(ours, reference, 60, None)
    ours.get_input_embeddings().weight[SMALL["vocab_size"]:] *= 20
    with torch.no_grad():
        reference.get_input_embeddings().weight[SMALL["vocab_size"]:] *= 20
    ids = np.array([[0, 55, 57, 7]])
    generated = to_numpy(ours.generate(ids, max_new_tokens=6, do_sample=False))
    with torch.no_grad():
        expected = reference.generate(torch.tensor(ids), max_new_tokens=6, do_sample=False, pad_token_id=1)
    np.testing.assert_array_equal(generated, to_numpy(expected))
    assert np.any(generated[:, ids.shape[1]:] >= SMALL["vocab_size"])


def test_resize_to_the_same_size_or_to_nothing_changes_nothing(checkpoints):
    ours, _ = load_pair(checkpoints, "XLMRobertaForMaskedLM")
    module, bias = ours.get_input_embeddings(), ours.lm_head.bias
    assert ours.resize_token_embeddings() is module
    assert not hasattr(ours, "vocab_size")  # as the reference: set only by a resize
    assert ours.resize_token_embeddings(SMALL["vocab_size"]) is module  # the reference returns the old module
    assert ours.resize_token_embeddings(None, 5) is module  # 40 is a multiple of 5
    assert ours.lm_head.bias is bias and ours.lm_head.decoder.weight is module.weight
    assert ours.config.vocab_size == SMALL["vocab_size"]


# -- checkpoints after a resize --------------------------------------------------------------------


@pytest.mark.parametrize("cls_name, tie", [(name, True) for name in CLASSES] + [(name, False) for name in LM_CLASSES])
def test_saved_resized_model_loads_in_transformers_and_back(checkpoints, tmp_path, cls_name, tie):
    """save_pretrained after a resize: transformers loads it (no missing or unexpected weights)
    with the new vocab_size and the same outputs; so does our from_pretrained."""
    ours, reference = load_pair(checkpoints, cls_name, tie=tie)
    resize_both(ours, reference, 45, 8)
    ours.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theirs = getattr(transformers, cls_name).from_pretrained(tmp_path).eval()
        again = our_class(cls_name).from_pretrained(tmp_path)
    assert theirs.config.vocab_size == again.config.vocab_size == 48
    assert theirs.get_input_embeddings().weight.shape == (48, SMALL["hidden_size"])
    ids = ids_for(cls_name, 48)
    expected, mine = outputs_of(theirs, ids, True), outputs_of(ours, ids)
    reloaded = outputs_of(again, ids)
    for name in expected:
        assert_close(mine[name], expected[name], f"resized {cls_name} saved, loaded by transformers: {name}")
        assert_close(reloaded[name], expected[name], f"resized {cls_name} saved, loaded by xlmr_np: {name}")
    if cls_name in LM_CLASSES:
        tied = again.lm_head.decoder.weight is again.get_input_embeddings().weight
        assert tied == tie


# -- initialisation, layout, dtype, backends -------------------------------------------------------


def test_new_rows_are_drawn_like_init_with_the_seed():
    """normal(0, initializer_range) as the reference's _init_weights; the seed fixes them."""
    config = XLMRobertaConfig(**SMALL, initializer_range=0.05)
    models = [heads.XLMRobertaForMaskedLM(copy.deepcopy(config), seed=1) for _ in range(3)]
    for model, seed in zip(models, (7, 7, 8)):
        model.resize_token_embeddings(SMALL["vocab_size"] + 2000, seed=seed)
    new = [model.get_input_embeddings().weight[SMALL["vocab_size"]:] for model in models]
    assert abs(float(np.std(new[0])) - 0.05) < 0.002 and abs(float(np.mean(new[0]))) < 0.002
    np.testing.assert_array_equal(new[0], new[1])
    assert not np.array_equal(new[0], new[2])


@pytest.mark.parametrize("dtype", ["float64", "float16"])
@pytest.mark.parametrize("tie", [True, False])
def test_resized_arrays_keep_the_models_layout_and_dtype(tie, dtype):
    """Embedding rows stay row-major (lookups); an untied decoder is Fortran-ordered on the CPU,
    as every Linear weight (nn.matmul_layout); the model's dtype is kept (float32 new rows would
    turn float16 ones into float32)."""
    model = heads.XLMRobertaForMaskedLM(XLMRobertaConfig(**SMALL, tie_word_embeddings=tie), seed=2)
    model.to("numpy", dtype)
    for rows in (61, 33):
        model.resize_token_embeddings(rows)
        embeddings, decoder = model.get_input_embeddings().weight, model.lm_head.decoder.weight
        assert embeddings.flags.c_contiguous and embeddings.dtype == dtype
        assert decoder.dtype == dtype and model.lm_head.bias.dtype == dtype
        assert decoder.flags.f_contiguous != tie  # tied: the embedding array itself
        assert model(input_ids=np.array([[0, rows - 1, 2]])).logits.dtype == dtype


@pytest.mark.parametrize("tie", [True, False])
def test_resize_runs_through_xp_on_another_backend(tie):
    """On the guarded NumPy (every NumPy call from model code fails there, as on CuPy) a resize
    gives the arrays and outputs of the same resize on NumPy."""
    config = XLMRobertaConfig(**SMALL, tie_word_embeddings=tie)
    plain = heads.XLMRobertaForMaskedLM(copy.deepcopy(config), seed=3)
    guarded = heads.XLMRobertaForMaskedLM(copy.deepcopy(config), seed=3).to(GUARDED)
    for rows, multiple in ((45, 8), (29, None)):
        plain.resize_token_embeddings(rows, multiple, seed=4)
        returned = guarded.resize_token_embeddings(rows, multiple, seed=4)
        assert backend.backend_of(returned.weight) == GUARDED == guarded.backend
        assert backend.backend_of(guarded.lm_head.bias) == GUARDED
        for (key, a), (_, b) in zip(plain.named_parameters(), guarded.named_parameters()):
            np.testing.assert_array_equal(backend.to_numpy(b), a, err_msg=key)
        ids = ids_for("XLMRobertaForMaskedLM", plain.config.vocab_size)
        assert_close(guarded(input_ids=ids).logits, plain(input_ids=ids).logits, "resized, guarded backend")


def test_packed_path_and_id_checks_use_the_new_size():
    """encode_batch reads the new table (no cached weights go stale) and ids are checked against
    the new vocab_size, on both paths."""
    model = XLMRobertaModel(XLMRobertaConfig(**SMALL), seed=6)
    model.encode_batch([[0, 5, 2]])  # fills the fast path's fused-weight cache
    model.resize_token_embeddings(50)
    sequences = [[0, 49, 45, 2], [0, 41, 2]]
    packed = model.encode_batch(sequences)
    for sequence, hidden in zip(sequences, packed.last_hidden_state):
        assert_close(hidden, model(input_ids=np.array([sequence])).last_hidden_state[0], "resized packed path")
    model.resize_token_embeddings(30)
    for run in (lambda: model(input_ids=np.array([[0, 35, 2]])), lambda: model.encode_batch([[0, 35, 2]])):
        with pytest.raises(InputError, match="vocab_size=30"):
            run()


# -- the accessors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls_name", CLASSES)
def test_accessors_exist_where_the_reference_has_them(checkpoints, cls_name):
    ours, reference = load_pair(checkpoints, cls_name)
    assert ours.get_input_embeddings() is ours.get_input_embeddings() is not None
    has_decoder = cls_name in LM_CLASSES
    assert (ours.get_output_embeddings() is not None) == (reference.get_output_embeddings() is not None) == has_decoder
    assert hasattr(ours, "set_output_embeddings") == hasattr(reference, "set_output_embeddings") == has_decoder


def test_set_input_embeddings_then_tie_weights_as_in_the_reference(checkpoints):
    """The decoder keeps its old array until tie_weights, in both implementations."""
    ours, reference = load_pair(checkpoints, "XLMRobertaForMaskedLM")
    values = np.random.default_rng(9).standard_normal((SMALL["vocab_size"], SMALL["hidden_size"])).astype(np.float32)
    mine = Embedding(SMALL["vocab_size"], SMALL["hidden_size"])
    mine.weight = values * 0.05
    theirs = torch.nn.Embedding(SMALL["vocab_size"], SMALL["hidden_size"])
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(values * 0.05))
    ours.set_input_embeddings(mine)
    reference.set_input_embeddings(theirs)
    assert ours.get_input_embeddings() is mine and ours.roberta.embeddings.word_embeddings is mine
    ids = ids_for("XLMRobertaForMaskedLM", SMALL["vocab_size"])
    assert_close(outputs_of(ours, ids)["logits"], outputs_of(reference, ids, True)["logits"], "set, untied yet")
    ours.tie_weights()
    reference.tie_weights()
    assert ours.lm_head.decoder.weight is mine.weight
    assert_close(outputs_of(ours, ids)["logits"], outputs_of(reference, ids, True)["logits"], "set, then tied")


def test_set_output_embeddings_takes_the_decoder_and_its_bias():
    model = heads.XLMRobertaForMaskedLM(XLMRobertaConfig(**SMALL, tie_word_embeddings=False), seed=1)
    decoder = Linear(SMALL["hidden_size"], SMALL["vocab_size"])
    decoder.weight = np.ones(decoder.weight.shape, dtype=np.float32)
    decoder.bias = np.arange(SMALL["vocab_size"], dtype=np.float32)
    model.set_output_embeddings(decoder)
    model.tie_weights()
    assert model.get_output_embeddings() is decoder and model.lm_head.bias is decoder.bias
    assert decoder.weight.flags.f_contiguous  # laid out as every Linear weight on the CPU
    assert "lm_head.decoder.weight" in dict(model.named_parameters())
    logits = model(input_ids=np.array([[0, 5, 2]])).logits
    np.testing.assert_allclose(np.diff(logits, axis=-1), 1.0, atol=1e-4)  # equal rows + the bias 0..vocab-1


@pytest.mark.parametrize("method, module, words", [
    ("set_input_embeddings", np.zeros((40, 16), np.float32), "needs an xlmr_np.nn.Embedding, got ndarray"),
    ("set_input_embeddings", Embedding(41, 16), r"weight is \(41, 16\), expected \(40, 16\)"),
    ("set_input_embeddings", Embedding(40, 8), r"weight is \(40, 8\), expected \(40, 16\)"),
    ("set_output_embeddings", Embedding(40, 16), "needs an xlmr_np.nn.Linear, got Embedding"),
    ("set_output_embeddings", Linear(16, 39), r"weight is \(39, 16\), expected \(40, 16\)"),
])
def test_set_embeddings_refuses_what_does_not_fit(method, module, words):
    model = heads.XLMRobertaForMaskedLM(XLMRobertaConfig(**SMALL))
    with pytest.raises(InputError, match=f"{method}: .*{words}|{method} {words}"):
        getattr(model, method)(module)


def test_set_embeddings_refuses_another_dtype():
    model = heads.XLMRobertaForMaskedLM(XLMRobertaConfig(**SMALL))
    module = Embedding(40, 16)
    module.weight = module.weight.astype(np.float64)
    with pytest.raises(InputError, match="is float64 on 'numpy', the model is float32 on 'numpy'"):
        model.set_input_embeddings(module)


# -- bad arguments -------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    ((-1,), "new_num_tokens=-1 must be a non-negative integer"),
    ((2.5,), "new_num_tokens=2.5 must be a non-negative integer"),
    (("60",), "new_num_tokens='60' must be a non-negative integer"),
    ((True,), "new_num_tokens=True must be a non-negative integer"),
    ((60, 0), "pad_to_multiple_of=0 must be a positive integer"),
    ((60, -8), "pad_to_multiple_of=-8 must be a positive integer"),
    ((60, 8.0), "pad_to_multiple_of=8.0 must be a positive integer"),
    ((None, "8"), "pad_to_multiple_of='8' must be a positive integer"),
    ((0,), r"new_num_tokens=0, .*vocab_size=0, which the config refuses"),
    ((1,), r"new_num_tokens=1, .*vocab_size=1, which the config refuses: pad_token_id=1"),
    ((2**27,), r"new_num_tokens=134217728, .*which the config refuses"),
])
def test_bad_arguments_are_refused_before_anything_changes(args, words):
    model = heads.XLMRobertaForMaskedLM(XLMRobertaConfig(**SMALL))
    module, bias = model.get_input_embeddings(), model.lm_head.bias
    with pytest.raises(InputError, match=words):
        model.resize_token_embeddings(*args)
    assert model.get_input_embeddings() is module and model.lm_head.bias is bias
    assert model.config.vocab_size == SMALL["vocab_size"] and not hasattr(model, "vocab_size")


def test_numpy_integers_are_accepted():
    model = XLMRobertaModel(XLMRobertaConfig(**SMALL))
    assert model.resize_token_embeddings(np.int64(50), np.int32(16)).weight.shape == (64, SMALL["hidden_size"])
    assert type(model.config.vocab_size) is int  # written to config.json
