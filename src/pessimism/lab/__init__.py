"""The evaluation lab: scaling curves of every selection rule on a pool of sampled responses.

A *pool* holds M responses per prompt with a proxy reward and a true reward (DESIGN.md section 4). The
lab evaluates each rule at each budget N as if its N candidates were drawn from the pool: exactly
where order statistics allow (bon, uniform, topk, best-of-Poisson, oracle pass@N, majority vote when
feasible, every N = inf limit), by vectorized Monte Carlo otherwise (itp, soft_bon, Algorithm 1,
weighted voting). Rule probabilities always come from :mod:`pessimism.select`.

Entry points: :func:`load_pool` / :func:`write_pool`, :func:`evaluate` (a tidy :class:`LabTable`),
:func:`run_lab` (files + report, what ``pessimism lab`` runs) and :func:`make_pool` (synthetic data).
Needs the ``[lab]`` extra for Parquet, plots and progress bars.
"""

from .engine import METHODS
from .evaluate import DEFAULT_METHODS, evaluate
from .io import load_pool, write_pool
from .pool import Pool
from .report import LabResult, run_lab
from .synthetic import make_pool
from .table import LabTable

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "LabResult",
    "LabTable",
    "Pool",
    "evaluate",
    "load_pool",
    "make_pool",
    "run_lab",
    "write_pool",
]
