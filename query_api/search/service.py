"""One search request, start to finish: checks, personalization, the query, fusion, facets, explanations."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from cachetools import LRUCache

from encoders import Encoder
from encoders.ranking import Candidate, Taste
from kernel.documents.products import category_label
from kernel.spelling import SpellingCorrector
from query_api.errors import InvalidParameterError, QueryTooLongError
from query_api.schemas import (
    Facet,
    FacetBucket,
    Fusion,
    Hit,
    HitExplanation,
    Mode,
    Personalization,
    Ranking,
    RankingOutcome,
    SearchRequest,
    SearchResponse,
)
from query_api.search import dsl
from query_api.search.backend import NEURAL_SEARCH_PLUGIN, SearchBackend
from query_api.search.diversity import names_a_brand, spread_brands
from query_api.search.fusion import Fused, minmax_fuse, rrf_fuse
from query_api.search.profiles import ProfileCache, UserProfile
from query_api.search.ranking import RankingStage, Reranked
from query_api.search.results import EngineHit, EngineResult
from query_api.settings import QueryApiSettings

__all__ = ["SearchService", "pipeline_name", "pipeline_processor"]

Vector = npt.NDArray[np.float32]


def pipeline_name(fusion: Fusion, lexical_weight: float, rank_constant: int) -> str:
    """The named pipeline for a fusion setting, e.g. `aisle-minmax-0.30` or `aisle-rrf-60`."""
    return f"aisle-minmax-{lexical_weight:.2f}" if fusion is Fusion.MINMAX else f"aisle-rrf-{rank_constant}"


def pipeline_processor(fusion: Fusion, lexical_weight: float, rank_constant: int, engine_major: int) -> dict[str, Any]:
    """The phase-results processor implementing a fusion setting on an OpenSearch of `engine_major`."""
    if fusion is Fusion.MINMAX:
        weights = [lexical_weight, 1 - lexical_weight]
        return {
            "normalization-processor": {
                "normalization": {"technique": "min_max"},
                "combination": {"technique": "arithmetic_mean", "parameters": {"weights": weights}},
            }
        }
    # 2.19 reads the constant from `parameters` and silently ignores a top-level one; 3.x reads only
    # the top-level one and rejects `parameters` with a 400.
    if engine_major >= 3:
        return {"score-ranker-processor": {"combination": {"technique": "rrf", "rank_constant": rank_constant}}}
    return {
        "score-ranker-processor": {"combination": {"technique": "rrf", "parameters": {"rank_constant": rank_constant}}}
    }


@dataclass(frozen=True)
class _Plan:
    mode: Mode
    fusion: Fusion
    lexical_weight: float
    rank_constant: int
    personalization: Personalization
    vector: Vector | None
    plain_vector: Vector | None
    history: tuple[str, ...] = ()  # the shopper's recent product ids, when personalization applies


class SearchService:
    """Answers `SearchRequest`s.

    Args:
        backend: OpenSearch.
        encoder: Query encoder (with its LRU cache).
        profiles: User profiles.
        settings: API settings; `fusion_in_opensearch` unset means: detect the neural-search plugin.
        ranking: The second stage (default: none, the fused order is served).
        spelling: Corrects queries toward the catalog's words (default: none, queries are searched as typed).
    """

    def __init__(
        self,
        backend: SearchBackend,
        encoder: Encoder,
        profiles: ProfileCache,
        settings: QueryApiSettings,
        ranking: RankingStage | None = None,
        spelling: SpellingCorrector | None = None,
    ) -> None:
        self.spelling = spelling
        self._backend = backend
        self._encoder = encoder
        self._profiles = profiles
        self._tastes: LRUCache[tuple[str, ...], Taste | None] = LRUCache(maxsize=max(settings.user_cache_size, 1))
        self._taste_lock = threading.Lock()
        self._settings = settings
        self.ranking = ranking or RankingStage(None, settings.rerank_budget_ms)
        self.fuse_in_opensearch: bool | None = None
        self._engine_major = 2
        self._named_pipelines: frozenset[str] = frozenset()

    def prepare(self) -> None:
        """Decide where hybrid scores are fused and create the default search pipelines (idempotent).

        Runs at start-up and again before the first hybrid search if OpenSearch was down then.

        Raises:
            EngineError: OpenSearch is not reachable.
        """
        settings = self._settings
        in_opensearch = settings.fusion_in_opensearch
        if in_opensearch is None:
            in_opensearch = NEURAL_SEARCH_PLUGIN in self._backend.plugins()
        named = set()
        if in_opensearch:
            self._engine_major = self._backend.major_version()
            for fusion in Fusion:
                name = pipeline_name(fusion, settings.lexical_weight, settings.rank_constant)
                processor = pipeline_processor(
                    fusion, settings.lexical_weight, settings.rank_constant, self._engine_major
                )
                self._backend.put_pipeline(name, processor)
                named.add(name)
        self._named_pipelines = frozenset(named)
        self.fuse_in_opensearch = in_opensearch

    def search(self, request: SearchRequest) -> SearchResponse:
        """Run one search.

        Raises:
            InvalidParameterError: bounds exceeded (size, from, query length).
            EngineError: OpenSearch is down, slow or refusing.
        """
        started = time.perf_counter()
        self._check(request)
        typed = request.q
        request = self._understood(request)
        plan = self._plan(request)
        filters = dsl.filter_clauses(request.filters)
        aggs = dsl.aggregations(request.facets, request.filters.category)
        fused_in: str | None = None
        explained: dict[str, HitExplanation] = {}
        hybrid = plan.mode in (Mode.HYBRID, Mode.PERSONALIZED)
        rerank = hybrid and self.ranking.ready and request.rerank is not False
        diverse = hybrid and self._max_per_brand(request) > 0
        # Past the depth the OpenSearch-side fusion pages through, pages continue in the service.
        deep = request.from_ + request.size > self._settings.pagination_depth
        ranking = self._not_reranked(hybrid, request)
        if plan.mode is Mode.BM25:
            result = self._page(dsl.lexical(request.q, filters), request, aggs, dsl.MAX_RESULT_WINDOW)
        elif plan.mode is Mode.DENSE:
            assert plan.vector is not None
            result = self._page(dsl.knn(plan.vector, self._settings.pagination_depth, filters), request, aggs)
        elif not (rerank or diverse or deep) and self._fusion_in_opensearch():
            fused_in = "opensearch"
            result = self._hybrid_in_opensearch(request, plan, filters, aggs)
            if request.explain:
                explained = self._explain(request, plan, filters, [h.id for h in result.hits])
        else:
            fused_in = "service"
            result, explained, ranking = self._hybrid_in_service(request, plan, filters, aggs, ranking, rerank)
        return SearchResponse(
            query=typed,
            corrected_query=request.q if request.q != typed else None,
            mode=request.mode or self._settings.default_mode,
            mode_used=plan.mode,
            fusion=plan.fusion if plan.mode in (Mode.HYBRID, Mode.PERSONALIZED) else None,
            fused_in=fused_in,
            total=result.total,
            size=request.size,
            from_=request.from_,
            hits=[_hit(h, explained.get(h.id)) for h in result.hits],
            facets=_facets(result.aggregations, request.facets),
            personalization=plan.personalization,
            ranking=ranking,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    def _understood(self, request: SearchRequest) -> SearchRequest:
        """The request with its query's spelling corrected, when a corrector is served and the request allows."""
        if self.spelling is None or not request.correct_spelling:
            return request
        corrected = self.spelling.correct(request.q)
        return request if corrected == request.q else request.model_copy(update={"q": corrected})

    @property
    def settings(self) -> QueryApiSettings:
        """The settings it searches with."""
        return self._settings

    def _not_reranked(self, hybrid: bool, request: SearchRequest) -> Ranking:
        """What the response says when the ranking stage does not run (replaced when it does)."""
        if not hybrid:
            return Ranking(
                applied=False,
                outcome=RankingOutcome.NOT_HYBRID,
                reason="only hybrid and personalized searches are re-ranked",
            )
        if not self.ranking.ready:
            return Ranking(applied=False, outcome=RankingOutcome.NOT_LOADED, reason="no ranker is loaded")
        return Ranking(
            applied=False,
            outcome=RankingOutcome.TURNED_OFF,
            reason="re-ranking was turned off for this request (rerank=false)",
        )

    def _fusion_in_opensearch(self) -> bool:
        if self.fuse_in_opensearch is None:
            self.prepare()
        return bool(self.fuse_in_opensearch)

    def _check(self, request: SearchRequest) -> None:
        settings = self._settings
        if len(request.q) > settings.max_query_chars:
            raise QueryTooLongError(
                f"q is {len(request.q)} characters long; the limit is {settings.max_query_chars}.", field="q"
            )
        if request.size > settings.max_size:
            raise InvalidParameterError(f"size {request.size} is above the limit of {settings.max_size}.", field="size")

    def _window(self, request: SearchRequest, depth: int | None = None) -> tuple[int, int]:
        """The (from, size) OpenSearch is asked for: a page past `depth` is short, or empty.

        `depth` defaults to the depth a hybrid or k-NN query pages through. An empty page still asks for the
        total and the facets (from 0, size 0), never for hits beyond the depth a hybrid query gathered.
        """
        depth = depth or self._settings.pagination_depth
        size = max(0, min(request.size, depth - request.from_))
        return (request.from_, size) if size else (0, 0)

    def _plan(self, request: SearchRequest) -> _Plan:
        settings = self._settings
        mode = request.mode or settings.default_mode
        requested = mode is Mode.PERSONALIZED
        profile: UserProfile | None = None
        if not requested:
            reason = f"mode {mode.value} is not personalized"
        elif request.user_id is None:
            reason = "no user_id was given"
        else:
            profile = self._profiles.get(request.user_id)
            reason = "unknown user"
        history = profile is not None and profile.vector is not None
        demographics = profile is not None and self._encoder.knows_demographics(profile.demographics)
        if profile is not None:
            reason = _personal_reason(history, demographics)
        applied = requested and (history or demographics)
        if requested and not applied:
            mode = Mode.HYBRID
        plain = self._encoder.encode_query(request.q) if mode is not Mode.BM25 else None
        vector = plain
        if applied and plain is not None:
            assert profile is not None
            vector = self._encoder.personalize(plain, profile.vector, settings.personal_weight, profile.demographics)
        personalization = Personalization(
            requested=requested,
            applied=applied,
            reason=reason,
            history_size=profile.history_size if profile else 0,
            demographics_applied=applied and demographics,
        )
        return _Plan(
            mode=mode,
            fusion=request.fusion or settings.default_fusion,
            lexical_weight=settings.lexical_weight if request.lexical_weight is None else request.lexical_weight,
            rank_constant=request.rank_constant or settings.rank_constant,
            personalization=personalization,
            vector=vector,
            plain_vector=plain,
            history=profile.history if applied and profile is not None else (),
        )

    def _page(
        self, query: dict[str, Any], request: SearchRequest, aggs: dict[str, Any], depth: int | None = None
    ) -> EngineResult:
        return self._backend.search(self._settings.alias, dsl.page(query, *self._window(request, depth), aggs))

    def _hybrid_in_opensearch(
        self, request: SearchRequest, plan: _Plan, filters: list[dict[str, Any]], aggs: dict[str, Any]
    ) -> EngineResult:
        assert plan.vector is not None
        depth = self._settings.pagination_depth
        # Asked from the top and cut here: neural-search answers a `from` past the last result it found
        # ("Reached end of search result"), and a `size` of 0 (its fetch phase then disagrees with its
        # query phase), with a 500. The candidates are gathered either way.
        start, size = self._window(request)
        body = dsl.page(dsl.hybrid(request.q, plan.vector, depth, filters), 0, max(start + size, 1), aggs)
        name = pipeline_name(plan.fusion, plan.lexical_weight, plan.rank_constant)
        pipeline = None
        if name in self._named_pipelines:
            pipeline = name
        else:
            # A fusion setting without a named pipeline runs through a temporary one in the body.
            processor = pipeline_processor(plan.fusion, plan.lexical_weight, plan.rank_constant, self._engine_major)
            body["search_pipeline"] = {"phase_results_processors": [processor]}
        result = self._backend.search(self._settings.alias, body, pipeline)
        return replace(result, hits=result.hits[start : start + size])

    def _sub_queries(
        self, request: SearchRequest, vector: Vector, filters: list[dict[str, Any]]
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        lexical, semantic, _ = self._sub_results(request, vector, filters)
        return lexical, semantic

    def _sub_results(
        self, request: SearchRequest, vector: Vector, filters: list[dict[str, Any]]
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]], int]:
        """The BM25 and k-NN top `pagination_depth` (id, score), and how many products the two found in all.

        The count is every BM25 match and the k-NN ones BM25 missed: what paging can reach.
        """
        depth, alias = self._settings.pagination_depth, self._settings.alias
        semantic = self._backend.search(alias, dsl.ranked_ids(dsl.knn(vector, depth, filters), depth)).ranked()
        nearest = [i for i, _ in semantic]
        lexical = self._backend.search(alias, dsl.ranked_ids(dsl.lexical(request.q, filters), depth, nearest))
        both = int(lexical.aggregations.get("among", {}).get("doc_count", 0))
        return lexical.ranked(), semantic, lexical.total + len(nearest) - both

    def _past_the_fused(
        self, request: SearchRequest, order: list[str], filters: list[dict[str, Any]]
    ) -> list[EngineHit]:
        """The page's hits past the fused candidates: BM25's other matches, in BM25 order.

        The k-NN side has no such continuation (its `k` is the depth), so deep pages are BM25's; none
        of them repeats a fused candidate, so no page repeats another.
        """
        first, end = max(request.from_, len(order)), request.from_ + request.size
        skip = first - len(order)
        if end <= first or skip + end - first > dsl.MAX_RESULT_WINDOW:
            return []
        body = dsl.page(dsl.lexical_excluding(request.q, filters, order), skip, end - first, {})
        return self._backend.search(self._settings.alias, body).hits

    def _fuse(self, plan: _Plan, lexical: list[tuple[str, float]], semantic: list[tuple[str, float]]) -> list[Fused]:
        if plan.fusion is Fusion.MINMAX:
            return minmax_fuse(lexical, semantic, plan.lexical_weight, 1 - plan.lexical_weight)
        return rrf_fuse(lexical, semantic, plan.rank_constant)

    def _hybrid_in_service(
        self,
        request: SearchRequest,
        plan: _Plan,
        filters: list[dict[str, Any]],
        aggs: dict[str, Any],
        ranking: Ranking,
        rerank: bool,
    ) -> tuple[EngineResult, dict[str, HitExplanation], Ranking]:
        assert plan.vector is not None
        alias = self._settings.alias
        lexical, semantic, total = self._sub_results(request, plan.vector, filters)
        fused = self._fuse(plan, lexical, semantic)
        by_fused = {f.id: f for f in fused}
        order = [f.id for f in fused]
        docs: dict[str, EngineHit] = {}
        reranked: Reranked | None = None
        if rerank:
            depth = min(request.rerank_depth or self._settings.rerank_depth, len(fused))
            candidates, docs = self._candidates(plan, fused[:depth], lexical, semantic, filters)
            taste = self._taste(plan.history)
            reranked = self.ranking.rerank(request.q, candidates, explain=request.explain, taste=taste)
            order = reranked.order + order[depth:]
            ranking = Ranking(
                applied=reranked.applied,
                outcome=reranked.outcome,
                reason=reranked.reason,
                model=self.ranking.model,
                depth=depth,
                ms=round(reranked.seconds * 1000, 3),
            )
        if self._max_per_brand(request):
            order = self._spread_brands(request, order, docs)
        page_ids = order[request.from_ : request.from_ + request.size]
        self._read_products(page_ids, docs)
        scores = reranked.scores if reranked is not None and reranked.applied else {}
        hits = [replace(docs[i], score=scores.get(i, by_fused[i].score)) for i in page_ids if i in docs]
        hits += self._past_the_fused(request, order, filters)
        raw_aggs: dict[str, Any] = {}
        if aggs:
            matching = [dsl.lexical(request.q, filters), dsl.knn(plan.vector, self._settings.pagination_depth, filters)]
            raw_aggs = self._backend.search(alias, dsl.facet_counts(matching, aggs)).aggregations
        explained = {}
        if request.explain:
            explained = self._explanations(plan, [by_fused[i] for i in page_ids], page_ids, filters)
            if reranked is not None and reranked.applied:
                explained = {
                    i: e.model_copy(
                        update={
                            "cross_encoder_score": reranked.cross_encoder_scores.get(i),
                            "ranker_score": reranked.scores.get(i),
                            "contributions": reranked.contributions.get(i),
                        }
                    )
                    for i, e in explained.items()
                }
        return EngineResult(hits, total, raw_aggs), explained, ranking

    def shopper_taste(self, user_id: str | None) -> Taste | None:
        """The brands, categories and prices of the shopper's recent purchases (None: unknown or none).

        Read from the products of the history the users index keeps, at most once per profile lifetime.
        """
        profile = self._profiles.get(user_id) if user_id else None
        return self._taste(profile.history) if profile is not None else None

    def _taste(self, history: tuple[str, ...]) -> Taste | None:
        if not history:
            return None
        with self._taste_lock:
            if history in self._tastes:
                return self._tastes[history]
        taste = Taste.from_products([h.source for h in self._read_products(list(history), {}).values()])
        with self._taste_lock:
            self._tastes[history] = taste
        return taste

    def _read_products(self, ids: list[str], docs: dict[str, EngineHit]) -> dict[str, EngineHit]:
        """`docs` with the products of `ids` it lacks read from the index (one request, none if it lacks none)."""
        missing = [i for i in ids if i not in docs]
        if missing:
            docs |= {h.id: h for h in self._backend.search(self._settings.alias, dsl.by_ids(missing)).hits}
        return docs

    def _max_per_brand(self, request: SearchRequest) -> int:
        return self._settings.max_per_brand if request.max_per_brand is None else request.max_per_brand

    def _spread_brands(self, request: SearchRequest, order: list[str], docs: dict[str, EngineHit]) -> list[str]:
        """`order` with the brand limit on its first places; `docs` gains the products it had to read."""
        # Enough candidates to fill the window even when most of them are one brand's.
        top = order[: self._settings.diversity_window * 5]
        self._read_products(top, docs)
        brands = {i: docs[i].source.get("brand") for i in top if i in docs}
        if names_a_brand(request.q, list(brands.values())):
            return order
        return spread_brands(order, brands, self._settings.diversity_window, self._max_per_brand(request))

    def candidates(self, request: SearchRequest, depth: int) -> list[Candidate]:
        """The first stage's best `depth` fused candidates for a hybrid or personalized request (training reads these).

        Raises:
            InvalidParameterError: the request is not a hybrid one, or breaks a limit.
            EngineError: OpenSearch is down, slow or refusing.
        """
        self._check(request)
        request = self._understood(request)
        plan = self._plan(request)
        if plan.vector is None or plan.mode not in (Mode.HYBRID, Mode.PERSONALIZED):
            raise InvalidParameterError(
                "Candidates come from hybrid searches: set mode hybrid or personalized.", field="mode"
            )
        filters = dsl.filter_clauses(request.filters)
        lexical, semantic = self._sub_queries(request, plan.vector, filters)
        fused = self._fuse(plan, lexical, semantic)
        return self._candidates(plan, fused[:depth], lexical, semantic, filters)[0]

    def _candidates(
        self,
        plan: _Plan,
        top: list[Fused],
        lexical: list[tuple[str, float]],
        semantic: list[tuple[str, float]],
        filters: list[dict[str, Any]],
    ) -> tuple[list[Candidate], dict[str, EngineHit]]:
        docs = self._read_products([f.id for f in top], {})
        plain = self._plain_scores(plan, [f.id for f in top], filters)
        ranks = ({i: r for r, (i, _) in enumerate(lexical, 1)}, {i: r for r, (i, _) in enumerate(semantic, 1)})
        return [_candidate(f, docs.get(f.id), *ranks, plain) for f in top], docs

    def _plain_scores(self, plan: _Plan, ids: list[str], filters: list[dict[str, Any]]) -> dict[str, float]:
        """The plain query vector's own k-NN scores for `ids`, when personalization moved the query vector."""
        if not (plan.personalization.applied and plan.plain_vector is not None and ids):
            return {}
        body = dsl.by_ids(ids, filters, plan.plain_vector)
        return dict(self._backend.search(self._settings.alias, body).ranked())

    def _explain(
        self, request: SearchRequest, plan: _Plan, filters: list[dict[str, Any]], ids: list[str]
    ) -> dict[str, HitExplanation]:
        assert plan.vector is not None
        lexical, semantic = self._sub_queries(request, plan.vector, filters)
        fused = {f.id: f for f in self._fuse(plan, lexical, semantic)}
        return self._explanations(plan, [fused[i] for i in ids if i in fused], ids, filters)

    def _explanations(
        self, plan: _Plan, page: list[Fused], ids: list[str], filters: list[dict[str, Any]]
    ) -> dict[str, HitExplanation]:
        unpersonalized = self._plain_scores(plan, ids, filters)
        minmax = plan.fusion is Fusion.MINMAX
        explanations = {}
        for f in page:
            plain = unpersonalized.get(f.id)
            explanations[f.id] = HitExplanation(
                lexical_score=f.lexical,
                semantic_score=f.semantic,
                lexical_normalized=f.lexical_normalized,
                semantic_normalized=f.semantic_normalized,
                lexical_weight=plan.lexical_weight if minmax else None,
                semantic_weight=1 - plan.lexical_weight if minmax else None,
                rank_constant=None if minmax else plan.rank_constant,
                fused_score=f.score,
                semantic_score_unpersonalized=plain,
                personal_delta=(f.semantic - plain) if f.semantic is not None and plain is not None else None,
            )
        return explanations


