"""PA-GRPO in verl (targets verl 0.10.0.dev, verl-project/verl 1dda039 of 2026-08-22, the v1 trainer
that is the default there; `trainer.use_v1=true`).

Pieces:
- `compute_score` (reward.custom_reward_function.path=pkg://p2r_rl.verl): per-process rewards, whose
  dict keys verl keeps per sample as reward_extra_info;
- the advantage estimator `pa_grpo` (verl's register_adv_est): A_P on the response tokens up to and
  including '</observation>', A_R on the rest;
- trainers `pa_grpo_<mode>` (verl's register_trainer, one per registered v1 trainer: pa_grpo_sync,
  pa_grpo_colocate_async, …) that hand the estimator what verl does not pass it, and write the
  per-process rewards and advantages into rollout_data_dir's dumps.

Why the trainer: verl's compute_advantage() calls an estimator with token_level_rewards (one scalar
per sample, at its last token), response_mask, index (uid) and config only; reward extras and the
batch go to `gdpo` alone, and the v1 trainer's _compute_advantage fetches just uid, response_mask,
rm_scores and log-probs from the TransferQueue. So `pa_grpo_<mode>._compute_advantage` also fetches
`responses`, `uid` and `extra_fields` (where the agent loop keeps reward_extra_info), builds R_P, R_R
and the perception token mask (from the token ids, through the tokenizer's token bytes), and puts
them where the estimator reads them (`pending`) for the duration of verl's own _compute_advantage.
The policy loss is verl's: per-token advantages go into the standard clipped objective.

Registration must happen in every Ray process that looks the names up (the TaskRunner actor):
`+ray_kwargs.ray_init.runtime_env.worker_process_setup_hook=p2r_rl.verl.setup`. Importing p2r_rl
registers too, when verl is importable.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Sequence

from .advantages import group_advantages, perception_mask_from_ids, token_advantages
from .config import advantage_mode_of
from .rewards import compute_score  # noqa: F401  (pkg://p2r_rl.verl, name=compute_score)

ESTIMATOR = "pa_grpo"
TRAINER_PREFIX = "pa_grpo_"
# Per-sample keys compute_score returns, copied into the training dumps.
REWARD_KEYS = (
    "perception_accuracy", "perception_format", "perception_length", "perception_total",
    "reasoning_accuracy", "reasoning_format", "reasoning_length", "reasoning_total",
    "perception_tokens", "reasoning_tokens", "judge_called", "judge_verdict", "judge_error",
)  # fmt: skip
ADVANTAGE_KEYS = ("perception_advantage", "reasoning_advantage", "grpo_advantage")


def _option(config: Any, name: str, default: Any) -> Any:
    """algorithm.pa_grpo_<name> (flat keys, added with +algorithm.pa_grpo_<name>=…, as GDPO's are)."""
    if config is None:
        return default
    value = config.get(f"pa_grpo_{name}", None) if hasattr(config, "get") else getattr(config, f"pa_grpo_{name}", None)
    return default if value is None else value


@dataclass
class PaGrpoBatch:
    """What the estimator needs and verl does not pass it, one entry per row of the advantage batch."""

    perception: list[float]  # R_P totals
    reasoning: list[float]  # R_R totals
    reasoning_accuracy: list[float]
    reasoning_length: list[float]
    perception_mask: Any  # (B, T) bool tensor
    uids: Optional[list[Any]] = None  # the uid of each row, checked against the estimator's index
    keys: Optional[list[str]] = None  # TransferQueue keys "{uid}_{session}_{index}"
    extras: list[dict] = field(default_factory=list)  # each row's reward_extra_info
    # Filled by the estimator: (A_P, A_R, A_GRPO) per row.
    advantages: Optional[list[tuple[float, float, float]]] = None

    @classmethod
    def from_rows(
        cls,
        response_ids: Sequence[Sequence[int]],
        extras: Sequence[dict],
        tokenizer: Any,
        width: Optional[int] = None,
        uids: Optional[Sequence[Any]] = None,
        keys: Optional[Sequence[str]] = None,
        missing_observation: str = "reasoning",
    ) -> "PaGrpoBatch":
        """From each row's response token ids (unpadded) and compute_score's dict."""
        if len(response_ids) != len(extras):
            raise ValueError(f"PaGrpoBatch: {len(response_ids)} responses but {len(extras)} reward infos")
        for i, info in enumerate(extras):
            missing = [k for k in ("perception_total", "reasoning_total") if k not in info]
            if missing:
                raise KeyError(
                    f"row {i}: reward_extra_info lacks {', '.join(missing)}; use p2r_rl's compute_score "
                    "(reward.custom_reward_function.path=pkg://p2r_rl.verl)"
                )
        return cls(
            perception=[float(e["perception_total"]) for e in extras],
            reasoning=[float(e["reasoning_total"]) for e in extras],
            reasoning_accuracy=[float(e.get("reasoning_accuracy", 0.0)) for e in extras],
            reasoning_length=[float(e.get("reasoning_length", 0.0)) for e in extras],
            perception_mask=perception_mask_from_ids(response_ids, tokenizer, width, missing_observation),
            uids=list(uids) if uids is not None else None,
            keys=list(keys) if keys is not None else None,
            extras=[dict(e) for e in extras],
        )

    def rows_by_key(self) -> dict[str, dict]:
        """key -> the row's reward keys and advantages, for the dump."""
        if self.keys is None or self.advantages is None:
            return {}
        out = {}
        for key, info, adv in zip(self.keys, self.extras, self.advantages):
            row = {k: info.get(k) for k in REWARD_KEYS if k in info}
            row.update(zip(ADVANTAGE_KEYS, adv))
            out[key] = row
        return out

    def metrics(self) -> dict[str, float]:
        n = max(1, len(self.perception))
        mask = self.perception_mask
        out = {
            "pa_grpo/perception_reward/mean": sum(self.perception) / n,
            "pa_grpo/reasoning_reward/mean": sum(self.reasoning) / n,
            "pa_grpo/perception_tokens/mean": float(mask.sum()) / n,
        }
        if self.advantages:
            out["pa_grpo/perception_advantage/abs_mean"] = sum(abs(a[0]) for a in self.advantages) / n
            out["pa_grpo/reasoning_advantage/abs_mean"] = sum(abs(a[1]) for a in self.advantages) / n
        return out


_PENDING: list[PaGrpoBatch] = []


@contextlib.contextmanager
def pending(batch: PaGrpoBatch) -> Iterator[PaGrpoBatch]:
    """Makes `batch` what the next pa_grpo estimator call reads (the trainer wraps verl's own
    _compute_advantage in this)."""
    _PENDING.append(batch)
    try:
        yield batch
    finally:
        _PENDING.remove(batch)


def apply_group_length_rule(reasoning: list[float], accuracy: list[float], length: list[float], index: Any, threshold: float) -> list[float]:
    """Video-R1's rule on totals: in a group with at most one correct rollout (accuracy > threshold),
    the reasoning length bonus is taken back."""
    from .advantages import groups_of

    out = list(reasoning)
    for rows in groups_of(index):
        if sum(1 for i in rows if accuracy[i] > threshold) <= 1:
            for i in rows:
                out[i] = reasoning[i] - length[i]
    return out


def compute_pa_grpo_outcome_advantage(
    token_level_rewards: Any,
    response_mask: Any,
    index: Any = None,
    epsilon: float = 1e-4,
    norm_adv_by_std_in_grpo: bool = True,
    config: Any = None,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """verl advantage estimator `pa_grpo`: (advantages, returns), both (bs, response_length), A_P on
    each response's perception tokens and A_R on the rest (zero outside response_mask).

    Per-process rewards and the perception mask come from kwargs (perception_rewards,
    reasoning_rewards, perception_mask: for direct calls) or from the batch the pa_grpo trainer put
    in `pending`. Options (all optional) under algorithm: pa_grpo_mode (an advantage mode or ablation,
    default separate), pa_grpo_eps (default: epsilon, 1e-4), pa_grpo_biased_std,
    pa_grpo_len_multiple_correct with pa_grpo_accuracy_threshold (Video-R1's group length rule).
    norm_adv_by_std_in_grpo=False subtracts the group mean only (Dr.GRPO)."""
    import torch

    kl_in_reward = config.get("use_kl_in_reward", False) if hasattr(config, "get") else getattr(config, "use_kl_in_reward", False)
    if kl_in_reward:
        raise ValueError("pa_grpo ignores token_level_rewards, so a KL penalty in the reward would be lost: set algorithm.use_kl_in_reward=false and use actor_rollout_ref.actor.use_kl_loss=true")
    batch: Optional[PaGrpoBatch] = _PENDING[-1] if _PENDING else None
    if "perception_rewards" in kwargs:
        perception = [float(x) for x in kwargs["perception_rewards"]]
        reasoning = [float(x) for x in kwargs["reasoning_rewards"]]
        mask = kwargs["perception_mask"]
    elif batch is not None:
        perception, reasoning, mask = batch.perception, batch.reasoning, batch.perception_mask
        if batch.uids is not None and index is not None and [str(u) for u in batch.uids] != [str(u) for u in list(index)]:
            raise ValueError("pa_grpo: the rows handed over by the trainer are not in the order of the advantage batch (uid mismatch)")
    else:
        raise RuntimeError(
            "pa_grpo: no per-process rewards. verl passes an estimator only token_level_rewards, "
            "response_mask, index and config: run with trainer.v1.trainer_mode=pa_grpo_sync (or another "
            "pa_grpo_* trainer) and reward.custom_reward_function.path=pkg://p2r_rl.verl"
        )
    bs, width = response_mask.shape
    if len(perception) != bs or tuple(mask.shape) != (bs, width):
        raise ValueError(f"pa_grpo: response_mask is {tuple(response_mask.shape)} but the per-process inputs are {len(perception)} rows, mask {tuple(mask.shape)}")
    if index is None:
        index = list(range(bs))
    if _option(config, "len_multiple_correct", False):
        source = batch if batch is not None else None
        if source is None:
            raise ValueError("pa_grpo_len_multiple_correct needs the pa_grpo trainer (reasoning accuracy and length per row)")
        reasoning = apply_group_length_rule(reasoning, source.reasoning_accuracy, source.reasoning_length, index, float(_option(config, "accuracy_threshold", 0.0)))
    mode, use_p, use_r = advantage_mode_of(str(_option(config, "mode", "separate")))
    if not use_p:
        perception = [0.0] * bs
    if not use_r:
        reasoning = [0.0] * bs
    eps = float(_option(config, "eps", epsilon))
    a_p, a_r, a_g = group_advantages(perception, reasoning, index, mode, eps, not _option(config, "biased_std", False), bool(norm_adv_by_std_in_grpo))
    if batch is not None:
        batch.advantages = list(zip(a_p, a_r, a_g))
    with torch.no_grad():
        device = response_mask.device
        advantages = token_advantages(
            mask.to(device), torch.tensor(a_p, dtype=torch.float64, device=device), torch.tensor(a_r, dtype=torch.float64, device=device), response_mask
        ).to(token_level_rewards.dtype)
    return advantages, advantages


# ---- dumps ------------------------------------------------------------------------------------------


def rollout_columns(uids: Sequence[str], rows_by_key: dict[str, dict]) -> dict[str, list]:
    """Per-process reward and advantage columns for a training dump whose rows have these uids
    (verl's `uid` column: the TransferQueue keys); {} when any uid is unknown."""
    if not uids or any(u not in rows_by_key for u in uids):
        return {}
    names = [k for k in REWARD_KEYS + ADVANTAGE_KEYS if all(k in rows_by_key[u] for u in uids)]
    return {name: [rows_by_key[u][name] for u in uids] for name in names}


def write_generations(dump_path: str, step: int, inputs: list, outputs: list, gts: list, scores: list, columns: dict[str, list]) -> str:
    """Writes `{dump_path}/{step}.jsonl` as verl's trainer does (_write_generations): keys input, output,
    gts, score, step, then every column of length n. For replaying runs and tests without verl."""
    os.makedirs(dump_path, exist_ok=True)
    path = os.path.join(dump_path, f"{step}.jsonl")
    n = len(inputs)
    base = {"input": inputs, "output": outputs, "gts": gts, "score": scores, "step": [step] * n}
    base.update({k: v for k, v in columns.items() if len(v) == n})

    def default(obj: Any) -> Any:
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if hasattr(obj, "item"):
            return obj.item()
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")

    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({k: v[i] for k, v in base.items()}, ensure_ascii=False, default=default) + "\n")
    return path


# ---- trainer ------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list:
    """TransferQueue non-tensor fields come back as a list, a NonTensorStack or a numpy array."""
    if value is None:
        return []
    if hasattr(value, "tolist"):
        return list(value.tolist())
    return list(value)


def _field(data: Any, key: str) -> Any:
    try:
        return data[key]
    except (KeyError, AttributeError):
        return None


def _rows(value: Any) -> list[list[int]]:
    """Each row's token ids, unpadded, from a jagged nested tensor or a list of sequences."""
    rows = value.unbind() if hasattr(value, "unbind") else value
    return [[int(x) for x in (r.tolist() if hasattr(r, "tolist") else r)] for r in rows]


def make_trainer_class(base: type, tq: Any) -> type:
    """A v1 trainer class on `base` (e.g. PPOTrainerSync) for adv_estimator=pa_grpo; `tq` is verl's
    transfer_queue module (a parameter, so tests can pass a stand-in)."""

    class PaGrpoTrainer(base):  # type: ignore[misc, valid-type]
        _pa_grpo_rows: dict

        def _compute_advantage(self, batch: Any, metrics: dict) -> Any:
            if str(self.config.algorithm.adv_estimator) != ESTIMATOR:
                return super()._compute_advantage(batch, metrics)
            data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=["uid", "responses", "extra_fields"])
            extras = [(f or {}).get("reward_extra_info", {}) if isinstance(f, dict) else {} for f in _as_list(_field(data, "extra_fields"))]
            if not extras or any("perception_total" not in e for e in extras):
                # A colocated reward model writes the reward keys as fields of their own.
                fields = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=list(REWARD_KEYS))
                columns = {k: _as_list(_field(fields, k)) for k in REWARD_KEYS}
                extras = [{k: columns[k][i] for k in REWARD_KEYS if len(columns[k]) > i} for i in range(len(batch.keys))]
            pa_batch = PaGrpoBatch.from_rows(
                _rows(data["responses"]),
                extras,
                self.tokenizer,
                uids=_as_list(_field(data, "uid")) or None,
                keys=list(batch.keys),
                missing_observation=str(_option(self.config.algorithm, "missing_observation", "reasoning")),
            )
            with pending(pa_batch):
                batch = super()._compute_advantage(batch, metrics)
            if not hasattr(self, "_pa_grpo_rows"):
                self._pa_grpo_rows = {}
            self._pa_grpo_rows.update(pa_batch.rows_by_key())
            metrics.update(pa_batch.metrics())
            return batch

        def _dump_generations(self, inputs, outputs, gts, scores, reward_extra_infos_dict, dump_path):  # noqa: ANN001
            rows = getattr(self, "_pa_grpo_rows", {})
            uids = list(reward_extra_infos_dict.get("uid", []))
            columns = rollout_columns(uids, rows)
            if columns:
                reward_extra_infos_dict = {**reward_extra_infos_dict, **columns}
                for u in uids:
                    rows.pop(u, None)
            return super()._dump_generations(inputs, outputs, gts, scores, reward_extra_infos_dict, dump_path)

    PaGrpoTrainer.__name__ = PaGrpoTrainer.__qualname__ = f"PaGrpo{base.__name__}"
    return PaGrpoTrainer


