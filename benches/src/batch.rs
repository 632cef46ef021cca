//! The batch path, file to ranking, on one thread or several.
//!
//! One thread is exactly the CLI's `mezon rank`: `read_file` → `assess_raw`
//! (trace off) → `Ranker`. Several threads keep that order: one thread reads
//! chunks of records, `workers` threads assess chunks, and the calling
//! thread feeds the ranker chunk by chunk in input order. Channels are
//! bounded, so memory stays bounded by the chunks in flight whatever the
//! input's size.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;

use mezon::{AssessOptions, Assessment, Pack, RawRecord, Ranker, Ranking};

/// Records per chunk handed to a worker.
pub const CHUNK: usize = 1024;

/// Assesses `records` on `workers` threads and hands every assessment to
/// `sink` in input order. `workers <= 1` runs on the calling thread alone.
pub fn assess_ordered<I>(pack: &Pack, records: I, workers: usize, opts: &AssessOptions, mut sink: impl FnMut(&Assessment))
where
    I: Iterator<Item = RawRecord> + Send,
{
    if workers <= 1 {
        for raw in records {
            sink(&pack.assess_raw(&raw, opts));
        }
        return;
    }
    let (job_tx, job_rx) = sync_channel::<(usize, Vec<RawRecord>)>(workers * 2);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = sync_channel::<(usize, Vec<Assessment>)>(workers * 2);
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut records = records;
            for seq in 0.. {
                let chunk: Vec<RawRecord> = records.by_ref().take(CHUNK).collect();
                if chunk.is_empty() || job_tx.send((seq, chunk)).is_err() {
                    break;
                }
            }
        });
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            s.spawn(move || loop {
                let job = job_rx.lock().expect("no worker panics holding the lock").recv();
                let Ok((seq, chunk)) = job else { break };
                let out = chunk.iter().map(|raw| pack.assess_raw(raw, opts)).collect();
                if done_tx.send((seq, out)).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        let mut next = 0;
        let mut waiting = BTreeMap::new();
        for (seq, chunk) in done_rx {
            waiting.insert(seq, chunk);
            while let Some(chunk) = waiting.remove(&next) {
                chunk.iter().for_each(&mut sink);
                next += 1;
            }
        }
    });
}

/// `mezon rank`: services file (and organisations file) to a finished
/// ranking, trace off, assessing on `workers` threads.
pub fn rank_file(pack: &Pack, services: &Path, organizations: Option<&Path>, workers: usize) -> mezon::Result<Ranking> {
    let mut ranker = Ranker::new(pack);
    let records = mezon::read_file(services, &pack.manifest().input)?;
    assess_ordered(pack, records, workers, &AssessOptions { trace: false }, |a| ranker.add(a));
    if let (Some(path), Some(schema)) = (organizations, pack.manifest().organization_input.as_ref()) {
        for raw in mezon::read_file(path, schema)? {
            ranker.add_organization(&raw)?;
        }
    }
    ranker.finish()
}
