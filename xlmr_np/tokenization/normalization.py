"""The normalisation steps of both XLM-R tokenizers, replayed on :class:`AlignedText`.

Token *ids* always come from SentencePiece. These functions only rebuild the normalised text
character by character so that each token can be traced back to the original string.

Two pipelines are reproduced:

**Fast tokenizer** (``tokenizers``, as converted by transformers 4.39)::

    Precompiled(charsmap)          per grapheme cluster; shortest matching key
    Strip(right)                   drop trailing Unicode whitespace
    Replace(" {2,}" -> "▁")        a run of spaces becomes one "▁" (span of its last space)
    Metaspace(prepend "▁")         remaining spaces become "▁"; "▁" put in front unless present

**SentencePiece** (the slow tokenizer)::

    charsmap                       at each position, longest matching key
    whitespace                     leading/trailing spaces dropped, runs collapsed,
                                   spaces become "▁", one "▁" put in front (dummy prefix)

Both produce the same text for almost every input; where they do not, the fast tokenizer
would also produce different *tokens*, and the SentencePiece replay is used (see offsets.py).
"""

from __future__ import annotations

from typing import List, Optional, Set

from .alignment import AlignedText, Edit, append_replacement
from .charsmap import CharsMap
from .graphemes import grapheme_clusters, is_single_char_cluster

METASPACE = "\u2581"  # "▁", SentencePiece's visible space

# Unicode White_Space (what Rust's char::is_whitespace tests), used by the fast tokenizer.
RUST_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

_GRAPHEME_BYTE_LIMIT = 6  # the fast normaliser only looks whole clusters up below this size


def precompiled_like_fast(text: AlignedText, charsmap: CharsMap, plain_chars: Optional[Set[str]] = None) -> None:
    """The fast tokenizer's ``Precompiled`` normaliser.

    A grapheme cluster shorter than 6 UTF-8 bytes is looked up as a whole; if any key is a
    prefix of it, the *whole* cluster becomes that (shortest) key's replacement — which can
    drop a trailing combining mark. Otherwise each character is looked up on its own.

    ``plain_chars`` is an optional cache, owned by the caller, of characters known to be left
    unchanged and to form clusters on their own; text made only of them needs no work.
    """
    if not charsmap or not text.chars:
        return
    distinct = set(text.chars)
    if plain_chars is not None and distinct <= plain_chars:
        return
    if all(map(is_single_char_cluster, distinct)):
        # Shortcut for most text: every character is a cluster of its own, so only
        # single-character replacements can apply — and often none does.
        unchanged = {char for char in distinct if charsmap.char_replacement(char) is None}
        if plain_chars is not None:
            plain_chars |= unchanged
        if len(unchanged) == len(distinct):
            return
        clusters = text.chars
    else:
        clusters = grapheme_clusters(text.text)
    edits: List[Edit] = []
    modified = False
    for cluster in clusters:
        if len(cluster) > 1 and len(cluster.encode("utf-8")) < _GRAPHEME_BYTE_LIMIT:
            replacement = charsmap.shortest_match(cluster)
            if replacement is not None:
                append_replacement(edits, len(cluster), replacement)
                modified = True
                continue
        for char in cluster:
            replacement = charsmap.char_replacement(char)
            if replacement is None:
                edits.append((char, 0))
            else:
                append_replacement(edits, 1, replacement)
                modified = True
    if modified:
        text.rewrite(edits)


def precompiled_like_sentencepiece(text: AlignedText, charsmap: CharsMap) -> None:
    """SentencePiece's normaliser: the longest key at each position, no cluster boundaries.

    Spans follow the same replacement rule as the fast tokenizer, except that a dropped
    character at the very start is skipped cleanly instead of shifting later spans.
    """
    if not charsmap or not text.chars:
        return
    source = text.text
    edits: List[Edit] = []
    skipped_at_start = 0
    position = 0
    while position < len(source):
        match = charsmap.longest_match(source, position)
        if match is None:
            edits.append((source[position], 0))
            position += 1
            continue
        length, replacement = match
        if not replacement and not edits:
            skipped_at_start += length
        else:
            append_replacement(edits, length, replacement)
        position += length
    text.rewrite(edits, initial_offset=skipped_at_start)


def strip_right(text: AlignedText) -> None:
    """Drop trailing whitespace (Unicode White_Space), as the fast normaliser's ``Strip``."""
    end = len(text.chars)
    while end and text.chars[end - 1] in RUST_WHITESPACE:
        end -= 1
    del text.chars[end:]
    del text.spans[end:]


def collapse_space_runs(text: AlignedText) -> None:
    """Replace every run of two or more spaces by one "▁" carrying the span of the run's last space."""
    chars, spans = text.chars, text.spans
    if "  " not in "".join(chars):
        return
    out_chars: List[str] = []
    out_spans = []
    index = 0
    while index < len(chars):
        if chars[index] == " ":
            run_end = index
            while run_end < len(chars) and chars[run_end] == " ":
                run_end += 1
            if run_end - index >= 2:
                out_chars.append(METASPACE)
                out_spans.append(spans[run_end - 1])
                index = run_end
                continue
        out_chars.append(chars[index])
        out_spans.append(spans[index])
        index += 1
    text.chars, text.spans = out_chars, out_spans


def metaspace(text: AlignedText, add_prefix: bool) -> None:
    """Spaces become "▁"; a "▁" with the first character's span goes in front if missing."""
    text.chars = [METASPACE if char == " " else char for char in text.chars]
    if add_prefix and text.chars and text.chars[0] != METASPACE:
        text.chars.insert(0, METASPACE)
        text.spans.insert(0, text.spans[0])


def fast_pipeline(text: AlignedText, charsmap: CharsMap, add_prefix: bool, plain_chars: Optional[Set[str]] = None) -> None:
    """All normalisation steps of the fast tokenizer, in order (``plain_chars``: see ``precompiled_like_fast``)."""
    precompiled_like_fast(text, charsmap, plain_chars)
    strip_right(text)
    collapse_space_runs(text)
    metaspace(text, add_prefix)


def sentencepiece_pipeline(text: AlignedText, charsmap: CharsMap, add_dummy_prefix: bool) -> None:
    """All normalisation steps of SentencePiece (``remove_extra_whitespaces`` on), in order.

    Only the ASCII space counts as whitespace here: the charsmap has already turned tabs,
    newlines, no-break and ideographic spaces, ... into it. Spans follow the fast tokenizer's
    conventions: a run of spaces is represented by its last space, and the dummy prefix takes
    the span of the leading space run if there was one, else of the first character.
    """
    precompiled_like_sentencepiece(text, charsmap)
    chars, spans = text.chars, text.spans
    end = len(chars)
    while end and chars[end - 1] == " ":
        end -= 1
    out_chars: List[str] = []
    out_spans = []
    leading_space_span = None
    index = 0
    while index < end:
        if chars[index] != " ":
            out_chars.append(chars[index])
            out_spans.append(spans[index])
            index += 1
            continue
        run_end = index
        while chars[run_end] == " ":
            run_end += 1
        if out_chars:
            out_chars.append(METASPACE)
            out_spans.append(spans[run_end - 1])
        else:
            leading_space_span = spans[run_end - 1]
        index = run_end
    while out_chars and out_chars[-1] == METASPACE:  # SentencePiece also drops trailing literal "▁"
        out_chars.pop()
        out_spans.pop()
    if out_chars and add_dummy_prefix:
        out_chars.insert(0, METASPACE)
        out_spans.insert(0, leading_space_span if leading_space_span is not None else out_spans[0])
    text.chars, text.spans = out_chars, out_spans
