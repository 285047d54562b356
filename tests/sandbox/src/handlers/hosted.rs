//! The hosted page of a Meta remote-pairing link, and the control routes that act like its
//! buttons.
//!
//! `POST /v1/numbers/remote-pairing` with `provider: "META"` answers a `remotePairingUrl` of
//! `/connect/{token}` under the sandbox's base URL. There, like Pilot's hosted page, a local HTML
//! page plays Meta's Embedded Signup: the link's company name, a "Continue with Facebook" step,
//! then a number to pick (or type) and three outcomes, each a plain form post:
//!
//! - **finish** (`POST /connect/{token}/finish`): an official number is made (`provider`
//!   `META`, `OPEN`, `health.metaStatus` `CONNECTED`; with `--meta-numbers pending`, `CLOSE` /
//!   `PENDING` until `POST /_sandbox/numbers/{id}/meta` connects it), the signed `number.created`
//!   and `number.connected` go out, the link is spent (single use) and the browser is sent to the
//!   link's `redirectUrl` (303, with `--redirect-params`), or shown a result page without one;
//! - **cancel** at one of Meta's steps (`POST /connect/{token}/cancel`, Meta's `CANCEL` event
//!   and its `current_step`);
//! - **fail** with a Meta error (`POST /connect/{token}/fail`, Meta's `ERROR` event: `error_id`,
//!   `error_message`, `session_id`).
//!
//! `POST /_sandbox/remote-pairing/{token}/finish|cancel|fail` (JSON) go through the same code
//! ([`act`]); `GET /_sandbox/remote-pairing/{token}` shows the link as the sandbox keeps it.
//! Nothing on the page loads from elsewhere: inline style, one inline script (with a nonce),
//! no fonts, no images, no external URL.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::Form;

use super::*;
use crate::state::{Abort, ExternalRef, Retired, TokenRec};
use crate::{LinkAfterAbort, LinkAfterSuccess, RedirectParams};

/// Meta's Embedded Signup steps (the `current_step` of its `CANCEL` event), with what the
/// person was doing there.
pub(super) const STEPS: &[(&str, &str)] = &[
    (
        "BUSINESS_ACCOUNT_SELECTION",
        "choosing the business portfolio",
    ),
    (
        "WABA_PHONE_PROFILE_PICKER",
        "choosing the WhatsApp Business account and number",
    ),
    (
        "WHATSAPP_BUSINESS_PROFILE_SETUP",
        "setting up the WhatsApp Business profile",
    ),
    ("PHONE_NUMBER_SETUP", "adding the phone number"),
    ("PHONE_NUMBER_VERIFICATION", "verifying the phone number"),
    ("PERMISSIONS", "reviewing the permissions"),
];

/// The step a cancel names when it names none.
const DEFAULT_STEP: &str = "PHONE_NUMBER_SETUP";

/// Meta-side failures a person may hit (research notes, `meta-onboarding.md`); the first is
/// what a fail names when it names no message.
const FAILURES: &[&str] = &[
    "This phone number is still registered on WhatsApp. Remove it there and try again in 3 minutes.",
    "The display name was not approved.",
    "Too many verification code attempts. Try again in 12 hours.",
    "This Facebook account is too new to create a WhatsApp Business account.",
    "This business has reached its limit of 20 phone numbers.",
];

/// The display name of a number when neither the person nor the branding names one.
const DEFAULT_NAME: &str = "WhatsApp Business";

// ---------- the shared code path ----------

/// Why a link cannot be acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Gone {
    /// No such token (never made, or a QR token already cleared).
    Unknown,
    /// A QR (`PILOT_STATUS`) link: it has no hosted signup page here.
    NotMeta,
    /// Its signup finished: single use.
    Used,
    /// Older than 24 h.
    Expired,
    /// Spent by a cancel or a fail (`--link-after-abort spent`).
    Abandoned,
}

impl Gone {
    fn from_retired(why: Retired) -> Self {
        match why {
            Retired::Used => Self::Used,
            Retired::Expired => Self::Expired,
            Retired::Abandoned => Self::Abandoned,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::NotMeta => "not-meta",
            Self::Used => "used",
            Self::Expired => "expired",
            Self::Abandoned => "abandoned",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::Unknown => "No remote-pairing link has this token.",
            Self::NotMeta => {
                "This is a QR (PILOT_STATUS) link: it pairs through POST /v1/remote-pairing/{token}/connect \
                 and the phone (/_sandbox/numbers/{id}/scan), not through Meta's Embedded Signup."
            }
            Self::Used => {
                "This link was already used: its signup finished and links are single use. Ask for a new link."
            }
            Self::Expired => "This link has expired (links live 24 hours). Ask for a new link.",
            Self::Abandoned => {
                "This link was spent by a cancelled or failed signup (--link-after-abort spent). Ask for a new link."
            }
        }
    }

