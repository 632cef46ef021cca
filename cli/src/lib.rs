//! Library part of the `mezon` command line: the deterministic sample-data
//! generator behind `mezon sample`, shared with the benchmarks so both make
//! exactly the same records.

pub mod sample;
