"""verl: registration (on the stand-ins and by `import p2r_rl` with a verl on the path), the pa_grpo
estimator, and the pa_grpo_sync trainer's advantages and rollout dumps."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from conftest import PARITY
from engines import Config, FakeTQ, fake_core_algos, fake_trainer_module
from p2r_rl import perception_token_count
from p2r_rl import verl as p2r_verl
from p2r_rl.tokenizers import BpeTokenizer
from write_dumps import write_dumps

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_register_adds_the_estimator_and_one_pa_grpo_trainer_per_v1_trainer_once():
    core, tq = fake_core_algos(), FakeTQ()
    trainers = fake_trainer_module(core, tq)
    assert p2r_verl.register(core, trainers, tq) == ["pa_grpo", "pa_grpo_sync"]
    assert p2r_verl.register(core, trainers, tq) == ["pa_grpo", "pa_grpo_sync"]  # idempotent
    assert core.ADV_ESTIMATOR_REGISTRY["pa_grpo"] is p2r_verl.compute_pa_grpo_outcome_advantage
    assert issubclass(trainers.TRAINER_REGISTRY["pa_grpo_sync"], trainers.TRAINER_REGISTRY["sync"])
    other = fake_core_algos()
    other.register_adv_est("pa_grpo")(lambda **kw: None)
    with pytest.raises(ValueError, match="already has"):
        p2r_verl.register(other, trainers, tq)


def test_importing_p2r_rl_registers_with_an_importable_verl(tmp_path):
    files = {
        "verl/__init__.py": "",
        "verl/trainer/__init__.py": "",
        "verl/trainer/ppo/__init__.py": "",
        "verl/trainer/ppo/core_algos.py": """
            ADV_ESTIMATOR_REGISTRY = {}
            def register_adv_est(name):
                def decorator(fn):
                    ADV_ESTIMATOR_REGISTRY[name] = fn
                    return fn
                return decorator
        """,
        "verl/trainer/ppo/v1/__init__.py": "from . import trainer_base",
        "verl/trainer/ppo/v1/trainer_base.py": """
            TRAINER_REGISTRY = {}
            def register_trainer(name):
                def decorator(cls):
                    TRAINER_REGISTRY[name] = cls
                    return cls
                return decorator
            class PPOTrainer: pass
            @register_trainer("sync")
            class PPOTrainerSync(PPOTrainer): pass
        """,
        "transfer_queue/__init__.py": "",
    }
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(textwrap.dedent(text))
    code = (
        "import p2r_rl\n"
        "from verl.trainer.ppo import core_algos\n"
        "from verl.trainer.ppo.v1 import trainer_base\n"
        "print(sorted(core_algos.ADV_ESTIMATOR_REGISTRY), sorted(trainer_base.TRAINER_REGISTRY))\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{PACKAGE}"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['pa_grpo'] ['pa_grpo_sync', 'sync']"


def test_the_estimator_gives_token_advantages_and_says_how_to_get_its_inputs():
    response_mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    mask = torch.tensor([[True, True, False, False], [True, False, False, False]])
    adv, returns = p2r_verl.compute_pa_grpo_outcome_advantage(
        torch.zeros(2, 4), response_mask, index=["u", "u"], perception_rewards=[2.0, 0.0], reasoning_rewards=[1.0, 1.0], perception_mask=mask
    )
    a = 2.0 / (2**0.5 + 1e-4)  # (2 - 1) / (std of [2, 0] + eps)
    torch.testing.assert_close(adv, torch.tensor([[a / 2, a / 2, 0, 0], [-a / 2, 0, 0, 0]]), atol=1e-5, rtol=0)
    assert returns is adv
    with pytest.raises(RuntimeError, match="trainer_mode=pa_grpo_sync"):
        p2r_verl.compute_pa_grpo_outcome_advantage(torch.zeros(2, 4), response_mask, index=["u", "u"])
    with pytest.raises(ValueError, match="use_kl_in_reward=false"):
        p2r_verl.compute_pa_grpo_outcome_advantage(torch.zeros(2, 4), response_mask, config=Config(use_kl_in_reward=True))


def test_the_group_length_rule_takes_back_the_bonus_where_at_most_one_is_correct():
    totals = p2r_verl.apply_group_length_rule([2.2, 1.2, 2.2, 2.2], [1.0, 0.0, 1.0, 1.0], [0.2, 0.2, 0.2, 0.2], ["a", "a", "b", "b"], 0.1)
    assert totals == pytest.approx([2.0, 1.0, 2.2, 2.2])


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    out = tmp_path_factory.mktemp("dumps")
    return str(out), write_dumps(str(out))


def test_the_trainer_gives_a_p_to_tokens_through_the_closing_tag_and_a_r_after(dumps):
    _, expected = dumps
    tokenizer = BpeTokenizer.from_file(os.path.join(PARITY, "tokenizer.json"))
    rows = [json.loads(line) for line in open(os.path.join(dumps[0], "verl", "rollout", "1.jsonl"), encoding="utf-8")]
    by_uid = {r["uid"]: r for r in rows}
    mixed = 0
    for key, info in expected["verl"]["steps"][1].items():
        if key == "metrics":
            continue
        row = by_uid[key]
        tokens = info["advantages"]
        ids = tokenizer.encode(row["output"]).ids  # the dump's output is the decoded response
        count = perception_token_count(ids, tokenizer) or 0
        assert tokens[:count] == pytest.approx([row["perception_advantage"]] * count, abs=1e-6)
        assert tokens[count:] == pytest.approx([row["reasoning_advantage"]] * (len(tokens) - count), abs=1e-6)
        mixed += row["perception_advantage"] != row["reasoning_advantage"] and count > 0
    assert mixed > 5
    assert expected["verl"]["steps"][1]["metrics"]["pa_grpo/perception_tokens/mean"] > 0


def test_the_training_dump_has_verl_keys_and_the_per_process_keys(dumps):
    rows = [json.loads(line) for line in open(os.path.join(dumps[0], "verl", "rollout", "2.jsonl"), encoding="utf-8")]
    assert list(rows[0])[:6] == ["input", "output", "gts", "score", "step", "uid"]
    for key in p2r_verl.REWARD_KEYS + p2r_verl.ADVANTAGE_KEYS:
        assert all(key in r for r in rows), key
    assert all(r["step"] == 2 and abs(r["score"] - r["reasoning_total"]) < 1e-6 for r in rows)  # score: float32 rm_scores
    assert [r["uid"] for r in rows] == sorted(r["uid"] for r in rows)
    assert any(r["judge_error"] for r in rows) and any(r["perception_length"] > 0 for r in rows)


def test_rows_out_of_order_are_refused():
    batch = p2r_verl.PaGrpoBatch([1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 0.0], torch.zeros(2, 3, dtype=torch.bool), uids=["a", "b"])
    with p2r_verl.pending(batch), pytest.raises(ValueError, match="uid mismatch"):
        p2r_verl.compute_pa_grpo_outcome_advantage(torch.zeros(2, 3), torch.ones(2, 3), index=["b", "a"], config=Config())
