"""Tiny Hugging Face models built offline from configs, shared by the reward tests and the recipe test.

A word-level tokenizer over a small fixed vocabulary (with or without a chat template) and seeded
random weights: enough to exercise real transformers code paths with no download.
"""

from __future__ import annotations

from pathlib import Path

import transformers
from tokenizers import Tokenizer, models, pre_tokenizers, processors

WORDS = (
    "what is the capital of france germany italy answer with city name only paris berlin rome lyon "
    "banana i think it maybe yes no a an ? . ,"
).split()
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "<s>", "</s>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {% endfor %}{{ eos_token }}"
)

def tiny_tokenizer(chat: bool, padding_side: str) -> transformers.PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(SPECIALS + WORDS)}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.normalizer = None
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    if not chat:
        core.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
        )
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        bos_token="<s>",
        eos_token="</s>",
        cls_token="[CLS]",
        sep_token="[SEP]",
        additional_special_tokens=["<|user|>", "<|assistant|>"],
        padding_side=padding_side,
        model_max_length=256,
        model_input_names=["input_ids", "attention_mask"] if chat else ["input_ids", "token_type_ids", "attention_mask"],
    )
    if chat:
        tok.chat_template = CHAT_TEMPLATE
    return tok



def save_tiny_llama_rm(directory: Path, *, padding_side: str = "right", seed: int = 0) -> Path:
    """A 2-layer LlamaForSequenceClassification reward model with a chat-template tokenizer."""
    import torch

    torch.manual_seed(seed)
    config = transformers.LlamaConfig(
        vocab_size=len(SPECIALS) + len(WORDS), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, num_labels=1,
        pad_token_id=0, bos_token_id=4, eos_token_id=5,
    )
    transformers.LlamaForSequenceClassification(config).eval().save_pretrained(directory)
    tiny_tokenizer(chat=True, padding_side=padding_side).save_pretrained(directory)
    return directory
