//! The 2016 methodology hand-written in Rust: the practical limit the engine
//! is measured against. Two versions of the same rules, one exact (Mezon's
//! own rational [`Num`]) and one in `f64`.
//!
//! Both take a typed record (fields already parsed), so they measure the
//! rules alone; Mezon's figure also covers validating a JSON-like record.

use mezon::Num;

use mezon_cli::sample::Service;

/// Indicator ids in pack order, with their maxima.
pub const INDICATORS: [(&str, i64); 9] = [
    ("satisfaction", 30),
    ("timeliness", 20),
    ("optimization", 13),
    ("interagency", 8),
    ("uptake", 7),
    ("maturity", 6),
    ("portal_info", 6),
    ("availability", 5),
    ("complaints", 5),
];

/// Σ max of the applicable indicators below which a service is not assessed.
const NOT_ASSESSED_BELOW: i64 = 50;

/// A typed service record.
#[allow(missing_docs)] // the schema's fields
#[derive(Debug, Clone)]
pub struct Input {
    pub applications_total: i64,
    pub applications_electronic: i64,
    pub completed: i64,
    pub completed_on_time: i64,
    pub marks: [i64; 5],
    pub optimized: bool,
    pub documents_required: i64,
    pub documents_interagency: i64,
    pub maturity_stage: i64,
    pub info: [bool; 6],
    /// Uptime in percent, exact.
    pub availability: Num,
    /// Uptime in percent, parsed to `f64` from the same decimal text.
    pub availability_f64: f64,
    pub justified_complaints: i64,
}

impl Input {
    /// The typed record of a generated service.
    pub fn from_service(s: &Service) -> Input {
        let i = |x: u64| x as i64;
        let text = s.availability_text();
        Input {
            applications_total: i(s.applications_total),
            applications_electronic: i(s.applications_electronic),
            completed: i(s.completed),
            completed_on_time: i(s.completed_on_time),
            marks: s.marks.map(i),
            optimized: s.optimized,
            documents_required: i(s.documents_required),
            documents_interagency: i(s.documents_interagency),
            maturity_stage: i(s.maturity_stage),
            info: s.info,
            availability: Num::parse(&text).expect("generated uptime is a decimal"),
            availability_f64: text.parse().expect("generated uptime is a decimal"),
            justified_complaints: i(s.justified_complaints),
        }
    }
}

/// Points per indicator (`None`: not applicable) and the service score
/// (`None`: not assessed).
#[derive(Debug, Clone)]
pub struct Scored<T> {
    /// In [`INDICATORS`] order.
    pub points: [Option<T>; 9],
    /// 100 × Σ points / Σ max of the applicable indicators.
    pub score: Option<T>,
}

/// The exact implementation, with its constants built once.
pub struct NativeExact {
    timeliness: [(Num, i64); 4],
    uptake: [(Num, i64); 3],
    availability: [(Num, i64); 4],
    one: Num,
    three: Num,
    five: Num,
}

fn n(text: &str) -> Num {
    Num::parse(text).expect("constant")
}

impl Default for NativeExact {
    fn default() -> Self {
        NativeExact {
            timeliness: [(n("0.98"), 20), (n("0.95"), 16), (n("0.90"), 12), (n("0.80"), 6)],
            uptake: [(n("0.50"), 7), (n("0.30"), 5), (n("0.10"), 3)],
            availability: [(n("99.5"), 5), (n("99.0"), 4), (n("98.0"), 3), (n("95.0"), 1)],
            one: Num::int(1),
            three: Num::int(3),
            five: Num::int(5),
        }
    }
}

/// The first band whose lower bound `x` reaches, else `otherwise`.
fn band(x: &Num, bands: &[(Num, i64)], otherwise: i64) -> Num {
    Num::int(bands.iter().find(|(min, _)| x >= min).map_or(otherwise, |b| b.1))
}

