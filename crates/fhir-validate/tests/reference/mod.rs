//! Support for `reference_cases.rs`: the manifest and which steps run
//! (`manifest`), the expected outcomes (`expected`), loading a step's
//! definitions (`loader`), running and comparing a step (`compare`) and the
//! printed summary (`summary`).
#![allow(dead_code)]

pub mod compare;
pub mod expected;
pub mod loader;
pub mod manifest;
pub mod summary;
