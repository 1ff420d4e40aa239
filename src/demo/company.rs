//! Who works where in the demo company: twelve departments in three levels and about 300
//! people with German and English names. Pure data, fixed by the seed.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use crate::i18n::Locale;

/// `.invalid` can never be delivered (RFC 2606), so no demo address reaches a real person.
pub const EMAIL_DOMAIN: &str = "demo.kundenpuls.invalid";

pub struct Department {
    pub path: &'static str,
    /// Own members, not counting the teams below.
    pub headcount: usize,
}

/// Parents before their children. Every department has enough own members for its figures to
/// pass the default threshold of 5 at ordinary participation: a demo full of hidden figures
/// would show the suppression, not the story.
pub const DEPARTMENTS: [Department; 12] = [
    Department {
        path: "Vertrieb",
        headcount: 14,
    },
    Department {
        path: "Vertrieb / Außendienst",
        headcount: 18,
    },
    Department {
        path: "Vertrieb / Außendienst / Nord",
        headcount: 32,
    },
    Department {
        path: "Vertrieb / Außendienst / Süd",
        headcount: 34,
    },
    Department {
        path: "Vertrieb / Innendienst",
        headcount: 30,
    },
    Department {
        path: "Kundenservice",
        headcount: 14,
    },
    Department {
        path: "Kundenservice / Hotline",
        headcount: 42,
    },
    Department {
        path: "Kundenservice / Beschwerdemanagement",
        headcount: 22,
    },
    Department {
        path: "Produktion & Logistik",
        headcount: 14,
    },
    Department {
        path: "Produktion & Logistik / Lager",
        headcount: 36,
    },
    Department {
        path: "Produktion & Logistik / Qualitätsprüfung",
        headcount: 20,
    },
    Department {
        path: "Verwaltung",
        headcount: 24,
    },
];

const GERMAN_FIRST: &[&str] = &[
    "Anna",
    "Lukas",
    "Sophie",
    "Jonas",
    "Marie",
    "Leon",
    "Lena",
    "Felix",
    "Laura",
    "Paul",
    "Julia",
    "Maximilian",
    "Hannah",
    "Tobias",
    "Katharina",
    "Jan",
    "Sarah",
    "Niklas",
    "Lea",
    "Florian",
    "Johanna",
    "Sebastian",
    "Clara",
    "Moritz",
    "Emilia",
    "Matthias",
    "Franziska",
    "Andreas",
    "Jürgen",
    "Sabine",
    "Björn",
    "Jörg",
    "Dominik",
    "Theresa",
    "Uwe",
    "Birgit",
    "Anna-Lena",
    "Hans-Peter",
    "Karl-Heinz",
    "Özlem",
];

const GERMAN_LAST: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
    "Maier",
    "Fuchs",
    "Jäger",
    "Vogel",
    "Keller",
    "Günther",
    "Berger",
    "Roth",
    "Böhm",
    "Weiß",
    "Seidel",
    "Groß",
    "Kühn",
    "Möller",
    "Yılmaz",
    "Nowak",
];

const ENGLISH_FIRST: &[&str] = &[
    "Olivia", "James", "Emily", "Oliver", "Harry", "Amelia", "George", "Isla", "Jack", "Grace",
    "Thomas", "Chloe", "William", "Ella", "Daniel", "Megan", "Samuel", "Lucy", "Ethan", "Ava",
    "Noah", "Ruby", "Liam", "Zoe",
];

const ENGLISH_LAST: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke", "O'Connor", "Hughes", "Patel", "Murphy", "Kelly", "Bennett",
];

/// Share of people with German names; the rest have English ones.
const GERMAN_NAMES: f64 = 0.78;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
    /// Index into [`DEPARTMENTS`].
    pub department: usize,
    pub locale: Locale,
}

pub fn headcount() -> usize {
    DEPARTMENTS.iter().map(|d| d.headcount).sum()
}

