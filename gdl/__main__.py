"""The command line.

    python -m gdl train --family diffusion --data world --seconds 120 [--set width=256] [--out PATH]
    python -m gdl bench --data world --n-train 10000 --seconds 60 [--families flow,gmm] [--json out.json]
    python -m gdl checkpoints            # list shipped checkpoints and the command that made each
    python -m gdl loadtest --sessions 30 --url http://127.0.0.1:8501
    python -m gdl speed                  # the World Map page's cold/warm load and control-to-update times
"""
from __future__ import annotations

import argparse
import ast
import json
import shlex
import sys
import time
from pathlib import Path


def _parse_set(pairs: list[str]) -> dict:
    """--set key=value pairs; values are Python literals where they parse (numbers, tuples), else strings."""
    out = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _progress_printer(label: str):
    last = [0.0]

    def callback(p):
        if time.perf_counter() - last[0] > 5 or p.fraction >= 1:
            last[0] = time.perf_counter()
            losses = " ".join(f"{k}={v:.4g}" for k, v in p.losses.items())
            print(f"[{label}] {p.fraction:6.1%} step {p.step} {p.seconds:6.1f}s {losses}", flush=True)

    return callback


def cmd_train(args) -> int:
    from gdl import checkpoints, data, models

    overrides = _parse_set(args.set)
    out = Path(args.out) if args.out else checkpoints.shipped_path(args.family, args.data)
    X, targets = data.load(args.data, n=args.n, seed=args.seed, with_targets=True)
    model = models.create(args.family, **overrides)
    labels = targets if (args.labels and targets is not None) else None
    if args.family in models.CLASSICAL:
        model.fit(X)
        meta_run = {}
    else:
        model.fit(X, y=labels, steps=args.steps, seconds=args.seconds, device=args.device, seed=args.seed,
                  callback=_progress_printer(f"{args.data}-{args.family}"))
        h = model.history_
        print(h.message)
        if not h.ok:
            return 1
        stride = max(1, len(h.history) // 300)  # a light loss curve for the pages
        meta_run = {"steps": h.steps, "seconds": round(h.seconds, 1), "device": h.device,
                    "history": h.history[::stride]}
    command = "python -m gdl " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a)
    checkpoints.save(model, out, meta={"command": command, "data": args.data, **meta_run})
    print(f"saved {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


def cmd_bench(args) -> int:
    from gdl import bench, models

    families = args.families.split(",") if args.families else list(models.NEURAL) + ["gaussian", "gmm", "kde",
                                                                                       "histogram"]
    unknown = [f for f in families if f not in models.FAMILIES]
    if unknown:
        print(f"unknown families: {unknown}; choose from {list(models.FAMILIES)}", file=sys.stderr)
        return 2
    if args.data == "world":
        rows = bench.bench_world(families, n_train=args.n_train, seconds=args.seconds, device=args.device,
                                 seed=args.seed)
    elif args.data == "digits":
        rows = bench.bench_digits(families, seconds=args.seconds, device=args.device, seed=args.seed)
    else:
        print("--data must be world or digits", file=sys.stderr)
        return 2
    print()
    print(bench.table(rows, args.data))
    if args.json:
        Path(args.json).write_text(bench.to_json(rows, args.data, n_train=args.n_train, seconds=args.seconds,
                                                 seed=args.seed))
        print(f"wrote {args.json}")
    return 0


def cmd_checkpoints(args) -> int:
    from gdl import checkpoints

    status = 0
    for family, dataset in checkpoints.shipped():
        path = checkpoints.shipped_path(family, dataset)
        try:
            meta = checkpoints.load(path).checkpoint_meta_
        except checkpoints.CheckpointError as err:
            print(f"{path.name:<28} UNREADABLE: {str(err).splitlines()[0]}")
            status = 1
            continue
        print(f"{path.name:<28} {path.stat().st_size / 1024:7.0f} KiB  {meta.get('command', '?')}")
    return status


def cmd_trainstart(args) -> int:
    from gdl.ui.jobs import time_starts

    print(f"{'run':>3}  {'first step s':>12}  {'model back s':>12}   (training budget {args.seconds:g} s)")
    for i, (first, back) in enumerate(time_starts(args.runs, args.seconds), 1):
        print(f"{i:>3}  {first:>12.2f}  {back:>12.2f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gdl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train one family on one dataset and save a checkpoint")
    p.add_argument("--family", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--n", type=int, default=None, help="training observations (default: the dataset's default)")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seconds", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--labels", action="store_true", help="train class-conditionally on the dataset's labels")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field")
    p.add_argument("--out", default=None, help="default: assets/checkpoints/<data>-<family>.pt")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("bench", help="train every family with the same budget and print one table")
    p.add_argument("--data", default="world", choices=["world", "digits"])
    p.add_argument("--n-train", type=int, default=10_000)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--families", default=None, help="comma-separated (default: the six and the baselines)")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write the results as JSON here")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("checkpoints", help="list the shipped checkpoints and how each was made")
    p.set_defaults(func=cmd_checkpoints)

    p = sub.add_parser("loadtest", help="open N sessions (websocket clients, or Chromium tabs) against a running "
                                        "server and report")
    p.add_argument("--url", default="http://127.0.0.1:8501")
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--pages", default=None, help="comma-separated paths (default: every page)")
    p.add_argument("--train", action="store_true", help="every fifth session presses Retrain on the Compare page")
    p.add_argument("--stagger", type=float, default=0.5, help="seconds between session starts")
    p.add_argument("--client", choices=["ws", "browser"], default="ws",
                   help="ws: Streamlit websocket clients (measures the server; a classroom's browsers run on "
                        "other machines); browser: real Chromium tabs on this machine (they share its cores)")
    p.set_defaults(func=lambda a: __import__("gdl.loadtest", fromlist=["main"]).main(a))

    p = sub.add_parser("speed", help="start a server and time the World Map page in Chromium (cold, warm, controls)")
    p.add_argument("--moves", type=int, default=20, help="how many slider moves and Step clicks to time")
    p.set_defaults(func=lambda a: __import__("gdl.pagespeed", fromlist=["main"]).main(a))

    p = sub.add_parser("trainstart", help="time how long a page's training takes to start and to come back")
    p.add_argument("--runs", type=int, default=4)
    p.add_argument("--seconds", type=float, default=1.0, help="each run's training budget")
    p.set_defaults(func=cmd_trainstart)

    args = parser.parse_args(argv)
    if args.command == "train" and args.steps is None and args.seconds is None:
        args.seconds = 60.0
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
