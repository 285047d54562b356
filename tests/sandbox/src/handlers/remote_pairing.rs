//! Remote pairing: `POST /v1/numbers/remote-pairing` and the public `/v1/remote-pairing/{token}` routes.

use super::branding;
use super::numbers::pairing_answer;
use super::*;
use crate::state::{Retired, TokenRec};
use crate::LinkAfterSuccess;

/// `redirectUrl` of a Meta link: absent, or an absolute `http(s)://` URL (the sandbox also
/// takes `http://` so that tests can land on loopback).
fn redirect_url(m: &Map<String, Value>) -> Result<Option<String>, Response> {
    let s = match m.get("redirectUrl") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim(),
        Some(_) => return Err(invalid("redirectUrl: must be a string")),
    };
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or_default();
    if rest.is_empty()
        || rest.starts_with(['/', '?', '#'])
        || s.len() > 2048
        || s.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid("redirectUrl: must be an absolute http(s):// URL"));
    }
    Ok(Some(s.to_owned()))
}

/// `externalRef` of a Meta link: absent, or a string of 1-255 characters.
fn external_ref(m: &Map<String, Value>) -> Result<Option<String>, Response> {
    match m.get("externalRef") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= 255 => Ok(Some(s.clone())),
        Some(_) => Err(invalid("externalRef: must be a string of 1-255 characters")),
    }
}

/// `metaFlow` of a Meta link: absent, `embedded` or `credentials`.
fn meta_flow(m: &Map<String, Value>) -> Result<Option<String>, Response> {
    match m.get("metaFlow") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "embedded" || s == "credentials" => Ok(Some(s.clone())),
        Some(_) => Err(invalid("metaFlow: must be embedded or credentials")),
    }
}

pub(super) async fn remote_pairing(
    AxState(app): AxState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let (mut st, now, c) = authenticate(&app, &headers)?;
    tenant_only(&c)?;
    let m = if body.is_empty() {
        Map::new()
    } else {
        object(&body)?
    };
    let provider = match m.get("provider") {
        None | Some(Value::Null) => "PILOT_STATUS",
        Some(Value::String(p)) if p == "PILOT_STATUS" => "PILOT_STATUS",
        Some(Value::String(p)) if p == "META" => "META",
        Some(_) => return Err(invalid("provider: must be PILOT_STATUS or META")),
    };
    // The per-link snapshot, under whichever documented name it came (both are kept).
    let mut branding = Map::new();
    for name in ["branding", "brandingOverride"] {
        if let Some(snapshot) = branding::snapshot(&m, name)? {
            branding.insert(name.to_owned(), snapshot);
        }
    }
    let token = format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0xfff),
        fastrand::u16(..0xfff),
        fastrand::u64(..0xffff_ffff_ffff)
    );
    let url = format!("{}/connect/{token}", app.base_url);
    if provider == "META" {
        // The link's page (`/connect/{token}`) plays Embedded Signup: see `hosted`.
        let mut rec = TokenRec::new(provider, None, now, branding);
        rec.redirect_url = redirect_url(&m)?;
        rec.external_ref = external_ref(&m)?;
        rec.meta_flow = meta_flow(&m)?;
        st.tokens.insert(token.clone(), rec);
        return Ok(json_response(
            StatusCode::CREATED,
            &json!({ "provider": "META", "remotePairingToken": token, "remotePairingUrl": url, "numberId": null }),
        ));
    }
    let parsed = (|| {
        let name = req_str(&m, "name")?;
        let number = phone(&m, 10)?;
        let send = opt_bool(&m, "sendViaWhatsApp")?.unwrap_or(false);
        if st.active_by_phone(&number).is_some() {
            return Err(error(StatusCode::CONFLICT, "Number already exists", None));
        }
        Ok((name, number, send))
    })();
    let (name, number, send) = parsed?;
    let id = st.create_number(&name, &number, None, now);
    st.tokens.insert(
        token.clone(),
        TokenRec::new(provider, Some(id.clone()), now, branding),
    );
    let Some(n) = st.numbers.get_mut(&id) else {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "lost number",
            None,
        ));
    };
    let mut body = json!({
        "provider": "PILOT_STATUS",
        "remotePairingToken": token,
        "remotePairingUrl": url,
        "numberId": id,
        "instance": n.instance(&app.clock),
        "maskedNumber": masked(&n.phone),
        "messageSent": false,
        "linkedApiKeyId": null,
    });
    if send {
        if let Some(o) = body.as_object_mut() {
            o.insert(
            "messageError".into(),
            json!("The sandbox does not send WhatsApp messages (template pilot_status_remote_pairing)"),
        );
        }
    }
    let data = n.event_data(&app.clock);
    drop(st);
    app.hooks.emit("number.created", data);
    Ok(json_response(StatusCode::CREATED, &body))
}

