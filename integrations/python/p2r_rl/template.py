"""The process-aware output template '<observation>…</observation> <think>…</think><answer>…</answer>':
segment spans, the perception boundary, strict format flags and Video-R1's answer extraction.

A port of src/rewards/template.ts (the TypeScript is the spec of this package). Python's own `re`
and str methods are the semantics the TypeScript emulates, so the regexes are written as Video-R1
writes its own (DOTALL, \\s = str.isspace()). Offsets are code-point indices into the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

OBSERVATION_OPEN, OBSERVATION_CLOSE = "<observation>", "</observation>"
TAGS = {
    "observation": ("<observation>", "</observation>"),
    "think": ("<think>", "</think>"),
    "answer": ("<answer>", "</answer>"),
}

# Video-R1 extract_answer: re.search(r'<answer>\s*(.*?)\s*</answer>', text, re.DOTALL).
ANSWER_RE = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.DOTALL)
# R_form,P: re.match(r'\s*<observation>.*?</observation>', DOTALL), plus exactly one '<observation>'.
PERCEPTION_FORMAT_RE = re.compile(r"\s*<observation>.*?</observation>", re.DOTALL)
# R_form,R: the remainder after the first '</observation>' must fully match this.
REASONING_FORMAT_RE = re.compile(r"\s*<think>.*?</think>\s*<answer>.*?</answer>\s*", re.DOTALL)
# The stricter single full-sequence regex, its result copied to both processes.
FULL_FORMAT_RE = re.compile(
    r"\s*<observation>.*?</observation>\s*<think>.*?</think>\s*<answer>.*?</answer>\s*", re.DOTALL
)


@dataclass(frozen=True)
class Segment:
    """One tagged segment: [outer_start, outer_end) spans the tags, `text` is the inner text."""

    outer_start: int
    outer_end: int
    text: str


@dataclass(frozen=True)
class ParsedCompletion:
    observation: Optional[Segment]
    think: Optional[Segment]
    answer: Optional[Segment]
    # End (exclusive) of the first '</observation>' anywhere, or None without one.
    perception_end: Optional[int]
    extracted_answer: str
    format_perception: bool
    format_reasoning: bool
    format_full: bool


def extract_answer(text: str) -> str:
    """Video-R1's extract_answer: the first <answer>…</answer> anywhere, stripped; '' when none."""
    m = ANSWER_RE.search(text)
    return m.group(1).strip() if m else ""


def _find_segment(text: str, tag: str, start_from: int) -> Optional[Segment]:
    """The first <tag> at or after `start_from`, closed by the first following </tag>."""
    open_tag, close_tag = TAGS[tag]
    start = text.find(open_tag, start_from)
    if start == -1:
        return None
    close_at = text.find(close_tag, start + len(open_tag))
    if close_at == -1:
        return None
    return Segment(start, close_at + len(close_tag), text[start + len(open_tag) : close_at])


def perception_end(text: str) -> Optional[int]:
    """End of the first '</observation>' (tokens starting before it are perception tokens), or None."""
    at = text.find(OBSERVATION_CLOSE)
    return None if at == -1 else at + len(OBSERVATION_CLOSE)


def parse_completion(text: str) -> ParsedCompletion:
    """Segments as template.ts parseCompletion finds them, plus the three format flags."""
    observation = _find_segment(text, "observation", 0)
    think = _find_segment(text, "think", observation.outer_end if observation else 0)
    after = think.outer_end if think else (observation.outer_end if observation else 0)
    answer = _find_segment(text, "answer", after)
    end = perception_end(text)
    format_perception = PERCEPTION_FORMAT_RE.match(text) is not None and text.count(OBSERVATION_OPEN) == 1
    remainder = text if end is None else text[end:]
    return ParsedCompletion(
        observation=observation,
        think=think,
        answer=answer,
        perception_end=end,
        extracted_answer=extract_answer(text),
        format_perception=format_perception,
        format_reasoning=REASONING_FORMAT_RE.fullmatch(remainder) is not None,
        format_full=FULL_FORMAT_RE.fullmatch(text) is not None,
    )
