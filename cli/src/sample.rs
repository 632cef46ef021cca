//! Deterministic synthetic data for the `uz-egov-quality` 2016 methodology.
//!
//! **The figures are synthetic.** Organisation names are those of real
//! Uzbek ministries, state committees, agencies, khokimiyats and service
//! companies, and the service names are plausible e-services, but every
//! number (applications, marks, deadlines, uptime, complaints, penalties)
//! comes from a seeded pseudo-random generator and describes nothing real.
//!
//! The same `(services, seed)` always gives the same bytes, on every platform:
//! the generator is a hand-written splitmix64 using integer arithmetic only.
//! Every record is valid under the pack's input schema (all ranges and
//! relations hold); the figures vary widely, so that every band of every
//! scale, every "not applicable" branch, some not-assessed services and all
//! four grades occur in a set of a few hundred services.
//!
//! The benchmarks use the same generator in-process (`services`,
//! `Service::to_map`), so their records are the same as the files'.

use serde_json::{Map, Value};
use std::io::{self, Write};

/// The period (year) of every generated record.
pub const PERIOD: u32 = 2016;

/// Header of the services CSV: the input fields in the order of the methodology.
const SERVICE_HEADER: &str = "service_id,service_name,organization_id,organization_name,period,\
applications_total,applications_electronic,completed,completed_on_time,\
marks_1,marks_2,marks_3,marks_4,marks_5,optimized,documents_required,documents_interagency,\
maturity_stage,info_description,info_documents,info_deadline,info_cost,info_legal_basis,info_appeal,\
availability_pct,justified_complaints";

