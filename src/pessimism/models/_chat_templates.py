"""Chat formats we render ourselves.

Gemma's turn format (Gemma 2 / 3; the embedded GGUF carries no ``tokenizer.chat_template`` and
llama-cpp-python would otherwise fall back to Llama-2's ``[INST]`` format, which is wrong for Gemma)::

    <start_of_turn>user
    {system}\\n\\n{first user message}<end_of_turn>
    <start_of_turn>model
    {assistant message}<end_of_turn>
    ...
    <start_of_turn>model            <- the generation prompt

Roles must alternate user / assistant starting with user; an optional leading system message is
prepended, followed by a blank line, to the first user message (Gemma has no system role);
message contents are stripped of surrounding whitespace; ``assistant`` is written ``model``.
The ``<bos>`` token is added by the tokenizer, not here.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import ChatMessage

GEMMA_END_OF_TURN = "<end_of_turn>"


def gemma_turns(messages: Sequence[ChatMessage], add_generation_prompt: bool = True) -> str:
    """Render chat messages in Gemma's turn format (see the module docstring)."""
    msgs = list(messages)
    prefix = ""
    if msgs and msgs[0]["role"] == "system":
        prefix = msgs[0]["content"] + "\n\n"
        msgs = msgs[1:]
        if not msgs:
            raise ValueError("a system message must be followed by a user message (Gemma has no system turn)")
    if not msgs:
        raise ValueError("a chat prompt needs at least one message")
    parts: list[str] = []
    for i, m in enumerate(msgs):
        expected = "user" if i % 2 == 0 else "assistant"
        if m["role"] != expected:
            raise ValueError(
                f"message {i} has role {m['role']!r}; Gemma needs roles alternating user/assistant "
                "starting with user (one optional leading system message)"
            )
        role = "model" if m["role"] == "assistant" else "user"
        content = (prefix if i == 0 else "") + m["content"].strip()
        parts.append(f"<start_of_turn>{role}\n{content}{GEMMA_END_OF_TURN}\n")
    if add_generation_prompt:
        parts.append("<start_of_turn>model\n")
    return "".join(parts)
