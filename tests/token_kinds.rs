//! The two kinds of connect token: a number's and a Meta pairing link's. A link token must be
//! refused by every edge that predates it (its `crit` header), so the 0.3.0 verifier runs here
//! as it shipped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use pilot_connect::connect_token::{
    self, ConnectClaims, RemotePairingClaim, TokenError, VerifyOptions, DEFAULT_LINK_PAGE,
    LINK_LIFETIME_SECS,
};
use pilot_connect::{ConnectTokenSecret, Link, Provider};

// What `connect_token-0.3.0.rs` imports from its crate.
mod model {
    pub use pilot_connect::Link;
}
mod secret {
    pub use pilot_connect::ConnectTokenSecret;
}
#[allow(dead_code, clippy::all)]
#[path = "fixtures/releases/connect_token-0.3.0.rs"]
mod released_0_3_0;

const SIGNING: &str = "connect-token-signing-secret-0123456789";
const AUD: &str = "https://edge.example";
const NOW: u64 = 1_800_000_000;
const URL: &str = "https://connect.pilotstatus.com.br/connect/5f0c7a3e-1b2d-4c5e-9f00-a1b2c3d4e5f6";

fn secret() -> ConnectTokenSecret {
    ConnectTokenSecret::new(SIGNING).unwrap()
}

fn link() -> RemotePairingClaim {
    RemotePairingClaim::meta(URL, NOW + LINK_LIFETIME_SECS).unwrap()
}

fn opts() -> VerifyOptions<'static> {
    VerifyOptions::new(AUD, NOW, None)
}

fn header_of(token: &str) -> serde_json::Value {
    let h = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
}

#[test]
fn a_link_token_round_trips_and_is_marked_critical() {
    let claims =
        ConnectClaims::remote_pairing(link(), AUD, NOW, 600).with_origin("https://app.example.com");
    let token = connect_token::mint(&secret(), &claims).unwrap();
    let h = header_of(&token);
    assert_eq!(h["crit"], serde_json::json!(["pck"]));
    assert_eq!(h["pck"], "remotePairing");
    let back = connect_token::verify(
        &secret(),
        &token,
        &VerifyOptions::new(AUD, NOW, Some("https://app.example.com")),
    )
    .unwrap();
    let rp = back.remote_pairing_link().unwrap();
    assert_eq!(rp.token, "5f0c7a3e-1b2d-4c5e-9f00-a1b2c3d4e5f6");
    assert_eq!(back.sub, rp.token);
    assert_eq!(rp.url, URL);
    assert_eq!(rp.provider, Provider::Meta);

    // A number token stays as it was: no crit, no rp.
    let number =
        connect_token::mint(&secret(), &ConnectClaims::new("wa_1", AUD, NOW, 600)).unwrap();
    let h = header_of(&number);
    assert!(h.get("crit").is_none() && h.get("pck").is_none(), "{h}");
    assert!(connect_token::verify(&secret(), &number, &opts())
        .unwrap()
        .rp
        .is_none());
}

#[test]
fn the_0_3_0_edge_refuses_a_link_token_and_still_takes_a_number_token() {
    let old_secret = secret();
    let old_opts = released_0_3_0::VerifyOptions::new(AUD, NOW, None);
    let link_token = connect_token::mint(
        &secret(),
        &ConnectClaims::remote_pairing(link(), AUD, NOW, 600),
    )
    .unwrap();
    // 0.3.0's edge answers every `Malformed` with `invalid_token` (its `token_error`).
    let refused = released_0_3_0::verify(&old_secret, &link_token, &old_opts).unwrap_err();
    assert!(
        matches!(refused, released_0_3_0::TokenError::Malformed(_)),
        "{refused:?}"
    );
    let number =
        connect_token::mint(&secret(), &ConnectClaims::new("wa_1", AUD, NOW, 600)).unwrap();
    assert_eq!(
        released_0_3_0::verify(&old_secret, &number, &old_opts)
            .unwrap()
            .sub,
        "wa_1"
    );
}

