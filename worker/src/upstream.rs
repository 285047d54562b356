//! The three calls a number's session makes to Pilot Status: connect, status and, once, the
//! number itself (for its masked form). Failures are already mapped to the public set and logged
//! (kind and status only: upstream bodies may echo request details), and every call reports how
//! many requests it sent, the core's retries included, for the budget.

use core::cell::Cell;
use core::time::Duration;

use pilot_connect::endpoints::{Connect, Endpoint, GetNumber, GetStatus, ListWebhooks};
use pilot_connect::fetch::FetchTransport;
use pilot_connect::public::{self, public_error, PublicErrorCode, QrAnswer};
use pilot_connect::retry::RetryPolicy;
use pilot_connect::webhook::EventName;
use pilot_connect::{
    ApiError, Client, DecodeError, Error, HttpRequest, HttpResponse, Link, Transport,
    TransportError,
};
use worker::console_error;

use crate::settings::{ConfigError, Settings};

pub use crate::session::machine::{Called, Failed, StatusRead};

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

/// `GET /v1/numbers/{number}` (the core's [`GetNumber`] request), for the phone number only,
/// masked here ([`public::mask_number`]): the raw digits never leave this function. Only the
/// `number` field is read (a string, or a JSON number), whatever else the answer holds (the core's full `Number`
/// parse would add kilobytes to the upload for fields the session never uses). `Ok(None)`:
/// Pilot Status answered, with no number that can be masked.
pub async fn masked_number(
    cfg: &Result<Settings, ConfigError>,
    number: &str,
    retries: bool,
) -> Called<Option<String>> {
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
        .map(|v| match v.get("number") {
            // Documented as a string of digits; a JSON number is read as its digits too.
            Some(serde_json::Value::String(n)) => public::mask_number(n),
            Some(serde_json::Value::Number(n)) => public::mask_number(&n.to_string()),
            _ => None,
        })
        .map_err(|e| failed(&e));
    Called {
        result,
        started,
        attempts: c.transport().sent.get(),
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