impl NativeExact {
    /// Scores one record exactly.
    pub fn eval(&self, r: &Input) -> Scored<Num> {
        let marks_n: i64 = r.marks.iter().sum();
        let satisfaction = (marks_n >= 10).then(|| {
            let sum: i64 = r.marks.iter().zip(1..).map(|(m, k)| m * k).sum();
            // 30 × (sum/n − 1) / 4
            Num::ratio(30 * (sum - marks_n), 4 * marks_n).expect("n > 0")
        });
        let timeliness = (r.completed > 0).then(|| {
            let share = Num::ratio(r.completed_on_time, r.completed).expect("completed > 0");
            band(&share, &self.timeliness, 0)
        });
        let optimization = Some(Num::int(if r.optimized { 13 } else { 0 }));
        let interagency = Some(if r.documents_required == 0 {
            Num::int(8)
        } else {
            Num::ratio(8 * r.documents_interagency, r.documents_required).expect("required > 0")
        });
        let uptake = (r.applications_total > 0).then(|| {
            let share = Num::ratio(r.applications_electronic, r.applications_total).expect("total > 0");
            band(&share, &self.uptake, if share.is_zero() { 0 } else { 1 })
        });
        let maturity = Some(Num::int(match r.maturity_stage {
            4 => 6,
            3 => 4,
            2 => 2,
            _ => 0,
        }));
        let portal_info = Some(Num::int(r.info.iter().filter(|x| **x).count() as i64));
        let availability = Some(band(&r.availability, &self.availability, 0));
        let complaints = (r.applications_electronic > 0).then(|| {
            let rate = Num::ratio(r.justified_complaints * 1000, r.applications_electronic).expect("electronic > 0");
            Num::int(if rate.is_zero() {
                5
            } else if rate <= self.one {
                4
            } else if rate <= self.three {
                2
            } else if rate <= self.five {
                1
            } else {
                0
            })
        });
        let points = [satisfaction, timeliness, optimization, interagency, uptake, maturity, portal_info, availability, complaints];
        let mut total = Num::ZERO;
        let mut max = 0;
        for (p, (_, m)) in points.iter().zip(INDICATORS) {
            if let Some(p) = p {
                total = total.add(p);
                max += m;
            }
        }
        let score = (max >= NOT_ASSESSED_BELOW).then(|| total.mul(&Num::int(100)).div(&Num::int(max)).expect("max > 0"));
        Scored { points, score }
    }
}

/// The same rules in `f64`, the way they are usually written.
pub fn eval_f64(r: &Input) -> Scored<f64> {
    let marks_n: i64 = r.marks.iter().sum();
    let satisfaction = (marks_n >= 10).then(|| {
        let sum: i64 = r.marks.iter().zip(1..).map(|(m, k)| m * k).sum();
        let mean = sum as f64 / marks_n as f64;
        30.0 * (mean - 1.0) / 4.0
    });
    let timeliness = (r.completed > 0).then(|| {
        let share = r.completed_on_time as f64 / r.completed as f64;
        if share >= 0.98 {
            20.0
        } else if share >= 0.95 {
            16.0
        } else if share >= 0.90 {
            12.0
        } else if share >= 0.80 {
            6.0
        } else {
            0.0
        }
    });
    let optimization = Some(if r.optimized { 13.0 } else { 0.0 });
    let interagency = Some(if r.documents_required == 0 { 8.0 } else { 8.0 * r.documents_interagency as f64 / r.documents_required as f64 });
    let uptake = (r.applications_total > 0).then(|| {
        let share = r.applications_electronic as f64 / r.applications_total as f64;
        if share >= 0.50 {
            7.0
        } else if share >= 0.30 {
            5.0
        } else if share >= 0.10 {
            3.0
        } else if share > 0.0 {
            1.0
        } else {
            0.0
        }
    });
    let maturity = Some(match r.maturity_stage {
        4 => 6.0,
        3 => 4.0,
        2 => 2.0,
        _ => 0.0,
    });
    let portal_info = Some(r.info.iter().filter(|x| **x).count() as f64);
    let a = r.availability_f64;
    let availability = Some(if a >= 99.5 {
        5.0
    } else if a >= 99.0 {
        4.0
    } else if a >= 98.0 {
        3.0
    } else if a >= 95.0 {
        1.0
    } else {
        0.0
    });
    let complaints = (r.applications_electronic > 0).then(|| {
        let rate = r.justified_complaints as f64 * 1000.0 / r.applications_electronic as f64;
        if rate == 0.0 {
            5.0
        } else if rate <= 1.0 {
            4.0
        } else if rate <= 3.0 {
            2.0
        } else if rate <= 5.0 {
            1.0
        } else {
            0.0
        }
    });
    let points = [satisfaction, timeliness, optimization, interagency, uptake, maturity, portal_info, availability, complaints];
    let mut total = 0.0;
    let mut max = 0;
    for (p, (_, m)) in points.iter().zip(INDICATORS) {
        if let Some(p) = p {
            total += p;
            max += m;
        }
    }
    let score = (max >= NOT_ASSESSED_BELOW).then(|| 100.0 * total / max as f64);
    Scored { points, score }
}

/// An `f64` score published the usual way: `(x × 100).round() / 100`
/// (half away from zero), two decimals.
pub fn publish_f64(x: f64) -> String {
    format!("{:.2}", (x * 100.0).round() / 100.0)
}
