"""The packed fast path (``encode_batch``) against the plain forward, sequence by sequence."""

import multiprocessing

import numpy as np
import pytest
from hypothesis import given, strategies as st

import xlmr_np
from reference import assert_close
from strategies import small_configs
from xlmr_np import InputError, backend
from xlmr_np.fast import blas, packed, packed_attention, tensor_parallel, threads
from xlmr_np.fast.packed import pack, packed_position_ids
from xlmr_np.modeling.embeddings import position_ids_from_input_ids


@given(config=small_configs(cross_attention=False), seed=st.integers(0, 2**16), data=st.data())
def test_packed_equals_plain_forward(config, seed, data):
    """Each sequence's hidden states and pooled output equal a forward on that sequence alone."""
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(**{**config, "chunk_size_feed_forward": 0}),
                                    seed=seed)
    if data.draw(st.booleans(), label="prune"):
        model.prune_heads({0: [0]} if config["num_attention_heads"] > 1 else {})
    rng = np.random.default_rng(seed)
    lengths = data.draw(st.lists(st.integers(1, 12), min_size=1, max_size=6), label="lengths")
    sequences = [rng.integers(0, config["vocab_size"], size=n) for n in lengths]
    packed = model.encode_batch(sequences)
    for index, sequence in enumerate(sequences):
        plain = model(sequence[None])
        assert_close(packed.last_hidden_state[index], plain.last_hidden_state[0], "packed vs plain hidden")
        assert_close(packed.pooler_output[index], plain.pooler_output[0], "packed vs plain pooled")


def test_padded_batch_with_mask_equals_packed_rows():
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20))
    ids = np.array([[0, 5, 6, 7, 2], [1, 1, 0, 9, 2], [0, 8, 2, 1, 1]])
    mask = (ids != 1).astype(np.int64)
    packed = model.encode_batch(ids, attention_mask=mask)
    plain = model(ids, attention_mask=mask).last_hidden_state
    assert_close(packed.last_hidden_state[0], plain[0], "packed rows vs padded batch")
    assert_close(packed.last_hidden_state[1], plain[1, 2:], "packed rows vs padded batch")
    assert_close(packed.last_hidden_state[2], plain[2, :3], "packed rows vs padded batch")


def test_padded_batch_paths_and_their_checks():
    """The (input_ids, attention_mask) form: an all-attended batch is used as it stands, a padded
    one is cut to its attended tokens; a bad id is named by its place in input_ids (ids under
    padding are not looked at), an empty or too long row by its index."""
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20))
    ids = np.array([[0, 5, 6, 7, 2], [0, 9, 9, 8, 2]])
    full = model.encode_batch(ids, attention_mask=np.ones_like(ids))
    for row in range(2):
        assert_close(full.last_hidden_state[row], model(ids[row:row + 1]).last_hidden_state[0], "full rows")
        assert_close(full.pooler_output[row], model(ids[row:row + 1]).pooler_output[0], "full rows pooled")
    with pytest.raises(InputError, match=r"input_ids has id 50 at position \(1, 2\)"):
        model.encode_batch(np.array([[0, 5, 2], [99, 0, 50]]), attention_mask=np.array([[1, 1, 1], [0, 1, 1]]))
    with pytest.raises(InputError, match="sequence 1 is empty"):
        model.encode_batch(ids, attention_mask=np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]]))
    with pytest.raises(InputError, match="sequence 0: sequence of 19 tokens"):
        model.encode_batch(np.full((2, 19), 3), attention_mask=np.array([[1] * 19, [1] * 3 + [0] * 16]))
    # a row's attended tokens must be one run: cut out, a hole would join tokens forward keeps apart
    with pytest.raises(InputError, match="attention_mask row 1 has 2 separate runs of 1s"):
        model.encode_batch(ids, attention_mask=np.array([[0, 1, 1, 1, 1], [1, 1, 0, 1, 1]]))
    with pytest.raises(InputError, match=r"attention_mask holds 2.0 at position \(0, 4\)"):
        model.encode_batch(ids, attention_mask=np.array([[1, 1, 1, 1, 2], [1, 1, 1, 1, 1]]))


