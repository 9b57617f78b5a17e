"""The LLM judge: template rendering and the log-odds formula, then the real embedded Gemma 3 270M."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest

from pessimism.rewards import JudgeReward, JudgeTemplate, load_reward
from pessimism.rewards.judge import NO_VARIANTS, TEMPLATES, YES_VARIANTS, get_template


class TableScorer:
    """A NextTokenScorer whose log-probabilities are a fixed function of the judge prompt: a protocol
    implementation to pin the formula exactly (the real model is tested below)."""

    name = "table"

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def anext_token_logprobs(self, prompts: Sequence[str], tokens: Sequence[str]) -> list[dict[str, float]]:
        self.seen.extend(prompts)
        out = []
        for p in prompts:
            good = "Paris" in p
            table = {"yes": -1.0 if good else -3.0, "Yes": -2.0, " yes": -math.inf, "no": -2.5 if good else -0.5, "No": -4.0}
            out.append({t: table.get(t, -math.inf) for t in tokens})
        return out


def test_score_is_log_odds_of_summed_variants() -> None:
    judge = JudgeReward(TableScorer())
    scores = judge.score(["What is the capital of France?"] * 2, ["Paris", "Lyon"])
    expected_good = np.logaddexp(-1.0, -2.0) - np.logaddexp(-2.5, -4.0)
    expected_bad = np.logaddexp(-3.0, -2.0) - np.logaddexp(-0.5, -4.0)
    assert scores == pytest.approx([expected_good, expected_bad], abs=1e-12)


def test_templates_render_question_and_answer() -> None:
    scorer = TableScorer()
    judge = JudgeReward(scorer)
    judge.score([[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is {x}?"}]], [" Paris\n"])
    assert scorer.seen == [
        "Question: What is {x}?\nProposed answer: Paris\nIs the proposed answer correct? Answer yes or no."
    ]
    assert set(TEMPLATES) >= {"default", "strict"}
    assert TEMPLATES["strict"].text != TEMPLATES["default"].text
    custom = get_template("Q={question} A={answer} ok?")
    assert custom.render("{answer}", "{question}") == "Q={answer} A={question} ok?"  # single-pass substitution
    with pytest.raises(ValueError, match="must contain both"):
        JudgeTemplate("bad", "Question: {question}")
    with pytest.raises(ValueError, match="unknown judge template"):
        get_template("lenient")


def test_judge_errors() -> None:
    class NoYes(TableScorer):
        async def anext_token_logprobs(self, prompts, tokens):  # type: ignore[no-untyped-def]
            return [{t: (-1.0 if t.strip().lower() == "no" else -math.inf) for t in tokens} for _ in prompts]

    with pytest.raises(ValueError, match="none of the 'yes' variants"):
        JudgeReward(NoYes()).score(["q"], ["a"])
    with pytest.raises(ValueError, match="next-token log-probabilities"):
        JudgeReward(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="the judge needs a policy"):
        load_reward("judge")
    with pytest.raises(ValueError, match="unknown judge template 'lenient'"):
        load_reward("judge:lenient", policy=TableScorer())
    assert load_reward("judge:strict", policy=TableScorer()).template is TEMPLATES["strict"]


# ------------------------------------------------------------------------------ the real model
CAPITALS = [
    ("France", "Paris", "Madrid"),
    ("Japan", "Tokyo", "Cairo"),
    ("Canada", "Ottawa", "Nairobi"),
]


@pytest.mark.slow
def test_judge_on_embedded_gemma(gemma) -> None:  # noqa: ANN001
    judge = JudgeReward(gemma)
    prompts = [f"What is the capital of {c}? Answer with the city name only." for c, _, _ in CAPITALS] * 2
    responses = [right for _, right, _ in CAPITALS] + [wrong for _, _, wrong in CAPITALS]
    scores = judge.score(prompts, responses)
    assert all(math.isfinite(s) for s in scores)
    assert len({round(s, 6) for s in scores}) > 1  # the judge reads the answer
    # the score is exactly (so also deterministically) the log-odds of the adapter's own
    # next-token log-probabilities, recomputed here in a second pass
    lps = gemma.next_token_logprobs(judge.judge_prompts(prompts, responses), list(YES_VARIANTS + NO_VARIANTS))
    for s, lp in zip(scores, lps):
        yes = np.logaddexp.reduce([lp[t] for t in YES_VARIANTS])
        no = np.logaddexp.reduce([lp[t] for t in NO_VARIANTS])
        assert s == pytest.approx(yes - no, abs=1e-9)
        assert math.exp(yes) + math.exp(no) <= 1 + 1e-9  # distinct tokens of one distribution
    assert "gemma" in judge.name and judge.name.startswith("judge:default:")


@pytest.mark.slow
def test_two_templates_give_two_signals(gemma) -> None:  # noqa: ANN001
    prompts = [f"What is the capital of {c}?" for c, _, _ in CAPITALS]
    responses = [right for _, right, _ in CAPITALS]
    default = JudgeReward(gemma, "default").score(prompts, responses)
    strict = JudgeReward(gemma, "strict").score(prompts, responses)
    assert default != pytest.approx(strict, abs=1e-3)


def test_fewshot_prompts_are_reduced_to_their_last_question() -> None:
    scorer = TableScorer()
    few = "Q: What is the capital of Scotland?\nA: Edinburgh\n\nQ: What is the capital of France?\nA:"
    JudgeReward(scorer, "fewshot").score([few], ["Paris"])
    assert scorer.seen[0].endswith("Question: What is the capital of France?\nProposed answer: Paris\nCorrect:")
    assert scorer.seen[0].count("Question:") == 5  # four worked examples, then ours


@pytest.mark.slow
def test_fewshot_judge_prefers_correct_capitals_on_average(gemma_plain) -> None:  # noqa: ANN001
    """On plain text the few-shot judge is informative, though far from perfect: over ten well-known
    capitals against another country's capital it ranks the correct one higher on average (7 of the
    10 pairs, with this GGUF)."""
    from pessimism.tasks import load_task

    task = load_task("capitals_fewshot")
    by = {it.prompt_id: it for it in task.items()}
    codes = ["FRA", "DEU", "JPN", "ITA", "CAN", "ESP", "RUS", "CHN", "EGY", "GBR"]
    wrong = ["Madrid", "Lima", "Cairo", "Oslo", "Nairobi", "Tokyo", "Berlin", "Ottawa", "Rome", "Paris"]
    judge = JudgeReward(gemma_plain, "fewshot")
    scores = judge.score([by[c].prompt for c in codes] * 2, [by[c].answers[0] for c in codes] + wrong)
    correct, incorrect = np.array(scores[:10]), np.array(scores[10:])
    assert np.isfinite(scores).all()
    assert correct.mean() > incorrect.mean()
    assert (correct > incorrect).sum() >= 6
