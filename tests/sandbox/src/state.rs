//! The sandbox's data model and rules, independent of HTTP.
//!
//! A pairing attempt behaves like WhatsApp Web: 6 refs, the first shown for 60 s and each
//! later one for 20 s (160 s in all); then the attempt ends and the number falls back to
//! `CLOSE`. The pairing code belongs to the attempt and does not rotate with the QR.
//!
//! A dual number (`upgrade-to-dual`) has a second link that pairs the same way, with its own
//! attempts, refs, pairing code and state. The number's `state` is its primary link's;
//! `isFullyConnected` is true only when every link it has is `OPEN`.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value};

use crate::clock::Clock;
use crate::qr;

/// Refs per attempt.
pub const REFS_PER_ATTEMPT: usize = 6;
/// Virtual seconds the first ref is shown.
pub const FIRST_REF_SECS: f64 = 60.0;
/// Virtual seconds each later ref is shown.
pub const NEXT_REF_SECS: f64 = 20.0;
/// Soft-delete window.
pub const RESTORE_WINDOW_SECS: f64 = 30.0 * 86_400.0;
/// Remote-pairing token lifetime.
pub const TOKEN_TTL_SECS: f64 = 86_400.0;

/// What a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Account-wide.
    Tenant,
    /// Bound to one number (or to none yet).
    Number(Option<String>),
}

/// A configured API key.
#[derive(Debug, Clone)]
pub struct KeyRec {
    /// `key_…`
    pub id: String,
    /// Display name.
    pub name: String,
    /// Scope.
    pub scope: Scope,
}

/// One pairing attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Virtual start time.
    pub started: f64,
    /// The refs, rendered lazily.
    pub refs: Vec<String>,
    /// PNG data URLs, by ref index.
    pub pngs: Vec<Option<String>>,
    /// Pairing code of the attempt.
    pub pairing_code: String,
    /// 1-based attempt counter of the number.
    pub number: u32,
}

impl Attempt {
    fn new(now: f64, number: u32) -> Self {
        Self {
            started: now,
            refs: (0..REFS_PER_ATTEMPT).map(|_| qr::new_ref()).collect(),
            pngs: vec![None; REFS_PER_ATTEMPT],
            pairing_code: qr::new_pairing_code(),
            number,
        }
    }

    /// Index of the ref shown at `now` and virtual seconds it has left; `None` once over.
    pub fn current(&self, now: f64) -> Option<(usize, f64)> {
        let e = now - self.started;
        if e < FIRST_REF_SECS {
            return Some((0, FIRST_REF_SECS - e));
        }
        let later = e - FIRST_REF_SECS;
        // Truncation is the point: which 20 s slot we are in.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let idx = 1 + (later / NEXT_REF_SECS) as usize;
        (idx < REFS_PER_ATTEMPT).then(|| (idx, NEXT_REF_SECS - later % NEXT_REF_SECS))
    }

    /// Virtual seconds until the attempt ends.
    pub fn ends_in(&self, now: f64) -> f64 {
        self.started + FIRST_REF_SECS + NEXT_REF_SECS * (REFS_PER_ATTEMPT - 1) as f64 - now
    }
}

/// Meta credentials and set-up of a Meta number (secrets kept only to prove they arrived).
#[derive(Debug, Clone)]
pub struct MetaRec {
    /// Phone number id.
    pub phone_id: String,
    /// WABA id.
    pub waba_id: String,
    /// App id.
    pub app_id: String,
    /// Verify token handed back.
    pub verify_token: String,
}

/// Which link of a number a call acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkId {
    /// The first link (every QR number has it).
    Primary,
    /// The second link of a dual number (`POST /v1/numbers/{id}/upgrade-to-dual`).
    Secondary,
}

impl LinkId {
    /// Wire value of `?link=` / `{"link"}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }

    /// `None` and `"primary"` are the primary link, `"secondary"` the second one.
    pub fn parse(raw: Option<&str>) -> Option<Self> {
        match raw {
            None | Some("primary") => Some(Self::Primary),
            Some("secondary") => Some(Self::Secondary),
            Some(_) => None,
        }
    }
}

