#!/usr/bin/env bash
# Regenerates the README's screenshots from a real run of `caisson-review demo`
# in tmux, captured with its colours and turned into SVG by docs/ansi2svg.
# Needs tmux. Usage: docs/screenshot.sh   (writes docs/console-120x40.svg and docs/console-80x24.svg)
# The stats view needs a history the demo has not got: it is drawn by the
# console's own golden test (tui.TestGoldenStats, a real Bubble Tea program
# on a store with two weeks of decisions), which writes its coloured frame
# when CAISSON_STATS_SCREENSHOT names a folder: docs/stats-120x40.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "screenshot.sh needs tmux" >&2; exit 1; }

session=${SCREENSHOT_SESSION:-caisson-shot}
bin=$(mktemp -d)/caisson-review
go build -o "$bin" .
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$(dirname "$bin")"' EXIT

shoot() { # cols rows keys... ; writes docs/console-COLSxROWS.svg
  local cols=$1 rows=$2; shift 2
  tmux kill-session -t "$session" 2>/dev/null || true
  tmux new-session -d -s "$session" -x "$cols" -y "$rows" \
    "env TERM=xterm-256color COLORTERM= CAISSON_REVIEWER=alice $bin demo"
  sleep 6 # the demo adds and refreshes its checks with the progress bar in view
  for k in "$@"; do tmux send-keys -t "$session" "$k"; sleep 0.5; done
  sleep 1
  tmux capture-pane -t "$session" -p -e | go run ./docs/ansi2svg -title "caisson-review demo, ${cols}x${rows}" \
    > "docs/console-${cols}x${rows}.svg"
  tmux send-keys -t "$session" q
  echo "wrote docs/console-${cols}x${rows}.svg"
}

shoot 120 40 j j
shoot 80 24 j

shots=$(mktemp -d)
CAISSON_STATS_SCREENSHOT=$shots go test ./tui -count=1 -run 'TestGoldenStats' >/dev/null
go run ./docs/ansi2svg -title "caisson-review stats view, 120x40" < "$shots/stats_120x40_colour.ansi" > docs/stats-120x40.svg
rm -rf "$shots"
echo "wrote docs/stats-120x40.svg"
