"""TRL: the two reward functions and PaGrpoTrainer on the GRPOTrainer stand-in: (B, T) advantages, the
loss they drive, and the completions table's per-process columns."""

import os
from types import SimpleNamespace

import pytest
import torch

from conftest import PARITY
from engines import FakeGRPOTrainer, trl_policy_loss
from p2r_rl import perception_token_count
from p2r_rl.tokenizers import BpeTokenizer
from p2r_rl.trl import make_trainer_class, pa_grpo_reward_funcs

TOKENIZER = os.path.join(PARITY, "tokenizer.json")
ROWS = [
    {"prompt": "Which way?", "problem": "Which way?", "problem_type": "multiple choice", "solution": "<answer>B</answer>", "judge": seen, "completion": text}
    for seen, text in [
        (1, "<observation> the red circle moves left </observation> <think>so B</think><answer>B</answer>"),
        (0, "<observation> it moves </observation> <think>so B</think><answer>B</answer>"),
        (1, "<observation> the red circle moves left </observation> <think>so A</think><answer>A</answer>"),
        (0, "<think>no observation</think><answer>C</answer>"),
    ]
]


def test_reward_functions_return_each_process_total_and_log_its_parts():
    logged = {}
    perception, reasoning = pa_grpo_reward_funcs(judge="field:judge")
    assert (perception.__name__, reasoning.__name__) == ("perception_reward", "reasoning_reward")
    kwargs = {k: [r[k] for r in ROWS] for k in ("problem", "problem_type", "solution", "judge")}
    conversational = [[{"role": "assistant", "content": r["completion"]}] for r in ROWS]
    p = perception(prompts=None, completions=conversational, completion_ids=None, log_extra=logged.__setitem__, **kwargs)
    r = reasoning(prompts=None, completions=[x["completion"] for x in ROWS], completion_ids=None, log_extra=logged.__setitem__, **kwargs)
    assert p == [2.0, 1.0, 2.0, 0.0] and r == [2.0, 2.0, 1.0, 1.0]
    assert logged["perception_accuracy"] == [1.0, 0.0, 1.0, 0.0] and logged["judge_verdict"] == [1, 0, 1, 0]
    assert logged["reasoning_accuracy"] == [1.0, 1.0, 0.0, 0.0]


@pytest.fixture
def trainer(tmp_path):
    args = SimpleNamespace(num_generations=4, generation_batch_size=4, output_dir=str(tmp_path), scale_rewards="group")
    cls = make_trainer_class(FakeGRPOTrainer)
    return cls(model=None, args=args, processing_class=BpeTokenizer.from_file(TOKENIZER), pa_grpo_rewards={"judge": "field:judge"})


def test_the_trainer_replaces_b_advantages_by_b_t_ones_split_at_the_closing_tag(trainer):
    out = trainer._generate_and_score_completions(ROWS)
    adv, ids, mask = out["advantages"], out["completion_ids"], out["completion_mask"]
    assert adv.shape == ids.shape
    tok = trainer.processing_class
    a_p = (torch.tensor([2.0, 1.0, 2.0, 0.0]) - 1.25) / (torch.tensor([2.0, 1.0, 2.0, 0.0]).std() + 1e-4)
    a_r = (torch.tensor([2.0, 2.0, 1.0, 1.0]) - 1.5) / (torch.tensor([2.0, 2.0, 1.0, 1.0]).std() + 1e-4)
    for b, row in enumerate(ROWS):
        n = int(mask[b].sum())
        count = perception_token_count(tok.encode(row["completion"]).ids, tok) or 0
        assert adv[b, :count].tolist() == pytest.approx([a_p[b].item()] * count, abs=1e-5)
        assert adv[b, count:n].tolist() == pytest.approx([a_r[b].item()] * (n - count), abs=1e-5)
        assert adv[b, n:].abs().sum() == 0
    assert int((mask.sum(1) > 0).sum()) == 4


def test_per_token_advantages_drive_trls_loss_process_by_process(trainer):
    out = trainer._generate_and_score_completions(ROWS)
    mask = out["completion_mask"].float()
    logps = torch.zeros(mask.shape, requires_grad=True)
    trl_policy_loss(logps, out["advantages"], mask).backward()
    # d loss / d logp = -A(token) / (tokens in the sequence * batch): perception and reasoning tokens of
    # rollout 1 (judged blind, answer right) are pushed in opposite directions.
    grad = logps.grad * mask.sum(1, keepdim=True) * 4
    torch.testing.assert_close(grad, -out["advantages"] * mask)
    count = perception_token_count(trainer.processing_class.encode(ROWS[1]["completion"]).ids, trainer.processing_class)
    assert grad[1, 0] > 0 > grad[1, count]
    # Plain GRPO's (B,) advantage gives every token of a rollout the same gradient.
    scalar = torch.zeros(mask.shape, requires_grad=True)
    trl_policy_loss(scalar, torch.tensor([1.0, -1.0, 0.5, 0.0]), mask).backward()
    assert torch.unique(scalar.grad[1][mask[1] > 0]).numel() == 1


def test_the_completions_table_gets_per_process_columns(trainer):
    trainer._generate_and_score_completions(ROWS)
    trainer.state.global_step = 3
    path = trainer.log()
    assert path.endswith(os.path.join("completions", "completions_00003.parquet")) and os.path.getsize(path) > 100
    extra = trainer._logs["extra"]
    assert list(trainer._logs["rewards"]) == ["perception_reward", "reasoning_reward"]
    assert len(extra["perception_advantage"]) == len(extra["reasoning_advantage"]) == len(trainer._logs["advantages"]) == 4
    assert list(trainer._logs["advantages"]) == pytest.approx(list(extra["reasoning_advantage"]))  # separate: GRPO's = A_R


def test_batch_scaling_and_missing_reward_functions_are_refused(tmp_path):
    cls = make_trainer_class(FakeGRPOTrainer)
    args = SimpleNamespace(num_generations=4, generation_batch_size=4, output_dir=str(tmp_path), scale_rewards="batch")
    with pytest.raises(ValueError, match="batch"):
        cls(model=None, args=args, processing_class=None)
    args.scale_rewards = "group"
    with pytest.raises(ValueError, match="perception_reward"):
        cls(model=None, args=args, processing_class=None, reward_funcs=[lambda **kw: [0.0]])