    /// The control API's answer.
    fn json(self) -> Response {
        let (status, code) = match self {
            Self::Unknown => (StatusCode::NOT_FOUND, "LINK_NOT_FOUND"),
            Self::NotMeta => (StatusCode::BAD_REQUEST, "FEATURE_NOT_SUPPORTED"),
            Self::Used => (StatusCode::GONE, "LINK_USED"),
            Self::Expired => (StatusCode::GONE, "LINK_EXPIRED"),
            Self::Abandoned => (StatusCode::GONE, "LINK_ABANDONED"),
        };
        error(status, self.message(), Some(code))
    }

    /// The page's status: a QR link has no page here (404, as before).
    fn page_status(self) -> StatusCode {
        match self {
            Self::Unknown | Self::NotMeta => StatusCode::NOT_FOUND,
            Self::Used | Self::Expired | Self::Abandoned => StatusCode::GONE,
        }
    }
}

/// Why an action was refused.
#[derive(Debug, Clone)]
pub(super) enum Refusal {
    /// The link cannot be used.
    Gone(Gone),
    /// Bad input (400 `Validation error`, with details).
    Invalid(String),
    /// 409: the phone already backs a number.
    Conflict(&'static str, Option<&'static str>),
    /// The sandbox lost something it just made.
    Internal(String),
}

impl Refusal {
    fn json(&self) -> Response {
        match self {
            Self::Gone(g) => g.json(),
            Self::Invalid(details) => invalid(details),
            Self::Conflict(msg, code) => error(StatusCode::CONFLICT, msg, *code),
            Self::Internal(msg) => error(StatusCode::INTERNAL_SERVER_ERROR, msg, None),
        }
    }
}

/// What the person (or a test) does on the page.
#[derive(Debug, Clone, Default)]
pub(super) struct Finish {
    /// The number picked or typed (E.164, spaces and dashes allowed); `None`: the first number
    /// the page offers.
    pub number: Option<String>,
    /// The WhatsApp display name; `None`: the link's company name, else "WhatsApp Business".
    pub display_name: Option<String>,
}

/// One of the page's three outcomes.
#[derive(Debug, Clone)]
pub(super) enum Action {
    /// Finish the signup with a number.
    Finish(Finish),
    /// Cancel at one of Meta's steps (`None`: `PHONE_NUMBER_SETUP`).
    Cancel { step: Option<String> },
    /// Meta fails (`None`s: a random `error_id`, the first of [`FAILURES`]).
    Fail {
        error_id: Option<String>,
        message: Option<String>,
    },
}

/// What an action did.
#[derive(Debug, Clone)]
pub(super) enum Done {
    /// A number was made.
    Finished {
        number_id: String,
        phone: String,
        name: String,
        state: &'static str,
        meta_status: Option<&'static str>,
        /// Where the browser goes (303), when the link has a `redirectUrl`.
        redirect: Option<String>,
        /// The link is cleared already (`gone`, and the number is connected).
        token_cleared: bool,
    },
    /// The person cancelled.
    Cancelled { step: String, usable: bool },
    /// Meta failed.
    Failed {
        error_id: String,
        message: String,
        session_id: String,
        usable: bool,
    },
}

/// The live Meta link `token`, or why not (an expired one is retired on the way).
fn live<'a>(st: &'a mut State, token: &str, now: f64) -> Result<&'a mut TokenRec, Gone> {
    if let Some((t, why)) = st.retired.get(token) {
        return Err(if t.provider == "META" {
            Gone::from_retired(*why)
        } else {
            Gone::NotMeta
        });
    }
    let t = st.tokens.get(token).ok_or(Gone::Unknown)?;
    if t.provider != "META" {
        return Err(Gone::NotMeta);
    }
    if t.expired(now) {
        st.retire(token, Retired::Expired);
        return Err(Gone::Expired);
    }
    if t.finished.is_some() {
        return Err(Gone::Used);
    }
    st.tokens.get_mut(token).ok_or(Gone::Unknown)
}

/// The numbers the page offers: three made-up Brazilian mobiles no number uses yet.
fn offered(st: &State) -> Vec<String> {
    (1..=9999u32)
        .map(|k| format!("551195550{k:04}"))
        .filter(|p| st.active_by_phone(p).is_none() && st.deleted_by_phone(p).is_none())
        .take(3)
        .collect()
}

/// A typed or picked phone: digits (spaces, dashes, dots and parentheses dropped), 8-15 of
/// them, an optional leading `+` (the rule of `POST /v1/numbers/meta`).
fn meta_phone(raw: &str) -> Result<String, Refusal> {
    let cleaned: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refusal::Invalid(format!(
            "number: must be 8-15 digits with an optional + (E.164), got {raw:?}"
        )));
    }
    Ok(digits.to_owned())
}

/// The branding the page shows: the tenant's, overridden by the link's snapshot (the
/// documented precedence, query parameters aside).
fn branding_of(t: &TokenRec, tenant: &Map<String, Value>) -> Map<String, Value> {
    let mut b = tenant.clone();
    for name in ["brandingOverride", "branding"] {
        if let Some(Value::Object(o)) = t.branding.get(name) {
            b.extend(o.clone());
        }
    }
    b
}

