"""`aisle rank`: the learned ranker and the cross-encoder, trained on the candidates aisle's own first stage returns.

For each training and dev search, the API's search service (the code behind `/search`) gathers the
fused BM25 + k-NN candidates, so the ranker learns the distribution it will re-order. Labels come
from judgments (Home Depot's grades) or from the SIMULATED store's search log (purchased 2, clicked
1, shown or unseen 0). The trained ranker is saved beside the encoder (`<model>/ranker/`), the cross-encoder likewise
(`<model>/cross-encoder/`), where the API and `aisle eval` find them; each run's arguments are written
beside it and replay it (`aisle rank train --replay <model>/ranker/ranker_args.json`).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from aisle.evaluation.datasets import EvalSet, home_depot_set, simulated_set
from aisle.evaluation.harness import index_eval_set, search_service
from encoders import EncoderSettings, load_encoder
from encoders.arguments import ReplayableArgs
from encoders.errors import TrainingDataError
from encoders.ranking import (
    Candidate,
    Lexicon,
    LtrArgs,
    LtrRanker,
    QueryContext,
    RankingExample,
    Taste,
    features,
    train_ltr,
)
from encoders.ranking.cross_encoder import CROSS_ENCODER_DIR, OnnxCrossEncoder, candidate_text
from encoders.ranking.cross_encoder_training import (
    CrossEncoderArgs,
    DevSearch,
    export_cross_encoder,
    train_cross_encoder,
    training_pairs,
)
from encoders.ranking.ltr import RANKER_DIR
from encoders.ranking.query_log import QueryLog
from encoders.ranking.vocabulary import inverse_document_frequencies
from encoders.serving import ServingDefaults
from indexer import IndexerSettings, IndexStore
from kernel.catalog import read_products
from kernel.data import JudgedQuery, Split, logged_grades, ndcg_at, read_home_depot_ratings
from kernel.opensearch import ConnectionSettings, get_connection_settings, make_client
from kernel.progress import progress_for
from kernel.spelling import SpellingCorrector
from query_api.schemas import Fusion, Mode, SearchRequest
from query_api.search import SearchBackend, SearchService
from query_api.search.fusion import minmax_fuse, rrf_fuse
from query_api.search.ranking import RankingStage
from query_api.settings import QueryApiSettings

__all__ = [
    "CalibrationJob",
    "FirstStage",
    "FusionChoice",
    "RankerJob",
    "RankerRun",
    "RankingSource",
    "RerankerJob",
    "RerankerRun",
    "catalog_texts",
    "choose_fusion",
    "examples",
    "gather_candidates",
    "open_first_stage",
    "train_ranker",
    "train_reranker",
]

Labels = Callable[[JudgedQuery], dict[str, int]]
Ranked = list[tuple[str, float]]
SoftLabels = Callable[[JudgedQuery], dict[str, float]]


@dataclass(frozen=True)
class RankerRun:
    """A trained ranker and where it was saved."""

    ranker: LtrRanker
    folder: Path


@dataclass(frozen=True)
class RerankerRun:
    """An exported cross-encoder's card and where it was saved."""

    card: dict[str, Any]
    folder: Path


def gather_candidates(
    service: SearchService,
    queries: Sequence[JudgedQuery],
    depth: int,
    lexical_weight: float | None,
    personalized: bool,
    console: Console,
    what: str,
) -> dict[str, list[Candidate]]:
    """Each query's first-stage candidates (by query id), as the API's search service returns them."""
    found = {}
    mode = Mode.PERSONALIZED if personalized else Mode.HYBRID
    with progress_for(console, transient=True) as progress:
        task = progress.add_task(f"candidates for the {what} searches", total=len(queries))
        for query in queries:
            request = SearchRequest.model_validate(
                {
                    "q": query.text,
                    "mode": mode,
                    "fusion": Fusion.MINMAX,
                    "lexical_weight": lexical_weight,
                    "user_id": query.user_id if personalized else None,
                    "size": 1,
                }
            )
            found[query.query_id] = service.candidates(request, depth)
            progress.advance(task)
    return found


