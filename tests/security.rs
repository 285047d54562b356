//! Secrets never show in `Debug`; webhook signatures and connect tokens accept exactly what
//! they should.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::KEY;
use pilot_connect::connect_token::{self, ConnectClaims, TokenError, VerifyOptions};
use pilot_connect::endpoints::{CreateMetaNumber, Endpoint};
use pilot_connect::webhook::{self, EventName, SignatureError, WebhookError, WebhookEvent};
use pilot_connect::{
    ApiKey, Auth, Client, Config, ConnectTokenSecret, Link, MetaAccessToken, MetaAppSecret,
    WebhookSecret,
};

const META_TOKEN: &str = "EAAGsecret-meta-token-value";
const META_SECRET: &str = "meta-app-secret-value-xyz";
const SIGNING: &str = "connect-token-signing-secret-0123456789";
const HOOK: &str = "whsec_webhook_signing_secret";

#[test]
fn secrets_never_appear_in_debug() {
    let key = ApiKey::new(KEY).unwrap();
    let cfg = Config::new(Auth::ApiKey(key.clone()));
    let meta = CreateMetaNumber::new(
        "A",
        "5511999999999",
        "1",
        "2",
        MetaAccessToken::new(META_TOKEN).unwrap(),
        MetaAppSecret::new(META_SECRET).unwrap(),
        "3",
    );
    let req = meta.to_request(&cfg).unwrap();
    let transport = common::Scripted::new(vec![]);
    let client = Client::new(cfg.clone(), &transport);
    let dumps = [
        format!("{key:?}"),
        format!("{cfg:?}"),
        format!("{cfg:#?}"),
        format!("{meta:?}"),
        format!("{req:?}"),
        format!("{req:#?}"),
        format!("{:?}", client.config()),
        format!("{:?}", ConnectTokenSecret::new(SIGNING).unwrap()),
        format!("{:?}", WebhookSecret::new(HOOK).unwrap()),
        format!("{:?}", Auth::ApiKeyId("key_secret_id".into())),
    ];
    for d in &dumps {
        for secret in [KEY, META_TOKEN, META_SECRET, SIGNING, HOOK] {
            assert!(!d.contains(secret), "{secret} leaked in {d}");
        }
    }
    assert_eq!(dumps[0], "ApiKey([redacted])");
    assert!(dumps[4].contains("x-api-key: [redacted]"), "{}", dumps[4]);
    // The request body does carry the Meta credentials (they are sent once, by design).
    let body = std::str::from_utf8(&req.body).unwrap();
    assert!(body.contains(META_TOKEN) && body.contains(META_SECRET));
}

#[test]
fn secret_constructors_refuse_garbage() {
    assert!(ApiKey::new("").is_err());
    assert!(ApiKey::new("sk_live_x").is_err());
    assert!(ApiKey::new("ps_ab cd").is_err());
    assert!(ApiKey::new("ps_").is_err());
    assert!(ConnectTokenSecret::new("short").is_err());
    assert!(WebhookSecret::new("  ").is_err());
}

fn body() -> &'static [u8] {
    include_bytes!("fixtures/webhook_number_connected.json")
}

