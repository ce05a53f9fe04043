"""PyTorch CPU reference for rnnkit's benchmark workloads (same shapes as workloads.json).

Run by `npm run bench` (packages/bench) in the same session as the rnnkit measurements, one process
per workload so each line's peak RSS is its own. `--serve` builds the workload once and then answers one
JSON request per stdin line ({"op": "round", "warmup": w, "steps": n} -> the wall and CPU ms of each timed
training and inference step; {"op": "gemm"} -> best GFLOP/s of a square float32 matmul; {"op": "rss"}), so that
the Node side can alternate rounds of rnnkit and PyTorch. `--sampling` prints char-sampling speed of a
textgen-shaped model and `--replies` the beam-search reply latency of a seq2seq-shaped model.
Uses nn.LSTM/nn.GRU (PyTorch's fused CPU kernels; packed sequences for masked workloads), Adam.
"""
import argparse
import json
import re
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def median_ms(fn, warmup, steps):
    """Median wall and process-CPU (all threads) milliseconds per call after warm-up."""
    wall, cpu = timed_ms(fn, warmup, steps)
    return statistics.median(wall), statistics.median(cpu)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


RNN = {"lstm": nn.LSTM, "gru": nn.GRU}


class SequenceModel(nn.Module):
    """Embedding or float features -> stacked LSTM/GRU -> linear head (per step or from the last state)."""

    def __init__(self, w, lengths=None):
        super().__init__()
        self.many_to_many = "many-to-many" in w.get("task", "")
        self.embedding = nn.Embedding(w["vocab"], w["embed"]) if "vocab" in w else None
        in_dim = w["embed"] if self.embedding is not None else w["features"]
        self.bidirectional = bool(w.get("bidirectional", False))
        self.rnn = RNN[w["cell"]](in_dim, w["units"], num_layers=w.get("layers", 1), batch_first=True,
                                  bidirectional=self.bidirectional)
        self.lengths = torch.tensor(lengths) if lengths is not None else None
        out = w["vocab"] if self.many_to_many else w.get("classes", 1)
        self.head = nn.Linear(w["units"] * (2 if self.bidirectional else 1), out)

    def forward(self, x):
        if self.embedding is not None:
            x = self.embedding(x)
        if self.lengths is not None:
            # Packed: each sequence runs only its real steps; h_n holds each direction's state at its own end.
            packed = nn.utils.rnn.pack_padded_sequence(x, self.lengths, batch_first=True, enforce_sorted=False)
            seq, state = self.rnn(packed)
            if self.many_to_many:
                seq, _ = nn.utils.rnn.pad_packed_sequence(seq, batch_first=True, total_length=x.shape[1])
                return self.head(seq)
            h = state[0] if isinstance(state, tuple) else state
            last = torch.cat([h[-2], h[-1]], dim=-1) if self.bidirectional else h[-1]
            return self.head(last)
        seq, _ = self.rnn(x)
        if self.many_to_many:
            return self.head(seq)
        if self.bidirectional:
            # As Keras/rnnkit: the forward direction's last output next to the backward direction's final state.
            half = seq.shape[-1] // 2
            return self.head(torch.cat([seq[:, -1, :half], seq[:, 0, half:]], dim=-1))
        return self.head(seq[:, -1])


