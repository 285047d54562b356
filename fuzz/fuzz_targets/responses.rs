//! Every response parser on arbitrary (status, body): typed value or typed error, never a panic.
//! Byte 0 picks the endpoint, bytes 1–2 the status, the rest is the body. The public mapping
//! the worker applies after parsing runs too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pilot_connect::endpoints::*;
use pilot_connect::public::{public_error, qr_answer, status_answer, PublicErrorCode};
use pilot_connect::{HttpResponse, MetaAccessToken, MetaAppSecret, QrImage};

fn response(status: u16, body: &[u8]) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![
            ("content-type".into(), "application/json".into()),
            (
                "retry-after".into(),
                String::from_utf8_lossy(&body[..body.len().min(4)]).into(),
            ),
        ],
        body.to_vec(),
    )
}

fn check<T: core::fmt::Debug>(r: Result<T, pilot_connect::Error>) {
    match r {
        Ok(v) => drop(format!("{v:?}")),
        Err(e) => {
            let _ = (
                e.kind(),
                e.status(),
                e.retry_after(),
                e.to_string(),
                public_error(&e),
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let status = 100 + u16::from_be_bytes([data[1], data[2]]) % 500;
    let body = &data[3..];
    let r = response(status, body);
    match data[0] % 16 {
        0 => check(CreateNumber::new("x", "+5511999999999").parse(&r)),
        1 => {
            let m = CreateMetaNumber::new(
                "x",
                "5511999999999",
                "1",
                "2",
                MetaAccessToken::new("t").unwrap(),
                MetaAppSecret::new("s").unwrap(),
                "3",
            );
            check(m.parse(&r));
        }
        2 => match Connect::new("x").parse(&r) {
            Ok(out) => drop(qr_answer(out, 20_000).map(|q| q.to_json().to_string())),
            Err(e) => drop(public_error(&e)),
        },
        3 => match GetStatus::new("x").parse(&r) {
            Ok(st) => drop(status_answer(&st).to_json()),
            Err(e) => drop(public_error(&e)),
        },
        4 => check(ListNumbers::new().parse(&r)),
        5 => check(GetNumber::new("x").parse(&r)),
        6 => check(DeleteNumber::new("x").parse(&r)),
        7 => check(RestoreNumber::new("x").parse(&r)),
        8 => check(PurgeNumber::new("x").parse(&r)),
        9 => check(CreateRemotePairing::pilot_status("x", "+5511999999999").parse(&r)),
        10 => check(RemotePairingInfo::new("t").parse(&r)),
        11 => check(RemotePairingStatus::new("t").parse(&r)),
        12 => check(RemotePairingConnect::new("t").parse(&r)),
        14 => check(GetBranding::new().parse(&r)),
        13 => {
            if let Ok(s) = core::str::from_utf8(body) {
                if let Ok(q) = QrImage::parse(s) {
                    assert!(q.as_data_url().starts_with("data:image/png;base64,"));
                    assert!(q.png_bytes().starts_with(b"\x89PNG\r\n\x1a\n"));
                }
            }
        }
        _ => {
            if let Ok(s) = core::str::from_utf8(body) {
                if let Some(code) = PublicErrorCode::parse(s) {
                    assert_eq!(PublicErrorCode::parse(code.as_str()), Some(code));
                }
            }
        }
    }
});
