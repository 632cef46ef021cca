//! Counts heap allocations per assessed record (trace on), for profiling:
//! `alloc_count PACK FILE`. Allocation is a large part of the per-record
//! cost, so this is how changes to it are checked.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static COUNT: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        COUNT.fetch_add(1, Relaxed);
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static A: Counting = Counting;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pack = mezon::Pack::load(&mezon::Engine::default(), &args[1]).unwrap();
    let records: Vec<_> = mezon::read_file(std::path::Path::new(&args[2]), &pack.manifest().input).unwrap().collect();
    let opts = mezon::AssessOptions { trace: true };
    // Once to warm the per-thread scratch space.
    drop(pack.assess_raw(&records[0], &opts));
    let before = COUNT.load(Relaxed);
    for r in &records {
        drop(pack.assess_raw(r, &opts));
    }
    let n = COUNT.load(Relaxed) - before;
    println!("{} records, {n} allocations, {:.2} per record", records.len(), n as f64 / records.len() as f64);
}
