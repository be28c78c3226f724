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

Two kinds of template (`resolve_template`):

- completion (``apps``, ``apps-train``, a template FILE or text): the rendered text is the
  prompt, as the APPS code feeds its base and fine-tuned models;
- chat (``chat``): the rendered text is the user message of a chat (after SYSTEM_PROMPT), turned
  into the prompt by the tokenizer's own chat template; its extra placeholders are
  ``{instruction}`` (write a complete Python 3 program: stdin/stdout, or complete the starter
  code for call-based problems) and ``{starter_section}`` (the starter code as a fenced block).

``auto`` (the default) picks ``chat`` for tokenizers that have a chat template (instruct
models) and ``apps`` otherwise (base and APPS fine-tuned models such as GPT-Neo APPS).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any, Callable

from data.problem import Problem
from harness.config import DEFAULT_STOP, ConfigError

TEMPLATES: dict[str, str] = {
    # APPS evaluation code (generate_gpt_codes.py): "\nQUESTION:\n" + question, "\n" + starter code
    # when present, "\nUse Call-Based format" (fn_name) or "\nUse Standard Input format", "\nANSWER:\n".
    "apps": "\nQUESTION:\n{question}{starter_block}\n{format}\nANSWER:\n",
    # APPS training code (dataset_apps): "\nQUESTION:\n" + question + "\n" + starter_code + "\n"
    # + ("\nUse Call-Based format\n" if a starter-code file exists else "\nUse Standard Input format\n")
    # + "\nANSWER:\n".
    "apps-train": "\nQUESTION:\n{question}\n{starter_code}\n\n{starter_format}\n\nANSWER:\n",
}
CHAT_USER_MESSAGE = "{instruction}\n\n{question}{starter_section}"
SYSTEM_PROMPT = "You are an expert Python programmer who solves competitive programming problems."
STDIN_INSTRUCTION = (
    "Write a complete Python 3 program that solves the problem below. The program reads its input from "
    "standard input and prints the answer to standard output. Reply with the whole program in one ```python code block."
)
CALL_INSTRUCTION = (
    "Write Python 3 code that solves the problem below by completing the starter code: the tests call "
    "{fn_name} with their arguments and check its return value. Reply with the complete code, starter code "
    "included, in one ```python code block."
)
DEFAULT_TEMPLATE = "auto"
TEMPLATE_CHOICES = ("auto", "apps", "apps-train", "chat")
CALL_FORMAT = "Use Call-Based format"
STDIN_FORMAT = "Use Standard Input format"
_PLACEHOLDER = re.compile(r"\{(question|starter_code|format|starter_block|starter_format|instruction|starter_section)\}")


