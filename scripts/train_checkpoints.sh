#!/usr/bin/env bash
# Remake every shipped checkpoint in assets/checkpoints/. Each line below is the one command that made one file,
# the same command the file records (`python -m gdl checkpoints` prints them; tests/unit/test_shipped_checkpoints.py
# checks that this list, the files and assets/checkpoints/README.md agree). Step budgets and seed 0, on the CPU with
# one thread per run (OMP_NUM_THREADS=1), as the files were made: two runs at a time on a 2-core machine, about an
# hour in all (the digits autoregressive model alone takes about 12 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export OMP_NUM_THREADS=1
COMMANDS=(
  "python -m gdl train --family ae --data digits --steps 6000 --set latent_dim=2"
  "python -m gdl train --family autoregressive --data digits --steps 1500"
  "python -m gdl train --family diffusion --data digits --labels --set num_classes=10 --set cond_drop_prob=0.2 --steps 20000"
  "python -m gdl train --family ebm --data digits --steps 1500"
  "python -m gdl train --family flow --data digits --steps 800 --set bins=8 --set hidden=64"
  "python -m gdl train --family gan --data digits --steps 4000"
  "python -m gdl train --family vae --data digits --steps 6000 --set latent_dim=2"
  "python -m gdl train --family ae --data tins --steps 3000 --set latent_dim=2"
  "python -m gdl train --family vae --data tins --steps 3000 --set latent_dim=2 --set beta=2.0 --set decorrelation=10.0"
  "python -m gdl train --family autoregressive --data world --n 10000 --steps 2500"
  "python -m gdl train --family diffusion --data world --steps 8000"
  "python -m gdl train --family ebm --data world --n 10000 --steps 1500"
  "python -m gdl train --family flow --data world --n 10000 --steps 2500"
  "python -m gdl train --family gan --data world --n 10000 --steps 4000"
  "python -m gdl train --family vae --data world --n 10000 --steps 15000"
)
run() {
  local log="/tmp/gdl-train-$(echo "$1" | tr ' =' '__' | cut -c 22-90).log"
  echo "+ $1"
  # shellcheck disable=SC2086  # each command is split into its words on purpose
  $PY ${1#python } > "$log" 2>&1 || { echo "FAILED: $1"; tail -5 "$log"; return 1; }
}
status=0
for ((i = 0; i < ${#COMMANDS[@]}; i += 2)); do
  run "${COMMANDS[i]}" & first=$!
  if ((i + 1 < ${#COMMANDS[@]})); then run "${COMMANDS[i + 1]}" || status=1; fi
  wait "$first" || status=1
done
exit $status