fn text<'a>(b: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    b.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// A non-empty string or nothing (a blank form field is nothing).
fn given(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Meta's `current_step` for a cancel: one of [`STEPS`], any case.
fn step_of(raw: Option<String>) -> Result<String, Refusal> {
    let Some(raw) = given(raw) else {
        return Ok(DEFAULT_STEP.to_owned());
    };
    STEPS
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(&raw))
        .map(|(s, _)| (*s).to_owned())
        .ok_or_else(|| {
            let names: Vec<&str> = STEPS.iter().map(|(s, _)| *s).collect();
            Refusal::Invalid(format!("step: one of {}", names.join(", ")))
        })
}

/// `redirectUrl` with what `--redirect-params` adds (before any `#fragment`).
fn redirect_to(url: &str, mode: RedirectParams, number_id: &str, external: Option<&str>) -> String {
    let mut params: Vec<(&str, &str)> = Vec::new();
    if mode != RedirectParams::None {
        params.push(("status", "success"));
    }
    if mode == RedirectParams::Full {
        params.push(("numberId", number_id));
        if let Some(r) = external {
            params.push(("externalRef", r));
        }
    }
    if params.is_empty() {
        return url.to_owned();
    }
    let (base, fragment) = url
        .split_once('#')
        .map_or((url, None), |(b, f)| (b, Some(f)));
    let query = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect::<Vec<_>>()
        .join("&");
    let sep = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with(['?', '&']) => "",
        Some(_) => "&",
    };
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{base}{sep}{query}{fragment}")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A Meta link's number has just connected (finish, or Meta connecting a pending one): under
/// `--link-after-success gone` its finished link is cleared now.
pub(super) fn number_connected(app: &App, st: &mut State, number_id: &str) {
    if app.opts.link_after_success != LinkAfterSuccess::Gone {
        return;
    }
    let spent: Vec<String> = st
        .tokens
        .iter()
        .filter(|(_, t)| {
            t.provider == "META"
                && t.finished.is_some()
                && t.number_id.as_deref() == Some(number_id)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for token in spent {
        st.retire(&token, Retired::Used);
    }
}

/// The one code path of the page's buttons and the control routes.
pub(super) fn act(app: &App, token: &str, action: Action) -> Result<Done, Refusal> {
    let mut events = Vec::new();
    let done = {
        let mut st = lock(&app.state);
        let now = app.clock.now();
        app.purge_expired(&mut st, now);
        let t = live(&mut st, token, now).map_err(Refusal::Gone)?.clone();
        match action {
            Action::Finish(f) => {
                let phone = match given(f.number) {
                    Some(raw) => meta_phone(&raw)?,
                    None => offered(&st)
                        .into_iter()
                        .next()
                        .ok_or_else(|| Refusal::Internal("no free made-up number left".into()))?,
                };
                if st.active_by_phone(&phone).is_some() {
                    return Err(Refusal::Conflict("Number already exists", None));
                }
                if st.deleted_by_phone(&phone).is_some() {
                    return Err(Refusal::Conflict(
                        "This number was deleted and is still restorable; restore or purge it first",
                        Some("NUMBER_SOFT_DELETED"),
                    ));
                }
                let branding = branding_of(&t, &st.branding);
                let name = match given(f.display_name) {
                    Some(n) if n.chars().count() > 60 || n.chars().any(char::is_control) => {
                        return Err(Refusal::Invalid(
                            "displayName: at most 60 characters, no control characters".into(),
                        ));
                    }
                    Some(n) => n,
                    None => text(&branding, "companyName")
                        .unwrap_or(DEFAULT_NAME)
                        .trim()
                        .to_owned(),
                };
                let digits = |n: usize| -> String {
                    (0..n)
                        .map(|i| char::from(b'0' + fastrand::u8(u8::from(i == 0)..10)))
                        .collect()
                };
                let meta = MetaRec {
                    phone_id: digits(15),
                    waba_id: digits(15),
                    app_id: "sandbox-embedded-signup".into(),
                    verify_token: format!("ps_meta_verify_{:016x}", fastrand::u64(..)),
                };
                let id = st.create_number(&name, &phone, Some(meta), now);
                let n = st
                    .numbers
                    .get_mut(&id)
                    .ok_or_else(|| Refusal::Internal("lost number".into()))?;
                let echo = app.opts.link_external_ref;
                n.external_ref = t.external_ref.clone().map(|value| ExternalRef {
                    value,
                    in_events: echo.in_webhook(),
                    in_detail: echo.in_detail(),
                });
                if app.opts.meta_numbers == MetaNumbers::Pending {
                    // Meta has not connected it yet: `/_sandbox/numbers/{id}/meta` will.
                    n.primary.open_since = None;
                }
                let open = n.primary.open_since.is_some();
                events.push(("number.created", n.event_data(&app.clock)));
                if open {
                    events.push(("number.connected", n.event_data(&app.clock)));
                }
                let state = n.settle(now).as_str();
                let meta_status = n.meta_status();
                if let Some(rec) = st.tokens.get_mut(token) {
                    rec.number_id = Some(id.clone());
                    rec.finished = Some(now);
                }
                if open {
                    number_connected(app, &mut st, &id);
                }
                Done::Finished {
                    redirect: t.redirect_url.as_deref().map(|u| {
                        redirect_to(u, app.opts.redirect_params, &id, t.external_ref.as_deref())
                    }),
                    token_cleared: !st.tokens.contains_key(token),
                    number_id: id,
                    phone: format!("+{phone}"),
                    name,
                    state,
                    meta_status,
                }
            }
            Action::Cancel { step } => {
                let step = step_of(step)?;
                let usable = app.opts.link_after_abort == LinkAfterAbort::Retry;
                if let Some(rec) = st.tokens.get_mut(token) {
                    rec.aborts.push(Abort::Cancelled {
                        step: step.clone(),
                        at: now,
                    });
                }
                if !usable {
                    st.retire(token, Retired::Abandoned);
                }
                Done::Cancelled { step, usable }
            }
            Action::Fail { error_id, message } => {
                let error_id = match given(error_id) {
                    Some(e)
                        if e.len() <= 64
                            && e.bytes().all(|b| b.is_ascii_graphic() && b != b'<') =>
                    {
                        e
                    }
                    Some(_) => {
                        return Err(Refusal::Invalid(
                            "errorId: 1-64 printable ASCII characters, no spaces".into(),
                        ));
                    }
                    None => fastrand::u32(100_000..1_000_000).to_string(),
                };
                let message = match given(message) {
                    Some(m) if m.chars().count() > 300 || m.chars().any(char::is_control) => {
                        return Err(Refusal::Invalid(
                            "errorMessage: at most 300 characters, no control characters".into(),
                        ));
                    }
                    Some(m) => m,
                    None => FAILURES[0].to_owned(),
                };
                let session_id = format!("{:016x}", fastrand::u64(..));
                let usable = app.opts.link_after_abort == LinkAfterAbort::Retry;
                if let Some(rec) = st.tokens.get_mut(token) {
                    rec.aborts.push(Abort::Failed {
                        error_id: error_id.clone(),
                        message: message.clone(),
                        session_id: session_id.clone(),
                        at: now,
                    });
                }
                if !usable {
                    st.retire(token, Retired::Abandoned);
                }
                Done::Failed {
                    error_id,
                    message,
                    session_id,
                    usable,
                }
            }
        }
    };
    for (name, data) in events {
        app.hooks.emit(name, data);
    }
    Ok(done)
}

impl Done {
    /// The control API's answer.
    fn json(&self) -> Value {
        match self {
            Self::Finished {
                number_id,
                phone,
                name,
                state,
                meta_status,
                redirect,
                token_cleared,
            } => json!({
                "ok": true, "outcome": "finished", "numberId": number_id, "number": phone,
                "displayName": name, "state": state, "metaStatus": meta_status,
                "redirect": redirect, "tokenCleared": token_cleared,
            }),
            Self::Cancelled { step, usable } => json!({
                "ok": true, "outcome": "cancelled", "step": step, "linkUsable": usable,
            }),
            Self::Failed {
                error_id,
                message,
                session_id,
                usable,
            } => json!({
                "ok": true, "outcome": "failed", "errorId": error_id, "errorMessage": message,
                "sessionId": session_id, "linkUsable": usable,
            }),
        }
    }
}

// ---------- control routes ----------

fn opt_field(m: &Map<String, Value>, field: &str) -> Result<Option<String>, Response> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(&format!("{field}: must be a string"))),
    }
}