class TemplateKind(str, Enum):
    COMPLETION = "completion"  # the rendered text is the prompt
    CHAT = "chat"  # the rendered text is the user message of a chat, formatted by the tokenizer


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A resolved --template: what config.json records under "prompt"."""

    choice: str  # what was asked: auto, apps, apps-train, chat, a FILE or a template text
    name: str  # what was used: apps, apps-train, chat, file:PATH or custom
    kind: TemplateKind
    text: str  # completion: the prompt template; chat: the user message template
    system_prompt: str | None = None  # chat only
    chat_template_sha256: str | None = None  # chat only: the tokenizer's chat template

    @property
    def default_stops(self) -> tuple[str, ...]:
        """The stop strings when --stop is not given: the APPS cues, none for chat (its reply ends with EOS)."""
        return DEFAULT_STOP if self.kind is TemplateKind.COMPLETION else ()

    @property
    def ends_at_code_block(self) -> bool:
        """Chat replies end where their first fenced code block closes (the rest is prose)."""
        return self.kind is TemplateKind.CHAT

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind.value}

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> "PromptTemplate":
        return cls(**{**row, "kind": TemplateKind(row["kind"])})


def resolve_template(choice: str, tokenizer: Any) -> PromptTemplate:
    """The template that --template `choice` means for this tokenizer (see the module docstring)."""
    chat_template = getattr(tokenizer, "chat_template", None)
    if choice == "auto":
        choice_used = "chat" if isinstance(chat_template, str) and chat_template else "apps"
        return replace(resolve_template(choice_used, tokenizer), choice="auto")
    if choice == "chat":
        if not isinstance(chat_template, str) or not chat_template:
            raise ConfigError("--template chat: the model's tokenizer has no chat template (use --template apps)")
        sha = hashlib.sha256(chat_template.encode()).hexdigest()
        return PromptTemplate("chat", "chat", TemplateKind.CHAT, CHAT_USER_MESSAGE, SYSTEM_PROMPT, sha)
    if choice in TEMPLATES:
        return PromptTemplate(choice, choice, TemplateKind.COMPLETION, TEMPLATES[choice])
    if "{question}" in choice:
        return PromptTemplate(choice, "custom", TemplateKind.COMPLETION, choice)
    path = Path(choice).expanduser()
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--template {choice}: cannot read the file ({exc})") from None
        if "{question}" not in text:
            raise ConfigError(f"--template {choice}: the file has no {{question}} placeholder")
        return PromptTemplate(choice, f"file:{path}", TemplateKind.COMPLETION, text)
    return PromptTemplate(choice, choice, TemplateKind.COMPLETION, template_text(choice))  # raises for unknown names


def prompt_hash(prompt: str) -> str:
    """First 16 hex digits of the SHA-256 of a prompt text: recorded with every sample."""
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]

TokenCounter = Callable[[str], int]


def template_text(name_or_text: str) -> str:
    """The template text for a template name, or the text itself when it contains "{question}"."""
    if "{question}" in name_or_text:
        return name_or_text
    if name_or_text in TEMPLATES:
        return TEMPLATES[name_or_text]
    names = ", ".join(TEMPLATE_CHOICES)
    raise ConfigError(
        f"--template {name_or_text!r} is not a template name ({names}), a template file, nor a template text "
        "containing {question}"
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
        "instruction": CALL_INSTRUCTION.format(fn_name=problem.fn_name or "the function") if problem.fn_name or starter
        else STDIN_INSTRUCTION,
        "starter_section": f"\n\nStarter code:\n```python\n{starter.rstrip()}\n```" if starter.strip() else "",
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def render_prompt(problem: Problem, template: PromptTemplate, tokenizer: Any, question: str | None = None) -> str:
    """The prompt text of `problem`: the rendered template, through the chat template for chat."""
    text = render(problem, template.text, question)
    if template.kind is TemplateKind.COMPLETION:
        return text
    messages = [{"role": "user", "content": text}]
    if template.system_prompt:
        messages.insert(0, {"role": "system", "content": template.system_prompt})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def token_counter(tokenizer: Any, add_special_tokens: bool = True) -> TokenCounter:
    """Count tokens as generation will see them (special tokens included, e.g. a BOS, unless the text has them)."""
    if callable(getattr(tokenizer, "count_tokens", None)):
        return tokenizer.count_tokens
    return lambda text: len(tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])


def build_prompt(
    problem: Problem,
    template: str | PromptTemplate,
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
    if isinstance(template, str):
        template = PromptTemplate(template, "custom", TemplateKind.COMPLETION, template)
    prompt = render_prompt(problem, template, tokenizer)
    if max_context is None:
        return prompt, False
    count = token_counter(tokenizer, template.kind is TemplateKind.COMPLETION)
    budget = max_context - max_new_tokens
    if count(prompt) <= budget:
        return prompt, False
    fixed = count(render_prompt(problem, template, tokenizer, question=""))
    if fixed > budget:
        raise ConfigError(
            f"problem {problem.problem_id}: the prompt without its question needs {fixed} tokens but only "
            f"{max(budget, 0)} fit ({max_context} context - {max_new_tokens} new tokens); use a smaller --max-new-tokens"
        )
    keep = _longest_fitting_prefix(problem, template, tokenizer, count, budget)
    return render_prompt(problem, template, tokenizer, question=problem.question[:keep]), True


def _longest_fitting_prefix(
    problem: Problem, template: PromptTemplate, tokenizer: Any, count: TokenCounter, budget: int
) -> int:
    """The largest number of question characters whose prompt fits `budget` tokens (binary search)."""
    low, high = 0, len(problem.question)  # low always fits, high does not
    while high - low > 1:
        middle = (low + high) // 2
        if count(render_prompt(problem, template, tokenizer, question=problem.question[:middle])) <= budget:
            low = middle
        else:
            high = middle
    return low
