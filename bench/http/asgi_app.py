"""A plain ASGI app for uvicorn in bench/http: GET /json -> {"message":"Hello, World!"}."""
import json

BODY = json.dumps({"message": "Hello, World!"}).encode()

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["path"] == "/json":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]})
        await send({"type": "http.response.body", "body": BODY})
    else:
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"9")]})
        await send({"type": "http.response.body", "body": b"Not Found"})
