#!/usr/bin/env python3
"""Dev-only memory benchmark (docs/benchmarks/fhir-validate.md): start
`fhirgate serve` on a fresh SQLite file, POST every example of EXAMPLES_DIR to
/fhir/$validate PASSES times, and print after each pass the wall time, the
server's CPU seconds (user+sys from /proc/PID/stat) and its VmHWM/VmRSS.
usage: serve_mem.py FHIRGATE_BIN PASSES [EXAMPLES_DIR]
(FHIRGATE_PROFILES defaults to ./fhir-profiles)"""
import os, sys, time, subprocess, tempfile, urllib.request, urllib.error, glob
bin_, passes = sys.argv[1], int(sys.argv[2])
port = 18000 + os.getpid() % 1000
d = tempfile.mkdtemp()
env = dict(os.environ, FHIRGATE_DATABASE_URL=f"sqlite://{d}/f.db", FHIRGATE_HTTP_ADDR=f"127.0.0.1:{port}",
           FHIRGATE_MLLP_ADDR="127.0.0.1:0")
env.setdefault("FHIRGATE_PROFILES", os.path.abspath("fhir-profiles"))
p = subprocess.Popen([bin_, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=open(f"{d}/log", "w"))
def rss():
    for line in open(f"/proc/{p.pid}/status"):
        if line.startswith(("VmRSS", "VmHWM")): yield line.split()[1]
def cpu():
    f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
url = f"http://127.0.0.1:{port}/fhir/$validate"
t0 = time.time()
while True:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/fhir/metadata", timeout=1); break
    except Exception:
        if p.poll() is not None: print(open(f"{d}/log").read()); sys.exit(1)
        time.sleep(0.1)
print(f"ready after {time.time()-t0:.2f}s cpu {cpu():.2f}s rss/hwm kB {list(rss())}", flush=True)
examples = sys.argv[3] if len(sys.argv) > 3 else "../shared/data/fhir-examples"
files = sorted(glob.glob(os.path.join(examples, "*.json")))
assert files, f"no examples in {examples}"
bodies = [open(f, "rb").read() for f in files]
for n in range(passes):
    t, c = time.time(), cpu(); codes = {}
    for b in bodies:
        req = urllib.request.Request(url, data=b, headers={"Content-Type": "application/fhir+json"})
        try:
            with urllib.request.urlopen(req, timeout=600) as r: r.read(); codes[r.status] = codes.get(r.status, 0) + 1
        except urllib.error.HTTPError as e:
            e.read(); codes[e.code] = codes.get(e.code, 0) + 1
    print(f"pass {n+1}: {time.time()-t:.2f}s wall, {cpu()-c:.2f}s cpu, rss/hwm kB {list(rss())} codes {codes}", flush=True)
p.terminate(); p.wait()
