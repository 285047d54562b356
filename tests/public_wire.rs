//! The public wire format (worker ↔ widget): every answer written with `to_json` reads back
//! the same through `from_fields` with the field names of `public::field`, and readers refuse
//! what the worker would never send.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use pilot_connect::model::{check_png_base64, is_png_data_url, QrError};
use pilot_connect::public::{
    field, public_error, ErrorBody, PublicErrorCode, PublicState, QrAnswer, QrFields, ReadError,
    StatusAnswer, DEFAULT_REFRESH_MS,
};
use pilot_connect::validate::ValidationError;
use pilot_connect::{Error, TransportError};
use serde_json::Value;

const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

fn read_qr(v: &Value) -> Result<QrAnswer, ReadError> {
    QrAnswer::from_fields(QrFields {
        state: v[field::STATE].as_str(),
        qr: v[field::QR].as_str(),
        pairing_code: v[field::PAIRING_CODE].as_str(),
        refresh_after_ms: v[field::REFRESH_AFTER_MS].as_f64(),
        masked_number: v[field::MASKED_NUMBER].as_str(),
        code_expires_in_ms: v[field::CODE_EXPIRES_IN_MS].as_f64(),
        detail: v[field::DETAIL].as_str(),
        number_id: v[field::NUMBER_ID].as_str(),
    })
}

#[test]
fn answers_round_trip() {
    for answer in [
        QrAnswer::Pairing {
            qr: PNG.into(),
            pairing_code: Some("ABCD-1234".into()),
            refresh_after_ms: 20_000,
            masked_number: Some("+55 11 9••••-1234".into()),
            code_expires_in_ms: Some(90_000),
        },
        QrAnswer::Pairing {
            qr: PNG.into(),
            pairing_code: None,
            refresh_after_ms: 1_000,
            masked_number: None,
            code_expires_in_ms: None,
        },
        QrAnswer::Connected { number_id: None },
        QrAnswer::Connected {
            number_id: Some("wa_new".into()),
        },
    ] {
        assert_eq!(read_qr(&answer.to_json()).unwrap(), answer);
    }
    for state in [
        PublicState::Connecting,
        PublicState::Connected,
        PublicState::Disconnected,
        PublicState::Unknown,
    ] {
        for stale in [true, false] {
            let a = StatusAnswer {
                state,
                stale,
                number_id: None,
            };
            let v = a.to_json();
            let back = StatusAnswer::from_fields(
                v[field::STATE].as_str(),
                v[field::STALE].as_bool(),
                v[field::NUMBER_ID].as_str(),
            );
            assert_eq!(back.unwrap(), a);
        }
    }
    let e = ErrorBody {
        code: PublicErrorCode::OriginNotAllowed,
    };
    let v = e.to_json();
    assert_eq!(
        ErrorBody::from_fields(v[field::ERROR][field::CODE].as_str()),
        Some(e)
    );
    assert_eq!(
        v[field::ERROR][field::MESSAGE],
        PublicErrorCode::OriginNotAllowed.message()
    );
}

