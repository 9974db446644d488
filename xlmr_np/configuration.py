"""``XLMRobertaConfig``: the hyperparameters, read from and written to HF ``config.json``.

The defaults are the reference class's (vocab 30522, 512 positions, eps 1e-12); real XLM-R
checkpoints use other values (250002, 514, 1e-5), so always load a checkpoint's own config.json.
Keys this class does not know are kept and written back, so a round trip loses nothing.
"""

from __future__ import annotations

import copy
import json
import math
import os

from .activations import ACT2FN
from .errors import ConfigError

CONFIG_NAME = "config.json"
POSITION_EMBEDDING_TYPES = ("absolute", "relative_key", "relative_key_query")
PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")

# Refuse sizes that would allocate absurd amounts of memory before anything is allocated.
MAX_SIZE = 2**26
MAX_LABELS = 2**20
# The model's float32 parameters may not exceed this (xlm-roberta-large is 2.2 GB, XLM-R XXL 43 GB).
MAX_PARAMETER_BYTES = 64 * 2**30
MAX_CONFIG_BYTES = 64 * 2**20

# name -> default, in the order transformers writes them.
DEFAULTS = {
    "vocab_size": 30522,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "position_embedding_type": "absolute",
    "use_cache": True,
    "classifier_dropout": None,
    "is_decoder": False,
    "add_cross_attention": False,
    "chunk_size_feed_forward": 0,
    "problem_type": None,
    "tie_word_embeddings": True,
    "output_attentions": False,
    "output_hidden_states": False,
}

INT_FIELDS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
              "intermediate_size", "max_position_embeddings", "type_vocab_size",
              "chunk_size_feed_forward")
FLOAT_FIELDS = ("hidden_dropout_prob", "attention_probs_dropout_prob", "initializer_range",
                "layer_norm_eps")
BOOL_FIELDS = ("use_cache", "is_decoder", "add_cross_attention", "tie_word_embeddings",
               "output_attentions", "output_hidden_states")


