"""Routes of the demo page: the page itself, its script and style, and the shoppers to choose from."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from query_api.demo.shoppers import Shopper, list_shoppers
from query_api.deps import SettingsDep, require_api_key
from query_api.errors import NotFoundError

__all__ = ["router"]

router = APIRouter(tags=["demo"])

_ASSETS = {"app.js": "text/javascript", "style.css": "text/css"}


def _asset(name: str) -> str:
    return resources.files("query_api.demo").joinpath("static", name).read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page() -> HTMLResponse:
    """The demo search page."""
    return HTMLResponse(_asset("index.html"))


@router.get("/demo/{name}", include_in_schema=False)
def asset(name: str) -> Response:
    """The page's script and style sheet (served here: the page needs no CDN or build step)."""
    if name not in _ASSETS:
        raise NotFoundError(f"The demo page has no asset {name!r}.", field="name")
    return Response(_asset(name), media_type=_ASSETS[name])


@router.get("/shoppers", response_model=list[Shopper], dependencies=[Depends(require_api_key)])
def shoppers(request: Request, settings: SettingsDep) -> list[Shopper]:
    """Shoppers with purchase histories, to search as (most frequent first, then a few occasional ones)."""
    return list_shoppers(request.app.state.backend, settings.users_index, settings.alias, settings.demo_shoppers)
