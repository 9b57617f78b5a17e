"""Reward models: the proxy reward ``r_hat`` (judges, classifiers, servers, callables) and the
ground truth ``r_star`` (verifiers), all behind one batch-first protocol,
``ascore(prompts, responses) -> list[float]`` with a sync ``score``.

Adapters import their heavy dependencies lazily; this package imports nothing beyond the standard
library and :mod:`pessimism.models.base`.
"""

from .base import RewardModel, check_pairs
from .callable import CallableReward
from .dedup import ascore_unique, score_unique, unique_pairs
from .factory import SPEC_HELP, load_reward
from .hf_classifier import HFClassifierReward
from .http_scorer import HttpApi, HttpReward, RewardServerError
from .judge import TEMPLATES, JudgeReward, JudgeTemplate
from .self_certainty import ResponseLogprobScorer, SelfCertaintyReward
from .verifier import Verifier, exact_match, math_match, normalize_text, numeric_match, parse_number

__all__ = [
    "SPEC_HELP",
    "TEMPLATES",
    "CallableReward",
    "HFClassifierReward",
    "HttpApi",
    "HttpReward",
    "JudgeReward",
    "JudgeTemplate",
    "ResponseLogprobScorer",
    "RewardModel",
    "RewardServerError",
    "SelfCertaintyReward",
    "Verifier",
    "ascore_unique",
    "check_pairs",
    "exact_match",
    "load_reward",
    "math_match",
    "normalize_text",
    "numeric_match",
    "parse_number",
    "score_unique",
    "unique_pairs",
]