def examples(
    queries: Sequence[JudgedQuery],
    candidates: dict[str, list[Candidate]],
    labels: Labels,
    idf: dict[str, float],
    tastes: dict[str, Taste | None] | None = None,
    log: QueryLog | None = None,
) -> list[RankingExample]:
    """Each query's candidates as feature rows, labelled by `labels` (with the shopper's taste, if known).

    With a query `log`, each query's own entry in it is left out of its features: a training search
    must not find its own labels, which no new search would.
    """
    made, rarest, lexicon = [], max(idf.values(), default=1.0), Lexicon(idf)
    for query in queries:
        found, grades = candidates[query.query_id], labels(query)
        taste = (tastes or {}).get(query.query_id)
        context = QueryContext(query.text, taste, idf, rarest, lexicon, log, held_out=query.text)
        rows = features(context, found)
        made.append(RankingExample(query.query_id, rows, np.array([grades.get(c.id, 0) for c in found], np.int64)))
    return made


def _cached(path: Path | None, gather: Callable[[], dict[str, list[Candidate]]]) -> dict[str, list[Candidate]]:
    # Gathering is the slow part (one search per query): a rerun with the same index, depth and weight
    # reads it back instead.
    if path is not None and path.is_file():
        return {k: [Candidate(**c) for c in v] for k, v in json.loads(path.read_text()).items()}
    found = gather()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({k: [asdict(c) for c in v] for k, v in found.items()}))
    return found


@dataclass
class FirstStage:
    """The API's first stage over an eval set's index: gathers each search's fused candidates (cached)."""

    alias: str
    service: SearchService
    encoder_fingerprint: str
    depth: int
    lexical_weight: float
    personalized: bool
    console: Console
    cache_dir: Path | None = None
    spelling: SpellingCorrector | None = None

    @property
    def spelled(self) -> str:
        """What the cache names say about spelling correction."""
        return "-spelled" if self.spelling is not None else ""

    def candidates(self, searches: EvalSet, what: str) -> dict[str, list[Candidate]]:
        """Each of the set's queries' candidates, by query id."""
        key = f"{self.alias}-{searches.name}-{self.depth}-{self.lexical_weight}{self.spelled}.json"
        return _cached(
            self.cache_dir / key if self.cache_dir else None,
            lambda: gather_candidates(
                self.service, searches.queries, self.depth, self.lexical_weight, self.personalized, self.console, what
            ),
        )

    def tastes(self, searches: EvalSet) -> dict[str, Taste | None]:
        """Each personalized search's shopper taste, as the API reads it (empty for anonymous searches)."""
        if not self.personalized:
            return {}
        return {q.query_id: self.service.shopper_taste(q.user_id) for q in searches.queries if q.user_id}


def open_first_stage(
    train: EvalSet,
    model_dir: Path,
    engine: ConnectionSettings,
    *,
    depth: int,
    lexical_weight: float | None,
    console: Console,
    cache_dir: Path | None,
    spelling: bool = True,
    index: tuple[str, str | None] | None = None,
) -> FirstStage:
    """Index `train`'s catalog with the model in `model_dir` (reused when current) and open the API's first stage.

    With `spelling`, queries are corrected toward the catalog's words as the API will correct them
    (the corrector is saved beside the model by the training that uses it). `index` names the
    (products, users) aliases to search when the catalog is indexed already (`aisle up`'s own).
    """
    client = make_client(engine)
    encoder = load_encoder(EncoderSettings(model_dir=model_dir))
    alias, users = index or index_eval_set(
        IndexStore(client, IndexerSettings()), train, encoder, IndexerSettings(), console, False
    )
    settings = QueryApiSettings(alias=alias, users_index=users or "no-users", pagination_depth=max(depth, 50))
    weight = lexical_weight if lexical_weight is not None else settings.lexical_weight
    corrector = SpellingCorrector.from_titles(catalog_texts(train, titles_only=True).values()) if spelling else None
    return FirstStage(
        alias,
        search_service(SearchBackend(client), encoder, settings, spelling=corrector),
        encoder.fingerprint.value,
        depth,
        weight,
        train.events is not None,
        console,
        cache_dir,
        corrector,
    )