fn optional_object(body: &Bytes) -> Result<Map<String, Value>, Response> {
    if body.is_empty() {
        Ok(Map::new())
    } else {
        object(body)
    }
}

fn control_answer(app: &App, token: &str, action: Action) -> Reply {
    match act(app, token, action) {
        Ok(done) => Ok(json_response(StatusCode::OK, &done.json())),
        Err(r) => Err(r.json()),
    }
}

/// `POST /_sandbox/remote-pairing/{token}/finish` (`{number?, displayName?}`).
pub(super) async fn control_finish(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
    body: Bytes,
) -> Reply {
    let m = optional_object(&body)?;
    let action = Action::Finish(Finish {
        number: opt_field(&m, "number")?,
        display_name: opt_field(&m, "displayName")?,
    });
    control_answer(&app, &token, action)
}

/// `POST /_sandbox/remote-pairing/{token}/cancel` (`{step?}`).
pub(super) async fn control_cancel(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
    body: Bytes,
) -> Reply {
    let m = optional_object(&body)?;
    let action = Action::Cancel {
        step: opt_field(&m, "step")?,
    };
    control_answer(&app, &token, action)
}

/// `POST /_sandbox/remote-pairing/{token}/fail` (`{errorId?, errorMessage?}`).
pub(super) async fn control_fail(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
    body: Bytes,
) -> Reply {
    let m = optional_object(&body)?;
    let action = Action::Fail {
        error_id: opt_field(&m, "errorId")?,
        message: opt_field(&m, "errorMessage")?,
    };
    control_answer(&app, &token, action)
}

