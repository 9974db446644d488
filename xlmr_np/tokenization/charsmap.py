"""Lookups in SentencePiece's ``precompiled_charsmap`` (its compiled normalisation table).

The charsmap maps short UTF-8 strings ("ﬁ", "e + combining acute", full-width "Ａ", a no-break
space, ...) to their normalised replacement ("fi", "é", "A", " ", ...). It is stored as::

    uint32 little-endian   size in bytes of the trie that follows
    uint32[size / 4]       a darts-clone double-array trie over the UTF-8 bytes of the keys
    bytes                  the replacement strings, each NUL-terminated; a key's value in the
                           trie is the byte offset of its replacement in this pool

A double-array trie stores the tree of keys in one array of 32-bit *units*. From a node at
position ``p``, the child for byte ``b`` sits at ``p ^ offset(unit) ^ b`` and is genuine only if
that unit's ``label`` equals ``b``. A unit with its ``has_leaf`` bit set marks the end of a key;
the key's value sits in the unit reached by one more ``^ offset``.

Only the offsets code (which reproduces the fast tokenizer's alignment rules) needs this module:
token ids always come from SentencePiece itself.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np


def _has_leaf(unit: int) -> bool:
    return bool((unit >> 8) & 1)


def _value(unit: int) -> int:
    return unit & 0x7FFFFFFF


def _label(unit: int) -> int:
    return unit & 0x800000FF


def _offset(unit: int) -> int:
    return (unit >> 10) << ((unit & 0x200) >> 6)


class CharsMap:
    """The replacement table of a SentencePiece normaliser.

    Two lookups mirror the two normalisers whose behaviour we reproduce:

    * :meth:`longest_match` – SentencePiece (and so the slow tokenizer): at a position, the
      longest key that is a prefix of the remaining text;
    * :meth:`shortest_match` – the ``tokenizers`` library's ``Precompiled`` normaliser (the fast
      tokenizer): the *first* (shortest) key that is a prefix of a grapheme cluster.
    """

    def __init__(self, precompiled: bytes):
        self._units: List[int] = []
        self._pool = b""
        if precompiled:
            if len(precompiled) < 4:
                raise ValueError("precompiled_charsmap is shorter than its 4-byte header")
            trie_size = int.from_bytes(precompiled[:4], "little")
            if trie_size % 4 or 4 + trie_size > len(precompiled):
                raise ValueError(f"precompiled_charsmap has a bad trie size {trie_size}")
            self._units = np.frombuffer(precompiled, dtype="<u4", count=trie_size // 4, offset=4).tolist()
            self._pool = precompiled[4 + trie_size :]
        self._after_char: Dict[str, Tuple[Optional[int], Optional[str]]] = {}

    def __bool__(self) -> bool:
        return bool(self._units)

    def _replacement(self, pool_offset: int) -> str:
        end = self._pool.index(b"\0", pool_offset)
        return self._pool[pool_offset:end].decode("utf-8")

    def _step_char(self, node: int, char: str) -> Tuple[Optional[int], Optional[str]]:
        """Follow one character; return (node after it or None, replacement if a key ends there)."""
        units = self._units
        replacement = None
        leaf = False
        for byte in char.encode("utf-8"):
            node ^= byte
            if node >= len(units):
                return None, None
            unit = units[node]
            if _label(unit) != byte:
                return None, None
            node ^= _offset(unit)
            leaf = _has_leaf(unit)
        if leaf:
            replacement = self._replacement(_value(units[node]))
        return node, replacement

    def _start(self, char: str) -> Tuple[Optional[int], Optional[str]]:
        cached = self._after_char.get(char)
        if cached is None:
            if not self._units:
                cached = (None, None)
            else:
                cached = self._step_char(_offset(self._units[0]), char)
            self._after_char[char] = cached
        return cached

    def matches(self, text: str, start: int = 0, max_chars: Optional[int] = None):
        """Yield ``(n_chars, replacement)`` for every key that is a prefix of ``text[start:]``, shortest first."""
        node, replacement = self._start(text[start]) if start < len(text) else (None, None)
        position = start + 1
        stop = len(text) if max_chars is None else min(len(text), start + max_chars)
        while True:
            if replacement is not None:
                yield position - start, replacement
            if node is None or position >= stop:
                return
            node, replacement = self._step_char(node, text[position])
            position += 1

    def longest_match(self, text: str, start: int) -> Optional[Tuple[int, str]]:
        """SentencePiece's rule: the longest key starting at ``start``, as ``(n_chars, replacement)``."""
        best = None
        for match in self.matches(text, start):
            best = match
        return best

    def shortest_match(self, chunk: str) -> Optional[str]:
        """The ``tokenizers`` rule: replacement of the shortest key that is a prefix of ``chunk``."""
        for _, replacement in self.matches(chunk, 0):
            return replacement
        return None

    def char_replacement(self, char: str) -> Optional[str]:
        """Replacement of a single character, or ``None`` when it is left unchanged."""
        return self._start(char)[1]
