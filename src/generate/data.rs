//! The synthetic clinic the generators draw from: one Malaysian clinic's
//! services and staff (shaped like the Chup examples: Registration, Treatment
//! Room, Pharmacy, Dispensary, Billing, Cardiology, ...), the moves between
//! them, patients' names in the scripts and styles seen in Malaysia, phone
//! numbers shaped like the examples', and note texts.
//!
//! Everything here is invented. Names are assembled from common given names
//! and family names, staff names are roles or assembled names, e-mail
//! addresses use the reserved `example.com`/`.net`/`.org` domains. No real
//! person's data. The tables are `static`, so drawing from them allocates
//! nothing but the strings a payload owns.

use crate::rng::Rng;

/// A service of the clinic and the staff who serve it.
pub(super) struct ServiceEntry {
    pub id: u64,
    pub name: &'static str,
    pub staffs: &'static [u64],
    /// Whether patients book appointments for it (not Registration, Billing, ...).
    pub bookable: bool,
}

pub(super) struct StaffEntry {
    pub id: u64,
    pub name: &'static str,
}

/// Table rows on one line each.
const fn svc(id: u64, name: &'static str, staffs: &'static [u64], bookable: bool) -> ServiceEntry {
    ServiceEntry {
        id,
        name,
        staffs,
        bookable,
    }
}

const fn member(id: u64, name: &'static str) -> StaffEntry {
    StaffEntry { id, name }
}

pub(super) const REGISTRATION: u64 = 206;

/// The account that writes system notes ("Canceled by system. ..."); the
/// docs show user 383 there. It is deliberately not a staff member below.
pub(super) const SYSTEM_USER_ID: u64 = 383;

pub(super) static SERVICES: &[ServiceEntry] = &[
    svc(206, "Registration", &[262, 264], false),
    svc(254, "Treatment Room", &[261, 263, 265], true),
    svc(84, "Pharmacy", &[184, 185], false),
    svc(261, "Dispensary", &[184, 186], false),
    svc(108, "Billing", &[180, 181], false),
    svc(520, "Cardiology", &[371, 372], true),
    svc(301, "Consultation Room 1", &[373], true),
    svc(302, "Consultation Room 2", &[374, 375], true),
    svc(310, "Makmal / Laboratory", &[390], true),
    svc(311, "X-Ray / Radiology", &[391], true),
    svc(315, "Dental", &[392], true),
    svc(320, "Klinik Ibu & Anak", &[393, 265], true),
    svc(330, "Physiotherapy", &[394], true),
    svc(340, "Vaccination", &[395, 263], true),
    svc(350, "Paediatrics", &[376], true),
    svc(360, "Eye Clinic (Mata)", &[377], true),
];

/// Staff names are counter roles (as in the examples) or assembled names;
/// some carry a `/`, an apostrophe or CJK to exercise encoders.
pub(super) static STAFF: &[StaffEntry] = &[
    member(180, "Billing staff"),
    member(181, "Kaunter Bayaran 2"),
    member(184, "Pharmacist"),
    member(185, "Farmasi - Nurul Izzah"),
    member(186, "Dispensary assistant"),
    member(261, "Treatment Room staff"),
    member(262, "Registration"),
    member(263, "Treatment Room staff"),
    member(264, "Kaunter Pendaftaran 2"),
    member(265, "SN Lim Siew Lan"),
    member(371, "DATO' DR. AZMAN BIN KASSIM"),
    member(372, "Dr. Chong Kah Wai"),
    member(373, "Dr. Tan Wei Ming"),
    member(374, "Dr. Kavitha a/p Raju"),
    member(375, "Dr. Nor'ain binti Yusof"),
    member(376, "Dr. Siti / Locum"),
    member(377, "陈医生 Dr. Chen"),
    member(390, "Lab technician"),
    member(391, "Radiographer"),
    member(392, "Dr. Harpreet Kaur"),
    member(393, "Bidan Rohani"),
    member(394, "Physio - Arun a/l Muthu"),
    member(395, "Vaccination nurse"),
];

