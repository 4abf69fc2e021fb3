//! The paper's toy experiment for one seed, through the library alone: a 100-400-200-10 student
//! learns a random sigmoid teacher from M = 1000 examples with BackProp, R-BackProp and Adam.
//!
//! `cargo run --release -p rbp-core --example toy [seed]`

use rbp_core::data::teacher;
use rbp_core::init::{Init, initial_params};
use rbp_core::net::Layout;
use rbp_core::optim::{Hyper, Optimizer, OptimizerKind};
use rbp_core::seed::{self, Stream};
use rbp_core::train::{Recording, Schedule, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed: u64 = match std::env::args().nth(1) {
        Some(s) => s
            .parse()
            .map_err(|_| format!("seed `{s}` is not a whole number"))?,
        None => 0,
    };
    let layout = Layout::new("100-400-200-10".parse()?)?;
    let data = teacher::teacher_student(100, 10, 1000, seed)?;
    let schedule = Schedule {
        batch: 100,
        epochs: 100,
        record: Recording::EveryEpoch,
    };
    println!("seed {seed}: final errors after {} epochs", schedule.epochs);
    for kind in [OptimizerKind::Sgd, OptimizerKind::Rbp, OptimizerKind::Adam] {
        // Same data, initial weights and batch order for every optimizer: a paired comparison.
        let params = initial_params(&layout, Init::Lecun, seed)?;
        let coin = seed::stream_seed(seed, Stream::Coin);
        let opt = Optimizer::new(kind, &Hyper::default(), layout.param_count(), coin)?;
        let order = seed::rng(seed, Stream::Order);
        let records = train(&layout, params, &data, opt, schedule, order, &mut |_| {})?;
        let last = records.last().expect("a run records every epoch");
        println!(
            "{:>10}: train {:.4}, test {:.4}",
            kind.paper_name(),
            last.train_error,
            last.test_error
        );
    }
    Ok(())
}