def test_packed_positions_restart_per_sequence():
    sequences = [np.array([5, 1, 6]), np.array([7, 8]), np.array([9, 9, 9])]
    batch = pack(sequences)
    positions = packed_position_ids(batch, padding_idx=1)
    for packed_index, (start, length) in enumerate(zip(batch.starts, batch.lengths)):
        original = sequences[batch.order[packed_index]]
        expected = position_ids_from_input_ids(original[None], 1)[0]
        np.testing.assert_array_equal(positions[start:start + length], expected)


def test_packed_inputs_are_validated():
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20))
    with pytest.raises(InputError, match="sequence 1 has id 50"):
        model.encode_batch([[0, 2], [0, 50]])
    with pytest.raises(InputError, match="sequence 0: sequence of 19 tokens"):
        model.encode_batch([[3] * 19])
    with pytest.raises(InputError, match="non-empty"):
        model.encode_batch([[]])
    with pytest.raises(InputError, match="eval"):
        model.train().encode_batch([[0, 2]])


@pytest.mark.parametrize("sequences, words", [
    ([0, 5, 2], ["sequence 0 is a single number (0)", "pass [ids]"]),
    (np.array([0, 5, 2]), ["sequence 0 is a single number"]),
    (None, ["list of id sequences, got NoneType"]),
    (7, ["got int"]),
    ("0 5 2", ["got str"]),
    ({"input_ids": [[0, 5, 2]], "attention_mask": [[1, 1, 1]]}, ["a mapping", "['input_ids']"]),
])
def test_encode_batch_needs_a_list_of_sequences(sequences, words):
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20))
    with pytest.raises(InputError) as error:
        model.encode_batch(sequences)
    for word in words:
        assert word in str(error.value), str(error.value)


@pytest.fixture(params=["whole-sequence groups", "threads share each layer's weights"])
def threaded_path(monkeypatch, request):
    """Force the threaded CPU path on small inputs, on two threads: either each thread running
    groups of sequences through all layers (groups of at most 8 tokens) or, with the groups
    refused, the threads sharing each layer's heads and feed-forward columns."""
    if not blas.blas_threads_controllable():
        pytest.fail("NumPy's BLAS here is not an OpenBLAS whose threads can be set; the threaded path "
                    "can't run (see xlmr_np/fast/blas.py)")
    monkeypatch.setenv("XLMR_NP_NUM_THREADS", "2")
    monkeypatch.setattr(packed, "MIN_PARALLEL_TOKENS", 1)
    grouped = request.param == "whole-sequence groups"
    monkeypatch.setattr(packed, "MAX_GROUP_TOKENS", 8)
    if not grouped:
        monkeypatch.setattr(packed, "GROUP_BALANCE", 0.0)
    get_threads = blas._openblas_thread_functions()[0]
    seen, groups, split_layers = [], [], []

    def recording(function):
        return lambda *args: seen.append(get_threads()) or function(*args)

    monkeypatch.setattr(packed_attention, "attend_block", recording(packed_attention.attend_block))
    monkeypatch.setattr(tensor_parallel, "attend_block", recording(tensor_parallel.attend_block))
    encode_group, split_layer = packed.encode_group, tensor_parallel.encoder_layer
    monkeypatch.setattr(packed, "encode_group", lambda *args: groups.append(args[2]) or encode_group(*args))
    monkeypatch.setattr(tensor_parallel, "encoder_layer", lambda *args: split_layers.append(args[-1])
                        or split_layer(*args))
    yield seen, get_threads
    assert bool(groups) == grouped, groups  # the intended way of sharing the work ran
    assert split_layers == ([] if grouped else [2] * len(split_layers)) and (grouped or split_layers)


@pytest.mark.parametrize("extra", [{}, {"position_embedding_type": "relative_key_query"},
                                   {"position_embedding_type": "relative_key", "is_decoder": True},
                                   {"hidden_act": "silu"}])
