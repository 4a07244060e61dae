#!/bin/bash
# Job I of J of one production (examples/htcondor/array.sub): CARD OUT J I 'ARGS'.
set -euo pipefail
card="$1" out="$2" jobs="$3" job="$4" args="$5"
range="$(nusource plan "$card" $args --jobs "$jobs" --json \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["ranges"][int(sys.argv[1])])' "$job")"
exec nusource simulate "$card" -o "$out" $args --chunks "$range"
