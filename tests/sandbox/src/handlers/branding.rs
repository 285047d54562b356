//! `/v1/branding`: the tenant's branding (contract §9.4). Tenant key only: a number key gets 403
//! `NUMBER_SCOPE_NOT_ALLOWED`. Both routes answer `{"branding": {…}}` (`{}` when nothing is set).
//! `PUT` changes the fields it names: a value sets one, `null` clears it, a field left out is
//! left as it is; every value is checked before anything changes (400 `Validation error`).
//!
//! The rules, written here independently of the core crate so that the contract tests check the
//! core against them: `logoUrl`, `supportUrl`, `defaultRedirectUrl` absolute `https://` URLs;
//! `primaryColor`, `backgroundColor` `#RRGGBB`; `companyName` 1–60 and `subtitle` 1–120
//! characters (trimmed); `hidePilotStatusBranding` a boolean. A `PUT` naming nothing, or a key
//! that is none of these, is refused. A remote-pairing link's snapshot (`branding` /
//! `brandingOverride`) follows the same rules but keeps keys the sandbox does not know.

use super::*;

/// What a field holds.
#[derive(Clone, Copy)]
enum Rule {
    Https,
    Color,
    Text(usize),
    Bool,
}

/// The documented fields, with their rules.
const FIELDS: &[(&str, Rule)] = &[
    ("logoUrl", Rule::Https),
    ("primaryColor", Rule::Color),
    ("backgroundColor", Rule::Color),
    ("companyName", Rule::Text(60)),
    ("subtitle", Rule::Text(120)),
    ("supportUrl", Rule::Https),
    ("defaultRedirectUrl", Rule::Https),
    ("hidePilotStatusBranding", Rule::Bool),
];

/// The value to store for `field` (`None`: `null`, clear it), or the 400 saying why not.
fn checked(field: &str, rule: Rule, v: &Value) -> Result<Option<Value>, Response> {
    let bad = |what: &str| Err(invalid(&format!("{field}: {what}")));
    match (rule, v) {
        (_, Value::Null) => Ok(None),
        (Rule::Bool, Value::Bool(b)) => Ok(Some(json!(b))),
        (Rule::Bool, _) => bad("must be a boolean or null"),
        (_, Value::String(s)) => {
            let s = s.trim();
            match rule {
                Rule::Https => {
                    let host = s.strip_prefix("https://").unwrap_or_default();
                    if host.is_empty()
                        || host.starts_with(['/', '?', '#'])
                        || s.len() > 2048
                        || s.chars().any(|c| c.is_whitespace() || c.is_control())
                    {
                        return bad("must be an absolute https:// URL");
                    }
                }
                Rule::Color => {
                    let hex = s.strip_prefix('#').unwrap_or_default();
                    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return bad("must be a colour written #RRGGBB");
                    }
                }
                Rule::Text(max) => {
                    if s.is_empty() {
                        return bad("must not be empty (send null to clear it)");
                    }
                    if s.chars().count() > max {
                        return bad(&format!("must be at most {max} characters"));
                    }
                    if s.chars().any(char::is_control) {
                        return bad("must not contain control characters");
                    }
                }
                Rule::Bool => {}
            }
            Ok(Some(json!(s)))
        }
        _ => bad("must be a string or null"),
    }
}

/// The changes of a `PUT` body, checked: `(field, Some(value))` sets, `(field, None)` clears.
fn changes(m: &Map<String, Value>) -> Result<Vec<(&'static str, Option<Value>)>, Response> {
    if let Some(unknown) = m.keys().find(|k| !FIELDS.iter().any(|(f, _)| f == k)) {
        return Err(invalid(&format!(
            "{unknown}: not a branding field (logoUrl, primaryColor, backgroundColor, companyName, subtitle, supportUrl, defaultRedirectUrl, hidePilotStatusBranding)"
        )));
    }
    let out = FIELDS
        .iter()
        .filter_map(|(f, rule)| m.get(*f).map(|v| checked(f, *rule, v).map(|v| (*f, v))))
        .collect::<Result<Vec<_>, _>>()?;
    if out.is_empty() {
        return Err(invalid(
            "branding: name at least one field to change (null clears one)",
        ));
    }
    Ok(out)
}

/// A remote-pairing link's snapshot under `name` (`branding` or `brandingOverride`): absent or
/// `null` is none; an object has its known fields checked (a `null` one is left out) and keeps
/// the others as they came.
pub(super) fn snapshot(m: &Map<String, Value>, name: &str) -> Result<Option<Value>, Response> {
    let obj = match m.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(invalid(&format!("{name}: must be an object"))),
    };
    let mut out = Map::new();
    for (k, v) in obj {
        match FIELDS.iter().find(|(f, _)| f == k) {
            Some((f, rule)) => {
                if let Some(v) = checked(&format!("{name}.{f}"), *rule, v)? {
                    out.insert(k.clone(), v);
                }
            }
            None => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Some(Value::Object(out)))
}

fn answer(st: &State) -> Response {
    json_response(StatusCode::OK, &json!({ "branding": st.branding }))
}

pub(super) async fn get_branding(AxState(app): AxState<Shared>, headers: HeaderMap) -> Reply {
    let (st, _now, c) = authenticate(&app, &headers)?;
    tenant_only(&c)?;
    Ok(answer(&st))
}

pub(super) async fn update_branding(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let (mut st, _now, c) = authenticate(&app, &headers)?;
    tenant_only(&c)?;
    // All checked before any is applied: a refused PUT changes nothing.
    for (field, value) in changes(&object(&body)?)? {
        match value {
            Some(v) => st.branding.insert(field.to_owned(), v),
            None => st.branding.remove(field),
        };
    }
    Ok(answer(&st))
}
