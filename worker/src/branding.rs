//! The tenant's branding (what it set in Pilot Status's dashboard, `GET /v1/branding`), sent
//! beside the browser answers so a widget shows it with no code on the page. Read at most once
//! per isolate per `BRANDING_TTL_MS`, by whichever request finds it stale; requests that arrive
//! while it is read wait for that one read. A failure (a number key's 403, a 404, a timeout) is
//! remembered as "no branding" for the same TTL: never retried sooner, never an error in a
//! widget. An answer never waits for it longer than [`WAIT_MS`].
//!
//! A Worker's I/O belongs to the request that made it: the read runs under the starting
//! request's `waitUntil` (so it lands after that request's answer too), and the others never
//! touch it: they watch the isolate's slot, which is plain data, until it is known.

use core::time::Duration;
use std::cell::RefCell;
use std::rc::Rc;

use pilot_connect::public::{field, Branding};
use serde_json::Value;
use worker::{Context, Delay};

use crate::settings::Settings;
use crate::upstream;

/// The longest (ms) an answer waits for a branding read it did not find done, counted from
/// the request (the session's own call runs meanwhile): a slow read reaches the next answers.
pub const WAIT_MS: f64 = 1_000.0;
/// How often (ms) a waiting answer looks at the slot.
const LOOK_MS: u64 = 10;

#[derive(Clone)]
enum Slot {
    /// Never read in this isolate.
    Empty,
    /// A read under way, started at `since` (ms).
    Reading { since: f64 },
    /// Read (or failed); good until `until` (ms).
    Known { branding: Rc<Branding>, until: f64 },
}

thread_local! {
    static SLOT: RefCell<Slot> = const { RefCell::new(Slot::Empty) };
}

/// What the slot says at `now` (pure: tested natively).
#[derive(Debug, PartialEq)]
enum Now {
    /// Serve this.
    Known(Rc<Branding>),
    /// A read is under way: wait for it.
    Wait,
    /// Start a read. (A read that never ended, its request gone, is given up once a TTL old:
    /// reads stay one per TTL even then.)
    Read,
}

fn decide(slot: &Slot, now: f64, ttl_ms: f64) -> Now {
    match slot {
        Slot::Known { branding, until } if now < *until => Now::Known(branding.clone()),
        Slot::Reading { since } if now - since < ttl_ms => Now::Wait,
        _ => Now::Read,
    }
}

/// The tenant's branding for an answer (empty when off, failed, or not read within
/// [`WAIT_MS`]). Decided, and a due read started, at once: the wait counts from the request.
pub fn tenant(s: &Settings, ctx: &Context) -> impl core::future::Future<Output = Rc<Branding>> {
    let first = s.branding_ttl.map(|ttl| {
        let now = js_sys::Date::now();
        let ttl_ms = ttl.as_millis() as f64;
        let d = SLOT.with(|slot| {
            let d = decide(&slot.borrow(), now, ttl_ms);
            if d == Now::Read {
                *slot.borrow_mut() = Slot::Reading { since: now };
            }
            d
        });
        if d == Now::Read {
            let (upstream, timeout) = (s.upstream.clone(), s.upstream_timeout);
            ctx.wait_until(async move {
                let branding = Rc::new(upstream::branding(upstream, timeout).await);
                let until = js_sys::Date::now() + ttl_ms;
                SLOT.with(|slot| *slot.borrow_mut() = Slot::Known { branding, until });
            });
        }
        (d, now)
    });
    async move {
        let since = match first {
            None => return Rc::default(),
            Some((Now::Known(b), _)) => return b,
            Some((_, since)) => since,
        };
        loop {
            if let Slot::Known { branding, .. } = SLOT.with(|slot| slot.borrow().clone()) {
                return branding;
            }
            if js_sys::Date::now() - since >= WAIT_MS {
                return Rc::default();
            }
            Delay::from(Duration::from_millis(LOOK_MS)).await;
        }
    }
}

/// A 200 answer's JSON body with `branding` beside its fields; any other body as it is.
pub fn with_branding(body: Vec<u8>, branding: &Branding) -> Vec<u8> {
    if branding.is_empty() {
        return body;
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(mut m)) => {
            m.insert(field::BRANDING.into(), branding.to_json());
            serde_json::to_vec(&Value::Object(m)).unwrap_or(body)
        }
        _ => body,
    }
}

/// Pilot Status's branding object (`{branding:{…}}`, or the object itself) as a page may show
/// it: each field passes its wire rule or is left out.
pub fn from_answer(v: &Value) -> Branding {
    let object = v.get("branding").filter(|b| b.is_object()).unwrap_or(v);
    Branding::from_fields(|k| object.get(k).and_then(Value::as_str).map(str::to_owned))
}

/// A pairing link's snapshot from its token's `branding` claim, read as leniently.
pub fn from_object(m: &serde_json::Map<String, Value>) -> Branding {
    Branding::from_fields(|k| m.get(k).and_then(Value::as_str).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pilot_connect::public::BrandingField as Field;

    #[test]
    fn known_branding_is_served_until_its_ttl_then_read_again() {
        let b = Rc::new(Branding::default().with(Field::CompanyName, "Acme"));
        let slot = Slot::Known {
            branding: b.clone(),
            until: 1_000.0,
        };
        assert_eq!(decide(&slot, 999.0, 500.0), Now::Known(b));
        assert_eq!(
            decide(&slot, 1_000.0, 500.0),
            Now::Read,
            "stale: read again"
        );
        assert_eq!(decide(&Slot::Empty, 0.0, 500.0), Now::Read);
        let reading = Slot::Reading { since: 100.0 };
        assert_eq!(decide(&reading, 599.0, 500.0), Now::Wait);
        assert_eq!(
            decide(&reading, 600.0, 500.0),
            Now::Read,
            "a read that never ended is given up a TTL later"
        );
    }

    #[test]
    fn answers_gain_branding_and_errors_do_not_break() {
        let b = Branding::default().with(Field::LogoUrl, "https://logo.test/a.png");
        let out = with_branding(br#"{"state":"connected"}"#.to_vec(), &b);
        let v: Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["state"], "connected");
        assert_eq!(v["branding"]["logoUrl"], "https://logo.test/a.png");
        assert_eq!(with_branding(b"not json".to_vec(), &b), b"not json");
        let plain = br#"{"state":"connected"}"#.to_vec();
        assert_eq!(with_branding(plain.clone(), &Branding::default()), plain);
    }

    #[test]
    fn pilot_answers_are_read_leniently() {
        let v: Value = serde_json::json!({"branding": {
            "companyName": "Acme", "logoUrl": "http://insecure.test/a.png",
            "primaryColor": "#FF0000", "hidePilotStatusBranding": true, "defaultRedirectUrl": "https://x.test"
        }});
        let b = from_answer(&v);
        assert_eq!(b.company_name(), Some("Acme"));
        assert_eq!(b.logo_url(), None, "http: is not shown");
        assert_eq!(b.primary_color(), Some("#ff0000"));
        let bare = from_answer(&serde_json::json!({"subtitle": "Olá"}));
        assert_eq!(bare.subtitle(), Some("Olá"));
        assert!(from_answer(&serde_json::json!({"branding": {}})).is_empty());
    }
}
