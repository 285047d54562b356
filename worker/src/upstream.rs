//! The three calls a number's session makes to Pilot Status: connect, status and, once, the
//! number itself (for its masked form). Failures are already mapped to the public set and logged
//! (kind and status only: upstream bodies may echo request details), and every call reports how
//! many requests it sent, the core's retries included, for the budget.

use core::cell::Cell;
use core::time::Duration;

use pilot_connect::endpoints::{
    Connect, Endpoint, GetBranding, GetNumber, GetStatus, ListNumbers, ListWebhooks,
    RemotePairingStatus, RemotePairingStatusResult,
};
use pilot_connect::fetch::FetchTransport;
use pilot_connect::public::{self, public_error, Branding, PublicErrorCode, QrAnswer};
use pilot_connect::retry::RetryPolicy;
use pilot_connect::webhook::EventName;
use pilot_connect::{
    ApiError, Client, Config, DecodeError, Error, HttpRequest, HttpResponse, Link, Transport,
    TransportError,
};
use worker::console_error;

use crate::settings::{ConfigError, Settings};

pub use crate::session::machine::{Called, Failed, MetaNumberSeen, NumberFacts, StatusRead};

/// The fetch transport, counting the requests it sends.
struct Counting {
    inner: FetchTransport,
    sent: Cell<u32>,
}

impl Transport for Counting {
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.sent.set(self.sent.get() + 1);
        self.inner.send(request).await
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await;
    }

    fn timeout(&self) -> Duration {
        self.inner.timeout()
    }

    fn jitter(&self) -> f64 {
        self.inner.jitter()
    }
}

fn client(s: &Settings, retries: bool) -> Client<Counting> {
    let policy = if retries {
        RetryPolicy::default()
    } else {
        RetryPolicy::none()
    };
    Client::new(
        s.upstream.clone(),
        Counting {
            inner: FetchTransport::with_timeout(s.upstream_timeout),
            sent: Cell::new(0),
        },
    )
    .with_retry_policy(RetryPolicy {
        total_budget: Some(s.upstream_budget),
        // A 429 ends the call at once: the session waits its Retry-After, with every viewer
        // told why, instead of holding the request open through it.
        max_rate_limit_wait: Duration::ZERO,
        ..policy
    })
}

fn failed(e: &pilot_connect::Error) -> Failed {
    // A request the core refused to build can only come from the token's claims (its `sub`
    // or `link`), so it is the token that is invalid.
    let code = public_error(e).unwrap_or(PublicErrorCode::InvalidToken);
    console_error!(
        "upstream: {:?} status={:?} -> {}",
        e.kind(),
        e.status(),
        code.as_str()
    );
    Failed {
        code,
        retry_after_secs: (code == PublicErrorCode::RateLimited)
            .then(|| e.retry_after().map_or(1, |d| d.as_secs().max(1))),
    }
}

fn config_failed<T>() -> Called<T> {
    Called {
        result: Err(Failed::from(PublicErrorCode::ConfigError)),
        started: js_sys::Date::now(),
        attempts: 0,
    }
}

/// `GET /v1/numbers/{number}/connect` as a public QR answer.
pub async fn qr(
    cfg: &Result<Settings, ConfigError>,
    number: &str,
    link: Link,
    retries: bool,
) -> Called<QrAnswer> {
    let Ok(s) = cfg else {
        return config_failed();
    };
    let started = js_sys::Date::now();
    let c = client(s, retries);
    let result = match c.send(&Connect::new(number).link(link)).await {
        Ok(out) => public::qr_answer(out, s.qr_refresh_ms).map_err(Failed::from),
        Err(e) => Err(failed(&e)),
    };
    Called {
        result,
        started,
        attempts: c.transport().sent.get(),
    }
}

