"""PA-GRPO in TRL (targets TRL 1.10.0.dev, huggingface/trl f2cd577 of 2026-07-24).

- `pa_grpo_reward_funcs(**options)`: the two reward functions, `perception_reward` and
  `reasoning_reward`, with TRL's signature f(prompts, completions, completion_ids, **kwargs); kwargs
  carry the dataset columns (solution, problem_type, problem, options, data_type, facts or a judge
  field). Each logs its parts as completion-table columns (perception_accuracy, …) through log_extra.
- `PaGrpoTrainer` (built on TRL's GRPOTrainer when TRL is importable; `make_trainer_class` for any
  base): after TRL has scored a generation batch, it replaces the (B,) advantages with (B, T) ones,
  A_P on each completion's perception tokens (through the closing '>' of '</observation>', found
  from completion_ids) and A_R on the rest. TRL's _compute_loss accepts (B, T) advantages as they are.
  The completions parquet gains perception_advantage and reasoning_advantage columns, and its
  `advantage` column holds the process-agnostic GRPO advantage (the normalised reasoning reward).

Group statistics follow PA-GRPO (each reward normalised in its group of num_generations, eps 1e-4,
unbiased std), not TRL's multi_objective_aggregation; scale_rewards='none' drops the std ('batch'
is refused). Per-reward weights do not apply: each process keeps its own advantage.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from typing import Any, Callable, Optional

from .advantages import group_advantages, perception_mask_from_ids, token_advantages
from .config import advantage_mode_of, options_from_kwargs
from .rewards import _resources, score_dict, score_rollout
from .template import parse_completion

PERCEPTION = "perception_reward"
REASONING = "reasoning_reward"
# Dataset columns a record is built from (the rest of kwargs, e.g. a judge field, is kept too).
_TRL_INTERNAL = frozenset({"trainer_state", "log_extra", "log_metric", "environments", "prompt", "completion", "completion_ids"})


def _text(completion: Any) -> str:
    """A completion as text: a string, or a conversational list of messages (the last content)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        content = completion[-1].get("content", "") if isinstance(completion[-1], dict) else completion[-1]
        if isinstance(content, list):  # multimodal content parts
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return str(content)
    return str(completion)


def _records(completions: list, kwargs: dict) -> list[dict]:
    rows = []
    for i, completion in enumerate(completions):
        row = {k: v[i] for k, v in kwargs.items() if k not in _TRL_INTERNAL and isinstance(v, list) and len(v) == len(completions)}
        solution = row.get("solution", row.get("ground_truth", ""))
        solution = solution if isinstance(solution, str) else str(solution)
        row.update(
            problem_id=row.get("problem_id", i),
            problem=str(row.get("problem", "")),
            problem_type=str(row.get("problem_type", "")),
            solution=solution if "<answer>" in solution else f"<answer>{solution}</answer>",
            output=_text(completion),
        )
        rows.append(row)
    return rows


def pa_grpo_reward_funcs(**options: Any) -> list[Callable[..., list[float]]]:
    """[perception_reward, reasoning_reward] for GRPOTrainer(reward_funcs=...), with the scoring CLI's
    options (judge, tokenizer, mode, lengths, …; see config.options_from_kwargs). Each returns the
    process's total R_k per completion and logs accuracy, format and length (and the judge verdict)
    as columns of the completions table."""
    scoring = options_from_kwargs(**options)
    if scoring.config.len_requires_multiple_correct:
        raise ValueError("len_multiple_correct is a group rule; it is not available in the TRL reward functions")
    tokenizer, judge = _resources(scoring)
    # Each function scores only its own process, so the judge is asked once per completion.
    configs = {
        "perception": replace(scoring.config, use_reasoning_reward=False),
        "reasoning": replace(scoring.config, use_perception_reward=False),
    }

    def reward(process: str, parts: tuple[str, ...]) -> Callable[..., list[float]]:
        config = configs[process]

        def fn(prompts: list, completions: list, completion_ids: list, **kwargs: Any) -> list[float]:
            scores = [
                score_dict(score_rollout(r, parse_completion(r["output"]), config, tokenizer, judge if config.use_perception_reward else None))
                for r in _records(completions, kwargs)
            ]
            log_extra = kwargs.get("log_extra")
            if log_extra is not None:
                for part in parts:
                    log_extra(part, [s[part] for s in scores])
            return [float(s[f"{process}_total"]) for s in scores]

        fn.__name__ = fn.__qualname__ = f"{process}_reward"
        return fn

    perception = reward("perception", ("perception_accuracy", "perception_format", "perception_length", "judge_verdict"))
    reasoning = reward("reasoning", ("reasoning_accuracy", "reasoning_format", "reasoning_length"))
    return [perception, reasoning]


