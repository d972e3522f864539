#!/usr/bin/python3
"""Host latency of emlc's generated float code next to ONNX Runtime.

For every benchmark model (tests/models/*): compile with emlc, build the
generated code with the flags a user would use on this host (default
-O3 -march=native), and time one inference, single thread, many times; time
the same model in ONNX Runtime (npm package onnxruntime-node, one intra-op
and one inter-op thread) the same way, interleaved with emlc in the same run
so both see the same machine load. Prints medians and ratios as a table.

ONNX Runtime is called from Node, so its timings include Node's per-call
cost. That floor is measured in the same rounds with a one-element Identity
model (node_floor.onnx) and reported; the ratio column "emlc / (ORT - floor)"
charges emlc against ONNX Runtime with the whole floor removed (the floor
also contains ONNX Runtime's own minimum per-run cost, so this ratio is the
stricter one).

usage: /usr/bin/python3 benchmarks/latency/latency.py [--cxxflags FLAGS]
         [--rounds 30] [--iters 50] [--models a,b,...] [--optimize speed|size]
         [--ort-dir DIR] [--no-ort] [--work DIR]

Needs a configured build/ (scripts/test.sh), g++, and for the ONNX Runtime
columns node and onnxruntime-node; with no installation in --ort-dir
(default build/ort-bench) it runs
  ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node
there (network needed once).
"""
import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("command failed: %s\n%s%s" % (" ".join(cmd), r.stdout, r.stderr))
    return r.stdout


