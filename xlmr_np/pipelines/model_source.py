"""Where a pipeline's model comes from: a local directory, a Hub id, or the built-in default.

``--model`` / ``model=`` takes a local checkpoint directory; otherwise, when it looks like a Hub
id (``org/name``), the checkpoint files are downloaded with ``huggingface_hub`` (an optional
dependency) into its usual cache. Without either argument the small model that ships inside
the package is used (docs/default-model.md).
"""

from __future__ import annotations

import os
import re

from ..errors import CheckpointError

DEFAULT_MODEL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "default_model")
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
HUB_FILES = ["config.json", "*.safetensors", "model.safetensors.index.json", "sentencepiece.bpe.model",
             "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "modules.json",
             "sentence_bert_config.json", "1_Pooling/config.json"]


def resolve_model(model: str | None) -> str:
    """A local directory holding the checkpoint named by ``model`` (None: the default model)."""
    if model is None:
        return DEFAULT_MODEL
    model = os.fspath(model)
    if os.path.isdir(model):
        return model
    if os.path.exists(model) or not HUB_ID.match(model):
        raise CheckpointError(f"model {model!r} is not a checkpoint directory")
    try:
        import huggingface_hub  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise CheckpointError(f"{model!r} is not a local directory; to download it from the Hugging Face "
                              "Hub install huggingface_hub (pip install huggingface_hub)") from None
    try:
        return huggingface_hub.snapshot_download(repo_id=model, allow_patterns=HUB_FILES)
    except Exception as error:  # offline, unknown repository, ...: one clear line
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"could not download {model!r} from the Hugging Face Hub "
                              f"(offline, or no such model?): {first_line}") from None


def has_tokenizer(directory: str) -> bool:
    return any(os.path.isfile(os.path.join(directory, name))
               for name in ("sentencepiece.bpe.model", "tokenizer.json"))