/// `GET /_sandbox/remote-pairing/{token}`: the link as the sandbox keeps it, cleared or not.
pub(super) async fn control_view(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
) -> Reply {
    let mut st = lock(&app.state);
    let now = app.clock.now();
    app.purge_expired(&mut st, now);
    if st.tokens.get(&token).is_some_and(|t| t.expired(now)) {
        st.retire(&token, Retired::Expired);
    }
    let (t, status) = match (st.tokens.get(&token), st.retired.get(&token)) {
        (Some(t), _) => (
            t,
            if t.finished.is_some() {
                "finished"
            } else {
                "pending"
            },
        ),
        (None, Some((t, why))) => (t, why.as_str()),
        (None, None) => return Err(Gone::Unknown.json()),
    };
    let aborts: Vec<Value> = t
        .aborts
        .iter()
        .map(|a| match a {
            Abort::Cancelled { step, at } => {
                json!({"outcome": "cancelled", "step": step, "at": app.clock.iso_at(*at)})
            }
            Abort::Failed {
                error_id,
                message,
                session_id,
                at,
            } => json!({
                "outcome": "failed", "errorId": error_id, "errorMessage": message,
                "sessionId": session_id, "at": app.clock.iso_at(*at),
            }),
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "token": token,
            "provider": t.provider,
            "status": status,
            "pageUrl": format!("{}/connect/{token}", app.base_url),
            "createdAt": app.clock.iso_at(t.created),
            "expiresAt": app.clock.iso_at(t.created + TOKEN_TTL_SECS),
            "numberId": t.number_id,
            "finishedAt": t.finished.map(|f| app.clock.iso_at(f)),
            "redirectUrl": t.redirect_url,
            "externalRef": t.external_ref,
            "metaFlow": t.meta_flow,
            "branding": t.branding,
            "aborts": aborts,
        }),
    ))
}

// ---------- the page ----------

/// `?step=number`: the page with the number step open (where "Continue with Facebook" leads
/// without JavaScript).
#[derive(Deserialize, Default)]
pub(super) struct PageQuery {
    step: Option<String>,
}

/// The finish form.
#[derive(Deserialize, Default)]
pub(super) struct FinishForm {
    number: Option<String>,
    #[serde(rename = "otherNumber")]
    other_number: Option<String>,
    #[serde(rename = "displayName")]
    display_name: Option<String>,
}

/// The cancel form.
#[derive(Deserialize, Default)]
pub(super) struct CancelForm {
    step: Option<String>,
}

/// The fail form.
#[derive(Deserialize, Default)]
pub(super) struct FailForm {
    #[serde(rename = "errorId")]
    error_id: Option<String>,
    #[serde(rename = "errorMessage")]
    error_message: Option<String>,
}

/// HTML-escapes text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A `#RRGGBB` from the branding (checked when stored), or the default.
fn color<'a>(b: &'a Map<String, Value>, field: &str, default: &'a str) -> &'a str {
    text(b, field)
        .filter(|c| {
            c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|x| x.is_ascii_hexdigit())
        })
        .unwrap_or(default)
}

/// What the page shows of a link.
struct Look {
    company: String,
    subtitle: Option<String>,
    primary: String,
    background: String,
    powered_by: bool,
}

impl Look {
    fn of(b: &Map<String, Value>) -> Self {
        Self {
            company: text(b, "companyName").unwrap_or("Pilot Status").to_owned(),
            subtitle: text(b, "subtitle").map(str::to_owned),
            primary: color(b, "primaryColor", "#1877F2").to_owned(),
            background: color(b, "backgroundColor", "#F0F2F5").to_owned(),
            powered_by: b.get("hidePilotStatusBranding") != Some(&Value::Bool(true)),
        }
    }

    fn plain() -> Self {
        Self::of(&Map::new())
    }
}

const STYLE: &str = "[hidden]{display:none!important}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;background:var(--bg);color:#1c1e21}\
main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.15)}\
h1{font-size:1.3rem;margin:0}h2{font-size:1.1rem}#subtitle{margin:.25rem 0 0;color:#65676b}\
header{border-bottom:4px solid var(--primary);padding-bottom:.75rem;margin-bottom:1rem}\
label{display:block;margin:.75rem 0 .25rem;font-weight:600}\
select,input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #ccd0d5;border-radius:6px}\
button,.fb{display:block;width:100%;margin-top:.75rem;padding:.7rem;border:0;border-radius:6px;font-size:1rem;font-weight:600;cursor:pointer;text-align:center;text-decoration:none;box-sizing:border-box}\
.fb{background:#1877f2;color:#fff}.primary{background:var(--primary);color:#fff}\
fieldset{border:1px solid #dddfe2;border-radius:8px;margin:1rem 0 0;padding:.75rem}legend{font-weight:600}\
.error{background:#fdecea;color:#8a1c12;padding:.5rem .75rem;border-radius:6px}\
.note,footer{color:#65676b;font-size:.85rem}footer{text-align:center;margin-top:1.25rem}code{word-break:break-all}";

