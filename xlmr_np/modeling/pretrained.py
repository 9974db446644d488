"""What every model class shares: initialisation, loading, saving, head pruning, backend moves.

``from_pretrained`` and ``save_pretrained`` follow transformers' contract: a directory with
``config.json`` and ``model.safetensors`` (or shards), written so that transformers loads ours
and we load theirs. Tutorial 07 goes through the checkpoint keys.
"""

from __future__ import annotations

import copy
import json
import os
import warnings

from ..backend import (backend_of, default_rng, empty_parameter, get_xp, is_array, namespace, random_normal,
                       to_backend)
from ..checkpoint.loading import (WEIGHTS_INDEX_NAME, WEIGHTS_NAME, checkpoint_files, load_state_dict,
                                  read_tensors, state_dict_for_saving)
from ..checkpoint.mapped_pages import release_pages
from ..checkpoint.safetensors_io import save_file
from ..configuration import XLMRobertaConfig
from ..errors import CheckpointError, ConfigError, InputError
from ..fast.threads import for_each
from ..nn import Embedding, LayerNorm, Linear, Module, matmul_layout
from .validation import is_int

DTYPES = ("float32", "float64", "float16")


def check_dtype(dtype) -> str:
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or str(dtype)
    if name not in DTYPES:
        raise ValueError(f"dtype {dtype!r} is not supported for computation; choose one of {', '.join(DTYPES)}")
    return name


def parse_size(size) -> int:
    """``"5GB"``, ``"200MB"``, ``"10KiB"`` or an int -> bytes (at least 1)."""
    text = str(size).strip().upper()
    units = {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "KB": 10**3, "MB": 10**6, "GB": 10**9, "B": 1}
    unit = next((unit for unit in units if text.endswith(unit)), "")  # "" : a plain number of bytes
    try:
        number = size if is_int(size) else int(float(text[: len(text) - len(unit)]) * units.get(unit, 1))
    except (ValueError, OverflowError):
        number = None
    if number is None or number < 1:
        raise InputError(f"max_shard_size={size!r} is not a size of at least 1 byte; pass bytes as an int "
                         f"or a string such as '5GB', '200MB' or '10KiB'")
    return number


