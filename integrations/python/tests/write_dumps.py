"""Runs p2r_rl's verl and TRL integrations over the shared parity fixture on the engine stand-ins of
engines.py, and writes what those runs write:

  OUT/verl/rollout/{step}.jsonl                   verl's rollout_data_dir (steps 1 and 2)
  OUT/trl/completions/completions_00001.parquet   TRL's completions table
  OUT/expected.json                               the per-sample numbers the package computed

The inspector round-trip test (tests/pure/python_roundtrip.test.ts) imports these files; the pytest
suite checks them too. Usage: /usr/bin/python3 integrations/python/tests/write_dumps.py OUT
"""

from __future__ import annotations

import json
import os
import sys
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from engines import Config, FakeGRPOTrainer, FakeTQ, agent_loop_put, fake_core_algos, fake_trainer_module  # noqa: E402

from p2r_rl import verl as p2r_verl  # noqa: E402
from p2r_rl.rewards import compute_score, group_key, validate_record  # noqa: E402
from p2r_rl.tokenizers import BpeTokenizer  # noqa: E402
from p2r_rl.trl import make_trainer_class  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "parity", "rollouts.jsonl")
TOKENIZER = os.path.join(ROOT, "tests", "fixtures", "parity", "tokenizer.json")
REWARD_OPTIONS = {"judge": "field:judge", "tokenizer": TOKENIZER, "perception_length": "3:12", "reasoning_length": "4:16"}


def fixture_groups() -> list[list[dict]]:
    """The fixture's valid records, grouped by (problem_id, step), in order of first appearance."""
    groups: dict[tuple, list[dict]] = {}
    with open(FIXTURE, encoding="utf-8") as f:
        for line in f:
            try:
                record, error = validate_record(json.loads(line))
            except ValueError:
                continue
            if error is None:
                groups.setdefault(group_key(record), []).append(record)
    return list(groups.values())


def extra_info(record: dict) -> dict:
    keys = ("problem_id", "problem", "problem_type", "options", "data_type", "facts", "judge")
    return {k: record[k] for k in keys if k in record}


def write_verl(out: str, tokenizer: BpeTokenizer) -> dict:
    """Two training steps of the pa_grpo_sync trainer on the verl stand-ins."""
    core_algos, tq = fake_core_algos(), FakeTQ()
    trainer_module = fake_trainer_module(core_algos, tq)
    names = p2r_verl.register(core_algos=core_algos, trainer_module=trainer_module, tq=tq)
    config = Config(algorithm=Config(adv_estimator="pa_grpo", pa_grpo_mode="separate"), trainer=Config(rollout_data_dir=os.path.join(out, "rollout")))
    trainer = trainer_module.TRAINER_REGISTRY["pa_grpo_sync"](config, tokenizer)
    eos = tokenizer.token_to_id("<|im_end|>")
    expected = {"estimators": sorted(core_algos.ADV_ESTIMATOR_REGISTRY), "trainers": names, "steps": {}}
    for step in (1, 2):
        keys = []
        for g, records in enumerate(fixture_groups()):
            uid = f"s{step}g{g}"
            for j, record in enumerate(records):
                response = tokenizer.encode(record["output"]).ids + [eos]
                text = tokenizer.decode(response, skip_special_tokens=True)
                score = compute_score("p2r-parity", text, record["solution"], extra_info(record), **REWARD_OPTIONS)
                key = f"{uid}_{j}_0"
                agent_loop_put(tq, key, uid, tokenizer.encode(record["problem"]).ids, response, score, record["solution"])
                keys.append(key)
        batch = SimpleNamespace(keys=keys, partition_id="train")
        trainer.global_steps = step
        metrics: dict = {}
        trainer._compute_advantage(batch, metrics)
        trainer._log_rollout_data(batch, config.trainer.rollout_data_dir)
        expected["steps"][step] = {
            key: {"advantages": tq.rows[key]["advantages"].tolist(), "reward": tq.rows[key]["extra_fields"]["reward_extra_info"]} for key in keys
        }
        expected["steps"][step]["metrics"] = metrics
    return expected


def write_trl(out: str, tokenizer: BpeTokenizer) -> dict:
    """One generation batch of PaGrpoTrainer on the GRPOTrainer stand-in: the fixture groups of 4."""
    groups = [g for g in fixture_groups() if len(g) == 4]
    rows = [dict(r, prompt=r["problem"], completion=r["output"]) for g in groups for r in g]
    args = SimpleNamespace(num_generations=4, generation_batch_size=len(rows), output_dir=os.path.join(out, "trl"), scale_rewards="group")
    trainer = make_trainer_class(FakeGRPOTrainer)(model=None, args=args, processing_class=tokenizer, pa_grpo_rewards=REWARD_OPTIONS)
    trainer.state.global_step = 1
    output = trainer._generate_and_score_completions(rows)
    path = trainer.log()
    return {"parquet": path, "advantages": output["advantages"].tolist(), "completion_ids": output["completion_ids"].tolist(), "rows": len(rows)}


def write_dumps(out: str) -> dict:
    tokenizer = BpeTokenizer.from_file(TOKENIZER)
    expected = {"verl": write_verl(os.path.join(out, "verl"), tokenizer), "trl": write_trl(out, tokenizer)}
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)
    return expected


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    write_dumps(sys.argv[1])
