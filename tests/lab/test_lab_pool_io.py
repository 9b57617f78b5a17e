"""Pool files: JSONL and Parquet round trips, grouping of ragged prompts, and errors that name the spot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pessimism.lab import Pool, load_pool, make_pool, write_pool


def _records() -> list[dict]:
    return [
        {"prompt_id": "b", "prompt": "B?", "response": "b1", "proxy_reward": 0.5, "true_reward": 1.0, "answer": "4", "rm2": 3},
        {"prompt_id": "a", "prompt": "A?", "response": "a1", "proxy_reward": -1.0, "true_reward": 0.0, "answer": None, "rm2": 1},
        {"prompt_id": "b", "prompt": "B?", "response": "b2", "proxy_reward": 2.0, "true_reward": 0.0, "answer": "5", "rm2": 2},
        {"prompt_id": "b", "prompt": "B?", "response": "b3", "proxy_reward": 1.5, "true_reward": 1.0, "answer": "4", "rm2": 0},
    ]


def _jsonl(path: Path, records: list[dict], extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(r) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_groups_ragged_prompts_in_file_order(tmp_path: Path) -> None:
    pool = load_pool(_jsonl(tmp_path / "p.jsonl", _records()))
    assert pool.prompt_ids == ("b", "a")
    assert pool.sizes.tolist() == [3, 1]
    assert pool.proxy[0].tolist() == [0.5, 2.0, 1.5] and pool.mask[1].tolist() == [True, False, False]
    assert pool.truth[0].tolist() == [1.0, 0.0, 1.0]
    assert pool.answers[0].tolist() == ["4", "5", "4"] and pool.answers[1, 0] is None
    assert pool.columns["response"][0].tolist() == ["b1", "b2", "b3"]


def test_parquet_round_trip_and_other_proxy(tmp_path: Path) -> None:
    path = write_pool(_records(), tmp_path / "p.parquet")
    pool = load_pool(path)
    again = load_pool(write_pool(pool, tmp_path / "again.parquet"))
    for a, b in ((pool, again),):
        assert a.prompt_ids == b.prompt_ids
        np.testing.assert_array_equal(a.proxy, b.proxy)
        np.testing.assert_array_equal(a.truth, b.truth)
        np.testing.assert_array_equal(a.answers, b.answers)
    swapped = load_pool(path, proxy="rm2")
    assert swapped.proxy[0].tolist() == [3.0, 2.0, 0.0]
    assert pool.with_proxy("rm2").proxy[0].tolist() == [3.0, 2.0, 0.0]


def test_synthetic_pool_round_trips_through_parquet(tmp_path: Path) -> None:
    pool = make_pool(5, 12, seed=2, ragged=True)
    back = load_pool(write_pool(pool, tmp_path / "s.parquet"))
    assert back.prompt_ids == pool.prompt_ids
    np.testing.assert_array_equal(back.sizes, pool.sizes)
    np.testing.assert_allclose(back.proxy[back.mask], pool.proxy[pool.mask])


@pytest.mark.parametrize(
    "bad,match",
    [
        ({"proxy_reward": "0.5"}, r"line 2, column 'proxy_reward'.*'0.5' \(str\), not a number"),
        ({"true_reward": None}, r"line 2, column 'true_reward'.*missing"),
        ({"true_reward": True}, r"line 2, column 'true_reward'.*True \(bool\)"),
        ({"prompt_id": None}, r"line 2, column 'prompt_id'.*missing prompt_id"),
        ({"answer": [1, 2]}, r"line 2, column 'answer'.*string or number"),
    ],
)
def test_invalid_values_name_file_line_and_column(tmp_path: Path, bad: dict, match: str) -> None:
    records = _records()
    records[1] = {**records[1], **bad}
    path = _jsonl(tmp_path / "bad.jsonl", records)
    with pytest.raises(ValueError, match=match) as info:
        load_pool(path)
    assert str(path) in str(info.value)


def test_nan_in_parquet_names_row_and_drop_invalid_counts(tmp_path: Path) -> None:
    records = _records()
    records[2] = {**records[2], "proxy_reward": float("nan")}
    path = tmp_path / "nan.parquet"
    pq.write_table(pa.Table.from_pylist(records), path)
    with pytest.raises(ValueError, match=r"row 2 \(0-based\), column 'proxy_reward'.*not a finite number"):
        load_pool(path)
    pool = load_pool(path, drop_invalid=True)
    assert pool.n_dropped == 1 and pool.sizes.tolist() == [2, 1]
    assert pool.proxy[0].tolist() == [0.5, 1.5]


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_pool(tmp_path / "nope.jsonl")
    with pytest.raises(ValueError, match=r"line 3: not valid JSON"):
        load_pool(_jsonl(tmp_path / "broken.jsonl", _records()[:2], ("{oops",)))
    with pytest.raises(ValueError, match="no rows"):
        load_pool(_jsonl(tmp_path / "empty.jsonl", []))
    with pytest.raises(ValueError, match=r"no column 'score'.*--proxy"):
        load_pool(_jsonl(tmp_path / "ok.jsonl", _records()), proxy="score")
    no_truth = [{k: v for k, v in r.items() if k != "true_reward"} for r in _records()]
    with pytest.raises(ValueError, match=r"no column 'true_reward'.*--truth"):
        load_pool(_jsonl(tmp_path / "nt.jsonl", no_truth))
    (tmp_path / "pool.csv").write_text("prompt_id,response\n")
    with pytest.raises(ValueError, match="unknown pool file type '.csv'"):
        load_pool(tmp_path / "pool.csv")
    (tmp_path / "fake.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match="cannot read it as Parquet"):
        load_pool(tmp_path / "fake.parquet")
    all_bad = [{**r, "true_reward": None} for r in _records()]
    with pytest.raises(ValueError, match="every row has an invalid reward"):
        load_pool(_jsonl(tmp_path / "allbad.jsonl", all_bad), drop_invalid=True)


def test_write_pool_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.parquet suffix"):
        write_pool(_records(), tmp_path / "p.jsonl")
    with pytest.raises(ValueError, match="no records"):
        write_pool([], tmp_path / "p.parquet")
    with pytest.raises(ValueError, match=r"records\[1\] has no prompt_id"):
        write_pool([_records()[0], {"response": "x"}], tmp_path / "p.parquet")
    mixed = _records()
    mixed[1]["answer"] = {"not": "scalar"}
    with pytest.raises(ValueError, match="column 'answer' mixes types"):
        write_pool(mixed, tmp_path / "p.parquet")


def test_pool_validation_and_subset() -> None:
    with pytest.raises(ValueError, match="no responses"):
        Pool.from_arrays([[1.0, 2.0], [0.0, 0.0]], [[1, 0], [0, 0]], mask=[[True, True], [False, False]])
    with pytest.raises(ValueError, match="non-finite"):
        Pool.from_arrays([[1.0, np.nan]], [[1.0, 0.0]])
    pool = make_pool(6, 8, seed=0, ragged=True, text=False)
    sub = pool.subset([4, 1])
    assert sub.prompt_ids == (pool.prompt_ids[4], pool.prompt_ids[1])
    assert sub.sizes.tolist() == [pool.sizes[4], pool.sizes[1]]
