"""Gemma's turn format, rendered by us because the embedded GGUF has no chat template."""

from __future__ import annotations

import pytest

from pessimism.models._chat_templates import gemma_turns


def test_single_user_message_gets_the_generation_prompt() -> None:
    assert gemma_turns([{"role": "user", "content": " Capital of France? "}]) == (
        "<start_of_turn>user\nCapital of France?<end_of_turn>\n<start_of_turn>model\n"
    )


def test_system_message_is_prepended_to_the_first_user_turn_and_assistant_is_model() -> None:
    msgs = [
        {"role": "system", "content": "Answer in one word."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris"},
        {"role": "user", "content": "And Japan?"},
    ]
    assert gemma_turns(msgs) == (
        "<start_of_turn>user\nAnswer in one word.\n\nCapital of France?<end_of_turn>\n"
        "<start_of_turn>model\nParis<end_of_turn>\n"
        "<start_of_turn>user\nAnd Japan?<end_of_turn>\n"
        "<start_of_turn>model\n"
    )
    assert not gemma_turns(msgs, add_generation_prompt=False).endswith("<start_of_turn>model\n")


@pytest.mark.parametrize(
    "msgs",
    [
        [],
        [{"role": "system", "content": "only a system message"}],
        [{"role": "assistant", "content": "starts with the model"}],
        [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}],
        [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}],
    ],
)
def test_malformed_conversations_are_rejected(msgs: list) -> None:
    with pytest.raises(ValueError):
        gemma_turns(msgs)