def read_npy_f32(path):
    """(shape, raw little-endian float32 bytes) of a C-order float32 .npy."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit("%s: not a .npy file" % path)
    major = data[6]
    hlen = struct.unpack("<H", data[8:10])[0] if major == 1 else struct.unpack("<I", data[8:12])[0]
    start = 10 if major == 1 else 12
    header = data[start:start + hlen].decode("latin1")
    if "'<f4'" not in header or "True" in header:
        sys.exit("%s: expected C-order float32" % path)
    shape_txt = header[header.index("(") + 1:header.index(")")]
    shape = [int(s) for s in shape_txt.replace(" ", "").split(",") if s]
    return shape, data[start + hlen:]


class Proc:
    """A line-oriented benchmark process (bench_driver or ort_bench.js)."""

    def __init__(self, cmd, cwd=None, env=None):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=cwd, env=env)

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        out = self.p.stdout.readline()
        if not out:
            sys.exit("benchmark process died on: " + line)
        return out.split()

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def ensure_ort(ort_dir):
    mod = os.path.join(ort_dir, "node_modules", "onnxruntime-node")
    if os.path.isdir(mod):
        return True
    if not shutil.which("node") or not shutil.which("npm"):
        print("note: node/npm not found: no ONNX Runtime columns")
        return False
    os.makedirs(ort_dir, exist_ok=True)
    if not os.path.exists(os.path.join(ort_dir, "package.json")):
        run(["npm", "init", "-y"], cwd=ort_dir)
    env = dict(os.environ, ONNXRUNTIME_NODE_INSTALL="skip")
    print("installing onnxruntime-node into %s ..." % ort_dir, flush=True)
    r = subprocess.run(["npm", "install", "onnxruntime-node"], cwd=ort_dir, env=env, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.isdir(mod):
        print("note: npm install onnxruntime-node failed: no ONNX Runtime columns\n" + r.stderr[-2000:])
        return False
    return True


def median_us(samples_ns):
    return statistics.median(samples_ns) / 1000.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cxxflags", default="-O3 -march=native")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--iters", type=int, default=50, help="calls per model per round")
    ap.add_argument("--models", default="", help="comma-separated names (default: all of tests/models)")
    ap.add_argument("--optimize", default="speed", choices=["speed", "size"])
    ap.add_argument("--ort-dir", default=os.path.join(ROOT, "build", "ort-bench"))
    ap.add_argument("--no-ort", action="store_true")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench-latency"))
    args = ap.parse_args()

    models_dir = os.path.join(ROOT, "tests", "models")
    names = sorted(d for d in os.listdir(models_dir) if os.path.isfile(os.path.join(models_dir, d, "model.onnx")))
    if args.models:
        names = [n for n in args.models.split(",") if n in names]
    run(["cmake", "--build", os.path.join(ROOT, "build"), "--target", "emlc", "-j1"])
    emlc = os.path.join(ROOT, "build", "bin", "emlc")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    cxx = os.environ.get("CXX", "g++")
    flags = args.cxxflags.split() + ["-std=c++17", "-fno-exceptions", "-fno-rtti"]

    # Compile and build every model, and the driver that links them all.
    objs, header, entries, info = [], ["#pragma once", "#include <stddef.h>"], [], {}
    for name in names:
        gen = os.path.join(args.work, name)
        run([emlc, "compile", os.path.join(models_dir, name, "model.onnx"), "-o", gen, "--name", name,
             "--optimize", args.optimize])
        for src in (name, name + "_weights"):
            obj = os.path.join(args.work, src + ".o")
            run([cxx] + flags + ["-I", gen, "-c", os.path.join(gen, src + ".cpp"), "-o", obj])
            objs.append(obj)
        header.append('#include "%s/%s.h"' % (name, name))
        entries.append("  {%s_run_f32, %s_INPUT0_SIZE, %s_OUTPUT0_SIZE}," % (name, name, name))
        shape, raw = read_npy_f32(os.path.join(models_dir, name, "input_0.npy"))
        with open(os.path.join(args.work, name + ".in.raw"), "wb") as f:
            f.write(raw)
        with open(os.path.join(models_dir, name, "info.json")) as f:
            meta = json.load(f)
        info[name] = {"shape": meta["inputs"][0]["shape"], "macs": meta.get("macs", 0)}
    header += ["struct BenchModel {", "  int (*run)(const float* const*, float* const*);",
               "  size_t in_size, out_size;", "};", "static const BenchModel kModels[] = {"] + entries + ["};"]
    with open(os.path.join(args.work, "bench_models.h"), "w") as f:
        f.write("\n".join(header) + "\n")
    driver = os.path.join(args.work, "bench_driver")
    run([cxx] + flags + ["-I", args.work, os.path.join(HERE, "bench_driver.cpp")] + objs + ["-o", driver])

    emlc_p = Proc([driver])
    for i, name in enumerate(names):
        emlc_p.ask("load %d %s" % (i, os.path.join(args.work, name + ".in.raw")))

    ort_p = None
    if not args.no_ort and ensure_ort(args.ort_dir):
        # require() resolves from the script's folder: point NODE_PATH at the install.
        env = dict(os.environ, NODE_PATH=os.path.join(args.ort_dir, "node_modules"))
        ort_p = Proc(["node", os.path.join(HERE, "ort_bench.js")], cwd=args.ort_dir, env=env)
        for i, name in enumerate(names):
            ort_p.ask("load %d %s %s %s" % (i, os.path.join(models_dir, name, "model.onnx"),
                                            os.path.join(args.work, name + ".in.raw"),
                                            " ".join(str(d) for d in info[name]["shape"])))
        floor_raw = os.path.join(args.work, "floor.in.raw")
        with open(floor_raw, "wb") as f:
            f.write(struct.pack("<f", 1.0))
        ort_p.ask("load %d %s %s 1" % (len(names), os.path.join(HERE, "node_floor.onnx"), floor_raw))

    # Same results? (emlc's generated code vs ONNX Runtime on input_0.npy)
    agree = {}
    for i, name in enumerate(names):
        a = [float(v) for v in emlc_p.ask("out %d" % i)]
        if ort_p:
            b = [float(v) for v in ort_p.ask("out %d" % i)]
            scale = max(1e-30, max(abs(v) for v in b))
            agree[name] = max(abs(x - y) for x, y in zip(a, b)) / scale

    # Interleaved rounds: each round times every model in emlc, then in ONNX
    # Runtime, then the Node floor.
    samples = {n: {"emlc": [], "ort": []} for n in names}
    floor = []
    for _ in range(args.rounds):
        for i, name in enumerate(names):
            samples[name]["emlc"] += [int(v) for v in emlc_p.ask("time %d %d" % (i, args.iters))]
            if ort_p:
                samples[name]["ort"] += [int(v) for v in ort_p.ask("time %d %d" % (i, args.iters))]
        if ort_p:
            floor += [int(v) for v in ort_p.ask("time %d %d" % (len(names), args.iters))]
    emlc_p.close()
    if ort_p:
        ort_p.close()

    print("host latency, median of %d calls per model (%d interleaved rounds x %d), single thread" %
          (args.rounds * args.iters, args.rounds, args.iters))
    print("emlc: %s, --optimize %s, generated code built with: %s %s" %
          (run([emlc, "--version"]).strip(), args.optimize, cxx, " ".join(flags)))
    if ort_p:
        print("ONNX Runtime: onnxruntime-node (1 intra-op, 1 inter-op thread), Node per-call floor "
              "(one-element Identity) %.1f us" % median_us(floor))
    print()
    hdr = "| model | MACs | emlc us | GMAC/s |"
    sep = "|---|---:|---:|---:|"
    if ort_p:
        hdr += " ORT us | ORT - floor us | emlc / ORT | emlc / (ORT - floor) | max diff |"
        sep += "---:|---:|---:|---:|---:|"
    print(hdr)
    print(sep)
    fl = median_us(floor) if ort_p else 0.0
    ratios = {}
    for name in names:
        e = median_us(samples[name]["emlc"])
        macs = info[name]["macs"]
        row = "| %s | %d | %.1f | %.1f |" % (name, macs, e, macs / e / 1000.0 if e > 0 else 0.0)
        if ort_p:
            o = median_us(samples[name]["ort"])
            net = o - fl
            row += " %.1f | %.1f | %.2f | %s | %.1e |" % (o, net, e / o, "%.2f" % (e / net) if net > 0 else "n/a",
                                                           agree[name])
            ratios[name] = e / net if net > 0 else float("inf")
        print(row)
    if ort_p:
        print()
        worst = max(ratios, key=ratios.get)
        print("largest emlc / (ORT - floor): %.2f (%s)%s" % (ratios[worst], worst,
                                                           "" if ratios[worst] <= 2.0 else "  -- above 2x"))
        faster = [n for n in ("digits_cnn", "har_cnn1d", "ad_autoencoder") if n in ratios]
        if faster:
            print("faster than ONNX Runtime (ratio < 1): " +
                  ", ".join("%s %s" % (n, "yes" if ratios[n] < 1.0 else "NO") for n in faster))
        print("max diff: largest |emlc - ORT| over the output, relative to the output's largest value")


if __name__ == "__main__":
    main()
