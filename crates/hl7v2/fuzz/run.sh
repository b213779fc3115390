#!/usr/bin/env bash
# Runs the parser fuzz target for SECONDS (default 60). Needs cargo-fuzz
# (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets the stable toolchain build it.
# The seed corpus is written from small hand-made messages on each run.
set -euo pipefail
seconds="${1:-60}"
cd "$(dirname "$0")"
mkdir -p corpus/parse
printf 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||8859/1\rPID|1||1^^^H&X~2||DOE^J\\F\\\\X0D0A\\|\r' > corpus/parse/seed-adt
printf 'FHS|^~\\&\nBHS|^~\\&\nMSH$%%*@!$A\nOBX$1$$a%%b!c\nBTS|1\nFTS|1\n' > corpus/parse/seed-batch
printf '\xef\xbb\xbfMSH|^~\\&#|A\r\nNTE|1||\\H\\x\\N\\\\.br\\\\C2842\\#\r\n' > corpus/parse/seed-escapes
# FUZZ_TARGET_DIR lets several fuzz crates share one build of libFuzzer and common crates.
target_dir=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  target_dir=(--target-dir "$FUZZ_TARGET_DIR")
fi
RUSTC_BOOTSTRAP=1 cargo fuzz run "${target_dir[@]}" parse corpus/parse -- -max_total_time="$seconds"
