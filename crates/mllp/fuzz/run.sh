#!/usr/bin/env bash
# Runs the MLLP decoder fuzz target for SECONDS (default 60). Needs cargo-fuzz
# (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets a stable toolchain build the
# sanitizer flags cargo-fuzz uses. Exits non-zero when the fuzzer finds a crash.
set -euo pipefail
seconds="${1:-60}"
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/decode
# A few well-formed and malformed seeds so the fuzzer starts near the interesting states.
printf '\x10\x03\x0bMSH|^~\\&|A\r\x1c\x0d' > fuzz/corpus/decode/one-frame
printf '\x04\x01junk\x0babcdefgh\x1c\x0d\x0bok\x1c\x0d' > fuzz/corpus/decode/too-large
printf '\x40\x02\x0bbad\x1cX\x0bgood\x1c\x0d\x0bcut' > fuzz/corpus/decode/bad-end
# FUZZ_TARGET_DIR lets several fuzz crates share one build of libFuzzer and common crates.
target_dir=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  target_dir=(--target-dir "$FUZZ_TARGET_DIR")
fi
RUSTC_BOOTSTRAP=1 cargo fuzz run "${target_dir[@]}" decode fuzz/corpus/decode -- -max_total_time="$seconds"