/// Organisations (as of 2016) with a few of the e-services each typically provides.
const ORGANIZATIONS: &[(&str, &str, &[&str])] = &[
    ("ORG-MJ", "Ministry of Justice", &["State registration of a business entity", "Registration of a non-governmental non-profit organisation", "Apostille of an official document"]),
    ("ORG-STC", "State Tax Committee", &["Assignment of a taxpayer identification number", "Submission of tax reports", "Certificate of no tax arrears"]),
    ("ORG-MIA", "Ministry of Internal Affairs", &["Certificate of no criminal record", "Issuing a biometric passport", "Registration of a motor vehicle", "Temporary residence registration"]),
    ("ORG-MH", "Ministry of Health", &["Licence for medical activity", "Appointment with a polyclinic doctor", "Certificate of health for a driving licence"]),
    ("ORG-MPE", "Ministry of Public Education", &["Enrolment in a general education school", "Duplicate of a school leaving certificate"]),
    ("ORG-MHSSE", "Ministry of Higher and Secondary Specialised Education", &["Recognition of a foreign diploma", "Duplicate of a higher education diploma"]),
    ("ORG-MF", "Ministry of Finance", &["Licence for audit activity", "Registration of a cash register"]),
    ("ORG-ML", "Ministry of Labour", &["Registration as a job seeker", "Permit to employ foreign workers", "Assignment of unemployment benefit"]),
    ("ORG-MDITC", "Ministry for Development of Information Technologies and Communications", &["Licence for telecommunications activity", "Registration of a domain name in the .uz zone"]),
    ("ORG-MFA", "Ministry of Foreign Affairs", &["Consular legalisation of documents", "Electronic visa application"]),
    ("ORG-MFERIT", "Ministry of Foreign Economic Relations, Investments and Trade", &["Registration of a foreign trade contract", "Certificate of origin of goods"]),
    ("ORG-MAWR", "Ministry of Agriculture and Water Resources", &["Permit for special water use", "Registration of a farm enterprise"]),
    ("ORG-MCS", "Ministry of Culture and Sports Affairs", &["Licence for concert and entertainment activity", "Export permit for cultural property"]),
    ("ORG-MES", "Ministry of Emergency Situations", &["Fire safety conclusion for a building", "Certificate of fire safety training"]),
    ("ORG-MD", "Ministry of Defence", &["Certificate of military service", "Registration for military service"]),
    ("ORG-ME", "Ministry of Economy", &["Registration of an investment project", "Inclusion in the register of exporters"]),
    ("ORG-SCC", "State Customs Committee", &["Electronic customs declaration", "Preliminary classification decision for goods"]),
    ("ORG-SCLR", "State Committee for Land Resources, Geodesy, Cartography and State Cadastre", &["Extract from the state cadastre of real estate", "State registration of rights to real estate", "Allocation of a land plot"]),
    ("ORG-STAT", "State Committee on Statistics", &["Submission of statistical reports", "Issuing statistical information on request"]),
    ("ORG-SCNP", "State Committee for Nature Protection", &["State environmental expert review", "Permit for emission of pollutants"]),
    ("ORG-SCPC", "State Committee for Privatisation, Demonopolisation and Development of Competition", &["Consent to a merger of business entities", "Registration in the register of appraisers"]),
    ("ORG-SCGMR", "State Committee on Geology and Mineral Resources", &["Licence for subsoil use", "Issuing geological information"]),
    ("ORG-SCAC", "State Committee for Architecture and Construction", &["Building permit", "Approval of project documentation", "Permit to commission a building"]),
    ("ORG-CB", "Central Bank of the Republic of Uzbekistan", &["Licence for currency exchange activity", "Credit history report for an individual"]),
    ("ORG-GPO", "General Prosecutor's Office", &["Electronic appeal to the prosecutor's office"]),
    ("ORG-UZST", "Uzbek Agency for Standardisation, Metrology and Certification", &["Certificate of conformity of products", "Verification of measuring instruments"]),
    ("ORG-AIP", "Agency for Intellectual Property", &["Registration of a trademark", "Patent for an invention"]),
    ("ORG-APIA", "Agency for Press and Information", &["Registration of a mass media outlet", "Licence for publishing activity"]),
    ("ORG-UZARCH", "Uzarchive Agency", &["Archival certificate of length of service", "Archival copy of a document"]),
    ("ORG-PF", "Pension Fund under the Ministry of Finance", &["Assignment of an old-age pension", "Statement of pension savings"]),
    ("ORG-UZE", "JSC Uzbekenergo", &["Connection to the electricity grid", "Technical conditions for power supply"]),
    ("ORG-UTG", "JSC Uztransgaz", &["Connection to the gas supply network", "Gas meter installation request"]),
    ("ORG-UZTL", "JSC Uzbektelecom", &["Connection of a fixed telephone line", "Connection to broadband internet"]),
    ("ORG-UTY", "JSC Uzbekiston temir yo'llari", &["Electronic railway ticket", "Application for rail freight transport"]),
    ("ORG-UAT", "Uzbek Agency for Automobile and River Transport", &["Licence for passenger road transport", "Permit for international road transport"]),
    ("ORG-CCI", "Chamber of Commerce and Industry", &["Certificate of force majeure", "Registration of a commercial pledge"]),
    ("ORG-CMRK", "Council of Ministers of the Republic of Karakalpakstan", &["Permit for trade at a market", "Allocation of a land plot for housing"]),
    ("ORG-KTC", "Khokimiyat of Tashkent city", &["Permit for outdoor advertising", "Approval of redevelopment of an apartment", "Enrolment in a pre-school institution"]),
    ("ORG-KTR", "Khokimiyat of Tashkent region", &["Allocation of a land plot for housing", "Permit for trade at a market"]),
    ("ORG-KSAM", "Khokimiyat of Samarkand region", &["Permit for outdoor advertising", "Approval of redevelopment of an apartment"]),
    ("ORG-KBUK", "Khokimiyat of Bukhara region", &["Allocation of a land plot for housing", "Permit for retail trade in alcohol"]),
    ("ORG-KAND", "Khokimiyat of Andijan region", &["Enrolment in a pre-school institution", "Permit for outdoor advertising"]),
    ("ORG-KFER", "Khokimiyat of Fergana region", &["Approval of redevelopment of an apartment", "Enrolment in a pre-school institution"]),
    ("ORG-KNAM", "Khokimiyat of Namangan region", &["Allocation of a land plot for housing", "Permit for trade at a market"]),
];

/// Qualifiers that turn a base service name into a distinct register entry.
const QUALIFIERS: &[&str] = &["", "", "", " (for individuals)", " (for legal entities)", " (renewal)", " (duplicate)", " (amendment)"];

/// splitmix64: tiny, fast, and good enough for synthetic figures.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next_u64();
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-high.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

