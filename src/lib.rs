//! # pilot-connect
//!
//! A typed, sans-IO client for the [Pilot Status](https://pilotstatus.com.br) number lifecycle:
//! create (QR or Meta), connect (QR + pairing code), status, list/get, delete/restore/purge,
//! remote pairing, the tenant's branding, `number.*` webhooks with signature checks, and connect
//! tokens for the edge worker.
//!
//! Data flows one way: **builder → [`HttpRequest`] → transport → [`HttpResponse`] → parse →
//! typed value**. Builders live in [`endpoints`], one file per endpoint; any transport that
//! implements [`Transport`] can carry them ([`Client`] adds the [`retry`] policy).
//!
//! ```
//! use pilot_connect::{ApiKey, Auth, Config, endpoints::{Connect, Endpoint}};
//!
//! let config = Config::new(Auth::ApiKey(ApiKey::new("ps_example").unwrap()))
//!     .with_base_url("http://127.0.0.1:8080").unwrap();
//! let request = Connect::new("wa_abc").to_request(&config).unwrap();
//! assert_eq!(request.url(), "http://127.0.0.1:8080/v1/numbers/wa_abc/connect");
//! assert_eq!(request.header("x-api-key"), Some("ps_example"));
//! // …send it with any transport, then: Connect::new("wa_abc").parse(&response)
//! ```

#![warn(missing_docs)]

mod open_enum;

pub mod budget;
pub mod client;
pub mod config;
pub mod connect_token;
pub mod endpoints;
pub mod error;
pub mod http;
pub mod model;
pub mod public;
pub mod retry;
pub mod secret;
pub mod validate;
pub mod webhook;

#[cfg(feature = "native")]
pub mod native;

#[cfg(feature = "fetch")]
pub mod fetch;

pub use client::{Client, Transport};
pub use config::{Auth, Config, DEFAULT_BASE_URL};
pub use error::{ApiError, DecodeError, Error, ErrorKind, ForbiddenScope, TransportError};
pub use http::{HttpRequest, HttpResponse, Method};
pub use model::{ErrorCode, Link, NumberState, PairingCode, Provider, QrImage};
pub use secret::{ApiKey, ConnectTokenSecret, MetaAccessToken, MetaAppSecret, WebhookSecret};
