"""The Hugging Face policy on a tiny 2-layer Llama built here from a config (random weights, a BPE
tokenizer trained on a few sentences; nothing downloaded)."""

from __future__ import annotations

import numpy as np
import pytest

from pessimism.models import NextTokenScorer, Policy, SamplingParams, load_policy

pytest.importorskip("torch")
pytest.importorskip("transformers")

from pessimism.models.transformers_hf import HFPolicy  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tiny_hf_dir) -> HFPolicy:
    return HFPolicy(tiny_hf_dir)


def test_shapes_and_protocols(tiny: HFPolicy) -> None:
    assert isinstance(tiny, Policy) and isinstance(tiny, NextTokenScorer)
    assert tiny.name.startswith("hf:") and "@sha256:" in tiny.name
    out = tiny.generate(["the capital of france", [{"role": "user", "content": "yes or no"}]], 3,
                        SamplingParams(max_tokens=7, seed=0))
    assert [len(cs) for cs in out] == [3, 3]
    for cs in out:
        for c in cs:
            assert c.num_tokens == 7 and c.finish_reason == "length"  # random weights rarely emit <eos>
            assert len(c.token_logprobs) == 7 and c.logprob == pytest.approx(sum(c.token_logprobs))


def test_chat_template_is_applied(tiny: HFPolicy) -> None:
    ids = tiny.tokenize_prompt([{"role": "user", "content": "paris"}])
    assert tiny.tokenizer.decode(ids) == "<bos><user>paris\n<assistant>"


def test_seeded_sampling_is_deterministic(tiny: HFPolicy) -> None:
    p = SamplingParams(max_tokens=6, seed=42, temperature=0.9, top_p=0.95)
    a = tiny.generate(["what is the answer"], 4, p)[0]
    b = tiny.generate(["what is the answer"], 4, p)[0]
    assert [c.text for c in a] == [c.text for c in b]
    assert [c.token_logprobs for c in a] == [c.token_logprobs for c in b]
    assert len({c.text for c in a}) > 1  # rows use seeds 42..45
    c = tiny.generate(["what is the answer"], 4, SamplingParams(max_tokens=6, seed=7, temperature=0.9, top_p=0.95))[0]
    assert [x.text for x in c] != [x.text for x in a]


def test_token_logprobs_equal_a_teacher_forced_forward_pass(tiny: HFPolicy) -> None:
    """The samples are decoded with a KV cache repeated across rows and rows leaving the batch; the
    reported log-probabilities must equal one plain forward pass over prompt + completion."""
    prompt = "the capital of japan"
    pairs = tiny.generate_ids(prompt, 3, SamplingParams(max_tokens=8, seed=3, temperature=0.7))
    for ids, c in pairs:
        forced = tiny.sequence_logprobs(prompt, ids)
        np.testing.assert_allclose(c.token_logprobs, forced, atol=1e-4)
        assert c.logprob == pytest.approx(float(forced.sum()), abs=1e-3)


def test_end_of_sequence_stops_a_row_and_is_counted_but_not_shown(make_tiny_hf) -> None:
    d = make_tiny_hf(eos_ids=list(range(4, 200)))  # most of the vocabulary ends a sequence
    policy = HFPolicy(d)
    pairs = policy.generate_ids("yes", 6, SamplingParams(max_tokens=10, seed=0))
    stopped = [(ids, c) for ids, c in pairs if c.finish_reason == "stop"]
    assert stopped
    for ids, c in stopped:
        assert ids[-1] in policy.eos_token_ids and c.num_tokens == len(ids)
        assert c.text == policy.tokenizer.decode(list(ids[:-1]), skip_special_tokens=True)
        np.testing.assert_allclose(c.token_logprobs, policy.sequence_logprobs("yes", ids), atol=1e-4)


def test_stop_strings_cut_the_text(tiny: HFPolicy) -> None:
    pairs = tiny.generate_ids("the", 8, SamplingParams(max_tokens=12, seed=1))
    # pick a character that appears in some sample and stop on it
    text = next(c.text for _, c in pairs if len(c.text) > 3)
    stop = text[2]
    out = tiny.generate(["the"], 8, SamplingParams(max_tokens=12, seed=1, stop=(stop,)))[0]
    assert all(stop not in c.text for c in out)
    assert any(c.finish_reason == "stop" for c in out)


def test_next_token_logprobs_are_exact(tiny: HFPolicy) -> None:
    prompt = "is it true"
    (d,) = tiny.next_token_logprobs([prompt], ["yes", "no", "Yes"])
    ids = tiny.tokenize_prompt(prompt)
    for s in ("yes", "no", "Yes"):
        tok = tiny.first_token_id(s)
        # the log-probability of tok right after the prompt, by an independent forward pass
        import torch

        with torch.inference_mode():
            logits = tiny.model(input_ids=torch.tensor([ids])).logits[0, -1].double()
        assert d[s] == pytest.approx(float(torch.log_softmax(logits, -1)[tok]), abs=1e-5)


def test_no_chat_template_needs_plain_text(make_tiny_hf) -> None:
    d = make_tiny_hf(chat_template=False)
    with pytest.raises(ValueError, match="no chat template"):
        HFPolicy(d).generate(["hi"], 1, SamplingParams(max_tokens=2))
    raw = load_policy(f"hf:{d}?chat_template=none")
    assert raw.generate(["the capital"], 2, SamplingParams(max_tokens=3, seed=0))[0][0].num_tokens == 3
    with pytest.raises(ValueError, match="plain-text"):
        raw.generate([[{"role": "user", "content": "hi"}]], 1, SamplingParams(max_tokens=2))


def test_bad_arguments(tmp_path) -> None:
    with pytest.raises(ValueError, match="config.json"):
        HFPolicy(tmp_path)