def register(core_algos: Any = None, trainer_module: Any = None, tq: Any = None) -> list[str]:
    """Registers the `pa_grpo` estimator and one `pa_grpo_<mode>` trainer per registered v1 trainer.
    Idempotent. The arguments default to verl's modules (tests pass stand-ins). Returns the names."""
    if core_algos is None:
        from verl.trainer.ppo import core_algos  # type: ignore[no-redef]
    registry = core_algos.ADV_ESTIMATOR_REGISTRY
    existing = registry.get(ESTIMATOR)
    if existing is None or getattr(existing, "__qualname__", None) != compute_pa_grpo_outcome_advantage.__qualname__:
        if existing is not None:
            raise ValueError(f"verl already has an advantage estimator named {ESTIMATOR!r}: {existing}")
        core_algos.register_adv_est(ESTIMATOR)(compute_pa_grpo_outcome_advantage)
    names = [ESTIMATOR]
    try:
        if trainer_module is None:
            from verl.trainer.ppo.v1 import trainer_base as trainer_module  # type: ignore[no-redef]
        if tq is None:
            import transfer_queue as tq  # type: ignore[no-redef]
    except ImportError:  # a verl without the v1 trainer or its TransferQueue: the estimator alone
        return names
    for mode, cls in list(trainer_module.TRAINER_REGISTRY.items()):
        if mode.startswith(TRAINER_PREFIX):
            continue
        name = TRAINER_PREFIX + mode
        if name not in trainer_module.TRAINER_REGISTRY:
            trainer_module.register_trainer(name)(make_trainer_class(cls, tq))
        names.append(name)
    return names


def setup() -> None:
    """Ray worker_process_setup_hook: registers in every worker process (the TaskRunner included)."""
    register()