class Seq2Seq(nn.Module):
    """Bi-GRU encoder, GRU decoder, additive (Bahdanau) attention, Luong-style attentional output."""

    def __init__(self, vocab, embed, enc_units, dec_units, cell):
        super().__init__()
        self.src_embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.tgt_embedding = nn.Embedding(vocab, embed, padding_idx=0)
        self.encoder = RNN[cell](embed, enc_units, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * enc_units, dec_units)
        self.decoder = RNN[cell](embed, dec_units, batch_first=True)
        self.w_query = nn.Linear(dec_units, dec_units, bias=False)
        self.w_keys = nn.Linear(2 * enc_units, dec_units)
        self.v = nn.Linear(dec_units, 1, bias=False)
        self.attentional = nn.Linear(2 * enc_units + dec_units, dec_units)
        self.out = nn.Linear(dec_units, vocab)
        self.cell = cell

    def forward(self, src, tgt_in):
        enc, state = self.encoder(self.src_embedding(src))
        h = state[0] if self.cell == "lstm" else state
        h0 = torch.tanh(self.bridge(torch.cat([h[0], h[1]], dim=-1))).unsqueeze(0)
        init = (h0, torch.zeros_like(h0)) if self.cell == "lstm" else h0
        dec, _ = self.decoder(self.tgt_embedding(tgt_in), init)
        scores = self.v(torch.tanh(self.w_query(dec).unsqueeze(2) + self.w_keys(enc).unsqueeze(1))).squeeze(-1)
        scores = scores.masked_fill((src == 0).unsqueeze(1), float("-inf"))
        context = torch.bmm(torch.softmax(scores, dim=-1), enc)
        return self.out(torch.tanh(self.attentional(torch.cat([context, dec], dim=-1))))


def units_of(text):
    return int(re.search(r"(\d+)\s*units", text).group(1))


def build(name, w, lengths=None):
    g = torch.Generator().manual_seed(1234)
    if "src_timesteps" in w:
        cell = "lstm" if "lstm" in w["encoder"].lower() else "gru"
        model = Seq2Seq(w["vocab"], w["embed"], units_of(w["encoder"]), units_of(w["decoder"]), cell)
        b, s, t = w["batch"], w["src_timesteps"], w["tgt_timesteps"]
        src = torch.randint(4, w["vocab"], (b, s), generator=g)
        tgt_in = torch.randint(4, w["vocab"], (b, t), generator=g)
        tgt_out = torch.randint(4, w["vocab"], (b, t), generator=g)
        inputs = (src, tgt_in)
        loss = lambda out: F.cross_entropy(out.reshape(-1, out.shape[-1]), tgt_out.reshape(-1))
        return model, inputs, loss
    model = SequenceModel(w, lengths)
    b, t = w["batch"], w["timesteps"]
    if "vocab" in w:
        x = torch.randint(0, w["vocab"], (b, t), generator=g)
    else:
        x = torch.randn(b, t, w["features"], generator=g)
        if lengths is not None:
            x = x * (torch.arange(t).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)).unsqueeze(2).float()
    if model.many_to_many:
        y = torch.randint(0, w["vocab"], (b, t), generator=g)
        loss = lambda out: F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
    elif "classes" in w:
        y = torch.randint(0, w["classes"], (b,), generator=g)
        loss = lambda out: F.cross_entropy(out, y)
    else:
        y = torch.randn(b, 1, generator=g)
        loss = lambda out: F.mse_loss(out, y)
    return model, (x,), loss


def step_functions(name, w, lengths=None):
    """The workload's model, one Adam training step on its batch, and one inference pass."""
    model, inputs, loss_fn = build(name, w, lengths)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        optimizer.zero_grad()
        loss = loss_fn(model(*inputs))
        loss.backward()
        optimizer.step()
        loss.item()

    def infer():
        with torch.no_grad():
            model(*inputs)

    return model, train_step, infer


def bench_workload(name, w, warmup, steps):
    model, train_step, infer = step_functions(name, w)

    model.train()
    train_ms, train_cpu_ms = median_ms(train_step, warmup, steps)
    model.eval()
    infer_ms, _ = median_ms(infer, warmup, steps)
    # "native" is rnnkit's addon flag and does not apply to PyTorch.
    return {"workload": name, "backend": "pytorch-cpu", "native": None, "train_ms": round(train_ms, 1),
            "infer_ms": round(infer_ms, 1), "train_cpu_ms": round(train_cpu_ms, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1), "threads": torch.get_num_threads()}


