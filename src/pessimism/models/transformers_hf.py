"""Local Hugging Face causal language models as policies (``pip install 'pessimism[hf]'``).

Loads a model directory saved with ``save_pretrained`` (``local_files_only``: nothing is downloaded).
Per prompt: the prompt is run once; its KV cache is repeated ``n`` times along the batch and the ``n``
samples are decoded together, one row per sample, rows leaving the batch as they finish. Each row
draws its tokens with its own ``numpy`` generator seeded ``seed + j`` through
:mod:`pessimism.models._sampling`, so temperature / top-p and the reported log-probabilities (the
model's own, temperature 1) are exactly those of the llama.cpp backend. ``num_tokens`` and
``token_logprobs`` include the end-of-sequence token when the model produced one; ``text`` does not.

Chat templates (``chat_template=``): ``"auto"`` applies the tokenizer's chat template (and fails
clearly if it has none); ``"none"`` feeds string prompts verbatim (with the tokenizer's special
tokens, e.g. BOS) for base models.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._extras import require
from ._file_identity import files_sha256
from ._local import LocalGeneration
from ._sampling import log_softmax, sample_next
from .base import Completion, Prompt, SamplingParams, as_messages, run_sync

_DTYPES = ("auto", "float32", "float16", "bfloat16")


class HFPolicy(LocalGeneration):
    """A ``transformers`` causal LM from a local directory; implements ``Policy`` and ``NextTokenScorer``.

    Args:
        model_dir: a directory with ``config.json``, weights and tokenizer files.
        device: torch device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``...).
        dtype: ``"auto"``, ``"float32"``, ``"float16"`` or ``"bfloat16"``.
        chat_template: ``"auto"`` or ``"none"`` (module docstring).
        seed: used when ``SamplingParams.seed`` is ``None`` (``None``: fresh entropy).
    """

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "cpu",
        dtype: str = "float32",
        chat_template: str = "auto",
        seed: int | None = None,
    ) -> None:
        torch = require("torch", "hf", "the Hugging Face policy")
        transformers = require("transformers", "hf", "the Hugging Face policy")
        path = Path(model_dir).expanduser()
        if not (path / "config.json").is_file():
            raise ValueError(
                f"model_dir {str(path)!r} is not a Hugging Face model directory (no config.json); "
                "pass a local directory saved with save_pretrained"
            )
        if dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {_DTYPES}; got {dtype!r}")
        if chat_template not in ("auto", "none"):
            raise ValueError(f"chat_template must be 'auto' or 'none'; got {chat_template!r}")
        self._torch = torch
        self.model_dir = path
        self.device = device
        self.seed = seed
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
        dtype_kw = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"  # renamed in 4.56
        self.model = transformers.AutoModelForCausalLM.from_pretrained(
            str(path), local_files_only=True, **{dtype_kw: dtype if dtype == "auto" else getattr(torch, dtype)}
        ).to(device)
        self.model.eval()
        # transformers 5.x renamed the KV-cache argument and output field from past_key_values to cache.
        params = inspect.signature(self.model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        if chat_template == "auto" and not getattr(self.tokenizer, "chat_template", None):
            self._template_error: str | None = (
                f"the tokenizer in {path.name} has no chat template; pass chat_template='none' and "
                "plain-text prompts"
            )
        else:
            self._template_error = None
        self._template = chat_template
        files = [p for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith(".")]
        self.sha256 = files_sha256(files)
        eos: set[int] = set()
        for src in (self.tokenizer.eos_token_id, getattr(self.model.generation_config, "eos_token_id", None)):
            if isinstance(src, int):
                eos.add(src)
            elif isinstance(src, (list, tuple)):
                eos.update(int(x) for x in src)
        self.eos_token_ids = frozenset(eos)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """``hf:<dir name>@sha256:<first 16 hex of the directory's files>/<template>``."""
        return f"hf:{self.model_dir.name}@sha256:{self.sha256[:16]}/{self._template}"

    def __repr__(self) -> str:
        return f"HFPolicy({self.name!r}, device={self.device!r})"

    # ----------------------------------------------------------------------------------- prompts
    def tokenize_prompt(self, prompt: Prompt) -> list[int]:
        """Token ids fed to the model for ``prompt`` (chat template and generation prompt applied)."""
        if self._template == "none":
            if not isinstance(prompt, str):
                raise ValueError("chat_template='none' takes plain-text prompts; got a list of chat messages")
            return list(self.tokenizer(prompt, add_special_tokens=True)["input_ids"])
        if self._template_error:
            raise ValueError(self._template_error)
        text = self.tokenizer.apply_chat_template(as_messages(prompt), tokenize=False, add_generation_prompt=True)
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _prepare(self, prompts: Sequence[Prompt], max_tokens: int = 0) -> list[list[int]]:
        if isinstance(prompts, (str, bytes)):
            raise ValueError("prompts must be a sequence of prompts; wrap a single prompt in a list")
        out = []
        for i, p in enumerate(prompts):
            ids = self.tokenize_prompt(p)
            if not ids:
                raise ValueError(f"prompt {i} tokenizes to nothing; it needs at least one token")
            out.append(ids)
        return out

    # -------------------------------------------------------------------------------- generation
    def _forward(self, input_ids: Any, past: Any = None) -> tuple[np.ndarray, Any]:
        out = self.model(input_ids=input_ids, use_cache=True, **{self._cache_kw: past})
        return out.logits[:, -1, :].float().cpu().numpy(), getattr(out, self._cache_kw)

    def _generate_one(
        self, ids: list[int], n: int, params: SamplingParams
    ) -> list[tuple[tuple[int, ...], Completion]]:
        torch = self._torch
        base = params.seed if params.seed is not None else self.seed
        rngs = [np.random.default_rng(None if base is None else base + j) for j in range(n)]
        toks: list[list[int]] = [[] for _ in range(n)]
        lps: list[list[float]] = [[] for _ in range(n)]
        finish: list[str] = ["length"] * n
        cut: list[str | None] = [None] * n
        with self._lock, torch.inference_mode():
            logits, past = self._forward(torch.tensor([ids], device=self.device))
            try:
                past.batch_repeat_interleave(n)
                logits = np.repeat(logits, n, axis=0)
            except (AttributeError, NotImplementedError):  # a cache type that cannot be repeated
                logits, past = self._forward(torch.tensor([ids] * n, device=self.device))
            active = list(range(n))
            for step in range(params.max_tokens):
                nxt: list[int] = []
                keep: list[int] = []
                for row, j in enumerate(active):
                    tok, lp = sample_next(logits[row], params.temperature, params.top_p, rngs[j])
                    toks[j].append(tok)
                    lps[j].append(lp)
                    if tok in self.eos_token_ids:
                        finish[j] = "stop"
                        continue
                    if params.stop:
                        text = self.tokenizer.decode(toks[j], skip_special_tokens=True)
                        at = min((i for i in (text.find(s) for s in params.stop) if i >= 0), default=-1)
                        if at >= 0:
                            finish[j], cut[j] = "stop", text[:at]
                            continue
                    keep.append(row)
                    nxt.append(tok)
                if not keep or step == params.max_tokens - 1:
                    break
                if len(keep) < len(active):
                    past.batch_select_indices(torch.tensor(keep, device=self.device))
                    active = [active[r] for r in keep]
                logits, past = self._forward(torch.tensor(nxt, device=self.device).unsqueeze(1), past)
        out = []
        for j in range(n):
            body = toks[j][:-1] if finish[j] == "stop" and cut[j] is None else toks[j]
            text = cut[j] if cut[j] is not None else self.tokenizer.decode(body, skip_special_tokens=True)
            completion = Completion(
                text=text,
                num_tokens=len(toks[j]),
                logprob=float(sum(lps[j])),
                token_logprobs=tuple(lps[j]),
                finish_reason=finish[j],
            )
            out.append((tuple(toks[j]), completion))
        return out

    def sequence_logprobs(self, prompt: Prompt, completion_ids: Sequence[int]) -> np.ndarray:
        """Teacher-forced ``log pi(y_t | x, y_<t)`` of given completion token ids after ``prompt`` —
        one forward pass over prompt + completion (a check on what :meth:`generate` reports)."""
        torch = self._torch
        ids = self.tokenize_prompt(prompt)
        full = torch.tensor([ids + list(completion_ids)], device=self.device)
        with self._lock, torch.inference_mode():
            logits = self.model(input_ids=full).logits[0].double()
        lsm = torch.log_softmax(logits, dim=-1)
        pos = torch.arange(len(ids) - 1, len(ids) - 1 + len(completion_ids), device=lsm.device)
        tgt = torch.tensor(list(completion_ids), device=lsm.device)
        return lsm[pos, tgt].cpu().numpy()

    def first_token_id(self, text: str) -> int:
        """Id of the first token of ``text`` (no special tokens); multi-token strings are scored by their
        first token — pass variants (``"yes"``, ``" yes"``, ``"Yes"``) to cover tokenizations."""
        if not isinstance(text, str) or not text:
            raise ValueError(f"a token string must be a non-empty str; got {text!r}")
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        if not ids:
            raise ValueError(f"{text!r} tokenizes to nothing")
        return int(ids[0])

    def _next_token_logprobs(self, token_lists: list[list[int]], ids: list[int], tokens: Sequence[str]) -> list[dict[str, float]]:
        torch = self._torch
        out = []
        for toks in token_lists:
            with self._lock, torch.inference_mode():
                logits, _ = self._forward(torch.tensor([toks], device=self.device))
            lsm = log_softmax(logits[0])
            out.append({s: float(lsm[t]) for s, t in zip(tokens, ids)})
        return out

    async def anext_token_logprobs(
        self, prompts: Sequence[Prompt], tokens: Sequence[str]
    ) -> list[dict[str, float]]:
        """Exact next-token log-probabilities after each templated prompt for each string in ``tokens``."""
        if isinstance(tokens, str) or not tokens:
            raise ValueError("tokens must be a non-empty list of strings, e.g. ['yes', 'no']")
        ids = [self.first_token_id(t) for t in tokens]
        token_lists = self._prepare(prompts)
        return await asyncio.to_thread(self._next_token_logprobs, token_lists, ids, tokens)

    def next_token_logprobs(self, prompts: Sequence[Prompt], tokens: Sequence[str]) -> list[dict[str, float]]:
        """Sync wrapper of :meth:`anext_token_logprobs`."""
        return run_sync(self.anext_token_logprobs(prompts, tokens))
