"""An independent implementation of the old regression script's rules (DESIGN.md, "The old
regression script's behaviour"), written for the tests: it reads the same case file and answers
the same way the scripted endpoint does, and prints, per case, what the old script would have sent
and scored. Not derived from the pipeline's code.

usage: python3 reference.py CASES.jsonl SCRIPT.json SYSTEM_PROMPT [MAX_CASES]
prints one JSON line per case: {"id", "ok", "failures", "messages"}
"""
import json
import re
import sys


def as_list(v):
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


def build_messages(case, system_prompt):
    msgs = [
        {"role": m["role"], "content": m["content"]}
        for m in case.get("messages", [])
        if isinstance(m, dict) and m.get("role") and m.get("content") is not None
    ]
    checks = case.get("checks") or {}
    min_chars = checks.get("min_chars")
    if isinstance(min_chars, int) and not isinstance(min_chars, bool) and min_chars > 0:
        for m in reversed(msgs):
            if m["role"] == "user":
                if not any(w in m["content"] for w in ("不少于", "字", "详细")):
                    m["content"] = m["content"] + "\n\n（请详细回答，不少于%d字。）" % min_chars
                break
    system = case.get("system_override") or system_prompt
    if msgs and msgs[0]["role"] == "system":
        return msgs
    return [{"role": "system", "content": system}] + msgs


def answer_for(messages, script):
    last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    for rule in script.get("rules", []):
        if rule["contains"] in last_user:
            return rule["response"]
    return script.get("default", "")


def check(answer, checks):
    failures = []
    for x in as_list(checks.get("must_contain")):
        if x not in answer:
            failures.append("missing_required:" + x)
    any_list = as_list(checks.get("must_contain_any"))
    if any_list and not any(x in answer for x in any_list):
        failures.append("missing_required_any:" + "|".join(any_list))
    for x in as_list(checks.get("must_not_contain")):
        if x in answer:
            failures.append("contains_forbidden:" + x)
    for x in as_list(checks.get("must_not_contain_any")):
        if x in answer:
            failures.append("contains_forbidden_any:" + x)
    n = len(answer)
    mn = checks.get("min_chars")
    if isinstance(mn, int) and not isinstance(mn, bool) and n < mn:
        failures.append("too_short:%d<%d" % (n, mn))
    mx = checks.get("max_chars")
    if isinstance(mx, int) and not isinstance(mx, bool) and n > mx:
        failures.append("too_long:%d>%d" % (n, mx))
    for r in as_list(checks.get("regex_must")):
        if not re.search(r, answer):
            failures.append("regex_must_fail:" + r)
    for r in as_list(checks.get("regex_must_not")):
        if re.search(r, answer):
            failures.append("regex_must_not_fail:" + r)
    return failures


def main():
    cases_path, script_path, system_prompt = sys.argv[1:4]
    max_cases = int(sys.argv[4]) if len(sys.argv) > 4 else None
    script = json.load(open(script_path, encoding="utf-8"))
    n = 0
    with open(cases_path, encoding="utf-8", newline="") as f:
        for raw in f:
            line = raw.strip()
            if not line:
                continue
            if max_cases is not None and n >= max_cases:
                break
            case = json.loads(line)
            cid = case.get("id") or "case_%d" % n
            n += 1
            messages = build_messages(case, system_prompt)
            answer = answer_for(messages, script)
            failures = check(answer, case.get("checks") or {})
            print(json.dumps({"id": cid, "ok": not failures, "failures": failures, "messages": messages}, ensure_ascii=False))


main()
