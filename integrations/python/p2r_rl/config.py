"""One config for PA-GRPO rewards and advantages, with the RL ablations of the paper's Table 2 as named
presets: src/rewards/config.ts, with the same names (snake_case) and the same defaults.

`options_from_kwargs` reads the keyword arguments every entry point takes (compute_score's
reward_kwargs, the TRL reward functions, the CLI): the scoring CLI's options with '-' spelled '_'.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Optional

ADVANTAGE_MODES = ("separate", "sum-advantages", "sum-rewards", "grpo")
FORMAT_MODES = ("per-process", "full")
MISSING_OBSERVATION = ("reasoning", "perception")


@dataclass(frozen=True)
class RewardConfig:
    # ε in A = (R − mean) / (std + ε); 1e-4 as Video-R1 and TRL (verl's own GRPO: 1e-6).
    eps: float = 1e-4
    # Bessel-corrected std (N − 1), as torch.std in Video-R1, TRL and verl.
    unbiased_std: bool = True
    # Length bonus ω per process.
    len_bonus: float = 0.2
    # Length targets in tokens, inclusive bounds.
    perception_length: tuple[int, int] = (128, 320)
    reasoning_length: tuple[int, int] = (320, 512)
    # Accuracy must be > this for the length bonus (0: the paper's "non-zero"; Video-R1: 0.1).
    accuracy_threshold: float = 0.0
    # Pay the reasoning length bonus only when more than one rollout of the group is correct (Video-R1).
    len_requires_multiple_correct: bool = False
    # 'per-process': one format regex per process; 'full': one full-sequence regex copied to both.
    format_mode: str = "per-process"
    # How advantages reach tokens: 'separate' = PA-GRPO; 'sum-advantages' = A_P + A_R on every token;
    # 'sum-rewards' = normalise R_P + R_R once; 'grpo' = the normalised reasoning reward on every token.
    advantage_mode: str = "separate"
    # Table 2 switches: a dropped reward is zero in every term (accuracy, format, length).
    use_perception_reward: bool = True
    use_reasoning_reward: bool = True
    use_length_reward: bool = True
    # Which process gets every token when '</observation>' is missing.
    missing_observation: str = "reasoning"


# Table 2 rows that are RL switches (the same presets as src/rewards/config.ts ABLATIONS).
ABLATIONS: dict[str, dict[str, Any]] = {
    "pa-grpo": {},
    "grpo": {"advantage_mode": "grpo", "use_perception_reward": False},
    "without-rr": {"use_reasoning_reward": False},
    "without-rp": {"use_perception_reward": False, "advantage_mode": "grpo"},
    "without-rl": {"use_length_reward": False},
    "without-separation": {"advantage_mode": "sum-advantages"},
    "without-separation-sum-rewards": {"advantage_mode": "sum-rewards"},
}
ABLATION_NAMES = tuple(ABLATIONS)


def resolve_config(mode: str = "pa-grpo", **overrides: Any) -> RewardConfig:
    """Defaults, then the preset, then the overrides. Raises on an unknown preset name."""
    if mode not in ABLATIONS:
        raise ValueError(f"unknown ablation mode {mode!r}; expected one of: {', '.join(ABLATION_NAMES)}")
    config = replace(RewardConfig(), **ABLATIONS[mode], **overrides)
    if config.advantage_mode not in ADVANTAGE_MODES:
        raise ValueError(f"advantage_mode expects one of {', '.join(ADVANTAGE_MODES)}, got {config.advantage_mode!r}")
    if config.format_mode not in FORMAT_MODES:
        raise ValueError(f"format_mode expects one of {', '.join(FORMAT_MODES)}, got {config.format_mode!r}")
    if config.missing_observation not in MISSING_OBSERVATION:
        raise ValueError(f"missing_observation expects one of {', '.join(MISSING_OBSERVATION)}, got {config.missing_observation!r}")
    return config


def _range(name: str, value: Any) -> tuple[int, int]:
    """'128:320', (128, 320) or [128, 320]."""
    if isinstance(value, str):
        parts = value.split(":")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            return int(parts[0]), int(parts[1])
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        return int(value[0]), int(value[1])
    raise ValueError(f"{name} expects MIN:MAX in tokens, got {value!r}")


@dataclass(frozen=True)
class ScoringOptions:
    """Everything scoring needs besides the record: the reward config, the judge and the tokenizer."""

    config: RewardConfig
    judge: str = "rules"
    tokenizer: str = "whitespace"
    http: dict = field(default_factory=dict)


# Keyword arguments verl passes to every compute_score that are not ours (GenRM judges).
VERL_INJECTED = frozenset({"reward_router_address", "reward_model_tokenizer"})
OPTION_NAMES = (
    "judge", "judge_url", "judge_model", "judge_concurrency", "judge_timeout", "judge_retries", "tokenizer",
    "mode", "advantage_mode", "format_mode", "eps", "biased_std", "len_bonus", "perception_length",
    "reasoning_length", "accuracy_threshold", "len_multiple_correct", "missing_observation",
)  # fmt: skip


def options_from_kwargs(**kwargs: Any) -> ScoringOptions:
    """The scoring CLI's options as keyword arguments, with its defaults:
    judge='rules' | 'field:NAME' | 'http' (with judge_url, judge_model, judge_concurrency, judge_timeout
    in ms, judge_retries; the key from env OPENAI_API_KEY or JUDGE_API_KEY), tokenizer='whitespace' |
    'bytes' | path to a tokenizer.json, mode (an ablation), advantage_mode, format_mode, eps, biased_std,
    len_bonus, perception_length='128:320', reasoning_length='320:512', accuracy_threshold,
    len_multiple_correct, missing_observation. Unknown names raise TypeError (a typo would otherwise
    silently train with the defaults)."""
    unknown = sorted(set(kwargs) - set(OPTION_NAMES) - VERL_INJECTED)
    if unknown:
        raise TypeError(f"unknown PA-GRPO option(s): {', '.join(unknown)}; expected some of: {', '.join(OPTION_NAMES)}")
    overrides: dict[str, Any] = {}
    for name, key in (("advantage_mode", "advantage_mode"), ("format_mode", "format_mode"), ("missing_observation", "missing_observation")):
        if kwargs.get(name) is not None:
            overrides[key] = str(kwargs[name])
    for name, key in (("eps", "eps"), ("len_bonus", "len_bonus"), ("accuracy_threshold", "accuracy_threshold")):
        if kwargs.get(name) is not None:
            overrides[key] = float(kwargs[name])
    for name in ("perception_length", "reasoning_length"):
        if kwargs.get(name) is not None:
            overrides[name] = _range(name, kwargs[name])
    if kwargs.get("biased_std"):
        overrides["unbiased_std"] = False
    if kwargs.get("len_multiple_correct"):
        overrides["len_requires_multiple_correct"] = True
    config = resolve_config(str(kwargs.get("mode") or "pa-grpo"), **overrides)
    judge = str(kwargs.get("judge") or "rules")
    if judge != "rules" and judge != "http" and not judge.startswith("field:"):
        raise ValueError(f"judge expects rules, http or field:NAME, got {judge!r}")
    if judge == "field:":
        raise ValueError("judge field:NAME needs a field name")
    http: dict[str, Any] = {}
    if judge == "http":
        if not kwargs.get("judge_url") or not kwargs.get("judge_model"):
            raise ValueError("judge='http' needs judge_url and judge_model")
        http = {"base_url": kwargs["judge_url"], "model": kwargs["judge_model"]}
        http["api_key"] = os.environ.get("OPENAI_API_KEY") or os.environ.get("JUDGE_API_KEY") or None
        for name, key in (("judge_concurrency", "concurrency"), ("judge_timeout", "timeout"), ("judge_retries", "retries")):
            if kwargs.get(name) is not None:
                http[key] = float(kwargs[name]) if key == "timeout" else int(kwargs[name])
    return ScoringOptions(config=config, judge=judge, tokenizer=str(kwargs.get("tokenizer") or "whitespace"), http=http)


def advantage_mode_of(mode: Optional[str]) -> tuple[str, bool, bool]:
    """(advantage mode, use perception reward, use reasoning reward) of an advantage mode or an ablation."""
    if mode is None or mode in ADVANTAGE_MODES:
        return mode or "separate", True, True
    if mode in ABLATIONS:
        c = resolve_config(mode)
        return c.advantage_mode, c.use_perception_reward, c.use_reasoning_reward
    raise ValueError(f"mode expects one of {', '.join(ADVANTAGE_MODES + ABLATION_NAMES)}, got {mode!r}")
