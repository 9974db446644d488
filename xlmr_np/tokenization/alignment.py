"""Text that remembers, for every character, which span of the original text it came from.

Normalisation rewrites text: "ﬁ" becomes "fi", "e" + combining acute becomes "é", runs of
spaces shrink, and a "▁" is put in front. To report a token's position in the *original*
string, every normalised character carries a span ``(start, end)`` of original character
positions, and each rewrite updates the spans.

The update rule is the one of the ``tokenizers`` library (``NormalizedString.transform``), so
that offsets equal the fast tokenizer's. A rewrite is a list of *edits* ``(char, change)``, one
per output character, read left to right against the characters being replaced:

* ``change == 0``  the character replaces the next input character and takes its span;
* ``change == -n`` the same, and the ``n`` input characters after it are dropped (their spans
  are lost, not merged);
* ``change == +1`` the character is inserted; it copies the span of the input character just
  before the current position (or ``(origin, origin)`` at the very start).

``initial_offset`` input characters are skipped before the first edit.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

Span = Tuple[int, int]
Edit = Tuple[str, int]


class AlignedText:
    """A normalised string plus the original span of each of its characters."""

    __slots__ = ("chars", "spans", "origin")

    def __init__(self, chars: List[str], spans: List[Span], origin: int = 0):
        self.chars = chars
        self.spans = spans
        self.origin = origin

    @classmethod
    def from_original(cls, text: str, start: int = 0) -> "AlignedText":
        """Unmodified text whose first character sits at ``start`` in the original string."""
        end = start + len(text)
        return cls(list(text), list(zip(range(start, end), range(start + 1, end + 1))), start)

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def __len__(self) -> int:
        return len(self.chars)

    def rewrite(self, edits: Sequence[Edit], initial_offset: int = 0, start: int = 0, end: Optional[int] = None) -> None:
        """Replace ``chars[start:end]`` following ``edits`` (see the module docstring)."""
        end = len(self.chars) if end is None else end
        old_spans = self.spans
        consumed = start + initial_offset
        new_chars: List[str] = []
        new_spans: List[Span] = []
        for char, change in edits:
            if change > 0:
                span = old_spans[consumed - 1] if consumed >= 1 else (self.origin, self.origin)
            else:
                span = old_spans[consumed]
                consumed += 1 - change
            new_chars.append(char)
            new_spans.append(span)
        self.chars[start:end] = new_chars
        self.spans[start:end] = new_spans


def append_replacement(edits: List[Edit], old_length: int, replacement: str) -> None:
    """Add the edits that replace ``old_length`` characters by ``replacement``.

    Mirrors the ``tokenizers`` ``Precompiled`` normaliser: each new character replaces one old
    character; surplus new characters are insertions; surplus old characters are dropped by the
    last new character — or, when the replacement is empty, by the edit *before* it (which may
    belong to an earlier character). When there is no earlier edit at all, nothing records the
    drop, so the following characters take the spans of the ones before them: a quirk of the
    fast tokenizer that its offsets show and that we therefore reproduce.
    """
    difference = len(replacement) - old_length
    edits.extend((char, 0) for char in replacement)
    if difference > 0:
        for index in range(len(edits) - difference, len(edits)):
            edits[index] = (edits[index][0], 1)
    elif difference < 0 and edits:
        char, change = edits[-1]
        edits[-1] = (char, change + difference)