#[test]
fn readers_refuse_what_the_worker_never_sends() {
    let read = |state, qr| {
        QrAnswer::from_fields(QrFields {
            state,
            qr,
            ..QrFields::default()
        })
    };
    assert_eq!(read(None, Some(PNG)), Err(ReadError::State));
    assert_eq!(read(Some("paired"), Some(PNG)), Err(ReadError::State));
    assert_eq!(read(Some("pairing"), None), Err(ReadError::Qr));
    for bad in [
        "javascript:alert(1)",
        "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
        "data:image/png;base64,R0lGODlhAQABAAAAACw=",
        "data:image/png;base64,iVBORw0KGgo...",
        "https://evil.example/qr.png",
    ] {
        assert_eq!(
            read(Some("pairing"), Some(bad)),
            Err(ReadError::Qr),
            "{bad}"
        );
    }
    // Refresh delays are clamped; a missing one is the default.
    let pairing = |f: QrFields<'static>| {
        QrAnswer::from_fields(QrFields {
            state: Some("pairing"),
            qr: Some(PNG),
            ..f
        })
    };
    let refresh = |v: Option<f64>| match pairing(QrFields {
        refresh_after_ms: v,
        ..QrFields::default()
    })
    .unwrap()
    {
        QrAnswer::Pairing {
            refresh_after_ms, ..
        } => refresh_after_ms,
        QrAnswer::Connected { .. } | QrAnswer::Waiting { .. } => unreachable!(),
    };
    assert_eq!(refresh(None), DEFAULT_REFRESH_MS);
    assert_eq!(refresh(Some(5.0)), 1_000);
    assert_eq!(refresh(Some(1e12)), 600_000);
    assert_eq!(refresh(Some(f64::NAN)), DEFAULT_REFRESH_MS);
    // Codes are grouped by the one rule.
    let grouped = pairing(QrFields {
        pairing_code: Some("abcd1234"),
        ..QrFields::default()
    });
    assert!(
        matches!(grouped, Ok(QrAnswer::Pairing { pairing_code: Some(c), .. }) if c == "ABCD-1234")
    );
    // An unmasked number is never shown as the masked one; a nonsense code lifetime is dropped.
    for (number, lifetime) in [
        ("+5511987651234", -1.0),
        ("<b>", f64::NAN),
        ("+55 11 9••••-1234", 1e12),
    ] {
        let a = pairing(QrFields {
            masked_number: Some(number),
            code_expires_in_ms: Some(lifetime),
            ..QrFields::default()
        })
        .unwrap();
        let QrAnswer::Pairing {
            masked_number,
            code_expires_in_ms,
            ..
        } = a
        else {
            unreachable!()
        };
        assert_eq!(code_expires_in_ms, None);
        assert_eq!(masked_number.is_some(), number.contains('•'), "{number}");
    }
    assert_eq!(
        StatusAnswer::from_fields(None, Some(true), None),
        Err(ReadError::State)
    );
    assert_eq!(
        StatusAnswer::from_fields(Some("teleported"), None, None).map(|s| s.state),
        Ok(PublicState::Unknown)
    );
    assert_eq!(ErrorBody::from_fields(Some("not_ours")), None);
}

#[test]
fn png_rule_without_decoding() {
    assert!(is_png_data_url(PNG));
    assert_eq!(check_png_base64("iVBORw0KGgo="), Ok(()));
    assert_eq!(check_png_base64(""), Err(QrError::Base64));
    assert_eq!(check_png_base64("iVBORw0KGgo"), Err(QrError::Base64)); // length
    assert_eq!(check_png_base64("iVBORw0KGgo=AAA"), Err(QrError::Base64)); // padding inside
    assert_eq!(check_png_base64("iVBORw0KGg o="), Err(QrError::Base64));
    assert_eq!(
        check_png_base64("R0lGODlhAQABAAAAACw="),
        Err(QrError::NotPng)
    );
}

#[test]
fn validation_is_the_callers_to_map() {
    let v = Error::Validation(ValidationError::MissingCredentials);
    assert_eq!(public_error(&v), None);
    let t = Error::Transport(TransportError::Timeout);
    assert_eq!(public_error(&t), Some(PublicErrorCode::UpstreamTimeout));
    let n = Error::Transport(TransportError::Network("reset".into()));
    assert_eq!(public_error(&n), Some(PublicErrorCode::UpstreamError));
}

#[test]
fn a_link_of_a_dual_number_is_connected_by_its_own_state() {
    use pilot_connect::endpoints::NumberStatus;
    use pilot_connect::public::{public_state, PublicState};
    let read =
        |v: serde_json::Value| public_state(&serde_json::from_value::<NumberStatus>(v).unwrap());
    // One link: isFullyConnected when present, else OPEN.
    assert_eq!(
        read(serde_json::json!({"state": "OPEN", "isFullyConnected": false})),
        PublicState::Connecting
    );
    assert_eq!(
        read(serde_json::json!({"state": "OPEN", "secondaryLink": null})),
        PublicState::Connected
    );
    // Dual: the asked link's own state; isFullyConnected speaks for both links.
    let dual = |state: &str, fully: bool| {
        serde_json::json!({"state": state, "isFullyConnected": fully,
            "primaryLink": {"state": "CONNECTING"}, "secondaryLink": {"state": state}})
    };
    assert_eq!(read(dual("OPEN", false)), PublicState::Connected);
    assert_eq!(read(dual("CONNECTING", false)), PublicState::Connecting);
    assert_eq!(read(dual("CLOSE", false)), PublicState::Disconnected);
}
