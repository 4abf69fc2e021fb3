//! The checkpoint file: a round trip keeps every bit; a truncated, corrupt, wrong-version,
//! foreign or inconsistent file is refused with a message saying what is wrong; saving replaces
//! the file atomically.

use rbp_core::checkpoint::{self, Checkpoint, MAGIC, Progress, SavedRun, VERSION};
use rbp_core::optim::{Clock, OptimizerKind, OptimizerState};
use rbp_core::train::{EpochRecord, OrderState, Recording, RunState, Schedule};

fn record(epoch: usize, class: Option<f64>) -> EpochRecord {
    EpochRecord {
        epoch,
        train_error: 0.1 / (epoch + 1) as f64,
        test_error: 0.2 / (epoch + 1) as f64,
        test_class_error: class,
    }
}

fn sample() -> Checkpoint {
    let state = RunState {
        schedule: Schedule {
            batch: 10,
            epochs: 5,
            record: Recording::FinalOnly,
        },
        params: vec![1.5, -0.0, f32::MIN_POSITIVE, 3.25, f32::NAN, -7.0],
        optimizer: OptimizerState {
            kind: OptimizerKind::Adam,
            clock: Clock { t: 17, epoch: 2 },
            coin_seed: 0xdead_beef_0123_4567,
            buffers: vec![vec![0.5; 6], vec![1e-30; 6]],
        },
        order: OrderState {
            seed: [7; 32],
            stream: 3,
            word_pos: (1u128 << 70) + 5,
        },
        rows: vec![3, 1, 4, 0, 2],
        records: vec![record(0, Some(0.9))],
    };
    Checkpoint {
        settings: "{\"experiment\": \"toy\", \"é\": 1}".into(),
        runs: vec![
            SavedRun {
                label: "sgd seed 0".into(),
                progress: Progress::Finished(vec![record(0, None), record(5, None)]),
            },
            SavedRun {
                label: "adam seed 0".into(),
                progress: Progress::InProgress {
                    arch: "2-3".parse().unwrap(),
                    state: Box::new(state),
                },
            },
        ],
    }
}

/// Compares with NaN weights equal to themselves (bit patterns).
fn same(a: &Checkpoint, b: &Checkpoint) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// Recomputes the trailing CRC after a deliberate edit, so only the edited field is wrong.
fn with_fresh_crc(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..n]);
    bytes[n..].copy_from_slice(&crc.to_le_bytes());
    bytes
}

#[test]
fn round_trip_keeps_every_bit() {
    let c = sample();
    let bytes = checkpoint::encode(&c);
    assert_eq!(&bytes[..8], &MAGIC);
    assert_eq!(
        u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
        VERSION
    );
    let back = checkpoint::decode(&bytes).unwrap();
    assert!(same(&c, &back));
}

#[test]
fn every_truncation_is_refused() {
    let bytes = checkpoint::encode(&sample());
    for len in 0..bytes.len() {
        let err = checkpoint::decode(&bytes[..len]).unwrap_err();
        assert!(
            err.contains("truncated") || err.contains("magic") || err.contains("checksum"),
            "cut at {len}: {err}"
        );
    }
}

#[test]
fn every_flipped_byte_is_refused() {
    let bytes = checkpoint::encode(&sample());
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x10;
        assert!(checkpoint::decode(&bad).is_err(), "flip at {i} accepted");
    }
}

#[test]
fn wrong_magic_version_and_settings_hash_are_named() {
    let bytes = checkpoint::encode(&sample());
    let mut foreign = bytes.clone();
    foreign[..8].copy_from_slice(b"PK\x03\x04abcd");
    assert!(
        checkpoint::decode(&foreign)
            .unwrap_err()
            .contains("not an rbp checkpoint")
    );

    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&(VERSION + 1).to_le_bytes());
    let err = checkpoint::decode(&with_fresh_crc(newer)).unwrap_err();
    assert!(
        err.contains(&format!("format version {}", VERSION + 1)),
        "{err}"
    );

    // Settings edited behind the header's back (with a valid checksum): the hash catches it.
    let mut edited = bytes.clone();
    let at = bytes.windows(4).position(|w| w == b"toy\"").unwrap();
    edited[at..at + 3].copy_from_slice(b"TOY");
    let err = checkpoint::decode(&with_fresh_crc(edited)).unwrap_err();
    assert!(err.contains("settings hash"), "{err}");
}

#[test]
fn a_huge_announced_count_does_not_allocate() {
    // A file whose run announces 2^60 weights (with a valid checksum) is refused as truncated.
    let mut bytes = checkpoint::encode(&sample());
    let params_at = bytes
        .windows(8)
        .position(|w| w == 6u64.to_le_bytes())
        .unwrap();
    bytes[params_at..params_at + 8].copy_from_slice(&(1u64 << 60).to_le_bytes());
    let err = checkpoint::decode(&with_fresh_crc(bytes)).unwrap_err();
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn save_replaces_the_file_whole_and_load_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.rbpck");
    let first = sample();
    checkpoint::save(&path, &first).unwrap();
    let mut second = sample();
    second.runs.pop();
    checkpoint::save(&path, &second).unwrap();
    assert!(same(&checkpoint::load(&path).unwrap(), &second));
    // Only the checkpoint is left: no temporary files.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);

    std::fs::write(&path, b"garbage").unwrap();
    let err = checkpoint::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("checkpoint.rbpck") && err.contains("magic"),
        "{err}"
    );
    let err = checkpoint::load(&dir.path().join("missing"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing"), "{err}");
}
