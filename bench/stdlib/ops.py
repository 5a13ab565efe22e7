"""The CPython twin of ops.kiwi: the same operations on the same inputs."""
import csv, gzip, hashlib, io, json, os, re, sys, time

d = sys.argv[1]
json_text = open(os.path.join(d, "data.json"), encoding="utf-8").read()
blob = open(os.path.join(d, "blob.bin"), "rb").read()
text = open(os.path.join(d, "text.txt"), encoding="utf-8").read()
mixed = open(os.path.join(d, "mixed.bin"), "rb").read()
csv_text = open(os.path.join(d, "data.csv"), encoding="utf-8", newline="").read()


def ms(t):
    return (time.perf_counter() - t) * 1000


t = time.perf_counter(); v = json.loads(json_text); print("json_parse", ms(t))
t = time.perf_counter(); s = json.dumps(v, separators=(",", ":"), ensure_ascii=False); print("json_stringify", ms(t))
t = time.perf_counter(); h = hashlib.sha256(blob).hexdigest(); print("sha256", ms(t))
t = time.perf_counter(); h = hashlib.md5(blob).hexdigest(); print("md5", ms(t))
t = time.perf_counter(); back = gzip.decompress(gzip.compress(mixed, 6)); print("gzip_round_trip", ms(t))
t = time.perf_counter(); found = re.findall(r"[A-Z][a-z]+ \d{4}", text); print("regex_scan", ms(t))
t = time.perf_counter(); replaced = re.sub(r"(\w+)@(\w+)\.com", r"\2 at \1", text); print("regex_replace", ms(t))
t = time.perf_counter(); rows = list(csv.reader(io.StringIO(csv_text))); print("csv_parse", ms(t))
