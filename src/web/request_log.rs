//! One log line per request, written by us instead of Rocket so that the token in a survey
//! link (`/s/<token>`) never reaches a log file.

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

pub struct RequestLog;

#[derive(Clone, Copy)]
struct Started(Option<Instant>);

/// Whether the request reached Rocket's fairings. Rocket answers a request it cannot take in
/// (a method it does not know, such as `QUERY`) with 400 before any fairing or route sees it.
pub fn was_taken_in(req: &Request<'_>) -> bool {
    req.local_cache(|| Started(None)).0.is_some()
}

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "request log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _data: &mut Data<'_>) {
        req.local_cache(|| Started(Some(Instant::now())));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let elapsed = req
            .local_cache(|| Started(None))
            .0
            .map(|started| started.elapsed().as_secs_f64() * 1000.0)
            .unwrap_or_default();
        tracing::info!(
            target: "kundenpuls::request",
            method = %req.method(),
            path = %redact(req.uri().path().as_str()),
            status = res.status().code,
            ms = format!("{elapsed:.1}"),
        );
    }
}

/// The path with survey tokens cut out; the query string is never logged. The path is judged
/// as Rocket routes it, after percent-decoding and with empty segments dropped, so that
/// `/%73/<token>`, `/s%2F<token>` and `//s/<token>` are cut like `/s/<token>`.
pub fn redact(path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["s"] => "/s".to_owned(),
        ["s", _token] => "/s/…".to_owned(),
        ["s", _token, tail @ ..] => format!("/s/…/{}", tail.join("/")),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn survey_tokens_never_reach_the_log() {
        assert_eq!(redact("/s/abcDEF123"), "/s/…");
        assert_eq!(redact("/s/abcDEF123/privacy"), "/s/…/privacy");
        assert_eq!(redact("/admin"), "/admin");
        assert_eq!(redact("/%73/abcDEF123"), "/s/…");
        assert_eq!(redact("/s%2Fabc"), "/s/…");
        assert_eq!(redact("//s/abc/privacy"), "/s/…/privacy");
        assert_eq!(
            redact("/%2573/abc"),
            "/%2573/abc",
            "decoded once, as Rocket does"
        );
    }
}
