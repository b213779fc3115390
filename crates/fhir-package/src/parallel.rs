//! Runs the loading units on all cores and keeps their results in load
//! order, plus the process-wide shared instance behind [`crate::core()`].

use std::sync::{Arc, Mutex};

use crate::cache::DecompressCache;
use crate::definitions::FhirDefinitions;
use crate::error::PackageError;
use crate::header::{classify, Loaded};
use crate::source::{load_unit, Unit};

type UnitResult = Result<Vec<Loaded>, PackageError>;

/// Reads the units on all cores (largest first), keeping their order in the result.
pub(crate) fn load_units_in_parallel(
    units: &[Unit],
    cache: Option<&DecompressCache>,
) -> Result<Vec<Vec<Loaded>>, PackageError> {
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by_key(|index| std::cmp::Reverse(units.get(*index).map_or(0, Unit::size_hint)));
    let queue = Mutex::new(order.into_iter());
    let results: Mutex<Vec<Option<UnitResult>>> =
        Mutex::new((0..units.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(1, |count| count.get())
        .min(units.len())
        .max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut queue| queue.next());
                let Some(index) = next else { break };
                let Some(unit) = units.get(index) else { break };
                let result = load_unit(unit, cache).and_then(|raws| {
                    raws.into_iter()
                        .map(classify)
                        .collect::<Result<Vec<_>, _>>()
                });
                if let Ok(mut results) = results.lock() {
                    if let Some(slot) = results.get_mut(index) {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| PackageError::InvalidResource {
            path: "loader".into(),
            message: "a loading thread panicked".into(),
        })?;
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| {
                Err(PackageError::InvalidResource {
                    path: "loader".into(),
                    message: "a loading thread stopped early".into(),
                })
            })
        })
        .collect()
}

/// The shared core definitions, loaded once per process (see [`crate::core`]).
pub(crate) fn shared(
    load: impl FnOnce() -> Result<FhirDefinitions, PackageError>,
) -> Result<Arc<FhirDefinitions>, PackageError> {
    static SHARED: Mutex<Option<Arc<FhirDefinitions>>> = Mutex::new(None);
    let mut slot = SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(definitions) = slot.as_ref() {
        return Ok(Arc::clone(definitions));
    }
    let definitions = Arc::new(load()?);
    *slot = Some(Arc::clone(&definitions));
    Ok(definitions)
}