def pa_grpo_token_advantages(
    rewards_per_func: Any,
    completion_ids: Any,
    completion_mask: Any,
    tokenizer: Any,
    num_generations: int,
    local_rows: slice,
    mode: str = "separate",
    eps: float = 1e-4,
    scale: bool = True,
    perception_index: int = 0,
    reasoning_index: int = 1,
    missing_observation: str = "reasoning",
) -> tuple[Any, list[float], list[float], list[float]]:
    """(B, T) advantages for this process's rows, from the gathered (N, F) rewards of the whole
    generation batch (groups: num_generations consecutive rows). Also returns the global A_P, A_R and
    A_GRPO lists (for the completions table)."""
    import torch

    rewards = rewards_per_func.detach().to(torch.float64).cpu()
    n = rewards.shape[0]
    perception = torch.nan_to_num(rewards[:, perception_index], nan=0.0).tolist()
    reasoning = torch.nan_to_num(rewards[:, reasoning_index], nan=0.0).tolist()
    advantage_mode, use_p, use_r = advantage_mode_of(mode)
    if not use_p:
        perception = [0.0] * n
    if not use_r:
        reasoning = [0.0] * n
    index = [i // num_generations for i in range(n)]
    a_p, a_r, a_g = group_advantages(perception, reasoning, index, advantage_mode, eps, True, scale)
    rows = [[int(t) for t, m in zip(ids.tolist(), mask.tolist()) if m] for ids, mask in zip(completion_ids, completion_mask)]
    mask = perception_mask_from_ids(rows, tokenizer, completion_ids.shape[1], missing_observation).to(completion_ids.device)
    local_p = torch.tensor(a_p[local_rows], dtype=torch.float64, device=completion_ids.device)
    local_r = torch.tensor(a_r[local_rows], dtype=torch.float64, device=completion_ids.device)
    return token_advantages(mask, local_p, local_r, completion_mask), a_p, a_r, a_g


def make_trainer_class(base: type) -> type:
    """A GRPOTrainer subclass on `base` with PA-GRPO's per-token advantages."""

    class PaGrpoTrainer(base):  # type: ignore[misc, valid-type]
        """GRPOTrainer with PA-GRPO: pass pa_grpo={"mode": ..., "missing_observation": ...} and, when
        reward_funcs is omitted, the reward options in pa_grpo_rewards={...} (judge, tokenizer, …)."""

        def __init__(self, *args: Any, reward_funcs: Any = None, pa_grpo: Optional[dict] = None, pa_grpo_rewards: Optional[dict] = None, **kwargs: Any):
            if reward_funcs is None:
                reward_funcs = pa_grpo_reward_funcs(**(pa_grpo_rewards or {}))
            self.pa_grpo = {"mode": "separate", "missing_observation": "reasoning", **(pa_grpo or {})}
            super().__init__(*args, reward_funcs=reward_funcs, **kwargs)
            names = list(self.reward_func_names)
            if PERCEPTION not in names or REASONING not in names:
                raise ValueError(f"PaGrpoTrainer needs reward functions named {PERCEPTION} and {REASONING}; got {names}")
            self._pa_indices = (names.index(PERCEPTION), names.index(REASONING))
            if getattr(self, "scale_rewards", "group") == "batch":
                raise ValueError("PaGrpoTrainer normalises each process in its group: scale_rewards='batch' is not supported")

        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):  # noqa: ANN001
            self._pa_rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            return self._pa_rewards

        def _generate_and_score_completions(self, inputs):  # noqa: ANN001
            output = super()._generate_and_score_completions(inputs)
            mode = "train" if self.model.training else "eval"
            num_generations = self.num_generations if mode == "train" else getattr(self, "num_generations_eval", self.num_generations)
            local = output["completion_ids"].shape[0]
            start = self.accelerator.process_index * local
            tokenizer = getattr(self.processing_class, "tokenizer", self.processing_class)
            advantages, a_p, a_r, a_g = pa_grpo_token_advantages(
                self._pa_rewards,
                output["completion_ids"],
                output["completion_mask"],
                tokenizer,
                num_generations,
                slice(start, start + local),
                mode=self.pa_grpo["mode"],
                scale=getattr(self, "scale_rewards", "group") != "none",
                perception_index=self._pa_indices[0],
                reasoning_index=self._pa_indices[1],
                missing_observation=self.pa_grpo["missing_observation"],
            )
            output["advantages"] = advantages
            # The completions table: the last generation batch's rows were just appended.
            logged = self._logs["advantages"]
            for _ in range(min(len(a_g), len(logged))):
                logged.pop()
            logged.extend(a_g)
            self._logs["extra"]["perception_advantage"].extend(a_p)
            self._logs["extra"]["reasoning_advantage"].extend(a_r)
            return output

    return PaGrpoTrainer


if importlib.util.find_spec("trl") is not None:  # pragma: no cover - depends on the installed TRL
    from trl import GRPOTrainer as _GRPOTrainer

    PaGrpoTrainer = make_trainer_class(_GRPOTrainer)
