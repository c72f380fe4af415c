"""pa_grpo_advantages in every mode, and per-token advantages from token ids (byte and BPE tokenizers,
a Hugging Face-style byte-level tokenizer, and a tokenizer that only decodes)."""

import os

import numpy as np
import pytest
import torch

from conftest import PARITY
from p2r_rl import pa_grpo_advantages, perception_mask_from_ids, perception_token_count, token_advantages
from p2r_rl.advantages import text_token_advantages
from p2r_rl.tokenizers import BYTE_TO_UNICODE, BpeTokenizer, ByteTokenizer

R_P = [2.0, 1.0, 1.0, 3.0, 0.5, 0.5]
R_R = [1.0, 1.0, 1.0, 2.0, 0.0, 1.0]
INDEX = np.array(["a", "a", "a", "b", "b", "b"], dtype=object)  # verl's uid array


def norm(xs):
    t = torch.tensor(xs, dtype=torch.float64)
    if bool((t == t[0]).all()):
        return torch.zeros_like(t)
    return (t - t.mean()) / (t.std() + 1e-4)


def test_separate_mode_normalises_each_process_in_its_group():
    a_p, a_r = pa_grpo_advantages(torch.tensor(R_P), torch.tensor(R_R), INDEX)
    assert a_p.dtype == torch.float32 and a_p.shape == (6,)
    torch.testing.assert_close(a_p.double(), torch.cat([norm(R_P[:3]), norm(R_P[3:])]), atol=1e-6, rtol=0)
    # Group a's reasoning rewards are all equal: exactly zero, perception still moves.
    assert a_r[:3].tolist() == [0.0, 0.0, 0.0] and a_p[:3].abs().sum() > 0
    torch.testing.assert_close(a_r[3:].double(), norm(R_R[3:]), atol=1e-6, rtol=0)


def test_every_ablation_mode_of_the_scoring_cli():
    sep_p, sep_r = pa_grpo_advantages(R_P, R_R, INDEX)
    cases = {
        "pa-grpo": (sep_p, sep_r),
        "without-rl": (sep_p, sep_r),
        "grpo": (sep_r, sep_r),
        "without-rp": (sep_r, sep_r),
        "without-rr": (sep_p, torch.zeros(6)),
        "sum-advantages": (sep_p + sep_r, sep_p + sep_r),
        "without-separation": (sep_p + sep_r, sep_p + sep_r),
    }
    for mode, (want_p, want_r) in cases.items():
        a_p, a_r = pa_grpo_advantages(R_P, R_R, INDEX, mode=mode)
        torch.testing.assert_close(a_p, want_p.float(), atol=1e-6, rtol=0, msg=mode)
        torch.testing.assert_close(a_r, want_r.float(), atol=1e-6, rtol=0, msg=mode)
    summed = torch.cat([norm([p + r for p, r in zip(R_P[:3], R_R[:3])]), norm([p + r for p, r in zip(R_P[3:], R_R[3:])])]).float()
    for mode in ("sum-rewards", "without-separation-sum-rewards"):
        a_p, a_r = pa_grpo_advantages(R_P, R_R, INDEX, mode=mode)
        torch.testing.assert_close(a_p, summed, atol=1e-6, rtol=0)
        torch.testing.assert_close(a_r, summed, atol=1e-6, rtol=0)
    with pytest.raises(ValueError):
        pa_grpo_advantages(R_P, R_R, INDEX, mode="separated")


def test_epsilon_biased_std_and_groups_from_a_tensor_index():
    a_p, _ = pa_grpo_advantages(R_P, R_R, torch.tensor([0, 0, 0, 1, 1, 1]), epsilon=0.5, unbiased=False)
    t = torch.tensor(R_P[:3], dtype=torch.float64)
    torch.testing.assert_close(a_p[:3].double(), (t - t.mean()) / (t.std(unbiased=False) + 0.5), atol=1e-6, rtol=0)
    a_single, _ = pa_grpo_advantages([5.0], [1.0], ["only"])
    assert a_single.tolist() == [0.0]


