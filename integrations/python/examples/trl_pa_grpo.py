"""PA-GRPO with TRL (1.10.0.dev, huggingface/trl f2cd577): GRPOTrainer with per-token advantages, A_P on
the <observation> tokens and A_R on <think>/<answer>. Data: Video-R1 / VideoP2R records in JSON Lines
(problem, problem_type, options, solution, and `judge` verdicts or scene `facts` for the judge).

  accelerate launch trl_pa_grpo.py --model Qwen/Qwen2.5-7B-Instruct --data train.jsonl --out runs/pa-grpo

The completions table (runs/pa-grpo/completions/completions_*.parquet) has perception_reward,
reasoning_reward, their parts and perception_advantage / reasoning_advantage: import it on P2R Lab's
Rollouts page. (Video inputs need a VLM processor and its dataset columns; the rewards do not change.)
"""

import argparse

from datasets import load_dataset
from trl import GRPOConfig

from p2r_rl.trl import PaGrpoTrainer

TEMPLATE = (
    "{question}\nFirst describe what you observe inside <observation> </observation>, then think inside "
    "<think> </think>, then give the final answer inside <answer> </answer>."
)


def to_prompt(record):
    options = record.get("options") or []
    question = record["problem"] + ("\nOptions:\n" + "\n".join(options) if options else "")
    return {"prompt": [{"role": "user", "content": TEMPLATE.format(question=question)}]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--judge", default="field:judge", help="rules | field:NAME | http (then --judge-url, --judge-model)")
    p.add_argument("--judge-url")
    p.add_argument("--judge-model")
    p.add_argument("--tokenizer", default="whitespace", help="whitespace | bytes | PATH/tokenizer.json, for R_len")
    p.add_argument("--mode", default="pa-grpo", help="pa-grpo or an ablation: grpo, without-rr, without-rp, ...")
    a = p.parse_args()

    dataset = load_dataset("json", data_files=a.data, split="train").map(to_prompt)
    args = GRPOConfig(
        output_dir=a.out,
        num_generations=8,
        per_device_train_batch_size=8,
        max_completion_length=1024,
        learning_rate=1e-6,
        beta=0.04,
        log_completions=True,  # writes completions/completions_{step:05d}.parquet
        logging_steps=1,
    )
    rewards = {"judge": a.judge, "tokenizer": a.tokenizer, "mode": a.mode}
    if a.judge == "http":
        rewards.update(judge_url=a.judge_url, judge_model=a.judge_model)
    trainer = PaGrpoTrainer(
        model=a.model,
        args=args,
        train_dataset=dataset,
        pa_grpo={"mode": a.mode},  # advantages: the same ablation as the rewards
        pa_grpo_rewards=rewards,
    )
    trainer.train()


if __name__ == "__main__":
    main()
