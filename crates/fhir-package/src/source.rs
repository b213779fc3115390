//! Finds the package files in a profiles directory and turns each into raw
//! resources: npm folders (`package/package.json`), `.tgz` npm archives, and
//! loose `.json` / `.json.gz` files holding a resource or a Bundle of them.

use std::fs;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::read::GzDecoder;
use serde::Deserialize;

use crate::bundle::{entry_location, file_text, split_resources, split_text};
use crate::cache::{inflate, DecompressCache, FileIndex, IndexEntry};
use crate::error::PackageError;
use crate::header::HeaderFields;

/// The folder name of the vendored core package, loaded before anything else
/// so that an IG never shadows a core definition of the same version.
pub(crate) const CORE_FOLDER: &str = "hl7.fhir.r4.core";

/// One piece of loading work; units run in parallel, results merge in order.
#[derive(Debug, Clone)]
pub(crate) enum Unit {
    /// A `.json` or `.json.gz` file; `source` names its package or folder.
    File { path: PathBuf, source: String },
    /// An npm package archive.
    Tgz { path: PathBuf },
}

impl Unit {
    fn size(&self) -> u64 {
        let path = match self {
            Unit::File { path, .. } | Unit::Tgz { path } => path,
        };
        fs::metadata(path).map(|meta| meta.len()).unwrap_or(0)
    }

    pub(crate) fn size_hint(&self) -> u64 {
        self.size()
    }
}

/// A resource as found in a file, not yet indexed: a range of the file's text.
#[derive(Debug)]
pub(crate) struct RawResource {
    pub(crate) file_text: Arc<str>,
    pub(crate) range: Range<usize>,
    pub(crate) source: String,
    /// Where it came from, for error messages: file path, `#entry[n]`.
    pub(crate) location: String,
    /// Position in its Bundle, if it came from one.
    pub(crate) entry: Option<usize>,
    pub(crate) header: HeaderFields,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, PackageError> {
    let mut paths = fs::read_dir(dir)
        .map_err(io_error(dir))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_error(dir))?;
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("")
}

/// True for files that hold JSON but no FHIR resources.
fn is_ignored_json(name: &str) -> bool {
    name.starts_with('.')
        || name == "package.json"
        || name.starts_with("fhir.schema.json")
        || name.ends_with(".schema.json")
}

fn is_json_file(name: &str) -> bool {
    (name.ends_with(".json") || name.ends_with(".json.gz")) && !is_ignored_json(name)
}

/// Lists the loading units of a profiles directory in load order: the core
/// folder first, then every other entry sorted by name.
pub(crate) fn discover(dir: &Path) -> Result<Vec<Unit>, PackageError> {
    let mut entries = sorted_entries(dir)?;
    entries.sort_by_key(|path| file_name(path) != CORE_FOLDER);
    let mut units = Vec::new();
    for path in entries {
        let name = file_name(&path);
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            units.extend(discover_folder(&path)?);
        } else if name.ends_with(".tgz") {
            units.push(Unit::Tgz { path });
        } else if is_json_file(name) {
            let source = path.display().to_string();
            units.push(Unit::File { path, source });
        }
    }
    Ok(units)
}

#[derive(Deserialize)]
struct PackageManifest {
    name: Option<String>,
    version: Option<String>,
}

fn package_label(manifest_text: &str, location: &str) -> Result<String, PackageError> {
    let manifest: PackageManifest =
        serde_json::from_str(manifest_text).map_err(|source| PackageError::Json {
            path: location.to_string(),
            source,
        })?;
    Ok(format!(
        "{}#{}",
        manifest.name.as_deref().unwrap_or("unnamed"),
        manifest.version.as_deref().unwrap_or("unversioned")
    ))
}

/// An npm package folder (`package/package.json` or `package.json`), or a
/// plain folder of definition files like the vendored core.
pub(crate) fn discover_folder(dir: &Path) -> Result<Vec<Unit>, PackageError> {
    let content_dir = if dir.join("package").join("package.json").is_file() {
        dir.join("package")
    } else {
        dir.to_path_buf()
    };
    let manifest_path = content_dir.join("package.json");
    let source = if manifest_path.is_file() {
        let text = fs::read_to_string(&manifest_path).map_err(io_error(&manifest_path))?;
        package_label(&text, &manifest_path.display().to_string())?
    } else {
        file_name(dir).to_string()
    };
    let mut units = Vec::new();
    for path in sorted_entries(&content_dir)? {
        if path.is_file() && is_json_file(file_name(&path)) {
            units.push(Unit::File {
                path,
                source: source.clone(),
            });
        }
    }
    Ok(units)
}

