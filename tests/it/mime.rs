//! Reading a MIME message as its recipient does, just enough for the tests: the subject, the
//! plain-text and HTML parts decoded (quoted-printable, base64), an inline picture. Shared by
//! the integration tests and the browser test (included there by path).

#![allow(dead_code)]

use base64::Engine as _;

#[derive(Debug)]
struct Part {
    headers: Vec<(String, String)>,
    body: String,
}

impl Part {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or("text/plain")
            .to_lowercase()
    }

    fn decoded(&self) -> Vec<u8> {
        match self
            .header("content-transfer-encoding")
            .map(str::to_lowercase)
            .as_deref()
        {
            Some("base64") => {
                let compact: String = self.body.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("valid base64")
            }
            Some("quoted-printable") => quoted_printable(&self.body),
            _ => self.body.clone().into_bytes(),
        }
    }

    fn text(&self) -> String {
        String::from_utf8(self.decoded()).expect("UTF-8 text")
    }
}

/// A message's headers (unfolded, names lowercased) and its body, with `\r\n` read as `\n`.
fn split(raw: &str) -> Part {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_lowercase(), value.trim().to_owned()));
        }
    }
    Part {
        headers,
        body: body.to_owned(),
    }
}

/// The leaf parts of a message, depth first, with the content types of the multiparts passed.
fn leaves(raw: &str, multiparts: &mut Vec<String>) -> Vec<Part> {
    let part = split(raw);
    let content_type = part.content_type();
    if !content_type.starts_with("multipart/") {
        return vec![part];
    }
    multiparts.push(content_type.split(';').next().unwrap().trim().to_owned());
    let original = part.header("content-type").unwrap();
    let start = original
        .to_lowercase()
        .find("boundary=")
        .expect("a boundary")
        + 9;
    let boundary = original[start..]
        .split(';')
        .next()
        .unwrap()
        .trim()
        .trim_matches('"')
        .to_owned();
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    for chunk in part.body.split(&delimiter).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        out.extend(leaves(
            chunk.strip_prefix('\n').unwrap_or(chunk),
            multiparts,
        ));
    }
    out
}

fn quoted_printable(body: &str) -> Vec<u8> {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).expect("=XX"));
                i += 3;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// A header value with its RFC 2047 encoded words decoded.
fn decode_words(value: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(after_word && before.trim().is_empty()) {
            out.extend_from_slice(before.as_bytes());
        }
        let mut fields = rest[start + 2..].splitn(3, '?');
        let (_charset, encoding, tail) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        let end = tail.find("?=").expect("end of an encoded word");
        let text = &tail[..end];
        if encoding.eq_ignore_ascii_case("b") {
            out.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .expect("base64 word"),
            );
        } else {
            out.extend(quoted_printable(&text.replace('_', " ")));
        }
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).expect("UTF-8 header")
}

/// A digest as read by its recipient.
pub struct Digest {
    pub subject: String,
    pub multiparts: Vec<String>,
    pub text: String,
    pub html: String,
    /// Content-ID of the picture (without `<>`) and its bytes.
    pub image: Option<(String, Vec<u8>)>,
}

pub fn read(raw: &str) -> Digest {
    let top = split(raw);
    let subject = decode_words(top.header("subject").expect("a subject"));
    let mut multiparts = Vec::new();
    let parts = leaves(raw, &mut multiparts);
    let find = |kind: &str| {
        parts
            .iter()
            .find(|p| p.content_type().starts_with(kind))
            .unwrap_or_else(|| panic!("no {kind} part"))
    };
    let image = parts
        .iter()
        .find(|p| p.content_type().starts_with("image/png"))
        .map(|p| {
            let cid = p
                .header("content-id")
                .expect("the picture has a Content-ID")
                .trim_matches(['<', '>'])
                .to_owned();
            (cid, p.decoded())
        });
    Digest {
        subject,
        multiparts,
        text: find("text/plain").text(),
        html: find("text/html").text(),
        image,
    }
}
