//! The workspace's own templates (`templates/<lang>/<name>.md`, docs/templates.md), read and
//! compiled, not rendered, so that a template that cannot be is found by `perf check` before a
//! document is asked for: `not-utf8`, or `template-syntax` where minijinja stopped. What only
//! rendering finds (a name the data does not have) is left to the document's command.

use std::path::Path;

use anyhow::Result;

use crate::diag::{Diagnostic, Diagnostics, Lang, Text};
use crate::render::documents::{DOCUMENTS, compile};
use crate::workspace;

pub fn check(root: &Path) -> Result<Diagnostics> {
    let mut diags = Diagnostics::new();
    for lang in [Lang::Zh, Lang::En] {
        for name in DOCUMENTS {
            let rel = format!("templates/{}/{name}.md", lang.code());
            if std::fs::symlink_metadata(root.join(&rel)).is_err() {
                continue;
            }
            workspace::guard_file_and_folders(root, &rel)?;
            let src = match workspace::read_source(root, &rel)? {
                Ok(src) => src,
                Err(d) => {
                    diags.push(*d);
                    continue;
                }
            };
            let Err(e) = compile(&src.text)? else {
                continue;
            };
            let place = match (e.range(), e.line()) {
                (Some(r), _) => Some(src.place(r)),
                (None, Some(line)) => Some(src.line_place(line)),
                (None, None) => None,
            };
            let mut what = format!("{}", e.kind());
            if let Some(detail) = e.detail() {
                what.push_str(&format!(": {detail}"));
            }
            diags.push(
                Diagnostic::error(
                    "template-syntax",
                    &rel,
                    place,
                    Text::new(
                        format!("模板语法错误：{what}"),
                        format!("template syntax error: {what}"),
                    ),
                )
                .with_help(Text::new(
                    "模板写法见 docs/templates.md（minijinja 语法，如 {{ totals.items }}、{% for i in items %}…{% endfor %}）；删去该文件则使用内置模板",
                    "see docs/templates.md (minijinja syntax, e.g. {{ totals.items }}, {% for i in items %}…{% endfor %}); delete the file to use the built-in template",
                )),
            );
        }
    }
    Ok(diags)
}
