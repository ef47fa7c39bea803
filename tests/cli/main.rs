//! Integration tests: the real `perf` binary run on workspaces in temporary folders.

mod base;
mod check;
mod common;
mod documents;
mod fuzzed;
mod properties;
mod report;
mod security;
mod setup;
mod status;