/// Moves a patient plausibly makes between services (`from`, `to`), by
/// service id. `(84, 261)` is the docs' "Dispense".
pub(super) static TRANSITS: &[(u64, u64)] = &[
    (206, 254),
    (206, 301),
    (206, 302),
    (206, 520),
    (206, 315),
    (206, 320),
    (206, 350),
    (206, 360),
    (301, 84),
    (302, 84),
    (301, 310),
    (302, 311),
    (310, 301),
    (311, 302),
    (254, 84),
    (520, 84),
    (84, 261),
    (301, 108),
    (302, 108),
    (254, 108),
    (108, 261),
    (350, 340),
    (320, 340),
    (301, 330),
];

pub(super) fn service(id: u64) -> &'static ServiceEntry {
    SERVICES
        .iter()
        .find(|s| s.id == id)
        .expect("service ids in the tables are in SERVICES (checked by a unit test)")
}

pub(super) fn staff(id: u64) -> &'static StaffEntry {
    STAFF
        .iter()
        .find(|s| s.id == id)
        .expect("staff ids in SERVICES are in STAFF (checked by a unit test)")
}

pub(super) const TRANSIT_PREFIX: &str = "Visit Transits: ";
pub(super) const TRANSIT_ARROW: &str = " → ";
pub(super) const SYSTEM_CANCEL: &str = "Canceled by system. No show more than 30 minutes.";

/// Staff notes on a visit or a booking, in the languages a Malaysian clinic writes them.
pub(super) static NOTES: &[&str] = &[
    "Pesakit minta tunggu di luar.",
    "Sila bawa kad pengenalan dan kad temujanji.",
    "Ulang ubat darah tinggi (2 bulan).",
    "Pesakit berkerusi roda, bantu di kaunter 3.",
    "病人要求下午复诊。",
    "请带身份证和预约卡。",
    "நோயாளி வெளியே காத்திருக்கிறார்.",
    "Follow-up in 2 weeks; BP 130/85.",
    "Patient prefers a female doctor.",
    "Interpreter needed: Bahasa Indonesia.",
    "Alahan: penisilin ⚠",
    "Temujanji susulan → Eye Clinic (Mata)",
];

/// `admin_remarks` of appointments.
pub(super) static REMARKS: &[&str] = &[
    "Datang 10 minit awal.",
    "Puasa 8 jam sebelum ujian darah.",
    "请空腹前来抽血。",
    "Bring previous X-ray films / reports.",
    "Booked by phone; confirm IC at counter.",
];

/// Where a phone number is from, which fixes its shape.
#[derive(Clone, Copy)]
enum Country {
    Malaysia,
    Singapore,
    Indonesia,
    Pakistan,
    Vietnam,
    Bangladesh,
    Thailand,
    Korea,
    Britain,
    Spain,
}

const MALAY_MEN: &[&str] = &[
    "Ahmad",
    "Muhammad Hafiz",
    "Mohd Faizal",
    "Amirul",
    "Izzat",
    "Hakim",
    "Syafiq",
    "Khairul Anuar",
    "Zulhilmi",
    "Firdaus",
    "Wan Azri",
    "Nik Aiman",
];
const MALAY_WOMEN: &[&str] = &[
    "Nur Aisyah",
    "Siti Khadijah",
    "Nurul Huda",
    "Farah Adibah",
    "Aina Sofea",
    "Nor Azlina",
    "Wan Nurul",
    "Puteri Balqis",
    "Hajar",
    "Nur Iman",
];
const MALAY_FATHERS: &[&str] = &[
    "Ahmad",
    "Rosli",
    "Ismail",
    "Abdullah",
    "Hassan",
    "Kamal",
    "Yusof",
    "Abu Bakar",
    "Zainal",
    "Osman",
    "Razak",
    "Mat Isa",
];

/// (Latin, Hanzi) pairs: surnames as Malaysian Chinese spell them.
const CHINESE_SURNAMES: &[(&str, &str)] = &[
    ("Tan", "陈"),
    ("Lim", "林"),
    ("Lee", "李"),
    ("Wong", "黄"),
    ("Chong", "张"),
    ("Ong", "王"),
    ("Teh", "郑"),
    ("Yap", "叶"),
    ("Goh", "吴"),
    ("Chua", "蔡"),
];
const CHINESE_GIVEN: &[(&str, &str)] = &[
    ("Mei Ling", "美玲"),
    ("Wei Ming", "伟明"),
    ("Jia Hui", "佳慧"),
    ("Zhi Hao", "志豪"),
    ("Xin Yi", "欣怡"),
    ("Kah Wai", "家伟"),
    ("Siew Lan", "秀兰"),
    ("Boon Kiat", "文杰"),
    ("Hui Min", "慧敏"),
    ("Jun Jie", "俊杰"),
];
const CHRISTIAN_NAMES: &[&str] = &["Jason", "Michelle", "Kelvin", "Jasmine", "Alvin", "Cheryl"];