#[test]
fn webhook_signature_cases() {
    let secret = WebhookSecret::new(HOOK).unwrap();
    let sig = webhook::sign(&secret, body());
    assert_eq!(sig.len(), 64);
    let ok = |h: &str| webhook::verify_signature(&secret, body(), Some(h));
    assert_eq!(ok(&sig), Ok(()));
    assert_eq!(ok(&sig.to_uppercase()), Ok(()));
    assert_eq!(ok(&format!("sha256={sig}")), Ok(()));
    assert_eq!(ok(&format!("  {sig}\n")), Ok(()));
    assert_eq!(
        webhook::verify_signature(&secret, body(), None),
        Err(SignatureError::Missing)
    );
    assert_eq!(ok(""), Err(SignatureError::Missing));
    assert_eq!(ok("zz"), Err(SignatureError::Malformed));
    assert_eq!(ok(&sig[..62]), Err(SignatureError::Malformed));
    let mut flipped = sig.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    assert_eq!(
        ok(std::str::from_utf8(&flipped).unwrap()),
        Err(SignatureError::Mismatch)
    );
    // One byte of body changed → mismatch.
    let mut tampered = body().to_vec();
    tampered[10] ^= 1;
    assert_eq!(
        webhook::verify_signature(&secret, &tampered, Some(&sig)),
        Err(SignatureError::Mismatch)
    );
    // Another secret → mismatch.
    let other = WebhookSecret::new("another").unwrap();
    assert_eq!(
        webhook::verify_signature(&other, body(), Some(&sig)),
        Err(SignatureError::Mismatch)
    );
    // Known-answer test (RFC 4231 test case 2: key "Jefe").
    let jefe = WebhookSecret::new("Jefe").unwrap();
    assert_eq!(
        webhook::sign(&jefe, b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn webhook_events_parse() {
    let secret = WebhookSecret::new(HOOK).unwrap();
    let sig = webhook::sign(&secret, body());
    let ev = webhook::verify_and_parse(&secret, body(), Some(&sig)).unwrap();
    let WebhookEvent::Number { event, data } = &ev else {
        panic!()
    };
    assert_eq!(*event, EventName::NumberConnected);
    assert_eq!(
        (data.number_id.as_str(), data.phone.as_str()),
        ("num_01HZX...", "+5511999999999")
    );
    assert_eq!(data.profile_name.as_deref(), Some("Acme Support"));
    assert_eq!(
        ev.dedup_key().unwrap(),
        "number.connected|num_01HZX...|2026-06-01T12:00:00.000Z"
    );

    for name in [
        "number.created",
        "number.disconnected",
        "number.removed",
        "number.restored",
    ] {
        let raw = format!(
            r#"{{"event":"{name}","data":{{"numberId":"n","phone":"+1","displayName":"d","createdAt":"t","error":"x"}}}}"#
        );
        let ev = webhook::parse_event(raw.as_bytes()).unwrap();
        assert_eq!(ev.name().as_str(), name);
        assert!(matches!(ev, WebhookEvent::Number { .. }));
    }
    // Unknown and health events are kept, not rejected.
    let ev =
        webhook::parse_event(br#"{"event":"number.health_blocked","data":{"score":1}}"#).unwrap();
    assert_eq!(
        ev.name(),
        &EventName::Unknown("number.health_blocked".into())
    );
    let WebhookEvent::Other { data, .. } = ev else {
        panic!()
    };
    assert_eq!(data["score"], 1);
    let ev = webhook::parse_event(br#"{"event":"call.offer","from":"+1"}"#).unwrap();
    let WebhookEvent::Other { data, .. } = ev else {
        panic!()
    };
    assert_eq!(data["from"], "+1");
    // A known event with a broken payload names the path.
    let err = webhook::parse_event(br#"{"event":"number.connected","data":{"numberId":"n"}}"#)
        .unwrap_err();
    assert!(err.to_string().contains("data"), "{err}");
    assert!(webhook::parse_event(b"not json").is_err());
    assert!(webhook::parse_event(br#"{"data":{}}"#).is_err());
    // Signature checked before parsing.
    assert!(matches!(
        webhook::verify_and_parse(&secret, b"not json", Some(&sig)),
        Err(WebhookError::Signature(SignatureError::Mismatch))
    ));
}

#[test]
fn every_delivery_has_one_dedup_key_and_a_class() {
    let key = |raw: &str| webhook::parse_event(raw.as_bytes()).unwrap().dedup_key();
    // message.*: the docs' `data.id`.
    assert_eq!(
        key(r#"{"event":"message.received","data":{"id":"msg_1","numberId":"n","createdAt":"t"}}"#)
            .as_deref(),
        Some("msg_1")
    );
    // number.* (known or not): event|numberId|createdAt, never a stray id.
    assert_eq!(
        key(r#"{"event":"number.connected","data":{"numberId":"n","phone":"+1","displayName":"d","createdAt":"t"}}"#)
            .as_deref(),
        Some("number.connected|n|t")
    );
    assert_eq!(
        key(
            r#"{"event":"number.health_blocked","data":{"id":"x","numberId":"n","createdAt":"t"}}"#
        )
        .as_deref(),
        Some("number.health_blocked|n|t")
    );
    // Flat call.* events carry their id at the top level.
    assert_eq!(
        key(r#"{"event":"call.offer","id":"call_9"}"#).as_deref(),
        Some("call_9")
    );
    assert_eq!(key(r#"{"event":"future.thing","data":{}}"#), None);

    // The edge's own subscription: the four lifecycle events, nothing of the customer's.
    let edge: Vec<&str> = webhook::EDGE_EVENTS.iter().map(EventName::as_str).collect();
    assert_eq!(
        edge,
        [
            "number.connected",
            "number.disconnected",
            "number.removed",
            "number.restored"
        ]
    );
    for name in ["message.received", "message.sent", "call.offer"] {
        let e = EventName::parse(name);
        assert!(e.is_customer_traffic() && !e.is_edge_event(), "{name}");
    }
    for e in &webhook::EDGE_EVENTS {
        assert!(e.is_edge_event() && !e.is_customer_traffic());
    }
    assert!(!EventName::NumberCreated.is_edge_event());
    assert!(!EventName::parse("number.health_blocked").is_customer_traffic());
}

const NOW: u64 = 1_800_000_000;
const AUD: &str = "https://connect.example.com";

fn secret() -> ConnectTokenSecret {
    ConnectTokenSecret::new(SIGNING).unwrap()
}

fn opts(origin: Option<&str>) -> VerifyOptions<'_> {
    VerifyOptions::new(AUD, NOW, origin)
}

/// Builds a token by hand (for cases `mint` refuses to produce).
fn forge(header: &str, claims: &str, key: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let signing = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    m.update(signing.as_bytes());
    format!(
        "{signing}.{}",
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    )
}

#[test]
fn connect_token_round_trip() {
    let claims = ConnectClaims::new("wa_abc", AUD, NOW, 600)
        .with_origin("https://app.example.com")
        .with_link(Link::Secondary);
    let token = connect_token::mint(&secret(), &claims).unwrap();
    assert_eq!(token.split('.').count(), 3);
    let got =
        connect_token::verify(&secret(), &token, &opts(Some("https://app.example.com"))).unwrap();
    assert_eq!(got, claims);
    // Interop: a token built by any HS256 library verifies.
    let hand = forge(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &format!(
            r#"{{"sub":"wa_x","aud":"{AUD}","iat":{NOW},"exp":{}}}"#,
            NOW + 60
        ),
        SIGNING.as_bytes(),
    );
    assert_eq!(
        connect_token::verify(&secret(), &hand, &opts(None))
            .unwrap()
            .sub,
        "wa_x"
    );
}

#[test]
fn connect_token_rejections() {
    let s = secret();
    let good = ConnectClaims::new("wa_abc", AUD, NOW, 600);
    let token = connect_token::mint(&s, &good).unwrap();
    let v = |t: &str, o: VerifyOptions<'_>| connect_token::verify(&s, t, &o).unwrap_err();

    // Bad signature: other secret, tampered payload.
    let other = ConnectTokenSecret::new("another-secret-another-secret-1234").unwrap();
    assert_eq!(
        connect_token::verify(&other, &token, &opts(None)).unwrap_err(),
        TokenError::BadSignature
    );
    let parts: Vec<&str> = token.split('.').collect();
    let evil = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"wa_other","aud":"{AUD}","iat":{NOW},"exp":{}}}"#,
        NOW + 600
    ));
    assert_eq!(
        v(&format!("{}.{evil}.{}", parts[0], parts[2]), opts(None)),
        TokenError::BadSignature
    );

    // alg none / other algorithms.
    let claims = format!(
        r#"{{"sub":"wa_abc","aud":"{AUD}","iat":{NOW},"exp":{}}}"#,
        NOW + 600
    );
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(&claims)
    );
    assert_eq!(
        v(&none, opts(None)),
        TokenError::UnsupportedAlgorithm("none".into())
    );
    let hs512 = forge(r#"{"alg":"HS512"}"#, &claims, SIGNING.as_bytes());
    assert_eq!(
        v(&hs512, opts(None)),
        TokenError::UnsupportedAlgorithm("HS512".into())
    );
    let rs = forge(r#"{"alg":"RS256"}"#, &claims, SIGNING.as_bytes());
    assert!(matches!(
        v(&rs, opts(None)),
        TokenError::UnsupportedAlgorithm(_)
    ));

    // Time.
    let expired =
        connect_token::mint(&s, &ConnectClaims::new("wa_abc", AUD, NOW - 700, 600)).unwrap();
    assert_eq!(v(&expired, opts(None)), TokenError::Expired);
    let in_leeway =
        connect_token::mint(&s, &ConnectClaims::new("wa_abc", AUD, NOW - 620, 600)).unwrap();
    assert!(
        connect_token::verify(&s, &in_leeway, &opts(None)).is_ok(),
        "20 s past exp is within leeway"
    );
    let future =
        connect_token::mint(&s, &ConnectClaims::new("wa_abc", AUD, NOW + 120, 600)).unwrap();
    assert_eq!(v(&future, opts(None)), TokenError::NotYetValid);
    let mut nbf = ConnectClaims::new("wa_abc", AUD, NOW, 600);
    nbf.nbf = Some(NOW + 300);
    assert_eq!(
        v(&connect_token::mint(&s, &nbf).unwrap(), opts(None)),
        TokenError::NotYetValid
    );
    // More than an hour: mint refuses, a forged one is refused too.
    assert_eq!(
        connect_token::mint(&s, &ConnectClaims::new("wa_abc", AUD, NOW, 3601)).unwrap_err(),
        TokenError::TooLongLived
    );
    let long = forge(
        r#"{"alg":"HS256"}"#,
        &format!(
            r#"{{"sub":"a","aud":"{AUD}","iat":{NOW},"exp":{}}}"#,
            NOW + 7200
        ),
        SIGNING.as_bytes(),
    );
    assert_eq!(v(&long, opts(None)), TokenError::TooLongLived);
    let backdated = forge(
        r#"{"alg":"HS256"}"#,
        &format!(
            r#"{{"sub":"a","aud":"{AUD}","iat":{},"exp":{}}}"#,
            NOW + 7000,
            NOW + 7200
        ),
        SIGNING.as_bytes(),
    );
    assert!(matches!(
        v(&backdated, opts(None)),
        TokenError::TooLongLived | TokenError::NotYetValid
    ));

    // Audience and origin.
    assert_eq!(
        v(
            &token,
            VerifyOptions::new("https://other.example", NOW, None)
        ),
        TokenError::WrongAudience
    );
    let bound =
        connect_token::mint(&s, &good.clone().with_origin("https://app.example.com")).unwrap();
    assert_eq!(
        v(&bound, opts(Some("https://evil.example"))),
        TokenError::OriginMismatch
    );
    assert_eq!(v(&bound, opts(None)), TokenError::OriginMismatch);
    assert!(
        connect_token::verify(&s, &token, &opts(Some("https://any.example"))).is_ok(),
        "unbound token: any origin"
    );

    // Malformed input.
    for bad in ["", "a", "a.b", "a.b.c.d", "!!.??.**", &"a".repeat(5000)] {
        assert!(
            matches!(v(bad, opts(None)), TokenError::Malformed(_)),
            "{bad:?}"
        );
    }
    let no_sub = forge(
        r#"{"alg":"HS256"}"#,
        &format!(r#"{{"aud":"{AUD}","iat":{NOW},"exp":{}}}"#, NOW + 60),
        SIGNING.as_bytes(),
    );
    assert!(matches!(v(&no_sub, opts(None)), TokenError::Malformed(_)));
    let crit = forge(
        r#"{"alg":"HS256","crit":["x"]}"#,
        &claims,
        SIGNING.as_bytes(),
    );
    assert!(matches!(v(&crit, opts(None)), TokenError::Malformed(_)));
    let bad_link = forge(
        r#"{"alg":"HS256"}"#,
        &format!(
            r#"{{"sub":"a","aud":"{AUD}","iat":{NOW},"exp":{},"link":"third"}}"#,
            NOW + 60
        ),
        SIGNING.as_bytes(),
    );
    assert!(matches!(
        v(&bad_link, opts(None)),
        TokenError::InvalidClaims(_)
    ));
}

#[test]
fn mint_never_returns_a_token_that_verify_refuses() {
    // Regression from the connect_token fuzz target: NULs escape to `\u0000` in JSON, so an
    // origin of a few hundred of them made `mint` return a token longer than `verify` accepts.
    let long = ConnectClaims::new("//", AUD, NOW, 600).with_origin("\0".repeat(700));
    assert_eq!(
        connect_token::mint(&secret(), &long).unwrap_err(),
        TokenError::InvalidClaims("claims too long for a token")
    );
    // Long but within the limit: still a round trip.
    let origin = "a".repeat(2000);
    let ok = ConnectClaims::new("wa_abc", AUD, NOW, 600).with_origin(origin.clone());
    let token = connect_token::mint(&secret(), &ok).unwrap();
    assert!(token.len() <= connect_token::MAX_TOKEN_LEN);
    assert_eq!(
        connect_token::verify(&secret(), &token, &opts(Some(&origin))).unwrap(),
        ok
    );
}

/// Rotating the connect-token secret: a token signed by any accepted secret verifies; the
/// secret that signed it decides its claim errors; none of them: a bad signature.
#[test]
fn connect_tokens_verify_against_any_accepted_secret() {
    let old = secret();
    let new = ConnectTokenSecret::new("the-new-connect-token-secret-0123456789").unwrap();
    let third = ConnectTokenSecret::new("a-third-unrelated-secret-0123456789ab").unwrap();
    let by_old = connect_token::mint(&old, &ConnectClaims::new("wa_old", AUD, NOW, 600)).unwrap();
    let by_new = connect_token::mint(&new, &ConnectClaims::new("wa_new", AUD, NOW, 600)).unwrap();
    let both = [new.clone(), old.clone()];
    let any = |secrets: &[ConnectTokenSecret], t: &str| {
        connect_token::verify_with_any(secrets, t, &opts(None))
    };
    assert_eq!(any(&both, &by_old).unwrap().sub, "wa_old");
    assert_eq!(any(&both, &by_new).unwrap().sub, "wa_new");
    // The old secret removed: its tokens are refused.
    assert_eq!(
        any(std::slice::from_ref(&new), &by_old).unwrap_err(),
        TokenError::BadSignature
    );
    assert_eq!(any(&[], &by_new).unwrap_err(), TokenError::BadSignature);
    assert_eq!(any(&[third, new.clone()], &by_new).unwrap().sub, "wa_new");
    // An expired token signed by the old secret is expired, not "bad signature".
    let stale =
        connect_token::mint(&old, &ConnectClaims::new("wa_old", AUD, NOW - 700, 600)).unwrap();
    assert_eq!(any(&both, &stale).unwrap_err(), TokenError::Expired);
}