/// A whole HTML answer: inline style, inline scripts allowed by a per-answer nonce, nothing
/// loaded from anywhere.
fn html(status: StatusCode, look: &Look, title: &str, body: &str, script: &str) -> Response {
    let nonce = format!("{:032x}", fastrand::u128(..));
    let script = if script.is_empty() {
        String::new()
    } else {
        format!("<script nonce=\"{nonce}\">{script}</script>")
    };
    let footer = if look.powered_by {
        "<footer id=\"powered-by\">Powered by Pilot Status · local sandbox</footer>"
    } else {
        ""
    };
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>:root{{--primary:{primary};--bg:{bg}}}{STYLE}</style>\n</head>\n\
         <body>\n{body}\n{footer}\n{script}\n</body>\n</html>\n",
        title = esc(title),
        primary = look.primary,
        bg = look.background,
    );
    let mut r = (status, page).into_response();
    let h = r.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if let Ok(csp) = HeaderValue::from_str(&format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; base-uri 'none'"
    )) {
        h.insert("content-security-policy", csp);
    }
    r
}

fn header(look: &Look) -> String {
    let subtitle = look
        .subtitle
        .as_deref()
        .map(|s| format!("\n<p id=\"subtitle\">{}</p>", esc(s)))
        .unwrap_or_default();
    format!(
        "<header id=\"branding\">\n<h1 id=\"company-name\">{}</h1>{subtitle}\n</header>",
        esc(&look.company)
    )
}

/// The page of a link that cannot be used (unknown, QR, used, expired, abandoned).
fn gone_page(why: Gone, look: &Look) -> Response {
    let body = format!(
        "<main id=\"link-gone\" data-reason=\"{}\">\n{}\n<h2>This link cannot be used</h2>\n<p id=\"message\">{}</p>\n</main>",
        why.reason(),
        header(look),
        esc(why.message())
    );
    let script = if why == Gone::Expired {
        embed_message("connect:expired", &json!({}))
    } else {
        String::new()
    };
    html(why.page_status(), look, "Link unavailable", &body, &script)
}

/// A script posting one Connect message (`{source:"pilot-status-embed", v:1, type, payload}`)
/// to the page that opened or frames this one, if any.
fn embed_message(kind: &str, payload: &Value) -> String {
    let msg = json!({"source": "pilot-status-embed", "v": 1, "type": kind, "payload": payload});
    // JSON inside a script: `<` escaped so no `</script>` can close it.
    let msg = msg.to_string().replace('<', "\\u003c");
    format!(
        "(function(){{var m={msg};var t=window.opener||(window.parent!==window?window.parent:null);\
         if(t){{try{{t.postMessage(m,'*');}}catch(e){{}}}}}})();"
    )
}

/// The signup page, with the number step open or not, and an error to show if any.
fn signup_page(
    status: StatusCode,
    token: &str,
    t: &TokenRec,
    tenant: &Map<String, Value>,
    offered: &[String],
    number_step: bool,
    problem: Option<&str>,
) -> Response {
    let branding = branding_of(t, tenant);
    let look = Look::of(&branding);
    let token_attr = esc(token);
    let path = format!("/connect/{}", percent(token));
    let default_name = text(&branding, "companyName").unwrap_or(DEFAULT_NAME);
    let problem = problem
        .map(|p| {
            format!(
                "<p id=\"error\" class=\"error\" role=\"alert\">{}</p>\n",
                esc(p)
            )
        })
        .unwrap_or_default();
    let options: String = offered
        .iter()
        .map(|p| format!("<option value=\"+{p}\">+{p}</option>"))
        .collect();
    let steps: String = STEPS
        .iter()
        .map(|(s, what)| {
            let selected = if *s == DEFAULT_STEP { " selected" } else { "" };
            format!("<option value=\"{s}\"{selected}>{s} ({what})</option>")
        })
        .collect();
    let failures: String = FAILURES
        .iter()
        .map(|f| format!("<option value=\"{0}\">{0}</option>", esc(f)))
        .collect();
    let (login_hidden, number_hidden) = if number_step {
        (" hidden", "")
    } else {
        ("", " hidden")
    };
    let body = format!(
        "<main id=\"signup\" data-token=\"{token_attr}\" data-provider=\"META\" data-meta-flow=\"{flow}\">\n\
{header}\n{problem}\
<section id=\"step-login\"{login_hidden}>\n\
<p>{company} asks you to connect a WhatsApp Business number with Meta. Log in with Facebook, choose \
the business and the number, and WhatsApp messages will reach {company}.</p>\n\
<a id=\"continue\" class=\"fb\" href=\"{path}?step=number\">Continue with Facebook</a>\n\
<p class=\"note\">Sandbox: no Facebook login happens here; this page plays Meta's Embedded Signup.</p>\n\
</section>\n\
<section id=\"step-number\"{number_hidden}>\n\
<form id=\"finish-form\" method=\"post\" action=\"{path}/finish\">\n\
<label for=\"pick-number\">WhatsApp Business number</label>\n\
<select id=\"pick-number\" name=\"number\">{options}</select>\n\
<label for=\"other-number\">Or type another number</label>\n\
<input id=\"other-number\" name=\"otherNumber\" type=\"tel\" inputmode=\"tel\" autocomplete=\"off\" placeholder=\"+5511999999999\">\n\
<label for=\"display-name\">Display name</label>\n\
<input id=\"display-name\" name=\"displayName\" maxlength=\"60\" value=\"{name}\">\n\
<button id=\"finish\" class=\"primary\" type=\"submit\">Finish</button>\n\
</form>\n\
<form id=\"cancel-form\" method=\"post\" action=\"{path}/cancel\">\n<fieldset>\n\
<legend>Cancel the signup</legend>\n\
<label for=\"cancel-step\">At Meta's step</label>\n\
<select id=\"cancel-step\" name=\"step\">{steps}</select>\n\
<button id=\"cancel\" type=\"submit\">Cancel</button>\n</fieldset>\n</form>\n\
<form id=\"fail-form\" method=\"post\" action=\"{path}/fail\">\n<fieldset>\n\
<legend>Make Meta fail</legend>\n\
<label for=\"error-message\">Meta's error</label>\n\
<select id=\"error-message\" name=\"errorMessage\">{failures}</select>\n\
<label for=\"error-id\">error_id</label>\n\
<input id=\"error-id\" name=\"errorId\" autocomplete=\"off\" value=\"ES-{eid}\">\n\
<button id=\"fail\" type=\"submit\">Fail</button>\n</fieldset>\n</form>\n\
</section>\n</main>",
        flow = esc(t.meta_flow.as_deref().unwrap_or("embedded")),
        header = header(&look),
        company = esc(&look.company),
        name = esc(default_name),
        eid = fastrand::u16(1000..10000),
    );
    let script = "(function(){var c=document.getElementById('continue');if(!c){return;}\
c.addEventListener('click',function(e){e.preventDefault();\
document.getElementById('step-login').hidden=true;\
document.getElementById('step-number').hidden=false;\
var p=document.getElementById('pick-number');if(p){p.focus();}});})();";
    html(
        status,
        &look,
        &format!("Connect WhatsApp · {}", look.company),
        &body,
        script,
    )
}

