"""Video-R1 / VideoP2R records (JSON Lines or a JSON list) -> the parquet verl's RLHFDataset reads, with
what p2r_rl's compute_score needs in extra_info. Run where verl is installed (it needs pandas).

  python verl_prepare_data.py --in videop2r_rl.jsonl --out data/train.parquet [--video-root /data/videos]
"""

import argparse
import json
import os

import pandas as pd

# VideoP2R's template: perception first, then reasoning (method.md §1.2).
TEMPLATE = (
    "{question}\nFirst describe what you observe in the video inside <observation> </observation>, then "
    "think inside <think> </think>, then give the final answer inside <answer> </answer>."
)


def rows(records, video_root):
    for i, r in enumerate(records):
        options = r.get("options") or []
        question = r["problem"] + ("\nOptions:\n" + "\n".join(options) if r["problem_type"] == "multiple choice" and isinstance(options, list) else "")
        media = "<video>" if r.get("data_type", "video") == "video" else "<image>"
        row = {
            "data_source": r.get("data_source", "videop2r"),
            "prompt": [{"role": "user", "content": media + TEMPLATE.format(question=question)}],
            "reward_model": {"style": "rule", "ground_truth": r["solution"]},
            "extra_info": {
                "index": i,
                "problem_id": str(r.get("problem_id", i)),
                "problem": r["problem"],
                "problem_type": r["problem_type"],
                "options": json.dumps(options) if isinstance(options, list) else options,
                "data_type": r.get("data_type", "video"),
                # --judge field:judge reads a verdict stored here; --judge rules reads scene facts.
                "judge": r.get("judge"),
                "facts": json.dumps(r.get("facts", [])),
            },
        }
        path = os.path.join(video_root, r["path"]) if r.get("path") else None
        if path and media == "<video>":
            row["videos"] = [{"video": path}]
        elif path:
            row["images"] = [{"image": path}]
        yield row


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--in", dest="inp", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--video-root", default="")
    a = p.parse_args()
    with open(a.inp, encoding="utf-8") as f:
        text = f.read()
    records = json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines() if line.strip()]
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    pd.DataFrame(list(rows(records, a.video_root))).to_parquet(a.out)


if __name__ == "__main__":
    main()
