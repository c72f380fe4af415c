#!/usr/bin/env bash
# PA-GRPO on verl 0.10.0.dev (verl-project/verl 1dda039, the default v1 trainer): Qwen2.5-VL-7B, 8 GPUs.
# Needs p2r_rl importable on every node: pip install --no-build-isolation -e integrations/python
set -euo pipefail
MODEL=${MODEL:-Qwen/Qwen2.5-VL-7B-Instruct}
TOKENIZER_JSON=${TOKENIZER_JSON:-$HOME/.cache/qwen2.5-vl/tokenizer.json}   # for R_len token counts

python3 -m verl.trainer.main_ppo \
  +ray_kwargs.ray_init.runtime_env.worker_process_setup_hook=p2r_rl.verl.setup \
  trainer.use_v1=true \
  trainer.v1.trainer_mode=pa_grpo_sync \
  algorithm.adv_estimator=pa_grpo \
  +algorithm.pa_grpo_mode=separate \
  algorithm.use_kl_in_reward=false \
  reward.custom_reward_function.path=pkg://p2r_rl.verl \
  reward.custom_reward_function.name=compute_score \
  +reward.custom_reward_function.reward_kwargs.judge=field:judge \
  +reward.custom_reward_function.reward_kwargs.tokenizer="$TOKENIZER_JSON" \
  data.train_files=data/train.parquet \
  data.val_files=data/val.parquet \
  data.train_batch_size=64 \
  data.max_prompt_length=4096 \
  data.max_response_length=1024 \
  actor_rollout_ref.model.path="$MODEL" \
  actor_rollout_ref.actor.optim.lr=1e-6 \
  actor_rollout_ref.actor.ppo_mini_batch_size=32 \
  actor_rollout_ref.actor.use_kl_loss=true \
  actor_rollout_ref.actor.kl_loss_coef=0.04 \
  actor_rollout_ref.rollout.name=vllm \
  actor_rollout_ref.rollout.n=8 \
  trainer.rollout_data_dir=outputs/pa_grpo/rollouts \
  trainer.validation_data_dir=outputs/pa_grpo/val \
  trainer.n_gpus_per_node=8 \
  trainer.nnodes=1 \
  trainer.total_epochs=1 \
  "$@"
