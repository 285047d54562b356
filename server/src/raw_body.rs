//! `raw_body_required`: a webhook body that is not the bytes as received.
//!
//! The signature covers the exact bytes Pilot Status sent, so a body parser that ran first
//! (`express.json()`, `bodyParser.json()`, a framework's parsed `body`) leaves nothing to verify.
//! The JavaScript side reports what it got instead of bytes (an object, `undefined`); here, a
//! string or buffer whose signature fails is checked once more: if the same JSON written another
//! common way (compact, `", "`/`": "` separators, indented, `\uXXXX` or `\/` escapes, a trailing
//! newline) matches the signature, the body was re-serialised (`JSON.stringify(req.body)`) —
//! certain, so a forged body or a wrong secret is never reported as a body-parser mistake.

use pilot_connect::webhook::verify_signature;
use pilot_connect::WebhookSecret;

use crate::error::{ErrorRecord, Kind};

/// Bodies longer than this are not re-checked (real deliveries are well under 2 KB; the edge
/// worker refuses more than 64 KB).
pub const MAX_RECHECK: usize = 64 * 1024;

fn needs(func: &str) -> String {
    format!(
        "{func} needs the raw request body (a string, Buffer or Uint8Array exactly as received)"
    )
}

/// The record for a body that is not bytes. `got` is what came instead, as the JS side
/// describes it: `object`, `array`, `undefined`, `null`, `number`, `boolean`, `object-string`
/// (the string `"[object Object]"`), or any other type name.
#[must_use]
pub fn required(func: &str, got: &str) -> ErrorRecord {
    let parser = "is express.json() (or another body parser) running before this route?";
    let read =
        "read the body as bytes on this route: express.raw({ type: \"application/json\" }), \
                await request.text(), or your framework's raw body";
    let (code, detail) = match got {
        "object" => ("parsed", format!("got an object — {parser}")),
        "array" => ("parsed", format!("got an array — {parser}")),
        "object-string" => (
            "parsed",
            format!("got the string \"[object Object]\" (String() of a parsed body) — {parser}"),
        ),
        "undefined" | "null" => ("missing", format!("got {got} — {read}")),
        other => ("parsed", format!("got a {other} — {parser}")),
    };
    let mut r = ErrorRecord::new(Kind::RawBodyRequired, format!("{}; {detail}", needs(func)));
    r.code = Some(code.to_owned());
    r.field = Some("rawBody".to_owned());
    r
}

/// The record for a body whose signature matches only another serialisation of it.
#[must_use]
pub fn reserialised(func: &str) -> ErrorRecord {
    let mut r = ErrorRecord::new(
        Kind::RawBodyRequired,
        format!(
            "{}; got a re-serialised copy (the same JSON written another way matches the \
             signature) — was it JSON.stringify(req.body) after express.json() (or another body \
             parser)? Pass the body exactly as received",
            needs(func)
        ),
    );
    r.code = Some("reserialised".to_owned());
    r.field = Some("rawBody".to_owned());
    r
}

/// Whether `header` signs another common serialisation of the JSON in `body` (and not `body`).
#[must_use]
pub fn signed_in_another_form(secret: &WebhookSecret, body: &[u8], header: Option<&str>) -> bool {
    body.len() <= MAX_RECHECK
        && candidates(body)
            .iter()
            .any(|c| verify_signature(secret, c, header).is_ok())
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    Open(u8),
    Close(u8),
    Colon,
    Comma,
    /// A string's content between its quotes, escapes as written.
    Str(&'a str),
    /// A number, `true`, `false` or `null`.
    Lit(&'a str),
}

/// The tokens of valid JSON text (whitespace outside strings dropped); `None` if it is not.
fn tokens(text: &str) -> Option<Vec<Tok<'_>>> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            c @ (b'{' | b'[') => {
                out.push(Tok::Open(c));
                i += 1;
            }
            c @ (b'}' | b']') => {
                out.push(Tok::Close(c));
                i += 1;
            }
            b':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                out.push(Tok::Str(text.get(start..j)?));
                i = j + 1;
            }
            _ => {
                let start = i;
                while i < b.len()
                    && !matches!(
                        b[i],
                        b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'}' | b']'
                    )
                {
                    i += 1;
                }
                out.push(Tok::Lit(text.get(start..i)?));
            }
        }
    }
    Some(out)
}

#[derive(Clone, Copy)]
struct Style {
    item: &'static str,
    key: &'static str,
    indent: usize,
    ascii: bool,
    slash: bool,
    newline: bool,
}

fn push_str(out: &mut String, content: &str, s: Style) {
    let mut chars = content.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '/' if s.slash => out.push_str("\\/"),
            c if s.ascii && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
}

