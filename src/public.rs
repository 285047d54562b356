//! The narrow public surface the edge worker exposes to browsers, and the one place that
//! maps upstream results onto it. The worker answers with these; the widget reads them.
//!
//! The format itself (field names, answers, codes, the QR rule) lives in the `no_std`
//! [`pilot_connect_wire`] crate, re-exported here, so the widget reads exactly what the worker
//! writes without linking the core. This module adds what needs the core's upstream types:
//! [`public_error`], [`qr_answer`] and the [`StatusAnswer`] / [`PublicState`] of a status.

pub use pilot_connect_wire::{
    field, is_detail, is_masked_number, is_number_id, mask_number, renew, route, Branding,
    BrandingField, BrandingRule, ErrorBody, FrameKind, PublicErrorCode, PublicState, PushFields,
    PushFrame, QrAnswer, QrFields, ReadError, StatusAnswer, BEARER_PREFIX, CLOSE_TOKEN_EXPIRED,
    CODE_LIFETIME_MAX_MS, DEFAULT_REFRESH_MS, REFRESH_RANGE_MS, SUBPROTOCOL,
};

use crate::endpoints::{ConnectOutcome, NumberStatus};
use crate::error::{Error, ErrorKind};
use crate::model::NumberState;

/// Maps an upstream failure onto the public set. `None` for [`ErrorKind::Validation`]: the
/// request was refused before it was sent, so the caller's own input is at fault and only the
/// caller knows what that input was (the worker: the token's claims).
#[must_use]
pub fn public_error(e: &Error) -> Option<PublicErrorCode> {
    Some(match e.kind() {
        ErrorKind::Validation => return None,
        ErrorKind::Unauthorized | ErrorKind::Forbidden(_) => PublicErrorCode::UnauthorizedUpstream,
        ErrorKind::NotFound => PublicErrorCode::NotFound,
        ErrorKind::BadRequest | ErrorKind::Conflict => PublicErrorCode::NotPairable,
        ErrorKind::RateLimited => PublicErrorCode::RateLimited,
        ErrorKind::Timeout => PublicErrorCode::UpstreamTimeout,
        ErrorKind::Decode => PublicErrorCode::BadUpstreamResponse,
        _ => PublicErrorCode::UpstreamError,
    })
}

/// The `GET /v1/qr` answer for a connect outcome.
///
/// # Errors
/// [`PublicErrorCode::BadUpstreamResponse`] when upstream sent no QR: a missing QR is an
/// error, never an endless spinner.
pub fn qr_answer(
    outcome: ConnectOutcome,
    refresh_after_ms: u32,
) -> Result<QrAnswer, PublicErrorCode> {
    match outcome {
        ConnectOutcome::AlreadyConnected => Ok(QrAnswer::Connected { number_id: None }),
        ConnectOutcome::Pairing(p) => {
            let qr = p
                .qrcode_base64
                .ok_or(PublicErrorCode::BadUpstreamResponse)?;
            Ok(QrAnswer::Pairing {
                qr: qr.as_data_url().to_owned(),
                pairing_code: p.pairing_code.map(|c| c.grouped()),
                refresh_after_ms,
                // The session object adds what it knows of these (the number, the code's age).
                masked_number: None,
                code_expires_in_ms: None,
            })
        }
    }
}

/// The public state of an upstream status answer.
#[must_use]
pub fn public_state(status: &NumberStatus) -> PublicState {
    if status.is_link_connected() {
        return PublicState::Connected;
    }
    match status.state {
        NumberState::Open | NumberState::Connecting => PublicState::Connecting,
        NumberState::Close => PublicState::Disconnected,
        _ => PublicState::Unknown,
    }
}

/// The `GET /v1/status` answer for an upstream status answer.
#[must_use]
pub fn status_answer(status: &NumberStatus) -> StatusAnswer {
    StatusAnswer {
        state: public_state(status),
        stale: status.stale.unwrap_or(false),
        number_id: None,
    }
}
