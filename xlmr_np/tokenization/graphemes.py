"""Extended grapheme clusters (Unicode UAX #29), as far as the offsets code needs them.

The fast tokenizer's ``Precompiled`` normaliser walks the text one *grapheme cluster* at a
time (a base character plus the combining marks, joiners, ... that attach to it). Its result,
and so the character offsets it reports, depend on where clusters start and end.

Python's ``unicodedata`` has no Grapheme_Cluster_Break property, so the classes are derived here
from general categories plus the short lists of exceptions UAX #29 names. This is exact for the
rules that can change a normalisation result — carriage return + line feed, controls, combining
marks (Extend), spacing marks and prepended marks — and follows the standard rules for Hangul
syllables, regional-indicator flags and emoji joiner sequences.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Iterator, List

OTHER, CR, LF, CONTROL, EXTEND, ZWJ, REGIONAL, PREPEND, SPACING_MARK, L, V, T, LV, LVT = range(14)

# Spacing combining marks (Mc) that UAX #29 counts as Extend (Grapheme_Extend = Yes).
_MC_THAT_EXTEND = {
    0x09BE, 0x09D7, 0x0B3E, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5, 0x0CD6, 0x0D3E, 0x0D57,
    0x0DCF, 0x0DDF, 0x1B35, 0x302E, 0x302F, 0x1133E, 0x11357, 0x114B0, 0x114BD, 0x115AF,
    0x11930, 0x1D165, 0x1D16E, 0x1D16F, 0x1D170, 0x1D171, 0x1D172,
}
# Mc characters that are *not* SpacingMark (they fall back to Other).
_MC_NOT_SPACING = {
    0x102B, 0x102C, 0x1038, 0x1062, 0x1063, 0x1064, 0x1067, 0x1068, 0x1069, 0x106A, 0x106B,
    0x106C, 0x106D, 0x1083, 0x1087, 0x1088, 0x1089, 0x108A, 0x108B, 0x108C, 0x108F, 0x109A,
    0x109B, 0x109C, 0x1A61, 0x1A63, 0x1A64, 0xAA7B, 0xAA7D, 0x11720, 0x11721,
}
# Other characters with Grapheme_Extend = Yes outside Mn/Me.
_OTHER_EXTEND = {0x200C, 0xFF9E, 0xFF9F} | set(range(0x1F3FB, 0x1F400)) | set(range(0xE0020, 0xE0080))
_PREPEND = (
    set(range(0x0600, 0x0606)) | {0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x0D4E, 0x110BD, 0x110CD,
    0x111C2, 0x111C3, 0x1193F, 0x11941, 0x11A3A, 0x11D46} | set(range(0x11A84, 0x11A8A))
)
_SPACING_LETTERS = {0x0E33, 0x0EB3}  # Thai / Lao "am": letters that attach like spacing marks

_HANGUL_BASE, _HANGUL_COUNT, _HANGUL_T_COUNT = 0xAC00, 11172, 28


@lru_cache(maxsize=4096)
def break_class(char: str) -> int:
    """The Grapheme_Cluster_Break class of one character."""
    code = ord(char)
    if char == "\r":
        return CR
    if char == "\n":
        return LF
    if code == 0x200D:
        return ZWJ
    if code in _PREPEND:
        return PREPEND
    if code in _OTHER_EXTEND:
        return EXTEND
    if 0x1F1E6 <= code <= 0x1F1FF:
        return REGIONAL
    if 0x1100 <= code <= 0x115F or 0xA960 <= code <= 0xA97C:
        return L
    if 0x1160 <= code <= 0x11A7 or 0xD7B0 <= code <= 0xD7C6:
        return V
    if 0x11A8 <= code <= 0x11FF or 0xD7CB <= code <= 0xD7FB:
        return T
    if _HANGUL_BASE <= code < _HANGUL_BASE + _HANGUL_COUNT:
        return LV if (code - _HANGUL_BASE) % _HANGUL_T_COUNT == 0 else LVT
    if code in _SPACING_LETTERS:
        return SPACING_MARK
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        return EXTEND
    if category == "Mc":
        if code in _MC_THAT_EXTEND:
            return EXTEND
        return OTHER if code in _MC_NOT_SPACING else SPACING_MARK
    if category in ("Cc", "Zl", "Zp", "Cf", "Cs"):
        return CONTROL
    return OTHER


@lru_cache(maxsize=4096)
def is_single_char_cluster(char: str) -> bool:
    """True if ``char`` never joins a neighbour into a longer cluster, whatever the neighbours are.

    Letters, digits, punctuation, symbols, Hangul syllables, line feeds and controls qualify;
    combining marks, joiners, spacing marks, prepended marks, jamo, regional indicators and
    carriage returns do not. A text made only of such characters is one cluster per character.
    """
    return break_class(char) in (OTHER, CONTROL, LF, LV, LVT)


@lru_cache(maxsize=4096)
def _is_extended_pictographic(char: str) -> bool:
    """Approximates Extended_Pictographic: the emoji and pictograph blocks plus © ® ‼ ⁉ ™ ℹ."""
    code = ord(char)
    return (
        code in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
        or 0x2194 <= code <= 0x21AA
        or 0x231A <= code <= 0x23FF
        or 0x25AA <= code <= 0x27BF
        or 0x2934 <= code <= 0x2935
        or 0x2B05 <= code <= 0x2B55
        or 0x1F000 <= code <= 0x1FAFF and not 0x1F1E6 <= code <= 0x1F1FF and not 0x1F3FB <= code <= 0x1F3FF
        or 0x1FC00 <= code <= 0x1FFFD
    )


def _joins(previous: int, current: int) -> bool:
    """Whether there is *no* boundary between two adjacent characters (rules GB3 to GB9b)."""
    if previous == CR and current == LF:
        return True  # GB3
    if previous in (CR, LF, CONTROL) or current in (CR, LF, CONTROL):
        return False  # GB4, GB5
    if previous == L and current in (L, V, LV, LVT):
        return True  # GB6
    if previous in (LV, V) and current in (V, T):
        return True  # GB7
    if previous in (LVT, T) and current == T:
        return True  # GB8
    if current in (EXTEND, ZWJ, SPACING_MARK):
        return True  # GB9, GB9a
    if previous == PREPEND:
        return True  # GB9b
    return False


def grapheme_clusters(text: str) -> Iterator[str]:
    """Split ``text`` into extended grapheme clusters (GB1 .. GB999 of UAX #29)."""
    if not text:
        return
    start = 0
    previous = break_class(text[0])
    regional_run = 1 if previous == REGIONAL else 0
    emoji_state = 1 if _is_extended_pictographic(text[0]) else 0  # 1: pictograph (+ Extend)*, 2: ... + ZWJ
    for index in range(1, len(text)):
        char = text[index]
        current = break_class(char)
        joined = _joins(previous, current)
        if not joined and previous == ZWJ and emoji_state == 2 and _is_extended_pictographic(char):
            joined = True  # GB11: pictograph Extend* ZWJ x pictograph
        if not joined and previous == REGIONAL and current == REGIONAL and regional_run % 2 == 1:
            joined = True  # GB12, GB13: flags are pairs of regional indicators
        if not joined:
            yield text[start:index]
            start = index
        # Track the state GB11 and GB12/13 need.
        if current == REGIONAL:
            regional_run = regional_run + 1 if previous == REGIONAL else 1
        else:
            regional_run = 0
        if _is_extended_pictographic(char):
            emoji_state = 1
        elif current == EXTEND and emoji_state == 1:
            emoji_state = 1
        elif current == ZWJ and emoji_state == 1:
            emoji_state = 2
        else:
            emoji_state = 0
        previous = current
    yield text[start:]


def grapheme_list(text: str) -> List[str]:
    """``list(grapheme_clusters(text))``."""
    return list(grapheme_clusters(text))
