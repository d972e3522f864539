#!/usr/bin/python3
"""Generates the GRU keyword-spotting test model (run once; outputs checked in).

A streaming keyword spotter in the shape of the GRU models of "Hello Edge"
(Zhang et al., 2017): 10 MFCC features per 20 ms frame -> 2-layer GRU with 32
units -> a linear classifier over 12 classes (silence, unknown, 10 words) on
every frame, so a device can run it frame by frame and read a posterior per
frame. The weights are PyTorch's random initialisation with a fixed seed (the
test checks numerical equivalence, not accuracy).

Writes model.onnx (exported by torch.onnx with a dynamic time axis),
input_0.npy (49 frames, 1 s of audio) and output_0.npy (PyTorch's logits).
usage: /usr/bin/python3 tests/rnn/kws_gru/make_model.py
"""
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


class KwsGru(torch.nn.Module):
    def __init__(self, features=10, hidden=32, layers=2, classes=12):
        super().__init__()
        self.gru = torch.nn.GRU(features, hidden, num_layers=layers, batch_first=True)
        self.fc = torch.nn.Linear(hidden, classes)

    def forward(self, mfcc):  # [batch, time, features] -> [batch, time, classes]
        y, _ = self.gru(mfcc)
        return self.fc(y)


def main():
    torch.manual_seed(2024)
    model = KwsGru().eval()
    x = torch.randn(1, 49, 10)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, (x,), os.path.join(HERE, "model.onnx"), input_names=["mfcc"], output_names=["logits"],
                      dynamic_axes={"mfcc": {1: "time"}, "logits": {1: "time"}}, opset_version=14)
    np.save(os.path.join(HERE, "input_0.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(HERE, "output_0.npy"), y.numpy().astype(np.float32))
    print("wrote model.onnx, input_0.npy", tuple(x.shape), "output_0.npy", tuple(y.shape))


if __name__ == "__main__":
    main()