fn write(toks: &[Tok<'_>], s: Style) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let line = |out: &mut String, depth: usize| {
        if s.indent > 0 {
            out.push('\n');
            out.push_str(&" ".repeat(s.indent * depth));
        }
    };
    let mut i = 0;
    while i < toks.len() {
        match toks[i] {
            Tok::Open(c) => {
                out.push(char::from(c));
                if let Some(Tok::Close(e)) = toks.get(i + 1) {
                    out.push(char::from(*e));
                    i += 1;
                } else {
                    depth += 1;
                    line(&mut out, depth);
                }
            }
            Tok::Close(c) => {
                depth = depth.saturating_sub(1);
                line(&mut out, depth);
                out.push(char::from(c));
            }
            Tok::Colon => out.push_str(s.key),
            Tok::Comma => {
                out.push_str(if s.indent > 0 { "," } else { s.item });
                line(&mut out, depth);
            }
            Tok::Str(content) => {
                out.push('"');
                push_str(&mut out, content, s);
                out.push('"');
            }
            Tok::Lit(l) => out.push_str(l),
        }
        i += 1;
    }
    if s.newline {
        out.push('\n');
    }
    out
}

/// The same JSON as `body`, written the common other ways (never `body` itself).
#[must_use]
pub fn candidates(body: &[u8]) -> Vec<Vec<u8>> {
    let Some(toks) = std::str::from_utf8(body).ok().and_then(tokens) else {
        return Vec::new();
    };
    let layouts = [
        (",", ":", 0),
        (", ", ": ", 0),
        (",", ": ", 2),
        (",", ": ", 4),
    ];
    let mut out: Vec<Vec<u8>> = Vec::new();
    for (item, key, indent) in layouts {
        for bits in 0..8u8 {
            let s = Style {
                item,
                key,
                indent,
                ascii: bits & 1 != 0,
                slash: bits & 2 != 0,
                newline: bits & 4 != 0,
            };
            let c = write(&toks, s).into_bytes();
            if c != body && !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const COMPACT: &str = r#"{"event":"number.connected","data":{"numberId":"wa_1","displayName":"Caf\u00e9 é/x","tags":[],"n":1.50,"o":{}}}"#;

    #[test]
    fn writes_the_common_forms() {
        let all: Vec<String> = candidates(COMPACT.as_bytes())
            .into_iter()
            .map(|c| String::from_utf8(c).unwrap())
            .collect();
        assert!(!all.iter().any(|c| c == COMPACT), "never the body itself");
        let python = r#"{"event": "number.connected", "data": {"numberId": "wa_1", "displayName": "Caf\u00e9 \u00e9/x", "tags": [], "n": 1.50, "o": {}}}"#;
        assert!(all.iter().any(|c| c == python), "json.dumps defaults");
        let pretty = "{\n  \"event\": \"number.connected\",\n  \"data\": {\n    \"numberId\": \"wa_1\",\n    \"displayName\": \"Caf\\u00e9 é/x\",\n    \"tags\": [],\n    \"n\": 1.50,\n    \"o\": {}\n  }\n}";
        assert!(
            all.iter().any(|c| c == pretty),
            "JSON.stringify(v, null, 2)"
        );
        assert!(
            all.iter().any(|c| c.contains(r"é\/x")),
            "PHP's escaped slashes"
        );
        for c in &all {
            let a: serde_json::Value = serde_json::from_str(c).unwrap();
            assert_eq!(
                a,
                serde_json::from_str::<serde_json::Value>(COMPACT).unwrap(),
                "the same JSON: {c}"
            );
        }
        // Back from an indented body to the compact one.
        assert!(candidates(pretty.as_bytes())
            .iter()
            .any(|c| c.as_slice() == COMPACT.as_bytes()));
        assert!(candidates(b"not json").is_empty());
        assert!(candidates(b"\"a string\"").len() <= 8);
    }

    #[test]
    fn only_a_signature_of_another_form_counts() {
        let secret = WebhookSecret::new("whsec_raw_body").unwrap();
        let pretty = "{\n  \"event\": \"number.connected\"\n}";
        let sig = pilot_connect::webhook::sign(&secret, pretty.as_bytes());
        assert!(signed_in_another_form(
            &secret,
            br#"{"event":"number.connected"}"#,
            Some(&sig)
        ));
        let forged = pilot_connect::webhook::sign(
            &WebhookSecret::new("whsec_other").unwrap(),
            pretty.as_bytes(),
        );
        assert!(!signed_in_another_form(
            &secret,
            br#"{"event":"number.connected"}"#,
            Some(&forged)
        ));
        assert!(!signed_in_another_form(
            &secret,
            br#"{"event":"number.removed"}"#,
            Some(&sig)
        ));
    }
}
