"""NLTK's PorterStemmer in its default mode (NLTK_EXTENSIONS), as rouge_score's tokenizer uses it.

Ported rule by rule from src/rewards/porter.ts (itself a port of nltk/stem/porter.py), so this package
needs neither nltk nor rouge_score. Input is what rouge_score passes: ASCII [a-z0-9] tokens.
"""

from __future__ import annotations

from typing import Callable, Optional

_IRREGULAR_FORMS = {
    "sky": ["sky", "skies"],
    "die": ["dying"],
    "lie": ["lying"],
    "tie": ["tying"],
    "news": ["news"],
    "inning": ["innings", "inning"],
    "outing": ["outings", "outing"],
    "canning": ["cannings", "canning"],
    "howe": ["howe"],
    "proceed": ["proceed"],
    "exceed": ["exceed"],
    "succeed": ["succeed"],
}
_POOL = {form: paradigm for paradigm, forms in _IRREGULAR_FORMS.items() for form in forms}
_VOWELS = frozenset("aeiou")

Condition = Optional[Callable[[str], bool]]


def _is_consonant(word: str, i: int) -> bool:
    if word[i] in _VOWELS:
        return False
    if word[i] == "y":
        return True if i == 0 else not _is_consonant(word, i - 1)
    return True


def _measure(stem: str) -> int:
    """m in [C](VC){m}[V]: the number of 'vc' pairs in the consonant/vowel pattern."""
    pattern = "".join("c" if _is_consonant(stem, i) else "v" for i in range(len(stem)))
    return pattern.count("vc")


def _positive_measure(stem: str) -> bool:
    return _measure(stem) > 0


def _contains_vowel(stem: str) -> bool:
    return any(not _is_consonant(stem, i) for i in range(len(stem)))


def _ends_double_consonant(word: str) -> bool:
    return len(word) >= 2 and word[-1] == word[-2] and _is_consonant(word, len(word) - 1)


def _ends_cvc(word: str) -> bool:
    n = len(word)
    return (
        n >= 3
        and _is_consonant(word, n - 3)
        and not _is_consonant(word, n - 2)
        and _is_consonant(word, n - 1)
        and word[n - 1] not in "wxy"
    ) or (n == 2 and not _is_consonant(word, 0) and _is_consonant(word, 1))


def _replace_suffix(word: str, suffix: str, replacement: str) -> str:
    return word + replacement if suffix == "" else word[: len(word) - len(suffix)] + replacement


def _apply_rule_list(word: str, rules: list[tuple[str, str, Condition]]) -> str:
    """Applies the first rule whose suffix matches; if its condition fails, no further rule is tried."""
    for suffix, replacement, condition in rules:
        if suffix == "*d" and _ends_double_consonant(word):
            stem = word[:-2]
            return stem + replacement if condition is None or condition(stem) else word
        if word.endswith(suffix):
            stem = _replace_suffix(word, suffix, "")
            return stem + replacement if condition is None or condition(stem) else word
    return word


def _step1a(word: str) -> str:
    if word.endswith("ies") and len(word) == 4:
        return _replace_suffix(word, "ies", "ie")
    return _apply_rule_list(word, [("sses", "ss", None), ("ies", "i", None), ("ss", "ss", None), ("s", "", None)])


def _step1b(word: str) -> str:
    if word.endswith("ied"):
        return _replace_suffix(word, "ied", "ie" if len(word) == 4 else "i")
    if word.endswith("eed"):
        stem = _replace_suffix(word, "eed", "")
        return stem + "ee" if _measure(stem) > 0 else word
    intermediate = None
    for suffix in ("ed", "ing"):
        if word.endswith(suffix):
            candidate = _replace_suffix(word, suffix, "")
            if _contains_vowel(candidate):
                intermediate = candidate
                break
    if intermediate is None:
        return word
    last = intermediate[-1]
    return _apply_rule_list(
        intermediate,
        [
            ("at", "ate", None),
            ("bl", "ble", None),
            ("iz", "ize", None),
            ("*d", last, lambda _stem: last not in "lsz"),
            ("", "e", lambda stem: _measure(stem) == 1 and _ends_cvc(stem)),
        ],
    )


def _step1c(word: str) -> str:
    return _apply_rule_list(word, [("y", "i", lambda stem: len(stem) > 1 and _is_consonant(stem, len(stem) - 1))])


def _step2(word: str) -> str:
    if word.endswith("alli") and _positive_measure(_replace_suffix(word, "alli", "")):
        return _step2(_replace_suffix(word, "alli", "al"))
    m = _positive_measure
    rules: list[tuple[str, str, Condition]] = [
        ("ational", "ate", m),
        ("tional", "tion", m),
        ("enci", "ence", m),
        ("anci", "ance", m),
        ("izer", "ize", m),
        ("bli", "ble", m),
        ("alli", "al", m),
        ("entli", "ent", m),
        ("eli", "e", m),
        ("ousli", "ous", m),
        ("ization", "ize", m),
        ("ation", "ate", m),
        ("ator", "ate", m),
        ("alism", "al", m),
        ("iveness", "ive", m),
        ("fulness", "ful", m),
        ("ousness", "ous", m),
        ("aliti", "al", m),
        ("iviti", "ive", m),
        ("biliti", "ble", m),
        ("fulli", "ful", m),
        ("logi", "log", lambda _stem: _positive_measure(word[:-3])),
    ]
    return _apply_rule_list(word, rules)


def _step3(word: str) -> str:
    m = _positive_measure
    return _apply_rule_list(
        word,
        [("icate", "ic", m), ("ative", "", m), ("alize", "al", m), ("iciti", "ic", m), ("ical", "ic", m), ("ful", "", m), ("ness", "", m)],
    )


def _step4(word: str) -> str:
    def gt1(stem: str) -> bool:
        return _measure(stem) > 1

    suffixes = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent"]
    rules: list[tuple[str, str, Condition]] = [(s, "", gt1) for s in suffixes]
    rules.append(("ion", "", lambda stem: _measure(stem) > 1 and (stem.endswith("s") or stem.endswith("t"))))
    rules += [(s, "", gt1) for s in ["ou", "ism", "ate", "iti", "ous", "ive", "ize"]]
    return _apply_rule_list(word, rules)


def _step5a(word: str) -> str:
    if word.endswith("e"):
        stem = word[:-1]
        if _measure(stem) > 1:
            return stem
        if _measure(stem) == 1 and not _ends_cvc(stem):
            return stem
    return word


def _step5b(word: str) -> str:
    return _apply_rule_list(word, [("ll", "l", lambda _stem: _measure(word[:-1]) > 1)])


def porter_stem(word: str) -> str:
    """NLTK PorterStemmer().stem(word) (mode NLTK_EXTENSIONS, to_lowercase=True)."""
    lowered = word.lower()
    if word in _POOL:
        return _POOL.get(lowered, lowered)
    if len(word) <= 2:
        return lowered
    stem = lowered
    for step in (_step1a, _step1b, _step1c, _step2, _step3, _step4, _step5a, _step5b):
        stem = step(stem)
    return stem
