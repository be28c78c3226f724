"""Problem -> prompt text: named APPS templates, custom templates, and question truncation.

Pure, except that `build_prompt` asks a tokenizer-like object how many tokens a text has.

A template is a text with placeholders, replaced in one pass (other braces stay literal):

- ``{question}``: the problem statement (truncated from its end when the prompt is too long);
- ``{starter_code}``: the starter code, "" when there is none;
- ``{format}``: "Use Call-Based format" when the problem has an ``fn_name``, else
  "Use Standard Input format" (the rule of the APPS evaluation code);
- ``{starter_block}``: "\\n" + starter code when there is starter code, else "";
- ``{starter_format}``: the format line chosen by whether there is starter code (the rule of
  the APPS training code).

The named templates are such texts, so the recorded text of a run reproduces its prompts.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from data.problem import Problem
from harness.config import ConfigError

TEMPLATES: dict[str, str] = {
    # APPS evaluation code (generate_gpt_codes.py): "\nQUESTION:\n" + question, "\n" + starter code
    # when present, "\nUse Call-Based format" (fn_name) or "\nUse Standard Input format", "\nANSWER:\n".
    "apps": "\nQUESTION:\n{question}{starter_block}\n{format}\nANSWER:\n",
    # APPS training code (dataset_apps): "\nQUESTION:\n" + question + "\n" + starter_code + "\n"
    # + ("\nUse Call-Based format\n" if a starter-code file exists else "\nUse Standard Input format\n")
    # + "\nANSWER:\n".
    "apps-train": "\nQUESTION:\n{question}\n{starter_code}\n\n{starter_format}\n\nANSWER:\n",
}
DEFAULT_TEMPLATE = "apps"
CALL_FORMAT = "Use Call-Based format"
STDIN_FORMAT = "Use Standard Input format"
_PLACEHOLDER = re.compile(r"\{(question|starter_code|format|starter_block|starter_format)\}")

TokenCounter = Callable[[str], int]


def template_text(name_or_text: str) -> str:
    """The template text for a template name, or the text itself when it contains "{question}"."""
    if "{question}" in name_or_text:
        return name_or_text
    if name_or_text in TEMPLATES:
        return TEMPLATES[name_or_text]
    names = ", ".join(sorted(TEMPLATES))
    raise ConfigError(
        f"--template {name_or_text!r} is not a template name ({names}) nor a template text containing {{question}}"
    )


def render(problem: Problem, template: str, question: str | None = None) -> str:
    """The prompt for `problem` from a template text (`question` replaces the problem's question)."""
    starter = problem.starter_code or ""
    values = {
        "question": problem.question if question is None else question,
        "starter_code": starter,
        "format": CALL_FORMAT if problem.fn_name else STDIN_FORMAT,
        "starter_block": "\n" + starter if starter else "",
        "starter_format": CALL_FORMAT if starter else STDIN_FORMAT,
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def token_counter(tokenizer: Any) -> TokenCounter:
    """Count tokens as generation will see them (special tokens included, e.g. a BOS)."""
    if callable(getattr(tokenizer, "count_tokens", None)):
        return tokenizer.count_tokens
    return lambda text: len(tokenizer(text)["input_ids"])


def build_prompt(
    problem: Problem,
    template: str,
    tokenizer: Any,
    *,
    max_context: int | None,
    max_new_tokens: int,
) -> tuple[str, bool]:
    """(prompt, truncated): the rendered prompt, fitting in max_context - max_new_tokens tokens.

    When the prompt is too long, the question is cut from its end (the longest prefix that
    fits); the starter code, the format line and the ANSWER cue always survive. With an unknown
    context (None) nothing is cut. Raises ConfigError when even an empty question does not fit.
    """
    prompt = render(problem, template)
    if max_context is None:
        return prompt, False
    count = token_counter(tokenizer)
    budget = max_context - max_new_tokens
    if count(prompt) <= budget:
        return prompt, False
    fixed = count(render(problem, template, question=""))
    if fixed > budget:
        raise ConfigError(
            f"problem {problem.problem_id}: the prompt without its question needs {fixed} tokens but only "
            f"{max(budget, 0)} fit ({max_context} context - {max_new_tokens} new tokens); use a smaller --max-new-tokens"
        )
    keep = _longest_fitting_prefix(problem, template, count, budget)
    return render(problem, template, question=problem.question[:keep]), True


def _longest_fitting_prefix(problem: Problem, template: str, count: TokenCounter, budget: int) -> int:
    """The largest number of question characters whose prompt fits `budget` tokens (binary search)."""
    low, high = 0, len(problem.question)  # low always fits, high does not
    while high - low > 1:
        middle = (low + high) // 2
        if count(render(problem, template, question=problem.question[:middle])) <= budget:
            low = middle
        else:
            high = middle
    return low