/// One link of a number: its own connection, its own pairing attempts (refs, QR PNGs,
/// pairing code, lifetime).
#[derive(Debug, Clone, Default)]
pub struct LinkRec {
    /// Connected since (virtual).
    pub open_since: Option<f64>,
    /// Current pairing attempt.
    pub attempt: Option<Attempt>,
    /// Attempts so far (on this link).
    pub attempts: u32,
}

impl LinkRec {
    /// Ends an attempt whose refs ran out; returns the state and, when an attempt just
    /// ended, the virtual time it ended (when the link fell back to `CLOSE`).
    fn settle(&mut self, now: f64) -> (Conn, Option<f64>) {
        if self.open_since.is_some() {
            return (Conn::Open, None);
        }
        if let Some(a) = &self.attempt {
            if a.current(now).is_some() {
                return (Conn::Connecting, None);
            }
            let ended = a.started + a.ends_in(a.started);
            self.attempt = None;
            return (Conn::Close, Some(ended));
        }
        (Conn::Close, None)
    }

    /// The PNG data URL of ref `idx` of the running attempt (rendered once).
    fn qr_data_url(&mut self, idx: usize) -> Result<String, String> {
        let a = self.attempt.as_mut().ok_or("no attempt")?;
        if let Some(Some(url)) = a.pngs.get(idx) {
            return Ok(url.clone());
        }
        let png = qr::render_png(&a.refs[idx])?;
        let url = pilot_connect::QrImage::from_png(&png)
            .map_err(|e| e.to_string())?
            .as_data_url()
            .to_owned();
        a.pngs[idx] = Some(url.clone());
        Ok(url)
    }
}

/// One number.
#[derive(Debug, Clone)]
pub struct NumberRec {
    /// `wa_…`
    pub id: String,
    /// Digits only.
    pub phone: String,
    /// Display name.
    pub name: String,
    /// Provider-side name.
    pub instance_name: String,
    /// `PILOT_STATUS` or `META`.
    pub meta: Option<MetaRec>,
    /// Virtual creation time.
    pub created: f64,
    /// Virtual last update.
    pub updated: f64,
    /// The first link; the number's top-level `state` is its state.
    pub primary: LinkRec,
    /// The second link, once the number is dual.
    pub secondary: Option<LinkRec>,
    /// Soft-deleted at (virtual).
    pub deleted: Option<f64>,
    /// The number's own number-scoped key.
    pub key: String,
    /// Its id.
    pub key_id: String,
    /// WhatsApp profile name once connected.
    pub profile_name: Option<String>,
    /// The `externalRef` of the Meta link that made it, and where it is echoed.
    pub external_ref: Option<ExternalRef>,
}

/// A Meta link's `externalRef`, kept on the number it made, with where `--link-external-ref`
/// echoes it (fixed when the number is made: the flags do not change while running).
#[derive(Debug, Clone)]
pub struct ExternalRef {
    /// As the link was given it.
    pub value: String,
    /// In the `data` of the number's `number.*` webhooks.
    pub in_events: bool,
    /// In `GET /v1/numbers/{id}`.
    pub in_detail: bool,
}

/// Derived connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    /// Connected.
    Open,
    /// Showing a QR.
    Connecting,
    /// Disconnected.
    Close,
}

impl Conn {
    /// Wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Connecting => "CONNECTING",
            Self::Close => "CLOSE",
        }
    }
}

impl NumberRec {
    /// The link `which`, if the number has it.
    pub fn link(&self, which: LinkId) -> Option<&LinkRec> {
        match which {
            LinkId::Primary => Some(&self.primary),
            LinkId::Secondary => self.secondary.as_ref(),
        }
    }

    fn link_mut(&mut self, which: LinkId) -> Result<&mut LinkRec, String> {
        match which {
            LinkId::Primary => Ok(&mut self.primary),
            LinkId::Secondary => self
                .secondary
                .as_mut()
                .ok_or_else(|| "no secondary link".into()),
        }
    }

