"""Tokenizers for counting segment lengths and splitting a completion's tokens into perception and
reasoning tokens: whitespace words, UTF-8 bytes, and a byte-level BPE reading a Hugging Face
tokenizer.json (Qwen2.5's, GPT-2's). A port of src/rewards/tokenizers.ts: the same ids and token
counts; offsets are [start, end) code-point indices into the input (the TypeScript's are UTF-16).

Each tokenizer also gives the bytes of a token id (`token_bytes`), which is how the per-token
advantages find the perception boundary from sampled token ids (see advantages.perception_mask_from_ids).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from functools import lru_cache
from typing import Iterable, Optional, Sequence, Union


class TokenizerSpecError(ValueError):
    """A tokenizer spec or tokenizer.json this module cannot read."""

    def __init__(self, message: str, hint: str = "use a Hugging Face tokenizer.json with a ByteLevel BPE model (as Qwen2.5 or GPT-2 ship)"):
        super().__init__(f"{message} ({hint})")
        self.code = "TokenizerSpec"
        self.hint = hint


class Encoding:
    """Token ids with each token's [start, end) code-point span in the encoded text."""

    __slots__ = ("ids", "offsets")

    def __init__(self, ids: list[int], offsets: list[tuple[int, int]]):
        self.ids = ids
        self.offsets = offsets


# JavaScript's \s (what the TypeScript whitespace tokenizer splits on): unlike Python's str.isspace()
# it lacks \x1c-\x1f and \x85, and it adds \ufeff.
JS_WHITESPACE = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Unicode White_Space (what \s means in a tokenizer.json regex, as Oniguruma reads it).
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 0x01000193


def _fnv1a_utf16(s: str) -> int:
    """32-bit FNV-1a over the UTF-16 code units, as the TypeScript hashes a word into an id."""
    h = _FNV_OFFSET
    data = s.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


class WhitespaceTokenizer:
    """One token per maximal run of non-whitespace (JavaScript's \\s); ids are FNV-1a hashes."""

    name = "whitespace"
    _WORD = re.compile(f"[^{JS_WHITESPACE}]+")

    def encode(self, text: str) -> Encoding:
        ids, offsets = [], []
        for m in self._WORD.finditer(text):
            ids.append(_fnv1a_utf16(m.group(0)))
            offsets.append((m.start(), m.end()))
        return Encoding(ids, offsets)

    def count(self, text: str) -> int:
        return sum(1 for _ in self._WORD.finditer(text))

    def token_bytes(self, token_id: int) -> bytes:
        raise TokenizerSpecError("whitespace token ids are hashes and have no bytes", "use bytes or a tokenizer.json for token ids")


def _utf8(cp: int) -> bytes:
    """UTF-8 bytes of one code point; a lone surrogate encodes as U+FFFD, as TextEncoder does."""
    if 0xD800 <= cp <= 0xDFFF:
        cp = 0xFFFD
    return chr(cp).encode("utf-8")


class ByteTokenizer:
    """One token per UTF-8 byte, id = the byte; each byte's offsets are the span of its code point."""

    name = "bytes"

    def encode(self, text: str) -> Encoding:
        ids, offsets = [], []
        for i, ch in enumerate(text):
            for b in _utf8(ord(ch)):
                ids.append(b)
                offsets.append((i, i + 1))
        return Encoding(ids, offsets)

    def count(self, text: str) -> int:
        return sum(len(_utf8(ord(ch))) for ch in text)

    def token_bytes(self, token_id: int) -> bytes:
        return bytes([token_id])


# ---- byte-level BPE ---------------------------------------------------------------------------------


def _bytes_to_unicode() -> list[str]:
    """GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 upwards."""
    bs = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table: list[Optional[str]] = [None] * 256
    for b in bs:
        table[b] = chr(b)
    n = 0
    for b in range(256):
        if table[b] is None:
            table[b] = chr(256 + n)
            n += 1
    return table  # type: ignore[return-value]


BYTE_TO_UNICODE = _bytes_to_unicode()
UNICODE_TO_BYTE = {ch: b for b, ch in enumerate(BYTE_TO_UNICODE)}

