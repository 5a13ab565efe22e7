"""aiohttp peer for bench/http: GET /json -> {"message":"Hello, World!"}."""
import sys
from aiohttp import web

async def json_route(request):
    return web.json_response({"message": "Hello, World!"})

app = web.Application()
app.router.add_get("/json", json_route)
print(f"listening {sys.argv[1]}", flush=True)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
