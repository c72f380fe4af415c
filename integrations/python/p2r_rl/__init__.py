"""p2r_rl: PA-GRPO (VideoP2R) rewards and advantages for distributed RL engines, with the numbers of
P2R Lab's TypeScript scoring (src/rewards/). Depends on the standard library and torch only.

- compute_score: verl's reward function (also usable on its own);
- pa_grpo_advantages: (A_P, A_R) per sample from per-process rewards, every ablation mode;
- p2r_rl.verl: the `pa_grpo` advantage estimator and trainer for verl (registered on import when
  verl is importable);
- p2r_rl.trl: a GRPOTrainer subclass with per-token (B, T) advantages and the two reward functions.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "compute_score": "rewards",
    "score_rollout": "rewards",
    "pa_grpo_advantages": "advantages",
    "group_advantages": "advantages",
    "perception_mask_from_ids": "advantages",
    "perception_token_count": "advantages",
    "token_advantages": "advantages",
    "resolve_config": "config",
    "RewardConfig": "config",
    "ABLATIONS": "config",
    "tokenizer_from_spec": "tokenizers",
    "parse_completion": "template",
    "accuracy_reward": "accuracy",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m p2r_rl score` does not pay for importing torch.
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'p2r_rl' has no attribute {name!r}")


def _register_with_verl() -> None:
    """Registers the pa_grpo estimator and trainer when verl is importable; a broken verl install
    only warns (the rewards and advantages work without it)."""
    if importlib.util.find_spec("verl") is None:
        return
    try:
        from . import verl as _verl

        _verl.register()
    except Exception as e:  # pragma: no cover - depends on the installed verl
        warnings.warn(f"p2r_rl: verl is installed but PA-GRPO could not register with it: {e}", stacklevel=2)


_register_with_verl()
