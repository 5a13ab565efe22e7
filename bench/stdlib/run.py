"""Makes the inputs, runs ops.kiwi and ops.py alternately RUNS times, prints a Markdown table
of median milliseconds per operation (see run.sh)."""
import os, random, statistics, subprocess, sys, tempfile

kiwi, runs = sys.argv[1], int(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="kiwi-stdlib-bench-")
rng = random.Random(7)
rows = [{"id": i, "name": "user%d" % i, "score": rng.random() * 100, "tags": ["a", "b", "c"][: i % 4],
         "active": i % 2 == 0, "nested": {"x": i, "y": [i, i + 1]}} for i in range(70000)]
with open(os.path.join(work, "data.json"), "w") as f:
    f.write(__import__("json").dumps(rows))
with open(os.path.join(work, "blob.bin"), "wb") as f:
    # Half random, half repetitive: something for gzip to do.
    f.write(rng.randbytes(50_000_000) + (b"kiwi " * 10_000_000))
with open(os.path.join(work, "mixed.bin"), "wb") as f:
    f.write(rng.randbytes(10_000_000) + (b"kiwi " * 2_000_000))
with open(os.path.join(work, "data.csv"), "w", newline="") as f:
    # About 50 MB: plain, quoted (with commas and doubled quotes) and empty fields.
    f.write("id,name,city,amount,note\n")
    for i in range(1_080_000):
        f.write('%d,user%d,"Springfield, %s",%.2f,%s\n' % (i, i, "IL" if i % 2 else "MO", rng.random() * 1000,
                '"said ""hi"""' if i % 5 == 0 else ""))
words = ["Alpha", "beta", "Gamma 2024", "ada@lovelace.com", "x", "Delta 1999", "bob@example.com"]
with open(os.path.join(work, "text.txt"), "w") as f:
    f.write(" ".join(rng.choice(words) for _ in range(2_000_000)))

def run(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({done.returncode}):\n{done.stderr}")
    out = done.stdout
    return {line.split()[0]: float(line.split()[1]) for line in out.splitlines() if line.strip()}

times = {"kiwi": [], "python": []}
for _ in range(runs):
    times["kiwi"].append(run([kiwi, os.path.join(here, "ops.kiwi"), work]))
    times["python"].append(run([sys.executable, os.path.join(here, "ops.py"), work]))
print("| operation | kiwi (ms) | CPython (ms) | kiwi/CPython |")
print("|---|---:|---:|---:|")
for op in times["kiwi"][0]:
    k = statistics.median(r[op] for r in times["kiwi"])
    p = statistics.median(r[op] for r in times["python"])
    print(f"| {op} | {k:.1f} | {p:.1f} | {k / p:.2f} |")
for name in os.listdir(work):
    os.remove(os.path.join(work, name))
os.rmdir(work)
