from __future__ import annotations

from query_api.schemas import Fusion
from query_api.search.service import pipeline_processor


def test_rrf_puts_the_rank_constant_where_each_major_version_reads_it() -> None:
    # 2.19 ignores a top-level rank_constant (silently ranking with 60); 3.x rejects `parameters`.
    on_2 = pipeline_processor(Fusion.RRF, 0.3, 20, engine_major=2)["score-ranker-processor"]["combination"]
    on_3 = pipeline_processor(Fusion.RRF, 0.3, 20, engine_major=3)["score-ranker-processor"]["combination"]
    assert on_2 == {"technique": "rrf", "parameters": {"rank_constant": 20}}
    assert on_3 == {"technique": "rrf", "rank_constant": 20}


def test_min_max_weights_are_the_same_on_every_version() -> None:
    assert pipeline_processor(Fusion.MINMAX, 0.3, 60, engine_major=2) == pipeline_processor(
        Fusion.MINMAX, 0.3, 60, engine_major=3
    )