def _candidate(
    fused: Fused,
    doc: EngineHit | None,
    lexical_ranks: dict[str, int],
    semantic_ranks: dict[str, int],
    plain: dict[str, float],
) -> Candidate:
    source = doc.source if doc is not None else {}
    lexical_rank, semantic_rank = lexical_ranks.get(fused.id), semantic_ranks.get(fused.id)
    unpersonalized = plain.get(fused.id)
    return Candidate(
        id=fused.id,
        title=source.get("title") or "",
        brand=source.get("brand"),
        category_path=source.get("category_path"),
        price=source.get("price"),
        availability=source.get("availability"),
        popularity=source.get("popularity"),
        lexical_score=fused.lexical,
        lexical_rank=lexical_rank,
        semantic_score=fused.semantic,
        semantic_rank=semantic_rank,
        fused_score=fused.score,
        personal_delta=(fused.semantic - unpersonalized)
        if fused.semantic is not None and unpersonalized is not None
        else None,
    )


def _hit(hit: EngineHit, explanation: HitExplanation | None) -> Hit:
    source = hit.source
    return Hit(
        id=hit.id,
        title=source.get("title") or "",
        brand=source.get("brand"),
        category=source.get("category_path"),
        price=source.get("price"),
        currency=source.get("currency"),
        availability=source.get("availability"),
        image_url=source.get("image_url"),
        score=hit.score,
        explanation=explanation,
    )


def _facets(aggs: dict[str, Any], facets: list[Facet]) -> dict[str, list[FacetBucket]]:
    out: dict[str, list[FacetBucket]] = {}
    for name, agg in aggs.items():
        buckets = agg.get("buckets", [])
        if name == "price":
            out[name] = [FacetBucket(value=b["key"], count=b["doc_count"]) for b in buckets]
        else:
            label = category_label if name == "category" else str
            out[name] = [
                FacetBucket(value=label(str(b["key"])), count=b["doc_count"]) for b in buckets if b["doc_count"]
            ]
    return {k: v for k, v in out.items() if v or k in {f.value for f in facets}}


def _personal_reason(history: bool, demographics: bool) -> str:
    if not history:
        return "profile applied (no purchase history)" if demographics else "no purchase history (cold user)"
    return "purchase history and profile applied" if demographics else "purchase history applied"