// ---------- public token endpoints ----------

/// Runs `f` on a live token (and the number it pairs or made). A status read (`syncs`) of a
/// finished Meta link whose number is `OPEN` clears the token under
/// `--link-after-success open-then-gone`: that answer is the last one.
fn with_token(
    app: &App,
    token: &str,
    syncs: bool,
    f: impl FnOnce(Option<&mut NumberRec>, &App, &TokenRec) -> Response,
) -> Reply {
    let mut st = lock(&app.state);
    let now = app.clock.now();
    app.purge_expired(&mut st, now);
    let t = st.tokens.get(token).ok_or_else(token_gone)?;
    if t.expired(now) {
        st.retire(token, Retired::Expired);
        return Err(token_gone());
    }
    let t = t.clone();
    let Some(id) = t.number_id.clone() else {
        return Ok(f(None, app, &t));
    };
    let n = st
        .numbers
        .get_mut(&id)
        .filter(|n| n.deleted.is_none())
        .ok_or_else(token_gone)?;
    let resp = f(Some(n), app, &t);
    let open = n.primary.open_since.is_some();
    if syncs
        && open
        && t.provider == "META"
        && app.opts.link_after_success == LinkAfterSuccess::OpenThenGone
    {
        // "Poll until OPEN": this read saw it; the single-use token is cleared.
        st.retire(token, Retired::Used);
    }
    Ok(resp)
}

fn token_gone() -> Response {
    error(StatusCode::NOT_FOUND, "Invalid or expired token", None)
}

pub(super) async fn token_info(AxState(app): AxState<Shared>, Path(token): Path<String>) -> Reply {
    with_token(&app, &token, false, |n, app, t| {
        let meta = t.provider == "META";
        let mut info = match n {
            // A finished Meta link: the state of the number it made, and (per
            // --link-number-id) its id.
            Some(n) if meta => {
                let state = n.settle(app.clock.now());
                // No `provider`: the documented token info has none.
                let mut v = json!({ "valid": true, "state": state.as_str() });
                if let (true, Some(o)) = (app.opts.link_number_id.in_info(), v.as_object_mut()) {
                    o.insert("numberId".into(), json!(n.id));
                }
                v
            }
            Some(n) => {
                let state = n.settle(app.clock.now());
                json!({
                    "valid": true, "name": n.name, "number": n.phone, "maskedNumber": masked(&n.phone),
                    "state": state.as_str(),
                    "primaryLink": n.link_info(LinkId::Primary, &app.clock),
                    "secondaryLink": n.link_info(LinkId::Secondary, &app.clock),
                })
            }
            None => json!({ "valid": true }),
        };
        // The link's snapshot, under the name(s) it was created with.
        if let Some(o) = info.as_object_mut() {
            o.extend(t.branding.clone());
        }
        json_response(StatusCode::OK, &info)
    })
}

pub(super) async fn token_status(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
) -> Reply {
    with_token(&app, &token, true, |n, app, t| match n {
        Some(n) => {
            let now = app.clock.now();
            let state = n.settle(now);
            let mut body = json!({
                "state": state.as_str(), "isFullyConnected": n.fully_connected(now),
                "primaryLink": n.link_info(LinkId::Primary, &app.clock),
                "secondaryLink": n.link_info(LinkId::Secondary, &app.clock),
            });
            if let (true, true, Some(o)) = (
                t.provider == "META",
                app.opts.link_number_id.in_status(),
                body.as_object_mut(),
            ) {
                o.insert("numberId".into(), json!(n.id));
            }
            json_response(StatusCode::OK, &body)
        }
        None => json_response(
            StatusCode::OK,
            &json!({ "state": "CLOSE", "isFullyConnected": false }),
        ),
    })
}

pub(super) async fn token_connect(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
) -> Reply {
    with_token(&app, &token, false, |n, app, t| match n {
        Some(_) if t.provider == "META" => error(
            StatusCode::BAD_REQUEST,
            "Meta links use Embedded Signup, not QR pairing",
            Some("FEATURE_NOT_SUPPORTED"),
        ),
        // The hosted link pairs the primary link.
        Some(n) => pairing_answer(n, LinkId::Primary, app),
        None => error(
            StatusCode::BAD_REQUEST,
            "Meta links use Embedded Signup, not QR pairing",
            Some("FEATURE_NOT_SUPPORTED"),
        ),
    })
}