def _cross_encoded(
    reranker: OnnxCrossEncoder,
    searches: EvalSet,
    found: dict[str, list[Candidate]],
    depth: int,
    stage: FirstStage,
    what: str,
) -> dict[str, list[Candidate]]:
    """The candidates with the cross-encoder's score on each search's top `depth` (cached like them)."""
    texts = {q.query_id: q.text for q in searches.queries}

    def score() -> dict[str, list[Candidate]]:
        scored = {}
        with progress_for(stage.console, transient=True) as progress:
            task = progress.add_task(f"cross-encoder scores for the {what} searches", total=len(found))
            for query_id, candidates in found.items():
                top = candidates[:depth]
                logits = reranker.score(texts[query_id], [candidate_text(c.title, c.brand) for c in top])
                scored[query_id] = [
                    replace(c, cross_encoder_score=float(logits[i]) if i < len(top) else None)
                    for i, c in enumerate(candidates)
                ]
                progress.advance(task)
        return scored

    key = f"{stage.alias}-{searches.name}-{stage.depth}-{stage.lexical_weight}{stage.spelled}-ce{depth}-"
    key += str(reranker.card["weights_sha256"])[:12]
    return _cached(stage.cache_dir / f"{key}.json" if stage.cache_dir else None, score)


def catalog_texts(eval_set: EvalSet, titles_only: bool = False) -> dict[str, str]:
    """Every product's text as the cross-encoder reads it (or its title alone), by id."""
    texts = {}
    for row in read_products(eval_set.catalog, eval_set.catalog_format):
        if row.fields and row.fields.get("id"):
            title, brand = str(row.fields.get("title", "")), row.fields.get("brand")
            texts[str(row.fields["id"])] = title if titles_only else candidate_text(title, brand)
    return texts


def _about(train: EvalSet, stage: FirstStage) -> dict[str, Any]:
    return {
        "data": train.name.rsplit("-", 1)[0],
        "simulated": train.simulated,
        "depth": stage.depth,
        "lexical_weight": stage.lexical_weight,
        "encoder": stage.encoder_fingerprint,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def train_ranker(
    train: EvalSet,
    dev: EvalSet,
    model_dir: Path,
    engine: ConnectionSettings,
    *,
    labels: Labels,
    depth: int = 50,
    lexical_weight: float | None = None,
    args: LtrArgs | None = None,
    console: Console | None = None,
    cache_dir: Path | None = None,
    cross_encoder_depth: int = 0,
    spelling: bool = True,
    index: tuple[str, str | None] | None = None,
    query_log: bool = True,
) -> RankerRun:
    """Train the ranker on `train`'s searches (stopped on `dev`'s) and save it in `<model_dir>/ranker`.

    With `cache_dir`, the candidates gathered for each split are kept there (named after the index, the
    depth and the weight) and read back by the next run. With `cross_encoder_depth`, the cross-encoder
    exported beside the model scores each search's top candidates, and its score is a feature. With
    `index`, the (products, users) aliases already built on `train`'s catalog are searched. With
    `query_log`, the training searches and the products labelled relevant for them are kept beside
    the ranker as its query log (the `log_match` features).
    """
    console = console or Console(stderr=True)
    args = args or LtrArgs()
    stage = open_first_stage(
        train,
        model_dir,
        engine,
        depth=depth,
        lexical_weight=lexical_weight,
        console=console,
        cache_dir=cache_dir,
        spelling=spelling,
        index=index,
    )
    choice = None
    if lexical_weight is None:
        choice = choose_fusion(stage, dev, labels)
        stage = replace(stage, lexical_weight=choice.lexical_weight)
        console.print(f"first stage: {choice.summary()}", highlight=False)
    idf = inverse_document_frequencies(catalog_texts(train, titles_only=True).values())
    # Only the training split: dev stops the boosting and test is what eval reports, so neither is in the log.
    log = QueryLog(((q.text, labels(q)) for q in train.queries), idf) if query_log else None

    reranker = OnnxCrossEncoder.beside(model_dir) if cross_encoder_depth else None
    if cross_encoder_depth and reranker is None:
        raise TrainingDataError(
            f"No cross-encoder beside {model_dir}: train one first (aisle rank cross-encoder), or set "
            "--cross-encoder-depth 0."
        )

    # Gathered once: the dev candidates serve early stopping and the stage's cost below.
    dev_found = stage.candidates(dev, "dev")

    def gather(searches: EvalSet, what: str, found: dict[str, list[Candidate]] | None = None) -> list[RankingExample]:
        found = found if found is not None else stage.candidates(searches, what)
        if reranker is not None:
            found = _cross_encoded(reranker, searches, found, cross_encoder_depth, stage, what)
        return examples(searches.queries, found, labels, idf, stage.tastes(searches), log)

    about = _about(train, stage)
    ranker = train_ltr(gather(train, "training"), gather(dev, "dev", dev_found), args, about)
    ranker.idf, ranker.log = idf, log
    if log is not None:
        ranker.card["query_log"] = {"searches": len(log), "products": log.products, "from": train.name}
    if reranker is not None:
        ranker.card["cross_encoder"] = {
            "name": reranker.card["name"],
            "weights_sha256": reranker.card["weights_sha256"],
            "depth": cross_encoder_depth,
        }
    ranker.card["name"] = f"ltr-{about['data']}"
    folder = model_dir / RANKER_DIR
    ranker.save(folder)
    if stage.spelling is not None:
        stage.spelling.save(model_dir)
    serving = {"default_fusion": "minmax", "lexical_weight": stage.lexical_weight, "rerank_depth": depth}
    if reranker is not None:
        serving["cross_encoder_depth"] = cross_encoder_depth
    # The API re-ranks what this ranker learned from: the same fusion, weight and depth.
    measured: dict[str, Any] = {"ranker": ranker.card["dev"]}
    if choice is not None:
        measured["fusion_sweep"] = choice.measured
    cost = _stage_ms(ranker, reranker, cross_encoder_depth, dev_found, dev)
    measured["stage_ms_median"] = cost
    budget = QueryApiSettings.model_fields["rerank_budget_ms"].default
    if cost > budget:
        console.print(
            f"[yellow]this ranking stage takes {cost:.1f} ms per search (median of dev searches), over the API's "
            f"{budget:.0f} ms budget: /search will serve the fused order. Raise AISLE_API_RERANK_BUDGET_MS or "
            "train with a smaller --cross-encoder-depth.[/yellow]"
        )
    ServingDefaults(serving, f"{dev.name}", measured).merged(model_dir).save(model_dir)
    return RankerRun(ranker, folder)


def _stage_ms(
    ranker: LtrRanker,
    reranker: OnnxCrossEncoder | None,
    cross_encoder_depth: int,
    found: dict[str, list[Candidate]],
    dev: EvalSet,
    searches: int = 100,
) -> float:
    """Median wall time of the API's ranking stage with these models over dev searches (after a warm-up)."""
    stage = RankingStage(ranker, float("inf"), reranker, cross_encoder_depth)
    took = []
    for query in dev.queries[:searches]:
        started = time.perf_counter()
        stage.rerank(query.text, found[query.query_id])
        took.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(took), 2) if took else 0.0


