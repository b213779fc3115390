#!/bin/sh
# Fuzzes parse + evaluate for SECONDS seconds (default 60).
# Needs a nightly toolchain and cargo-fuzz: cargo install cargo-fuzz
set -eu
SECONDS_TO_RUN="${1:-60}"
cd "$(dirname "$0")"
mkdir -p corpus/parse_eval
printf 'Patient.name.given.first()' > corpus/parse_eval/seed1
printf "(1 | 2).where(\$this > 1).select(\$this * 2)" > corpus/parse_eval/seed2
printf "@2014-01-05T10:30:00Z + 3 days < now()\n{}" > corpus/parse_eval/seed3
exec cargo +nightly fuzz run parse_eval corpus/parse_eval -- -max_total_time="$SECONDS_TO_RUN" -max_len=512