TEXT = "<observation> a red circle, café 🙂 </observation> <think>left</think><answer>B</answer>"


def _expected_count(text, tokenizer):
    end = text.index("</observation>") + len("</observation>")
    return sum(1 for start, _ in tokenizer.encode(text).offsets if start < end)


@pytest.mark.parametrize("name", ["bytes", "bpe"])
def test_the_perception_tokens_found_from_ids_are_those_starting_before_the_closing_tag(name):
    tokenizer = ByteTokenizer() if name == "bytes" else BpeTokenizer.from_file(os.path.join(PARITY, "tokenizer.json"))
    for text in (TEXT, "<observation>x</observation><think>y</think><answer>C</answer>", "no tags at all"):
        ids = tokenizer.encode(text).ids
        count = perception_token_count(ids, tokenizer)
        if "</observation>" in text:
            assert count == _expected_count(text, tokenizer) and 0 < count < len(ids)
        else:
            assert count is None
    ids = tokenizer.encode(TEXT).ids
    mask = perception_mask_from_ids([ids, ids[:5]], tokenizer, width=len(ids) + 3)
    assert mask.shape == (2, len(ids) + 3)
    assert int(mask[0].sum()) == _expected_count(TEXT, tokenizer) and int(mask[1].sum()) == 0  # truncated: no closing tag
    assert int(perception_mask_from_ids([ids[:5]], tokenizer, missing_observation="perception").sum()) == 5


def test_a_bpe_token_spanning_the_closing_tag_counts_as_perception():
    tokenizer = BpeTokenizer.from_file(os.path.join(PARITY, "tokenizer.json"))
    text = "<observation>moves</observation> <think>B</think><answer>B</answer>"
    enc = tokenizer.encode(text)
    end = text.index("</observation>") + len("</observation>")
    last = perception_token_count(enc.ids, tokenizer) - 1
    assert enc.offsets[last][0] < end <= enc.offsets[last][1]  # the token holding '>' is the last perception token


class HfByteLevel:
    """A Hugging Face byte-level tokenizer's surface: convert_ids_to_tokens, all_special_ids, decode."""

    def __init__(self, inner):
        self.inner, self.all_special_ids = inner, [i for i, _ in inner.added]

    def convert_ids_to_tokens(self, i):
        return self.inner.added_by_id.get(i) or self.inner.id_to_token[i]

    def decode(self, ids, skip_special_tokens=False):
        return self.inner.decode(ids, skip_special_tokens)


class DecodeOnly:
    """A tokenizer that is not byte-level (e.g. SentencePiece): only decode() is used."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def decode(self, ids):
        self.calls += 1
        return self.inner.decode(ids)


def test_hugging_face_tokenizers_through_token_bytes_or_prefix_decoding():
    bpe = BpeTokenizer.from_file(os.path.join(PARITY, "tokenizer.json"))
    ids = bpe.encode(TEXT).ids + [bpe.token_to_id("<|im_end|>")]
    want = _expected_count(TEXT, bpe)
    assert perception_token_count(ids, HfByteLevel(bpe)) == want
    slow = DecodeOnly(bpe)
    assert perception_token_count(ids, slow) == want
    assert slow.calls <= 2 + len(ids).bit_length()  # a binary search, not one decode per token


def test_token_advantages_put_a_p_on_perception_tokens_and_a_r_elsewhere():
    mask = torch.tensor([[True, True, False, False], [False, False, False, False]])
    response_mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    out = token_advantages(mask, torch.tensor([1.5, -2.0]), torch.tensor([-0.5, 3.0]), response_mask)
    assert out.tolist() == [[1.5, 1.5, -0.5, 0.0], [3.0, 3.0, 3.0, 3.0]]
    ids, adv = text_token_advantages(TEXT, ByteTokenizer(), 1.0, -1.0)
    assert len(ids) == len(TEXT.encode("utf-8")) and adv.count(1.0) == _expected_count(TEXT, ByteTokenizer())
    assert BYTE_TO_UNICODE[ord("A")] == "A"
