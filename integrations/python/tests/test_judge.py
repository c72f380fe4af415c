"""Judges: scene-fact rules, a field verdict, and the HTTP judge against a local chat-completions server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from p2r_rl import compute_score
from p2r_rl.judge import FieldJudge, HttpJudge, RuleJudge, build_judge_request, judge_correct_answer, normalize_options

RECORD = {
    "problem": "Which way?",
    "problem_type": "multiple choice",
    "options": "['A. up', \"B. it's left\"]",
    "solution": "<answer>B</answer>",
    "facts": [{"id": "f1", "text": "red circle moves left", "mentions": [["red"], ["circle"], ["left", "leftward"]]}],
}


def test_options_and_the_correct_answer_as_the_judge_sees_them():
    assert normalize_options(RECORD["options"]) == ["A. up", "B. it's left"]
    assert normalize_options("A. up\nB. down") == ["A. up", "B. down"]
    assert judge_correct_answer(RECORD) == "B. it's left"


def test_rule_judge_needs_every_fact_with_word_boundaries():
    judge = RuleJudge()
    assert judge.judge(build_judge_request(RECORD, " The RED circle drifts leftward ")).verdict == 1
    assert judge.judge(build_judge_request(RECORD, "the red circles moved left")).verdict == 0  # 'circles' is not 'circle'
    no_facts = judge.judge(build_judge_request({**RECORD, "facts": []}, "x"))
    assert no_facts.verdict == 0 and "facts" in no_facts.error


def test_field_judge_reads_booleans_numbers_words_and_judgement_tags():
    judge = FieldJudge("seen")
    verdicts = [judge.judge(build_judge_request({**RECORD, "seen": v}, "x")).verdict for v in (True, 1, "Yes", " no ", "<judgement>Yes</judgement>")]
    assert verdicts == [1, 1, 1, 0, 1]
    assert "no field" in judge.judge(build_judge_request(RECORD, "x")).error


class ChatServer:
    """A chat-completions endpoint: answers 500 to the first `fail_first` requests, then a verdict."""

    def __init__(self, fail_first=0):
        self.requests, self.fail_first = [], fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append((self.path, self.headers.get("Authorization"), body))
                if len(outer.requests) <= outer.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                prompt = body["messages"][0]["content"]
                verdict = "Yes" if "left" in prompt.split("### Observations")[1] else "No"
                reply = {"choices": [{"message": {"content": f"Reasoning. <judgement>{verdict}</judgement>"}}]}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def server():
    s = ChatServer(fail_first=1)
    yield s
    s.close()


def test_http_judge_sends_the_paper_prompt_retries_a_500_and_caches(server):
    judge = HttpJudge(server.url, "judge-model", api_key="sk-test", backoff=1, max_backoff=5)
    request = build_judge_request(RECORD, "the red circle moves left")
    assert judge.judge(request).verdict == 1
    assert len(server.requests) == 2  # one 500, one answer
    path, auth, body = server.requests[-1]
    assert path == "/v1/chat/completions" and auth == "Bearer sk-test" and body["model"] == "judge-model"
    assert "### Correct Answer\nB. it's left" in body["messages"][0]["content"]
    assert judge.judge(request).verdict == 1 and len(server.requests) == 2 and judge.stats.cache_hits == 1
    assert "sk-test" not in repr(judge)


def test_compute_score_with_the_http_judge(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "")
    info = {k: RECORD[k] for k in ("problem", "problem_type", "options")}
    text = "<observation> it goes up </observation> <think>B</think><answer>B</answer>"
    out = compute_score("video", text, "B", info, judge="http", judge_url=server.url, judge_model="m", judge_retries=2)
    assert (out["judge_called"], out["judge_verdict"], out["perception_accuracy"]) == (1, 0, 0.0)