const STREAM_ORGS: u64 = 1;
const STREAM_SERVICES: u64 = 2;
const STREAM_PENALTIES: u64 = 3;

/// The hidden "quality" (0..=1000) of each organisation, which biases its services' figures.
fn org_quality(seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed, STREAM_ORGS);
    // Skewed towards the top (mean about 750), so that a few organisations are excellent.
    ORGANIZATIONS
        .iter()
        .map(|_| 1000 - rng.range(0, 1000) * rng.range(0, 1000) / 1000)
        .collect()
}

/// One service record, already valid under the schema.
#[allow(missing_docs)] // the fields are the schema's, documented in the methodology
#[derive(Debug, Clone)]
pub struct Service {
    /// Index into the organisation list.
    pub org: usize,
    pub name: String,
    pub applications_total: u64,
    pub applications_electronic: u64,
    pub completed: u64,
    pub completed_on_time: u64,
    pub marks: [u64; 5],
    pub optimized: bool,
    pub documents_required: u64,
    pub documents_interagency: u64,
    pub maturity_stage: u64,
    /// description, documents, deadline, cost, legal basis, appeal.
    pub info: [bool; 6],
    /// Uptime in hundredths of a percent (0..=10000).
    pub availability_centi: u64,
    pub justified_complaints: u64,
}

fn make_service(rng: &mut Rng, quality: &[u64]) -> Service {
    let org = rng.below(ORGANIZATIONS.len() as u64) as usize;
    let (_, _, names) = ORGANIZATIONS[org];
    let name = format!(
        "{}{}",
        names[rng.below(names.len() as u64) as usize],
        QUALIFIERS[rng.below(QUALIFIERS.len() as u64) as usize]
    );
    // The service's own quality: the organisation's, give or take a quarter.
    let q = (quality[org] + rng.range(0, 500)).saturating_sub(250).min(1000);

    // A few services have little or no activity: these produce the "not
    // applicable" branches and the not-assessed services.
    let dormant = rng.chance(40);
    let applications_total = if dormant {
        if rng.chance(500) { 0 } else { rng.range(1, 40) }
    } else {
        let magnitude = 10u64.pow(rng.range(3, 5) as u32);
        rng.range(magnitude / 10, magnitude)
    };
    let electronic_pm = if dormant || rng.chance(15) {
        0
    } else {
        (q * rng.range(0, 1000) / 1000 + rng.range(0, 300)).min(1000)
    };
    let applications_electronic = applications_total * electronic_pm / 1000;
    let completed = if dormant { 0 } else { applications_electronic * rng.range(700, 1000) / 1000 };
    // Share on time: from 1000 per mille down by up to 40 % of the quality gap.
    let on_time_pm = 1000 - (1000 - q) * rng.range(0, 400) / 1000;
    let completed_on_time = if rng.chance(300) { completed * on_time_pm / 1000 } else { completed * (on_time_pm + rng.range(0, 1000 - on_time_pm)) / 1000 };

    // Marks: a share of the electronic applicants rate the service.
    let n = if dormant { rng.range(0, 9) } else { applications_electronic * rng.range(5, 60) / 100 };
    let weights = [
        (1000 - q) / 2 + rng.range(0, 60),
        (1000 - q) / 4 + rng.range(0, 60),
        (1000 - q) / 4 + rng.range(20, 120),
        150 + rng.range(0, 200),
        2 * q + rng.range(0, 100),
    ];
    let total_weight: u64 = weights.iter().sum();
    let mut marks = [0u64; 5];
    for k in 0..5 {
        marks[k] = n * weights[k] / total_weight;
    }
    let assigned: u64 = marks.iter().sum();
    marks[rng.below(5) as usize] += n - assigned;

    let optimized = rng.chance(250 + q / 2);
    let documents_required = rng.range(0, 8);
    let documents_interagency = documents_required * rng.range(0, q) / 1000;
    let maturity_stage = (1 + (q + rng.range(0, 1000)) / 500).min(4);
    let mut info = [false; 6];
    for present in &mut info {
        *present = rng.chance(450 + q / 2);
    }
    let loss = if rng.chance(30) { rng.range(0, 3000) } else { rng.range(0, (1000 - q) * 3 / 2 + 60) };
    let availability_centi = 10000 - loss;
    let justified_complaints = if rng.chance(q / 2) {
        0
    } else {
        applications_electronic * rng.range(0, (1000 - q) * 8 + 400) / 1_000_000
    };

    Service {
        org,
        name,
        applications_total,
        applications_electronic,
        completed,
        completed_on_time,
        marks,
        optimized,
        documents_required,
        documents_interagency,
        maturity_stage,
        info,
        availability_centi,
        justified_complaints,
    }
}