def profile_workload(name, w, lengths, warmup, steps, top):
    """Where a training step's time goes: the median wall ms of `steps` plain steps, then the same number of steps
    under torch.profiler, each op's self CPU time per step (what `npm run profile` prints next to rnnkit's kernels)."""
    from torch.profiler import ProfilerActivity, profile

    _, train_step, _ = step_functions(name, w, lengths)
    wall, _ = timed_ms(train_step, warmup, steps)
    # One profiler per step; per op, the median over steps of that step's calls and self time (as rnnkit's side).
    per_step, profiled = [], []
    for _ in range(steps):
        start = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train_step()
        profiled.append((time.perf_counter() - start) * 1000)
        per_step.append({e.key: (e.count, e.self_cpu_time_total / 1000) for e in prof.key_averages()})
    names = set().union(*per_step)
    ops = [
        {
            "name": n,
            "calls_per_step": statistics.median(s.get(n, (0, 0))[0] for s in per_step),
            "ms_per_step": statistics.median(s.get(n, (0, 0))[1] for s in per_step),
        }
        for n in names
    ]
    ops.sort(key=lambda op: (-op["ms_per_step"], op["name"]))
    return {
        "workload": name,
        "backend": "pytorch-cpu",
        "threads": torch.get_num_threads(),
        "step_ms": statistics.median(wall),
        "profiled_ms": statistics.median(profiled),
        "op_ms": sum(op["ms_per_step"] for op in ops),
        "op_calls": sum(op["calls_per_step"] for op in ops),
        "ops": ops[:top],
    }