def train_reranker(
    train: EvalSet,
    dev: EvalSet,
    model_dir: Path,
    engine: ConnectionSettings,
    *,
    labels: SoftLabels,
    depth: int = 50,
    lexical_weight: float | None = None,
    args: CrossEncoderArgs | None = None,
    console: Console | None = None,
    cache_dir: Path | None = None,
    spelling: bool = True,
) -> RerankerRun:
    """Train the cross-encoder on `train`'s judged products and mined first-stage negatives; export it beside the model.

    `labels` gives each query's products a relevance in [0, 1]. The dev searches (at most
    `args.dev_searches` of them) re-ranked from their own candidates choose the checkpoint.
    """
    console = console or Console(stderr=True)
    args = args or CrossEncoderArgs()
    stage = open_first_stage(
        train,
        model_dir,
        engine,
        depth=depth,
        lexical_weight=lexical_weight,
        console=console,
        cache_dir=cache_dir,
        spelling=spelling,
    )
    texts = catalog_texts(train)
    rng = random.Random(args.seed)
    found = stage.candidates(train, "training")
    searches = [(q.text, labels(q), [c.id for c in found[q.query_id]]) for q in train.queries]
    pairs = training_pairs(searches, texts, args.negatives, rng)
    dev_found = stage.candidates(dev, "dev")
    dev_queries = rng.sample(dev.queries, min(args.dev_searches, len(dev.queries)))
    dev_searches = [
        DevSearch(q.text, [(c.id, texts.get(c.id, c.title)) for c in dev_found[q.query_id]], q.grades)
        for q in dev_queries
    ]
    console.print(f"cross-encoder: {len(pairs):,} training pairs, {len(dev_searches):,} dev searches")
    folder = model_dir / CROSS_ENCODER_DIR
    model, curve = train_cross_encoder(pairs, dev_searches, args, folder.with_name(folder.name + ".run"), console)
    about = _about(train, stage) | {"training_pairs": len(pairs), "dev_searches": len(dev_searches)}
    card = export_cross_encoder(model, folder, about, curve, args)
    if stage.spelling is not None:
        stage.spelling.save(model_dir)
    return RerankerRun(card, folder)