/// Reads one unit into raw resources.
pub(crate) fn load_unit(
    unit: &Unit,
    cache: Option<&DecompressCache>,
) -> Result<Vec<RawResource>, PackageError> {
    let (path, source) = match unit {
        Unit::File { path, source } => (path, source),
        Unit::Tgz { path } => return load_tgz(path),
    };
    let location = path.display().to_string();
    let (Some(cache), true) = (cache, file_name(path).ends_with(".gz")) else {
        return split_resources(read_file(path)?, source, &location);
    };
    let compressed = fs::read(path).map_err(io_error(path))?;
    let (bytes, key) = cache.inflate(&compressed).map_err(io_error(path))?;
    let file_text = file_text(bytes, &location)?;
    if let Some(index) = cache.load_index(key) {
        if let Some(resources) = from_index(&file_text, index, source, &location) {
            return Ok(resources);
        }
    }
    let text_len = file_text.len();
    let resources = split_text(file_text, source, &location)?;
    cache.store_index(key, &index_of(text_len, &resources));
    Ok(resources)
}

fn read_file(path: &Path) -> Result<Vec<u8>, PackageError> {
    let bytes = fs::read(path).map_err(io_error(path))?;
    if !file_name(path).ends_with(".gz") {
        return Ok(bytes);
    }
    inflate(&bytes).map_err(io_error(path))
}

fn index_of(text_len: usize, resources: &[RawResource]) -> FileIndex {
    FileIndex {
        text_len,
        entries: resources
            .iter()
            .map(|resource| IndexEntry {
                start: resource.range.start,
                end: resource.range.end,
                entry: resource.entry,
                header: resource.header.clone(),
            })
            .collect(),
    }
}

/// Rebuilds the resources of a file from its cached index; None when the
/// index does not fit the text (then the file is scanned again).
fn from_index(
    file_text: &Arc<str>,
    index: FileIndex,
    source: &str,
    location: &str,
) -> Option<Vec<RawResource>> {
    if index.text_len != file_text.len() {
        return None;
    }
    index
        .entries
        .into_iter()
        .map(|entry| {
            file_text.get(entry.start..entry.end)?;
            Some(RawResource {
                file_text: Arc::clone(file_text),
                range: entry.start..entry.end,
                source: source.to_string(),
                location: entry_location(location, entry.entry),
                entry: entry.entry,
                header: entry.header,
            })
        })
        .collect()
}

fn load_tgz(path: &Path) -> Result<Vec<RawResource>, PackageError> {
    let archive_error = |message: String| PackageError::Archive {
        path: path.to_path_buf(),
        message,
    };
    let file = fs::File::open(path).map_err(io_error(path))?;
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    let mut manifest = None;
    let mut files = Vec::new();
    let entries = archive
        .entries()
        .map_err(|error| archive_error(error.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|error| archive_error(error.to_string()))?;
        let entry_path = entry
            .path()
            .map_err(|error| archive_error(error.to_string()))?
            .to_string_lossy()
            .into_owned();
        let inner = entry_path.strip_prefix("package/").unwrap_or(&entry_path);
        let wanted = inner == "package.json" || (!inner.contains('/') && is_json_file(inner));
        if !wanted || !entry.header().entry_type().is_file() {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|error| archive_error(format!("{entry_path}: {error}")))?;
        if inner == "package.json" {
            manifest = Some(bytes);
        } else {
            files.push((entry_path, bytes));
        }
    }
    let manifest = manifest.ok_or_else(|| PackageError::MissingPackageJson {
        path: path.to_path_buf(),
    })?;
    let location = format!("{}!package/package.json", path.display());
    let manifest_text = String::from_utf8(manifest).map_err(|_| PackageError::InvalidResource {
        path: location.clone(),
        message: "package.json is not UTF-8".into(),
    })?;
    let source = package_label(&manifest_text, &location)?;
    let mut resources = Vec::new();
    for (entry_path, bytes) in files {
        let location = format!("{}!{entry_path}", path.display());
        resources.extend(split_resources(bytes, &source, &location)?);
    }
    Ok(resources)
}

/// Reads a `.json` or `.json.gz` file into a JSON value.
pub(crate) fn read_json_file(path: &Path) -> Result<serde_json::Value, PackageError> {
    let bytes = read_file(path)?;
    serde_json::from_slice(&bytes).map_err(|source| PackageError::Json {
        path: path.display().to_string(),
        source,
    })
}