QWEN2_PRETOKENIZE_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
GPT2_PRETOKENIZE_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"


def _class_body(codepoints: Iterable[int]) -> str:
    """A character-class body (no brackets) of the given code points, as escaped ranges."""
    out, start, prev = [], None, None
    for cp in codepoints:
        if start is None:
            start = prev = cp
        elif cp == prev + 1:
            prev = cp
        else:
            out.append((start, prev))
            start = prev = cp
    if start is not None:
        out.append((start, prev))

    def esc(cp: int) -> str:
        return f"\\U{cp:08x}"

    return "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in out)


@lru_cache(maxsize=None)
def unicode_property_class(name: str) -> str:
    """Class body for \\p{NAME}: a general category (L, N, Lu, …) or White_Space. Python's `re` has no
    \\p{…}; this enumerates unicodedata once per name (Unicode of this Python, 14.0 for 3.11)."""
    if name in ("White_Space", "Space", "space"):
        return WHITE_SPACE
    if not re.fullmatch(r"[A-Z][a-z]?", name):
        raise TokenizerSpecError(f"unsupported Unicode property \\p{{{name}}}")
    category = unicodedata.category
    return _class_body(cp for cp in range(sys.maxunicode + 1) if category(chr(cp)).startswith(name))


def translate_regex(pattern: str) -> "re.Pattern[str]":
    """A tokenizer.json (Oniguruma) regex as a Python regex: \\p{X} and \\P{X} become classes, \\s and \\S
    become Unicode White_Space; (?i:…) is kept (Python reads scoped flags itself)."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt in "pP" and pattern[i + 2 : i + 3] == "{":
                close = pattern.index("}", i)
                body = unicode_property_class(pattern[i + 3 : close])
                if in_class:
                    if nxt == "P":
                        raise TokenizerSpecError(f"\\P{{…}} inside a character class in {pattern!r}")
                    out.append(body)
                else:
                    out.append(f"[{'^' if nxt == 'P' else ''}{body}]")
                i = close + 1
                continue
            if nxt in "sS":
                if in_class:
                    if nxt == "S":
                        raise TokenizerSpecError(f"\\S inside a character class in {pattern!r}")
                    out.append(WHITE_SPACE)
                else:
                    out.append(f"[{'^' if nxt == 'S' else ''}{WHITE_SPACE}]")
                i += 2
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append("\\]")
                i += 1
            continue
        out.append(ch)
        i += 1
    try:
        return re.compile("".join(out))
    except re.error as e:
        raise TokenizerSpecError(f"regex {pattern!r} does not compile in Python: {e}") from e


_SPLIT_BEHAVIORS = ("Isolated", "Removed", "MergedWithPrevious", "MergedWithNext")


def _split_piece(text: str, piece: tuple[int, int], regex: "re.Pattern[str]", behavior: str) -> list[list[int]]:
    """Splits one [start, end) piece by a regex, keeping match and gap pieces as `behavior` says."""
    start, end = piece
    sub = text[start:end]
    out: list[list[int]] = []
    cursor = 0
    pending: Optional[list[int]] = None  # MergedWithNext: a match waiting for the next gap

    def push_gap(a: int, b: int) -> None:
        nonlocal pending
        if a >= b:
            return
        if pending is not None:
            out.append([pending[0], start + b])
            pending = None
        else:
            out.append([start + a, start + b])

    for m in regex.finditer(sub):
        a, b = m.start(), m.end()
        if a == b:
            continue
        push_gap(cursor, a)
        match = [start + a, start + b]
        if behavior == "Isolated":
            if pending is not None:
                out.append(pending)
            pending = None
            out.append(match)
        elif behavior == "MergedWithPrevious":
            if out and out[-1][1] == match[0]:
                out[-1][1] = match[1]
            else:
                out.append(match)
        elif behavior == "MergedWithNext":
            if pending is not None:
                out.append(pending)
            pending = match
        cursor = b
    push_gap(cursor, len(sub))
    if pending is not None:
        out.append(pending)
    return out


def _is_normalization_boundary(ch: str, form: str) -> bool:
    """A code point that normalization never joins with what precedes it: a safe place to cut."""
    cp = ord(ch)
    if cp < 0x80:
        return True
    if unicodedata.category(ch).startswith("M"):
        return False
    if 0x1100 <= cp <= 0x11FF or 0xA960 <= cp <= 0xA97F or 0xD7B0 <= cp <= 0xD7FF:
        return False
    return unicodedata.normalize(form, ch) == ch


def _normalize_with_offsets(text: str, form: Optional[str]) -> tuple[str, list[int], list[int]]:
    """Normalizes text and maps every code point of the result to the original [start, end) span it
    came from: chunks cut before characters normalization never joins backwards, each normalized on
    its own; a chunk that changes maps all its output to the chunk's whole span."""
    if form is None or unicodedata.normalize(form, text) == text:
        return text, list(range(len(text))), list(range(1, len(text) + 1))
    cuts = [i for i in range(1, len(text)) if _is_normalization_boundary(text[i], form)] + [len(text)]
    normalized, starts, ends, frm = [], [], [], 0
    for to in cuts:
        chunk = text[frm:to]
        out = unicodedata.normalize(form, chunk)
        if out == chunk:
            starts += range(frm, to)
            ends += range(frm + 1, to + 1)
        else:
            starts += [frm] * len(out)
            ends += [to] * len(out)
        normalized.append(out)
        frm = to
    return "".join(normalized), starts, ends


