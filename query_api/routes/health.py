"""`/health` (the process answers), `/ready` (it can serve searches) and `/metrics` (Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kernel.errors import EngineError
from query_api.deps import MetricsDep, SettingsDep, require_api_key_for_metrics

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process is up."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "Not ready; `checks` says which check failed."}})
def ready(request: Request, settings: SettingsDep) -> JSONResponse:
    """Readiness: OpenSearch answers, the alias exists, and it was built with the loaded encoder."""
    backend = request.app.state.backend
    fingerprint = request.app.state.encoder.fingerprint.value
    checks: dict[str, str] = {}
    try:
        checks["opensearch"] = "ok" if backend.ping() else "unreachable"
        found = backend.alias_meta(settings.alias) if checks["opensearch"] == "ok" else None
    except EngineError as exc:
        checks["opensearch"], found = f"error: {exc}", None
    if found is None:
        checks["alias"] = f"alias {settings.alias!r} not found" if checks["opensearch"] == "ok" else "unknown"
        checks["encoder"] = "unknown"
    else:
        index, meta = found
        checks["alias"] = f"ok ({settings.alias} → {index})"
        recorded = meta.get("aisle", {}).get("encoder", {}).get("value")
        checks["encoder"] = (
            "ok"
            if recorded == fingerprint
            else f"index built with {recorded or 'an unknown encoder'}, loaded encoder is {fingerprint}"
        )
    ok = all(value.startswith("ok") for value in checks.values())
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response, dependencies=[Depends(require_api_key_for_metrics)])
def metrics(metrics: MetricsDep) -> Response:
    """Prometheus metrics."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