/// `GET /connect/{token}` (`remotePairingUrl` of a Meta link).
pub(super) async fn page(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let number_step = q.is_ok_and(|Query(q)| q.step.as_deref() == Some("number"));
    let mut st = lock(&app.state);
    let now = app.clock.now();
    app.purge_expired(&mut st, now);
    let t = match live(&mut st, &token, now) {
        Ok(t) => t.clone(),
        Err(why) => return gone_page(why, &Look::plain()),
    };
    let offered = offered(&st);
    signup_page(
        StatusCode::OK,
        &token,
        &t,
        &st.branding,
        &offered,
        number_step,
        None,
    )
}

/// What a page's form post answers: a redirect, a result page, or the page again with the
/// problem (bad input, phone taken) or the page of a link that cannot be used.
fn page_answer(app: &App, token: &str, action: Action) -> Response {
    let result = act(app, token, action);
    let st = lock(&app.state);
    let snapshot = st
        .tokens
        .get(token)
        .or_else(|| st.retired.get(token).map(|(t, _)| t))
        .cloned();
    let look = snapshot
        .as_ref()
        .map_or_else(Look::plain, |t| Look::of(&branding_of(t, &st.branding)));
    let path = format!("/connect/{}", percent(token));
    // Bad input or a phone already taken: the page again, number step open, with the problem.
    let again = |status: StatusCode, problem: &str| match &snapshot {
        Some(t) => signup_page(
            status,
            token,
            t,
            &st.branding,
            &offered(&st),
            true,
            Some(problem),
        ),
        None => gone_page(Gone::Unknown, &look),
    };
    match result {
        Err(Refusal::Gone(why)) => gone_page(why, &look),
        Err(Refusal::Invalid(d)) => again(StatusCode::BAD_REQUEST, &d),
        Err(Refusal::Conflict(m, _)) => again(StatusCode::CONFLICT, m),
        Err(Refusal::Internal(m)) => again(StatusCode::INTERNAL_SERVER_ERROR, &m),
        Ok(Done::Finished {
            redirect: Some(url),
            ..
        }) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&url) {
                r.headers_mut().insert("location", v);
            }
            r.headers_mut()
                .insert("cache-control", HeaderValue::from_static("no-store"));
            r
        }
        Ok(Done::Finished {
            number_id,
            phone,
            name,
            state,
            ..
        }) => {
            let body = format!(
                "<main id=\"result\" data-outcome=\"finished\" data-number-id=\"{id}\" data-number=\"{phone}\" data-state=\"{state}\">\n\
{header}\n<h2>WhatsApp number connected</h2>\n\
<p>{phone} is connected to {company} as “{name}”. You can close this window.</p>\n</main>",
                id = esc(&number_id),
                phone = esc(&phone),
                header = header(&look),
                company = esc(&look.company),
                name = esc(&name),
            );
            html(
                StatusCode::OK,
                &look,
                "WhatsApp number connected",
                &body,
                &embed_message("connect:paired", &json!({ "numberId": number_id })),
            )
        }
        Ok(Done::Cancelled { step, usable }) => {
            let what = STEPS
                .iter()
                .find(|(s, _)| *s == step)
                .map_or("", |(_, w)| *w);
            let again = if usable {
                format!("<p><a id=\"try-again\" href=\"{path}\">Try again</a></p>")
            } else {
                "<p id=\"link-spent\">This link cannot be used again. Ask for a new link.</p>"
                    .into()
            };
            let body = format!(
                "<main id=\"result\" data-outcome=\"cancelled\" data-step=\"{step}\">\n{header}\n\
<h2>Signup cancelled</h2>\n<p>The signup was cancelled while {what} (<code>{step}</code>).</p>\n{again}\n</main>",
                header = header(&look),
            );
            html(
                StatusCode::OK,
                &look,
                "Signup cancelled",
                &body,
                &embed_message(
                    "connect:error",
                    &json!({"message": format!("Signup cancelled at {step}")}),
                ),
            )
        }
        Ok(Done::Failed {
            error_id,
            message,
            session_id,
            usable,
        }) => {
            let again = if usable {
                format!("<p><a id=\"try-again\" href=\"{path}\">Try again</a></p>")
            } else {
                "<p id=\"link-spent\">This link cannot be used again. Ask for a new link.</p>"
                    .into()
            };
            let body = format!(
                "<main id=\"result\" data-outcome=\"failed\" data-error-id=\"{eid}\" data-session-id=\"{sid}\">\n{header}\n\
<h2>Meta could not finish the signup</h2>\n<p id=\"failure\">{msg}</p>\n\
<p>Give support this reference: error_id <code>{eid}</code>, session_id <code>{sid}</code>.</p>\n{again}\n</main>",
                eid = esc(&error_id),
                sid = esc(&session_id),
                msg = esc(&message),
                header = header(&look),
            );
            html(
                StatusCode::OK,
                &look,
                "Signup failed",
                &body,
                &embed_message(
                    "connect:error",
                    &json!({"message": message, "errorId": error_id, "sessionId": session_id}),
                ),
            )
        }
    }
}

