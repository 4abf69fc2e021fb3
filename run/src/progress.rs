//! Progress bars for long work, drawn on stderr only when it is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A counter of finished work units (epochs) with an optional bar.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total` units; `show = false` (e.g. `--quiet`) hides it, and so does a stderr that
    /// is not a terminal.
    pub fn new(total: u64, label: &str, show: bool) -> Progress {
        let target = if show {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>10} [{bar:40.cyan/blue}] {pos}/{len} epochs, {elapsed} elapsed, ETA {eta}",
            )
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        Progress { bar }
    }
    /// A bar over `total` units drawn as one line of `multi` (e.g. per-figure bars under an
    /// overall one); it is drawn only when `multi` is.
    pub fn in_multi(
        multi: &indicatif::MultiProgress,
        total: u64,
        label: &str,
        unit: &str,
    ) -> Progress {
        let bar = multi.add(ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{msg:>10}} [{{bar:40.cyan/blue}}] {{pos}}/{{len}} {unit}, {{elapsed}} elapsed, ETA {{eta}}"
            ))
            .expect("the template is valid")
            .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        Progress { bar }
    }
    /// Adds `n` finished units at once.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }
    /// Changes the total (e.g. once the work left is known).
    pub fn set_length(&self, total: u64) {
        self.bar.set_length(total);
    }
    /// Changes the label shown before the bar (e.g. live counts).
    pub fn set_message(&self, message: String) {
        self.bar.set_message(message);
    }
    /// A progress that shows nothing (library calls and tests).
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }
    pub fn tick(&self) {
        self.bar.inc(1);
    }
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
