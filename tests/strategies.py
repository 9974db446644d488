"""Hypothesis strategies for small XLM-R configurations, shared by all test modules."""

from hypothesis import strategies as st

ACTIVATIONS = ["gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "silu",
               "swish", "tanh", "mish", "linear", "gelu_10", "relu6", "sigmoid", "leaky_relu",
               "relu2", "gelu_python", "gelu_accurate", "laplace"]
POSITION_TYPES = ["absolute", "relative_key", "relative_key_query"]


@st.composite
def small_configs(draw, decoder=None, cross_attention=None, activations=ACTIVATIONS):
    """Config keyword arguments: 1-3 layers, 1-4 heads of size 2-16, vocab 10-300."""
    heads = draw(st.integers(1, 4))
    head_dim = draw(st.integers(2, 16))
    is_decoder = draw(st.booleans()) if decoder is None else decoder
    add_cross = (draw(st.booleans()) if cross_attention is None else cross_attention) and is_decoder
    return dict(
        vocab_size=draw(st.integers(10, 300)),
        hidden_size=heads * head_dim,
        num_hidden_layers=draw(st.integers(1, 3)),
        num_attention_heads=heads,
        intermediate_size=draw(st.integers(4, 64)),
        hidden_act=draw(st.sampled_from(activations)),
        max_position_embeddings=draw(st.integers(24, 40)),
        type_vocab_size=draw(st.integers(1, 3)),
        layer_norm_eps=draw(st.sampled_from([1e-5, 1e-12])),
        position_embedding_type=draw(st.sampled_from(POSITION_TYPES)),
        is_decoder=is_decoder,
        add_cross_attention=add_cross,
        chunk_size_feed_forward=draw(st.sampled_from([0, 0, 1, 2])),
        pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
