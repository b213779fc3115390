//! A cache of decompressed `.json.gz` files in `<profiles dir>/.cache/`.
//!
//! Inflating the ~88 MB of the core definitions is the largest part of
//! loading them; reading the inflated text back is several times cheaper.
//! The cache sits inside the profiles directory (same trust as the packages
//! themselves; a shared temp directory would let another user plant
//! definitions). Entries are named by a hash of the compressed bytes and
//! checked against the gzip trailer's length, written to a temporary name
//! and renamed, so concurrent processes and interrupted writes are safe.
//! Beside each inflated file, an index (`<key>.index.json`) records where
//! each resource starts and ends and its header fields, so a warm start
//! does not scan the JSON at all. Set `FHIRGATE_PACKAGE_CACHE=off` to
//! disable the cache.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};

use crate::header::HeaderFields;

/// Environment variable: `off` disables the cache.
pub const CACHE_ENV: &str = "FHIRGATE_PACKAGE_CACHE";

/// Where each resource of a cached file starts and ends, with its header.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct FileIndex {
    /// Length of the text the ranges index; a mismatch voids the index.
    pub(crate) text_len: usize,
    pub(crate) entries: Vec<IndexEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct IndexEntry {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) entry: Option<usize>,
    pub(crate) header: HeaderFields,
}

#[derive(Debug, Clone)]
pub(crate) struct DecompressCache {
    dir: PathBuf,
}

impl DecompressCache {
    pub(crate) fn for_profiles_dir(profiles_dir: &Path) -> Option<DecompressCache> {
        if std::env::var(CACHE_ENV).is_ok_and(|value| value == "off") {
            return None;
        }
        Some(DecompressCache {
            dir: profiles_dir.join(".cache"),
        })
    }

    /// The inflated content of `gz` (from the cache when it holds it) and
    /// the cache key of this content.
    pub(crate) fn inflate(&self, gz: &[u8]) -> io::Result<(Vec<u8>, u64)> {
        let key = fnv1a(gz);
        let entry = self.dir.join(format!("{key:016x}.json"));
        let expected_len = gzip_trailer_len(gz);
        if let Ok(cached) = fs::read(&entry) {
            if Some(cached.len() as u32) == expected_len {
                return Ok((cached, key));
            }
        }
        let inflated = inflate(gz)?;
        if let Err(error) = self.store(&entry, &inflated) {
            tracing::debug!(%error, entry = %entry.display(), "cannot write the package cache");
        }
        Ok((inflated, key))
    }

    /// The resource index stored for the content with this key, if any.
    pub(crate) fn load_index(&self, key: u64) -> Option<FileIndex> {
        let bytes = fs::read(self.dir.join(format!("{key:016x}.index.json"))).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    pub(crate) fn store_index(&self, key: u64, index: &FileIndex) {
        let entry = self.dir.join(format!("{key:016x}.index.json"));
        let written = serde_json::to_vec(index)
            .map_err(io::Error::other)
            .and_then(|bytes| self.store(&entry, &bytes));
        if let Err(error) = written {
            tracing::debug!(%error, entry = %entry.display(), "cannot write the package index");
        }
    }

    fn store(&self, entry: &Path, bytes: &[u8]) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let temporary = entry.with_extension(format!(
            "tmp-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        fs::write(&temporary, bytes)?;
        fs::rename(&temporary, entry).inspect_err(|_| {
            let _ = fs::remove_file(&temporary);
        })
    }
}

pub(crate) fn inflate(gz: &[u8]) -> io::Result<Vec<u8>> {
    let mut inflated = Vec::with_capacity(gzip_trailer_len(gz).unwrap_or(0) as usize);
    GzDecoder::new(gz).read_to_end(&mut inflated)?;
    Ok(inflated)
}

/// ISIZE: the uncompressed length modulo 2^32, the last 4 bytes of a gzip member.
fn gzip_trailer_len(gz: &[u8]) -> Option<u32> {
    let tail: [u8; 4] = gz.get(gz.len().checked_sub(4)?..)?.try_into().ok()?;
    Some(u32::from_le_bytes(tail))
}

/// 64-bit FNV-1a: a fast, stable content key (not a security boundary: the
/// cache lives in the profiles directory, which is trusted anyway).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(text).expect("gzip");
        encoder.finish().expect("gzip")
    }

    #[test]
    fn cache_round_trip_and_damaged_entries_are_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = DecompressCache {
            dir: dir.path().join(".cache"),
        };
        let gz = gzip(b"{\"resourceType\":\"Patient\"}");
        assert_eq!(
            cache.inflate(&gz).expect("inflate").0,
            b"{\"resourceType\":\"Patient\"}"
        );
        let entries: Vec<_> = fs::read_dir(dir.path().join(".cache"))
            .expect("cache dir")
            .collect();
        assert_eq!(entries.len(), 1);
        let entry = entries[0].as_ref().expect("entry").path();
        // A truncated entry (wrong length) is replaced, not trusted.
        fs::write(&entry, b"{\"resourceT").expect("damage");
        assert_eq!(
            cache.inflate(&gz).expect("inflate").0,
            b"{\"resourceType\":\"Patient\"}"
        );
        assert_eq!(
            fs::read(&entry).expect("rewritten"),
            b"{\"resourceType\":\"Patient\"}"
        );
    }

    #[test]
    fn not_gzip_is_an_error_and_short_input_has_no_trailer() {
        assert!(inflate(b"not gzip at all").is_err());
        assert_eq!(gzip_trailer_len(b"ab"), None);
    }
}