/// A CSV field, quoted when it contains a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn write_service(out: &mut dyn Write, index: usize, s: &Service) -> io::Result<()> {
    let (org_id, org_name, _) = ORGANIZATIONS[s.org];
    write!(
        out,
        "SRV-{:06},{},{},{},{},",
        index + 1,
        csv_field(&s.name),
        org_id,
        csv_field(org_name),
        PERIOD
    )?;
    write!(
        out,
        "{},{},{},{},",
        s.applications_total, s.applications_electronic, s.completed, s.completed_on_time
    )?;
    for m in s.marks {
        write!(out, "{m},")?;
    }
    write!(
        out,
        "{},{},{},{},",
        s.optimized, s.documents_required, s.documents_interagency, s.maturity_stage
    )?;
    for present in s.info {
        write!(out, "{present},")?;
    }
    writeln!(
        out,
        "{}.{:02},{}",
        s.availability_centi / 100,
        s.availability_centi % 100,
        s.justified_complaints
    )
}

/// The first `services` service records of seed `seed`, generated lazily.
pub fn services(services: usize, seed: u64) -> impl Iterator<Item = Service> {
    let quality = org_quality(seed);
    let mut rng = Rng::new(seed, STREAM_SERVICES);
    (0..services).map(move |_| make_service(&mut rng, &quality))
}

/// Writes the services CSV (header included), streaming: the same bytes as
/// `mezon sample`.
pub fn write_services(count: usize, seed: u64, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{SERVICE_HEADER}")?;
    for (index, service) in services(count, seed).enumerate() {
        write_service(out, index, &service)?;
    }
    Ok(())
}

/// Writes the organisations CSV (incl. header): one record per organisation,
/// a few of which entered their data late and one or two unreliable data.
pub fn write_organizations(seed: u64, out: &mut dyn Write) -> io::Result<()> {
    let mut rng = Rng::new(seed, STREAM_PENALTIES);
    let count = ORGANIZATIONS.len() as u64;
    let unreliable_a = rng.below(count) as usize;
    let unreliable_b = if rng.chance(500) { Some(rng.below(count) as usize) } else { None };
    writeln!(out, "organization_id,period,data_submitted_on_time,data_unreliable")?;
    for (index, (org_id, _, _)) in ORGANIZATIONS.iter().enumerate() {
        let on_time = !rng.chance(150);
        let unreliable = index == unreliable_a || Some(index) == unreliable_b;
        writeln!(out, "{org_id},{PERIOD},{on_time},{unreliable}")?;
    }
    Ok(())
}

const INFO_FIELDS: [&str; 6] = ["info_description", "info_documents", "info_deadline", "info_cost", "info_legal_basis", "info_appeal"];

impl Service {
    /// The uptime as the CSV writes it: `99.20`.
    pub fn availability_text(&self) -> String {
        format!("{}.{:02}", self.availability_centi / 100, self.availability_centi % 100)
    }

    /// The record as Mezon's CSV reader yields it (integers and booleans
    /// typed, the `number` field kept as exact decimal text), so an in-memory
    /// record takes the same validation path as one read from a file.
    pub fn to_map(&self, index: usize) -> Map<String, Value> {
        let (org_id, org_name, _) = ORGANIZATIONS[self.org];
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put("service_id", Value::from(format!("SRV-{:06}", index + 1)));
        put("service_name", Value::from(self.name.as_str()));
        put("organization_id", Value::from(org_id));
        put("organization_name", Value::from(org_name));
        put("period", Value::from(PERIOD));
        put("applications_total", Value::from(self.applications_total));
        put("applications_electronic", Value::from(self.applications_electronic));
        put("completed", Value::from(self.completed));
        put("completed_on_time", Value::from(self.completed_on_time));
        for (k, n) in self.marks.iter().enumerate() {
            put(&format!("marks_{}", k + 1), Value::from(*n));
        }
        put("optimized", Value::from(self.optimized));
        put("documents_required", Value::from(self.documents_required));
        put("documents_interagency", Value::from(self.documents_interagency));
        put("maturity_stage", Value::from(self.maturity_stage));
        for (name, present) in INFO_FIELDS.iter().zip(self.info) {
            put(name, Value::from(present));
        }
        put("availability_pct", Value::from(self.availability_text()));
        put("justified_complaints", Value::from(self.justified_complaints));
        m
    }