    /// Is the number dual (has a secondary link)?
    pub fn is_dual(&self) -> bool {
        self.secondary.is_some()
    }

    /// Ends attempts whose refs ran out (on every link) and reports the state of `which`
    /// (`None`: the number has no such link).
    pub fn settle_link(&mut self, which: LinkId, now: f64) -> Option<Conn> {
        let primary = self.primary.settle(now);
        let secondary = self.secondary.as_mut().map(|l| l.settle(now));
        for ended in [primary.1, secondary.and_then(|s| s.1)]
            .into_iter()
            .flatten()
        {
            // The attempt ended by itself: that is when the link fell back to CLOSE.
            self.updated = self.updated.max(ended);
        }
        match which {
            LinkId::Primary => Some(primary.0),
            LinkId::Secondary => secondary.map(|s| s.0),
        }
    }

    /// Settles every link and reports the primary link's state: the number's `state`.
    pub fn settle(&mut self, now: f64) -> Conn {
        self.settle_link(LinkId::Primary, now)
            .unwrap_or(Conn::Close)
    }

    /// `isFullyConnected`: every link the number has is `OPEN`.
    pub fn fully_connected(&mut self, now: f64) -> bool {
        self.settle(now) == Conn::Open
            && self
                .settle_link(LinkId::Secondary, now)
                .is_none_or(|c| c == Conn::Open)
    }

    /// Is any link `OPEN` (does the number get messages)?
    pub fn any_open(&mut self, now: f64) -> bool {
        self.settle(now) == Conn::Open
            || self.settle_link(LinkId::Secondary, now) == Some(Conn::Open)
    }

