//! Norway's register of municipalities (SSB's classification 131), compiled in from
//! `data/municipalities.csv`: the numbers that may be enrolled, and their official names.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Where the register comes from, and the date its codes are valid from.
pub const SOURCE: &str = "Statistisk sentralbyrå (SSB), KLASS 131 Standard for kommuneinndeling";
pub const VALID_FROM: &str = "2026-01-01";

const DATA: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/municipalities.csv"
));

/// One municipality of the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisteredMunicipality {
    pub number: &'static str,
    pub name: &'static str,
}

struct Register {
    all: Vec<RegisteredMunicipality>,
    by_number: HashMap<&'static str, usize>,
}

fn register() -> &'static Register {
    static REGISTER: OnceLock<Register> = OnceLock::new();
    REGISTER.get_or_init(|| {
        // The file is ours and checked by the tests below; a line that is not `number,name`
        // would fail them, so here it is enough to skip the header.
        let all: Vec<RegisteredMunicipality> = DATA
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(','))
            .map(|(number, name)| RegisteredMunicipality { number, name })
            .collect();
        let by_number = all.iter().enumerate().map(|(i, m)| (m.number, i)).collect();
        Register { all, by_number }
    })
}

/// Every municipality, by number.
pub fn municipalities() -> &'static [RegisteredMunicipality] {
    &register().all
}

/// The municipality with this number, if the register has it.
pub fn find(number: &str) -> Option<RegisteredMunicipality> {
    let register = register();
    register.by_number.get(number).map(|&i| register.all[i])
}

/// A county (fylke) of the register: the first two digits of its municipalities' numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct County {
    pub number: &'static str,
    pub name: &'static str,
}

/// The counties the register's municipality numbers belong to (SSB's classification 104).
const COUNTIES: &[County] = &[
    County {
        number: "03",
        name: "Oslo",
    },
    County {
        number: "11",
        name: "Rogaland",
    },
    County {
        number: "15",
        name: "Møre og Romsdal",
    },
    County {
        number: "18",
        name: "Nordland",
    },
    County {
        number: "31",
        name: "Østfold",
    },
    County {
        number: "32",
        name: "Akershus",
    },
    County {
        number: "33",
        name: "Buskerud",
    },
    County {
        number: "34",
        name: "Innlandet",
    },
    County {
        number: "39",
        name: "Vestfold",
    },
    County {
        number: "40",
        name: "Telemark",
    },
    County {
        number: "42",
        name: "Agder",
    },
    County {
        number: "46",
        name: "Vestland",
    },
    County {
        number: "50",
        name: "Trøndelag",
    },
    County {
        number: "55",
        name: "Troms",
    },
    County {
        number: "56",
        name: "Finnmark",
    },
];

/// Every county, by number.
pub fn counties() -> &'static [County] {
    COUNTIES
}

/// The county with this number, if the register has it.
pub fn county(number: &str) -> Option<County> {
    COUNTIES.iter().copied().find(|c| c.number == number)
}

/// The municipalities of a county, by number.
pub fn municipalities_of(county: &str) -> impl Iterator<Item = RegisteredMunicipality> + '_ {
    municipalities()
        .iter()
        .copied()
        .filter(move |m| m.number.starts_with(county))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_municipality_is_in_a_county_and_every_county_has_municipalities() {
        for m in municipalities() {
            assert!(
                county(&m.number[..2]).is_some(),
                "{} has no county",
                m.number
            );
        }
        for c in counties() {
            assert!(
                municipalities_of(c.number).next().is_some(),
                "{} is empty",
                c.number
            );
        }
        assert_eq!(county("32").map(|c| c.name), Some("Akershus"));
        assert!(municipalities_of("32").any(|m| m.number == "3203"));
        assert!(county("99").is_none());
    }

    #[test]
    fn the_register_holds_every_municipality_once_in_number_order() {
        let all = municipalities();
        assert_eq!(all.len(), 357, "Norway has 357 municipalities since 2024");
        assert_eq!(DATA.lines().next(), Some("number,name"));
        for pair in all.windows(2) {
            assert!(pair[0].number < pair[1].number, "{pair:?}");
        }
        for m in all {
            assert!(
                m.number.len() == 4 && m.number.bytes().all(|b| b.is_ascii_digit()),
                "{m:?}"
            );
            assert!(!m.name.is_empty() && m.name.trim() == m.name, "{m:?}");
        }
    }

    #[test]
    fn numbers_are_found_with_their_official_names() {
        assert_eq!(find("3203").map(|m| m.name), Some("Asker"));
        assert_eq!(find("0301").map(|m| m.name), Some("Oslo"));
        assert_eq!(find("5001").map(|m| m.name), Some("Trondheim - Tråante"));
        // Merged away in 2024, and SSB's "not stated".
        assert_eq!(find("3003"), None);
        assert_eq!(find("9999"), None);
    }
}
