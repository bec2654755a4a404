"""The reference of ``bench_bridge``: a bare Flask route served by waitress exactly as
``ml-connector bridge`` serves the bridge (same threads), reading the whole body and answering
a SOAP-sized document. ``python -m bench.bare_flask PORT THREADS``."""

from __future__ import annotations

import sys

from flask import Flask, Response, request
from waitress import serve

ANSWER = b"<answer>" + b"x" * 500 + b"</answer>"


def app() -> Flask:
    bare = Flask(__name__)

    @bare.post("/bare")
    def answer() -> Response:
        request.get_data()
        return Response(ANSWER, content_type="text/xml; charset=utf-8")

    @bare.get("/healthz")
    def healthz() -> str:
        return "ok"

    return bare


if __name__ == "__main__":
    serve(app(), host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]),
          ident="bare")