SWEPT_WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class FusionChoice:
    """The first-stage fusion chosen on dev, and every setting's dev nDCG@10 (the fused order, no ranker)."""

    lexical_weight: float
    measured: dict[str, float]
    chosen_on: str

    def summary(self) -> str:
        """One line a person reads: the weight, its dev score, and the runner-up and RRF beside it."""
        chosen = self.measured[f"minmax@{self.lexical_weight}"]
        others = sorted((v, k) for k, v in self.measured.items() if k.startswith("minmax@") and v != chosen)
        runner_up = f", next best {others[-1][1].removeprefix('minmax@')} {others[-1][0]:.4f}" if others else ""
        rrf = f", RRF {self.measured['rrf@60']:.4f}" if "rrf@60" in self.measured else ""
        return (
            f"lexical weight {self.lexical_weight} chosen on {self.chosen_on} "
            f"(dev nDCG@10 {chosen:.4f}{runner_up}{rrf})"
        )


def choose_fusion(stage: FirstStage, dev: EvalSet, labels: Labels) -> FusionChoice:
    """The min-max BM25 weight whose fused order has the best dev nDCG@10 (RRF is measured beside it).

    Each dev search's BM25 and k-NN lists are fetched once (all of both, fused at an even weight), and
    every weight re-fuses them as the API would; ties go to the weight nearer the API's default.
    """
    union = 2 * stage.service.settings.pagination_depth
    key = f"{stage.alias}-{dev.name}-union{union}{stage.spelled}.json"
    found = _cached(
        stage.cache_dir / key if stage.cache_dir else None,
        lambda: gather_candidates(
            stage.service, dev.queries, union, 0.5, stage.personalized, stage.console, "dev (fusion sweep)"
        ),
    )

    def mean_ndcg(fuse: Callable[[Ranked, Ranked], list[Any]]) -> float:
        values = []
        for query in dev.queries:
            candidates = found[query.query_id]
            lexical = sorted((c for c in candidates if c.lexical_rank), key=lambda c: c.lexical_rank or 0)
            semantic = sorted((c for c in candidates if c.semantic_rank), key=lambda c: c.semantic_rank or 0)
            fused = fuse(
                [(c.id, c.lexical_score or 0.0) for c in lexical], [(c.id, c.semantic_score or 0.0) for c in semantic]
            )
            values.append(ndcg_at([f.id for f in fused], labels(query)))
        return round(float(np.mean(values)), 4) if values else 0.0

    def minmax_at(weight: float) -> Callable[[Ranked, Ranked], list[Any]]:
        return lambda lexical, semantic: minmax_fuse(lexical, semantic, weight, 1 - weight)

    measured = {f"minmax@{w}": mean_ndcg(minmax_at(w)) for w in SWEPT_WEIGHTS}
    measured["rrf@60"] = mean_ndcg(lambda lexical, semantic: rrf_fuse(lexical, semantic, 60))
    default = QueryApiSettings.model_fields["lexical_weight"].default
    best = max(SWEPT_WEIGHTS, key=lambda w: (measured[f"minmax@{w}"], -abs(w - default)))
    return FusionChoice(best, measured, dev.name)


@dataclass
class RankingSource(ReplayableArgs):
    """Where a ranking stage learns from: the model it serves beside, and judged or logged searches."""

    model: Path | None = field(
        default=None, metadata={"help": "The exported model it serves beside (aisle train … /model)."}
    )
    home_depot: Path | None = field(
        default=None, metadata={"help": "A folder with Home Depot's products.csv.gz and judgments.csv.gz."}
    )
    store: Path | None = field(default=None, metadata={"help": "A SIMULATED store folder (aisle simulate)."})
    depth: int = field(default=50, metadata={"help": "First-stage candidates per search.", "min": 5, "max": 500})
    lexical_weight: float | None = field(
        default=None,
        metadata={"help": "BM25 weight of the first stage's fusion (default: the API's).", "min": 0, "max": 1},
    )
    cache_dir: Path | None = field(
        default=None, metadata={"help": "Keep the gathered candidates here; a rerun on the same index reads them."}
    )
    spelling: bool = field(
        default=True,
        metadata={"help": "Correct queries toward the catalog's words, as the API then does (spelling.json)."},
    )

    def checked(self) -> tuple[Path, EvalSet, EvalSet]:
        """The model folder and the training and dev sets.

        Raises:
            TrainingDataError: no model, or not exactly one of a Home Depot folder and a store.
        """
        if self.model is None:
            raise TrainingDataError("Name the model the ranking stage serves beside: --model DIR.")
        if (self.home_depot is None) == (self.store is None):
            raise TrainingDataError("Give exactly one of --home-depot DIR (judgments) or --store DIR (a search log).")
        if self.home_depot is not None:
            return self.model, home_depot_set(self.home_depot, Split.TRAIN), home_depot_set(self.home_depot, Split.DEV)
        assert self.store is not None
        return self.model, simulated_set(self.store, Split.TRAIN), simulated_set(self.store, Split.DEV)

    def grades(self) -> Labels:
        """Graded labels: Home Depot's grades, or purchased 2 > clicked 1 in the store's log."""
        if self.store is None:
            return lambda query: query.grades
        logged = logged_grades(self.store)
        return lambda query: logged.get(query.query_id, {})

    def relevance(self) -> SoftLabels:
        """Labels in [0, 1]: Home Depot's mean rating scaled (barely relevant ones kept), or the log's."""
        if self.store is None:
            assert self.home_depot is not None
            ratings = read_home_depot_ratings(self.home_depot / "judgments.csv.gz")
            return lambda query: {p: (r - 1) / 2 for p, r in ratings.get(query.text, {}).items()}
        grades = self.grades()
        return lambda query: {p: g / 2 for p, g in grades(query).items()}


