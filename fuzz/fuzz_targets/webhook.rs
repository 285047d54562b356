//! Webhook deliveries: arbitrary signature header + body never panic; a body signed with the
//! secret always verifies, and any other header for it never does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pilot_connect::webhook::{parse_event, sign, verify_and_parse, verify_signature};
use pilot_connect::WebhookSecret;

fuzz_target!(|data: &[u8]| {
    let secret = WebhookSecret::new("whsec_fuzz_secret").unwrap();
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let header = core::str::from_utf8(&data[..split]).ok();
    let body = data.get(split + 1..).unwrap_or_default();

    let _ = verify_and_parse(&secret, body, header);
    if let Ok(event) = parse_event(body) {
        let _ = (event.name(), event.dedup_key(), format!("{event:?}"));
    }
    let good = sign(&secret, body);
    assert!(verify_signature(&secret, body, Some(&good)).is_ok());
    assert!(verify_signature(&secret, body, Some(&format!("sha256={good}"))).is_ok());
    if let Some(h) = header {
        let h = h.trim();
        let hex = h
            .strip_prefix("sha256=")
            .or_else(|| h.strip_prefix("SHA256="))
            .unwrap_or(h);
        if !hex.eq_ignore_ascii_case(&good) {
            assert!(
                verify_signature(&secret, body, header).is_err(),
                "forged signature accepted"
            );
        }
    }
});