/// (Latin, Tamil) pairs.
const TAMIL_MEN: &[(&str, &str)] = &[
    ("Murugan", "முருகன்"),
    ("Ravi", "ரவி"),
    ("Arjun", "அர்ஜுன்"),
    ("Suresh", "சுரேஷ்"),
    ("Ganesh", "கணேஷ்"),
];
const TAMIL_WOMEN: &[(&str, &str)] = &[
    ("Kavitha", "கவிதா"),
    ("Priya", "பிரியா"),
    ("Lakshmi", "லட்சுமி"),
    ("Selvi", "செல்வி"),
    ("Devi", "தேவி"),
];
const TAMIL_FATHERS: &[(&str, &str)] = &[
    ("Raju", "ராஜு"),
    ("Subramaniam", "சுப்பிரமணியம்"),
    ("Krishnan", "கிருஷ்ணன்"),
    ("Muthu", "முத்து"),
    ("Rajendran", "ராஜேந்திரன்"),
    ("Ganesan", "கணேசன்"),
];

/// Whole names of other communities: (display, e-mail stem, country).
const OTHERS: &[(&str, &str, Country)] = &[
    // Sikh Malaysians, Latin and Gurmukhi.
    ("Harpreet Kaur", "harpreet.kaur", Country::Malaysia),
    ("ਹਰਪ੍ਰੀਤ ਕੌਰ", "harpreet.kaur", Country::Malaysia),
    (
        "Gurpreet Singh a/l Jaswant Singh",
        "gurpreet.singh",
        Country::Malaysia,
    ),
    ("ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ", "gurpreet.singh", Country::Malaysia),
    // Sabah and Sarawak.
    ("Jenny anak Jimbun", "jenny.jimbun", Country::Malaysia),
    ("Mathew anak Nyalau", "mathew.nyalau", Country::Malaysia),
    (
        "Dayang Norhayati binti Abang Sulaiman",
        "dayang.norhayati",
        Country::Malaysia,
    ),
    ("Jovita Lojingki", "jovita.lojingki", Country::Malaysia),
    // Malay names in Jawi.
    ("نور عائشة بنت احمد", "nur.aisyah", Country::Malaysia),
    ("محمد حافظ بن عثمان", "hafiz.osman", Country::Malaysia),
    // Patients from abroad.
    ("Saad", "saad", Country::Pakistan),
    ("Muhammad Saad Khan", "saad.khan", Country::Pakistan),
    ("سعد خان", "saad.khan", Country::Pakistan),
    ("Ayesha Bibi", "ayesha.bibi", Country::Pakistan),
    ("Budi Santoso", "budi.santoso", Country::Indonesia),
    ("Dewi Lestari", "dewi.lestari", Country::Indonesia),
    ("Agus Setiawan", "agus.setiawan", Country::Indonesia),
    ("Nguyễn Thị Hoa", "hoa.nguyen", Country::Vietnam),
    ("Trần Văn Minh", "minh.tran", Country::Vietnam),
    ("Md. Rahim Uddin", "rahim.uddin", Country::Bangladesh),
    ("রহিম উদ্দিন", "rahim.uddin", Country::Bangladesh),
    ("สมชาย ใจดี", "somchai.jaidee", Country::Thailand),
    ("김민지 (Kim Min-ji)", "minji.kim", Country::Korea),
    ("Emily O'Brien", "emily.obrien", Country::Britain),
    ("José García", "jose.garcia", Country::Spain),
];

/// A synthetic patient.
pub(super) struct Person {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
}

/// Appends `text` to an e-mail stem: ASCII letters and digits lowercased,
/// runs of anything else as one `.`.
fn push_stem(stem: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            stem.push(c.to_ascii_lowercase());
        } else if !stem.is_empty() && !stem.ends_with('.') {
            stem.push('.');
        }
    }
    while stem.ends_with('.') {
        stem.pop();
    }
}

