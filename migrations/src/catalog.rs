//! The seeded question catalog of kundenpuls.
//!
//! These items are written into the database when a fresh instance is set up.
//! Every item has a stable `key`: trends and the API refer to items by key, so a
//! key never changes when the wording is improved, and trend lines survive
//! rewording.
//!
//! The items were written fresh for kundenpuls. Their dimensions are modelled on
//! Narver & Slater's market orientation (customer orientation, interfunctional
//! coordination), Kohli & Jaworski's market intelligence (generating, sharing and
//! acting on customer knowledge) and Schneider's service climate, but no item is
//! taken from those copyrighted scales.

/// One item of the seeded catalog.
pub struct CatalogItem {
    /// Stable key: trends and API refer to it, so it never changes when the wording does.
    pub key: &'static str,
    /// "customer_focus" | "leadership" | "values"; None for the recommendation item and the comment.
    pub pillar: Option<&'static str>,
    /// "likert5" | "nps11" | "text"
    pub scale: &'static str,
    /// Agreement means a worse state (answers are turned, 6 - v, before any figure).
    pub reverse_coded: bool,
    /// Asked in every pulse so that trend lines compare like with like.
    pub core: bool,
    /// In rotation from the start. Five alternates start inactive so that the default pulse of
    /// 8 items can ask every active item at least once in every 4 rounds (3 pillar cores + the
    /// 0-10 item + 4 rotating slots x 4 rounds = 16 rotating items); HR can switch them on and
    /// raise the pulse size.
    pub active: bool,
    pub text_de: &'static str,
    pub text_en: &'static str,
}

