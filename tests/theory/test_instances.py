"""Bundled instances: the catalogue, the families and their parameters."""

from __future__ import annotations

import numpy as np
import pytest

from pessimism.theory import CATALOGUE, FiniteInstance, bon_curve, get_instance, random_instance


def test_catalogue_names_resolve() -> None:
    examples = {"hacking": "hacking", "well_covered": "well_covered", "random:SEED[:K]": "random:3",
                "gem:DELTA": "gem:0.01", "hacker:EPS:Q": "hacker:0.01:0.1"}
    assert set(examples) == set(CATALOGUE)
    for pattern, name in examples.items():
        inst = get_instance(name)
        assert isinstance(inst, FiniteInstance) and inst.name == name, pattern
        assert inst.pi_ref.sum() == pytest.approx(1.0, abs=1e-12)


def test_random_family_is_seeded_and_sized() -> None:
    a, b = random_instance(5), get_instance("random:5")
    np.testing.assert_array_equal(a.r_hat, b.r_hat)
    assert not np.array_equal(random_instance(6).r_hat, a.r_hat)
    assert get_instance("random:5:12").k == 12
    # about half of the family carries a hack: a rare response rated top with a low true reward
    hacked = sum(
        int(np.argmax(i.r_hat)) != int(np.argmax(i.r_star)) and i.r_star[np.argmax(i.r_hat)] <= 0.3
        for i in (random_instance(s) for s in range(100))
    )
    assert 30 <= hacked <= 80


def test_hacker_has_the_stated_error_and_gem_is_exact() -> None:
    h = get_instance("hacker:0.01:0.04")
    assert h.eps2 == pytest.approx(1e-4, rel=1e-12)
    assert get_instance("gem:0.1").eps2 == 0.0


def test_well_covered_bon_is_monotone_and_hacking_is_not() -> None:
    ns = [2**i for i in range(17)]
    wc = get_instance("well_covered")
    assert np.all(np.diff(bon_curve(wc.pi_ref, wc.r_hat, wc.r_star, ns)) >= 0)
    hk = get_instance("hacking")
    assert np.any(np.diff(bon_curve(hk.pi_ref, hk.r_hat, hk.r_star, ns)) < -0.1)


def test_instances_are_read_only() -> None:
    inst = get_instance("hacking")
    with pytest.raises(ValueError):
        inst.pi_ref[0] = 1.0


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("nope", "unknown instance 'nope'; choose one of"),
        ("hacking:3", "takes no parameters"),
        ("gem", "needs parameters"),
        ("random:x", "parameters must be numbers"),
        ("random:1.5", "non-negative integer seed"),
        ("gem:2", r"DELTA must lie in \(0, 1\)"),
        ("hacker:0.1:0.001", "need Q >= EPS"),
        ("hacker:0.1", r"expected 2..2"),
    ],
)
def test_bad_names(name: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        get_instance(name)


def test_exact_reward_model_has_no_theory_beta() -> None:
    with pytest.raises(ValueError, match="eps2 = 0"):
        _ = get_instance("gem:0.1").beta_star
