"""`frontdesk evaluate triage`: a small fixture file of our own, and the airline
customer-tweets slice when it is present (../shared/corpora)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from frontdesk.triage.evaluate import Dataset, read_dataset, split

FIXTURE = Path(__file__).parent / "fixtures" / "library_messages.csv"
AIRLINE = Path(__file__).resolve().parents[3].parent / "shared/corpora/airline_sentiment/Tweets.csv"
SYSTEMS = {"default", "learned", "vader", "tfidf"}


def _run(*args: str) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("evaluate", "triage", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_json_has_every_system_with_every_measure():
    results = _run(
        "--dataset", str(FIXTURE), "--text-column", "message", "--label-column", "mood",
        "--train-fraction", "0.6",
    )  # fmt: skip
    assert set(results) == SYSTEMS
    for result in results.values():
        assert set(result) >= {"accuracy", "macro_f1", "per_class", "messages_per_second"}
        assert set(result["per_class"]) == {"negative", "neutral", "positive"}
        for scores in result["per_class"].values():
            assert set(scores) == {"precision", "recall", "f1"}
            assert all(0.0 <= v <= 1.0 for v in scores.values())
        assert result["messages_per_second"] > 0
        assert result["test_rows"] == 13  # 40 % of 12 + 10 + 10, per label
    assert results["learned"]["train_rows"] == results["tfidf"]["train_rows"] == 19
    # The default analyzer reads these plain library complaints right; VADER does not.
    negative = results["default"]["per_class"]["negative"]["f1"]
    assert negative > results["vader"]["per_class"]["negative"]["f1"]


def test_the_table_names_each_system(capsys):
    call_command(
        "evaluate", "triage", "--dataset", str(FIXTURE), "--text-column", "message",
        "--label-column", "mood",
    )  # fmt: skip
    out = capsys.readouterr().out
    for name in SYSTEMS:
        assert f"\n{name} " in out
    assert "negative P/R/F1" in out and "msg/s" in out


def test_a_missing_column_or_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no column 'text'"):
        call_command("evaluate", "triage", "--dataset", str(FIXTURE))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("evaluate", "triage", "--dataset", str(tmp_path / "absent.csv"))
    one_label = tmp_path / "one.csv"
    one_label.write_text("text,airline_sentiment\n" + "hello there,neutral\n" * 12)
    with pytest.raises(CommandError, match="only one label"):
        call_command("evaluate", "triage", "--dataset", str(one_label))
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command(
            "evaluate", "triage", "--dataset", str(FIXTURE), "--text-column", "message",
            "--label-column", "mood", "--train-fraction", "1.5",
        )  # fmt: skip


def test_the_split_is_stratified_disjoint_and_repeatable():
    data = read_dataset(FIXTURE, text_column="message", label_column="mood")
    train, test = split(data, 0.5)
    assert not set(train.texts) & set(test.texts)
    assert len(train.texts) + len(test.texts) == len(data.texts)
    assert (
        sorted(set(train.labels)) == sorted(set(test.labels)) == ["negative", "neutral", "positive"]
    )
    again, _ = split(Dataset(data.texts, data.labels), 0.5)
    assert again.texts == train.texts


@pytest.mark.skipif(not AIRLINE.exists(), reason="the airline corpus slice is not here")
def test_on_the_airline_slice_default_beats_vader_and_learned_beats_tfidf():
    results = _run("--dataset", str(AIRLINE))

    def negative_f1(name: str) -> float:
        return results[name]["per_class"]["negative"]["f1"]

    assert negative_f1("default") >= negative_f1("vader") + 0.10
    assert negative_f1("learned") > negative_f1("tfidf")
    assert results["learned"]["accuracy"] > results["tfidf"]["accuracy"]
