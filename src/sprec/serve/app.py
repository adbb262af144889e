"""`sprec serve`: a run's system behind HTTP (FastAPI). One model worker thread answers every request in turn, so
concurrent requests never multiply torch's threads; the page at / compares two models' lists by hand.

POST /recommend {"history": [titles or raw item ids], "k": 10, "model": NAME} (or "user": ID for that user's
latest history); GET /models, /catalog, /health; the OpenAPI docs at /docs."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sprec.data.titles import close_titles, titles_to_history
from sprec.errors import DataError
from sprec.serve.system import RunSystem

MAX_BODY = 1 << 20  # bytes
PAGE = Path(__file__).parent / "page" / "index.html"


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    history: list[str | int] = Field(default_factory=list, description="titles as typed, or raw item ids")
    user: str | None = Field(None, description="a user of the prepared data: their latest history")
    k: int | None = Field(None, description="list length (default 10, or the whole catalog when smaller)")
    model: str | None = Field(None, description="a name from GET /models (default: the first two-stage model)")
    exclude_history: bool = Field(True, description="leave the history's own items out of the list")


def create_app(system: RunSystem) -> FastAPI:
    app = FastAPI(title="sprec", description=f"Recommendations of the run {system.run_dir.name}")
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sprec-model")
    catalog = system.ds.catalog
    default = next((m for m, kind in system.kinds.items() if kind == "two-stage"), system.models[0])

    @app.exception_handler(RequestValidationError)
    async def one_line(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return JSONResponse({"detail": "body: not valid JSON"}, status_code=422)
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid')}"}, status_code=422)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "run": system.run_dir.name, "models": system.models}

    @app.get("/models")
    def models() -> dict:
        served = [{"name": m, "kind": kind} for m, kind in system.kinds.items()]
        return {"default": default, "dataset": system.ds.name, "item_noun": system.ds.item_noun,
                "catalog_size": len(catalog), "models": served}  # fmt: skip

    @app.get("/catalog")
    def titles() -> list[str]:
        return [it.title for it in catalog.items]

    @app.post("/recommend")
    async def recommend(req: RecommendRequest) -> dict:
        model = req.model or default
        if model not in system.kinds:
            raise HTTPException(422, f"model: {model!r} is not served; served: {', '.join(system.models)}")
        k = min(10, len(catalog)) if req.k is None else req.k
        if not 1 <= k <= len(catalog):
            raise HTTPException(422, f"k: a list holds 1 to {len(catalog)} items, got {k}")
        history = _history(system, req)
        lists = await asyncio.get_running_loop().run_in_executor(
            worker, system.recommend, [history], k, model, req.exclude_history)
        items = [_item(system, r.item, r.score) for r in lists[0]]
        return {"model": model, "history": [_item(system, i) for i in history], "items": items,
                "genre_mix": {"history": _genre_mix(system, history),
                              "items": _genre_mix(system, [r.item for r in lists[0]])}}  # fmt: skip

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(PAGE, media_type="text/html")

    return BodyLimit(app)


def _history(system: RunSystem, req: RecommendRequest) -> list[int]:
    catalog = system.ds.catalog
    if req.user is not None:
        if req.history:
            raise HTTPException(422, "give history or user, not both")
        if req.user not in system.latest:
            raise HTTPException(422, f"user: {req.user!r} has no row in the prepared data")
        return system.latest[req.user][0]
    if not req.history:
        raise HTTPException(422, "history: empty; give at least one title or item id (or a user)")
    ids = []
    for entry in req.history:
        found = catalog.id_of_source(str(entry))
        if found is None and isinstance(entry, str):
            try:
                found = titles_to_history([entry], catalog)[0]
            except DataError:
                matches = close_titles(entry.strip().casefold(), catalog)
                raise HTTPException(422, {"error": f"{entry!r} is not in the catalog", "title": entry,
                                          "close_matches": matches}) from None  # fmt: skip
        if found is None:
            raise HTTPException(422, f"history: item id {entry!r} is not in the catalog")
        ids.append(found)
    return ids


def _item(system: RunSystem, item: int, score: float | None = None) -> dict:
    it = system.ds.catalog.items[item]
    out = {"id": it.source_id or str(it.id), "title": it.title, "genres": list(it.genres),
           "popularity_percentile": round(float(system.popularity_percentile[item]), 1)}  # fmt: skip
    return out if score is None else {**out, "score": round(score, 6)}


def _genre_mix(system: RunSystem, items: list[int]) -> dict[str, float]:
    """Share of each genre group in a list (each item split evenly over its groups, as MGU/DGU count)."""
    catalog = system.ds.catalog
    if not items or not catalog.genre_groups:
        return {}
    share = np.asarray(catalog.genre_weights)[items].sum(axis=0) / len(items)
    return {g: round(float(s), 4) for g, s in zip(catalog.genre_groups, share, strict=True) if s > 0}


class TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI wrapper: a request body over MAX_BODY bytes gets 413 before anything parses it."""

    def __init__(self, app: FastAPI):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit():
            return await _reply(send, 400, "content-length: not a number")
        if int(length) > MAX_BODY:
            return await _reply(send, 413, f"body: over {MAX_BODY} bytes")
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except TooLarge:
            await _reply(send, 413, f"body: over {MAX_BODY} bytes")


async def _reply(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
