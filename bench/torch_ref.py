#!/usr/bin/env python3
"""PyTorch peer of facemetric's reference network, for bench/peers/torch.ts (npm run bench).

The network is src/nn EmbeddingNet with its defaults: input 64x64x1, three blocks of
3x3 'same' convolution (with bias) -> ReLU -> 2x2 max-pool with 32, 64 and 128 filters, flatten
(8x8x128 = 8192), dense 128 (with bias), L2-normalised. Training step: batch-hard triplet loss
(Euclidean distances, margin 0.2, summed over the anchors, as facemetric's tripletLoss with
miner 'hard') on a P x K = 16 x 4 batch of 64, backward, Adam lr 1e-3. Inference: the forward
of a batch of 64 under torch.no_grad() in eval mode.

Each thread count given (torch.set_num_threads) is timed in turn; prints ONE JSON line:
  {"torch": "<version>", "mkldnn": true, "threads": {"1": {"train_ips": .., "infer_ips": .., ...}, ...}}

  python3 bench/torch_ref.py [--threads 1,2] [--steps 10] [--quick]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class EmbeddingNet(nn.Module):
    def __init__(self, blocks=(32, 64, 128), dim=128, size=64, channels=1):
        super().__init__()
        layers = []
        c = channels
        for out in blocks:
            layers += [nn.Conv2d(c, out, 3, padding=1, bias=True), nn.ReLU(), nn.MaxPool2d(2)]
            c = out
            size //= 2
        self.features = nn.Sequential(*layers)
        self.embedding = nn.Linear(c * size * size, dim)

    def forward(self, x):
        h = torch.flatten(self.features(x), 1)
        return F.normalize(self.embedding(h), p=2, dim=1, eps=1e-12)


def batch_hard_triplet(e, labels, margin=0.2):
    # Euclidean pairwise distances (clamped before the square root so the gradient stays finite).
    sq = (e * e).sum(1)
    d2 = (sq[:, None] + sq[None, :] - 2.0 * e @ e.t()).clamp_min(1e-12)
    dist = d2.sqrt()
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool)
    pos = same & ~eye
    neg = ~same
    hardest_pos = torch.where(pos, dist, torch.zeros_like(dist)).max(1).values
    hardest_neg = torch.where(neg, dist, torch.full_like(dist, float('inf'))).min(1).values
    return F.relu(hardest_pos - hardest_neg + margin).sum()


def median_seconds(fn, runs, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--quick', action='store_true')
    a = ap.parse_args()
    steps = 3 if a.quick else a.steps
    torch.manual_seed(1)
    P, K, batch = 16, 4, 64
    x = torch.randn(batch, 1, 64, 64)  # NCHW: PyTorch's native layout
    labels = torch.arange(P).repeat_interleave(K)
    out = {'torch': torch.__version__, 'mkldnn': bool(torch.backends.mkldnn.is_available()),
           'batch': batch, 'threads': {}}
    for n in [int(t) for t in a.threads.split(',') if t]:
        torch.set_num_threads(n)
        net = EmbeddingNet()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        net.train()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = batch_hard_triplet(net(x), labels)
            loss.backward()
            opt.step()
            return loss

        train_s = median_seconds(step, steps)
        net.eval()

        def infer():
            with torch.no_grad():
                return net(x)

        infer_s = median_seconds(infer, steps * 2)
        out['threads'][str(n)] = {'train_ips': batch / train_s, 'infer_ips': batch / infer_s,
                                  'train_ms': train_s * 1e3, 'infer_ms': infer_s * 1e3,
                                  'torch_threads': torch.get_num_threads()}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
