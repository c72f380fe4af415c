"""Perception judges: the rule judge over known scene facts, a verdict read from a record field, and an
OpenAI-compatible chat-completions judge with the paper's prompt. A port of src/rewards/judge.ts;
the HTTP judge uses urllib only (no extra dependency), retries 429/5xx/timeouts with backoff and
caches verdicts in memory.
"""

from __future__ import annotations

import ast
import json
import random
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from .tokenizers import JS_WHITESPACE

# JavaScript's String.prototype.trim() and \s, which the TypeScript uses in these helpers.
_JS_TRIM = re.compile(f"^[{JS_WHITESPACE}]+|[{JS_WHITESPACE}]+$")
_JS_WS_RUN = re.compile(f"[{JS_WHITESPACE}]+")


def js_trim(s: str) -> str:
    return _JS_TRIM.sub("", s)


JUDGE_PROMPT_TEMPLATE = """You will receive a question, its correct answer, and a set of observations extracted from {data_type}. Your task is to decide—strictly based on the observations—whether the correct answer can be deduced. Do **not** assume any information beyond what is provided.
### Question
{Question}
### Correct Answer
{CorrectAnswer}
### Observations
{Observations}
### Instruction
1. Carefully read the question and the correct answer.
2. Briefly explain whether (and how) the observations support the correct answer.
3. Finally output your judgement, either <judgement>Yes</judgement> or <judgement>No</judgement>."""


@dataclass
class JudgeRequest:
    question: str
    correct_answer: str
    observation: str
    data_type: str
    record: dict


@dataclass
class Verdict:
    verdict: int  # 1 = the observation suffices, 0 otherwise (and on failure)
    explanation: Optional[str] = None
    error: Optional[str] = None


def judge_prompt(request: JudgeRequest) -> str:
    """The paper's judge prompt, filled in one pass (a '{Question}' inside the observation stays)."""
    values = {
        "data_type": request.data_type,
        "Question": request.question,
        "CorrectAnswer": request.correct_answer,
        "Observations": request.observation,
    }
    return re.sub(r"\{(data_type|Question|CorrectAnswer|Observations)\}", lambda m: values[m.group(1)], JUDGE_PROMPT_TEMPLATE)


def normalize_options(options: Any) -> list[str]:
    """Options as a list of 'A. ...' strings: a list, or a string holding JSON, a Python list literal,
    or one option per line (the RL release stores them as a string)."""
    if isinstance(options, (list, tuple)):
        return [_js_string(o) for o in options]
    if not isinstance(options, str):
        return []
    s = js_trim(options)
    if s in ("", "[]"):
        return []
    if s.startswith("["):
        try:
            parsed = json.loads(s)
            if isinstance(parsed, list):
                return [_js_string(o) for o in parsed]
        except ValueError:
            try:
                parsed = ast.literal_eval(s)
                if isinstance(parsed, list) and all(isinstance(o, str) for o in parsed):
                    return parsed
            except (ValueError, SyntaxError):
                pass
    return [js_trim(o) for o in re.split(r"\r?\n", s) if js_trim(o)]


