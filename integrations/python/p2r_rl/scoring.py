"""The scoring CLI in Python: `python -m p2r_rl score --in FILE --out FILE [options]`, the same options,
input and output as `npm run score` (scripts/score.ts, src/rewards/scoring_stream.ts). Records with the
same problem_id (and step) form one group; output is one JSON line per record, in input order, with
rewards, advantages, tokens and diagnostics added. The parity test scores one fixture with both.

Not ported: diagnostics.thinkAnswerMismatch (always null here).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, Optional

from .advantages import process_advantages, text_token_advantages
from .config import ABLATION_NAMES, ADVANTAGE_MODES, FORMAT_MODES, MISSING_OBSERVATION, ScoringOptions, options_from_kwargs
from .judge import HTTP_JUDGE_DEFAULTS, create_judge
from .rewards import RolloutScore, apply_group_length_rule, group_key, score_rollout, validate_record
from .template import parse_completion
from .tokenizers import tokenizer_from_spec


def score_values(values: list[Any], options: ScoringOptions, concurrency: int = 16, token_advantages: bool = False) -> tuple[list[dict], dict]:
    """Scores parsed records (pass 1), then emits them (pass 2). Returns (output records, summary)."""
    tokenizer = tokenizer_from_spec(options.tokenizer)
    judge = create_judge(options.judge, **options.http)
    config = options.config
    n = len(values)
    scores: list[Optional[RolloutScore]] = [None] * n
    errors: dict[int, str] = {}
    records: dict[int, dict] = {}
    for i, value in enumerate(values):
        record, error = validate_record(value)
        if error is not None:
            errors[i] = error
        else:
            records[i] = record

    def score_one(i: int) -> None:
        try:
            record = records[i]
            scores[i] = score_rollout(record, parse_completion(record["output"]), config, tokenizer, judge if config.use_perception_reward else None)
        except Exception as e:  # a failing record is reported, the rest is still scored
            errors[i] = f"scoring failed: {e}"

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        list(pool.map(score_one, sorted(records)))

    groups: dict[tuple[str, str], list[int]] = {}
    for i in sorted(records):
        if i not in errors:
            groups.setdefault(group_key(records[i]), []).append(i)
    advantages: dict[int, tuple[float, float, float]] = {}
    group_info: dict[int, dict] = {}
    for rows in groups.values():
        members = [scores[i] for i in rows]
        apply_group_length_rule(members, config)  # type: ignore[arg-type]
        r_p = [s.perception.total for s in members]  # type: ignore[union-attr]
        r_r = [s.reasoning.total for s in members]  # type: ignore[union-attr]
        a_p, a_r, a_g = process_advantages(r_p, r_r, config.advantage_mode, config.eps, config.unbiased_std)
        collapsed_p, collapsed_r = all(x == r_p[0] for x in r_p), all(x == r_r[0] for x in r_r)
        for k, i in enumerate(rows):
            advantages[i] = (a_p[k], a_r[k], a_g[k])
            group_info[i] = {
                "groupSize": len(rows),
                "collapsedPerception": collapsed_p,
                "collapsedReasoning": collapsed_r,
                "collapsedBoth": collapsed_p and collapsed_r,
                "thinkAnswerMismatch": None,
            }

    out: list[dict] = []
    judge_errors = 0
    for i, value in enumerate(values):
        if i in errors:
            out.append({**value, "error": errors[i]} if isinstance(value, dict) else {"raw": value, "error": errors[i]})
            continue
        s = scores[i]
        a_p, a_r, a_g = advantages[i]
        row = {
            **value,
            "rewards": {"perception": s.perception.as_dict(), "reasoning": s.reasoning.as_dict()},
            "advantages": {"perception": a_p, "reasoning": a_r, "grpo": a_g},
            "tokens": {"perception": s.perception_tokens, "reasoning": s.reasoning_tokens},
            "diagnostics": group_info[i],
        }
        if s.verdict is not None and s.verdict.error is not None:
            row["judge_error"] = s.verdict.error
            judge_errors += 1
        if token_advantages:
            ids, token_adv = text_token_advantages(value["output"], tokenizer, a_p, a_r, config.missing_observation)
            row["token_ids"], row["token_advantages"] = ids, token_adv
        out.append(row)
    summary = {"records": n, "scored": n - len(errors), "bad": len(errors), "groups": len(groups), "judge_errors": judge_errors, "judge": judge.name}
    return out, summary


def read_records(path: str) -> list[Any]:
    """JSON Lines, or a JSON document {"results": [...]} / a top-level list. Unparsable lines become
    strings (reported as bad records, as the TypeScript does)."""
    with open(path, encoding="utf-8-sig") as f:
        text = f.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        return json.loads(text)
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
            if isinstance(doc, dict) and isinstance(doc.get("results"), list):
                return doc["results"]
        except ValueError:
            pass
    values: list[Any] = []
    for line in text.splitlines():
        if line.strip() == "":
            continue
        try:
            values.append(json.loads(line))
        except ValueError:
            values.append(line)
    return values


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m p2r_rl score", description="Score rollouts with PA-GRPO rewards and group advantages (the options of `npm run score`).")
    p.add_argument("--in", dest="input", required=True, help="JSON Lines, or a JSON document {\"results\": [...]} or a list")
    p.add_argument("--out", required=True, help="JSON Lines out, or - for stdout")
    p.add_argument("--judge", default="rules", help="rules | field:NAME | http")
    p.add_argument("--judge-url")
    p.add_argument("--judge-model")
    p.add_argument("--judge-concurrency", type=int, default=HTTP_JUDGE_DEFAULTS["concurrency"])
    p.add_argument("--judge-timeout", type=float, default=HTTP_JUDGE_DEFAULTS["timeout"], help="per request, ms")
    p.add_argument("--judge-retries", type=int, default=HTTP_JUDGE_DEFAULTS["retries"])
    p.add_argument("--tokenizer", default="whitespace", help="whitespace | bytes | PATH/tokenizer.json")
    p.add_argument("--mode", default="pa-grpo", choices=ABLATION_NAMES)
    p.add_argument("--advantage-mode", choices=ADVANTAGE_MODES)
    p.add_argument("--format-mode", choices=FORMAT_MODES)
    p.add_argument("--eps", type=float)
    p.add_argument("--biased-std", action="store_true")
    p.add_argument("--len-bonus", type=float)
    p.add_argument("--perception-length", help="MIN:MAX tokens, inclusive (default 128:320)")
    p.add_argument("--reasoning-length", help="MIN:MAX tokens, inclusive (default 320:512)")
    p.add_argument("--accuracy-threshold", type=float)
    p.add_argument("--len-multiple-correct", action="store_true")
    p.add_argument("--missing-observation", choices=MISSING_OBSERVATION)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--token-advantages", action="store_true", help="also write token_ids and token_advantages (by --tokenizer)")
    return p


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)
    kwargs = {
        k: v
        for k, v in vars(args).items()
        if k not in ("input", "out", "concurrency", "token_advantages") and v is not None and v is not False
    }
    if kwargs.get("judge") != "http":
        for k in ("judge_concurrency", "judge_timeout", "judge_retries"):
            kwargs.pop(k, None)
    try:
        options = options_from_kwargs(**kwargs)
        values = read_records(args.input)
    except (ValueError, OSError) as e:
        print(f"score: {e}", file=sys.stderr)
        return 2
    if not values:
        print(f"score: {args.input}: no records", file=sys.stderr)
        return 1
    out, summary = score_values(values, options, args.concurrency, args.token_advantages)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        tmp = f"{args.out}.partial-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, args.out)
    print(f"score: {summary['scored']}/{summary['records']} records scored ({summary['bad']} bad), {summary['groups']} groups; judge {summary['judge']}", file=sys.stderr)
    return 0 if summary["scored"] > 0 else 1