#[test]
fn a_link_is_given_by_its_token_or_its_url() {
    let by_token = RemotePairingClaim::meta("rp_01HZX", NOW + 60).unwrap();
    assert_eq!(by_token.token, "rp_01HZX");
    assert_eq!(by_token.url, format!("{DEFAULT_LINK_PAGE}rp_01HZX"));
    let local =
        RemotePairingClaim::meta("http://127.0.0.1:8787/connect/abc?x=1", NOW + 60).unwrap();
    assert_eq!(local.token, "abc");
    for bad in [
        "",
        "http://example.com/connect/abc",
        "javascript://x/abc",
        "https://example.com/",
        "a b",
        "rp/../x",
    ] {
        assert!(
            matches!(
                RemotePairingClaim::meta(bad, NOW + 60),
                Err(TokenError::InvalidClaims(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn link_tokens_refuse_what_makes_no_sense() {
    let mint = |c: &ConnectClaims| connect_token::mint(&secret(), c);
    let secondary = ConnectClaims::remote_pairing(link(), AUD, NOW, 600).with_link(Link::Secondary);
    assert!(matches!(
        mint(&secondary),
        Err(TokenError::InvalidClaims(_))
    ));
    let primary = ConnectClaims::remote_pairing(link(), AUD, NOW, 600).with_link(Link::Primary);
    assert!(mint(&primary).is_ok());
    let mut late = link();
    late.exp = NOW + LINK_LIFETIME_SECS + 1;
    assert!(matches!(
        mint(&ConnectClaims::remote_pairing(late, AUD, NOW, 600)),
        Err(TokenError::InvalidClaims(_))
    ));
    // A link already expired mints (the edge answers `link_expired` without a call).
    let mut gone = link();
    gone.exp = NOW - 60;
    assert!(mint(&ConnectClaims::remote_pairing(gone, AUD, NOW, 600)).is_ok());
    let mut qr_link = link();
    qr_link.provider = Provider::PilotStatus;
    assert!(matches!(
        mint(&ConnectClaims::remote_pairing(qr_link, AUD, NOW, 600)),
        Err(TokenError::InvalidClaims(_))
    ));
    let mut other_sub = ConnectClaims::remote_pairing(link(), AUD, NOW, 600);
    other_sub.sub = "wa_1".into();
    assert!(matches!(
        mint(&other_sub),
        Err(TokenError::InvalidClaims(_))
    ));
}

/// Signs `header`.`claims` as a forger holding the secret would: the kind rules hold even for
/// tokens our mint would never write.
fn forge(header: &str, claims: &serde_json::Value) -> String {
    use hmac::{Hmac, Mac};
    let signing = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(SIGNING.as_bytes()).unwrap();
    m.update(signing.as_bytes());
    format!(
        "{signing}.{}",
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    )
}

#[test]
fn header_and_claims_must_say_the_same_kind() {
    let link_claims =
        serde_json::to_value(ConnectClaims::remote_pairing(link(), AUD, NOW, 600)).unwrap();
    let number_claims = serde_json::to_value(ConnectClaims::new("wa_1", AUD, NOW, 600)).unwrap();
    let v = |t: &str| connect_token::verify(&secret(), t, &opts());
    // Link claims without the critical header: an old edge would read `sub` as a number.
    assert!(matches!(
        v(&forge(r#"{"alg":"HS256"}"#, &link_claims)),
        Err(TokenError::InvalidClaims(_))
    ));
    // The header without link claims.
    assert!(matches!(
        v(&forge(
            r#"{"alg":"HS256","crit":["pck"],"pck":"remotePairing"}"#,
            &number_claims
        )),
        Err(TokenError::InvalidClaims(_))
    ));
    // Unknown critical extensions, or ours half-written.
    for h in [
        r#"{"alg":"HS256","crit":["x"],"x":1}"#,
        r#"{"alg":"HS256","crit":["pck","x"],"pck":"remotePairing"}"#,
        r#"{"alg":"HS256","crit":["pck"],"pck":"other"}"#,
        r#"{"alg":"HS256","crit":["pck"]}"#,
        r#"{"alg":"HS256","pck":"remotePairing"}"#,
    ] {
        assert!(
            matches!(v(&forge(h, &link_claims)), Err(TokenError::Malformed(_))),
            "{h}"
        );
    }
    assert!(v(&forge(
        r#"{"alg":"HS256","crit":["pck"],"pck":"remotePairing"}"#,
        &link_claims
    ))
    .is_ok());
}

#[test]
fn page_urls_are_https_or_loopback_http() {
    use pilot_connect::validate::{origin_of, page_url};
    for ok in [
        "https://app.example.com/back",
        "http://localhost:3000/x",
        "http://127.0.0.1/x",
        "http://[::1]:8080/",
    ] {
        assert!(page_url("u", ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://app.example.com/",
        "http://127.0.0.1.example.com/",
        "javascript:alert(1)",
        "data:text/html,x",
        "//app.example.com",
        "",
    ] {
        assert!(page_url("u", bad).is_err(), "{bad}");
    }
    assert_eq!(
        origin_of("HTTPS://App.Example.com:443/a?b#c").as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        origin_of("http://localhost:3000/x").as_deref(),
        Some("http://localhost:3000")
    );
    assert_eq!(origin_of("ftp://x/"), None);
}
