"""Build a reward model from a short text spec (the CLI's ``--reward``).

Grammar (whitespace around the spec is ignored; everything else is literal):

=====================================  ==========================================================
spec                                   reward model
=====================================  ==========================================================
``judge``                              LLM judge on the given policy, template ``default``
``judge:<template>``                   same, another template (``strict``; see ``judge.TEMPLATES``)
``self_certainty``                     the policy's mean token log-probability of the response
``hf:<path or hub id>``                sequence-classification RM, single output
``hf:<path>@<head>``                   ... output column ``<head>`` (index, label or attribute);
                                       ``@`` starts the head only if no ``/`` follows it
``http:<base url>@<model>``            vLLM pooling API at ``<base url>/pooling`` for ``<model>``
``http:<base url>@<model>#score``      vLLM score API instead (``#pooling`` is the default)
``python:<module>:<function>``         ``function(prompt, response) -> float``
``python:<module>:<function>#batch``   ``function(prompts, responses) -> list[float]``; an
                                       attribute that already has ``ascore`` is used as is
``verifier:<task>``                    the task's ground truth (1.0 / 0.0), e.g. ``verifier:capitals``
=====================================  ==========================================================

The model name in ``http:`` is everything after the **last** ``@`` (model ids contain ``/`` but
not ``@``), so URLs with ``user:password@`` credentials are not supported here: use
:class:`~pessimism.rewards.http_scorer.HttpReward` with ``api_key``.
"""

from __future__ import annotations

import importlib

from .base import RewardModel

SPEC_HELP = (
    "judge | judge:<template> | self_certainty | hf:<path>[@<head>] | http:<url>@<model>[#score] | "
    "python:<module>:<function>[#batch] | verifier:<task>"
)


def _bad(spec: str, why: str) -> ValueError:
    return ValueError(f"bad reward spec {spec!r}: {why}. Valid forms: {SPEC_HELP}")


def load_reward(spec: str, policy: object | None = None) -> RewardModel:
    """Build the reward model a spec names (grammar in the module docstring).

    ``policy`` is the generating policy; ``judge`` runs on it and ``self_certainty`` reads its
    log-probabilities.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise _bad(str(spec), "it is empty")
    spec = spec.strip()
    kind, sep, rest = spec.partition(":")

    if kind == "judge":
        from .judge import TEMPLATES, JudgeReward

        if policy is None:
            raise _bad(spec, "the judge needs a policy to run on (pass policy=...)")
        template = rest if sep else "default"
        if template not in TEMPLATES:
            raise _bad(spec, f"unknown judge template {template!r}; known: {sorted(TEMPLATES)}")
        return JudgeReward(policy, template)  # type: ignore[arg-type]

    if kind == "self_certainty":
        from .self_certainty import SelfCertaintyReward

        if sep:
            raise _bad(spec, "self_certainty takes no argument")
        return SelfCertaintyReward(policy)

    if kind == "hf":
        from .hf_classifier import HFClassifierReward

        if not rest:
            raise _bad(spec, "give a model directory or hub id after 'hf:'")
        path, at, head = rest.rpartition("@")
        if not at or "/" in head or not path:
            path, head = rest, ""
        if at and path and not head:
            raise _bad(spec, "empty head after '@'")
        head_arg: int | str | None = None
        if head:
            head_arg = int(head) if head.lstrip("-").isdigit() else head
        return HFClassifierReward(path, head=head_arg)

    if kind == "http":
        from .http_scorer import APIS, HttpReward

        body, hash_, api = rest.partition("#")
        if hash_ and api not in APIS:
            raise _bad(spec, f"unknown API {api!r} after '#'; known: {sorted(APIS)}")
        url, at, model = body.rpartition("@")
        if not at or not url or not model:
            raise _bad(spec, "write http:<base url>@<model>, e.g. http:http://localhost:8000@Skywork/Skywork-Reward-V2")
        return HttpReward(url, model, api=api or "pooling")

    if kind == "python":
        from .callable import CallableReward

        target, hash_, flag = rest.partition("#")
        if hash_ and flag != "batch":
            raise _bad(spec, f"unknown flag {flag!r}; only '#batch' is defined")
        module_name, colon, attr = target.rpartition(":")
        if not colon or not module_name or not attr:
            raise _bad(spec, "write python:<module>:<function>, e.g. python:mypkg.rewards:length_penalty")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise _bad(spec, f"cannot import module {module_name!r} ({exc})") from exc
        obj = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise _bad(spec, f"module {module_name!r} has no attribute {attr!r}")
            obj = getattr(obj, part)
        if hasattr(obj, "ascore") and not isinstance(obj, type):
            return obj  # type: ignore[return-value]
        if not callable(obj):
            raise _bad(spec, f"{module_name}:{attr} is not callable")
        return CallableReward(obj, batched=bool(hash_), name=f"python:{module_name}:{attr}")

    if kind == "verifier":
        from ..tasks import load_task

        if not rest:
            raise _bad(spec, "name the task whose ground truth to use, e.g. verifier:capitals")
        return load_task(rest).reward_model()

    raise _bad(spec, f"unknown kind {kind!r}")
