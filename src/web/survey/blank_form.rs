//! The blank survey form, rendered once per round and language and then only filled in.
//!
//! Rendering the form is most of what opening a link costs (a profile under load: 30 % of the
//! server's time went to the template). Every employee of a round sees the same page except for
//! two values, the link's token and the browser's CSRF token, so the page is rendered once with
//! a marker in their place, cut at the markers, and joined with the real values per request. A
//! form shown again with answers or problems in it is rendered in full, as before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::answer::link::OpenRound;
use crate::i18n::Locale;

/// Stand-ins the template escapes to themselves (letters and digits only) and no question text
/// plausibly contains; a page where one appears more often than the template writes it is not
/// cached.
const TOKEN_MARK: &str = "kpSLOTtoken9f2c7e";
const CSRF_MARK: &str = "kpSLOTcsrf4b81d0";

/// The values filled in per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Token,
    Csrf,
}

#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Slot(Slot),
}

/// A rendered blank form cut at its slots.
#[derive(Debug)]
pub struct Prepared {
    pieces: Vec<Piece>,
    len: usize,
}

impl Prepared {
    /// The page as rendered with the markers in place of the token and the CSRF token; `None`
    /// when a marker appears other than once, which only content written to collide can do.
    fn cut(html: &str) -> Option<Prepared> {
        if html.matches(TOKEN_MARK).count() != 1 || html.matches(CSRF_MARK).count() != 1 {
            return None;
        }
        let mut pieces = Vec::new();
        let mut rest = html;
        loop {
            let next = [(TOKEN_MARK, Slot::Token), (CSRF_MARK, Slot::Csrf)]
                .into_iter()
                .filter_map(|(mark, slot)| rest.find(mark).map(|at| (at, mark, slot)))
                .min_by_key(|(at, _, _)| *at);
            let Some((at, mark, slot)) = next else {
                pieces.push(Piece::Text(rest.to_owned()));
                break;
            };
            pieces.push(Piece::Text(rest[..at].to_owned()));
            pieces.push(Piece::Slot(slot));
            rest = &rest[at + mark.len()..];
        }
        Some(Prepared {
            len: html.len() - TOKEN_MARK.len() - CSRF_MARK.len(),
            pieces,
        })
    }

    /// The page for `token` and `csrf`; `None` when either holds a character that would need
    /// escaping in HTML (neither a real token nor a CSRF token of ours does).
    pub fn fill(&self, token: &str, csrf: &str) -> Option<String> {
        if !plain(token) || !plain(csrf) {
            return None;
        }
        let mut html = String::with_capacity(self.len + token.len() + csrf.len());
        for piece in &self.pieces {
            html.push_str(match piece {
                Piece::Text(text) => text,
                Piece::Slot(Slot::Token) => token,
                Piece::Slot(Slot::Csrf) => csrf,
            });
        }
        Some(html)
    }
}

/// Characters that read the same escaped or not, in an attribute or a URL path.
fn plain(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Rounds kept at most: more open at once is unusual, and a full cache starts over.
const CACHED: usize = 128;

/// The prepared forms by round and language, each valid for the very `OpenRound` it was
/// rendered from: when `answer::link::OpenRounds` reads the round again (at most a minute
/// later), the form is rendered again, so a reworded question shows up as it does there.
#[derive(Default)]
pub struct BlankForms {
    cache: Mutex<Cache>,
}

/// By round and language: the round as it was read when the form was prepared, and the form.
type Cache = HashMap<(i32, Locale), (Arc<OpenRound>, Arc<Prepared>)>;

impl BlankForms {
    /// The blank form of `round` in `locale`, rendered by `render` (given the two markers)
    /// when it is not prepared yet. `None` when the rendered page cannot be cut at its slots.
    pub fn get<E>(
        &self,
        round: &Arc<OpenRound>,
        locale: Locale,
        render: impl FnOnce(&str, &str) -> Result<String, E>,
    ) -> Result<Option<Arc<Prepared>>, E> {
        let key = (round.id, locale);
        if let Some((seen, prepared)) = self.lock().get(&key)
            && Arc::ptr_eq(seen, round)
        {
            return Ok(Some(prepared.clone()));
        }
        let Some(prepared) = Prepared::cut(&render(TOKEN_MARK, CSRF_MARK)?) else {
            return Ok(None);
        };
        let prepared = Arc::new(prepared);
        let mut cache = self.lock();
        if cache.len() >= CACHED {
            cache.clear();
        }
        cache.insert(key, (round.clone(), prepared.clone()));
        Ok(Some(prepared))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prepared_page_is_the_page_with_the_values_in_place_of_the_markers() {
        let html =
            format!("<form action=\"/s/{TOKEN_MARK}\"><input value=\"{CSRF_MARK}\">x</form>");
        let prepared = Prepared::cut(&html).expect("one marker each");
        assert_eq!(
            prepared.fill("12-abc_DEF-9", "Zm9v").unwrap(),
            html.replace(TOKEN_MARK, "12-abc_DEF-9")
                .replace(CSRF_MARK, "Zm9v")
        );
    }

    #[test]
    fn a_page_with_a_marker_twice_is_not_prepared() {
        let html = format!("{TOKEN_MARK}{CSRF_MARK}<p>{TOKEN_MARK}</p>");
        assert!(Prepared::cut(&html).is_none());
        assert!(Prepared::cut("<p>no slots</p>").is_none());
    }

    #[test]
    fn values_that_would_need_escaping_are_not_filled_in() {
        let prepared = Prepared::cut(&format!("{TOKEN_MARK}|{CSRF_MARK}")).unwrap();
        assert_eq!(prepared.fill("1-a", "b").unwrap(), "1-a|b");
        assert!(prepared.fill("1-\"><script>", "b").is_none());
        assert!(prepared.fill("1-a", "b&c").is_none());
    }
}
