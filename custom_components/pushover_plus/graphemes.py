"""Where a text may be cut without splitting what a reader sees as one character.

Unicode calls such a character an extended grapheme cluster (UAX #29): an
emoji with its skin tone or its ZWJ partners, a flag's two regional
indicators, a keycap, a letter with its accents, a Hangul syllable written in
jamo, an Indic consonant cluster. Deciding whether a cluster ends between two
code points needs only `unicodedata` and the few ranges below. Where a rule is
simplified, it joins more than Unicode would, so a cut lands earlier, never
inside a cluster.
"""

from typing import Final
import unicodedata

_CR: Final = "\r"
_LF: Final = "\n"
_ZWJ: Final = "\u200d"
# Marks attach to the character before them (GB9, GB9a).
_MARK_CATEGORIES: Final = frozenset({"Mn", "Me", "Mc"})
# Controls and line separators always end a cluster (GB4, GB5).
_CONTROL_CATEGORIES: Final = frozenset({"Cc", "Zl", "Zp"})
# Code points that extend the one before them without being marks.
_EXTEND_RANGES: Final = (
    (0x200C, 0x200D),  # zero-width non-joiner and joiner
    (0xFF9E, 0xFF9F),  # halfwidth katakana sound marks
    (0x1F3FB, 0x1F3FF),  # emoji skin-tone modifiers
    (0xE0020, 0xE007F),  # the tags of subdivision flags
)
# Prepended concatenation marks join the character after them (GB9b).
_PREPEND_RANGES: Final = (
    (0x0600, 0x0605),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x0D4E, 0x0D4E),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x111C2, 0x111C3),
    (0x1193F, 0x1193F),
    (0x11941, 0x11941),
    (0x11A3A, 0x11A3A),
    (0x11A84, 0x11A89),
    (0x11D46, 0x11D46),
    (0x11F02, 0x11F02),
)
# Viramas that join the consonant after them into one cluster (GB9c).
_INDIC_LINKERS: Final = frozenset("\u094d\u09cd\u0acd\u0b4d\u0c4d\u0d4d")
_REGIONAL_INDICATOR_FIRST: Final = 0x1F1E6
_REGIONAL_INDICATOR_LAST: Final = 0x1F1FF
# Hangul jamo that stay together (GB6, GB7, GB8): leading consonants (L),
# vowels (V), trailing consonants (T) and precomposed syllables (LV, LVT).
_HANGUL_JOINS: Final = frozenset(
    {
        ("L", "L"),
        ("L", "V"),
        ("L", "LV"),
        ("L", "LVT"),
        ("LV", "V"),
        ("LV", "T"),
        ("V", "V"),
        ("V", "T"),
        ("LVT", "T"),
        ("T", "T"),
    }
)
_HANGUL_SYLLABLE_FIRST: Final = 0xAC00
_HANGUL_SYLLABLE_LAST: Final = 0xD7A3
# Each L and V pair is 28 syllables in a row: the first without a trailing
# consonant (LV), then one for each of the 27 trailing consonants (LVT).
_HANGUL_TRAILING_COUNT: Final = 28
_HANGUL_JAMO: Final = (
    ("L", ((0x1100, 0x115F), (0xA960, 0xA97C))),
    ("V", ((0x1160, 0x11A7), (0xD7B0, 0xD7C6))),
    ("T", ((0x11A8, 0x11FF), (0xD7CB, 0xD7FB))),
)


def cut_to_length(text: str, limit: int, ending: str) -> str:
    """Shorten text to at most `limit` code points, ending in `ending`.

    The cut falls on the last cluster boundary that leaves room for `ending`.
    A single cluster longer than that cannot be kept whole and is cut.
    """
    end = limit - len(ending)
    cut = end
    while cut > 0 and not is_boundary(text, cut):
        cut -= 1
    return text[: cut or end] + ending


def is_boundary(text: str, index: int) -> bool:
    """Tell whether a cluster ends between text[index - 1] and text[index]."""
    before, after = text[index - 1], text[index]
    if before == _CR and after == _LF:
        return False
    if _is_control(before) or _is_control(after):
        return True
    if _is_regional_indicator(before) and _is_regional_indicator(after):
        # Flags pair regional indicators from the start of their run.
        return _regional_indicators_before(text, index) % 2 == 0
    return not _joined(before, after)


def _joined(before: str, after: str) -> bool:
    return (
        (_hangul_type(before), _hangul_type(after)) in _HANGUL_JOINS
        or _extends(after)
        or _in_ranges(before, _PREPEND_RANGES)
        # After a ZWJ comes the next emoji of a ZWJ sequence (GB11).
        or before == _ZWJ
        or before in _INDIC_LINKERS
    )


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in _CONTROL_CATEGORIES


def _extends(char: str) -> bool:
    return unicodedata.category(char) in _MARK_CATEGORIES or _in_ranges(
        char, _EXTEND_RANGES
    )


def _in_ranges(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    code = ord(char)
    return any(first <= code <= last for first, last in ranges)


def _is_regional_indicator(char: str) -> bool:
    return _REGIONAL_INDICATOR_FIRST <= ord(char) <= _REGIONAL_INDICATOR_LAST


def _regional_indicators_before(text: str, index: int) -> int:
    count = 0
    while count < index and _is_regional_indicator(text[index - count - 1]):
        count += 1
    return count


def _hangul_type(char: str) -> str | None:
    code = ord(char)
    if _HANGUL_SYLLABLE_FIRST <= code <= _HANGUL_SYLLABLE_LAST:
        trailing = (code - _HANGUL_SYLLABLE_FIRST) % _HANGUL_TRAILING_COUNT
        return "LV" if trailing == 0 else "LVT"
    return next(
        (kind for kind, ranges in _HANGUL_JAMO if _in_ranges(char, ranges)), None
    )
