#!/bin/sh
# Runs one fuzz harness on its seed corpus and regressions, keeping what it finds in build/fuzz/corpus-<name>.
# Usage (from native/): fuzz/run.sh fuzz_ctl|fuzz_seed [libFuzzer options, e.g. -max_total_time=600 or -runs=1000000]
# Limits: 5 s per input is a hang, 256 MB in one allocation or 1 GB RSS is unbounded allocation; a crash input is
# written to build/fuzz/<name>-crash-*: copy it to fuzz/regressions/<name>/ once fixed.
set -eu
name="$1"; shift
case "$name" in fuzz_seed) max_len=16384 ;; *) max_len=8192 ;; esac # /proc files are up to 4 KiB
mkdir -p "build/fuzz/corpus-$name"
exec "build/fuzz/$name" -max_len=$max_len -timeout=5 -rss_limit_mb=1024 -malloc_limit_mb=256 -print_final_stats=1 \
  -artifact_prefix="build/fuzz/$name-" "$@" "build/fuzz/corpus-$name" "fuzz/corpus/$name" "fuzz/regressions/$name"
