"""Request bodies: the OpenAI chat/completions schemas plus a ``pessimism`` override object.

Only the fields the server interprets are declared; everything else an OpenAI client may send
(``presence_penalty``, ``logit_bias``, ``top_logprobs``, ``response_format``, vendor fields such as
``top_k``...) is kept as an *extra* and forwarded to the upstream unchanged. Types are strict: a
string where a number belongs is a 400 naming the field, never coerced.

Interpreted fields and why:

* ``messages`` / ``prompt`` -- the prompt (one prompt per request: one aligned answer);
* ``temperature``, ``top_p``, ``max_tokens`` (or ``max_completion_tokens``), ``seed``, ``stop`` --
  how each candidate is sampled (``pessimism.models.base.SamplingParams``);
* ``n`` -- OpenAI's number of *returned* choices: the server returns one aligned choice, so only
  ``n = 1`` is accepted (the candidate count is ``pessimism.n``);
* ``logprobs`` -- whether to relay the chosen candidate's log-probabilities;
* ``stream``, ``stream_options`` -- server-sent events of the chosen answer;
* ``model`` -- forwarded upstream (the embedded backend checks it names the served model);
* ``pessimism`` -- the selection overrides below.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class PessimismOverrides(BaseModel):
    """Per-request selection settings (``extra_body={"pessimism": {...}}`` in the openai client).
    Unknown keys are rejected (a typo must not silently fall back to the default)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    method: str | None = None
    n: int | None = Field(default=None, ge=1)
    beta: float | None = None
    k: int | None = None
    alpha: float | None = None
    r_max: float | None = None

    def given(self) -> dict[str, Any]:
        """The fields the request actually set."""
        return {name: getattr(self, name) for name in self.model_fields_set if getattr(self, name) is not None}


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    include_usage: bool = False


class TextPart(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    """A chat message; extra keys (``name``...) are forwarded upstream as they are."""

    model_config = ConfigDict(extra="allow", strict=True)

    role: str
    content: Union[str, list[TextPart]]

    def as_prompt_message(self) -> dict[str, Any]:
        """The message as the policies take it: text parts joined into one string (OpenAI defines a
        list of text parts as their concatenation)."""
        data = self.model_dump(exclude_none=True)
        if not isinstance(self.content, str):
            data["content"] = "".join(part.text for part in self.content)
        return data


class _Common(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    model: str | None = None
    n: int | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    seed: int | None = None
    stop: Union[str, list[str], None] = Field(default=None, max_length=4)
    stream: bool = False
    stream_options: StreamOptions | None = None
    pessimism: PessimismOverrides | None = None

    @field_validator("n")
    @classmethod
    def _one_choice(cls, n: int | None) -> int | None:
        if n is not None and n != 1:
            raise ValueError(
                f"n={n}: this server returns one aligned choice per request; set the number of "
                "candidates with pessimism.n (openai client: extra_body={'pessimism': {'n': 8}})"
            )
        return n

    def stop_tuple(self) -> tuple[str, ...]:
        if self.stop is None:
            return ()
        return (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)

    def extras(self) -> dict[str, Any]:
        """Fields the server does not interpret: forwarded to the upstream unchanged."""
        return dict(self.model_extra or {})


class ChatCompletionRequest(_Common):
    """``POST /v1/chat/completions``."""

    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    logprobs: bool | None = None

    @model_validator(mode="after")
    def _token_limit(self) -> "ChatCompletionRequest":
        if self.max_tokens is not None and self.max_completion_tokens is not None:
            raise ValueError("max_tokens and max_completion_tokens are both set; give one of them")
        return self

    def token_limit(self) -> int | None:
        return self.max_tokens if self.max_tokens is not None else self.max_completion_tokens

    def wants_logprobs(self) -> bool:
        return bool(self.logprobs)


class CompletionRequest(_Common):
    """``POST /v1/completions`` (one text prompt; a list holding exactly one string is accepted)."""

    prompt: Union[str, list[str]]
    logprobs: int | None = Field(default=None, ge=0, le=20)

    @field_validator("prompt")
    @classmethod
    def _one_prompt(cls, prompt: str | list[str]) -> str | list[str]:
        if isinstance(prompt, list) and len(prompt) != 1:
            raise ValueError(
                f"this server aligns one prompt per request; got a list of {len(prompt)} "
                "(send one request per prompt, concurrently)"
            )
        return prompt

    def text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]

    def token_limit(self) -> int | None:
        return self.max_tokens

    def wants_logprobs(self) -> bool:
        return bool(self.logprobs)
