"""pessimism: inference-time alignment that does not reward-hack.

Sample N responses from a reference policy, score them with an imperfect reward model, and choose
with InferenceTimePessimism (chi-squared regularized selection) instead of Best-of-N.
"""

from .select import (
    chi2_lambda,
    itp_algorithm1,
    select,
    selection_probs,
)

__version__ = "0.1.0"

__all__ = ["__version__", "chi2_lambda", "itp_algorithm1", "select", "selection_probs"]