fn malay(rng: &mut Rng, name: &mut String, stem: &mut String) {
    let man = rng.chance(0.5);
    let given = *rng.pick(if man { MALAY_MEN } else { MALAY_WOMEN });
    let father = *rng.pick(MALAY_FATHERS);
    let link = if man { " bin " } else { " binti " };
    match rng.below(10) {
        // Upper case, as on the MyKad and in many clinic systems.
        0..=1 => {
            for part in [given, link, father] {
                name.extend(part.chars().map(|c| c.to_ascii_uppercase()));
            }
        }
        2 => {
            name.push_str(given);
            name.push(' ');
            name.push_str(father);
        }
        _ => {
            name.push_str(given);
            name.push_str(link);
            name.push_str(father);
        }
    }
    push_stem(stem, given);
    stem.push('.');
    push_stem(stem, father);
}

fn chinese(rng: &mut Rng, name: &mut String, stem: &mut String) {
    let (family, family_han) = *rng.pick(CHINESE_SURNAMES);
    let (given, given_han) = *rng.pick(CHINESE_GIVEN);
    match rng.below(10) {
        0..=3 => {
            name.push_str(family);
            name.push(' ');
            name.push_str(given);
        }
        4..=5 => {
            name.push_str(family_han);
            name.push_str(given_han);
        }
        6..=7 => {
            name.push_str(family_han);
            name.push_str(given_han);
            name.push_str(" (");
            name.push_str(family);
            name.push(' ');
            name.push_str(given);
            name.push(')');
        }
        _ => {
            let christian = *rng.pick(CHRISTIAN_NAMES);
            name.push_str(christian);
            name.push(' ');
            name.push_str(family);
            name.push(' ');
            name.push_str(given);
        }
    }
    push_stem(stem, given);
    stem.push('.');
    push_stem(stem, family);
}

fn indian(rng: &mut Rng, name: &mut String, stem: &mut String) {
    let man = rng.chance(0.5);
    let (given, given_ta) = *rng.pick(if man { TAMIL_MEN } else { TAMIL_WOMEN });
    let (father, father_ta) = *rng.pick(TAMIL_FATHERS);
    let link = if man { " a/l " } else { " a/p " };
    match rng.below(10) {
        0..=4 => {
            name.push_str(given);
            name.push_str(link);
            name.push_str(father);
        }
        5..=6 => {
            name.push_str(given_ta);
            name.push_str(link);
            name.push_str(father);
        }
        7 => {
            name.push_str(given_ta);
            name.push(' ');
            name.push_str(father_ta);
        }
        _ => {
            for part in [given, link, father] {
                name.extend(part.chars().map(|c| c.to_ascii_uppercase()));
            }
        }
    }
    push_stem(stem, given);
    stem.push('.');
    push_stem(stem, father);
}

fn push_digits(rng: &mut Rng, out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(char::from(b'0' + rng.below(10) as u8));
    }
}

fn push_one_of(rng: &mut Rng, out: &mut String, digits: &[u8]) {
    out.push(char::from(*rng.pick(digits)));
}