def _as_dict(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise TokenizerSpecError(f"{what} is not an object")
    return value


def _read_normalizer(spec: object) -> Optional[str]:
    if spec is None:
        return None
    n = _as_dict(spec, "normalizer")
    if n.get("type") in ("NFC", "NFD", "NFKC", "NFKD"):
        return n["type"]
    if n.get("type") == "Sequence" and isinstance(n.get("normalizers"), list):
        forms = [f for f in (_read_normalizer(x) for x in n["normalizers"]) if f is not None]
        if len(forms) > 1:
            raise TokenizerSpecError("more than one Unicode normalization in a Sequence")
        return forms[0] if forms else None
    raise TokenizerSpecError(f"unsupported normalizer {n.get('type')!r}")


def _read_pattern(p: object) -> str:
    pattern = _as_dict(p, "Split pattern")
    if isinstance(pattern.get("Regex"), str):
        return pattern["Regex"]
    if isinstance(pattern.get("String"), str):
        return re.escape(pattern["String"])
    raise TokenizerSpecError("Split pattern has neither Regex nor String")


def _read_pre_tokenizer(spec: object) -> list[tuple["re.Pattern[str]", str]]:
    """The pre-tokenizer as split steps; exactly one ByteLevel, last."""
    p = _as_dict(spec, "pre_tokenizer")
    items = p["pretokenizers"] if p.get("type") == "Sequence" and isinstance(p.get("pretokenizers"), list) else [p]
    steps, byte_level = [], False
    for i, item in enumerate(items):
        step = _as_dict(item, "pre_tokenizer step")
        if step.get("type") == "Split":
            if step.get("invert") is True:
                raise TokenizerSpecError("Split with invert = true is not supported")
            behavior = step.get("behavior", "Isolated")
            if behavior not in _SPLIT_BEHAVIORS:
                raise TokenizerSpecError(f"Split behaviour {behavior} is not supported")
            steps.append((translate_regex(_read_pattern(step.get("pattern"))), behavior))
        elif step.get("type") == "ByteLevel":
            if i != len(items) - 1:
                raise TokenizerSpecError("ByteLevel must be the last pre-tokenizer")
            if step.get("add_prefix_space") is True:
                raise TokenizerSpecError("ByteLevel add_prefix_space = true is not supported")
            if step.get("use_regex") is not False:
                steps.append((translate_regex(GPT2_PRETOKENIZE_REGEX), "Isolated"))
            byte_level = True
        else:
            raise TokenizerSpecError(f"unsupported pre-tokenizer {step.get('type')!r}")
    if not byte_level:
        raise TokenizerSpecError("the pre-tokenizer has no ByteLevel step")
    return steps


class BpeTokenizer:
    """Byte-level BPE from a Hugging Face tokenizer.json: added tokens are matched first (leftmost,
    longest) on the raw text; the rest is Unicode-normalized, split by the pre-tokenizer regexes,
    mapped to GPT-2 byte characters and merged by rank. Offsets cover whole code points.
    Not supported: lstrip/rstrip/single_word on added tokens, dropout, unk/byte fallback."""

    def __init__(self, tokenizer_json: Union[str, dict], name: str = "hf-bpe"):
        root = _as_dict(json.loads(tokenizer_json) if isinstance(tokenizer_json, str) else tokenizer_json, "tokenizer.json")
        model = _as_dict(root.get("model"), "model")
        if model.get("type") not in (None, "BPE"):
            raise TokenizerSpecError(f"model type {model.get('type')} is not BPE")
        if model.get("continuing_subword_prefix") or model.get("end_of_word_suffix"):
            raise TokenizerSpecError("continuing_subword_prefix / end_of_word_suffix are not supported")
        self.vocab: dict[str, int] = {}
        for token, token_id in _as_dict(model.get("vocab"), "model.vocab").items():
            if not isinstance(token_id, int) or isinstance(token_id, bool):
                raise TokenizerSpecError(f"vocab id of {token!r} is not a number")
            self.vocab[token] = token_id
        merges = model.get("merges")
        if not isinstance(merges, list):
            raise TokenizerSpecError("model.merges is not a list")
        self.ranks: dict[tuple[str, str], int] = {}
        for rank, merge in enumerate(merges):
            pair = merge.split(" ") if isinstance(merge, str) else merge
            if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(x, str) for x in pair):
                raise TokenizerSpecError(f'merge {rank} is neither "a b" nor [a, b]: {merge!r}')
            if pair[0] + pair[1] not in self.vocab:
                raise TokenizerSpecError(f"merge {rank} makes {pair[0] + pair[1]!r}, which is not in the vocab")
            self.ranks.setdefault((pair[0], pair[1]), rank)
        self.added: list[tuple[int, str]] = []
        for t in root.get("added_tokens") or []:
            t = _as_dict(t, "added token")
            if not isinstance(t.get("id"), int) or not isinstance(t.get("content"), str) or t["content"] == "":
                raise TokenizerSpecError(f"added token {t!r} lacks id or content")
            self.added.append((t["id"], t["content"]))
        self.added.sort(key=lambda t: -len(t[1]))  # longest first (stable, as the TypeScript's sort)
        self.added_by_id = {token_id: content for token_id, content in self.added}
        self.added_first = {content[0] for _, content in self.added}
        self.id_to_token = {token_id: token for token, token_id in self.vocab.items()}
        self.normalizer = _read_normalizer(root.get("normalizer"))
        self.steps = _read_pre_tokenizer(root.get("pre_tokenizer"))
        self.ignore_merges = model.get("ignore_merges") is True
        self.name = name
        self._cache: dict[str, list[str]] = {}

    @classmethod
    def from_file(cls, path: str) -> "BpeTokenizer":
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f), name=path)

    def encode(self, text: str) -> Encoding:
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        frm, i = 0, 0
        while i < len(text):
            hit = None
            if text[i] in self.added_first:
                hit = next(((tid, c) for tid, c in self.added if text.startswith(c, i)), None)
            if hit is not None:
                if i > frm:
                    self._encode_span(text[frm:i], frm, ids, offsets)
                ids.append(hit[0])
                offsets.append((i, i + len(hit[1])))
                i += len(hit[1])
                frm = i
            else:
                i += 1
        if len(text) > frm:
            self._encode_span(text[frm:], frm, ids, offsets)
        return Encoding(ids, offsets)

    def count(self, text: str) -> int:
        return len(self.encode(text).ids)

    def token_bytes(self, token_id: int) -> bytes:
        if token_id in self.added_by_id:
            return self.added_by_id[token_id].encode("utf-8", "surrogatepass")
        token = self.id_to_token.get(token_id)
        if token is None:
            raise TokenizerSpecError(f"unknown token id {token_id}", "decode only ids this tokenizer produced")
        try:
            return bytes(UNICODE_TO_BYTE[ch] for ch in token)
        except KeyError as e:
            raise TokenizerSpecError(f"token {token!r} is not byte-level") from e

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        """Text of token ids (added tokens dropped with skip_special_tokens, as Hugging Face does)."""
        kept = [i for i in ids if not (skip_special_tokens and i in self.added_by_id)]
        return b"".join(self.token_bytes(i) for i in kept).decode("utf-8", "replace")

    def token_to_id(self, token: str) -> Optional[int]:
        return self.vocab.get(token, next((i for i, c in self.added if c == token), None))

    def _split(self, normalized: str) -> list[list[int]]:
        pieces = [[0, len(normalized)]]
        for regex, behavior in self.steps:
            pieces = [q for p in pieces for q in _split_piece(normalized, (p[0], p[1]), regex, behavior)]
        return pieces

    def pre_tokenize(self, text: str) -> list[str]:
        normalized = _normalize_with_offsets(text, self.normalizer)[0]
        return [normalized[a:b] for a, b in self._split(normalized)]

    def _encode_span(self, text: str, base: int, ids: list[int], offsets: list[tuple[int, int]]) -> None:
        normalized, starts, ends = _normalize_with_offsets(text, self.normalizer)
        for piece_start, piece_end in self._split(normalized):
            chars, byte_start, byte_end = [], [], []
            for k in range(piece_start, piece_end):
                for b in _utf8(ord(normalized[k])):
                    chars.append(BYTE_TO_UNICODE[b])
                    byte_start.append(base + starts[k])
                    byte_end.append(base + ends[k])
            at = 0
            for token in self._bpe("".join(chars)):
                token_id = self.vocab.get(token)
                if token_id is None:
                    raise TokenizerSpecError(f"token {token!r} is not in the vocab", "the vocab must hold all 256 byte characters")
                ids.append(token_id)
                offsets.append((byte_start[at], byte_end[at + len(token) - 1]))
                at += len(token)

    def _bpe(self, word: str) -> list[str]:
        """GPT-2's bpe(): repeatedly merge every occurrence of the lowest-ranked adjacent pair."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        symbols = [word] if self.ignore_merges and word in self.vocab else list(word)
        while len(symbols) > 1:
            best, best_at = None, -1
            for i in range(len(symbols) - 1):
                rank = self.ranks.get((symbols[i], symbols[i + 1]))
                if rank is not None and (best is None or rank < best):
                    best, best_at = rank, i
            if best_at == -1:
                break
            a, b = symbols[best_at], symbols[best_at + 1]
            merged, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(symbols[i])
                    i += 1
            symbols = merged
        if len(self._cache) >= 50_000:
            self._cache.clear()
        self._cache[word] = symbols
        return symbols


Tokenizer = Union[WhitespaceTokenizer, ByteTokenizer, BpeTokenizer]
_BY_SPEC: dict[str, Tokenizer] = {}


def tokenizer_from_spec(spec: Union[str, dict]) -> Tokenizer:
    """'whitespace', 'bytes', a path to a tokenizer.json, or a parsed tokenizer.json (dict).
    Paths are loaded once per process (a Qwen tokenizer.json takes a second to read)."""
    if isinstance(spec, dict):
        return BpeTokenizer(spec)
    if spec == "whitespace":
        return WhitespaceTokenizer()
    if spec == "bytes":
        return ByteTokenizer()
    if not isinstance(spec, str) or not spec:
        raise TokenizerSpecError(f"unknown tokenizer spec {spec!r}", "use 'whitespace', 'bytes' or a path to a tokenizer.json")
    if spec not in _BY_SPEC:
        try:
            _BY_SPEC[spec] = BpeTokenizer.from_file(spec)
        except OSError as e:
            raise TokenizerSpecError(f"cannot read {spec!r} as a tokenizer.json: {e}", "use whitespace | bytes | PATH/tokenizer.json") from e
    return _BY_SPEC[spec]
