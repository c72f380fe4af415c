"""pytest setup: the package from this checkout (no install needed), and torch required: a missing torch
is a collection error, which fails the run (npm test counts it), never a skip."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import torch  # noqa: E402,F401  (required: see the module docstring)

ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
PARITY = os.path.join(ROOT, "tests", "fixtures", "parity")