fn bad_form(app: &App, token: &str, e: &FormRejection) -> Response {
    let why = format!("the form must be sent as application/x-www-form-urlencoded: {e}");
    let st = lock(&app.state);
    match st.tokens.get(token) {
        Some(t) if t.provider == "META" && t.finished.is_none() => {
            let offered = offered(&st);
            signup_page(
                StatusCode::BAD_REQUEST,
                token,
                t,
                &st.branding,
                &offered,
                true,
                Some(&why),
            )
        }
        _ => gone_page(Gone::Unknown, &Look::plain()),
    }
}

/// `POST /connect/{token}/finish` (form: `number`, `otherNumber` (wins when not blank),
/// `displayName`).
pub(super) async fn page_finish(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
    form: Result<Form<FinishForm>, FormRejection>,
) -> Response {
    let f = match form {
        Ok(Form(f)) => f,
        Err(e) => return bad_form(&app, &token, &e),
    };
    let number = given(f.other_number).or(f.number);
    page_answer(
        &app,
        &token,
        Action::Finish(Finish {
            number,
            display_name: f.display_name,
        }),
    )
}

/// `POST /connect/{token}/cancel` (form: `step`).
pub(super) async fn page_cancel(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
    form: Result<Form<CancelForm>, FormRejection>,
) -> Response {
    match form {
        Ok(Form(f)) => page_answer(&app, &token, Action::Cancel { step: f.step }),
        Err(e) => bad_form(&app, &token, &e),
    }
}

/// `POST /connect/{token}/fail` (form: `errorId`, `errorMessage`).
pub(super) async fn page_fail(
    AxState(app): AxState<Shared>,
    Path(token): Path<String>,
    form: Result<Form<FailForm>, FormRejection>,
) -> Response {
    match form {
        Ok(Form(f)) => page_answer(
            &app,
            &token,
            Action::Fail {
                error_id: f.error_id,
                message: f.error_message,
            },
        ),
        Err(e) => bad_form(&app, &token, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_the_query_and_the_fragment() {
        let r = |u: &str, m| redirect_to(u, m, "wa_1", Some("crm 42/é"));
        assert_eq!(
            r("https://a.example/x", RedirectParams::None),
            "https://a.example/x"
        );
        assert_eq!(
            r("https://a.example/x", RedirectParams::Status),
            "https://a.example/x?status=success"
        );
        assert_eq!(
            r("https://a.example/x?a=1#top", RedirectParams::Full),
            "https://a.example/x?a=1&status=success&numberId=wa_1&externalRef=crm%2042%2F%C3%A9#top"
        );
        assert_eq!(
            redirect_to("http://h/?", RedirectParams::Full, "wa_2", None),
            "http://h/?status=success&numberId=wa_2"
        );
    }

    #[test]
    fn phones_and_steps() {
        assert_eq!(
            meta_phone("+55 (11) 95550-0001").ok(),
            Some("5511955500001".into())
        );
        assert!(meta_phone("+55abc").is_err());
        assert!(meta_phone("1234567").is_err());
        assert_eq!(step_of(None).ok(), Some(DEFAULT_STEP.into()));
        assert_eq!(
            step_of(Some("permissions".into())).ok(),
            Some("PERMISSIONS".into())
        );
        assert!(step_of(Some("nope".into())).is_err());
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