def test_threaded_path_equals_plain_forward(threaded_path, extra):
    """Sequence groups, or shares of the heads (3 heads on 2 threads: uneven) and feed-forward
    columns, on two threads give the plain forward's numbers; the BLAS runs on one thread
    meanwhile and gets its thread count back after."""
    seen, get_threads = threaded_path
    before = get_threads()
    config = xlmr_np.XLMRobertaConfig(vocab_size=60, hidden_size=24, num_hidden_layers=2, num_attention_heads=3,
                                      intermediate_size=40, max_position_embeddings=40, **extra)
    model = xlmr_np.XLMRobertaModel(config, seed=3)
    rng = np.random.default_rng(0)
    sequences = [rng.integers(3, 60, size=n) for n in (7, 12, 7, 3, 12, 12, 1, 7)]  # groups of 1-3
    out = model.encode_batch(sequences)
    for index, sequence in enumerate(sequences):
        plain = model(sequence[None])
        assert_close(out.last_hidden_state[index], plain.last_hidden_state[0], "threaded vs plain hidden")
        assert_close(out.pooler_output[index], plain.pooler_output[0], "threaded vs plain pooled")
    assert seen and set(seen) == {1}, seen  # attention ran with the BLAS on one thread
    assert get_threads() == before


@given(lengths=st.lists(st.integers(1, 600), min_size=1, max_size=40), threads_=st.integers(1, 4),
       per_group=st.sampled_from([8, 64, 2048]))
def test_sequence_groups_share_whole_sequences_evenly(lengths, threads_, per_group):
    """Every sequence in exactly one group, in packed order; a multiple of the thread count of
    groups (or one per sequence), biggest first; taken by threads as they free up, no thread gets more than
    GROUP_BALANCE times an even share. Refused (None) only for fewer sequences than threads or
    a sequence longer than a tenth of a thread's share."""
    saved = packed.MAX_GROUP_TOKENS
    packed.MAX_GROUP_TOKENS = per_group
    try:
        groups = packed.sequence_groups(lengths, threads_)
    finally:
        packed.MAX_GROUP_TOKENS = saved
    total = sum(lengths)
    if groups is None:
        assert len(lengths) < threads_ or max(lengths) > (packed.GROUP_BALANCE - 1) * total / threads_
        return
    assert sorted(i for group in groups for i in group) == list(range(len(lengths)))
    assert all(group == sorted(group) for group in groups)
    assert len(groups) >= threads_ and (len(groups) % threads_ == 0 or len(groups) == len(lengths))
    sizes = [sum(lengths[i] for i in group) for group in groups]
    assert sizes == sorted(sizes, reverse=True)
    loads = [0] * threads_
    for size in sizes:
        loads[loads.index(min(loads))] += size
    assert max(loads) <= packed.GROUP_BALANCE * total / threads_


def test_sequence_groups_for_even_batches_and_one_long_sequence():
    assert packed.sequence_groups([128] * 8, 2) == [[0, 2, 4, 6], [1, 3, 5, 7]]
    assert [len(g) for g in packed.sequence_groups([128] * 32, 2)] == [16, 16]  # one group per thread
    assert [len(g) for g in packed.sequence_groups([128] * 64, 2)] == [16] * 4  # at most 2,048 tokens each
    assert packed.sequence_groups([16, 16, 16, 512], 2) is None  # one thread would get 512 of 560 tokens
    assert packed.sequence_groups([300], 2) is None  # fewer sequences than threads
    assert packed.sequence_groups([512] * 4, 2) == [[0, 2], [1, 3]]


@pytest.mark.parametrize("count, parts", [(12, 2), (3, 2), (12, 16), (3072, 3), (1, 4), (7, 7)])
def test_tensor_parallel_shares_cover_every_head_once(count, parts):
    pieces = tensor_parallel.shares(count, parts)
    assert [i for start, stop in pieces for i in range(start, stop)] == list(range(count))
    assert len(pieces) == min(count, parts)
    sizes = [stop - start for start, stop in pieces]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("threads_", ["4", "3"])
