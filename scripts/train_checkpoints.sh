#!/usr/bin/env bash
# Reproduce the shipped checkpoints of the six families on `world` and `digits` (assets/checkpoints/).
# Each line is the one command that makes one file; it is also recorded inside the checkpoint
# (python -m gdl checkpoints lists them). Two run at a time on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SECONDS_WORLD=${SECONDS_WORLD:-150}
SECONDS_DIGITS=${SECONDS_DIGITS:-120}
run() { echo "+ python -m gdl $*"; $PY -m gdl "$@" > "/tmp/gdl-train-$2-$4.log" 2>&1 || { tail -5 "/tmp/gdl-train-$2-$4.log"; exit 1; }; }
for family in autoregressive flow vae gan ebm; do
  run train --family "$family" --data world --n 10000 --seconds "$SECONDS_WORLD" &
  run train --family "$family" --data digits --seconds "$SECONDS_DIGITS" &
  wait
done
# diffusion (world, and class-conditional digits), and the tins/digits VAE and AE, are made by the commands in
# assets/checkpoints/README.md.