def timed_ms(fn, warmup, steps):
    """Wall and process-CPU (all threads) milliseconds of each timed call after warm-up."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(steps):
        cpu_start = time.process_time()
        start = time.perf_counter()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
    return wall, cpu


def gemm_peak_gflops(n=1024, repeats=10):
    """Best of a few n x n x n float32 matmuls: the machine's GEMM peak as PyTorch's BLAS reaches it."""
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def serve(name, w, lengths):
    """Builds the workload once, then answers one JSON request per stdin line (see the module docstring)."""
    model, train_step, infer = step_functions(name, w, lengths)

    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        op = request.get("op")
        if op == "round":
            model.train()
            train_wall, train_cpu = timed_ms(train_step, request["warmup"], request["steps"])
            model.eval()
            infer_wall, infer_cpu = timed_ms(infer, min(request["warmup"], 1), request["steps"])
            reply = {"train_ms": train_wall, "train_cpu_ms": train_cpu, "infer_ms": infer_wall, "infer_cpu_ms": infer_cpu}
        elif op == "gemm":
            reply = {"gflops": gemm_peak_gflops()}
        elif op == "rss":
            reply = {"peak_rss_mb": peak_rss_mb()}
        else:
            reply = {"error": f"unknown op {op!r}"}
        print(json.dumps(reply), flush=True)


def bench_sampling(w, chars):
    """Char-by-char sampling with carried state, one token per forward call (like the Node benchmark)."""
    torch.manual_seed(1234)
    embedding = nn.Embedding(w["vocab"], w["embed"])
    rnn = RNN[w["cell"]](w["embed"], w["units"], batch_first=True)
    head = nn.Linear(w["units"], w["vocab"])
    with torch.no_grad():
        def run(n):
            token = torch.ones(1, 1, dtype=torch.long)
            state = None
            for _ in range(n):
                out, state = rnn(embedding(token), state)
                probs = torch.softmax(head(out[:, -1]), dim=-1)
                token = torch.multinomial(probs, 1)
        run(chars)  # warm-up, then the median of three runs, as the Node benchmark does
        samples = []
        for _ in range(3):
            start = time.perf_counter()
            run(chars)
            samples.append(time.perf_counter() - start)
        seconds = statistics.median(samples)
    return {"metric": "char-sampling", "workload": w["name"], "backend": "pytorch-cpu", "native": None,
            "chars_per_s": round(chars / seconds, 1), "threads": torch.get_num_threads()}


def bench_reply(w, replies):
    """Beam-4 reply of 12 tokens, EOS forbidden (like the Node benchmark's minLen = maxLen): the encoder runs once,
    then one decoder step (GRU cell, additive attention, attentional layer, log-softmax over the vocabulary) per
    token for all live beams at once, keeping the 4 best continuations."""
    model, _, _ = build(w["name"], w)
    model.eval()
    vocab, beam, length, bos, eos = w["vocab"], 4, 12, 2, 3
    src = torch.tensor([[4 + (i * 37) % (vocab - 4) for i in range(w["src_timesteps"])]])

    def reply():
        with torch.no_grad():
            enc, state = model.encoder(model.src_embedding(src))
            h = state[0] if model.cell == "lstm" else state
            hidden = torch.tanh(model.bridge(torch.cat([h[0], h[1]], dim=-1))).unsqueeze(0)
            if model.cell == "lstm":
                hidden = (hidden, torch.zeros_like(hidden))
            keys = model.w_keys(enc)
            tokens = torch.tensor([[bos]])
            scores = torch.zeros(1)
            for _ in range(length):
                n = tokens.shape[0]
                dec, hidden = model.decoder(model.tgt_embedding(tokens[:, -1:]), hidden)
                s = model.v(torch.tanh(model.w_query(dec).unsqueeze(2) + keys.unsqueeze(1))).squeeze(-1)
                context = torch.bmm(torch.softmax(s, dim=-1), enc.expand(n, -1, -1))
                logits = model.out(torch.tanh(model.attentional(torch.cat([context, dec], dim=-1)))).squeeze(1)
                log_probs = torch.log_softmax(logits, dim=-1)
                log_probs[:, eos] = float("-inf")
                top, index = (scores.unsqueeze(1) + log_probs).view(-1).topk(beam)
                parents = torch.div(index, vocab, rounding_mode="floor")
                tokens = torch.cat([tokens[parents], (index % vocab).unsqueeze(1)], dim=1)
                scores = top
                hidden = tuple(x[:, parents] for x in hidden) if model.cell == "lstm" else hidden[:, parents]
        return tokens

    for _ in range(replies):  # untimed first, as many as are timed (as the Node benchmark does)
        reply()
    samples = []
    for _ in range(replies):
        start = time.perf_counter()
        reply()
        samples.append((time.perf_counter() - start) * 1000)
    return {"metric": "seq2seq-reply", "workload": w["name"], "backend": "pytorch-cpu", "native": None, "beam": beam,
            "tokens": length, "reply_ms": round(statistics.median(samples), 1), "threads": torch.get_num_threads()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workloads", required=True, help="path of workloads.json")
    parser.add_argument("--select", required=True, help="workload name")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--sampling", type=int, default=0, help="also measure char sampling for this many chars")
    parser.add_argument("--replies", type=int, default=0, help="also measure seq2seq reply latency over this many replies")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--serve", action="store_true", help="answer measurement requests on stdin (alternating rounds)")
    parser.add_argument("--lengths", default="", help="comma-separated sequence lengths of a masked workload")
    parser.add_argument("--profile", type=int, default=0, help="print the ops of this many training steps (torch.profiler)")
    parser.add_argument("--top", type=int, default=12, help="with --profile: how many ops to list")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with open(args.workloads) as f:
        workloads = json.load(f)["workloads"]
    w = workloads[args.select]
    lengths = [int(n) for n in args.lengths.split(",")] if args.lengths else None
    if args.profile > 0:
        print(json.dumps(profile_workload(args.select, w, lengths, args.warmup, args.profile, args.top)), flush=True)
    elif args.serve:
        serve(args.select, w, lengths)
    elif args.sampling > 0:
        print(json.dumps(bench_sampling({**w, "name": args.select}, args.sampling)), flush=True)
    elif args.replies > 0:
        print(json.dumps(bench_reply({**w, "name": args.select}, args.replies)), flush=True)
    else:
        print(json.dumps(bench_workload(args.select, w, args.warmup, args.steps)), flush=True)


if __name__ == "__main__":
    main()