    /// `PILOT_STATUS` or `META`.
    pub fn provider(&self) -> &'static str {
        if self.meta.is_some() {
            "META"
        } else {
            "PILOT_STATUS"
        }
    }

    /// `health.metaStatus` of a Meta number: `CONNECTED` while its (primary) link is `OPEN`,
    /// `PENDING` otherwise (waiting on Meta). `None` for a QR number. The documentation names
    /// the field but not its values: these two are the sandbox's inference.
    pub fn meta_status(&self) -> Option<&'static str> {
        self.meta.as_ref().map(|_| {
            if self.primary.open_since.is_some() {
                "CONNECTED"
            } else {
                "PENDING"
            }
        })
    }

    /// Starts a new attempt on link `which` unless one is running; returns (ref index, ref,
    /// pairing code).
    pub fn ensure_attempt(
        &mut self,
        which: LinkId,
        now: f64,
    ) -> Result<(usize, String, String), String> {
        if self.settle_link(which, now).ok_or("no such link")? == Conn::Close {
            let link = self.link_mut(which)?;
            link.attempts += 1;
            link.attempt = Some(Attempt::new(now, link.attempts));
            self.updated = now;
        }
        let a = self.link_mut(which)?.attempt.as_ref().ok_or("no attempt")?;
        let (idx, _) = a.current(now).ok_or("attempt over")?;
        Ok((idx, a.refs[idx].clone(), a.pairing_code.clone()))
    }

    /// The QR (PNG data URL) and pairing code to show for link `which`, starting an attempt
    /// if none is running.
    pub fn pairing(&mut self, which: LinkId, now: f64) -> Result<(String, String), String> {
        let (idx, _ref, code) = self.ensure_attempt(which, now)?;
        let qr = self.link_mut(which)?.qr_data_url(idx)?;
        Ok((qr, code))
    }

    /// Gives the number its secondary link (not yet paired). `false` if it already has one.
    pub fn upgrade_to_dual(&mut self, now: f64) -> bool {
        if self.secondary.is_some() {
            return false;
        }
        self.secondary = Some(LinkRec::default());
        self.updated = now;
        true
    }

    /// Link `which` connects (scan or pairing code).
    pub fn open(&mut self, which: LinkId, now: f64) -> Result<(), String> {
        let link = self.link_mut(which)?;
        link.attempt = None;
        link.open_since = Some(now);
        self.updated = now;
        if self.profile_name.is_none() {
            self.profile_name = Some(self.name.clone());
        }
        Ok(())
    }

    /// Link `which` disconnects.
    pub fn close(&mut self, which: LinkId, now: f64) -> Result<(), String> {
        let link = self.link_mut(which)?;
        link.attempt = None;
        link.open_since = None;
        self.updated = now;
        Ok(())
    }

    /// Every device is logged out (delete): all links `CLOSE`, no attempt running.
    pub fn log_out_all(&mut self, now: f64) {
        for link in std::iter::once(&mut self.primary).chain(self.secondary.as_mut()) {
            link.attempt = None;
            link.open_since = None;
        }
        self.updated = now;
    }

    /// `primaryLink` / `secondaryLink` info: `{state, connectedAt}`, or `null` when the
    /// number has no such link.
    pub fn link_info(&mut self, which: LinkId, clock: &Clock) -> Value {
        let Some(state) = self.settle_link(which, clock.now()) else {
            return Value::Null;
        };
        let open_since = self.link(which).and_then(|l| l.open_since);
        json!({
            "state": state.as_str(),
            "connectedAt": open_since.map(|t| clock.iso_at(t)),
        })
    }

    /// The number as listed (`GET /v1/numbers` item).
    pub fn summary(&mut self, clock: &Clock) -> Value {
        let state = self.settle(clock.now());
        let mut v = json!({
            "id": self.id,
            "instanceName": self.instance_name,
            "number": self.phone,
            "name": self.name,
            "provider": self.provider(),
            "apiKeys": [{
                "name": "Default",
                "keyPrefix": &self.key[..7.min(self.key.len())],
                "keyLast4": &self.key[self.key.len().saturating_sub(4)..],
            }],
            "state": state.as_str(),
            "isFullyConnected": self.fully_connected(clock.now()),
            "primaryLink": self.link_info(LinkId::Primary, clock),
            "secondaryLink": self.link_info(LinkId::Secondary, clock),
            "createdAt": clock.iso_at(self.created),
            "updatedAt": clock.iso_at(self.updated),
            "extraChargeUnpaidSince": null,
            "extraChargeDisconnectAt": null,
        });
        if let (Some(m), Some(obj)) = (&self.meta, v.as_object_mut()) {
            obj.insert("metaPhoneId".into(), json!(m.phone_id));
            obj.insert("metaWabaId".into(), json!(m.waba_id));
        }
        v
    }

    /// `GET /v1/numbers/{id}` detail. A Meta number's `health` carries `metaStatus`
    /// ([`NumberRec::meta_status`]); a QR number's has none.
    pub fn detail(&mut self, clock: &Clock) -> Value {
        let mut v = self.summary(clock);
        let open = self.primary.open_since.is_some();
        let sendable = self.fully_connected(clock.now());
        if let Some(obj) = v.as_object_mut() {
            obj.remove("apiKeys");
            obj.insert("coexistence".into(), Value::Null);
            let mut health =
                json!({"qualityRating": if open {"GREEN"} else {"UNKNOWN"}, "sendable": sendable});
            if let (Some(status), Some(h)) = (self.meta_status(), health.as_object_mut()) {
                h.insert("metaStatus".into(), json!(status));
            }
            if let Some(r) = self.external_ref.as_ref().filter(|r| r.in_detail) {
                obj.insert("externalRef".into(), json!(r.value));
            }
            obj.insert("health".into(), health);
            obj.insert(
                "meta".into(),
                match &self.meta {
                    Some(m) => json!({"phone": {"id": m.phone_id}, "waba": {"id": m.waba_id}, "profile": null}),
                    None => Value::Null,
                },
            );
        }
        v
    }

    /// `instance` inside create/remote-pairing answers.
    pub fn instance(&mut self, clock: &Clock) -> Value {
        let state = self.settle(clock.now());
        json!({
            "id": self.id,
            "instanceName": self.instance_name,
            "number": self.phone,
            "name": self.name,
            "state": state.as_str(),
            "primaryLink": self.link_info(LinkId::Primary, clock),
            "secondaryLink": self.link_info(LinkId::Secondary, clock),
            "isFullyConnected": self.fully_connected(clock.now()),
            "createdAt": clock.iso_at(self.created),
        })
    }

    /// Webhook `data` for a `number.*` event. It names the number, never a link: the
    /// documented payload has no link field, whichever link the event is about.
    pub fn event_data(&self, clock: &Clock) -> Value {
        let mut v = json!({
            "numberId": self.id,
            "phone": format!("+{}", self.phone),
            "displayName": self.name,
            "createdAt": clock.iso_now(),
        });
        if let (Some(p), Some(o)) = (&self.profile_name, v.as_object_mut()) {
            o.insert("profileName".into(), json!(p));
        }
        if let (Some(r), Some(o)) = (
            self.external_ref.as_ref().filter(|r| r.in_events),
            v.as_object_mut(),
        ) {
            o.insert("externalRef".into(), json!(r.value));
        }
        v
    }
}

