//! The three calls a number's session makes to Pilot Status: connect, status and, once, the
//! number itself (for its masked form). Failures are already mapped to the public set and logged
//! (kind and status only: upstream bodies may echo request details), and every call reports how
//! many requests it sent, the core's retries included, for the budget.

use core::cell::Cell;
use core::time::Duration;

use pilot_connect::endpoints::{
    Connect, Endpoint, GetBranding, GetNumber, GetStatus, ListNumbers, ListWebhooks,
    RemotePairingStatus,
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

/// Sends `endpoint` and reads its answer as JSON, not through the core's typed parse: the
/// session uses a few fields of each answer, and the typed parses would add to the upload for
/// fields never read. A non-2xx is the core's `ApiError`, bad JSON a `DecodeError`.
async fn json_of(
    c: &Client<Counting>,
    endpoint: &impl Endpoint,
) -> Result<serde_json::Value, Error> {
    let resp = c.execute(&endpoint.to_request(c.config())?).await?;
    if !resp.is_success() {
        return Err(Error::Api(ApiError::from_response(&resp)));
    }
    serde_json::from_slice::<serde_json::Value>(&resp.body)
        .map_err(|e| Error::Decode(DecodeError::from_json(resp.status, ".", &e)))
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
    // Read from the JSON (the core's typed parse would add to the upload for fields never used).
    let result = json_of(&c, &RemotePairingStatus::new(token))
        .await
        .map(|v| StatusRead {
            answer: link_answer(&v),
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
    // Only the four fields the check reads, from the JSON (the core's full `Number` parse would
    // add kilobytes to the upload for fields never used).
    let result = json_of(&c, &ListNumbers::new())
        .await
        .map(|v| meta_numbers_of(&v, js_sys::Date::parse))
        .map_err(|e| failed(&e));
    Called {
        result,
        started,
        attempts: c.transport().sent.get(),
    }
}

/// The official numbers of a `GET /v1/numbers` answer (the documented array, or `{data}` /
/// `{numbers}`), `parse_date` reading an ISO-8601 `createdAt` as ms (pure: tested natively).
pub fn meta_numbers_of(
    v: &serde_json::Value,
    parse_date: impl Fn(&str) -> f64,
) -> Vec<MetaNumberSeen> {
    let list = v
        .as_array()
        .or_else(|| v.get("data").and_then(serde_json::Value::as_array))
        .or_else(|| v.get("numbers").and_then(serde_json::Value::as_array));
    let text = |n: &serde_json::Value, k: &str| {
        n.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    list.into_iter()
        .flatten()
        .filter(|n| text(n, "provider").as_deref() == Some("META"))
        .filter_map(|n| {
            let fully = n
                .get("isFullyConnected")
                .and_then(serde_json::Value::as_bool);
            Some(MetaNumberSeen {
                id: text(n, "id")?,
                created_ms: text(n, "createdAt")
                    .map(|c| parse_date(&c))
                    .filter(|v| v.is_finite()),
                // The core's `ready` rule: `isFullyConnected` when present, else `state == OPEN`.
                open: fully.unwrap_or_else(|| text(n, "state").as_deref() == Some("OPEN")),
            })
        })
        .collect()
}

/// A link status (`{state, isFullyConnected, numberId?}`) as the public answer: connected by
/// the core's `ready` rule (`isFullyConnected` when present, else `state == OPEN`; a Meta link's
/// number has one link) (pure: tested natively).
pub fn link_answer(v: &serde_json::Value) -> public::StatusAnswer {
    let fully = v
        .get("isFullyConnected")
        .and_then(serde_json::Value::as_bool);
    let open = v.get("state").and_then(serde_json::Value::as_str) == Some("OPEN");
    let state = if fully.unwrap_or(open) {
        public::PublicState::Connected
    } else {
        // Before the signup the link's number (if any) is not connected: whatever word Pilot
        // uses, the session shows "waiting".
        public::PublicState::Connecting
    };
    let number_id = v
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
    let result = json_of(&c, &GetNumber::new(number))
        .await
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
    let read = json_of(&c, &GetBranding::new()).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_check_reads_official_numbers_from_every_list_shape() {
        let date = |s: &str| {
            if s == "2026-12-07T10:00:00Z" {
                1_000.0
            } else {
                f64::NAN
            }
        };
        let items = serde_json::json!([
            {"id": "wa_qr", "provider": "PILOT_STATUS", "state": "OPEN", "createdAt": "2026-12-07T10:00:00Z"},
            {"id": "wa_meta", "provider": "META", "state": "OPEN", "createdAt": "2026-12-07T10:00:00Z"},
            {"id": "wa_pending", "provider": "META", "state": "CLOSE", "isFullyConnected": false},
            {"id": "wa_ready", "provider": "META", "state": "CONNECTING", "isFullyConnected": true, "createdAt": "yesterday"},
            {"provider": "META", "state": "OPEN"}
        ]);
        let want = vec![
            MetaNumberSeen {
                id: "wa_meta".into(),
                created_ms: Some(1_000.0),
                open: true,
            },
            MetaNumberSeen {
                id: "wa_pending".into(),
                created_ms: None,
                open: false,
            },
            MetaNumberSeen {
                id: "wa_ready".into(),
                created_ms: None,
                open: true,
            },
        ];
        assert_eq!(meta_numbers_of(&items, date), want);
        for wrapped in [
            serde_json::json!({"data": items}),
            serde_json::json!({"numbers": items}),
        ] {
            assert_eq!(meta_numbers_of(&wrapped, date), want);
        }
        assert!(meta_numbers_of(&serde_json::json!({"error": "x"}), date).is_empty());
    }

    #[test]
    fn a_link_status_reads_connected_by_the_ready_rule_and_a_plausible_number_id() {
        use public::PublicState::{Connected, Connecting};
        let read = |v: serde_json::Value| {
            let a = link_answer(&v);
            (a.state, a.number_id)
        };
        assert_eq!(
            read(serde_json::json!({"state": "CLOSE", "isFullyConnected": false})),
            (Connecting, None)
        );
        assert_eq!(
            read(serde_json::json!({"state": "OPEN"})),
            (Connected, None)
        );
        assert_eq!(
            read(serde_json::json!({"state": "OPEN", "isFullyConnected": false})),
            (Connecting, None)
        );
        assert_eq!(
            read(
                serde_json::json!({"state": "OPEN", "isFullyConnected": true, "numberId": "wa_1"})
            ),
            (Connected, Some("wa_1".into()))
        );
        assert_eq!(
            read(serde_json::json!({"state": "OPEN", "numberId": "<b>"})),
            (Connected, None)
        );
        assert_eq!(read(serde_json::json!({})), (Connecting, None));
    }
}