def _own_args(job: Any, cls: type) -> Any:
    return cls(**{f.name: getattr(job, f.name) for f in fields(cls)})


@dataclass
class RankerJob(RankingSource, LtrArgs):
    """Settings of `aisle rank train`: the data, the first stage's depth and weight, LightGBM's knobs."""

    cross_encoder_depth: int = field(
        default=0,
        metadata={"help": "Score each search's top N with the cross-encoder beside the model, as a feature (0: no)."},
    )
    query_log: bool = field(
        default=True,
        metadata={
            "help": "Keep the training searches' labelled products beside the ranker, for the log_match features."
        },
    )

    def run(self, console: Console) -> RankerRun:
        """Train the ranker and save it with these arguments beside it."""
        model, train, dev = self.checked()
        trained = train_ranker(
            train,
            dev,
            model,
            get_connection_settings(),
            labels=self.grades(),
            depth=self.depth,
            lexical_weight=self.lexical_weight,
            args=_own_args(self, LtrArgs),
            console=console,
            cache_dir=self.cache_dir,
            cross_encoder_depth=self.cross_encoder_depth,
            spelling=self.spelling,
            query_log=self.query_log,
        )
        self.to_json(trained.folder / "ranker_args.json")
        return trained


@dataclass
class RerankerJob(RankingSource, CrossEncoderArgs):
    """Settings of `aisle rank cross-encoder`: the data, the first stage, the cross-encoder's training."""

    def run(self, console: Console) -> RerankerRun:
        """Train and export the cross-encoder with these arguments beside it."""
        model, train, dev = self.checked()
        trained = train_reranker(
            train,
            dev,
            model,
            get_connection_settings(),
            labels=self.relevance(),
            depth=self.depth,
            lexical_weight=self.lexical_weight,
            args=_own_args(self, CrossEncoderArgs),
            console=console,
            cache_dir=self.cache_dir,
            spelling=self.spelling,
        )
        self.to_json(trained.folder / "cross_encoder_args.json")
        return trained


@dataclass
class CalibrationJob(RankingSource):
    """Settings of `aisle rank calibrate`: the data whose dev split chooses the first stage's fusion."""

    def run(self, console: Console) -> FusionChoice:
        """Choose the fusion on dev and write it into the model's `serving.json`.

        Raises:
            TrainingDataError: no model or data, or a weight given (calibration is what chooses it).
        """
        if self.lexical_weight is not None:
            raise TrainingDataError("Calibration chooses the lexical weight: leave --lexical-weight out.")
        model, train, dev = self.checked()
        stage = open_first_stage(
            train,
            model,
            get_connection_settings(),
            depth=self.depth,
            lexical_weight=None,
            console=console,
            cache_dir=self.cache_dir,
            spelling=self.spelling,
        )
        choice = choose_fusion(stage, dev, self.grades())
        settings = {"default_fusion": "minmax", "lexical_weight": choice.lexical_weight}
        ServingDefaults(settings, choice.chosen_on, {"fusion_sweep": choice.measured}).merged(model).save(model)
        if stage.spelling is not None:
            stage.spelling.save(model)
        return choice
