"""Per-process rewards of PA-GRPO: R_k = accuracy + format + length for k in {perception, reasoning},
with the judge as perception accuracy and Video-R1's accuracy reward as reasoning accuracy
(src/rewards/score.ts and process_rewards.ts), and verl's reward function `compute_score`.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from .accuracy import PROBLEM_TYPES, accuracy_reward
from .config import RewardConfig, ScoringOptions, options_from_kwargs
from .judge import Judge, Verdict, build_judge_request, create_judge
from .template import ParsedCompletion, extract_answer, parse_completion
from .tokenizers import Tokenizer, tokenizer_from_spec


@dataclass
class ProcessReward:
    accuracy: float = 0.0
    format: float = 0.0
    length: float = 0.0

    @property
    def total(self) -> float:
        return self.accuracy + self.format + self.length

    def as_dict(self) -> dict[str, float]:
        return {"accuracy": self.accuracy, "format": self.format, "length": self.length, "total": self.total}


@dataclass
class RolloutScore:
    perception: ProcessReward
    reasoning: ProcessReward
    # Tokens assigned to each process, as the tokenizer counts them on the decoded text.
    perception_tokens: int
    reasoning_tokens: int
    # The judge's verdict, when the judge was asked (perception format passed).
    verdict: Optional[Verdict] = None


def format_rewards(parsed: ParsedCompletion, format_mode: str) -> tuple[int, int]:
    """(R_form,P, R_form,R): per-process regexes, or the full-sequence regex copied to both."""
    if format_mode == "full":
        full = 1 if parsed.format_full else 0
        return full, full
    return (1 if parsed.format_perception else 0), (1 if parsed.format_reasoning else 0)


def length_reward(tokens: int, bounds: tuple[int, int], accuracy: float, fmt: float, bonus: float, accuracy_threshold: float) -> float:
    """The bonus when accuracy > threshold, the format reward is non-zero and min <= tokens <= max."""
    return bonus if accuracy > accuracy_threshold and fmt > 0 and bounds[0] <= tokens <= bounds[1] else 0.0


def process_token_counts(text: str, parsed: ParsedCompletion, tokenizer: Tokenizer, missing_observation: str) -> tuple[int, int]:
    """(perception, reasoning) tokens: a token is a perception token when it starts before the end of
    the first '</observation>'; without one, every token goes to `missing_observation`."""
    offsets = tokenizer.encode(text).offsets
    if parsed.perception_end is None:
        return (len(offsets), 0) if missing_observation == "perception" else (0, len(offsets))
    perception = sum(1 for start, _ in offsets if start < parsed.perception_end)
    return perception, len(offsets) - perception


def score_rollout(record: dict, parsed: ParsedCompletion, config: RewardConfig, tokenizer: Tokenizer, judge: Optional[Judge]) -> RolloutScore:
    """Rewards of one rollout. The judge is asked only when the perception format passes. A reward
    switched off by the config is 0 in every term. The group rule len_requires_multiple_correct is
    applied separately (apply_group_length_rule), since it needs the whole group."""
    f_p, f_r = format_rewards(parsed, config.format_mode)
    tok_p, tok_r = process_token_counts(record["output"], parsed, tokenizer, config.missing_observation)
    perception, reasoning, verdict = ProcessReward(), ProcessReward(), None
    if config.use_perception_reward:
        accuracy = 0.0
        if f_p == 1 and parsed.observation is not None:
            if judge is None:
                raise ValueError("score_rollout: the perception reward is on but no judge is configured")
            verdict = judge.judge(build_judge_request(record, parsed.observation.text))
            accuracy = float(verdict.verdict)
        length = length_reward(tok_p, config.perception_length, accuracy, f_p, config.len_bonus, config.accuracy_threshold) if config.use_length_reward else 0.0
        perception = ProcessReward(accuracy, float(f_p), length)
    if config.use_reasoning_reward:
        accuracy = accuracy_reward(record["problem_type"], extract_answer(record["output"]), extract_answer(record["solution"]))
        length = length_reward(tok_r, config.reasoning_length, accuracy, f_r, config.len_bonus, config.accuracy_threshold) if config.use_length_reward else 0.0
        reasoning = ProcessReward(accuracy, float(f_r), length)
    return RolloutScore(perception, reasoning, tok_p, tok_r, verdict)


def apply_group_length_rule(scores: list[RolloutScore], config: RewardConfig) -> list[RolloutScore]:
    """Video-R1's "more than one correct rollout in the group" rule for the reasoning length bonus
    (config.len_requires_multiple_correct; correct = accuracy > accuracy_threshold). Mutates `scores`."""
    if not config.len_requires_multiple_correct:
        return scores
    correct = sum(1 for s in scores if s.reasoning.accuracy > config.accuracy_threshold)
    if correct <= 1:
        for s in scores:
            s.reasoning.length = 0.0
    return scores


def validate_record(value: Any) -> tuple[Optional[dict], Optional[str]]:
    """(record, None) for a scoreable record, else (None, reason): validateRecord of score.ts."""
    if not isinstance(value, dict):
        return None, "not a JSON object"
    missing = [k for k in ("problem_id", "problem", "problem_type", "solution", "output") if value.get(k) is None]
    if missing:
        return None, f"missing field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
    if isinstance(value["problem_id"], bool) or not isinstance(value["problem_id"], (str, int, float)):
        return None, "problem_id is neither a string nor a number"
    for k in ("problem", "problem_type", "solution", "output"):
        if not isinstance(value[k], str):
            return None, f"{k} is not a string"
    if value["problem_type"] not in PROBLEM_TYPES:
        return None, f"unknown problem_type '{value['problem_type']}'"
    step = value.get("step")
    if step is not None and (isinstance(step, bool) or not isinstance(step, (str, int, float))):
        return None, "step is neither a number nor a string"
    return value, None


def _js_number_string(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and math.isfinite(v):
        return str(int(v))
    return str(v)


def group_key(record: dict) -> tuple[str, str]:
    """Records with the same problem_id (and the same step, when present) form one group."""
    step = record.get("step")
    return _js_number_string(record["problem_id"]), "" if step is None else _js_number_string(step)


# ---- verl's reward function ---------------------------------------------------------------------------

_RESOURCES: dict[tuple, tuple[Tokenizer, Judge]] = {}
_RESOURCES_LOCK = threading.Lock()


def _resources(options: ScoringOptions) -> tuple[Tokenizer, Judge]:
    """One tokenizer and one judge per distinct option set and process (the HTTP judge's cache and
    concurrency limit are shared by every call)."""
    key = (options.judge, options.tokenizer, tuple(sorted(options.http.items())))
    with _RESOURCES_LOCK:
        if key not in _RESOURCES:
            _RESOURCES[key] = (tokenizer_from_spec(options.tokenizer), create_judge(options.judge, **options.http))
        return _RESOURCES[key]


def record_from_verl(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[dict]) -> dict:
    """A Video-R1 record from verl's arguments. extra_info carries problem_type, options, problem,
    data_type, and the scene facts (`facts`) or a precomputed judge field. A ground truth without
    <answer> tags is wrapped in them (Video-R1 stores '<answer>B</answer>')."""
    info = dict(extra_info or {})
    gt = ground_truth if isinstance(ground_truth, str) else str(ground_truth)
    if "<answer>" not in gt:
        gt = f"<answer>{gt}</answer>"
    record = {k: v for k, v in info.items() if k not in ("num_turns", "rollout_reward_scores")}
    if isinstance(record.get("facts"), str):  # stored as JSON text in a parquet column
        record["facts"] = json.loads(record["facts"])
    record.update(
        problem_id=info.get("problem_id", info.get("index", "")),
        problem=str(info.get("problem", info.get("question", ""))),
        problem_type=str(info.get("problem_type", "")),
        solution=gt,
        output=solution_str,
        data_source=data_source,
    )
    return record


def score_dict(score: RolloutScore) -> dict[str, Any]:
    """The flat dict verl's reward managers turn into reward_extra_info (every key on every sample)."""
    out: dict[str, Any] = {"score": score.reasoning.total}
    for process, reward in (("perception", score.perception), ("reasoning", score.reasoning)):
        for part, value in reward.as_dict().items():
            out[f"{process}_{part}"] = value
    out["perception_tokens"] = score.perception_tokens
    out["reasoning_tokens"] = score.reasoning_tokens
    out["judge_called"] = 0 if score.verdict is None else 1
    out["judge_verdict"] = 0 if score.verdict is None else score.verdict.verdict
    out["judge_error"] = "" if score.verdict is None or score.verdict.error is None else score.verdict.error
    return out


def compute_score(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Optional[dict] = None, **kwargs: Any) -> dict[str, Any]:
    """verl's reward function (reward.custom_reward_function.path=pkg://p2r_rl.verl, name=compute_score;
    options through reward.custom_reward_function.reward_kwargs, the scoring CLI's options).

    Returns "score" (R_R, the scalar plain GRPO normalises), perception_{accuracy,format,length,total}
    and the same for reasoning, the token counts, and the judge's verdict (judge_called, judge_verdict,
    judge_error). The group rule len_multiple_correct cannot apply to one sample: the pa_grpo estimator
    applies it (algorithm.pa_grpo_len_multiple_correct)."""
    options = options_from_kwargs(**kwargs)
    if options.config.len_requires_multiple_correct:
        raise ValueError("len_multiple_correct is a group rule: set it on the advantage estimator, not on compute_score")
    tokenizer, judge = _resources(options)
    record = record_from_verl(data_source, solution_str, ground_truth, extra_info)
    if record["problem_type"] not in PROBLEM_TYPES:
        raise ValueError(f"extra_info.problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {record['problem_type']!r}")
    score = score_rollout(record, parse_completion(solution_str), options.config, tokenizer, judge if options.config.use_perception_reward else None)
    return score_dict(score)
