#!/usr/bin/env bash
# How long the window takes to close while background jobs run: a scenario of 20 line-search
# runs of 10,000,000 iterations at instant speed, with the basin map on, opens under a
# virtual display; after 3 s of work File > Quit is clicked, and the time until the process
# has exited (state saved) is printed. Needs xvfb and xdotool; run after
# `cargo build --release`:   benches/close_window.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
dir=$(mktemp -d)
optimizer='{"kind":"LineSearch","lr":1.0,"momentum":0.9,"alpha":0.99,"beta1":0.9,"beta2":0.999,"eps":null,"clip":null,"weight_decay":null,"amsgrad":false,"rho":0.9,"momentum_decay":0.004,"schedule":{"kind":"constant","step_size":30,"gamma":null,"t_max":100,"eta_min":0.0,"warmup":0},"noise":null}'
runs=$(for i in $(seq 0 19); do
  printf '{"start":[%s,3.0],"optimizer":%s,"color":%d,"batch":null},' "$(echo "0.2 + 0.2 * $i" | bc | sed "s/^\./0./")" "$optimizer" "$i"
done)
cat > "$dir/heavy.json" <<JSON
{"descent_scenario": 1, "function": "three-wells", "runs": [${runs%,}],
 "iterations": 10000000, "speed": "Instant",
 "display": {"colormap":"Viridis","log_color":false,"show_contours":true,"contour_count":12,"show_quiver":true,"quiver_density":20,"layout":"Both","surface_grid":true,"tangent":true,"slices":false,"critical":true,"z_range":null,"internals":false,"curvature":false,"bottom":"Convergence","basins":true}}
JSON
d=97
Xvfb ":$d" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
trap 'kill $xpid 2>/dev/null; rm -rf "$dir"' EXIT
sleep 1
export DISPLAY=":$d" XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir"
for round in $(seq "$rounds"); do
  target/release/descent --scenario "$dir/heavy.json" >"$dir/log" 2>&1 &
  pid=$!
  sleep 3
  xdotool mousemove 19 12 click 1
  sleep 0.5
  start=$(date +%s.%N)
  xdotool mousemove 40 196 click 1
  while kill -0 "$pid" 2>/dev/null; do sleep 0.005; done
  end=$(date +%s.%N)
  saved=$(find "$dir" -name state.json -newermt "@$start" 2>/dev/null | wc -l)
  printf 'round %d: closed in %.3f s, state saved: %s\n' "$round" "$(echo "$end - $start" | bc)" \
    "$([ "$saved" -gt 0 ] && echo yes || echo no)"
done
