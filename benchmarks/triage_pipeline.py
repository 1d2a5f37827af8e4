#!/usr/bin/env python
"""Triage: the default pipeline's throughput on one core, and abuse recall at a 10 %
false-positive rate.

Throughput: every analyzer over each message of the airline customer-tweets slice
(or the SMS benchmark's texts when the corpus is absent), single process, warm,
beside plain VADER's `polarity_scores` over the same texts in the same run (the
floor: the default sentiment starts from VADER). Prints messages/s and CPU µs per
message for both and their ratio.

Abuse: the abuse analyzer's probability on the toxicity slice (Davidson et al.:
"hate speech" and "offensive" are abusive, "neither" is not; Jigsaw: `toxic`), the
recall at the threshold where 10 % of the civil texts are flagged, beside the
package's own `predict_prob` (the same numbers, and its time per message).

    .venv/bin/python benchmarks/triage_pipeline.py [--corpora ../shared/corpora]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _texts(corpora: Path) -> tuple[str, list[str]]:
    airline = corpora / "airline_sentiment" / "Tweets.csv"
    if airline.exists():
        with airline.open(encoding="utf-8", newline="") as handle:
            return "airline slice", [row["text"] for row in csv.DictReader(handle)]
    from benchmarks.sms_bench.signed import TEXTS

    return "SMS benchmark texts x 300", list(TEXTS) * 300


def _time(fn, texts: list[str]) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        fn(text)
    return time.perf_counter() - started, time.process_time() - cpu


def recall_at_fpr(scores: list[float], truth: list[bool], fpr: float = 0.10) -> tuple[float, float]:
    """(recall, threshold) where at most `fpr` of the negatives score at or above it."""
    negatives = sorted((s for s, t in zip(scores, truth, strict=True) if not t), reverse=True)
    allowed = int(len(negatives) * fpr)
    threshold = negatives[allowed] if allowed < len(negatives) else 0.0
    positives = [s for s, t in zip(scores, truth, strict=True) if t]
    hits = sum(s > threshold for s in positives)
    return hits / len(positives), threshold


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpora", type=Path, default=ROOT.parent / "shared" / "corpora")
    options = parser.parse_args()

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from frontdesk.triage.abuse import probability
    from frontdesk.triage.pipeline import analyze

    name, texts = _texts(options.corpora)
    analyze("warm the models up, please")  # loads the abuse and language models once
    vader = SentimentIntensityAnalyzer()
    wall_v, cpu_v = _time(vader.polarity_scores, texts)
    wall_p, cpu_p = _time(analyze, texts)
    n = len(texts)
    print(f"triage pipeline on {n:,} messages ({name}), one process:")
    print(f"  plain VADER      {n / wall_v:>8,.0f} msg/s  {cpu_v / n * 1e6:>6.0f} µs CPU/msg")
    print(f"  default pipeline {n / wall_p:>8,.0f} msg/s  {cpu_p / n * 1e6:>6.0f} µs CPU/msg")
    print(f"  pipeline / VADER time: {cpu_p / cpu_v:.2f}x")

    davidson = options.corpora / "toxicity" / "davidson_labeled_data.csv"
    if davidson.exists():
        from profanity_check import predict_prob

        with davidson.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        tweets = [row["tweet"] for row in rows]
        truth = [row["class"] in ("0", "1") for row in rows]
        started = time.process_time()
        ours = [probability(t)[0] for t in tweets]
        cpu_ours = time.process_time() - started
        started = time.process_time()
        theirs = list(predict_prob(tweets))  # one batched call: its best case
        cpu_theirs = time.process_time() - started
        started = time.process_time()
        for t in tweets[:500]:
            predict_prob([t])  # one message at a time, as intake calls it
        cpu_one = (time.process_time() - started) / 500
        recall, threshold = recall_at_fpr(ours, truth)
        print(f"abuse on {len(rows):,} Davidson tweets ({sum(truth):,} abusive):")
        print(f"  recall at 10 % false positives: {recall:.3f} (threshold {threshold:.3f})")
        flagged = sum(s >= 0.5 for s in ours)
        civil_flagged = sum(s >= 0.5 and not t for s, t in zip(ours, truth, strict=True))
        print(
            f"  at the warning threshold 0.5: recall {(flagged - civil_flagged) / sum(truth):.3f}, "
            f"false positives {civil_flagged / (len(truth) - sum(truth)):.3f}"
        )
        print(f"  largest difference from the package's own probability: "
              f"{max(abs(a - b) for a, b in zip(ours, theirs, strict=True)):.1e}")  # fmt: skip
        print(
            f"  µs CPU/msg: ours {cpu_ours / len(tweets) * 1e6:.0f}, package batched "
            f"{cpu_theirs / len(tweets) * 1e6:.0f}, package one by one {cpu_one * 1e6:.0f}"
        )
    jigsaw = options.corpora / "toxicity" / "jigsaw_test_examples.csv"
    if jigsaw.exists():
        with jigsaw.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        scores = [probability(row["comment_text"])[0] for row in rows]
        truth = [row["toxic"] == "1" for row in rows]
        if any(truth) and not all(truth):
            recall, _ = recall_at_fpr(scores, truth)
            print(f"abuse on {len(rows)} Jigsaw comments ({sum(truth)} toxic): "
                  f"recall at 10 % false positives {recall:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
