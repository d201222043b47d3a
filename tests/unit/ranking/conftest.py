from __future__ import annotations

import random

import numpy as np
import pytest

from encoders.ranking import Candidate, LtrArgs, LtrRanker, QueryContext, RankingExample, features, train_ltr

WORDS = ["drill", "cordless", "hose", "garden", "pipe", "pvc", "fan", "ceiling", "light", "led", "bench", "stain"]


def searches(n: int, seed: int) -> list[tuple[str, list[Candidate], dict[str, int]]]:
    """Synthetic searches whose relevant candidates are the ones whose title has the query's words,
    placed anywhere in the fused order (so the fused order alone is a poor ranking)."""
    rng = random.Random(seed)
    made = []
    for s in range(n):
        query = rng.sample(WORDS, 2)
        candidates, grades = [], {}
        for c in range(20):
            shared = rng.randint(0, 2)
            words = query[:shared] + rng.sample([w for w in WORDS if w not in query], 3)
            rng.shuffle(words)
            cid = f"s{s}-c{c}"
            candidates.append(
                Candidate(cid, " ".join(words), fused_score=1 - c / 20, lexical_score=rng.random(), lexical_rank=c + 1)
            )
            if shared == 2:
                grades[cid] = 2
            elif shared == 1 and rng.random() < 0.3:
                grades[cid] = 1
        made.append((" ".join(query), candidates, grades))
    return made


def examples(found: list[tuple[str, list[Candidate], dict[str, int]]]) -> list[RankingExample]:
    return [
        RankingExample(f"q{i}", features(QueryContext(q), cs), np.array([g.get(c.id, 0) for c in cs]))
        for i, (q, cs, g) in enumerate(found)
    ]


@pytest.fixture(scope="session")
def trained() -> tuple[LtrRanker, list[tuple[str, list[Candidate], dict[str, int]]]]:
    """A ranker trained on 200 synthetic searches, and 60 held-out ones."""
    dev = searches(60, seed=2)
    ranker = train_ltr(examples(searches(200, seed=1)), examples(dev), LtrArgs(rounds=60, min_data_in_leaf=5), {})
    return ranker, dev
