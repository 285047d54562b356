//! Connect tokens: arbitrary strings never verify unless they carry our signature, and
//! verification never panics. Minted claims always round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pilot_connect::connect_token::{mint, verify, ConnectClaims, VerifyOptions};
use pilot_connect::ConnectTokenSecret;

const NOW: u64 = 1_790_000_000;

fuzz_target!(|data: &[u8]| {
    let secret = ConnectTokenSecret::new("fuzz-connect-token-secret-0123456789").unwrap();
    let opts = VerifyOptions::new("aud", NOW, Some("https://app.example"));
    if let Ok(s) = core::str::from_utf8(data) {
        if let Ok(claims) = verify(&secret, s, &opts) {
            // Only a token we minted can pass: re-signing its claims gives a valid token too.
            assert_eq!(claims.aud, "aud");
            assert!(mint(&secret, &claims).is_ok());
        }
        // Mint → verify round trip for fuzzer-chosen subject and origin.
        let (sub, origin) = s.split_once('\n').unwrap_or((s, "https://app.example"));
        let ttl = u64::from(data.first().copied().unwrap_or(0)) * 20;
        let claims = ConnectClaims::new(sub, "aud", NOW, ttl).with_origin(origin);
        if let Ok(token) = mint(&secret, &claims) {
            let o = VerifyOptions::new("aud", NOW, Some(origin));
            let back = verify(&secret, &token, &o).expect("a minted token verifies");
            assert_eq!(back, claims);
        }
    }
});
