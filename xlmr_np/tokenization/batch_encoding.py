"""``BatchEncoding``: the dictionary a tokenizer call returns, with attribute access.

It behaves like transformers' ``BatchEncoding`` for everyday use: ``enc["input_ids"]``,
``enc.input_ids``, ``enc.keys()``, ``dict(enc)``, ``enc.sequence_ids(i)``. Values are Python
lists, or NumPy arrays with ``return_tensors="np"``.
"""

from __future__ import annotations

from collections import UserDict
from typing import Any, List, Optional

import numpy as np

from ..errors import InputError


class BatchEncoding(UserDict):
    """Tokenizer output: ``input_ids``, ``attention_mask`` and whatever else was asked for."""

    def __init__(self, data: Optional[dict] = None, sequence_ids: Optional[List[List[Optional[int]]]] = None):
        super().__init__(data or {})
        # Which input sequence (0 or 1, None for special and padding tokens) each token belongs to.
        self.__dict__["_sequence_ids"] = sequence_ids

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(f"BatchEncoding has no attribute or key {name!r}") from None

    def __getstate__(self):
        return {"data": self.data, "sequence_ids": self._sequence_ids}

    def __setstate__(self, state):
        self.__dict__["data"] = state["data"]
        self.__dict__["_sequence_ids"] = state["sequence_ids"]

    @property
    def is_fast(self) -> bool:
        """False: there is no ``tokenizers`` Encoding behind this object."""
        return False

    def sequence_ids(self, batch_index: int = 0) -> List[Optional[int]]:
        """For each token of row ``batch_index``: 0 (first text), 1 (second text) or None (special/padding).

        Question-answering code uses this to find the context tokens, as with the fast tokenizer.
        """
        rows = self._sequence_ids
        if rows is None:
            raise InputError("sequence_ids() is only available on the output of a tokenizer call")
        if not -len(rows) <= batch_index < len(rows):
            raise InputError(f"batch_index={batch_index} is out of range for {len(rows)} rows")
        return list(rows[batch_index])

    def convert_to_numpy(self) -> "BatchEncoding":
        """Turn every value into a NumPy array (in place); rows must all have the same length."""
        for key, value in self.data.items():
            if isinstance(value, np.ndarray):
                continue
            lengths = {len(row) for row in value} if value and isinstance(value[0], list) else None
            if lengths is not None and len(lengths) > 1:
                raise InputError(
                    f"return_tensors='np' needs rows of one length but {key!r} has lengths {sorted(lengths)}; "
                    "pass padding=True or padding='max_length'"
                )
            dtype = np.int64
            self.data[key] = np.asarray(value, dtype=dtype)
        return self
