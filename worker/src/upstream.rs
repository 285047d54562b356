//! The two calls the worker makes to Pilot Status for a number, shared by the direct path and
//! the per-number Durable Object. Failures are already mapped to the public set and logged
//! (kind and status only: upstream bodies may echo request details).

use pilot_connect::endpoints::{Connect, GetStatus};
use pilot_connect::fetch::FetchTransport;
use pilot_connect::public::{self, public_error, PublicErrorCode, QrAnswer, StatusAnswer};
use pilot_connect::retry::RetryPolicy;
use pilot_connect::{Client, Link};
use worker::console_error;

use crate::settings::Settings;

/// A failed upstream call: the public code and, for rate limits, Pilot Status's wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failed {
    pub code: PublicErrorCode,
    pub retry_after_secs: Option<u64>,
}

impl From<PublicErrorCode> for Failed {
    fn from(code: PublicErrorCode) -> Self {
        Self {
            code,
            retry_after_secs: None,
        }
    }
}

fn client(s: &Settings) -> Client<FetchTransport> {
    Client::new(
        s.upstream.clone(),
        FetchTransport::with_timeout(s.upstream_timeout),
    )
    .with_retry_policy(RetryPolicy {
        total_budget: Some(s.upstream_budget),
        ..RetryPolicy::default()
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

/// `GET /v1/numbers/{sub}/connect` as a public QR answer.
pub async fn qr(s: &Settings, sub: &str, link: Link) -> Result<QrAnswer, Failed> {
    match client(s).send(&Connect::new(sub).link(link)).await {
        Ok(out) => public::qr_answer(out, s.qr_refresh_ms).map_err(Failed::from),
        Err(e) => Err(failed(&e)),
    }
}

/// `GET /v1/numbers/{sub}/status` as a public status answer.
pub async fn status(s: &Settings, sub: &str, link: Link) -> Result<StatusAnswer, Failed> {
    client(s)
        .send(&GetStatus::new(sub).link(link))
        .await
        .map(|st| public::status_answer(&st))
        .map_err(|e| failed(&e))
}
