"""XLMRobertaModel: embeddings -> encoder layers -> (optional) pooler.

The same class is the encoder (default), or a decoder with a causal mask (``is_decoder``),
cross-attention over an encoder's output (``add_cross_attention``) and a key/value cache
(``use_cache``), exactly as the reference. Tutorial 05 runs it end to end.
"""

from __future__ import annotations

from ..backend import namespace, to_backend
from ..errors import InputError
from ..nn import Embedding
from .embeddings import XLMRobertaEmbeddings
from .encoder import XLMRobertaEncoder
from .masks import extended_attention_mask, inverted_encoder_mask, layer_head_masks, layer_mask_shape
from .outputs import BaseModelOutputWithPoolingAndCrossAttentions, encoder_tail
from .pooler import XLMRobertaPooler
from .pretrained import XLMRobertaPreTrainedModel
from .validation import (as_backend_array, check_binary, check_finite, check_ids, check_ndim,
                         check_position_limit, check_same_shape, id_sequences, non_finite_message)


class XLMRobertaModel(XLMRobertaPreTrainedModel):
    """The bare encoder (or decoder); task models put a head on top of it."""

    optional_prefixes = ("pooler.",)
    # NaN/inf check of every forward's output: one pass over the last hidden state (well under
    # 1% of a forward, see docs/untrusted-files.md). On failure the layer where the values first
    # appear is found and named in an InputError. Set to False on an instance to skip the check.
    check_finite = True

    def __init__(self, config, add_pooling_layer: bool = True, seed: int = 0, _initialise: bool = True):
        super().__init__(config)
        self.embeddings = XLMRobertaEmbeddings(config)
        self.encoder = XLMRobertaEncoder(config)
        self.pooler = XLMRobertaPooler(config) if add_pooling_layer else None
        self.post_init(seed, initialise=_initialise)

    def get_input_embeddings(self):
        """The word embeddings, ``embeddings.word_embeddings``: an ``nn.Embedding`` (vocab_size, hidden_size)."""
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value):
        """Make ``value`` the word embeddings. As in the reference, the config and a tied LM decoder
        don't follow (``resize_token_embeddings`` changes the size and ties; or call
        ``tie_weights``). Unlike the reference, ``value`` must be an ``nn.Embedding`` of
        (config.vocab_size, hidden_size) on the model's backend and dtype (``_check_replacement``);
        anything else is an ``InputError``."""
        self._check_replacement(value, Embedding, "set_input_embeddings")
        self.embeddings.word_embeddings = value

    def encode_batch(self, sequences, attention_mask=None):
        """Encode sequences of different lengths without padding them (the fast path).

        ``sequences``: a list of id lists / 1-D arrays, or a 2-D ``input_ids`` array with its
        ``attention_mask`` of 0s and 1s (each row is cut to its attended tokens, which must be one
        run: padding on the left or the right). Returns a ``PackedOutput``:
        ``last_hidden_state`` is a list of (length_i, hidden) arrays in input order and
        ``pooler_output`` a (batch, hidden) array. Same numbers as ``forward`` on each sequence
        (tests/test_packed.py); see docs/performance.md.
        """
        from ..fast import encode_packed, encode_packed_rows  # noqa: PLC0415 - the fast path imports this package

        if attention_mask is None:
            return encode_packed(self, id_sequences(sequences))
        name, xp = self.backend, self.xp
        ids = as_backend_array(sequences, "input_ids", name, "int")
        check_ndim(ids, "input_ids", (2,), "2-D (batch, sequence) when attention_mask is given")
        # The mask is read on the host (no device operations, one transfer at most)
        host_mask = as_backend_array(attention_mask, "attention_mask", "numpy", "int")
        check_same_shape(host_mask, "attention_mask", ids.shape, "input_ids")
        check_binary(host_mask, "attention_mask")
        host_kept = host_mask != 0  # (batch, seq)
        counts = host_kept.sum(axis=1).tolist()  # attended tokens per row
        # A row is cut to its attended tokens, which must be one run: a hole would join tokens that
        # forward keeps apart by position.
        runs = (host_kept[:, :1].sum(axis=1) + (host_kept[:, 1:] & ~host_kept[:, :-1]).sum(axis=1)).tolist()
        holed = next((row for row, count in enumerate(runs) if count > 1), None)
        if holed is not None:
            raise InputError(f"attention_mask row {holed} has {runs[holed]} separate runs of 1s; encode_batch "
                             f"cuts each row to one run of attended tokens (padding on the left or the right), "
                             f"so a mask with holes needs forward")
        full = all(count == ids.shape[1] for count in counts)
        kept = None if full else to_backend(host_kept, name)  # (batch, seq) bool
        # ids under the mask only (padding may hold anything), named by (row, column) of input_ids
        check_ids(ids if full else xp.where(kept, ids, 0), "input_ids", self.config.vocab_size, "vocab_size")
        tokens = xp.reshape(ids, (-1,)) if full else ids[kept]  # every attended id, row after row
        return encode_packed_rows(self, tokens, counts)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                head_mask=None, inputs_embeds=None, encoder_hidden_states=None,
                encoder_attention_mask=None, past_key_values=None, use_cache=None,
                output_attentions=None, output_hidden_states=None, return_dict=True):
        config = self.config
        output_attentions = config.output_attentions if output_attentions is None else output_attentions
        output_hidden_states = (config.output_hidden_states if output_hidden_states is None
                                else output_hidden_states)
        use_cache = (config.use_cache if use_cache is None else use_cache) if config.is_decoder else False

        inputs = self.prepare_inputs(input_ids, attention_mask, token_type_ids, position_ids, head_mask,
                                     inputs_embeds, encoder_hidden_states, encoder_attention_mask,
                                     past_key_values)
        (input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
         encoder_hidden_states, encoder_attention_mask, past_key_values, past_length) = inputs
        xp = self.xp
        batch, seq = (input_ids if input_ids is not None else inputs_embeds).shape[:2]

        if attention_mask is None:
            attention_mask = xp.ones((batch, past_length + seq), dtype=self.dtype)
        mask_dtype = "float32" if self.dtype == "float16" else self.dtype  # the softmax's dtype
        scores_mask = extended_attention_mask(attention_mask, seq, config.is_decoder, mask_dtype)
        encoder_scores_mask = None
        if config.is_decoder and encoder_hidden_states is not None:
            if encoder_attention_mask is None:
                encoder_attention_mask = xp.ones(encoder_hidden_states.shape[:2], dtype=self.dtype)
            encoder_scores_mask = inverted_encoder_mask(encoder_attention_mask, mask_dtype)

        embedding_output = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds,
                                           past_length)  # (batch, seq, hidden)
        encoder_outputs = self.encoder(
            embedding_output, scores_mask,
            layer_head_masks(head_mask, config.num_hidden_layers, self.dtype),
            encoder_hidden_states, encoder_scores_mask, past_key_values, use_cache,
            output_attentions, output_hidden_states)
        sequence_output = encoder_outputs.last_hidden_state  # (batch, seq, hidden)
        pooled_output = self.pooler(sequence_output) if self.pooler is not None else None  # (batch, hidden)
        if self.check_finite and not bool(xp.isfinite(sequence_output).all()):
            # NaN/inf persist through every later layer (residual sum, LayerNorm), so checking the
            # last output catches them; rerun keeping each layer's output to say where they began.
            hidden_states = encoder_outputs.hidden_states or self.encoder(
                embedding_output, scores_mask, layer_head_masks(head_mask, config.num_hidden_layers, self.dtype),
                encoder_hidden_states, encoder_scores_mask, past_key_values, output_hidden_states=True,
            ).hidden_states
            raise InputError(non_finite_message(hidden_states, self.dtype))
        if self.check_finite and pooled_output is not None and not bool(xp.isfinite(pooled_output).all()):
            raise InputError("non-finite values (NaN or inf) first appear in the pooler output "
                             "(do the pooler weights hold NaN or inf?)")

        if not return_dict:
            # The reference's tuple: the cache comes before the hidden states (the output class
            # lists them the other way round), and the pooler's place is kept even when it is None.
            return (sequence_output, pooled_output) + encoder_tail(encoder_outputs)
        return BaseModelOutputWithPoolingAndCrossAttentions(
            last_hidden_state=sequence_output, pooler_output=pooled_output,
            hidden_states=encoder_outputs.hidden_states, past_key_values=encoder_outputs.past_key_values,
            attentions=encoder_outputs.attentions, cross_attentions=encoder_outputs.cross_attentions)

    def prepare_inputs(self, input_ids, attention_mask, token_type_ids, position_ids, head_mask,
                       inputs_embeds, encoder_hidden_states, encoder_attention_mask, past_key_values):
        """Move inputs to the model's backend and check every shape, dtype and index range."""
        config, name, dtype = self.config, self.backend, self.dtype
        if (input_ids is None) == (inputs_embeds is None):
            raise InputError("pass exactly one of input_ids and inputs_embeds "
                             f"(got {'both' if input_ids is not None else 'neither'})")
        input_ids = as_backend_array(input_ids, "input_ids", name, "int")
        inputs_embeds = as_backend_array(inputs_embeds, "inputs_embeds", name, "float", dtype)
        check_finite(inputs_embeds, "inputs_embeds", dtype)
        check_ndim(input_ids, "input_ids", (2,), "2-D (batch, sequence)")
        check_ndim(inputs_embeds, "inputs_embeds", (3,), "3-D (batch, sequence, hidden_size)")
        if inputs_embeds is not None and inputs_embeds.shape[-1] != config.hidden_size:
            raise InputError(f"inputs_embeds has last dimension {inputs_embeds.shape[-1]}, "
                             f"expected hidden_size={config.hidden_size}")
        shape = tuple((input_ids if input_ids is not None else inputs_embeds).shape[:2])
        if shape[1] == 0:
            raise InputError("input has sequence length 0; pass at least one token")
        if input_ids is not None:
            check_ids(input_ids, "input_ids", config.vocab_size, "vocab_size")

        past_key_values, past_length = self.check_past(past_key_values, shape[0])
        if position_ids is None:
            try:
                check_position_limit(config, shape[1], past_length, input_ids is not None)
            except InputError:
                if input_ids is None or config.position_embedding_type != "absolute":
                    raise
                # Positions count only the ids that are not padding (the reference's rule), so a row
                # padded past the position table still fits when its tokens do, and pads alone take
                # no position after a cache.
                tokens = int(self.xp.max(self.xp.sum(input_ids != config.pad_token_id, axis=1)))
                if tokens:
                    check_position_limit(config, tokens, past_length, True)
        else:
            position_ids = as_backend_array(position_ids, "position_ids", name, "int")
            if position_ids.ndim == 1 and position_ids.shape[0] == shape[1]:  # one row for the whole batch
                position_ids = namespace(position_ids).broadcast_to(position_ids[None], shape)
            check_same_shape(position_ids, "position_ids", shape, "the input")
            check_ids(position_ids, "position_ids", config.max_position_embeddings,
                      "max_position_embeddings")
            if config.position_embedding_type != "absolute":
                check_position_limit(config, shape[1], past_length, False)

        token_type_ids = as_backend_array(token_type_ids, "token_type_ids", name, "int")
        check_same_shape(token_type_ids, "token_type_ids", shape, "the input")
        if token_type_ids is not None:
            check_ids(token_type_ids, "token_type_ids", config.type_vocab_size, "type_vocab_size",
                      hint="; XLM-R checkpoints have one token type, so pass zeros or leave "
                           "token_type_ids out" if config.type_vocab_size == 1 else "")

        attention_mask = as_backend_array(attention_mask, "attention_mask", name, "float")
        check_binary(attention_mask, "attention_mask")  # NaN and inf included: they are not 0 or 1
        if attention_mask is not None:
            key_length = past_length + shape[1]
            expected = {2: (shape[0], key_length), 3: (shape[0], shape[1], key_length)}.get(attention_mask.ndim)
            if tuple(attention_mask.shape) != expected:
                cache = f" ({past_length} cached + {shape[1]} new)" if past_length else ""
                raise InputError(
                    f"attention_mask has shape {tuple(attention_mask.shape)}; expected "
                    f"(batch={shape[0]}, keys={key_length}){cache} or (batch, queries={shape[1]}, keys)")

        head_mask = as_backend_array(head_mask, "head_mask", name, "float")
        check_finite(head_mask, "head_mask")

        encoder_hidden_states = as_backend_array(encoder_hidden_states, "encoder_hidden_states", name,
                                                 "float", dtype)
        encoder_attention_mask = as_backend_array(encoder_attention_mask, "encoder_attention_mask",
                                                  name, "float")
        check_finite(encoder_hidden_states, "encoder_hidden_states", dtype)
        check_binary(encoder_attention_mask, "encoder_attention_mask")  # NaN and inf included: they are not 0 or 1
        if encoder_hidden_states is not None:
            if not config.add_cross_attention:
                raise InputError("encoder_hidden_states were passed, but the model has no "
                                 "cross-attention (config.add_cross_attention is False)")
            check_ndim(encoder_hidden_states, "encoder_hidden_states", (3,), "3-D (batch, sequence, hidden)")
            if (encoder_hidden_states.shape[0] != shape[0] or encoder_hidden_states.shape[1] == 0
                    or encoder_hidden_states.shape[2] != config.hidden_size):
                raise InputError(f"encoder_hidden_states has shape {tuple(encoder_hidden_states.shape)}; "
                                 f"expected (batch={shape[0]}, encoder sequence >= 1, hidden_size={config.hidden_size})")
            encoder_length = encoder_hidden_states.shape[1]
            if encoder_attention_mask is not None:
                expected = {2: (shape[0], encoder_length),
                            3: (shape[0], shape[1], encoder_length)}.get(encoder_attention_mask.ndim)
                if tuple(encoder_attention_mask.shape) != expected:
                    raise InputError(f"encoder_attention_mask has shape {tuple(encoder_attention_mask.shape)}; "
                                     f"expected (batch={shape[0]}, encoder positions={encoder_length}) or "
                                     f"(batch, queries={shape[1]}, encoder positions)")
            for index, layer_cache in enumerate(past_key_values or ()):
                # (self key, self value, cross key, cross value): the cross pair is used in place of
                # encoder_hidden_states, so it must cover the same encoder positions
                if len(layer_cache) != 4 or layer_cache[2].shape[2] != encoder_length:
                    found = (f"cross-attention keys for {layer_cache[2].shape[2]} encoder positions"
                             if len(layer_cache) == 4
                             else "no cross-attention keys and values (2 arrays)")
                    raise InputError(f"past_key_values[{index}] holds {found}, but encoder_hidden_states has "
                                     f"{encoder_length}; pass the cache a forward with these encoder_hidden_states "
                                     f"and use_cache=True returned")
        if head_mask is not None:
            self.check_head_mask(head_mask, shape, past_length, encoder_hidden_states)
        return (input_ids, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds,
                encoder_hidden_states, encoder_attention_mask, past_key_values, past_length)

    def check_head_mask(self, head_mask, shape, past_length, encoder_hidden_states):
        """Each layer's head mask must broadcast to that layer's attention probabilities.

        Accepted as the reference accepts them: (heads,) for every layer, (layers, heads), or 5-D
        (layers, batch, heads, queries, keys) with 1 on any axis to broadcast; heads count after
        pruning, and a decoder applies the same mask to its cross-attention. A mask that would
        broadcast the probabilities to a larger shape (a batch axis of 3 for one sequence) is
        refused: it would change the shape of the output."""
        config, layers = self.config, self.config.num_hidden_layers
        given = tuple(head_mask.shape)
        if head_mask.ndim not in (1, 2, 5):
            raise InputError(f"head_mask has shape {given}; give (heads,) for every layer, (layers, heads), or "
                             f"5-D (layers, batch, heads, queries, keys) with 1 on any axis to broadcast "
                             f"({head_mask.ndim}-D masks are not accepted)")
        if head_mask.ndim != 1 and given[0] < layers:
            raise InputError(f"head_mask has shape {given}: its first axis holds {given[0]} layer masks, but the "
                             f"model has num_hidden_layers={layers} (a 1-D (heads,) mask applies to every layer)")
        mask_shape = layer_mask_shape(given)  # (batch or 1, heads or 1, q or 1, k or 1)
        batch, queries = shape
        for index, layer in enumerate(self.encoder.layer):
            attentions = [("self-attention", layer.attention, past_length + queries)]
            if config.is_decoder and encoder_hidden_states is not None:
                attentions.append(("cross-attention", layer.crossattention, encoder_hidden_states.shape[1]))
            for what, attention, keys in attentions:
                heads = attention.self.num_attention_heads
                target = (batch, heads, queries, keys)
                if all(size in (1, full) for size, full in zip(mask_shape, target)):
                    continue
                pruned = (f"; layer {index} has {heads} of num_attention_heads={config.num_attention_heads} "
                          f"heads after pruning (config.pruned_heads={config.pruned_heads}); a head axis "
                          f"of 1 fits every layer" if mask_shape[1] not in (1, heads) and
                          attention.pruned_heads else "")
                raise InputError(f"head_mask has shape {given}, so layer {index}'s mask has shape {mask_shape}, "
                                 f"which must broadcast to its {what} probabilities (batch={batch}, "
                                 f"heads={heads}, queries={queries}, keys={keys}): every axis equal or 1{pruned}")

    def check_past(self, past_key_values, batch):
        """Validate a cache from an earlier call; return it on the backend and its length.

        Layer ``i`` holds its self-attention's key and value, each (batch, heads, cached, head_dim),
        then, with cross-attention, the same over the encoder's positions. Every layer has cached
        the same number of positions; heads count after pruning."""
        if past_key_values is None:
            return None, 0
        config = self.config
        if not config.is_decoder:
            raise InputError("past_key_values only apply to a decoder (config.is_decoder=True)")
        if not isinstance(past_key_values, (tuple, list)):
            raise InputError(f"past_key_values must be a tuple with one tuple of arrays per layer (what a "
                             f"forward with use_cache=True returns), got {type(past_key_values).__name__}")
        if len(past_key_values) != config.num_hidden_layers:
            raise InputError(f"past_key_values has {len(past_key_values)} layers, the model has "
                             f"{config.num_hidden_layers}")
        moved = []
        for index, layer_cache in enumerate(past_key_values):
            name = f"past_key_values[{index}]"
            if (not isinstance(layer_cache, (tuple, list)) or len(layer_cache) not in (2, 4)
                    or any(array is None for array in layer_cache)):
                raise InputError(f"{name} must be 2 or 4 arrays of shape (batch={batch}, heads, length, head_dim)")
            arrays = tuple(as_backend_array(a, name, self.backend, "float", self.dtype) for a in layer_cache)
            if any(array.ndim != 4 for array in arrays):
                raise InputError(f"{name} must be 2 or 4 arrays of shape (batch={batch}, heads, length, "
                                 f"head_dim), got shapes {[tuple(array.shape) for array in arrays]}")
            layer = self.encoder.layer[index]
            cached = int(moved[0][0].shape[2]) if moved else int(arrays[0].shape[2])
            check_cached_attention(arrays[:2], name, batch, layer.attention.self, cached, "cached positions",
                                   " (every layer caches as many positions as past_key_values[0])" if moved else "")
            if len(arrays) == 4 and config.add_cross_attention:
                check_cached_attention(arrays[2:], f"{name} cross-attention", batch, layer.crossattention.self,
                                       int(arrays[2].shape[2]), "encoder positions")
            moved.append(arrays)
        return tuple(moved), int(moved[0][0].shape[2])


def check_cached_attention(arrays, name, batch, attention, length, what, hint=""):
    """The cached (key, value) of one attention: each (batch, heads, length, head_dim)."""
    expected = (batch, attention.num_attention_heads, length, attention.attention_head_size)
    for part, array in zip(("key", "value"), arrays):
        if tuple(array.shape) != expected:
            raise InputError(f"{name} {part} has shape {tuple(array.shape)}; expected (batch={batch}, "
                             f"heads={expected[1]}, {what}={length}, head_dim={expected[3]}){hint}")