class XLMRobertaConfig:
    """Configuration of an XLM-RoBERTa model; field names and meanings are the reference's.

    ``XLMRobertaConfig(hidden_size=64, num_attention_heads=4, ...)`` or
    ``XLMRobertaConfig.from_pretrained("checkpoint_dir")``. Invalid values raise ``ConfigError``.
    """

    model_type = "xlm-roberta"

    def __init__(self, **kwargs):
        for name, default in DEFAULTS.items():
            setattr(self, name, kwargs.pop(name, copy.deepcopy(default)))
        id2label = kwargs.pop("id2label", None)
        label2id = kwargs.pop("label2id", None)
        num_labels = kwargs.pop("num_labels", None)
        if num_labels is not None and (isinstance(num_labels, bool) or not isinstance(num_labels, int)
                                       or not 0 <= num_labels <= MAX_LABELS):
            raise ConfigError(f"config field 'num_labels' must be an integer in [0, {MAX_LABELS}], "
                              f"got {num_labels!r}")
        if id2label is None:
            id2label = {i: f"LABEL_{i}" for i in range(2 if num_labels is None else num_labels)}
        self.id2label = _int_keyed(id2label, "id2label")
        if num_labels is not None and num_labels != len(self.id2label):
            self.id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
        if sorted(self.id2label) != list(range(len(self.id2label))):  # label i names classifier output i
            raise ConfigError(f"config field 'id2label' must have the keys 0..{len(self.id2label) - 1}, one per "
                              f"classifier output, got {sorted(self.id2label)[:10]}")
        if label2id is not None and not isinstance(label2id, dict):
            raise ConfigError(f"config field 'label2id' must be an object, got {label2id!r}")
        self.label2id = (dict(label2id) if label2id is not None
                         else {value: key for key, value in self.id2label.items()
                               if isinstance(value, (str, int, float, bool, type(None)))})
        pruned = _int_keyed(kwargs.pop("pruned_heads", {}) or {}, "pruned_heads")
        for layer, heads in pruned.items():
            if not isinstance(heads, list) or not all(isinstance(h, int) and not isinstance(h, bool)
                                                      for h in heads):
                raise ConfigError(f"pruned_heads entry {layer}: {heads!r} is not a list of head indices")
        self.pruned_heads = {layer: sorted(set(heads)) for layer, heads in pruned.items()}
        # Everything else (architectures, torch_dtype, transformers_version, custom keys) is kept.
        self.extra = kwargs
        self.validate()

    # -- derived values ------------------------------------------------------------------------

    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, value: int):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LABELS:
            raise ConfigError(f"num_labels must be an integer in [0, {MAX_LABELS}], got {value!r}")
        self.id2label = {i: f"LABEL_{i}" for i in range(value)}
        self.label2id = {label: i for i, label in self.id2label.items()}

    @property
    def attention_head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    # -- validation ----------------------------------------------------------------------------

    def validate(self):
        """Check types and ranges; raise ``ConfigError`` naming the field and the bad value."""
        for name in INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"config field {name!r} must be an integer, got {value!r}")
            low = 0 if name == "chunk_size_feed_forward" else 1
            if not low <= value <= MAX_SIZE:
                raise ConfigError(f"config field {name!r}={value} is outside [{low}, {MAX_SIZE}]")
        for name in FLOAT_FIELDS + ("classifier_dropout",):
            value = getattr(self, name)
            if value is None and name == "classifier_dropout":
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"config field {name!r} must be a finite number, got {value!r}")
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"config field {name!r}={getattr(self, name)} must be in [0, 1)")
        if self.classifier_dropout is not None and not 0.0 <= self.classifier_dropout < 1.0:
            raise ConfigError(f"config field 'classifier_dropout'={self.classifier_dropout} must be in [0, 1)")
        if self.layer_norm_eps <= 0:
            raise ConfigError(f"config field 'layer_norm_eps'={self.layer_norm_eps} must be positive")
        for name in BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"config field {name!r} must be true or false, got {getattr(self, name)!r}")
        for name in ("hidden_act", "position_embedding_type", "problem_type"):
            value = getattr(self, name)
            if not isinstance(value, str) and not (value is None and name == "problem_type"):
                raise ConfigError(f"config field {name!r} must be a string, got {value!r}")
        self.check_parameter_count()
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(
                f"hidden_size={self.hidden_size} is not a multiple of "
                f"num_attention_heads={self.num_attention_heads}"
            )
        if self.hidden_act not in ACT2FN:
            raise ConfigError(
                f"unknown hidden_act {self.hidden_act!r}; known activations: {', '.join(sorted(ACT2FN))}"
            )
        if self.position_embedding_type not in POSITION_EMBEDDING_TYPES:
            raise ConfigError(
                f"unknown position_embedding_type {self.position_embedding_type!r}; "
                f"known: {', '.join(POSITION_EMBEDDING_TYPES)}"
            )
        if self.problem_type is not None and self.problem_type not in PROBLEM_TYPES:
            raise ConfigError(f"unknown problem_type {self.problem_type!r}; known: {', '.join(PROBLEM_TYPES)}")
        if self.add_cross_attention and not self.is_decoder:
            raise ConfigError("add_cross_attention=True needs is_decoder=True (cross-attention is a decoder feature)")
        pad = self.pad_token_id
        if pad is None:  # positions count from it, for every position_embedding_type
            raise ConfigError("pad_token_id is null; XLM-R needs it: position ids start at pad_token_id + 1")
        if isinstance(pad, bool) or not isinstance(pad, int) or not 0 <= pad < self.vocab_size:
            raise ConfigError(f"pad_token_id={pad!r} must be an id in [0, vocab_size={self.vocab_size})")
        if self.position_embedding_type == "absolute" and pad >= self.max_position_embeddings:
            raise ConfigError(
                f"pad_token_id={pad} is the padding row of the position table, which has only "
                f"max_position_embeddings={self.max_position_embeddings} rows"
            )
        for layer, heads in self.pruned_heads.items():
            if not 0 <= layer < self.num_hidden_layers or any(
                    not 0 <= head < self.num_attention_heads for head in heads):
                raise ConfigError(f"pruned_heads entry {layer}: {heads} names a layer or head that does not exist")

    def parameter_estimate(self) -> int:
        """About how many parameters the model (with pooler, cross-attention, an LM head) has."""
        h, inner, positions = self.hidden_size, self.intermediate_size, self.max_position_embeddings
        attention = 4 * h * h + 6 * h
        if self.position_embedding_type != "absolute":
            attention += (2 * positions - 1) * (h // self.num_attention_heads)
        layer = attention * (2 if self.add_cross_attention else 1) + 2 * h * inner + inner + 3 * h
        embeddings = (self.vocab_size + positions + self.type_vocab_size + 2) * h
        heads = h * h + 2 * h + self.vocab_size  # pooler or LM-head transform, LM-head bias
        return embeddings + self.num_hidden_layers * layer + heads

    def check_parameter_count(self):
        """Refuse a config whose float32 parameters would exceed MAX_PARAMETER_BYTES."""
        count = self.parameter_estimate()
        if 4 * count > MAX_PARAMETER_BYTES:
            raise ConfigError(
                f"config describes a model of about {count:.3g} parameters ({4 * count / 2**30:.3g} "
                f"GiB in float32), more than the {MAX_PARAMETER_BYTES // 2**30} GiB limit: "
                f"vocab_size={self.vocab_size}, hidden_size={self.hidden_size}, "
                f"num_hidden_layers={self.num_hidden_layers}, intermediate_size={self.intermediate_size}, "
                f"max_position_embeddings={self.max_position_embeddings}")

    # -- serialisation -------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """All fields as a JSON-ready dict, in the shape transformers writes."""
        out = {name: getattr(self, name) for name in DEFAULTS}
        out["id2label"] = {str(key): value for key, value in self.id2label.items()}
        out["label2id"] = dict(self.label2id)
        out["pruned_heads"] = {str(key): value for key, value in self.pruned_heads.items()}
        out["model_type"] = self.model_type
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, values: dict) -> XLMRobertaConfig:
        values = dict(values)
        model_type = values.pop("model_type", cls.model_type)
        if model_type not in (cls.model_type, "roberta"):
            raise ConfigError(f"config.json has model_type {model_type!r}, expected 'xlm-roberta'")
        return cls(**values)

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def save_pretrained(self, directory: str | os.PathLike):
        if os.path.isfile(directory):
            raise ConfigError(f"{os.fspath(directory)!r} is a file; save_pretrained needs a directory")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, CONFIG_NAME), "w", encoding="utf-8") as handle:
            handle.write(self.to_json_string())

    @classmethod
    def from_json_file(cls, path: str | os.PathLike) -> XLMRobertaConfig:
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > MAX_CONFIG_BYTES:
                    raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES} bytes; not a config")
                text = handle.read(size + 1).decode("utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read config file {path}: {error.strerror or error}") from error
        except UnicodeDecodeError as error:
            raise ConfigError(f"{path} is not UTF-8 text: {error}") from None
        try:
            values = json.loads(text, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{path} is not valid JSON: {error}") from error
        except RecursionError:
            raise ConfigError(f"{path}: JSON is nested too deeply") from None
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"{path} must hold a JSON object, found {type(values).__name__}")
        missing = [name for name in ("vocab_size", "hidden_size", "num_hidden_layers",
                                     "num_attention_heads") if name not in values]
        if missing:
            raise ConfigError(f"{path} misses required fields: {', '.join(missing)}")
        try:
            return cls.from_dict(values)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None
        except TypeError as error:
            raise ConfigError(f"{path}: {error}") from None

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **overrides) -> XLMRobertaConfig:
        """Read ``path/config.json`` (or ``path`` itself if it is a file); keyword overrides win."""
        path = os.fspath(path)
        file = path if os.path.isfile(path) else os.path.join(path, CONFIG_NAME)
        config = cls.from_json_file(file)
        for name, value in overrides.items():
            setattr(config, name, value)
        if overrides:
            config.validate()
        return config

    def __eq__(self, other):
        return isinstance(other, XLMRobertaConfig) and self.to_dict() == other.to_dict()

    def __repr__(self):
        return f"XLMRobertaConfig {self.to_json_string()}"


def _unique_keys(pairs):
    """``object_pairs_hook`` refusing a key given twice (json.loads would keep the last silently)."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ConfigError(f"key {key!r} appears twice in the same JSON object")
        result[key] = value
    return result


def _int_keyed(mapping, name: str) -> dict:
    """``{"0": ...}`` -> ``{0: ...}`` for id2label and pruned_heads, or ConfigError."""
    if not isinstance(mapping, dict):
        raise ConfigError(f"config field {name!r} must be an object, got {mapping!r}")
    if len(mapping) > MAX_LABELS:
        raise ConfigError(f"config field {name!r} has {len(mapping)} entries, more than {MAX_LABELS}")
    try:
        return {int(key): value for key, value in mapping.items()}
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"config field {name!r} has keys that are not integers: "
                          f"{list(mapping)[:5]!r}") from None