/// `GET /v1/numbers/{number}/status` as a public status answer.
pub async fn status(
    cfg: &Result<Settings, ConfigError>,
    number: &str,
    link: Link,
    retries: bool,
) -> Called<StatusRead> {
    let Ok(s) = cfg else {
        return config_failed();
    };
    let started = js_sys::Date::now();
    let c = client(s, retries);
    let result = c
        .send(&GetStatus::new(number).link(link))
        .await
        .map(|st| StatusRead {
            answer: public::status_answer(&st),
            dual: st.is_dual(),
        })
        .map_err(|e| failed(&e));
    Called {
        result,
        started,
        attempts: c.transport().sent.get(),
    }
}

/// `GET /v1/remote-pairing/{token}/status` (public: no key) as a public status answer, for a
/// Meta pairing link's session. A `numberId` in the answer ([I]: not documented) is passed on
/// when it is a plausible id; a 404 is the session's to read ([`super::session::machine`]).
pub async fn link_status(
    cfg: &Result<Settings, ConfigError>,
    token: &str,
    retries: bool,
) -> Called<StatusRead> {
    let Ok(s) = cfg else {
        return config_failed();
    };
    let started = js_sys::Date::now();
    let c = client(s, retries);
    let result = c
        .send(&RemotePairingStatus::new(token))
        .await
        .map(|st| StatusRead {
            answer: link_answer(&st),
            dual: false,
        })
        .map_err(|e| failed(&e));
    Called {
        result,
        started,
        attempts: c.transport().sent.get(),
    }
}

/// `GET /v1/numbers` (the tenant's key), for a pairing link's check: its official numbers, when
/// each was created and whether it is connected.
pub async fn meta_numbers(
    cfg: &Result<Settings, ConfigError>,
    retries: bool,
) -> Called<Vec<MetaNumberSeen>> {
    let Ok(s) = cfg else {
        return config_failed();
    };
    let started = js_sys::Date::now();
    let c = client(s, retries);
    let result = c
        .send(&ListNumbers::new())
        .await
        .map(|numbers| {
            numbers
                .iter()
                .filter(|n| n.provider == Some(pilot_connect::Provider::Meta))
                .map(|n| MetaNumberSeen {
                    id: n.id.clone(),
                    created_ms: n
                        .created_at
                        .as_deref()
                        .map(js_sys::Date::parse)
                        .filter(|v| v.is_finite()),
                    open: n.is_ready(),
                })
                .collect()
        })
        .map_err(|e| failed(&e));
    Called {
        result,
        started,
        attempts: c.transport().sent.get(),
    }
}

/// A link status as the public answer (pure: tested natively).
pub fn link_answer(st: &RemotePairingStatusResult) -> public::StatusAnswer {
    let state = if st.is_link_connected() {
        public::PublicState::Connected
    } else {
        // Before the signup the link's number (if any) is not connected: whatever word Pilot
        // uses, the session shows "waiting".
        public::PublicState::Connecting
    };
    let number_id = st
        .extra
        .get("numberId")
        .and_then(serde_json::Value::as_str)
        .filter(|id| public::is_number_id(id))
        .map(str::to_owned);
    public::StatusAnswer {
        state,
        stale: false,
        number_id,
    }
}

/// `GET /v1/numbers/{number}` (the core's [`GetNumber`] request), for three facts only: the
/// phone number, masked here ([`public::mask_number`]: the raw digits never leave this
/// function), the `provider` (an official number never pairs by QR) and Meta's
/// `health.metaStatus`. Only those fields are read, whatever else the answer holds (the core's
/// full `Number` parse would add kilobytes to the upload for fields the session never uses).
pub async fn number_facts(
    cfg: &Result<Settings, ConfigError>,
    number: &str,
    retries: bool,
) -> Called<NumberFacts> {
    let Ok(s) = cfg else {
        return config_failed();
    };
    let started = js_sys::Date::now();
    let c = client(s, retries);
    let answer = match GetNumber::new(number).to_request(c.config()) {
        Ok(request) => c.execute(&request).await,
        Err(e) => Err(e),
    };
    let result = answer
        .and_then(|resp| {
            if !resp.is_success() {
                return Err(Error::Api(ApiError::from_response(&resp)));
            }
            serde_json::from_slice::<serde_json::Value>(&resp.body)
                .map_err(|e| Error::Decode(DecodeError::from_json(resp.status, ".", &e)))
        })
        .map(|v| facts_of(&v))
        .map_err(|e| failed(&e));
    Called {
        result,
        started,
        attempts: c.transport().sent.get(),
    }
}

