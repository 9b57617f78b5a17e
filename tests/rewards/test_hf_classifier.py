"""HF sequence-classification reward models, on tiny real models built here from configs (no downloads).

Two architectures: a 2-layer Llama with a chat-template tokenizer (the Skywork / ArmoRM path) and a
2-layer DeBERTa-v2 with a text-pair tokenizer (the OpenAssistant path). Weights are random but
seeded; what is tested is the plumbing: template, batching, padding, heads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from fixtures_hf import SPECIALS, WORDS, tiny_tokenizer as _tokenizer  # noqa: E402

from pessimism.rewards import HFClassifierReward, load_reward  # noqa: E402

PROMPTS = [
    "What is the capital of France? Answer with the city name only.",
    "What is the capital of Germany?",
    [{"role": "user", "content": "What is the capital of Italy?"}],
    "What is the capital of France?",
    "What is the capital of France? Answer with the city name only.",
]
RESPONSES = ["Paris", "Berlin, I think", "Rome", "banana banana banana maybe Lyon", "Paris"]


def _lower_tokenizer_words(text: str) -> list[str]:
    return [w.lower() for w in text.replace("?", " ?").replace(",", " ,").replace(".", " .").split()]


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("hf_rm")
    n_vocab = len(SPECIALS) + len(WORDS)
    dirs = {}
    llama_cfg = transformers.LlamaConfig(
        vocab_size=n_vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, num_labels=1, pad_token_id=0, bos_token_id=4,
        eos_token_id=5,
    )
    llama = transformers.LlamaForSequenceClassification(llama_cfg).eval()
    for side in ("left", "right"):
        d = root / f"llama-{side}"
        llama.save_pretrained(d)
        _tokenizer(chat=True, padding_side=side).save_pretrained(d)
        dirs[f"llama-{side}"] = d
    multi_cfg = transformers.LlamaConfig(**{**llama_cfg.to_dict(), "num_labels": 3,
                                            "id2label": {0: "helpfulness", 1: "safety", 2: "verbosity"},
                                            "label2id": {"helpfulness": 0, "safety": 1, "verbosity": 2}})
    d = root / "llama-multi"
    transformers.LlamaForSequenceClassification(multi_cfg).save_pretrained(d)
    _tokenizer(chat=True, padding_side="right").save_pretrained(d)
    dirs["llama-multi"] = d
    deberta_cfg = transformers.DebertaV2Config(
        vocab_size=n_vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        max_position_embeddings=256, type_vocab_size=2, num_labels=1, pad_token_id=0,
    )
    d = root / "deberta"
    transformers.DebertaV2ForSequenceClassification(deberta_cfg).save_pretrained(d)
    _tokenizer(chat=False, padding_side="right").save_pretrained(d)
    dirs["deberta"] = d
    return dirs


@pytest.mark.parametrize("name", ["llama-right", "deberta"])
def test_batching_equals_one_by_one(model_dirs: dict[str, Path], name: str) -> None:
    rm = HFClassifierReward(str(model_dirs[name]), batch_size=3, device="cpu")
    batched = rm.score(PROMPTS, RESPONSES)
    single = [rm.score([p], [r])[0] for p, r in zip(PROMPTS, RESPONSES)]
    assert batched == pytest.approx(single, rel=1e-4, abs=1e-5)
    assert batched[0] == pytest.approx(batched[4])  # identical pairs, different batches
    assert len({round(s, 6) for s in batched[:4]}) == 4  # the random heads do tell these apart


def test_padding_side_does_not_change_scores(model_dirs: dict[str, Path]) -> None:
    left = HFClassifierReward(str(model_dirs["llama-left"]), batch_size=5, device="cpu")
    right = HFClassifierReward(str(model_dirs["llama-right"]), batch_size=5, device="cpu")
    assert left.tokenizer.padding_side == "left" and right.tokenizer.padding_side == "right"
    assert left.score(PROMPTS, RESPONSES) == pytest.approx(right.score(PROMPTS, RESPONSES), rel=1e-5, abs=1e-6)


def test_chat_template_is_applied(model_dirs: dict[str, Path]) -> None:
    rm = HFClassifierReward(str(model_dirs["llama-right"]), device="cpu")
    assert rm.use_chat_template
    vocab = rm.tokenizer.get_vocab()
    ids = rm.encode("What is the capital of France?", "Paris")["input_ids"]
    expected = (
        ["<s>", "<|user|>"] + _lower_tokenizer_words("What is the capital of France?")
        + ["<|assistant|>", "paris", "</s>"]
    )
    # the WordLevel vocab is lower case; capitalized words are [UNK], so compare on the known structure
    got = [rm.tokenizer.convert_ids_to_tokens(i) for i in ids]
    assert got[:2] == ["<s>", "<|user|>"] and got[-3:] == ["<|assistant|>", "[UNK]", "</s>"]
    assert len(got) == len(expected)
    assert got.count("<s>") == 1  # the template's BOS is not doubled by add_special_tokens
    assert vocab["<|assistant|>"] in ids
    # without the template the input (and so the score) differs
    plain = HFClassifierReward(str(model_dirs["llama-right"]), device="cpu", use_chat_template=False)
    assert vocab["<|assistant|>"] not in plain.encode("What is the capital of France?", "Paris")["input_ids"]
    assert rm.score(PROMPTS[:1], RESPONSES[:1]) != pytest.approx(plain.score(PROMPTS[:1], RESPONSES[:1]))


def test_text_pair_encoding_without_template(model_dirs: dict[str, Path]) -> None:
    rm = HFClassifierReward(str(model_dirs["deberta"]), device="cpu")
    assert not rm.use_chat_template
    enc = rm.encode("what is the capital of france ?", "paris")
    tokens = rm.tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert tokens == ["[CLS]", *"what is the capital of france ?".split(), "[SEP]", "paris", "[SEP]"]
    assert enc["token_type_ids"] == [0] * 9 + [1, 1]


def test_heads(model_dirs: dict[str, Path]) -> None:
    path = str(model_dirs["llama-multi"])
    with pytest.raises(ValueError, match="has 3 outputs"):
        HFClassifierReward(path, device="cpu")
    by_label = HFClassifierReward(path, head="safety", device="cpu").score(PROMPTS, RESPONSES)
    by_index = HFClassifierReward(path, head=1, device="cpu").score(PROMPTS, RESPONSES)
    by_attr = HFClassifierReward(path, head="logits:1", device="cpu").score(PROMPTS, RESPONSES)
    other = HFClassifierReward(path, head=2, device="cpu").score(PROMPTS, RESPONSES)
    assert by_label == pytest.approx(by_index) and by_attr == pytest.approx(by_index)
    assert other != pytest.approx(by_index)
    with pytest.raises(ValueError, match="out of range"):
        HFClassifierReward(path, head=3, device="cpu")
    with pytest.raises(ValueError, match="no attribute 'rewards'"):
        HFClassifierReward(path, head="rewards", device="cpu").score(PROMPTS[:1], RESPONSES[:1])
    assert load_reward(f"hf:{path}@2").score(PROMPTS, RESPONSES) == pytest.approx(other)
    first = load_reward(f"hf:{path}@0")
    assert first.head == 0 and first.name == f"hf:{path}@0"
    spec = load_reward(f"hf:{path}@safety")
    assert spec.name == f"hf:{path}@safety"
    assert spec.score(PROMPTS, RESPONSES) == pytest.approx(by_label)


def test_too_long_input_is_an_error_not_a_truncation(model_dirs: dict[str, Path]) -> None:
    rm = HFClassifierReward(str(model_dirs["llama-right"]), device="cpu", max_length=12)
    with pytest.raises(ValueError, match="pair 1 .* longer than max_length=12"):
        rm.score(["hi", "What is the capital of France? Answer with the city name only."], ["x", "Paris"])
