"""The theory lab: exact finite instances that reproduce the paper's claims (DESIGN.md sections 1-3).

Given a finite response space - reference probabilities ``pi_ref``, proxy rewards ``r_hat``, true
rewards ``r_star`` - compute exactly (or by seeded Monte Carlo with a stated error where exactness is
out of reach) what each inference-time rule returns and its true reward:

* :func:`bon_value` / :func:`bon_distribution` / :func:`bon_curve`: Best-of-N for any N (10^6 included);
* :func:`chi2_policy` (ITP's N -> inf limit), :func:`kl_policy` (the exponential tilt);
* :func:`itp_pool_law`: ITP's pool form at finite N; :func:`algorithm1_law`: ITP Algorithm 1 at finite N
  with the expected number of samples it consumes;
* :func:`eps2`, :func:`coverage_chi2`, :func:`coverage_linf`, comparators :func:`best_response` and
  :func:`chi2_ball_comparator`;
* bundled instances (:func:`get_instance`), the claims (:func:`check_claims`) and the rate study
  (:func:`rate_study`).

numpy only.
"""

from .bon import bon_curve, bon_distribution, bon_value
from .claims import CLAIMS, Claim, check_claims
from .coverage import best_response, chi2_ball_comparator, coverage_chi2, coverage_linf, eps2
from .instance import FiniteInstance
from .instances import CATALOGUE, gem, get_instance, hacker, hacking, random_instance, well_covered
from .itp import algorithm1_law, itp_pool_law
from .policies import chi2_normalizer, chi2_policy, expected_reward, kl_policy
from .pools import MAX_MULTISETS, Estimate, enumerate_counts, multiset_count
from .rates import RatePoint, RateStudy, hard_class, rate_point, rate_study

__all__ = [
    "CATALOGUE",
    "CLAIMS",
    "MAX_MULTISETS",
    "Claim",
    "Estimate",
    "FiniteInstance",
    "RatePoint",
    "RateStudy",
    "algorithm1_law",
    "best_response",
    "bon_curve",
    "bon_distribution",
    "bon_value",
    "check_claims",
    "chi2_ball_comparator",
    "chi2_normalizer",
    "chi2_policy",
    "coverage_chi2",
    "coverage_linf",
    "enumerate_counts",
    "eps2",
    "expected_reward",
    "gem",
    "get_instance",
    "hacker",
    "hacking",
    "hard_class",
    "itp_pool_law",
    "kl_policy",
    "multiset_count",
    "random_instance",
    "rate_point",
    "rate_study",
    "well_covered",
]
