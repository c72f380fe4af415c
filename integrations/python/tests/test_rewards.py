"""Rewards: Video-R1 accuracy (the sanity cases of method.md §6), the template, and verl's compute_score."""

import os

import pytest

from conftest import PARITY
from p2r_rl import compute_score
from p2r_rl.accuracy import accuracy_reward, rouge_f1_mean
from p2r_rl.config import options_from_kwargs, resolve_config
from p2r_rl.porter import porter_stem
from p2r_rl.template import extract_answer, parse_completion

GOOD = "<observation> the red circle moves left </observation> <think> it moves left, so B </think><answer>B</answer>"
MC_INFO = {"problem": "Which way?", "problem_type": "multiple choice", "options": ["A. up", "B. left"], "judge": "yes"}


def test_multiple_choice_compares_stripped_answers_case_sensitively():
    assert accuracy_reward("multiple choice", extract_answer("<answer> B </answer>"), extract_answer("<answer>B</answer>")) == 1.0
    assert accuracy_reward("multiple choice", "B.", "B") == 0.0
    assert accuracy_reward("multiple choice", "b", "B") == 0.0


def test_numerical_rounds_as_python_and_refuses_a_decimal_point_on_one_side():
    assert accuracy_reward("numerical", "2.675", "2.67") == 1.0  # round(2.675, 2) == 2.67
    assert accuracy_reward("numerical", "3", "3.0") == 0.0
    assert accuracy_reward("numerical", "1,000", "1,000.00") == 1.0


def test_regression_ocr_and_free_form_give_partial_credit():
    assert accuracy_reward("regression", "12", "10") == pytest.approx(0.8, abs=1e-8)
    assert accuracy_reward("OCR", "hello", "hello world") == 0.5
    assert accuracy_reward("free-form", "红色的圆", "the red circle") == 0.0  # rouge_score drops non-ASCII
    assert 0.5 < rouge_f1_mean("the circles moved left", "a circle moves left") < 1.0
    assert accuracy_reward("unknown type", "a", "a") == 0.0


def test_porter_stemmer_follows_nltk_extensions():
    assert [porter_stem(w) for w in ["caresses", "ponies", "dying", "relational", "generalization", "skies"]] == [
        "caress", "poni", "die", "relat", "gener", "sky",
    ]  # fmt: skip


def test_template_flags_a_missing_observation_and_a_broken_closing_tag():
    assert parse_completion(GOOD).format_perception and parse_completion(GOOD).format_reasoning
    missing = parse_completion("<think>x</think><answer>B</answer>")
    assert missing.perception_end is None and not missing.format_perception and missing.format_reasoning
    broken = parse_completion("</<observation> x </observation> <think>B</think><answer>B<answer>")
    assert not broken.format_perception and not broken.format_reasoning and broken.extracted_answer == ""


def test_compute_score_returns_score_and_both_processes_parts_and_the_verdict():
    out = compute_score("video", GOOD, "B", MC_INFO, judge="field:judge")
    assert out["score"] == out["reasoning_total"] == 2.0  # the ground truth 'B' is wrapped in <answer>
    assert {k: out[k] for k in ("perception_accuracy", "perception_format", "perception_length", "perception_total")} == {
        "perception_accuracy": 1.0, "perception_format": 1.0, "perception_length": 0.0, "perception_total": 2.0,
    }  # fmt: skip
    assert (out["judge_called"], out["judge_verdict"], out["judge_error"]) == (1, 1, "")
    no_obs = compute_score("video", "<think>B</think><answer>B</answer>", "<answer>B</answer>", MC_INFO, judge="field:judge")
    assert (no_obs["judge_called"], no_obs["perception_total"], no_obs["reasoning_total"]) == (0, 0.0, 2.0)


def test_compute_score_takes_the_scoring_cli_options_as_keyword_arguments():
    kwargs = {"judge": "field:judge", "tokenizer": "bytes", "perception_length": "10:60", "reasoning_length": (10, 60), "len_bonus": 0.5}
    out = compute_score("video", GOOD, "B", MC_INFO, **kwargs)
    assert out["perception_tokens"] == len("<observation> the red circle moves left </observation>")
    assert (out["perception_length"], out["reasoning_length"]) == (0.5, 0.5)
    bpe = compute_score("video", GOOD, "B", MC_INFO, judge="field:judge", tokenizer=os.path.join(PARITY, "tokenizer.json"))
    assert 0 < bpe["perception_tokens"] < out["perception_tokens"]
    without_rr = compute_score("video", GOOD, "B", MC_INFO, judge="field:judge", mode="without-rr")
    assert (without_rr["score"], without_rr["perception_total"]) == (0.0, 2.0)
    # verl's own keyword arguments for GenRM judges pass through; a misspelt option does not.
    assert compute_score("video", GOOD, "B", MC_INFO, judge="field:judge", reward_router_address=None)["score"] == 2.0
    with pytest.raises(TypeError, match="judje"):
        compute_score("video", GOOD, "B", MC_INFO, judje="rules")


def test_options_have_the_cli_defaults_and_refuse_bad_values():
    assert options_from_kwargs().config == resolve_config("pa-grpo")
    c = resolve_config("pa-grpo")
    assert (c.eps, c.len_bonus, c.perception_length, c.reasoning_length, c.accuracy_threshold) == (1e-4, 0.2, (128, 320), (320, 512), 0.0)
    assert resolve_config("without-rp").advantage_mode == "grpo"
    with pytest.raises(ValueError):
        options_from_kwargs(mode="no-such-mode")
    with pytest.raises(ValueError):
        options_from_kwargs(judge="http")  # needs judge_url and judge_model
    with pytest.raises(ValueError, match="group rule"):
        compute_score("video", GOOD, "B", MC_INFO, judge="field:judge", len_multiple_correct=True)


def test_compute_score_reads_scene_facts_stored_as_json_text_for_the_rules_judge():
    facts = '[{"id": "f1", "text": "red circle moves left", "mentions": [["red"], ["circle"], ["left"]]}]'
    info = {**MC_INFO, "facts": facts}
    assert compute_score("video", GOOD, "B", info)["judge_verdict"] == 1
    blind = GOOD.replace("red circle moves left", "something moves")
    assert compute_score("video", blind, "B", info)["judge_verdict"] == 0