    /// The record as a JSON document with every figure a JSON number (the
    /// uptime parsed from its decimal text), as a JSON-native engine takes it.
    pub fn to_json_numbers(&self, index: usize) -> Value {
        let mut m = self.to_map(index);
        let pct: Value = serde_json::from_str(&self.availability_text()).expect("decimal text is a JSON number");
        m.insert("availability_pct".into(), pct);
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sample {
        services_csv: String,
        organizations_csv: String,
    }

    fn generate(services: usize, seed: u64) -> Sample {
        let (mut s, mut o) = (Vec::new(), Vec::new());
        write_services(services, seed, &mut s).unwrap();
        write_organizations(seed, &mut o).unwrap();
        Sample { services_csv: String::from_utf8(s).unwrap(), organizations_csv: String::from_utf8(o).unwrap() }
    }

    /// Splits one CSV line, honouring quoted fields.
    fn split(line: &str) -> Vec<String> {
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(String::new()),
                c => fields.last_mut().unwrap().push(c),
            }
        }
        fields
    }

    #[test]
    fn same_seed_same_bytes() {
        let a = generate(300, 2016);
        let b = generate(300, 2016);
        assert_eq!(a.services_csv, b.services_csv);
        assert_eq!(a.organizations_csv, b.organizations_csv);
        let c = generate(300, 2017);
        assert_ne!(a.services_csv, c.services_csv);
    }

    #[test]
    fn records_match_their_csv_rows() {
        let csv = generate(50, 7).services_csv;
        for (i, (s, line)) in services(50, 7).zip(csv.lines().skip(1)).enumerate() {
            let m = s.to_map(i);
            assert!(line.starts_with(&format!("{},", m["service_id"].as_str().unwrap())), "{line}");
            assert!(line.contains(&format!(",{},", s.availability_text())), "{line}");
        }
    }

    #[test]
    fn rows_respect_ranges_and_relations() {
        let sample = generate(2000, 2016);
        let mut lines = sample.services_csv.lines();
        let header: Vec<String> = split(lines.next().unwrap());
        assert_eq!(header.len(), 26);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let mut rows = 0;
        for line in lines {
            let row = split(line);
            assert_eq!(row.len(), header.len(), "{line}");
            let int = |name: &str| row[col(name)].parse::<u64>().unwrap();
            assert!(int("completed_on_time") <= int("completed"), "{line}");
            assert!(int("applications_electronic") <= int("applications_total"), "{line}");
            assert!(int("documents_interagency") <= int("documents_required"), "{line}");
            assert!((1..=4).contains(&int("maturity_stage")), "{line}");
            assert_eq!(int("period"), 2016);
            for k in 1..=5 {
                int(&format!("marks_{k}"));
            }
            int("justified_complaints");
            let availability = &row[col("availability_pct")];
            let (whole, frac) = availability.split_once('.').unwrap();
            assert_eq!(frac.len(), 2, "{availability}");
            let centi = whole.parse::<u64>().unwrap() * 100 + frac.parse::<u64>().unwrap();
            assert!(centi <= 10000, "{availability}");
            for name in ["optimized", "info_description", "info_appeal"] {
                assert!(matches!(row[col(name)].as_str(), "true" | "false"));
            }
            assert!(row[col("service_id")].starts_with("SRV-"));
            rows += 1;
        }
        assert_eq!(rows, 2000);
    }

    #[test]
    fn organisations_cover_every_provider() {
        let sample = generate(10, 1);
        let lines: Vec<&str> = sample.organizations_csv.lines().collect();
        assert_eq!(lines.len(), ORGANIZATIONS.len() + 1);
        assert!(lines[1..].iter().any(|l| l.ends_with(",true")), "at least one unreliable");
    }
}
