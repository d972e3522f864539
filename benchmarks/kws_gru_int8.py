#!/usr/bin/python3
"""Float vs int8 on the GRU keyword spotter (tests/rnn/kws_gru): per-frame top-1
agreement and output error over random test sequences, through `emlc run`
(emlc's evaluation = the generated code's kernels).

The model's weights are random (PyTorch init), so there is no labelled accuracy to
measure; the float model is the reference. Calibration and test sequences are
drawn from the input distribution the model was exported with (standard normal)
with different seeds.

usage: /usr/bin/python3 benchmarks/kws_gru_int8.py [EMLC] [SEQUENCES]
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "tests", "rnn", "kws_gru", "model.onnx")


def run(emlc, x_path, out_path, extra):
    subprocess.run([emlc, "run", MODEL, "--input", x_path, "--output", out_path,
                    "--input-shape", "mfcc=1,49,10"] + extra, check=True, stdout=subprocess.DEVNULL)
    return np.load(out_path)


def main():
    emlc = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "bin", "emlc")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    tmp = tempfile.mkdtemp()
    calib = os.path.join(tmp, "calib.npy")
    np.save(calib, np.random.default_rng(1).standard_normal((32, 1, 49, 10)).astype(np.float32))
    quant = ["--quantize", "int8", "--calibration", calib]
    # The int8 output's scale and zero point (emlc run writes int8 outputs as codes).
    out_dir = os.path.join(tmp, "int8")
    subprocess.run([emlc, "compile", MODEL, "-o", out_dir, "--name", "kws", "--input-shape", "mfcc=1,49,10"] + quant,
                   check=True, stdout=subprocess.DEVNULL)
    header = open(os.path.join(out_dir, "kws.h")).read()
    scale = float(re.search(r"OUTPUT0_SCALE\s+\(?([-0-9.e+]+)f?", header).group(1))
    zero = int(re.search(r"OUTPUT0_ZERO_POINT\s+\(?(-?[0-9]+)", header).group(1))
    xs = np.random.default_rng(2).standard_normal((count, 1, 49, 10)).astype(np.float32)
    agree = frames = 0
    err = ref = 0.0
    for i in range(count):
        x = os.path.join(tmp, "x.npy")
        np.save(x, xs[i])
        f = run(emlc, x, os.path.join(tmp, "f.npy"), []).astype(np.float64)
        codes = run(emlc, x, os.path.join(tmp, "q.npy"), quant)
        if codes.dtype != np.int8:
            raise SystemExit(f"expected int8 output codes, got {codes.dtype}")
        q = (codes.astype(np.float64) - zero) * scale
        agree += int((f[0].argmax(-1) == q[0].argmax(-1)).sum())
        frames += f.shape[1]
        err = max(err, float(np.abs(f - q).max()))
        ref = max(ref, float(np.abs(f).max()))
    print("| model | sequences | frames | per-frame top-1 agreement | max abs error / max abs float |")
    print("|---|---|---|---|---|")
    print(f"| kws_gru (2x GRU 32, int16 state) | {count} | {frames} | {agree / frames:.1%} | {err / ref:.3f} |")


if __name__ == "__main__":
    main()
