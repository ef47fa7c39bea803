//! Asking a liaison for what `perf report add` is missing, when it runs on a terminal.
//!
//! The questions and their checks live in `ask_missing`, written against the `Prompter` trait so
//! they can be tested without a terminal; `TerminalPrompter` asks through dialoguer on stderr.

use std::str::FromStr;

use anyhow::Result;
use rust_decimal::Decimal;

use crate::check::entries::valid_number;
use crate::cli::ReportAddArgs;
use crate::diag::Lang;
use crate::model::{Kind, Measure, Plan, person_key};
use crate::render::status::{target_text, value_text};
use crate::render::terminal::clean;
use crate::status::ItemStatus;

/// A way to ask questions.
pub trait Prompter {
    /// Asks for a line of text until `check` accepts it.
    fn input(&mut self, prompt: &str, check: &dyn Fn(&str) -> Result<(), String>)
    -> Result<String>;
    /// Asks to choose one of `items`; returns its index.
    fn select(&mut self, prompt: &str, items: &[String]) -> Result<usize>;
}

/// Asks on the terminal (stderr), with the value checked as it is typed.
pub struct TerminalPrompter;

impl Prompter for TerminalPrompter {
    fn input(
        &mut self,
        prompt: &str,
        check: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String> {
        let answer: String = dialoguer::Input::new()
            .with_prompt(prompt)
            .allow_empty(true)
            .validate_with(|s: &String| check(s.trim()))
            .interact_text()?;
        Ok(answer.trim().to_string())
    }

    fn select(&mut self, prompt: &str, items: &[String]) -> Result<usize> {
        Ok(dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .default(0)
            .interact()?)
    }
}

fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// Checks a typed value for `item`: the accepted shape, a task's 0–100, a `latest` item's bounds.
/// An empty answer is a nil return.
pub fn check_value(plan: &Plan, index: usize, s: &str, lang: Lang) -> Result<(), String> {
    if s.is_empty() {
        return Ok(());
    }
    if !valid_number(s) {
        return Err(t(
            lang,
            "只写数字，如 55、-3.5（不带单位、%、千位分隔符）",
            "a plain number such as 55 or -3.5 (no unit, %, or separators)",
        ));
    }
    let v = Decimal::from_str(s).map_err(|_| t(lang, "数字太大", "the number is too large"))?;
    let item = &plan.items[index];
    if item.kind == Kind::Task && (v < Decimal::ZERO || v > Decimal::from(100)) {
        return Err(t(
            lang,
            "任务进度填 0 到 100",
            "a task's progress is 0 to 100",
        ));
    }
    if item.measure == Measure::Latest
        && (item.min.is_some_and(|m| v < m) || item.max.is_some_and(|m| v > m))
    {
        return Err(t(
            lang,
            "超出该细项允许的范围（min/max）",
            "outside the item's min/max",
        ));
    }
    Ok(())
}

/// Fills in what `args` lacks by asking. `statuses` gives each item's current value for the list.
pub fn ask_missing(
    plan: &Plan,
    statuses: &[ItemStatus],
    lang: Lang,
    mut args: ReportAddArgs,
    reporter: Option<String>,
    p: &mut dyn Prompter,
) -> Result<(ReportAddArgs, String)> {
    let staff = |name: &str| {
        plan.performance_office
            .as_ref()
            .is_some_and(|o| o.staff().any(|s| s.key == person_key(name)))
    };
    let reporter = match reporter {
        Some(r) => r,
        None => p.input(
            &t(lang, "报送人（姓名）", "Reporter (name)"),
            &|s: &str| {
                if plan.divisions.iter().any(|d| plan.may_add(d, s)) || staff(s) {
                    Ok(())
                } else {
                    Err(t(
                        lang,
                        "不是任何责任处的联络员、处级领导或办绩效办人员",
                        "not a liaison or leader of any division, nor performance office staff",
                    ))
                }
            },
        )?,
    };
    if args.item.is_none() {
        let mine: Vec<usize> = (0..plan.items.len())
            .filter(|&i| {
                plan.division(&plan.items[i].lead)
                    .is_some_and(|d| plan.may_add(d, &reporter))
            })
            .collect();
        if mine.is_empty() {
            anyhow::bail!(crate::workspace::EnvError::new(
                format!("{reporter} 不能为任何细项报送"),
                format!("{reporter} may not report for any item")
            ));
        }
        let labels: Vec<String> = mine
            .iter()
            .map(|&i| {
                let item = &plan.items[i];
                let now = statuses
                    .get(i)
                    .map_or("—".to_string(), |s| value_text(plan, s));
                match lang {
                    Lang::Zh => clean(&format!(
                        "{} {}（目标 {}，当前 {}）",
                        item.id,
                        item.name,
                        target_text(plan, i),
                        now
                    )),
                    Lang::En => clean(&format!(
                        "{} {} (target {}, now {})",
                        item.id,
                        item.name,
                        target_text(plan, i),
                        now
                    )),
                }
            })
            .collect();
        let pick = p.select(&t(lang, "报送哪个细项？", "Which item?"), &labels)?;
        args.item = Some(plan.items[mine[pick.min(mine.len() - 1)]].id.clone());
    }
    let index = args.item.as_deref().and_then(|id| plan.item(id));
    if args.value.is_none() && !args.nil {
        let answer = match index {
            Some(i) => {
                let unit = clean(&plan.items[i].unit);
                let prompt = match lang {
                    Lang::Zh => format!("数值（{unit}；无新进展请留空，作零报告）"),
                    Lang::En => format!("Value ({unit}; leave empty for a nil return)"),
                };
                p.input(&prompt, &|s: &str| check_value(plan, i, s, lang))?
            }
            None => p.input(&t(lang, "数值", "Value"), &|s: &str| {
                if s.is_empty() || valid_number(s) {
                    Ok(())
                } else {
                    Err(t(lang, "只写数字", "a plain number"))
                }
            })?,
        };
        if answer.is_empty() {
            args.nil = true;
        } else {
            args.value = Some(answer);
        }
    }
    if args.note.is_none() {
        let note = if args.nil {
            p.input(
                &t(
                    lang,
                    "说明（零报告须说明）",
                    "Note (a nil return needs one)",
                ),
                &|s: &str| {
                    if s.is_empty() {
                        Err(t(
                            lang,
                            "请说明本期为何无新进展",
                            "say why there is nothing new",
                        ))
                    } else {
                        Ok(())
                    }
                },
            )?
        } else {
            p.input(&t(lang, "说明（可留空）", "Note (optional)"), &|_| Ok(()))?
        };
        args.note = (!note.is_empty()).then_some(note);
    }
    Ok((args, reporter))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers from a script, and records what was asked and what the checks said.
    struct Scripted {
        answers: Vec<&'static str>,
        log: Vec<String>,
    }

    impl Prompter for Scripted {
        fn input(
            &mut self,
            prompt: &str,
            check: &dyn Fn(&str) -> Result<(), String>,
        ) -> Result<String> {
            loop {
                let a = self.answers.remove(0);
                match check(a) {
                    Ok(()) => {
                        self.log.push(format!("{prompt} = {a}"));
                        return Ok(a.to_string());
                    }
                    Err(e) => self.log.push(format!("{prompt} ! {a}: {e}")),
                }
            }
        }

        fn select(&mut self, prompt: &str, items: &[String]) -> Result<usize> {
            let a: usize = self.answers.remove(0).parse()?;
            self.log.push(format!("{prompt} = {}", items[a]));
            Ok(a)
        }
    }

    fn plan() -> Plan {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let ws = crate::workspace::Workspace::open(root.to_path_buf()).unwrap();
        ws.load_plan(2014).unwrap().plan
    }

    fn args() -> ReportAddArgs {
        ReportAddArgs {
            item: None,
            value: None,
            nil: false,
            note: None,
            date: None,
            period: None,
            evidence: None,
            reporter: None,
        }
    }

    #[test]
    fn asks_for_everything_and_checks_values_as_typed() {
        let plan = plan();
        let mut p = Scripted {
            answers: vec!["某人", "林晓燕", "0", "3件", "3", "办结3件"],
            log: vec![],
        };
        let (a, who) = ask_missing(&plan, &[], Lang::En, args(), None, &mut p).unwrap();
        assert_eq!(who, "林晓燕");
        // The Secretariat's items only, in plan order: E1.1 comes first.
        assert_eq!(a.item.as_deref(), Some("E1.1"));
        assert_eq!(a.value.as_deref(), Some("3"));
        assert_eq!(a.note.as_deref(), Some("办结3件"));
        assert!(
            p.log[0].starts_with("Reporter (name) ! 某人"),
            "{:?}",
            p.log
        );
        assert!(
            p.log[2].starts_with("Which item? = E1.1 市政府督查事项按期办结 (target ≥ 36 件"),
            "{:?}",
            p.log
        );
        assert!(p.log[3].contains("! 3件: a plain number"), "{:?}", p.log);
    }

    #[test]
    fn an_empty_value_is_a_nil_return_that_needs_a_note() {
        let plan = plan();
        let mut a = args();
        a.item = Some("Q3.1".into());
        let mut p = Scripted {
            answers: vec!["101", "", "", "本月无新进展（零报告）"],
            log: vec![],
        };
        let (a, _) = ask_missing(&plan, &[], Lang::Zh, a, Some("钟文静".into()), &mut p).unwrap();
        assert!(a.nil && a.value.is_none());
        assert_eq!(a.note.as_deref(), Some("本月无新进展（零报告）"));
        assert!(
            p.log[0].contains("! 101: 任务进度填 0 到 100"),
            "{:?}",
            p.log
        );
        assert!(p.log[2].contains("! : 请说明"), "{:?}", p.log);
    }
}