class XLMRobertaPreTrainedModel(Module):
    """Base of XLMRobertaModel and the task models."""

    config_class = XLMRobertaConfig
    base_model_prefix = "roberta"
    # Parameters a checkpoint may lack (new heads); they are initialised and named in a warning.
    optional_prefixes: tuple = ()
    # Checkpoint keys that duplicate a tied parameter (transformers may or may not write them).
    tied_checkpoint_keys: tuple = ()
    # {parameter key: other checkpoint key holding the same tensor}, used when the first is absent.
    checkpoint_aliases: dict = {}

    def __init__(self, config: XLMRobertaConfig):
        if not isinstance(config, XLMRobertaConfig):
            raise ConfigError(f"expected an XLMRobertaConfig, got {type(config).__name__}")
        self.config = config
        self.dtype = "float32"

    def post_init(self, seed=0, initialise=True):
        """Initialise all weights (seeded) and apply the heads the config records as pruned."""
        if initialise:
            self.init_weights(default_rng(seed))
        if self.config.pruned_heads:
            self._prune_heads(self.config.pruned_heads)
        if initialise:  # else the checkpoint's tensors replace these, and ``to`` lays those out
            self.lay_out_linear_weights()

    # -- initialisation, as the reference's _init_weights -----------------------------------------

    def init_module(self, module, rng):
        std = self.config.initializer_range
        if isinstance(module, Linear):
            module.weight = random_normal(rng, module.weight.shape, std, "float32", "numpy")
            if module.bias is not None:
                module.bias = empty_parameter(module.bias.shape)
        elif isinstance(module, Embedding):
            module.weight = random_normal(rng, module.weight.shape, std, "float32", "numpy")
            if module.padding_idx is not None:
                module.weight[module.padding_idx] = 0.0
        elif isinstance(module, LayerNorm):
            module.weight = empty_parameter(module.weight.shape) + 1.0
            module.bias = empty_parameter(module.bias.shape)

    def init_weights(self, rng, prefixes=None):
        """Initialise every module (or those under the dotted ``prefixes``) in declaration order."""
        for path, module in self.named_modules():
            if prefixes is None or any((path + ".").startswith(prefix) for prefix in prefixes):
                self.init_module(module, rng)
        self.tie_weights()

    def tie_weights(self):
        """Point tied parameters at the same array (the masked-LM decoder does)."""

    # -- properties ---------------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """Where the parameters live (``to`` moves them all together): read off the word embeddings,
        which every model has, rather than by walking the module tree (called per input check)."""
        base = getattr(self, self.base_model_prefix, self)
        return backend_of(base.embeddings.word_embeddings.weight)

    @property
    def xp(self):
        return get_xp(self.backend)

    def num_parameters(self) -> int:
        return sum(int(value.size) for value in self.parameters())

    def to(self, backend_name: str, dtype=None):
        """Move all parameters to a backend (``"numpy"``/``"cupy"``), optionally to another dtype.
        On ``"numpy"``, Linear weights are then laid out for the BLAS (``lay_out_linear_weights``)."""
        if dtype is not None:
            self.dtype = check_dtype(dtype)
        super().to(backend_name, dtype=self.dtype)
        self.tie_weights()
        self.lay_out_linear_weights()
        return self

    def lay_out_linear_weights(self):
        """On the CPU, store every Linear weight in Fortran order (``nn.matmul_layout``), except
        one that is an embedding's array (the tied masked-LM decoder: lookups want rows).

        A weight that is a view of the checkpoint's memory map is copied, and its file pages are
        released (``release_pages``), so the process does not hold the same weights twice. The
        copies run on the fast path's threads: 0.25-0.3 s for the base model on 2 cores."""
        if self.backend != "numpy":
            return
        embeddings = {id(module.weight) for _, module in self.named_modules() if isinstance(module, Embedding)}
        linears = [module for _, module in self.named_modules()
                   if isinstance(module, Linear) and id(module.weight) not in embeddings
                   and not module.weight.flags.f_contiguous]

        def lay_out(linear):
            mapped, linear.weight = linear.weight, matmul_layout(linear.weight)
            release_pages(mapped)

        for_each(lay_out, linears)

    # -- token embeddings, as the reference's resize_token_embeddings ------------------------------

    def get_input_embeddings(self):
        """The word embeddings, an ``nn.Embedding`` of (vocab_size, hidden_size): the encoder's
        ``embeddings.word_embeddings`` (a task model asks its ``roberta``)."""
        base = getattr(self, self.base_model_prefix, self)
        if base is self:
            raise NotImplementedError(f"{type(self).__name__} has no input embeddings")
        return base.get_input_embeddings()

    def set_input_embeddings(self, value):
        """Replace the word embeddings by ``value`` (see ``XLMRobertaModel.set_input_embeddings``)."""
        base = getattr(self, self.base_model_prefix, self)
        if base is self:
            raise NotImplementedError(f"{type(self).__name__} has no input embeddings")
        base.set_input_embeddings(value)

    def get_output_embeddings(self):
        """The Linear from hidden states to the vocabulary: None, except for the LM heads."""
        return None

    def _check_replacement(self, module, kind, method: str):
        """What ``set_input_embeddings`` / ``set_output_embeddings`` accept: an ``nn.Embedding`` /
        ``nn.Linear`` whose weight is (config.vocab_size, hidden_size) (and bias, if any,
        (vocab_size,)) on the model's backend and dtype. The reference takes any module of any
        size; here the rows must equal config.vocab_size, since ids are checked against it before
        the lookup (CuPy would wrap an id past the table's end and read another row)."""
        config = self.config
        if not isinstance(module, kind):
            raise InputError(f"{method} needs an xlmr_np.nn.{kind.__name__}, got {type(module).__name__}")
        expected = {"weight": (config.vocab_size, config.hidden_size), "bias": (config.vocab_size,)}
        for name, shape in expected.items():
            value = getattr(module, name, None)
            if value is None and name == "bias":
                continue
            if not is_array(value) or tuple(value.shape) != shape:
                found = tuple(value.shape) if is_array(value) else type(value).__name__
                raise InputError(f"{method}: the {kind.__name__}'s {name} is {found}, expected {shape} "
                                 f"(vocab_size={config.vocab_size}, hidden_size={config.hidden_size}); "
                                 f"resize_token_embeddings changes the vocabulary size")
            if backend_of(value) != self.backend or value.dtype.name != self.dtype:
                raise InputError(f"{method}: the {kind.__name__}'s {name} is {value.dtype.name} on "
                                 f"{backend_of(value)!r}, the model is {self.dtype} on {self.backend!r}; "
                                 f"move it first (module.to({self.backend!r}, {self.dtype!r}))")

    def resize_token_embeddings(self, new_num_tokens=None, pad_to_multiple_of=None, *, seed: int = 0):
        """Give the word embeddings ``new_num_tokens`` rows; return the (new) ``nn.Embedding``.

        As the reference: growing keeps every row and appends new ones drawn from
        normal(0, config.initializer_range); shrinking cuts rows from the end.
        ``pad_to_multiple_of`` rounds the size up to a multiple of it (of the current size when
        ``new_num_tokens`` is None). ``config.vocab_size`` (and ``self.vocab_size``) follow, and
        ``tie_weights`` runs: a tied LM decoder then uses the new matrix and its output bias is
        padded with zeros or cut. With ``tie_word_embeddings=False`` the decoder is resized on its
        own (new rows normal, new bias entries zero). Both None: nothing changes, and the current
        embeddings are returned. The new module has no ``padding_idx``, as the reference's.

        Differences: the new rows come from NumPy's generator seeded with ``seed`` (torch's RNG
        can't be matched; the values follow the same distribution); NumPy integers are accepted for
        ``pad_to_multiple_of``. A size the config can't hold is refused with an ``InputError``
        before anything changes, where the reference makes a model it can't load again: at most
        ``pad_token_id`` rows (no padding row), or more than the config's size limits.
        """
        if new_num_tokens is None and pad_to_multiple_of is None:
            return self.get_input_embeddings()
        num_tokens = self._checked_num_tokens(new_num_tokens, pad_to_multiple_of)
        model_embeds = self._resize_token_embeddings(num_tokens, default_rng(seed))
        self.vocab_size = self.config.vocab_size
        self.tie_weights()
        return model_embeds

    def _checked_num_tokens(self, new_num_tokens, pad_to_multiple_of) -> int:
        """The number of rows ``resize_token_embeddings`` makes, with its arguments checked."""
        if new_num_tokens is not None and (not is_int(new_num_tokens) or new_num_tokens < 0):
            raise InputError(f"resize_token_embeddings: new_num_tokens={new_num_tokens!r} must be a "
                             f"non-negative integer or None")
        if pad_to_multiple_of is not None and (not is_int(pad_to_multiple_of) or pad_to_multiple_of < 1):
            raise InputError(f"resize_token_embeddings: pad_to_multiple_of={pad_to_multiple_of!r} must be "
                             f"a positive integer or None")
        current = int(self.get_input_embeddings().weight.shape[0])
        num_tokens = current if new_num_tokens is None else int(new_num_tokens)
        if pad_to_multiple_of is not None:
            multiple = int(pad_to_multiple_of)
            num_tokens = -(-num_tokens // multiple) * multiple  # rounded up
        candidate = copy.copy(self.config)
        candidate.vocab_size = num_tokens
        try:
            candidate.validate()  # a padding row, the size limits
        except ConfigError as error:
            raise InputError(f"resize_token_embeddings(new_num_tokens={new_num_tokens!r}, "
                             f"pad_to_multiple_of={pad_to_multiple_of!r}) would give vocab_size={num_tokens}, "
                             f"which the config refuses: {error}") from None
        return num_tokens

    def _resize_token_embeddings(self, num_tokens: int, rng):
        """Resize the word embeddings (and an untied LM decoder) to ``num_tokens`` rows."""
        old_embeddings = self.get_input_embeddings()
        new_embeddings = self._get_resized_embeddings(old_embeddings, num_tokens, rng)
        old_lm_head = self.get_output_embeddings()
        new_lm_head = None
        if old_lm_head is not None and not self.config.tie_word_embeddings:
            new_lm_head = self._get_resized_lm_head(old_lm_head, num_tokens, rng)
        self.config.vocab_size = num_tokens  # the setters check the new modules against it
        self.set_input_embeddings(new_embeddings)
        if new_lm_head is not None:
            self.set_output_embeddings(new_lm_head)
        if new_embeddings is not old_embeddings and self.backend == "numpy":
            release_pages(old_embeddings.weight)  # a checkpoint's mapped rows, now copied
        return self.get_input_embeddings()

    def _get_resized_embeddings(self, old_embeddings, num_tokens: int, rng):
        """A new ``nn.Embedding`` of ``num_tokens`` rows: the old rows that fit, then new rows
        initialised as ``init_module`` does (normal(0, initializer_range)); the old module when the
        size is unchanged."""
        old_num_tokens, dim = old_embeddings.weight.shape
        if num_tokens == old_num_tokens:
            return old_embeddings
        added = Embedding(max(num_tokens - old_num_tokens, 0), dim)  # no padding_idx: all rows drawn
        self.init_module(added, rng)
        new_embeddings = Embedding(num_tokens, dim)  # no padding_idx, as the reference's new module
        new_embeddings.weight = resized_rows(old_embeddings.weight, num_tokens, added.weight)
        return new_embeddings

    def _get_resized_lm_head(self, old_lm_head, num_tokens: int, rng):
        """A new decoder ``nn.Linear`` (hidden -> ``num_tokens``): the old rows (and bias entries)
        that fit, then new rows initialised as ``init_module`` does (normal weights, zero bias);
        the old module when the size is unchanged."""
        old_num_tokens, dim = old_lm_head.weight.shape
        if num_tokens == old_num_tokens:
            return old_lm_head
        has_bias = old_lm_head.bias is not None
        added = Linear(dim, max(num_tokens - old_num_tokens, 0), bias=has_bias)
        self.init_module(added, rng)
        new_lm_head = Linear(dim, num_tokens, bias=has_bias)
        new_lm_head.weight = resized_rows(old_lm_head.weight, num_tokens, added.weight)
        if has_bias:
            new_lm_head.bias = resized_rows(old_lm_head.bias, num_tokens, added.bias)
        return new_lm_head

    # -- head pruning -------------------------------------------------------------------------------

    def prune_heads(self, heads_to_prune: dict):
        """Remove attention heads, ``{layer: [head, ...]}``, and record them in the config."""
        config = self.config
        for layer, heads in heads_to_prune.items():  # all checked before anything changes
            if not is_int(layer) or not 0 <= layer < config.num_hidden_layers:
                raise InputError(f"prune_heads: layer {layer!r} does not exist; the model has layers "
                                 f"0..{config.num_hidden_layers - 1}")
            if not isinstance(heads, (list, tuple, set)):
                raise InputError(f"prune_heads: layer {layer} needs a list of head indices, got {heads!r}")
            bad = [head for head in heads if not is_int(head) or not 0 <= head < config.num_attention_heads]
            if bad:
                raise InputError(f"prune_heads: layer {layer} has no head {bad[0]!r}; heads are "
                                 f"0..{config.num_attention_heads - 1}")
        heads_to_prune = {int(layer): sorted({int(head) for head in heads})  # NumPy ints -> JSON-ready ints
                          for layer, heads in heads_to_prune.items()}
        for layer, heads in heads_to_prune.items():
            union = set(self.config.pruned_heads.get(layer, [])) | set(heads)
            self.config.pruned_heads[layer] = sorted(union)
        self._prune_heads(heads_to_prune)
        self.lay_out_linear_weights()  # the kept rows and columns are new arrays

    def _prune_heads(self, heads_to_prune: dict):
        base = getattr(self, self.base_model_prefix, self)
        for layer, heads in heads_to_prune.items():
            if not 0 <= int(layer) < len(base.encoder.layer):
                raise ValueError(f"cannot prune heads of layer {layer}: the model has "
                                 f"{len(base.encoder.layer)} layers")
            base.encoder.layer[int(layer)].attention.prune_heads(heads)

    # -- loading and saving -------------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, path, *, config: XLMRobertaConfig | None = None, backend: str = "numpy",
                        dtype="float32", seed: int = 0, **config_overrides):
        """Load ``config.json`` and safetensors weights from a directory (or a single file).

        Tensors are memory-mapped and used in place when they are already float32 (on the CPU,
        Linear weights are then copied into Fortran order: ``lay_out_linear_weights``); float16
        and bfloat16 ones are converted. Head weights a checkpoint lacks (e.g. a base checkpoint
        loaded into a classifier) are initialised with ``seed`` and named in a warning.
        """
        path = os.fspath(path)
        dtype = check_dtype(dtype)
        if config is None:
            config_dir = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
            config = cls.config_class.from_pretrained(config_dir, **config_overrides)
        model = cls(config, _initialise=False)
        files = checkpoint_files(path)
        missing = load_state_dict(model, read_tensors(files, dtype), source=path)
        if missing:
            warnings.warn(f"{cls.__name__}: tensors not in {path} were newly initialised: "
                          f"{', '.join(missing)}", stacklevel=2)
            model.init_weights(default_rng(seed), prefixes=_module_prefixes(missing))
        model.tie_weights()
        model.dtype = dtype
        return model.to(backend, dtype=dtype)

    def save_pretrained(self, directory, max_shard_size=None):
        """Write ``config.json`` and ``model.safetensors`` (or shards of at most ``max_shard_size``)."""
        directory = os.fspath(directory)
        if os.path.isfile(directory):
            raise CheckpointError(f"{directory!r} is a file; save_pretrained needs a directory")
        limit = None if max_shard_size is None else parse_size(max_shard_size)  # checked before writing
        os.makedirs(directory, exist_ok=True)
        self.config.extra["architectures"] = [type(self).__name__]
        self.config.save_pretrained(directory)
        tensors = state_dict_for_saving(self)
        for key in self.tied_checkpoint_keys:
            tensors.pop(key, None)
        metadata = {"format": "pt"}
        if limit is None:
            save_file(tensors, os.path.join(directory, WEIGHTS_NAME), metadata)
            return
        shards, current, size = [], {}, 0
        for key in tensors:
            nbytes = tensors[key].nbytes
            if current and size + nbytes > limit:
                shards.append(current)
                current, size = {}, 0
            current[key] = tensors[key]
            size += nbytes
        shards.append(current)
        weight_map = {}
        for number, shard in enumerate(shards, start=1):
            name = f"model-{number:05d}-of-{len(shards):05d}.safetensors"
            save_file(shard, os.path.join(directory, name), metadata)
            weight_map.update({key: name for key in shard})
        index = {"metadata": {"total_size": sum(t.nbytes for t in tensors.values())},
                 "weight_map": dict(sorted(weight_map.items()))}
        with open(os.path.join(directory, WEIGHTS_INDEX_NAME), "w", encoding="utf-8") as handle:
            json.dump(index, handle, indent=2)


def resized_rows(array, rows: int, new_rows=None):  # (old_rows, ...) -> (rows, ...)
    """A new array of ``array``'s first ``rows`` rows, followed by ``new_rows`` (a host array, moved
    to ``array``'s backend and dtype) or by zeros where it grows."""
    xp = namespace(array)
    kept = array[:rows]  # (min(old_rows, rows), ...)
    added = (rows - kept.shape[0],) + tuple(array.shape[1:])
    if new_rows is None:
        new_rows = xp.zeros(added, dtype=array.dtype)
    else:
        new_rows = to_backend(new_rows, backend_of(array), dtype=array.dtype)  # (rows - kept, ...)
    return xp.concatenate([kept, new_rows], axis=0)  # (rows, ...)


def _module_prefixes(keys):
    """Dotted module paths owning the given parameter keys (``a.b.weight`` -> ``a.b.``)."""
    return sorted({key.rsplit(".", 1)[0] + "." for key in keys})
