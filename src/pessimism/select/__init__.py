"""The selection core: pure numpy rules that turn N proxy rewards into a distribution over candidates.

No I/O and no models here; everything else in pessimism (the lab, the theory lab, the pipeline, the
server) calls these functions.
"""

from .normalizer import chi2_lambda
from .registry import RULES, SEQUENTIAL_RULES, Rule, get_rule, sample_index, select, selection_probs
from .rules import SequentialSelection, bon, itp, itp_sequential, kl_rejection, soft_bon, topk, uniform
from .stream import Algorithm1Result, ITPAlgorithm1, itp_algorithm1
from .voting import VoteResult, best_of_majority, majority_vote, weighted_majority_vote

__all__ = [
    "RULES",
    "SEQUENTIAL_RULES",
    "Algorithm1Result",
    "ITPAlgorithm1",
    "Rule",
    "SequentialSelection",
    "VoteResult",
    "best_of_majority",
    "bon",
    "chi2_lambda",
    "get_rule",
    "itp",
    "itp_algorithm1",
    "itp_sequential",
    "kl_rejection",
    "majority_vote",
    "sample_index",
    "select",
    "selection_probs",
    "soft_bon",
    "topk",
    "uniform",
    "weighted_majority_vote",
]
