"""Prompt templates (exact APPS texts) and question truncation."""
from __future__ import annotations

import pytest

from data.problem import Difficulty, Problem
from harness.config import ConfigError
from harness.generation.prompting import TEMPLATES, build_prompt, render, template_text

STARTER = "class Solution:\n    def twoSum(self, nums, target):\n        "


def problem(question="Add two numbers.", starter="", fn_name=None, pid="p-1") -> Problem:
    return Problem(pid, Difficulty.INTERVIEW, question, starter, fn_name, ())


class WordTokenizer:
    """A tokenizer-like object: one token per whitespace-separated word."""

    @staticmethod
    def count_tokens(text: str) -> int:
        return len(text.split())


def test_apps_template_is_the_apps_evaluation_prompt_for_stdin_problems():
    assert render(problem(), template_text("apps")) == "\nQUESTION:\nAdd two numbers.\nUse Standard Input format\nANSWER:\n"


def test_apps_template_puts_starter_code_then_call_based_format():
    prompt = render(problem(starter=STARTER, fn_name="twoSum"), template_text("apps"))
    assert prompt == "\nQUESTION:\nAdd two numbers.\n" + STARTER + "\nUse Call-Based format\nANSWER:\n"


def test_apps_template_chooses_the_format_by_fn_name():
    assert render(problem(fn_name="f"), TEMPLATES["apps"]).endswith("numbers.\nUse Call-Based format\nANSWER:\n")
    assert render(problem(starter="def f():\n"), TEMPLATES["apps"]).endswith("def f():\n\nUse Standard Input format\nANSWER:\n")


def test_apps_train_template_wraps_the_format_line_and_chooses_it_by_starter_code():
    with_starter = render(problem(starter=STARTER, fn_name="twoSum"), template_text("apps-train"))
    assert with_starter == "\nQUESTION:\nAdd two numbers.\n" + STARTER + "\n" + "\nUse Call-Based format\n" + "\nANSWER:\n"
    without = render(problem(fn_name="f"), template_text("apps-train"))
    assert without == "\nQUESTION:\nAdd two numbers.\n" + "" + "\n" + "\nUse Standard Input format\n" + "\nANSWER:\n"


def test_custom_template_text_fills_placeholders_once_and_keeps_other_braces():
    text = "Q: {question} | {starter_code} | {format} | {json: 1}"
    assert template_text(text) == text
    got = render(problem(question="say {format}", starter="def f():"), text)
    assert got == "Q: say {format} | def f(): | Use Standard Input format | {json: 1}"


def test_unknown_template_name_is_a_config_error_listing_the_names():
    with pytest.raises(ConfigError) as error:
        template_text("codex")
    assert "'codex'" in str(error.value) and "apps, apps-train" in str(error.value)


def test_prompt_that_fits_is_not_truncated():
    prompt, truncated = build_prompt(problem(), TEMPLATES["apps"], WordTokenizer(), max_context=100, max_new_tokens=10)
    assert (prompt, truncated) == (render(problem(), TEMPLATES["apps"]), False)


def test_unknown_context_never_truncates():
    long = problem(question="word " * 10_000)
    assert build_prompt(long, TEMPLATES["apps"], WordTokenizer(), max_context=None, max_new_tokens=10)[1] is False


def test_truncation_cuts_the_question_end_and_keeps_starter_code_format_and_answer_cue():
    question = " ".join(f"w{i}" for i in range(500))
    long = problem(question=question, starter=STARTER, fn_name="twoSum")
    prompt, truncated = build_prompt(long, TEMPLATES["apps"], WordTokenizer(), max_context=120, max_new_tokens=20)
    assert truncated
    assert WordTokenizer.count_tokens(prompt) <= 100
    assert prompt.startswith("\nQUESTION:\nw0 w1 w2")
    assert prompt.endswith("\n" + STARTER + "\nUse Call-Based format\nANSWER:\n")
    kept = prompt[len("\nQUESTION:\n"):prompt.index("\n" + STARTER)]
    assert question.startswith(kept) and len(kept) < len(question)
    # the longest prefix that fits: one more word would not fit
    assert WordTokenizer.count_tokens(render(long, TEMPLATES["apps"], question=question[: len(kept) + 5])) > 100


