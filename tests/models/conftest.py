"""Fixtures for the policy-adapter tests: the embedded model loaded once, a tiny local HF model."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def gemma():
    """The embedded Gemma 3 270M policy (Gemma turn format), loaded once per session."""
    pytest.importorskip("llama_cpp")
    from pessimism.models.llama_cpp import LlamaCppPolicy

    return LlamaCppPolicy(n_ctx=1024, n_threads=1)


@pytest.fixture(scope="session")
def gemma_raw():
    """The embedded model fed plain text (``chat_template='none'``): it is a base model."""
    pytest.importorskip("llama_cpp")
    from pessimism.models.llama_cpp import LlamaCppPolicy

    return LlamaCppPolicy(n_ctx=1024, n_threads=1, chat_template="none")


def build_tiny_hf_model(target: Path, *, eos_ids: list[int] | None = None, chat_template: bool = True) -> Path:
    """Save a 2-layer Llama with random weights and a byte-level BPE tokenizer trained here on a few
    sentences (no downloads) to ``target``. ``eos_ids`` overrides the generation config's end ids."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    corpus = [
        "the capital of france is paris", "the capital of japan is tokyo", "yes no maybe",
        "what is the answer to the question", "Is it true? Yes. Is it false? No.",
    ] * 10
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<pad>", "<bos>", "<eos>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(corpus, trainer)
    hf_tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>", unk_token="<unk>"
    )
    if chat_template:
        hf_tok.chat_template = (
            "{{ bos_token }}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}<assistant>{% endif %}"
        )
    cfg = transformers.LlamaConfig(
        vocab_size=len(hf_tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
        bos_token_id=hf_tok.bos_token_id, eos_token_id=hf_tok.eos_token_id, pad_token_id=hf_tok.pad_token_id,
    )
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(cfg)
    if eos_ids is not None:
        model.generation_config.eos_token_id = eos_ids
    model.save_pretrained(target)
    hf_tok.save_pretrained(target)
    return target


@pytest.fixture(scope="session")
def tiny_hf_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama (random weights) with a chat template, saved once per session."""
    return build_tiny_hf_model(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture
def make_tiny_hf(tmp_path: Path):
    """Build a tiny model variant: ``make_tiny_hf(eos_ids=[...], chat_template=False)``."""
    return lambda **kw: build_tiny_hf_model(tmp_path / "variant", **kw)
