"""Stand-ins for the parts of verl and TRL that p2r_rl plugs into, reduced to the calls it relies on, so
the integration code runs without a cluster, a model or either engine installed. Each mirrors the
engine's code at the targeted version:

- verl 1dda039 (0.10.0.dev): core_algos.register_adv_est / ADV_ESTIMATOR_REGISTRY; the v1 trainer's
  _compute_advantage (fetch uid, response_mask, rm_scores from the TransferQueue, pad, call the
  estimator with token_level_rewards, response_mask, config, index), _log_rollout_data (rows sorted
  by key, reward_extra_infos_dict = {"uid": keys}) and _dump_generations; the agent loop's rm_scores
  (the score at the last response token) and extra_fields["reward_extra_info"].
- TRL f2cd577 (1.10.0.dev): GRPOTrainer._calculate_rewards (reward functions called with the dataset
  columns, trainer_state and log_extra), _generate_and_score_completions (sum_then_normalize group
  advantages of shape (B,), the logs), log() (completions_{step:05d}.parquet), and _compute_loss's
  per-token objective that accepts (B,) or (B, T) advantages.
"""

from __future__ import annotations

import os
from collections import defaultdict, deque
from types import SimpleNamespace
from typing import Any, Callable, Optional

import torch

from p2r_rl.parquet import write_table
from p2r_rl.verl import write_generations

# ---- verl ---------------------------------------------------------------------------------------------


class Config(dict):
    """An OmegaConf-like config: keys as attributes, .get() with a default."""

    def __getattr__(self, name: str) -> Any:
        try:
            value = self[name]
        except KeyError as e:
            raise AttributeError(name) from e
        return Config(value) if isinstance(value, dict) and not isinstance(value, Config) else value


def fake_core_algos() -> SimpleNamespace:
    registry: dict[str, Callable] = {}

    def register_adv_est(name: str) -> Callable:
        def decorator(fn: Callable) -> Callable:
            if name in registry and registry[name] != fn:
                raise ValueError(f"Adv estimator {name} has already been registered: {registry[name]} vs {fn}")
            registry[name] = fn
            return fn

        return decorator

    return SimpleNamespace(ADV_ESTIMATOR_REGISTRY=registry, register_adv_est=register_adv_est)


class FakeTQ:
    """The TransferQueue: fields per key."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def kv_put(self, key: str, fields: dict) -> None:
        self.rows.setdefault(key, {}).update(fields)

    def kv_batch_get(self, keys: list[str], partition_id: str, select_fields: list[str]) -> dict[str, list]:
        missing = [f for f in select_fields if any(f not in self.rows[k] for k in keys)]
        if missing:
            raise KeyError(f"fields not in the TransferQueue: {missing}")
        return {f: [self.rows[k][f] for k in keys] for f in select_fields}


def _pad(rows: list[torch.Tensor], value: float = 0) -> torch.Tensor:
    width = max(len(r) for r in rows)
    out = torch.full((len(rows), width), value, dtype=rows[0].dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def fake_trainer_module(core_algos: SimpleNamespace, tq: FakeTQ) -> SimpleNamespace:
    """verl.trainer.ppo.v1.trainer_base: PPOTrainer (with the two methods p2r_rl overrides), the
    trainer registry, and a registered 'sync' trainer."""
    registry: dict[str, type] = {}

    class PPOTrainer:
        def __init__(self, config: Config, tokenizer: Any) -> None:
            self.config, self.tokenizer, self.global_steps = config, tokenizer, 1

        def _compute_advantage(self, batch: SimpleNamespace, metrics: dict) -> SimpleNamespace:
            data = tq.kv_batch_get(batch.keys, batch.partition_id, ["uid", "response_mask", "rm_scores"])
            response_mask = _pad(data["response_mask"])
            token_level_rewards = _pad(data["rm_scores"])
            estimator = core_algos.ADV_ESTIMATOR_REGISTRY[self.config.algorithm.adv_estimator]
            advantages, _ = estimator(token_level_rewards=token_level_rewards, response_mask=response_mask, config=self.config.algorithm, index=list(data["uid"]))
            for key, row, length in zip(batch.keys, advantages, response_mask.sum(-1).tolist()):
                tq.kv_put(key, {"advantages": row[: int(length)]})
            return batch

        def _log_rollout_data(self, batch: SimpleNamespace, dump_dir: str) -> None:
            data = tq.kv_batch_get(batch.keys, batch.partition_id, ["uid", "prompts", "responses", "rm_scores", "reward_model"])
            order = sorted(range(len(batch.keys)), key=lambda i: batch.keys[i])
            def decode(ids: list[int]) -> str:
                return self.tokenizer.decode(ids, skip_special_tokens=True)

            self._dump_generations(
                inputs=[decode(data["prompts"][i].tolist()) for i in order],
                outputs=[decode(data["responses"][i].tolist()) for i in order],
                gts=[data["reward_model"][i]["ground_truth"] for i in order],
                scores=[float(data["rm_scores"][i].sum()) for i in order],
                reward_extra_infos_dict={"uid": [batch.keys[i] for i in order]},
                dump_path=dump_dir,
            )

        def _dump_generations(self, inputs, outputs, gts, scores, reward_extra_infos_dict, dump_path):  # noqa: ANN001
            write_generations(dump_path, self.global_steps, inputs, outputs, gts, scores, reward_extra_infos_dict)

    def register_trainer(name: str) -> Callable:
        def decorator(cls: type) -> type:
            if name in registry and registry[name] is not cls:
                raise ValueError(f"Trainer name '{name}' is already registered")
            registry[name] = cls
            return cls

        return decorator

    module = SimpleNamespace(PPOTrainer=PPOTrainer, TRAINER_REGISTRY=registry, register_trainer=register_trainer)

    @register_trainer("sync")
    class PPOTrainerSync(PPOTrainer):
        pass

    return module


def agent_loop_put(tq: FakeTQ, key: str, uid: str, prompt_ids: list[int], response_ids: list[int], score: dict, ground_truth: str) -> None:
    """What verl's AgentLoopWorkerTQ puts for one trajectory: rm_scores has the score at the last
    response token; compute_score's dict is extra_fields["reward_extra_info"]."""
    rm_scores = torch.zeros(len(response_ids), dtype=torch.float32)
    rm_scores[-1] = score["score"]
    tq.kv_put(
        key,
        {
            "uid": uid,
            "prompts": torch.tensor(prompt_ids),
            "responses": torch.tensor(response_ids),
            "response_mask": torch.ones(len(response_ids), dtype=torch.int64),
            "rm_scores": rm_scores,
            "reward_model": {"ground_truth": ground_truth},
            "extra_fields": {"reward_extra_info": score, "min_global_steps": 0},
        },
    )