def test_truncation_with_a_real_tokenizer_fits_the_budget():
    from tiny_model import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    long = problem(question="read two integers and print their sum " * 200)
    prompt, truncated = build_prompt(long, TEMPLATES["apps"], tokenizer, max_context=256, max_new_tokens=56)
    assert truncated and len(tokenizer(prompt)["input_ids"]) <= 200
    assert prompt.endswith("\nUse Standard Input format\nANSWER:\n")


def test_prompt_without_room_for_the_question_names_the_problem_and_the_option():
    with pytest.raises(ConfigError) as error:
        build_prompt(problem(starter=STARTER * 20, pid="test-0042"), TEMPLATES["apps"], WordTokenizer(), max_context=64, max_new_tokens=32)
    message = str(error.value)
    assert "test-0042" in message and "--max-new-tokens" in message and "\n" not in message


class ChatTokenizer(WordTokenizer):
    """A tokenizer-like object with a chat template: messages become "[role] content" lines."""

    chat_template = "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"

    @staticmethod
    def apply_chat_template(messages, tokenize=False, add_generation_prompt=False):
        text = "".join(f"[{m['role']}] {m['content']}\n" for m in messages)
        return text + ("[assistant] " if add_generation_prompt else "")


def test_auto_is_chat_for_a_tokenizer_with_a_chat_template_and_apps_otherwise():
    from harness.generation.prompting import SYSTEM_PROMPT, TemplateKind, resolve_template

    chat = resolve_template("auto", ChatTokenizer())
    assert (chat.choice, chat.name, chat.kind, chat.system_prompt) == ("auto", "chat", TemplateKind.CHAT, SYSTEM_PROMPT)
    assert chat.chat_template_sha256 and chat.default_stops == () and chat.ends_at_code_block
    plain = resolve_template("auto", WordTokenizer())
    assert (plain.name, plain.kind, plain.text) == ("apps", TemplateKind.COMPLETION, TEMPLATES["apps"])
    assert plain.default_stops == ("\nQUESTION", "\nANSWER", "\n---") and not plain.ends_at_code_block
    assert resolve_template("apps-train", ChatTokenizer()).name == "apps-train"  # an explicit choice wins


def test_chat_prompt_asks_for_a_stdin_program_or_the_completed_starter_code():
    from harness.generation.prompting import SYSTEM_PROMPT, render_prompt, resolve_template

    template = resolve_template("chat", ChatTokenizer())
    stdin = render_prompt(problem("Add two numbers."), template, ChatTokenizer())
    assert stdin.startswith(f"[system] {SYSTEM_PROMPT}\n[user] Write a complete Python 3 program")
    assert "standard input" in stdin and "Add two numbers." in stdin and stdin.endswith("[assistant] ")
    call = render_prompt(problem("Two sum.", starter=STARTER, fn_name="twoSum"), template, ChatTokenizer())
    assert "the tests call twoSum" in call and "Starter code:\n```python\n" + STARTER.rstrip() + "\n```" in call
    assert "standard input" not in call


def test_chat_without_a_chat_template_is_a_config_error():
    from harness.generation.prompting import resolve_template

    with pytest.raises(ConfigError, match="no chat template"):
        resolve_template("chat", WordTokenizer())


def test_template_file_is_read_and_recorded_and_needs_a_question_placeholder(tmp_path):
    from harness.generation.prompting import resolve_template

    good = tmp_path / "mine.txt"
    good.write_text("Q: {question}\n{format}\nA:\n")
    template = resolve_template(str(good), ChatTokenizer())
    assert (template.name, template.text) == (f"file:{good}", "Q: {question}\n{format}\nA:\n")
    assert template.to_json()["kind"] == "completion"
    bad = tmp_path / "bad.txt"
    bad.write_text("no placeholder")
    with pytest.raises(ConfigError, match="bad.txt: the file has no {question}"):
        resolve_template(str(bad), WordTokenizer())


def test_chat_truncation_keeps_the_instruction_and_the_chat_frame():
    from harness.generation.prompting import resolve_template

    template = resolve_template("chat", ChatTokenizer())
    prompt, truncated = build_prompt(problem("word " * 500), template, ChatTokenizer(), max_context=200, max_new_tokens=50)
    assert truncated and WordTokenizer.count_tokens(prompt) <= 150
    assert prompt.startswith("[system] ") and prompt.endswith("[assistant] ") and "Write a complete Python 3 program" in prompt
