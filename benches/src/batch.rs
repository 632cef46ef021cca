//! The batch path, file to ranking, exactly as `mezon rank` runs it:
//! `read_file_rows` → `Pack::assess_stream` (trace off, `workers` threads,
//! results in input order) → `Ranker`. Memory stays bounded by the chunks
//! in flight whatever the input's size.

use std::path::Path;

use mezon::{AssessOptions, Pack, RankEntry, Ranker, Ranking};

/// `mezon rank`: services file (and organisations file) to a finished
/// ranking, trace off, assessing on `workers` threads.
pub fn rank_file(pack: &Pack, services: &Path, organizations: Option<&Path>, workers: usize) -> mezon::Result<Ranking> {
    let mut ranker = Ranker::new(pack);
    let rows = mezon::read_file_rows(services, &pack.manifest().input)?;
    pack.assess_stream_map(rows, &AssessOptions { trace: false }, workers, |a| RankEntry::of(&a), |e| {
        ranker.add_entry(e);
        Ok::<(), mezon::Error>(())
    })?;
    if let (Some(path), Some(schema)) = (organizations, pack.manifest().organization_input.as_ref()) {
        for raw in mezon::read_file(path, schema)? {
            ranker.add_organization(&raw)?;
        }
    }
    ranker.finish()
}
