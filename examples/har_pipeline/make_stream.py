#!/usr/bin/env python3
"""Makes stream.csv, the recorded accelerometer stream of this example, from
har_cnn1d's test windows (shared/models/har_cnn1d/test_x.npy, test_y.npy).

Run once (needs numpy); the CSV is checked in, this script documents how it
was made. Each activity segment is SEGMENT_WINDOWS consecutive test windows
of one class (never reused), laid end to end: 128 samples per window at
50 Hz. Values are the windows' accelerations in g as int16 counts of a
+-8 g sensor (4096 counts per g); the `label` column is the segment's activity.

usage: python3 make_stream.py /path/to/har_cnn1d stream.csv
"""
import sys

import numpy as np

LABELS = ["idle", "walking", "running", "jumping", "stairs_up", "stairs_down"]
SEQUENCE = ["idle", "walking", "running", "jumping", "stairs_up", "stairs_down",
            "walking", "idle", "running", "stairs_down", "jumping", "stairs_up"]
SEGMENT_WINDOWS = 12
COUNTS_PER_G = 4096


def main():
    folder, out = sys.argv[1], sys.argv[2]
    x = np.load(folder + "/test_x.npy")  # [N, 3, 128] float32, g
    y = np.load(folder + "/test_y.npy")  # [N] class index
    next_of_class = {c: list(np.nonzero(y == c)[0]) for c in range(len(LABELS))}
    rows = ["ax,ay,az,label"]
    for name in SEQUENCE:
        c = LABELS.index(name)
        for _ in range(SEGMENT_WINDOWS):
            w = x[next_of_class[c].pop(0)]  # [3, 128]
            counts = np.clip(np.round(w * COUNTS_PER_G), -32768, 32767).astype(np.int64)
            for t in range(w.shape[1]):
                rows.append("%d,%d,%d,%s" % (counts[0, t], counts[1, t], counts[2, t], name))
    with open(out, "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
