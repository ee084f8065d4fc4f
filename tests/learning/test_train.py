"""`rapport train` then `rapport replay --model` and `rapport explain`, on German Credit
applicants converted to v1 events: declared attributes reach the model, protected ones never."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport import Engine
from rapport.cli.main import app
from rapport.datasets.german_credit import read_german, to_events, write_events
from rapport.learning.collect import collect, time_ordered
from rapport.learning.model_dir import read_model_dir, use_models

runner = CliRunner()
PROTECTED = {"age", "age_years", "sex", "marital_status", "foreign_worker", "personal_status_sex"}


def protected_names(names: object) -> list[str]:
    """Input names that would carry a protected attribute (in any namespace)."""
    assert isinstance(names, list | dict)
    return [n for n in names if n.startswith("protected.") or n.partition(".")[2] in PROTECTED]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("german")
    applicants = read_german()
    train, held = folder / "train.jsonl", folder / "held.jsonl"
    write_events(to_events(applicants[:400], seed=1), train)
    write_events(to_events(applicants[400:520], seed=2), held)
    return train, held


@pytest.fixture(scope="module")
def model(files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    result = runner.invoke(
        app, ["train", "credit_limit", str(files[0]), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["rows"] == 400  # one decision per applicant, each answered by an outcome
    assert summary["positives"] == sum(a.bad for a in read_german()[:400])
    return out


def test_the_model_folder_holds_the_model_its_card_and_names_no_protected_attribute(
    model: Path,
) -> None:
    artifact = read_model_dir(model)
    assert (model / "model.txt").read_text().startswith("tree")
    card = artifact.card
    assert card["version"] == artifact.version
    names = [f["name"] for f in card["features"]]  # type: ignore[attr-defined]
    assert any(name.startswith("declared.") for name in names)
    assert not protected_names(names)
    assert "roc_auc" in card["validation"]  # type: ignore[operator]


def test_replay_with_the_model_scores_every_decision_with_its_version_and_explain_reproduces(
    model: Path, files: tuple[Path, Path], tmp_path: Path
) -> None:
    version = read_model_dir(model).version
    out, db = tmp_path / "d.jsonl", tmp_path / "r.db"
    replay = ["replay", str(files[1]), "--out", str(out), "--db", str(db)]
    result = runner.invoke(app, [*replay, "--model", f"credit_limit={model}"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    credit = [r for r in rows if r["kind"] == "credit_limit"]
    assert len(credit) == 120
    assert {r["model_versions"]["credit_limit"] for r in credit} == {version}
    assert len({r["score"] for r in credit}) > 20  # the model's probabilities, not a constant
    refused = [r for r in credit if r["action"] == "decrease"]
    for row in refused:
        assert 1 <= len(row["reasons"]) <= 4
        assert all(r["code"].startswith("ADV_") for r in row["reasons"])
    for row in credit[:: len(credit) // 6]:
        explained = runner.invoke(app, ["explain", row["decision_id"], "--db", str(db), "--json"])
        assert explained.exit_code == 0, explained.output
        assert json.loads(explained.stdout.strip().splitlines()[-1])["reproduced"] is True
    # What a scored decision recorded: the declared answers, and nothing protected.
    with Engine(db) as engine:
        decision = engine.decisions.ledger.get(credit[0]["decision_id"])
        assert decision is not None
        assert any(name.startswith("declared.") for name in decision.inputs)
        assert not protected_names(decision.inputs)


def test_a_model_folder_of_another_kind_is_refused(model: Path, files: tuple[Path, Path]) -> None:
    result = runner.invoke(
        app, ["replay", str(files[1]), "--out", "/dev/null", "--model", f"fraud={model}"]
    )
    assert result.exit_code != 0
    assert "credit_limit" in result.output


def test_collected_rows_hold_declared_attributes_as_of_the_decision(
    files: tuple[Path, Path],
) -> None:
    lines = time_ordered(files[1].read_bytes().splitlines())
    collected = collect("credit_limit", lines)
    applicants = {a.customer_id: a for a in read_german()[400:520]}
    assert len(collected.table.ids) == 120
    for inputs, label in zip(collected.table.inputs, collected.table.labels, strict=True):
        amount = inputs["declared.credit_amount"]
        matching = [a for a in applicants.values() if float(a.raw["credit_amount"]) == amount]
        assert matching
        assert label in (0.0, 1.0)
        assert not protected_names(inputs)


def test_a_model_given_is_pinned_its_kinds_online_learner_stops(model: Path) -> None:
    with Engine("memory://") as engine:
        assert "credit_limit" in engine.learning.learners  # the default policy learns credit
        artifact = read_model_dir(model)
        use_models(engine, [artifact])
        assert "credit_limit" not in engine.learning.learners
        assert engine.decisions.model_version("credit_limit") == artifact.version
        assert "fraud" in engine.learning.learners  # other kinds keep learning
