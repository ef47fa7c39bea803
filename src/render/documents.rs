//! Documents from minijinja templates (SPEC §6): the built-in ones compiled in, a workspace's own
//! `templates/<lang>/<name>.md` overriding them.

use anyhow::Result;

use crate::cmd::Context;
use crate::model::Plan;
use crate::status::{Dates, ItemStatus};

pub fn summary(
    _ctx: &Context,
    _plan: &Plan,
    _all: &[ItemStatus],
    _dates: Dates,
    _division: Option<&str>,
) -> Result<String> {
    Ok(String::new())
}
