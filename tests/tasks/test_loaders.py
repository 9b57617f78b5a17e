"""GSM8K / MATH-500 / MMLU-STEM loaders: every shipped row parses and its reference is recovered."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from pessimism.tasks import TASKS, load_task, task_names
from pessimism.tasks._extract import last_boxed, last_number
from pessimism.tasks.gsm8k import extract_number
from pessimism.tasks.mmlu import extract_letter


def _rows(filename: str) -> int:
    path = resources.files("pessimism.tasks").joinpath("data", filename)
    with path.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip())


def test_registry() -> None:
    assert task_names() == list(TASKS)
    assert {"capitals", "gsm8k", "math500", "mmlu_stem"} <= set(task_names())
    with pytest.raises(ValueError, match="unknown task 'gsm9k'; available tasks: capitals"):
        load_task("gsm9k")


def test_gsm8k_every_row_and_reference() -> None:
    task = load_task("gsm8k")
    items = task.items()
    assert len(items) == _rows("gsm8k_test.jsonl") == 1319
    assert items[0].answers == ("18",) and items[0].prompt_id == "gsm8k/0000"
    assert all("," not in it.answers[0] for it in items)
    # the dataset's own solution text (ending "#### x") is extracted and scored correct, every row
    assert all(task.true_reward(it, it.meta["solution"]) == 1.0 for it in items)
    # and an off-by-one answer is wrong, every row
    assert not any(task.true_reward(it, f"#### {float(it.answers[0]) + 1}") for it in items)


@pytest.mark.parametrize(
    ("response", "number"),
    [
        ("She makes 9 * 2 = $18 every day.\n#### 18", "18"),
        ("The answer is $1,234.", "$1,234"),
        ("So the total is \\boxed{42}.", "42"),
        ("First 3 eggs, then 4 eggs, so 7 eggs remain.", "7"),
        ("#### The answer is 12", "12"),
        ("no digits here", None),
    ],
)
def test_gsm8k_extraction(response: str, number: str | None) -> None:
    assert extract_number(response) == number


def test_gsm8k_numeric_equivalence() -> None:
    task = load_task("gsm8k")
    item = task.items()[0]  # answer 18
    for response in ("#### 18.00", "The answer is $18.", "#### 18 dollars", "\\boxed{18}"):
        assert task.true_reward(item, response) == 1.0, response
    assert task.answer_key("18.0") == task.answer_key("$18")


def test_math500_every_row_and_reference() -> None:
    task = load_task("math500")
    items = task.items()
    assert len(items) == _rows("math500_test.jsonl") == 500
    assert len({it.prompt_id for it in items}) == 500
    assert items[0].prompt_id == "test/precalculus/807.json"
    # the reference solution's last \boxed{} is the reference answer for every row
    assert all(task.extract_answer(it.meta["solution"]) == it.answers[0] for it in items)
    assert all(task.true_reward(it, it.meta["solution"]) == 1.0 for it in items)


def test_math500_equivalence_via_math_verify() -> None:
    task = load_task("math500")
    by_id = {it.prompt_id: it for it in task.items()}
    frac = by_id["test/algebra/2584.json"]  # \frac{14}{3}
    assert task.true_reward(frac, "so we get $\\boxed{\\dfrac{14}{3}}$") == 1.0
    assert task.true_reward(frac, "so we get $\\boxed{\\frac{3}{14}}$") == 0.0
    polar = by_id["test/precalculus/807.json"]  # \left( 3, \frac{\pi}{2} \right)
    assert task.true_reward(polar, "\\boxed{(3, \\pi/2)}") == 1.0
    word = by_id["test/algebra/1349.json"]  # \text{Evelyn}
    assert task.true_reward(word, "\\boxed{\\text{Evelyn}}") == 1.0
    assert task.true_reward(word, "\\boxed{\\text{Bob}}") == 0.0
    assert task.true_reward(frac, "I don't know") == 0.0


def test_last_boxed_and_last_number() -> None:
    assert last_boxed("a \\boxed{1} b \\boxed{\\frac{1}{2}}") == "\\frac{1}{2}"
    assert last_boxed("\\boxed{\\{1,2\\}}") == "\\{1,2\\}"
    assert last_boxed("\\boxed 5") == "5"
    assert last_boxed("\\boxed{unbalanced") is None
    assert last_boxed("nothing") is None
    assert last_number("from 1,000 to -2.5 and 3/4") == "3/4"


def test_mmlu_every_row_and_reference() -> None:
    task = load_task("mmlu_stem")
    items = task.items()
    raw = [json.loads(line) for line in resources.files("pessimism.tasks").joinpath("data", "mmlu_stem_test.jsonl").read_text().splitlines() if line.strip()]
    assert len(items) == len(raw) == 3018
    for it, row in zip(items, raw):
        assert it.answers == ("ABCD"[row["answer"]],)
        assert "\nA. " in it.prompt and "\nD. " in it.prompt
        assert task.true_reward(it, f"The answer is ({it.answers[0]}).") == 1.0
        assert task.true_reward(it, row["choices"][row["answer"]]) == 1.0 or sum(
            " ".join(c.casefold().split()) == " ".join(row["choices"][row["answer"]].casefold().split())
            for c in row["choices"]
        ) > 1  # duplicate choice texts cannot be resolved to one letter
        wrong = "ABCD"[(row["answer"] + 1) % 4]
        assert task.true_reward(it, wrong) == 0.0


@pytest.mark.parametrize(
    ("response", "letter"),
    [
        ("C", "C"),
        ("(B)", "B"),
        ("D. 42 joules", "D"),
        ("The answer is A.", "A"),
        ("Answer: (C)", "C"),
        ("A frameshift mutation occurs when ...", None),
        ("I think it's about energy", None),
        ("", None),
    ],
)
def test_mmlu_letter_extraction(response: str, letter: str | None) -> None:
    assert extract_letter(response) == letter