def test_weight_shares_with_pruned_heads_and_more_threads_than_heads(monkeypatch, threads_):
    """Layers pruned to 1, 0 and 2 of 3 heads, shared by 3 or 4 threads (some get no head); a long
    sequence beside short ones, so the groups are refused and the threads share the weights."""
    if not blas.blas_threads_controllable():
        pytest.fail("NumPy's BLAS here is not an OpenBLAS whose threads can be set")
    monkeypatch.setenv("XLMR_NP_NUM_THREADS", threads_)
    monkeypatch.setattr(packed, "MIN_PARALLEL_TOKENS", 1)
    calls = []
    split_layer = tensor_parallel.encoder_layer
    monkeypatch.setattr(tensor_parallel, "encoder_layer", lambda *args: calls.append(args) or split_layer(*args))
    config = xlmr_np.XLMRobertaConfig(vocab_size=60, hidden_size=24, num_hidden_layers=3, num_attention_heads=3,
                                      intermediate_size=10, max_position_embeddings=60)
    model = xlmr_np.XLMRobertaModel(config, seed=5)
    model.prune_heads({0: [0, 2], 1: [0, 1, 2], 2: [1]})
    rng = np.random.default_rng(1)
    sequences = [rng.integers(3, 60, size=n) for n in (40, 3, 2)]
    out = model.encode_batch(sequences)
    assert len(calls) == 3
    for index, sequence in enumerate(sequences):
        plain = model(sequence[None])
        assert_close(out.last_hidden_state[index], plain.last_hidden_state[0], "weight shares vs plain hidden")
        assert_close(out.pooler_output[index], plain.pooler_output[0], "weight shares vs plain pooled")


def test_without_a_controllable_blas_the_fast_path_runs_on_one_thread(monkeypatch):
    """MKL, Accelerate or an OpenBLAS not found: no thread of ours, same numbers."""
    monkeypatch.setattr(packed, "blas_threads_controllable", lambda: False)
    monkeypatch.setattr(packed, "MIN_PARALLEL_TOKENS", 1)
    monkeypatch.setattr(packed, "for_each", lambda function, items, parallel: [function(item) for item in items]
                        if not parallel else pytest.fail("threaded path taken"))
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20), seed=1)
    sequences = [np.array([0, 5, 6, 2]), np.array([0, 7, 2])]
    out = model.encode_batch(sequences)
    for index, sequence in enumerate(sequences):
        assert_close(out.last_hidden_state[index], model(sequence[None]).last_hidden_state[0], "one-thread path")


def test_bad_thread_count_names_the_variable(monkeypatch):
    monkeypatch.setenv("XLMR_NP_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="XLMR_NP_NUM_THREADS must be a whole number"):
        threads.num_threads()


def test_float16_packed_path_is_refused_off_the_gpu():
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20)).to("numpy", dtype="float16")
    with pytest.raises(InputError, match="float16 models on CuPy only"):
        model.encode_batch([[0, 2]])


@given(lengths=st.lists(st.integers(1, 9), min_size=1, max_size=7), seed=st.integers(0, 2**16),
       position_embedding_type=st.sampled_from(["absolute", "relative_key", "relative_key_query"]),
       is_decoder=st.booleans(), dtype=st.sampled_from(["float32", "float64"]))
