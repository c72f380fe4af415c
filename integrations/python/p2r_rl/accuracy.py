"""Video-R1's accuracy_reward (grpo.py) with its helpers: WER for OCR, ROUGE-1/2/L F1 with the Porter
stemmer (as google-research's rouge_score computes them) for free-form answers, Python float() and
round() for numbers. Every function takes answers ALREADY extracted with template.extract_answer.

Mirrors src/rewards/accuracy.ts, rouge.ts and wer.ts; here Python's own float(), round(), str.strip()
and str.split() are used directly, since they are what Video-R1 runs.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Optional

from .porter import porter_stem

PROBLEM_TYPES = ("multiple choice", "numerical", "OCR", "free-form", "regression")


def normalize_number(s: str) -> Optional[float]:
    """Video-R1's normalize_number: drop every ',', then float(); None where float() raises."""
    try:
        return float(s.replace(",", ""))
    except (ValueError, TypeError):
        return None


# ---- WER -------------------------------------------------------------------------------------------


def word_levenshtein(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word sequences (unit costs)."""
    prev = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        row = [i] + [0] * len(hyp)
        for j in range(1, len(hyp) + 1):
            row[j] = prev[j - 1] if ref[i - 1] == hyp[j - 1] else 1 + min(prev[j], row[j - 1], prev[j - 1])
        prev = row
    return prev[len(hyp)]


def wer(reference: str, hypothesis: str) -> float:
    """distance / max(1, #reference words), over str.split() words; not clamped."""
    ref, hyp = reference.split(), hypothesis.split()
    return word_levenshtein(ref, hyp) / max(1, len(ref))


# ---- ROUGE -----------------------------------------------------------------------------------------

_NON_ALPHANUM = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
_VALID_TOKEN = re.compile(r"^[a-z0-9]+$")


def rouge_tokenize(text: str, use_stemmer: bool) -> list[str]:
    """rouge_score's tokenize: lowercase, non-[a-z0-9] runs to spaces, split, stem tokens longer than 3."""
    tokens = _SPACES.split(_NON_ALPHANUM.sub(" ", text.lower()))
    if use_stemmer:
        tokens = [porter_stem(t) if len(t) > 3 else t for t in tokens]
    return [t for t in tokens if _VALID_TOKEN.match(t)]


def fmeasure(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def rouge_n_f1(target: list[str], prediction: list[str], n: int) -> float:
    t, p = _ngrams(target, n), _ngrams(prediction, n)
    overlap = sum(min(count, p[gram]) for gram, count in t.items())
    precision = overlap / max(sum(p.values()), 1)
    recall = overlap / max(sum(t.values()), 1)
    return fmeasure(precision, recall)


def _lcs_length(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        row = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            row[j] = prev[j - 1] + 1 if a[i - 1] == b[j - 1] else max(prev[j], row[j - 1])
        prev = row
    return prev[len(b)]


def rouge_l_f1(target: list[str], prediction: list[str]) -> float:
    if not target or not prediction:
        return 0.0
    lcs = _lcs_length(target, prediction)
    return fmeasure(lcs / len(prediction), lcs / len(target))


def rouge_f1_mean(reference: str, prediction: str) -> float:
    """Video-R1's compute_rouge_score: mean of ROUGE-1, ROUGE-2 and ROUGE-L F1, stemmer on."""
    t, p = rouge_tokenize(reference, True), rouge_tokenize(prediction, True)
    return (rouge_n_f1(t, p, 1) + rouge_n_f1(t, p, 2) + rouge_l_f1(t, p)) / 3


# ---- the reward -----------------------------------------------------------------------------------


def accuracy_reward(problem_type: str, prediction: str, ground_truth: str) -> float:
    """Video-R1's accuracy reward of one completion; unknown types and any exception score 0."""
    try:
        if problem_type == "multiple choice":
            return 1.0 if prediction.strip() == ground_truth.strip() else 0.0
        if problem_type == "numerical":
            gt_has_decimal = "." in ground_truth or "," in ground_truth
            out_has_decimal = "." in prediction or "," in prediction
            if gt_has_decimal != out_has_decimal:
                return 0.0
            gt, out = normalize_number(ground_truth), normalize_number(prediction)
            if gt is None or out is None:
                return 0.0
            return 1.0 if round(gt, 2) == round(out, 2) else 0.0
        if problem_type == "OCR":
            return max(0.0, min(1.0, 1 - wer(ground_truth, prediction)))
        if problem_type == "free-form":
            return max(0.0, min(1.0, rouge_f1_mean(ground_truth, prediction)))
        if problem_type == "regression":
            gt, out = normalize_number(ground_truth), normalize_number(prediction)
            if gt is None or out is None:
                return 0.0
            rel_diff = (abs(out - gt) + 1e-9) / (abs(gt) + 1e-9)
            return 1 - min(1.0, max(0.0, rel_diff))
        return 0.0
    except Exception:  # Video-R1 catches everything (e.g. OverflowError in round) and scores 0
        return 0.0
