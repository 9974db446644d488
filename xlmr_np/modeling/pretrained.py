"""What every model class shares: initialisation, loading, saving, head pruning, backend moves.

``from_pretrained`` and ``save_pretrained`` follow transformers' contract: a directory with
``config.json`` and ``model.safetensors`` (or shards), written so that transformers loads ours
and we load theirs. Tutorial 07 goes through the checkpoint keys.
"""

from __future__ import annotations

import json
import os
import warnings

from ..backend import backend_of, default_rng, empty_parameter, get_xp, random_normal
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


def _module_prefixes(keys):
    """Dotted module paths owning the given parameter keys (``a.b.weight`` -> ``a.b.``)."""
    return sorted({key.rsplit(".", 1)[0] + "." for key in keys})