def test_padded_attention_equals_attention_per_block(lengths, seed, position_embedding_type, is_decoder, dtype):
    """The GPU's attention (every sequence padded to the longest, padding keys masked) against
    attention per block of equal lengths, on the same packed rows of a layer's QKV projection."""
    config = xlmr_np.XLMRobertaConfig(vocab_size=30, hidden_size=12, num_hidden_layers=1, num_attention_heads=3,
                                      intermediate_size=16, max_position_embeddings=20, is_decoder=is_decoder,
                                      position_embedding_type=position_embedding_type)
    model = xlmr_np.XLMRobertaModel(config, seed=seed).to("numpy", dtype=dtype)
    rng = np.random.default_rng(seed)
    batch = pack([rng.integers(0, 30, size=n) for n in lengths])
    weight, bias = packed.fused_layer_weights(model)[0]
    hidden = rng.standard_normal((sum(lengths), 12)).astype(dtype)
    qkv = hidden @ weight.T + bias  # (tokens, 3 * all_head)
    layer = model.encoder.layer[0]
    per_block = np.empty((qkv.shape[0], 12), dtype=dtype)
    for block in batch.groups:
        packed_attention.attend_block(layer.attention.self, qkv, per_block, block, is_decoder)
    padded = packed_attention.attend_padded(layer.attention.self, qkv, batch, is_decoder)
    assert padded.shape == per_block.shape and padded.dtype == per_block.dtype
    np.testing.assert_allclose(padded, per_block, rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


@pytest.mark.gpu
@pytest.mark.skipif(not backend.cupy_available(), reason="CuPy with a usable NVIDIA GPU is not available here")
@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("extra", [{}, {"position_embedding_type": "relative_key_query"},
                                   {"position_embedding_type": "relative_key", "is_decoder": True},
                                   {"hidden_act": "silu"}, {"pruned": {0: [0, 1, 2, 3], 1: [2]}}])
def test_packed_on_cupy_equals_plain_forward(extra, dtype):
    """The fast path on CuPy (fused kernels of xlmr_np/fast/cuda_kernels.py) against the plain
    forward on CuPy, sequence by sequence; float16 with the float16 tolerance of test_precision.py."""
    config = xlmr_np.XLMRobertaConfig(vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                      intermediate_size=48, max_position_embeddings=40,
                                      **{k: v for k, v in extra.items() if k != "pruned"})
    model = xlmr_np.XLMRobertaModel(config, seed=3)
    model.prune_heads(extra.get("pruned", {}))
    model.to("cupy", dtype=dtype)
    rng = np.random.default_rng(0)
    sequences = [rng.integers(3, 60, size=n) for n in (7, 12, 7, 3, 12, 1)]
    packed = model.encode_batch(sequences)
    tolerance = dict(atol=2e-2, rtol=2e-2) if dtype == "float16" else {}
    for index, sequence in enumerate(sequences):
        plain = model(sequence[None])
        assert backend.backend_of(packed.last_hidden_state[index]) == "cupy"
        assert_close(packed.last_hidden_state[index], plain.last_hidden_state[0],
                     f"cupy {dtype} packed vs plain hidden", **tolerance)
        assert_close(packed.pooler_output[index], plain.pooler_output[0], f"cupy {dtype} packed vs plain pooled",
                     **tolerance)


def _for_each_in_child():
    done = []
    threads.for_each(done.append, range(6))
    raise SystemExit(0 if sorted(done) == list(range(6)) else 1)


def test_thread_pool_works_in_a_process_forked_after_it_ran(monkeypatch):
    """``from_pretrained`` (copying weights) and ``encode_batch`` start the pool; a worker
    process forked after that (load, then fork) gets a pool of its own instead of waiting
    forever on threads the fork did not copy."""
    monkeypatch.setenv("XLMR_NP_NUM_THREADS", "2")
    done = []
    threads.for_each(done.append, range(6))
    assert sorted(done) == list(range(6))
    child = multiprocessing.get_context("fork").Process(target=_for_each_in_child)
    child.start()
    child.join(30)
    if child.is_alive():
        child.kill()
        pytest.fail("for_each in a forked child did not finish in 30 s")
    assert child.exitcode == 0


def test_fused_weights_follow_replaced_parameters():
    """encode_batch's stacked QKV weights are rebuilt when any of the six arrays is replaced (here
    the key and value biases, which the cache once did not look at)."""
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=40, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20), seed=1)
    sequence = np.array([0, 5, 6, 7, 2])
    model.encode_batch([sequence])  # builds the cache
    rng = np.random.default_rng(0)
    for layer in model.encoder.layer:
        for linear in (layer.attention.self.key, layer.attention.self.value):
            linear.bias = linear.bias + rng.standard_normal(linear.bias.shape).astype(linear.bias.dtype)
    packed_out = model.encode_batch([sequence]).last_hidden_state[0]
    assert_close(packed_out, model(sequence[None]).last_hidden_state[0], "packed after replacing QKV arrays")


def test_an_in_place_weight_edit_takes_effect_once_the_array_is_assigned_back():
    """The remedy docs/performance.md gives for the stacked-weight cache, which compares arrays by
    identity: after ``weight[...] = ...``, assigning the array back (here a copy) rebuilds it."""
    model = xlmr_np.XLMRobertaModel(xlmr_np.XLMRobertaConfig(
        vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
        max_position_embeddings=20), seed=2)
    sequence = np.array([0, 5, 6, 7, 2])
    model.encode_batch([sequence])  # builds the cache
    value = model.encoder.layer[0].attention.self.value
    value.weight[...] = value.weight * 3.0 + 0.5
    value.weight = value.weight.copy()
    assert_close(model.encode_batch([sequence]).last_hidden_state[0], model(sequence[None]).last_hidden_state[0],
                 "packed after an in-place edit assigned back")