# ---- TRL ----------------------------------------------------------------------------------------------


class FakeGRPOTrainer:
    """GRPOTrainer, minus the model: each dataset row carries the completion the policy "sampled"."""

    def __init__(self, model: Any = None, reward_funcs: Optional[list] = None, args: Any = None, processing_class: Any = None, **kwargs: Any):
        self.reward_funcs = list(reward_funcs or [])
        self.reward_func_names = [f.__name__ for f in self.reward_funcs]
        self.reward_weights = torch.ones(len(self.reward_funcs))
        self.args = args
        self.num_generations = args.num_generations
        self.scale_rewards = getattr(args, "scale_rewards", "group")
        self.processing_class = processing_class
        self.model = SimpleNamespace(training=True)
        self.accelerator = SimpleNamespace(process_index=0, device="cpu")
        self.state = SimpleNamespace(global_step=0)
        size = args.generation_batch_size
        self._logs = {
            "prompt": deque(maxlen=size),
            "completion": deque(maxlen=size),
            "rewards": defaultdict(lambda: deque(maxlen=size)),
            "advantages": deque(maxlen=size),
            "extra": defaultdict(lambda: deque(maxlen=size)),
        }
        self._pending_extra_logs: dict[str, list] = defaultdict(list)

    def _log_completion_extra(self, column: str, values: list) -> None:
        self._pending_extra_logs[column].extend(values)

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):  # noqa: ANN001
        keys = [k for k in inputs[0] if k not in ("prompt", "completion", "completion_ids")]
        kwargs = {k: [x[k] for x in inputs] for k in keys}
        kwargs["trainer_state"] = self.state
        kwargs["log_extra"] = self._log_completion_extra
        out = torch.zeros(len(prompts), len(self.reward_funcs))
        for i, fn in enumerate(self.reward_funcs):
            values = fn(prompts=prompts, completions=completions, completion_ids=completion_ids_list, **kwargs)
            out[:, i] = torch.tensor([torch.nan if v is None else v for v in values], dtype=torch.float32)
        return out  # gather() over one process

    def _generate_and_score_completions(self, inputs: list[dict]) -> dict:
        tok = self.processing_class
        prompts = [x["prompt"] for x in inputs]
        completions = [x["completion"] for x in inputs]
        eos = tok.token_to_id("<|im_end|>")
        ids = [tok.encode(c).ids + [eos] for c in completions]
        completion_ids = _pad([torch.tensor(r) for r in ids]).long()
        completion_mask = _pad([torch.ones(len(r), dtype=torch.int64) for r in ids])
        rewards_per_func = self._calculate_rewards(inputs, prompts, completions, ids)
        rewards = (rewards_per_func * self.reward_weights.unsqueeze(0)).nansum(dim=1)
        grouped = rewards.view(-1, self.num_generations)
        mean = grouped.mean(dim=1).repeat_interleave(self.num_generations)
        std = grouped.std(dim=1).repeat_interleave(self.num_generations)
        advantages = (rewards - mean) / (std + 1e-4)
        self._logs["prompt"].extend(prompts)
        self._logs["completion"].extend(completions)
        for i, name in enumerate(self.reward_func_names):
            self._logs["rewards"][name].extend(rewards_per_func[:, i].tolist())
        self._logs["advantages"].extend(advantages.tolist())
        for column in sorted(self._pending_extra_logs):
            self._logs["extra"][column].extend(self._pending_extra_logs[column])
        self._pending_extra_logs.clear()
        return {"completion_ids": completion_ids, "completion_mask": completion_mask, "advantages": advantages}

    def log(self) -> str:
        """TRL's log(): the completions table, written as completions_{global_step:05d}.parquet."""
        table = {
            "step": [self.state.global_step] * len(self._logs["prompt"]),
            "prompt": list(self._logs["prompt"]),
            "completion": list(self._logs["completion"]),
            **{k: list(v) for k, v in self._logs["rewards"].items()},
            **{k: list(v) for k, v in self._logs["extra"].items()},
            "advantage": list(self._logs["advantages"]),
        }
        folder = os.path.join(self.args.output_dir, "completions")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"completions_{self.state.global_step:05d}.parquet")
        write_table(path, table)
        return path


def trl_policy_loss(per_token_logps: torch.Tensor, advantages: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """TRL's _compute_loss on-policy (ratio 1, loss_type 'grpo'): (B,) advantages are unsqueezed, (B, T)
    ones used as they are; per-sequence masked means, averaged."""
    if advantages.dim() == 1:
        advantages = advantages.unsqueeze(1)
    coef = torch.exp(per_token_logps - per_token_logps.detach())
    per_token_loss = -coef * advantages
    return ((per_token_loss * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)).mean()
