//! Assessing a stream of records on several threads, results in input order.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::assess::{AssessOptions, Assessment};
use crate::input::IntoRecord;
use crate::pack::Pack;

/// Records per unit of work: large enough that taking the next chunk is
/// rare, small enough that the reorder buffer stays small.
const CHUNK: usize = 256;

impl Pack {
    /// Assesses every record of `records` (parsed records, or unparsed
    /// [`Row`](crate::Row)s from [`read_file_rows`](crate::read_file_rows),
    /// which the workers parse) on `threads` worker threads and hands
    /// each result to `sink` in input order. A reader thread of its own cuts
    /// the input into chunks, so reading overlaps evaluation; memory stays
    /// bounded by a few chunks per thread whatever the input's size.
    /// Results are the same as one `assess_raw` per record, on any number of
    /// threads. A `sink` error stops the run and is returned.
    pub fn assess_stream<E>(
        &self,
        records: impl Iterator<Item = impl IntoRecord> + Send,
        opts: &AssessOptions,
        threads: usize,
        sink: impl FnMut(Assessment) -> Result<(), E>,
    ) -> Result<(), E> {
        self.assess_stream_map(records, opts, threads, |a| a, sink)
    }

    /// As [`Pack::assess_stream`], with `map` applied to each result on the
    /// thread that assessed it (writing its JSON line, or keeping what a
    /// ranking needs), so that work runs in parallel too and `sink` gets
    /// the mapped values, still in input order.
    pub fn assess_stream_map<T: Send, E>(
        &self,
        records: impl Iterator<Item = impl IntoRecord> + Send,
        opts: &AssessOptions,
        threads: usize,
        map: impl Fn(Assessment) -> T + Sync,
        mut sink: impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        let threads = threads.max(1);
        if threads == 1 {
            for r in records {
                sink(map(r.assess(self, opts)))?;
            }
            return Ok(());
        }
        // One reader thread cuts the input into chunks (reading is
        // sequential: a CSV row ends where the parser says); `threads`
        // workers parse, assess and map them; this thread puts the results
        // back in input order for `sink`. Reading overlaps assessing, so
        // the workers never wait for one another to read.
        let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Vec<_>)>(threads * 2);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (tx, rx) = mpsc::sync_channel::<(usize, Vec<T>)>(threads * 2);
        let map = &map;
        // `move`: the receivers belong to this scope's closure, so a failing
        // `sink` drops them on return and every thread stops.
        std::thread::scope(move |s| {
            s.spawn(move || {
                let mut records = records;
                for idx in 0.. {
                    let chunk: Vec<_> = records.by_ref().take(CHUNK).collect();
                    if chunk.is_empty() || work_tx.send((idx, chunk)).is_err() {
                        return;
                    }
                }
            });
            for _ in 0..threads {
                let (work_rx, tx) = (work_rx.clone(), tx.clone());
                s.spawn(move || {
                    let pack = self.worker_handle();
                    loop {
                        let job = work_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((idx, chunk)) = job else { return };
                        let results = chunk.into_iter().map(|r| map(r.assess(&pack, opts))).collect();
                        if tx.send((idx, results)).is_err() {
                            return; // the sink failed; stop quietly
                        }
                    }
                });
            }
            drop((work_rx, tx));
            // Reorder: chunks arrive in any order, leave in input order.
            let mut pending = BTreeMap::new();
            let mut next = 0;
            for (idx, results) in rx.iter() {
                pending.insert(idx, results);
                while let Some(results) = pending.remove(&next) {
                    for a in results {
                        sink(a)?;
                    }
                    next += 1;
                }
            }
            Ok(())
        })
    }
}