/// A phone number in international form without `+`, shaped like the
/// examples (`60123456789`, `6012345678`, `601234567890`, `628123456789`,
/// `923093927454`): 10 to 13 digits depending on the country.
fn phone(rng: &mut Rng, country: Country) -> String {
    let mut p = String::with_capacity(13);
    match country {
        Country::Malaysia => match rng.below(100) {
            // 01X-XXX XXXX mobiles: 11 digits.
            0..=69 => {
                p.push_str("601");
                push_one_of(rng, &mut p, b"02346789");
                push_digits(rng, &mut p, 7);
            }
            // 011-XXXX XXXX mobiles: 12 digits.
            70..=84 => {
                p.push_str("6011");
                push_digits(rng, &mut p, 8);
            }
            // The docs' ten-digit shape `6012345678`.
            85..=92 => {
                p.push_str("601");
                push_one_of(rng, &mut p, b"239");
                push_digits(rng, &mut p, 6);
            }
            // Sabah and Sarawak landlines, 08X-XXXXXX: 10 digits.
            _ => {
                p.push_str("608");
                push_one_of(rng, &mut p, b"245689");
                push_digits(rng, &mut p, 6);
            }
        },
        Country::Singapore => {
            p.push_str("65");
            push_one_of(rng, &mut p, b"89");
            push_digits(rng, &mut p, 7);
        }
        Country::Indonesia => {
            p.push_str("628");
            push_one_of(rng, &mut p, b"1257");
            push_digits(rng, &mut p, 8);
        }
        Country::Pakistan => {
            p.push_str("923");
            push_one_of(rng, &mut p, b"01234");
            push_digits(rng, &mut p, 8);
        }
        Country::Vietnam => {
            p.push_str("84");
            push_one_of(rng, &mut p, b"3789");
            push_digits(rng, &mut p, 8);
        }
        Country::Bangladesh => {
            p.push_str("8801");
            push_one_of(rng, &mut p, b"3456789");
            push_digits(rng, &mut p, 8);
        }
        Country::Thailand => {
            p.push_str("66");
            push_one_of(rng, &mut p, b"689");
            push_digits(rng, &mut p, 8);
        }
        Country::Korea => {
            p.push_str("8210");
            push_digits(rng, &mut p, 8);
        }
        Country::Britain => {
            p.push_str("447");
            push_digits(rng, &mut p, 9);
        }
        Country::Spain => {
            p.push_str("34");
            push_one_of(rng, &mut p, b"67");
            push_digits(rng, &mut p, 8);
        }
    }
    p
}

const EMAIL_DOMAINS: &[&str] = &["@example.com", "@example.net", "@example.org"];

/// A synthetic patient: a name in one of Malaysia's naming styles or a
/// visitor's, a phone shaped for their country, sometimes an e-mail address.
pub(super) fn person(rng: &mut Rng) -> Person {
    let mut name = String::with_capacity(48);
    let mut stem = String::with_capacity(32);
    let country = match rng.below(100) {
        0..=39 => {
            malay(rng, &mut name, &mut stem);
            Country::Malaysia
        }
        40..=61 => {
            chinese(rng, &mut name, &mut stem);
            // Some Malaysian Chinese patients use a Singapore number.
            if rng.chance(0.1) {
                Country::Singapore
            } else {
                Country::Malaysia
            }
        }
        62..=75 => {
            indian(rng, &mut name, &mut stem);
            Country::Malaysia
        }
        _ => {
            let (display, email_stem, country) = *rng.pick(OTHERS);
            name.push_str(display);
            stem.push_str(email_stem);
            country
        }
    };
    let phone = phone(rng, country);
    let email = rng.chance(0.7).then(|| {
        let mut e = stem;
        if rng.chance(0.5) {
            e.push(char::from(b'0' + rng.below(10) as u8));
            e.push(char::from(b'0' + rng.below(10) as u8));
        }
        let domain = *rng.pick(EMAIL_DOMAINS);
        e.push_str(domain);
        e
    });
    Person { name, phone, email }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_in_the_tables_resolves() {
        for s in SERVICES {
            assert!(!s.staffs.is_empty(), "service {} has no staff", s.id);
            for id in s.staffs {
                assert_eq!(staff(*id).id, *id);
            }
        }
        for (from, to) in TRANSITS {
            assert_ne!(service(*from).name, service(*to).name);
        }
        assert!(STAFF.iter().all(|s| s.id != SYSTEM_USER_ID));
        assert!(STAFF
            .iter()
            .all(|s| SERVICES.iter().any(|v| v.staffs.contains(&s.id))));
    }

    #[test]
    fn phones_are_digits_of_ten_to_thirteen() {
        let mut rng = Rng::new(1);
        let mut lengths = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            let p = person(&mut rng);
            assert!(p.phone.bytes().all(|b| b.is_ascii_digit()), "{}", p.phone);
            lengths.insert(p.phone.len());
            if let Some(e) = &p.email {
                assert!(e.is_ascii() && e.contains("@example."), "{e}");
                assert!(!e.starts_with('.') && !e.contains(".@"), "{e}");
            }
        }
        assert_eq!(
            lengths.into_iter().collect::<Vec<_>>(),
            vec![10, 11, 12, 13]
        );
    }
}