/// Why a Meta link's signup did not finish (the person cancelled, or Meta failed it).
#[derive(Debug, Clone)]
pub enum Abort {
    /// Cancelled at one of Meta's steps (`current_step` of Meta's `CANCEL` event).
    Cancelled {
        /// e.g. `PHONE_NUMBER_SETUP`.
        step: String,
        /// Virtual time.
        at: f64,
    },
    /// Meta's `ERROR` event.
    Failed {
        /// Meta's `error_id` (what support asks for).
        error_id: String,
        /// Meta's `error_message`.
        message: String,
        /// Meta's `session_id`.
        session_id: String,
        /// Virtual time.
        at: f64,
    },
}

/// Why a token left [`State::tokens`] (the page and the control routes still tell why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retired {
    /// Its signup finished (or its number connected) and the single-use token was cleared.
    Used,
    /// Older than 24 h.
    Expired,
    /// Cancelled or failed under `--link-after-abort spent`.
    Abandoned,
}

impl Retired {
    /// Wire value (control view).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Used => "used",
            Self::Expired => "expired",
            Self::Abandoned => "abandoned",
        }
    }
}

/// A remote-pairing link.
#[derive(Debug, Clone)]
pub struct TokenRec {
    /// The number it pairs (`None` for a Meta link until its signup is finished: then the
    /// number it made).
    pub number_id: Option<String>,
    /// Virtual creation time.
    pub created: f64,
    /// `PILOT_STATUS` or `META`.
    pub provider: &'static str,
    /// The link's branding snapshot by the name it came under (`branding`, `brandingOverride`,
    /// or both), answered under the same name by the token's info.
    pub branding: serde_json::Map<String, Value>,
    /// Meta: where the browser goes once the signup is finished.
    pub redirect_url: Option<String>,
    /// Meta: the correlation reference given at creation.
    pub external_ref: Option<String>,
    /// Meta: `embedded` or `credentials` as given (the sandbox plays both as Embedded Signup).
    pub meta_flow: Option<String>,
    /// Meta: when the signup was finished (the link is spent: the page and the control routes
    /// refuse it; the public endpoints answer until the token is cleared).
    pub finished: Option<f64>,
    /// Meta: cancelled or failed signups so far, oldest first.
    pub aborts: Vec<Abort>,
}

impl TokenRec {
    /// A new link, nothing Meta-specific set.
    pub fn new(
        provider: &'static str,
        number_id: Option<String>,
        created: f64,
        branding: serde_json::Map<String, Value>,
    ) -> Self {
        Self {
            number_id,
            created,
            provider,
            branding,
            redirect_url: None,
            external_ref: None,
            meta_flow: None,
            finished: None,
            aborts: Vec::new(),
        }
    }

    /// Older than [`TOKEN_TTL_SECS`] at `now`?
    pub fn expired(&self, now: f64) -> bool {
        now - self.created > TOKEN_TTL_SECS
    }
}