/// The facts of a number answer (pure: tested natively).
pub fn facts_of(v: &serde_json::Value) -> NumberFacts {
    let text =
        |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_str).map(str::to_owned);
    NumberFacts {
        masked: match v.get("number") {
            // Documented as a string of digits; a JSON number is read as its digits too.
            Some(serde_json::Value::String(n)) => public::mask_number(n),
            Some(serde_json::Value::Number(n)) => public::mask_number(&n.to_string()),
            _ => None,
        },
        provider: text(v.get("provider")),
        meta_status: text(v.get("health").and_then(|h| h.get("metaStatus")))
            .filter(|d| public::is_detail(d)),
    }
}

/// `GET /v1/webhooks` for the number: whether one of its webhooks delivers `number.connected`
/// to `hook_url` (this edge's receiver): active, and subscribed to it or to `"*"`.
pub async fn webhooks_reach(
    cfg: &Result<Settings, ConfigError>,
    number: &str,
    hook_url: &str,
    retries: bool,
) -> Called<bool> {
    let Ok(s) = cfg else {
        return config_failed();
    };
    let started = js_sys::Date::now();
    let c = client(s, retries);
    let same = |url: &str| url.trim_end_matches('/') == hook_url.trim_end_matches('/');
    let result = c
        .send(&ListWebhooks::new().whatsapp_number_id(number))
        .await
        .map(|hooks| {
            hooks.iter().any(|h| {
                h.active != Some(false)
                    && h.whatsapp_number_id.as_deref().is_none_or(|n| n == number)
                    && h.url.as_deref().is_some_and(same)
                    && h.events.as_ref().is_some_and(|e| {
                        e.iter()
                            .any(|x| x == "*" || x == EventName::NumberConnected.as_str())
                    })
            })
        })
        .map_err(|e| failed(&e));
    Called {
        result,
        started,
        attempts: c.transport().sent.get(),
    }
}

/// `GET /v1/branding`, one request (no retries: the next read is a `BRANDING_TTL_MS` away), read
/// as a page may show it ([`crate::branding::from_answer`]: the JSON, not the core's full parse,
/// which would add to the upload for fields never sent). Empty on any failure, logged (kind and
/// status only): a number key's 403 or a 404 mean "no tenant branding".
pub async fn branding(upstream: Config, timeout: Duration) -> Branding {
    let c = Client::new(
        upstream,
        Counting {
            inner: FetchTransport::with_timeout(timeout),
            sent: Cell::new(0),
        },
    )
    .with_retry_policy(RetryPolicy {
        max_rate_limit_wait: Duration::ZERO,
        ..RetryPolicy::none()
    });
    let answer = match GetBranding::new().to_request(c.config()) {
        Ok(request) => c.execute(&request).await,
        Err(e) => Err(e),
    };
    let read = answer.and_then(|resp| {
        if !resp.is_success() {
            return Err(Error::Api(ApiError::from_response(&resp)));
        }
        serde_json::from_slice::<serde_json::Value>(&resp.body)
            .map_err(|e| Error::Decode(DecodeError::from_json(resp.status, ".", &e)))
    });
    match read {
        Ok(v) => crate::branding::from_answer(&v),
        Err(e) => {
            console_error!(
                "branding: {:?} status={:?}: the widgets show no tenant branding until BRANDING_TTL_MS is over",
                e.kind(),
                e.status()
            );
            Branding::default()
        }
    }
}
