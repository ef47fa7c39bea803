//! Turning computed data into text: diagnostics, tables, JSON and Markdown documents.

pub mod diagnostics;
pub mod documents;
pub mod export;
pub mod markdown;
pub mod matrix;
pub mod monthly;
pub mod status;
pub mod terminal;
