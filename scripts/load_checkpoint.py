#!/usr/bin/env python3
"""Load a P2R Lab checkpoint (an exported NAME.safetensors + NAME.json) in PyTorch.

    pip install torch safetensors
    python3 scripts/load_checkpoint.py NAME.safetensors NAME.json

The format is described in docs/checkpoints.md.
"""
import hashlib
import json
import sys

from safetensors.torch import load_file

weights_path, config_path = sys.argv[1], sys.argv[2]
with open(config_path) as f:
    config = json.load(f)
with open(weights_path, "rb") as f:
    assert hashlib.sha256(f.read()).hexdigest() == config["safetensors"]["sha256"], "corrupted or mismatched file"

tensors = load_file(weights_path)  # {key: torch.Tensor}, float32, on the CPU
params = {e["name"]: tensors[e["key"]] for e in config["params"]}
if config["optimizer"]:  # AdamW moments, keyed by parameter name
    exp_avg = {e["name"]: tensors[e["key"]] for e in config["optimizer"]["m"]}
    exp_avg_sq = {e["name"]: tensors[e["key"]] for e in config["optimizer"]["v"]}

print(f"step {config['step']}, model config {config['model_config']}")
for name, t in params.items():
    print(f"{name:40s} {tuple(t.shape)} {t.dtype}")
