// ONNX Runtime side of benchmarks/latency/latency.py: one session per model
// with one intra-op and one inter-op thread, all graph optimisations on.
// Commands on stdin (same protocol as bench_driver.cpp):
//   load I MODEL.onnx INPUT.raw   create session I, read its float32 input
//   out I                         print the output once
//   time I N                      run N times, print per-call times in ns
// Timing is around `await session.run(feeds)`, so it includes Node's own
// per-call cost; latency.py measures that floor with a one-element Identity
// model and reports it.
const ort = require('onnxruntime-node');
const fs = require('fs');
const readline = require('readline');

const sessions = [];
const feeds = [];

async function handle(line) {
  const f = line.trim().split(/\s+/);
  if (f.length < 2) return;
  const i = parseInt(f[1], 10);
  if (f[0] === 'load') {
    const opts = {intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all'};
    const s = await ort.InferenceSession.create(f[2], opts);
    const raw = fs.readFileSync(f[3]);
    const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const shape = f.slice(4).map((v) => parseInt(v, 10));
    const feed = {};
    feed[s.inputNames[0]] = new ort.Tensor('float32', data, shape);
    sessions[i] = s;
    feeds[i] = feed;
    process.stdout.write('ok\n');
  } else if (f[0] === 'out') {
    const r = await sessions[i].run(feeds[i]);
    const y = r[sessions[i].outputNames[0]].data;
    process.stdout.write(Array.from(y).map((v) => v.toPrecision(9)).join(' ') + '\n');
  } else if (f[0] === 'time') {
    const n = parseInt(f[2], 10);
    const t = new Array(n);
    for (let k = 0; k < n; ++k) {
      const a = process.hrtime.bigint();
      await sessions[i].run(feeds[i]);
      t[k] = Number(process.hrtime.bigint() - a);
    }
    process.stdout.write(t.join(' ') + '\n');
  }
}

const rl = readline.createInterface({input: process.stdin});
let chain = Promise.resolve();
rl.on('line', (line) => {
  chain = chain.then(() => handle(line)).catch((e) => {
    process.stderr.write(String(e) + '\n');
    process.exit(1);
  });
});