def _js_string(value: Any) -> str:
    """JavaScript's String(value) for the values JSON gives."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _ground_truth_of(solution: str) -> str:
    m = re.search(f"<answer>[{JS_WHITESPACE}]*(.*?)[{JS_WHITESPACE}]*</answer>", solution, re.DOTALL)
    return js_trim(m.group(1) if m else solution)


def judge_question(record: dict) -> str:
    """{Question}: for multiple choice `problem + "Options:\\n" + Σ(option + "\\n")` (Video-R1)."""
    options = normalize_options(record.get("options"))
    if record.get("problem_type") == "multiple choice" and options:
        return record["problem"] + "Options:\n" + "".join(o + "\n" for o in options)
    return record["problem"]


def judge_correct_answer(record: dict) -> str:
    """{CorrectAnswer}: the ground truth; for multiple choice the matching option string itself."""
    gt = _ground_truth_of(record["solution"])
    if record.get("problem_type") != "multiple choice":
        return gt
    m = re.fullmatch(r"\(?([A-Za-z])\)?\.?", gt)
    if not m:
        return gt
    letter = m.group(1)
    for o in normalize_options(record.get("options")):
        if re.match(f"^[{JS_WHITESPACE}]*\\(?{letter}\\)?[.):]", o):
            return js_trim(o)
    return gt


def build_judge_request(record: dict, observation: str) -> JudgeRequest:
    data_type = record.get("data_type")
    return JudgeRequest(
        question=judge_question(record),
        correct_answer=judge_correct_answer(record),
        observation=js_trim(observation),
        data_type=data_type if isinstance(data_type, str) and data_type != "" else "video",
        record=record,
    )


def parse_judgement(text: str) -> Optional[int]:
    """The LAST <judgement>Yes|No</judgement>, case-insensitive; None when there is none."""
    last = None
    for m in re.finditer(r"<judgement>\s*(yes|no)\s*</judgement>", text, re.IGNORECASE):
        last = 1 if m.group(1).lower() == "yes" else 0
    return last


# ---- rules ------------------------------------------------------------------------------------------


def mentions(text: str, phrase: str) -> bool:
    """A case-insensitive, word-bounded match of `phrase` (inner whitespace matches any whitespace)."""
    words = [re.escape(w) for w in _JS_WS_RUN.split(js_trim(phrase))]
    body = f"[{JS_WHITESPACE}]+".join(words)
    if body == "":
        return False
    return re.search(f"(?<!\\w){body}(?!\\w)", text, re.IGNORECASE) is not None


def fact_stated(text: str, fact: dict) -> bool:
    return all(any(mentions(text, alt) for alt in group) for group in fact.get("mentions", []))


@dataclass
class JudgeStats:
    calls: int = 0
    cache_hits: int = 0
    failures: int = 0
    requests: int = 0


class RuleJudge:
    """Sufficient iff every scene fact on the record (`facts`) is stated in the observation."""

    name = "rules"

    def __init__(self) -> None:
        self.stats = JudgeStats()

    def judge(self, request: JudgeRequest) -> Verdict:
        self.stats.calls += 1
        facts = request.record.get("facts")
        if not isinstance(facts, list) or not facts:
            self.stats.failures += 1
            return Verdict(0, error="no scene facts on the record (the rules judge needs `facts`)")
        missing = [f for f in facts if not fact_stated(request.observation, f)]
        if not missing:
            return Verdict(1, explanation=f"all {len(facts)} facts stated")
        listed = "; ".join(f"{f.get('id')} ({f.get('text')})" for f in missing)
        return Verdict(0, explanation=f"missing {len(missing)} of {len(facts)} facts: {listed}")


def verdict_of_value(value: Any) -> Optional[int]:
    """1/0, true/false, 'yes'/'no' or a '<judgement>Yes</judgement>' text; None when none of these."""
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, (int, float)):
        return 1 if value == 1 else 0 if value == 0 else None
    if not isinstance(value, str):
        return None
    s = js_trim(value).lower()
    if s in ("yes", "true", "1"):
        return 1
    if s in ("no", "false", "0"):
        return 0
    return parse_judgement(value)


class FieldJudge:
    """A verdict already in the record, under `field` (e.g. a judge run offline)."""

    def __init__(self, field_name: str):
        if not field_name:
            raise ValueError("FieldJudge: a field name is required (field:NAME)")
        self.field = field_name
        self.name = f"field:{field_name}"
        self.stats = JudgeStats()

    def judge(self, request: JudgeRequest) -> Verdict:
        self.stats.calls += 1
        value = request.record.get(self.field)
        verdict = verdict_of_value(value)
        if verdict is None:
            self.stats.failures += 1
            if self.field not in request.record:
                return Verdict(0, error=f"no field '{self.field}' on the record")
            return Verdict(0, error=f"field '{self.field}' holds no verdict: {json.dumps(value, ensure_ascii=False)[:80]}")
        return Verdict(verdict)


# ---- HTTP -------------------------------------------------------------------------------------------

HTTP_JUDGE_DEFAULTS = {"concurrency": 4, "timeout": 60_000, "retries": 3, "backoff": 1_000, "max_backoff": 30_000}


class _Retryable(Exception):
    def __init__(self, message: str, retry_after_ms: float = 0):
        super().__init__(message)
        self.retry_after_ms = retry_after_ms


class HttpJudge:
    """An OpenAI-compatible /chat/completions judge with the paper's prompt. Thread-safe: at most
    `concurrency` requests in flight; successful verdicts are cached by (model, data type, question,
    answer, observation); a failure (after retries) is verdict 0 with `error` set."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: Optional[str] = None,
        concurrency: int = HTTP_JUDGE_DEFAULTS["concurrency"],
        timeout: float = HTTP_JUDGE_DEFAULTS["timeout"],
        retries: int = HTTP_JUDGE_DEFAULTS["retries"],
        backoff: float = HTTP_JUDGE_DEFAULTS["backoff"],
        max_backoff: float = HTTP_JUDGE_DEFAULTS["max_backoff"],
        temperature: float = 0,
        max_tokens: Optional[int] = None,
    ):
        if not base_url:
            raise ValueError("HttpJudge: judge_url is required (e.g. https://api.openai.com/v1)")
        if not model:
            raise ValueError("HttpJudge: judge_model is required")
        base = base_url.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else f"{base}/chat/completions"
        self.model = model
        self.name = f"http:{model}"
        self._api_key = api_key  # kept in memory only; never logged or written
        self.timeout_ms, self.retries, self.backoff_ms, self.max_backoff_ms = timeout, retries, backoff, max_backoff
        self.temperature, self.max_tokens = temperature, max_tokens
        self.stats = JudgeStats()
        self._cache: dict[tuple, Verdict] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, int(concurrency)))

    def __repr__(self) -> str:  # never shows the key
        return f"HttpJudge(url={self.url!r}, model={self.model!r})"

    def judge(self, request: JudgeRequest) -> Verdict:
        key = (self.model, request.data_type, request.question, request.correct_answer, request.observation)
        with self._lock:
            self.stats.calls += 1
            if key in self._cache:
                self.stats.cache_hits += 1
                return self._cache[key]
        with self._slots:
            verdict = self._call_with_retries(request)
        with self._lock:
            if verdict.error is None:
                self._cache[key] = verdict
            else:
                self.stats.failures += 1
        return verdict

    def _call_with_retries(self, request: JudgeRequest) -> Verdict:
        last_error, attempts = "", 0
        for attempt in range(self.retries + 1):
            attempts += 1
            try:
                return self._call_once(request)
            except _Retryable as e:
                last_error = str(e)
                if attempt == self.retries:
                    break
                backoff = min(self.max_backoff_ms, self.backoff_ms * 2**attempt) * (1 + 0.5 * random.random())
                time.sleep(min(self.max_backoff_ms, max(backoff, e.retry_after_ms)) / 1000)
            except Exception as e:  # a 4xx, or a reply without a verdict: not worth retrying
                last_error = str(e)
                break
        return Verdict(0, error=last_error + (f" (after {attempts} attempts)" if attempts > 1 else ""))

    def _call_once(self, request: JudgeRequest) -> Verdict:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "user", "content": judge_prompt(request)}],
            "temperature": self.temperature,
        }
        if self.max_tokens is not None:
            body["max_tokens"] = self.max_tokens
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        req = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
        with self._lock:
            self.stats.requests += 1
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_ms / 1000) as response:
                text = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            if e.code == 429 or e.code >= 500:
                try:
                    retry_after = float(e.headers.get("retry-after") or 0) * 1000
                except ValueError:
                    retry_after = 0
                raise _Retryable(f"judge endpoint answered HTTP {e.code}", retry_after) from e
            raise RuntimeError(f"judge endpoint answered HTTP {e.code}: {e.read().decode('utf-8', 'replace')[:200]}") from e
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise _Retryable(f"judge request failed: {e}") from e
        try:
            content = _chat_content(json.loads(text))
        except Exception as e:
            raise RuntimeError(f"malformed chat-completions reply: {e}") from e
        verdict = parse_judgement(content)
        if verdict is None:
            raise RuntimeError("no <judgement>Yes|No</judgement> in the judge reply")
        return Verdict(verdict, explanation=content)


def _chat_content(reply: Any) -> str:
    choices = reply.get("choices") if isinstance(reply, dict) else None
    if not isinstance(choices, list) or not choices:
        raise ValueError("no choices")
    content = (choices[0].get("message") or {}).get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p if isinstance(p, str) else p.get("text", "") if isinstance(p, dict) else "" for p in content)
    raise ValueError("choices[0].message.content is not text")


Judge = Union[RuleJudge, FieldJudge, HttpJudge]


def create_judge(spec: str, **http: Any) -> Judge:
    """'rules' | 'field:NAME' | 'http' (then judge_url, judge_model, … in `http`)."""
    if spec == "rules":
        return RuleJudge()
    if spec == "http":
        return HttpJudge(**http)
    if isinstance(spec, str) and spec.startswith("field:"):
        return FieldJudge(spec[len("field:") :])
    raise ValueError(f"unknown judge {spec!r}; expected rules, http or field:NAME")
