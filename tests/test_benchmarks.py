"""The benchmark harness writes the agreed format; make bench finds every script."""

import json
import sys

import pytest
from problem_sets import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import harness  # noqa: E402
import run_all  # noqa: E402


def test_report_writes_machine_and_rows(tmp_path, capsys):
    rows = [harness.Row("seconds", 2.0, 4.0, "anchor", "at most 1x", met=True),
            harness.Row("accuracy", 0.9, None, "-", "at least 0.95", met=False)]
    path = harness.report("demo", rows, results_dir=tmp_path)
    data = json.loads(path.read_text())
    assert set(data) == {"machine", "rows"}
    assert data["machine"]["cores"] >= 1 and "torch" in data["machine"]["versions"]
    assert data["rows"][0] == {"metric": "seconds", "ours": 2.0, "anchor": 4.0,
                               "anchor_name": "anchor", "ratio": 0.5, "target": "at most 1x",
                               "met": True}
    assert data["rows"][1]["ratio"] is None
    out = capsys.readouterr().out
    assert "accuracy" in out and "NO" in out
    with pytest.raises(ValueError):
        harness.report("empty", [], results_dir=tmp_path)


def test_run_all_finds_the_benchmark_scripts():
    names = [p.stem for p in run_all.scripts([])]
    assert "autograde" in names and "harness" not in names and "run_all" not in names
    with pytest.raises(SystemExit):
        run_all.scripts(["no-such-benchmark"])


def test_reference_loader_reads_the_solution_notebook():
    ref = harness.reference("ps0_warmup")
    import torch

    probs = ref.masked_softmax(torch.tensor([[1.0, 2.0]]), torch.tensor([[True, False]]))
    assert probs.tolist() == [[1.0, 0.0]]
