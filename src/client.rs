//! A client generic over its [`Transport`]: builds, sends, retries per [`RetryPolicy`] and
//! parses. Transports are tiny adapters (native reqwest, browser/worker fetch, …).

use core::future::Future;
use core::time::Duration;

use crate::config::Config;
use crate::endpoints::Endpoint;
use crate::error::{ApiError, Error, TransportError};
use crate::http::{HttpRequest, HttpResponse};
use crate::retry::{Attempt, Decision, RetryPolicy};

/// Moves one [`HttpRequest`] and sleeps. Implementations must enforce their own per-request
/// timeout and report it as [`TransportError::Timeout`].
pub trait Transport {
    /// Sends the request and reads the whole answer.
    fn send(
        &self,
        request: &HttpRequest,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>>;

    /// Waits (between retries).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;

    /// The per-request timeout this transport enforces.
    fn timeout(&self) -> Duration;

    /// A number in `[0, 1)` for backoff jitter.
    fn jitter(&self) -> f64;
}

/// Config + transport + retry policy.
#[derive(Debug, Clone)]
pub struct Client<T> {
    config: Config,
    transport: T,
    policy: RetryPolicy,
}

impl<T: Transport> Client<T> {
    /// A client with the default retry policy.
    #[must_use]
    pub fn new(config: Config, transport: T) -> Self {
        Self {
            config,
            transport,
            policy: RetryPolicy::default(),
        }
    }

    /// Replaces the retry policy.
    #[must_use]
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The config.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The transport.
    #[must_use]
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Validates, sends (retrying idempotent requests per the policy) and parses.
    ///
    /// # Errors
    /// [`Error::Validation`] before anything is sent; otherwise what the last attempt produced:
    /// [`Error::Transport`], [`Error::Api`] or [`Error::Decode`].
    pub async fn send<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let request = endpoint.to_request(&self.config)?;
        let response = self.execute(&request).await?;
        endpoint.parse(&response)
    }

    /// Sends a built request with retries and returns the last answer (any status).
    ///
    /// # Errors
    /// [`Error::Transport`] when the last attempt got no answer.
    pub async fn execute(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        let timeout = self.transport.timeout();
        let mut spent = Duration::ZERO;
        let mut attempt = 0u32;
        loop {
            let result = self.transport.send(request).await;
            spent = spent.saturating_add(timeout);
            let api_error = match &result {
                Ok(r) if !r.is_success() => Some(ApiError::from_response(r)),
                _ => None,
            };
            let outcome = match &result {
                Ok(r) => Attempt::Status(r.status, api_error.as_ref()),
                Err(e) => Attempt::Transport(e),
            };
            let decision = self.policy.decide(
                request.method,
                attempt,
                outcome,
                self.transport.jitter(),
                spent,
                timeout,
            );
            match decision {
                Decision::Stop => return result.map_err(Error::Transport),
                Decision::RetryAfter(wait) => {
                    self.transport.sleep(wait).await;
                    spent = spent.saturating_add(wait);
                    attempt += 1;
                }
            }
        }
    }
}
