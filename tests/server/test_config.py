"""The server's configuration and the merge of request overrides (no HTTP)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pessimism.align import METHODS
from pessimism.select import selection_probs
from pessimism.server import ServerConfig
from pessimism.server.selection import RULE_PARAMS, SelectionError, accepted_params, resolve_selection


def test_config_is_frozen_and_hides_the_key() -> None:
    config = ServerConfig(upstream="http://127.0.0.1:1/v1", api_key="k3y")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.n = 4  # type: ignore[misc]
    assert "k3y" not in repr(config)
    assert ServerConfig(upstream="embedded").embedded


@pytest.mark.parametrize(("kwargs", "flag"), [
    ({"method": "nope"}, "--method"), ({"method": "topk"}, "--k"), ({"beta": 0.0}, "--beta"),
    ({"method": "itp_algorithm1"}, "--r-max"), ({"n": 100}, "--n"), ({"timeout": -1.0}, "--timeout"),
    ({"max_concurrency": 0}, "--max-concurrency"), ({"upstream": "ftp://x"}, "--upstream"),
    ({"api_key": " "}, "--api-key"), ({"retries": -1}, "--retries"),
])
def test_bad_settings_name_the_flag(kwargs: dict, flag: str) -> None:
    with pytest.raises(ValueError, match=flag):
        ServerConfig(**kwargs)


def test_server_defaults_apply_only_where_the_method_takes_them() -> None:
    defaults = ServerConfig(beta=2.0, k=3).selection_defaults()
    assert resolve_selection(defaults, {"method": "bon"}).kwargs == {}
    assert resolve_selection(defaults, {"method": "topk"}).kwargs == {"k": 3}
    assert resolve_selection(defaults, {"method": "soft_bon", "beta": 0.1}).kwargs == {"beta": 0.1}
    with pytest.raises(SelectionError) as err:
        resolve_selection(defaults, {"method": "bon", "k": 2})  # explicit and not taken: an error
    assert err.value.param == "pessimism.k"


finite = st.floats(-5, 5, allow_nan=False)
overrides = st.fixed_dictionaries({}, optional={
    "method": st.sampled_from(METHODS), "n": st.integers(1, 8), "beta": finite,
    "k": st.integers(-1, 9), "alpha": st.floats(-0.5, 1.5), "r_max": finite,
})


@settings(max_examples=200, deadline=None)
@given(overrides)
def test_resolution_agrees_with_the_selection_core(req: dict) -> None:
    """Whatever a request sends, the server either resolves a selection that the core accepts (with only
    the parameters the method takes), or refuses naming a field of the override."""
    defaults = ServerConfig().selection_defaults()
    try:
        sel = resolve_selection(defaults, req)
    except SelectionError as exc:
        assert exc.param in {f"pessimism.{f}" for f in ("method", "n", *RULE_PARAMS)}
        return
    assert set(sel.kwargs) <= set(accepted_params(sel.method))
    assert all(req[p] == v for p, v in sel.kwargs.items() if p in req)
    if sel.method != "itp_algorithm1":
        extra = {"answers": np.array(["a"] * sel.n, dtype=object)} if sel.method in (
            "majority_vote", "weighted_majority_vote", "best_of_majority") else {}
        probs = selection_probs(sel.method, np.linspace(0, 1, sel.n), **sel.kwargs, **extra)
        assert probs.sum() == pytest.approx(1.0)
