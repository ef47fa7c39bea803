//! `perf`: a government office's yearly performance evaluation as plain files in git.
//!
//! The pipeline, in the order data flows: `workspace` (find and read files) → `model` (plain data)
//! → `check` (rules → diagnostics) and `status` (pure computation, with `calendar`) → `render`
//! (text out) → `cmd` (one file per command).

#![deny(unsafe_code)]

pub mod calendar;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod diag;
pub mod model;
pub mod render;
pub mod status;
pub mod workspace;