/// Everything the sandbox remembers.
#[derive(Debug, Default)]
pub struct State {
    /// Numbers by id.
    pub numbers: BTreeMap<String, NumberRec>,
    /// Keys by raw value.
    pub keys: HashMap<String, KeyRec>,
    /// Raw keys by key id.
    pub key_ids: HashMap<String, String>,
    /// Remote-pairing tokens the public endpoints answer.
    pub tokens: HashMap<String, TokenRec>,
    /// Tokens cleared (used, expired, abandoned), kept so the hosted page and the control
    /// routes can say why a link no longer works.
    pub retired: HashMap<String, (TokenRec, Retired)>,
    /// The tenant's branding (`/v1/branding`): the fields set, by their JSON name.
    pub branding: serde_json::Map<String, Value>,
    seq: u64,
}

fn ulid_like(prefix: &str, seq: u64) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let tail: String = (0..10)
        .map(|_| char::from(A[fastrand::usize(..A.len())]))
        .collect();
    format!("{prefix}{seq:04}{tail}")
}

impl State {
    /// Next id with a prefix (`wa_`, `key_`, …).
    pub fn next_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        ulid_like(prefix, self.seq)
    }

    /// Registers a key.
    pub fn add_key(&mut self, raw: String, id: String, name: &str, scope: Scope) {
        self.key_ids.insert(id.clone(), raw.clone());
        self.keys.insert(
            raw,
            KeyRec {
                id,
                name: name.to_owned(),
                scope,
            },
        );
    }

    /// Clears a token (the public endpoints answer 404 from now on), remembering why.
    pub fn retire(&mut self, token: &str, why: Retired) {
        if let Some(t) = self.tokens.remove(token) {
            self.retired.insert(token.to_owned(), (t, why));
        }
    }

    /// Drops soft-deleted numbers whose window ended; returns their ids (the caller drops
    /// what lives outside the state, e.g. their webhooks).
    pub fn purge_expired(&mut self, now: f64) -> Vec<String> {
        let expired: Vec<String> = self
            .numbers
            .values()
            .filter(|n| n.deleted.is_some_and(|d| now - d > RESTORE_WINDOW_SECS))
            .map(|n| n.id.clone())
            .collect();
        for id in &expired {
            self.remove_for_good(id);
        }
        expired
    }

    /// Erases a number, its key and its remote-pairing links (its webhooks live in the
    /// dispatcher: see `Dispatcher::forget_number`).
    pub fn remove_for_good(&mut self, id: &str) -> Option<NumberRec> {
        let n = self.numbers.remove(id)?;
        self.keys.remove(&n.key);
        self.key_ids.remove(&n.key_id);
        self.tokens
            .retain(|_, t| t.number_id.as_deref() != Some(id));
        Some(n)
    }

    /// Active (not deleted) number with this phone.
    pub fn active_by_phone(&self, phone: &str) -> Option<&NumberRec> {
        self.numbers
            .values()
            .find(|n| n.phone == phone && n.deleted.is_none())
    }

    /// Soft-deleted number with this phone.
    pub fn deleted_by_phone(&self, phone: &str) -> Option<&NumberRec> {
        self.numbers
            .values()
            .find(|n| n.phone == phone && n.deleted.is_some())
    }

    /// Creates a number with its own number-scoped key.
    pub fn create_number(
        &mut self,
        name: &str,
        phone: &str,
        meta: Option<MetaRec>,
        now: f64,
    ) -> String {
        let id = self.next_id("wa_");
        let key_id = self.next_id("key_");
        let key = format!(
            "ps_{}",
            qr::new_pairing_code().replace('-', "").to_lowercase() + &fastrand::u64(..).to_string()
        );
        self.add_key(
            key.clone(),
            key_id.clone(),
            "Default",
            Scope::Number(Some(id.clone())),
        );
        self.numbers.insert(
            id.clone(),
            NumberRec {
                id: id.clone(),
                phone: phone.to_owned(),
                name: name.to_owned(),
                instance_name: format!("tenant-{phone}"),
                primary: LinkRec {
                    open_since: meta.as_ref().map(|_| now),
                    ..LinkRec::default()
                },
                secondary: None,
                meta,
                created: now,
                updated: now,
                deleted: None,
                key,
                key_id,
                profile_name: None,
                external_ref: None,
            },
        );
        id
    }
}
