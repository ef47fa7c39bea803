//! Turning computed data into text: diagnostics, tables, JSON and Markdown documents.

pub mod diagnostics;
pub mod documents;
pub mod markdown;
pub mod status;