pub const CATALOG: &[CatalogItem] = &[
    // --- customer_focus ---
    CatalogItem {
        key: "cf_goals_customer_value",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: false,
        core: true,
        active: true,
        text_de: "Bei uns richten sich Ziele und Entscheidungen spürbar am Nutzen für unsere Kunden aus.",
        text_en: "Our goals and decisions are clearly guided by what benefits our customers.",
    },
    CatalogItem {
        key: "cf_processes_hinder_customers",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: true,
        core: false,
        active: true,
        text_de: "Unsere internen Abläufe machen es uns schwer, Kunden gut zu bedienen.",
        text_en: "Our internal processes make it hard for us to serve customers well.",
    },
    CatalogItem {
        key: "cf_know_customer_needs",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "In meinem Bereich wissen wir genau, was unsere Kunden brauchen und erwarten.",
        text_en: "In my area we know exactly what our customers need and expect.",
    },
    CatalogItem {
        key: "cf_ask_customers_regularly",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: false,
        text_de: "In meinem Bereich holen wir regelmäßig die Meinung unserer Kunden ein.",
        text_en: "In my area we regularly ask customers what they think of us.",
    },
    CatalogItem {
        key: "cf_feedback_reaches_me",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Rückmeldungen von Kunden erreichen mich schnell und ohne Umwege.",
        text_en: "Feedback from customers reaches me quickly and directly.",
    },
    CatalogItem {
        key: "cf_complaints_passed_around",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: true,
        core: false,
        active: true,
        text_de: "Kundenbeschwerden werden bei uns oft zwischen Abteilungen hin- und hergeschoben.",
        text_en: "Customer complaints often get passed back and forth between departments here.",
    },
    CatalogItem {
        key: "cf_share_customer_knowledge",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Wissen über unsere Kunden teilen wir bei uns mit allen, die es brauchen.",
        text_en: "We share what we know about our customers with everyone who needs it.",
    },
    CatalogItem {
        key: "cf_act_on_customer_insights",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: false,
        text_de: "Was wir über Kunden lernen, setzen wir in meinem Bereich in konkrete Verbesserungen um.",
        text_en: "In my area, what we learn about customers turns into concrete improvements.",
    },
    CatalogItem {
        key: "cf_daily_decisions",
        pillar: Some("customer_focus"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: false,
        text_de: "Bei alltäglichen Entscheidungen fragen wir uns, was sie für unsere Kunden bedeuten.",
        text_en: "In everyday decisions we ask ourselves what they mean for our customers.",
    },
    // --- leadership ---
    CatalogItem {
        key: "ld_leadership_customer_centred",
        pillar: Some("leadership"),
        scale: "likert5",
        reverse_coded: false,
        core: true,
        active: true,
        text_de: "Unsere Führung stellt die Kunden spürbar in den Mittelpunkt – in Worten und Taten.",
        text_en: "Our leadership clearly puts customers first, in words and in deeds.",
    },
    CatalogItem {
        key: "ld_top_management_example",
        pillar: Some("leadership"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Die Geschäftsleitung lebt Kundenorientierung sichtbar vor.",
        text_en: "Top management visibly sets an example of customer focus.",
    },
    CatalogItem {
        key: "ld_customer_goals",
        pillar: Some("leadership"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Meine Führungskraft setzt uns Ziele für Kundenzufriedenheit, nicht nur für Umsatz.",
        text_en: "My manager sets us goals for customer satisfaction, not just for revenue.",
    },
    CatalogItem {
        key: "ld_asks_customer_view",
        pillar: Some("leadership"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Meine Führungskraft fragt bei Entscheidungen, wie unsere Kunden das sehen würden.",
        text_en: "When making decisions, my manager asks how our customers would see it.",
    },
    CatalogItem {
        key: "ld_leaders_far_from_customers",
        pillar: Some("leadership"),
        scale: "likert5",
        reverse_coded: true,
        core: false,
        active: true,
        text_de: "Unsere Führungskräfte sind weit weg von dem, was Kunden bei uns wirklich erleben.",
        text_en: "Our leaders are far removed from what customers actually experience with us.",
    },
    CatalogItem {
        key: "ld_recognises_customer_work",
        pillar: Some("leadership"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: false,
        text_de: "Meine Führungskraft erkennt es an, wenn sich jemand besonders für Kunden einsetzt.",
        text_en: "My manager recognises it when someone goes the extra mile for customers.",
    },
    CatalogItem {
        key: "ld_removes_obstacles",
        pillar: Some("leadership"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: false,
        text_de: "Meine Führungskraft räumt Hürden aus dem Weg, die uns im Umgang mit Kunden bremsen.",
        text_en: "My manager clears away obstacles that get in the way of serving customers.",
    },
    // --- values ---
    CatalogItem {
        key: "va_values_practised",
        pillar: Some("values"),
        scale: "likert5",
        reverse_coded: false,
        core: true,
        active: true,
        text_de: "Unsere Werte werden bei uns im Alltag gelebt und stehen nicht nur auf dem Papier.",
        text_en: "Our values are practised in everyday work, not just printed on paper.",
    },
    CatalogItem {
        key: "va_trust",
        pillar: Some("values"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "In meinem Team vertrauen wir einander.",
        text_en: "In my team we trust each other.",
    },
    CatalogItem {
        key: "va_listening",
        pillar: Some("values"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Bei uns hören wir einander zu, bevor wir urteilen.",
        text_en: "Here we listen to each other before we pass judgement.",
    },
    CatalogItem {
        key: "va_responsibility",
        pillar: Some("values"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "In meinem Team übernimmt jede und jeder Verantwortung für das eigene Ergebnis.",
        text_en: "In my team everyone takes responsibility for their own results.",
    },
    CatalogItem {
        key: "va_collaboration",
        pillar: Some("values"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Über Teamgrenzen hinweg arbeiten wir gut und gern zusammen.",
        text_en: "We work well together across teams, and we enjoy it.",
    },
    CatalogItem {
        key: "va_respect",
        pillar: Some("values"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Bei uns begegnen sich alle mit Respekt, unabhängig von Position oder Funktion.",
        text_en: "Everyone here treats each other with respect, regardless of role or position.",
    },
    CatalogItem {
        key: "va_open_to_feedback",
        pillar: Some("values"),
        scale: "likert5",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Kritische Rückmeldungen sind bei uns willkommen, auch gegenüber Vorgesetzten.",
        text_en: "Critical feedback is welcome here, even when it is aimed at managers.",
    },
    CatalogItem {
        key: "va_mistakes_covered_up",
        pillar: Some("values"),
        scale: "likert5",
        reverse_coded: true,
        core: false,
        active: true,
        text_de: "Fehler werden bei uns eher vertuscht, als dass wir aus ihnen lernen.",
        text_en: "Mistakes here tend to get covered up rather than learned from.",
    },
    // --- recommendation and comment ---
    CatalogItem {
        key: "recommend",
        pillar: None,
        scale: "nps11",
        reverse_coded: false,
        core: true,
        active: true,
        text_de: "Wie wahrscheinlich ist es, dass Sie unsere Produkte oder Dienstleistungen einem Freund oder Bekannten empfehlen?",
        text_en: "How likely are you to recommend our products or services to a friend?",
    },
    CatalogItem {
        key: "comment",
        pillar: None,
        scale: "text",
        reverse_coded: false,
        core: false,
        active: true,
        text_de: "Was sollten wir tun, damit unsere Kunden noch mehr von uns haben? (optional)",
        text_en: "What should we do so that our customers benefit even more from us? (optional)",
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const PILLARS: [&str; 3] = ["customer_focus", "leadership", "values"];

    fn find(key: &str) -> Option<&'static CatalogItem> {
        CATALOG.iter().find(|i| i.key == key)
    }

    #[test]
    fn the_default_pulse_of_8_can_rotate_every_active_item_within_4_rounds() {
        let scored = |i: &&CatalogItem| i.scale != "text";
        assert!(CATALOG.iter().filter(|i| i.core).all(|i| i.active));
        let core = CATALOG.iter().filter(scored).filter(|i| i.core).count();
        let rotating = CATALOG
            .iter()
            .filter(scored)
            .filter(|i| i.active && !i.core)
            .count();
        assert_eq!(core, 4, "three pillar cores and the 0-10 item");
        assert!(rotating <= (8 - core) * 4, "{rotating} rotating items");
        for pillar in PILLARS {
            assert!(
                CATALOG
                    .iter()
                    .any(|i| i.pillar == Some(pillar) && i.active && !i.core),
                "{pillar} keeps rotating items"
            );
        }
    }

    #[test]
    fn keys_are_unique() {
        let mut seen = HashSet::new();
        for item in CATALOG {
            assert!(seen.insert(item.key), "duplicate key {}", item.key);
        }
    }

    #[test]
    fn has_24_likert_items() {
        let likert = CATALOG.iter().filter(|i| i.scale == "likert5").count();
        assert_eq!(likert, 24);
        for item in CATALOG.iter().filter(|i| i.scale == "likert5") {
            let pillar = item.pillar.expect("likert item without pillar");
            assert!(PILLARS.contains(&pillar), "unknown pillar {pillar}");
        }
    }

    #[test]
    fn one_core_item_per_pillar_never_reverse_coded() {
        for pillar in PILLARS {
            let cores: Vec<_> = CATALOG
                .iter()
                .filter(|i| i.pillar == Some(pillar) && i.core)
                .collect();
            assert_eq!(
                cores.len(),
                1,
                "pillar {pillar} needs exactly one core item"
            );
        }
        for item in CATALOG.iter().filter(|i| i.core) {
            assert!(
                !item.reverse_coded,
                "core item {} is reverse-coded",
                item.key
            );
        }
    }

    #[test]
    fn exactly_four_reverse_coded() {
        let reversed = CATALOG.iter().filter(|i| i.reverse_coded).count();
        assert_eq!(reversed, 4);
    }

    #[test]
    fn texts_are_present_and_short() {
        for item in CATALOG {
            for text in [item.text_de, item.text_en] {
                assert!(!text.trim().is_empty(), "empty text in {}", item.key);
                assert!(
                    text.chars().count() < 200,
                    "text too long in {}: {text}",
                    item.key
                );
            }
        }
    }

    #[test]
    fn recommend_and_comment_present() {
        let recommend = find("recommend").expect("recommend item missing");
        assert_eq!(recommend.scale, "nps11");
        assert_eq!(recommend.pillar, None);
        assert!(recommend.core);
        assert!(!recommend.reverse_coded);

        let comment = find("comment").expect("comment item missing");
        assert_eq!(comment.scale, "text");
        assert_eq!(comment.pillar, None);
        assert!(!comment.core);
        assert!(!comment.reverse_coded);
    }
}
