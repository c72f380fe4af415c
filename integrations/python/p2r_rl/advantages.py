"""PA-GRPO group advantages with every advantage mode of the ablations (src/rewards/advantages.ts), the
torch entry point `pa_grpo_advantages`, and per-token advantages: A_P on the response tokens up to
and including '</observation>', A_R on the rest, found from the sampled token ids.

The group statistics are computed in float64 Python arithmetic in the TypeScript's order, so the
numbers equal the scoring CLI's; torch only carries the results.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Any, Hashable, Optional, Sequence

from .config import advantage_mode_of
from .template import OBSERVATION_CLOSE

if TYPE_CHECKING:
    import torch

# torch is imported where tensors are made, so the scoring CLI (pure Python) starts fast.


def _is_tensor(x: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)

# ---- group statistics (pure Python floats) ------------------------------------------------------------


def group_normalize(rewards: Sequence[float], eps: float = 1e-4, unbiased: bool = True, scale: bool = True) -> list[float]:
    """A_i = (r_i − mean) / (std + eps) over one group. A zero-variance group (all equal, G = 1 included)
    gives exactly 0, checked by equality. scale=False: r_i − mean (Dr.GRPO, verl's norm_adv_by_std=False)."""
    g = len(rewards)
    if g == 0:
        return []
    if g == 1 or all(r == rewards[0] for r in rewards):
        return [0.0] * g
    total = 0.0
    for r in rewards:
        total += r
    mean = total / g
    if not scale:
        return [r - mean for r in rewards]
    squares = 0.0
    for r in rewards:
        squares += (r - mean) ** 2
    std = math.sqrt(squares / (g - 1 if unbiased else g))
    return [(r - mean) / (std + eps) for r in rewards]


def process_advantages(
    perception: Sequence[float], reasoning: Sequence[float], mode: str = "separate", eps: float = 1e-4, unbiased: bool = True, scale: bool = True
) -> tuple[list[float], list[float], list[float]]:
    """(A_P, A_R, A_GRPO) of one group from the per-process totals. 'separate': A_P = norm(R_P), A_R =
    norm(R_R); 'sum-advantages': both norm(R_P) + norm(R_R); 'sum-rewards': both norm(R_P + R_R);
    'grpo': both norm(R_R). A_GRPO is always norm(R_R), the process-agnostic baseline."""
    if len(perception) != len(reasoning):
        raise ValueError(f"process_advantages: {len(perception)} perception totals but {len(reasoning)} reasoning totals")
    a_p = group_normalize(perception, eps, unbiased, scale)
    a_r = group_normalize(reasoning, eps, unbiased, scale)
    if mode == "separate":
        return a_p, a_r, list(a_r)
    if mode == "sum-advantages":
        both = [p + r for p, r in zip(a_p, a_r)]
        return both, list(both), list(a_r)
    if mode == "sum-rewards":
        both = group_normalize([p + r for p, r in zip(perception, reasoning)], eps, unbiased, scale)
        return both, list(both), list(a_r)
    if mode == "grpo":
        return list(a_r), list(a_r), list(a_r)
    raise ValueError(f"process_advantages: unknown advantage mode {mode!r}")


def _floats(values: Any) -> list[float]:
    if _is_tensor(values):
        return [float(v) for v in values.detach().reshape(-1).double().cpu().tolist()]
    return [float(v) for v in values]


def _keys(index: Any) -> list[Hashable]:
    """Group keys from a list, a numpy array (verl's uid array) or a tensor."""
    if _is_tensor(index):
        return index.detach().reshape(-1).cpu().tolist()
    return [k.item() if hasattr(k, "item") and not isinstance(k, (str, bytes)) else k for k in index]


def groups_of(index: Any) -> list[list[int]]:
    """Row indices per group, groups in order of first appearance, rows in row order."""
    rows: dict[Hashable, list[int]] = {}
    for i, key in enumerate(_keys(index)):
        rows.setdefault(key, []).append(i)
    return list(rows.values())


def group_advantages(
    perception: Sequence[float], reasoning: Sequence[float], index: Any, mode: str = "separate", eps: float = 1e-4, unbiased: bool = True, scale: bool = True
) -> tuple[list[float], list[float], list[float]]:
    """process_advantages over every group of `index`: three lists of one float per sample."""
    n = len(perception)
    if len(reasoning) != n or len(_keys(index)) != n:
        raise ValueError(f"group_advantages: {n} perception, {len(reasoning)} reasoning rewards and {len(_keys(index))} index entries")
    a_p, a_r, a_g = [0.0] * n, [0.0] * n, [0.0] * n
    for rows in groups_of(index):
        p, r, g = process_advantages([perception[i] for i in rows], [reasoning[i] for i in rows], mode, eps, unbiased, scale)
        for k, i in enumerate(rows):
            a_p[i], a_r[i], a_g[i] = p[k], r[k], g[k]
    return a_p, a_r, a_g


def pa_grpo_advantages(
    perception: Any,
    reasoning: Any,
    index: Any,
    epsilon: float = 1e-4,
    unbiased: bool = True,
    mode: str = "separate",
    scale_by_std: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(A_P, A_R), one pair per sample, from the per-process reward totals R_P and R_R (tensors,
    lists or numpy arrays, shape (N,)) grouped by `index` (verl's uid array, a list, or a tensor).

    `mode` is an advantage mode (separate, sum-advantages, sum-rewards, grpo) or any ablation of the
    scoring CLI's --mode (pa-grpo, grpo, without-rr, without-rp, without-rl, without-separation,
    without-separation-sum-rewards); an ablation that drops a reward treats that process's totals as 0
    (without-rl's switch lives in the rewards: score with mode='without-rl'). The results have the
    dtype and device of `perception` when it is a floating tensor, else float32."""
    import torch

    advantage_mode, use_p, use_r = advantage_mode_of(mode)
    p, r = _floats(perception), _floats(reasoning)
    if not use_p:
        p = [0.0] * len(p)
    if not use_r:
        r = [0.0] * len(r)
    a_p, a_r, _ = group_advantages(p, r, index, advantage_mode, epsilon, unbiased, scale_by_std)
    like = perception if _is_tensor(perception) and perception.is_floating_point() else None
    dtype = like.dtype if like is not None else torch.float32
    device = like.device if like is not None else None
    return torch.tensor(a_p, dtype=torch.float64, device=device).to(dtype), torch.tensor(a_r, dtype=torch.float64, device=device).to(dtype)


# ---- per-token advantages ---------------------------------------------------------------------------

_CLOSE = OBSERVATION_CLOSE.encode("utf-8")


def _token_bytes_fn(tokenizer: Any):
    """A function id -> bytes for our tokenizers and for Hugging Face byte-level BPE tokenizers
    (Qwen2.5, GPT-2, Llama 3: tokens spelled in GPT-2's byte characters); None for others."""
    if hasattr(tokenizer, "token_bytes"):
        return tokenizer.token_bytes
    convert = getattr(tokenizer, "convert_ids_to_tokens", None)
    if convert is None:
        return None
    from .tokenizers import UNICODE_TO_BYTE

    special = set(getattr(tokenizer, "all_special_ids", []) or [])

    def token_bytes(token_id: int) -> bytes:
        token = convert(int(token_id))
        if token is None:
            raise KeyError(token_id)
        if int(token_id) in special:
            return token.encode("utf-8")
        return bytes(UNICODE_TO_BYTE[ch] for ch in token)  # KeyError: not byte-level

    return token_bytes


def perception_token_count(ids: Sequence[int], tokenizer: Any) -> Optional[int]:
    """How many leading tokens of `ids` are perception tokens: those that start before the end of the
    first '</observation>' in the text the ids spell (so the token holding its '>' is the last one).
    None when the ids spell no '</observation>'.

    From the token ids: each token's byte offsets come from its bytes (our tokenizers, and Hugging Face
    byte-level BPE through convert_ids_to_tokens); any other tokenizer is read through `decode` on
    prefixes (binary search, about log2(T) decodes)."""
    ids = [int(i) for i in ids]
    token_bytes = _token_bytes_fn(tokenizer)
    if token_bytes is not None:
        try:
            pieces = [token_bytes(i) for i in ids]
        except (KeyError, ValueError):
            pieces = None
        if pieces is not None:
            stream = b"".join(pieces)
            at = stream.find(_CLOSE)
            if at == -1:
                return None
            end, start, count = at + len(_CLOSE), 0, 0
            for piece in pieces:
                if start >= end:
                    break
                count += 1
                start += len(piece)
            return count
    decode = getattr(tokenizer, "decode", None)
    if decode is None:
        raise TypeError(f"perception_token_count: {type(tokenizer).__name__} has neither token bytes nor decode()")
    if OBSERVATION_CLOSE not in decode(ids):
        return None
    lo, hi = 1, len(ids)  # the smallest k with '</observation>' in decode(ids[:k])
    while lo < hi:
        mid = (lo + hi) // 2
        if OBSERVATION_CLOSE in decode(ids[:mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo


def perception_mask_from_ids(rows: Sequence[Sequence[int]], tokenizer: Any, width: Optional[int] = None, missing_observation: str = "reasoning") -> torch.Tensor:
    """(B, T) bool: True on each row's perception tokens. Rows are the response token ids without
    padding; T = width or the longest row. A row without '</observation>' is all reasoning (or all
    perception with missing_observation='perception')."""
    import torch

    width = max((len(r) for r in rows), default=0) if width is None else width
    mask = torch.zeros((len(rows), width), dtype=torch.bool)
    for b, row in enumerate(rows):
        count = perception_token_count(row, tokenizer)
        if count is None:
            count = len(row) if missing_observation == "perception" else 0
        mask[b, : min(count, width)] = True
    return mask


def token_advantages(perception_mask: torch.Tensor, a_p: torch.Tensor, a_r: torch.Tensor, response_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """(B, T) advantages: A_P on perception tokens, A_R elsewhere, zero where response_mask is 0."""
    import torch

    a_p = a_p.to(torch.float32).reshape(-1, 1)
    a_r = a_r.to(a_p.dtype).reshape(-1, 1)
    out = torch.where(perception_mask.to(a_p.device), a_p, a_r)
    if response_mask is not None:
        out = out * response_mask.to(out.dtype)
    return out


def text_token_advantages(text: str, tokenizer: Any, a_p: float, a_r: float, missing_observation: str = "reasoning") -> tuple[list[int], list[float]]:
    """Token ids of `text` and their advantages, by the TypeScript's rule on encode offsets (a token is
    perception iff it starts before the end of the first '</observation>'): tokenAdvantages()."""
    from .template import perception_end

    encoding = tokenizer.encode(text)
    end = perception_end(text)
    if end is None:
        value = a_p if missing_observation == "perception" else a_r
        return encoding.ids, [value] * len(encoding.ids)
    return encoding.ids, [a_p if start < end else a_r for start, _ in encoding.offsets]