/// Everyone, department by department. A name's origin decides the language mostly, not
/// always: colleagues from abroad read German mail, some Germans prefer English.
pub fn people(seed: u64) -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut taken_names = HashSet::new();
    let mut taken_emails = HashSet::new();
    let mut people = Vec::with_capacity(headcount());
    for (department, spec) in DEPARTMENTS.iter().enumerate() {
        for _ in 0..spec.headcount {
            let german = rng.random_bool(GERMAN_NAMES);
            let (firsts, lasts) = if german {
                (GERMAN_FIRST, GERMAN_LAST)
            } else {
                (ENGLISH_FIRST, ENGLISH_LAST)
            };
            let (first, last) = loop {
                let first = *firsts.choose(&mut rng).expect("names");
                let last = *lasts.choose(&mut rng).expect("names");
                if taken_names.insert((first, last)) {
                    break (first, last);
                }
            };
            let locale = match (german, rng.random_bool(0.1)) {
                (true, false) | (false, true) => Locale::De,
                _ => Locale::En,
            };
            let local = format!("{}.{}", ascii(first), ascii(last));
            let mut email = format!("{local}@{EMAIL_DOMAIN}");
            let mut n = 2;
            while !taken_emails.insert(email.clone()) {
                email = format!("{local}{n}@{EMAIL_DOMAIN}");
                n += 1;
            }
            people.push(Person {
                name: format!("{first} {last}"),
                email,
                department,
                locale,
            });
        }
    }
    // An export lists people by name, not by department.
    people.shuffle(&mut rng);
    people
}

/// A mail address's local part as company mail systems spell names: umlauts written out,
/// anything else that is not a letter, digit or hyphen left out.
fn ascii(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'ı' => out.push('i'),
            c if c.is_ascii_alphanumeric() || c == '-' => out.push(c),
            _ => {}
        }
    }
    out
}

/// The people as HR's export would list them, so that the demo goes through the real import.
pub fn import_file(people: &[Person]) -> Vec<u8> {
    let mut file = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    file.write_record(["E-Mail", "Name", "Abteilung", "Sprache"])
        .expect("writing to memory");
    for person in people {
        file.write_record([
            person.email.as_str(),
            person.name.as_str(),
            DEPARTMENTS[person.department].path,
            person.locale.as_str(),
        ])
        .expect("writing to memory");
    }
    file.into_inner().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_departments_in_three_levels_parents_first() {
        let paths: Vec<&str> = DEPARTMENTS.iter().map(|d| d.path).collect();
        assert_eq!(paths.len(), 12);
        let depth = |path: &str| path.split(" / ").count();
        assert_eq!(paths.iter().map(|p| depth(p)).max(), Some(3));
        for (at, path) in paths.iter().enumerate() {
            if let Some((parent, _)) = path.rsplit_once(" / ") {
                let parent_at = paths.iter().position(|p| *p == parent);
                assert!(parent_at.is_some_and(|p| p < at), "{path}");
            }
        }
        assert!(paths.iter().any(|p| p.contains('ü')) && paths.iter().any(|p| p.contains('ß')));
    }

    #[test]
    fn about_300_people_with_unique_addresses_in_both_languages() {
        let people = people(7);
        assert_eq!(people.len(), headcount());
        assert!((280..=320).contains(&people.len()));
        let emails: HashSet<&str> = people.iter().map(|p| p.email.as_str()).collect();
        assert_eq!(emails.len(), people.len());
        assert!(
            emails
                .iter()
                .all(|e| e.is_ascii() && e.ends_with(".invalid"))
        );
        let english = people.iter().filter(|p| p.locale == Locale::En).count();
        assert!((30..=120).contains(&english), "{english} English speakers");
        assert!(people.iter().any(|p| p.name.contains(['ä', 'ö', 'ü', 'ß'])));
        for (index, spec) in DEPARTMENTS.iter().enumerate() {
            let members = people.iter().filter(|p| p.department == index).count();
            assert_eq!(members, spec.headcount, "{}", spec.path);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_people() {
        assert_eq!(people(3), people(3));
        assert_ne!(people(3), people(4));
    }

    #[test]
    fn names_become_plain_addresses() {
        assert_eq!(ascii("Jürgen"), "juergen");
        assert_eq!(ascii("Weiß"), "weiss");
        assert_eq!(ascii("O'Connor"), "oconnor");
        assert_eq!(ascii("Anna-Lena"), "anna-lena");
        assert_eq!(ascii("Yılmaz"), "yilmaz");
        assert_eq!(ascii("Özlem"), "oezlem");
    }

    #[test]
    fn the_export_has_a_header_and_a_line_per_person() {
        let people = people(1);
        let file = String::from_utf8(import_file(&people)).unwrap();
        assert!(file.starts_with("E-Mail;Name;Abteilung;Sprache\n"));
        assert_eq!(file.lines().count(), people.len() + 1);
        assert!(file.contains("Vertrieb / Außendienst / Süd"));
    }
}
