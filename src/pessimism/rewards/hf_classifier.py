"""Hugging Face sequence-classification reward models (Skywork-Reward, ArmoRM-style, OpenAssistant DeBERTa).

``AutoModelForSequenceClassification`` scores a whole (prompt, response) text; the reward is one
output of the model:

- **Input.** If the tokenizer has a chat template (Skywork-Reward, ArmoRM, most modern RMs), the
  conversation ``[user prompt..., {"role": "assistant", "content": response}]`` is rendered with it
  and tokenized without adding special tokens (the template carries them, as
  ``apply_chat_template(tokenize=True)`` does). Without a template (OpenAssistant's DeBERTa RMs) the
  pair is encoded as a text pair ``tokenizer(question, response)``, where ``question`` is the
  prompt's messages joined by blank lines.
- **Output.** ``head=None`` requires a single-logit model. ``head=3`` takes logit column 3;
  ``head="helpfulness"`` the column whose ``config.id2label`` is that label; ``head="score"`` an
  attribute of the model output (ArmoRM's custom output has ``.score``); ``head="rewards:3"`` column
  3 of that attribute.
- **Batching.** Pairs are sorted by length, batched and **right**-padded by this module (whatever
  the tokenizer's ``padding_side``), with ``pad_token_id`` = the model config's, else the
  tokenizer's, else EOS (written into the config, which last-token pooling needs). Run under
  ``torch.inference_mode()``. Scores equal one-by-one scoring up to float rounding.
- Inputs longer than ``max_length`` (default: the tokenizer's ``model_max_length``) raise a
  ValueError naming the pair: a truncated response would be scored on text the user never sees.

Needs the ``[hf]`` extra (transformers + torch), imported lazily.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from .._extras import require
from ..models.base import Prompt, as_messages
from ._common import SyncScoreMixin, _short, check_scores
from .base import check_pairs


def pick_device(device: str = "auto") -> str:
    """``auto`` -> ``cuda`` if available, else ``mps``, else ``cpu``; anything else is passed through."""
    torch = require("torch", "hf", "Hugging Face reward models")
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


class HFClassifierReward(SyncScoreMixin):
    """A sequence-classification reward model from a local directory or a hub id.

    Args:
        model: path of a saved model directory (or a hub id; pessimism itself never downloads).
        head: which output is the reward (module docstring); ``None`` for single-logit models.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``.
        batch_size: pairs per forward pass.
        max_length: longest accepted input in tokens (default: the tokenizer's ``model_max_length``).
        dtype: e.g. ``"bfloat16"`` (default: as saved).
        trust_remote_code: needed by models with custom code (ArmoRM).
        use_chat_template: force (True) or disable (False) the chat template; default: use it if
            the tokenizer has one.
    """

    def __init__(
        self,
        model: str,
        *,
        head: int | str | None = None,
        device: str = "auto",
        batch_size: int = 8,
        max_length: int | None = None,
        dtype: str | None = None,
        trust_remote_code: bool = False,
        use_chat_template: bool | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1; got {batch_size}")
        transformers = require("transformers", "hf", "Hugging Face reward models")
        torch = require("torch", "hf", "Hugging Face reward models")
        self.model_id = str(model)
        self.device = pick_device(device)
        kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
        if dtype is not None:
            if not isinstance(getattr(torch, dtype, None), torch.dtype):
                raise ValueError(f"dtype must name a torch dtype such as 'float32' or 'bfloat16'; got {dtype!r}")
            major_minor = tuple(int(x) for x in transformers.__version__.split(".")[:2])
            kwargs["dtype" if major_minor >= (4, 56) else "torch_dtype"] = getattr(torch, dtype)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.model_id, trust_remote_code=trust_remote_code)
        self.model = transformers.AutoModelForSequenceClassification.from_pretrained(self.model_id, **kwargs)
        self.model.to(self.device).eval()
        self.head = head
        self.batch_size = batch_size
        has_template = bool(getattr(self.tokenizer, "chat_template", None))
        if use_chat_template and not has_template:
            raise ValueError(f"use_chat_template=True but the tokenizer of {self.model_id!r} has no chat template")
        self.use_chat_template = has_template if use_chat_template is None else use_chat_template
        limit = max_length if max_length is not None else getattr(self.tokenizer, "model_max_length", None)
        self.max_length = int(limit) if limit is not None and limit < 10**7 else None
        self.pad_token_id = self._pad_id()
        self._column = self._resolve_head()

    # -- setup ---------------------------------------------------------------------------------
    def _pad_id(self) -> int:
        config = self.model.config
        text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
        pad = getattr(text_config, "pad_token_id", None)
        if pad is None:
            pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id
        if pad is None:
            raise ValueError(
                f"{self.model_id!r} defines no pad, and no EOS, token: set tokenizer.pad_token before scoring"
            )
        if isinstance(pad, (list, tuple)):
            pad = pad[0]
        text_config.pad_token_id = int(pad)
        config.pad_token_id = int(pad)
        return int(pad)

    def _resolve_head(self) -> tuple[str | None, int | None]:
        """(output attribute, column) pair describing where the reward is read."""
        num_labels = getattr(self.model.config, "num_labels", None)
        labels = dict(getattr(self.model.config, "label2id", {}) or {})
        head = self.head
        if head is None:
            if num_labels not in (None, 1):
                raise ValueError(
                    f"{self.model_id!r} has {num_labels} outputs (labels {sorted(labels)}); choose the reward "
                    "with head=<column index | label | output attribute>, e.g. hf:/path@0"
                )
            return None, 0
        if isinstance(head, int) or (isinstance(head, str) and head.lstrip("-").isdigit()):
            column = int(head)
            if num_labels is not None and not -num_labels <= column < num_labels:
                raise ValueError(f"head={head} is out of range for {self.model_id!r}, which has {num_labels} outputs")
            return None, column
        if head in labels:
            return None, int(labels[head])
        attr, _, col = head.partition(":")
        if col and not col.lstrip("-").isdigit():
            raise ValueError(f"head {head!r}: the part after ':' must be a column index")
        return attr, (int(col) if col else None)

    # -- encoding ------------------------------------------------------------------------------
    def encode(self, prompt: Prompt, response: str) -> dict[str, list[int]]:
        """Token ids (and masks) of one pair, unpadded (see the module docstring)."""
        messages = as_messages(prompt)
        if self.use_chat_template:
            conversation = [*messages, {"role": "assistant", "content": response}]
            text = self.tokenizer.apply_chat_template(conversation, tokenize=False)
            enc = self.tokenizer(text, add_special_tokens=False)
        else:
            question = "\n\n".join(m["content"] for m in messages)
            enc = self.tokenizer(question, response)
        return {k: list(v) for k, v in enc.items()}

    def _batch(self, encodings: Sequence[dict[str, list[int]]]) -> dict[str, Any]:
        torch = require("torch", "hf", "Hugging Face reward models")
        width = max(len(e["input_ids"]) for e in encodings)
        out: dict[str, Any] = {}
        for key in encodings[0]:
            fill = self.pad_token_id if key == "input_ids" else 0
            rows = [e[key] + [fill] * (width - len(e[key])) for e in encodings]
            out[key] = torch.tensor(rows, dtype=torch.long, device=self.device)
        if "attention_mask" not in out:
            rows = [[1] * len(e["input_ids"]) + [0] * (width - len(e["input_ids"])) for e in encodings]
            out["attention_mask"] = torch.tensor(rows, dtype=torch.long, device=self.device)
        return out

    def _read(self, output: Any) -> Any:
        attr, column = self._column
        values = output.logits if attr is None else getattr(output, attr, None)
        if values is None:
            raise ValueError(
                f"head {self.head!r}: the output of {self.model_id!r} has no attribute {attr!r} and no label of "
                f"that name (labels: {sorted(self.model.config.label2id or {})})"
            )
        values = values.float()
        if values.dim() == 1:
            values = values[:, None]
        if column is None:
            if values.shape[-1] != 1:
                raise ValueError(
                    f"head {self.head!r} has {values.shape[-1]} columns; pick one with head='{attr}:<index>'"
                )
            column = 0
        return values[:, column]

    # -- scoring -------------------------------------------------------------------------------
    def score_sync(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        """Blocking scoring (``ascore`` runs this in a worker thread)."""
        torch = require("torch", "hf", "Hugging Face reward models")
        check_pairs(prompts, responses)
        encodings = [self.encode(p, r) for p, r in zip(prompts, responses)]
        for i, enc in enumerate(encodings):
            if self.max_length is not None and len(enc["input_ids"]) > self.max_length:
                raise ValueError(
                    f"pair {i} (prompt {_short(prompts[i])}) is {len(enc['input_ids'])} tokens, longer than "
                    f"max_length={self.max_length} of {self.model_id!r}; shorten it or raise max_length"
                )
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i]["input_ids"]))
        scores: list[float] = [0.0] * len(encodings)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self._batch([encodings[i] for i in idx])
                values = self._read(self.model(**batch)).cpu().tolist()
                for i, v in zip(idx, values):
                    scores[i] = v
        return check_scores(scores, prompts, responses, self.name)

    @property
    def name(self) -> str:
        return f"hf:{self.model_id}" + ("" if self.head is None else f"@{self.head}")

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        check_pairs(prompts, responses)
        if not responses:
            return []
        return await asyncio.to_thread(self.score_sync, list(prompts), list(responses))
