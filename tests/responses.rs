//! Every documented example payload parses; unknown enum values and unknown fields survive a
//! round trip; error answers map to typed kinds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use common::response;
use pilot_connect::endpoints::*;
use pilot_connect::model::{Branding, Number, QrError};
use pilot_connect::{
    Error, ErrorCode, ErrorKind, ForbiddenScope, MetaAccessToken, MetaAppSecret, NumberState,
    PairingCode, Provider, QrImage,
};

const PNG_PREFIX: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

fn meta_builder() -> CreateMetaNumber {
    CreateMetaNumber::new(
        "A",
        "5511999999999",
        "1",
        "2",
        MetaAccessToken::new("t").unwrap(),
        MetaAppSecret::new("s").unwrap(),
        "3",
    )
}

#[test]
fn create_number_fixture() {
    let out = CreateNumber::new("x", "+5511999999999")
        .parse(&response(
            201,
            include_str!("fixtures/create_number_201.json"),
        ))
        .unwrap();
    assert_eq!(out.id(), "wa_abc");
    let inst = &out.instance;
    assert_eq!(inst.state, Some(NumberState::Connecting));
    assert_eq!(inst.is_fully_connected, Some(false));
    assert!(out
        .qrcode_base64
        .as_ref()
        .unwrap()
        .png_bytes()
        .starts_with(&PNG_PREFIX));
    assert_eq!(out.pairing_code, Some(PairingCode::new("ABCD-1234")));
    assert_eq!(out.linked_api_key_id, None);
    assert!(out.primary_link.as_ref().unwrap().qrcode_base64.is_some());
    assert!(out.secondary_link.is_none());
}

#[test]
fn create_meta_number_fixture_from_seed() {
    let out = meta_builder()
        .parse(&response(
            201,
            include_str!("fixtures/create_meta_number_201.json"),
        ))
        .unwrap();
    assert_eq!(out.number.id, "num_01HZX...");
    assert_eq!(out.number.provider, Some(Provider::Meta));
    assert_eq!(out.number.meta_phone_id.as_deref(), Some("123456789012345"));
    assert_eq!(out.number.meta_waba_id.as_deref(), Some("987654321098765"));
    assert_eq!(out.number.is_fully_connected, Some(true));
    assert!(out.number.is_ready());
    let hook = out.webhook.as_ref().unwrap();
    assert_eq!(
        hook.url.as_deref(),
        Some("https://webhook.pilotstatus.com.br/meta")
    );
    assert_eq!(
        hook.verify_token.as_ref().unwrap().expose(),
        "ps_meta_verify_..."
    );
    assert!(
        !format!("{out:?}").contains("ps_meta_verify_"),
        "verify token is redacted in Debug"
    );
    assert_eq!(out.linked_api_key_id.as_deref(), Some("key_01HZX..."));
}

#[test]
fn seed_meta_error_examples() {
    for (status, file, kind) in [
        (
            400,
            include_str!("fixtures/error_400.json"),
            ErrorKind::BadRequest,
        ),
        (
            401,
            include_str!("fixtures/error_401.json"),
            ErrorKind::Unauthorized,
        ),
        (
            409,
            include_str!("fixtures/error_409_exists.json"),
            ErrorKind::Conflict,
        ),
        (
            429,
            include_str!("fixtures/error_429.json"),
            ErrorKind::RateLimited,
        ),
    ] {
        let err = meta_builder().parse(&response(status, file)).unwrap_err();
        assert_eq!(err.kind(), kind, "{status}");
        assert_eq!(err.status(), Some(status));
        let Error::Api(api) = &err else { panic!() };
        let expected: serde_json::Value = serde_json::from_str(file).unwrap();
        assert_eq!(api.message, expected["error"].as_str().unwrap());
        assert_eq!(api.code, None, "the seed's error examples have no code");
    }
}

#[test]
fn connect_fixture_and_409() {
    let c = Connect::new("wa_abc");
    let ConnectOutcome::Pairing(p) = c
        .parse(&response(200, include_str!("fixtures/connect_200.json")))
        .unwrap()
    else {
        panic!("expected pairing")
    };
    assert!(p
        .qrcode_base64
        .unwrap()
        .as_data_url()
        .starts_with("data:image/png;base64,iVBORw0KGgo"));
    assert_eq!(p.pairing_code.unwrap().grouped(), "ABCD-1234");

    // The documented 409 is a state, not an error.
    for body in ["", r#"{"error":"Number already connected"}"#, "<html>"] {
        assert_eq!(
            c.parse(&response(409, body)).unwrap(),
            ConnectOutcome::AlreadyConnected
        );
    }
    // A null QR / pairing code is allowed by the docs ("may be null").
    let ConnectOutcome::Pairing(p) = c
        .parse(&response(
            200,
            r#"{"qrcodeBase64":null,"pairingCode":null}"#,
        ))
        .unwrap()
    else {
        panic!()
    };
    assert!(p.qrcode_base64.is_none() && p.pairing_code.is_none());
    // 404 stays an error.
    assert_eq!(
        c.parse(&response(404, r#"{"error":"Not found"}"#))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn elided_doc_qr_is_a_decode_error_with_path() {
    let err = Connect::new("wa_abc")
        .parse(&response(
            200,
            include_str!("fixtures/connect_200_doc_elided.json"),
        ))
        .unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.path, "qrcodeBase64");
    assert_eq!(err.kind(), ErrorKind::Decode);
}

#[test]
fn qr_image_rules() {
    let png = include_str!("fixtures/connect_200.json");
    let v: serde_json::Value = serde_json::from_str(png).unwrap();
    let url = v["qrcodeBase64"].as_str().unwrap();
    let bare = url.trim_start_matches("data:image/png;base64,");
    let a = QrImage::parse(url).unwrap();
    let b = QrImage::parse(bare).unwrap();
    assert_eq!(a, b, "bare base64 becomes the same data URL");
    assert_eq!(QrImage::from_png(&a.png_bytes()).unwrap(), a);
    assert_eq!(
        QrImage::parse("data:image/svg+xml;base64,PHN2Zz4="),
        Err(QrError::NotPngDataUrl)
    );
    assert_eq!(
        QrImage::parse("javascript:alert(1)"),
        Err(QrError::NotPngDataUrl)
    );
    assert_eq!(
        QrImage::parse("data:image/png;base64,@@@"),
        Err(QrError::Base64)
    );
    assert_eq!(QrImage::parse("aGVsbG8="), Err(QrError::NotPng));
    assert!(QrImage::from_png(b"GIF89a").is_err());
}

#[test]
fn pairing_code_grouping() {
    for (raw, grouped) in [
        ("ABCD1234", "ABCD-1234"),
        ("abcd-1234", "ABCD-1234"),
        ("ABCD 1234", "ABCD-1234"),
        ("ABC", "ABC"),
        ("ABCD-12345", "ABCD-12345"),
        ("ÁBCD1234", "ÁBCD1234"),
    ] {
        assert_eq!(PairingCode::new(raw).grouped(), grouped, "{raw}");
    }
}

#[test]
fn all_three_status_shapes() {
    let s = GetStatus::new("wa_abc");
    let md = s
        .parse(&response(200, include_str!("fixtures/status_md.json")))
        .unwrap();
    assert_eq!(
        (md.id.as_deref(), &md.state, md.is_ready()),
        (Some("wa_abc"), &NumberState::Open, true)
    );
    let rendered = s
        .parse(&response(
            200,
            include_str!("fixtures/status_rendered.json"),
        ))
        .unwrap();
    assert_eq!(
        (rendered.id, rendered.is_fully_connected),
        (None, Some(true))
    );
    let sdk = s
        .parse(&response(200, include_str!("fixtures/status_sdk.json")))
        .unwrap();
    assert_eq!(
        (sdk.stale, sdk.checked_at.as_deref()),
        (Some(false), Some("2026-06-01T12:00:00.000Z"))
    );
    let stale = s
        .parse(&response(
            200,
            include_str!("fixtures/status_sdk_stale.json"),
        ))
        .unwrap();
    assert_eq!(
        (stale.stale, stale.state.clone(), stale.is_ready()),
        (Some(true), NumberState::Connecting, false)
    );
    assert_eq!(
        stale.last_known_at.as_deref(),
        Some("2026-06-01T11:58:00.000Z")
    );
    // OPEN but not fully connected (dual number with one link down) is not ready.
    let half = s
        .parse(&response(
            200,
            r#"{"state":"OPEN","isFullyConnected":false}"#,
        ))
        .unwrap();
    assert!(!half.is_ready());
    // Missing state is a decode error that names the field.
    let Error::Decode(d) = s.parse(&response(200, r#"{"id":"wa_abc"}"#)).unwrap_err() else {
        panic!()
    };
    assert_eq!(
        (d.path.as_str(), d.message.as_str()),
        ("state", "is missing")
    );
    // 503 codes.
    let err = s
        .parse(&response(
            503,
            include_str!("fixtures/error_503_provider.json"),
        ))
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.code()),
        (ErrorKind::Server, Some(&ErrorCode::ProviderNotConfigured))
    );
    // 404 without code.
    let err = s
        .parse(&response(404, r#"{"error":"Number not found"}"#))
        .unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::NotFound, None));
}

#[test]
fn state_enum_is_open() {
    for (wire, state) in [
        ("OPEN", NumberState::Open),
        ("CONNECTING", NumberState::Connecting),
        ("CLOSE", NumberState::Close),
        ("CLOSED", NumberState::Close),
        ("closed", NumberState::Close),
        (
            "PAIRING_SOMETHING_NEW",
            NumberState::Unknown("PAIRING_SOMETHING_NEW".into()),
        ),
    ] {
        let parsed: NumberState = serde_json::from_str(&format!("\"{wire}\"")).unwrap();
        assert_eq!(parsed, state, "{wire}");
    }
    let unknown = NumberState::parse("REFUSED");
    assert_eq!(serde_json::to_string(&unknown).unwrap(), "\"REFUSED\"");
    assert_eq!(Provider::parse("WABA_V2").as_str(), "WABA_V2");
    assert_eq!(
        ErrorCode::parse("SOMETHING_NEW").to_string(),
        "SOMETHING_NEW"
    );
}

#[test]
fn unknown_fields_round_trip() {
    let raw = r#"{"id":"wa_abc","state":"SUSPENDED","stale":false,"newField":{"nested":[1,2]},"another":"x"}"#;
    let st = GetStatus::new("wa_abc").parse(&response(200, raw)).unwrap();
    assert_eq!(st.state, NumberState::Unknown("SUSPENDED".into()));
    assert_eq!(st.extra["newField"]["nested"][1], 2);
    let back: serde_json::Value = serde_json::to_value(&st).unwrap();
    let orig: serde_json::Value = serde_json::from_str(raw).unwrap();
    assert_eq!(back, orig, "nothing is lost");

    let list_raw = include_str!("fixtures/list_200.json");
    let list: Vec<Number> = ListNumbers::new().parse(&response(200, list_raw)).unwrap();
    let back = serde_json::to_value(&list).unwrap();
    let orig: serde_json::Value = serde_json::from_str(list_raw).unwrap();
    assert_eq!(back, orig);
}

#[test]
fn list_fixture_and_wrappers() {
    let l = ListNumbers::new();
    let list = l
        .parse(&response(200, include_str!("fixtures/list_200.json")))
        .unwrap();
    assert_eq!(list.len(), 1);
    let n = &list[0];
    assert_eq!(
        (n.id.as_str(), n.provider.clone(), n.state.clone()),
        (
            "num_01HZX...",
            Some(Provider::PilotStatus),
            Some(NumberState::Open)
        )
    );
    let key = &n.api_keys.as_ref().unwrap()[0];
    assert_eq!(
        (key.key_prefix.as_deref(), key.key_last4.as_deref()),
        (Some("ps_abcd"), Some("wxyz"))
    );
    assert_eq!(
        l.parse(&response(200, r#"{"data":[{"id":"a"}]}"#)).unwrap()[0].id,
        "a"
    );
    assert_eq!(
        l.parse(&response(200, r#"{"numbers":[{"id":"b"}]}"#))
            .unwrap()[0]
            .id,
        "b"
    );
    assert!(l.parse(&response(200, "[]")).unwrap().is_empty());
    let Error::Decode(d) = l
        .parse(&response(200, r#"[{"id":"a"},{"id":7}]"#))
        .unwrap_err()
    else {
        panic!()
    };
    assert_eq!(d.path, "[1].id");
}

#[test]
fn get_fixture() {
    let n = GetNumber::new("wa_abc")
        .parse(&response(200, include_str!("fixtures/get_200.json")))
        .unwrap();
    assert_eq!(n.id, "wa_abc");
    assert_eq!(n.health.as_ref().unwrap()["sendable"], true);
    assert_eq!(n.meta, None);
    assert!(n.extra.contains_key("coexistence"));
}

#[test]
fn delete_restore_purge_fixtures() {
    let d = DeleteNumber::new("x");
    let perm = d
        .parse(&response(
            200,
            include_str!("fixtures/delete_200_permanent.json"),
        ))
        .unwrap();
    assert!(perm.ok && perm.restorable_until.is_none());
    let soft = d
        .parse(&response(
            200,
            include_str!("fixtures/delete_200_soft.json"),
        ))
        .unwrap();
    assert_eq!(
        soft.restorable_until.as_deref(),
        Some("2026-07-01T12:00:00.000Z")
    );
    let r = RestoreNumber::new("x")
        .parse(&response(200, include_str!("fixtures/restore_200.json")))
        .unwrap();
    assert_eq!((r.ok, r.requires_reconnect), (true, Some(true)));
    let p = PurgeNumber::new("x")
        .parse(&response(200, include_str!("fixtures/purge_200.json")))
        .unwrap();
    assert!(p.ok);
    let err = RestoreNumber::new("x")
        .parse(&response(
            409,
            r#"{"error":"Active","code":"NUMBER_ALREADY_ACTIVE"}"#,
        ))
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::NumberAlreadyActive));
}

#[test]
fn remote_pairing_three_shapes() {
    let b = CreateRemotePairing::pilot_status("a", "+5511999999999");
    let o = b
        .parse(&response(
            200,
            include_str!("fixtures/remote_pairing_openapi.json"),
        ))
        .unwrap();
    assert_eq!(
        (o.token(), o.number_id()),
        (Some("rp_01HZX..."), Some("num_01HZX..."))
    );
    let g = b
        .parse(&response(
            201,
            include_str!("fixtures/remote_pairing_guide_201.json"),
        ))
        .unwrap();
    assert_eq!(g.token(), Some("abc123-def456-..."));
    assert_eq!(g.number_id(), Some("wa_abc"));
    assert_eq!(g.instance.as_ref().unwrap().state, Some(NumberState::Close));
    assert_eq!(
        (g.masked_number.as_deref(), g.message_sent),
        (Some("+551199****9999"), Some(false))
    );
    let s = b
        .parse(&response(
            201,
            include_str!("fixtures/remote_pairing_sdk.json"),
        ))
        .unwrap();
    assert_eq!((s.token(), s.number_id()), (None, Some("wa_abc")));
}

#[test]
fn public_token_fixtures() {
    let info = RemotePairingInfo::new("t")
        .parse(&response(
            200,
            include_str!("fixtures/remote_pairing_info_200.json"),
        ))
        .unwrap();
    assert!(info.valid);
    assert_eq!(
        (info.number.as_deref(), info.state),
        (Some("5511988887777"), Some(NumberState::Connecting))
    );
    let st = RemotePairingStatus::new("t")
        .parse(&response(
            200,
            include_str!("fixtures/remote_pairing_status_200.json"),
        ))
        .unwrap();
    assert!(st.is_ready());
    let c = RemotePairingConnect::new("t");
    assert!(matches!(
        c.parse(&response(
            200,
            include_str!("fixtures/remote_pairing_connect_200.json")
        ))
        .unwrap(),
        ConnectOutcome::Pairing(_)
    ));
    assert_eq!(
        c.parse(&response(409, "")).unwrap(),
        ConnectOutcome::AlreadyConnected
    );
    assert_eq!(
        RemotePairingInfo::new("t")
            .parse(&response(404, r#"{"error":"Invalid token"}"#))
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn error_mapping() {
    let l = ListNumbers::new();
    let e = l
        .parse(&response(
            403,
            include_str!("fixtures/error_403_number_scope.json"),
        ))
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Forbidden(ForbiddenScope::NumberKeyNotAllowed)
    );
    let e = l
        .parse(&response(
            403,
            include_str!("fixtures/error_403_tenant_scope.json"),
        ))
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Forbidden(ForbiddenScope::TenantKeyNotAllowed)
    );
    let e = l
        .parse(&response(
            403,
            r#"{"error":"nope","code":"PERMISSION_DENIED"}"#,
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden(ForbiddenScope::Other));
    let e = CreateNumber::new("a", "+5511999999999")
        .parse(&response(
            409,
            include_str!("fixtures/error_409_soft_deleted.json"),
        ))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.code()),
        (ErrorKind::Conflict, Some(&ErrorCode::NumberSoftDeleted))
    );
    let e = l
        .parse(&response(
            429,
            include_str!("fixtures/error_429_retry_after_body.json"),
        ))
        .unwrap_err();
    assert_eq!(e.retry_after(), Some(core::time::Duration::from_secs(42)));
    // The header wins over the body.
    let mut r = response(
        429,
        include_str!("fixtures/error_429_retry_after_body.json"),
    );
    r.headers.push(("retry-after".into(), "7".into()));
    assert_eq!(
        l.parse(&r).unwrap_err().retry_after(),
        Some(core::time::Duration::from_secs(7))
    );
    // Non-JSON error bodies still give a typed error.
    let e = l
        .parse(&response(502, "<html>Bad gateway</html>"))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string()),
        (
            ErrorKind::Server,
            "Pilot Status answered 502: HTTP 502".to_string()
        )
    );
    let e = l
        .parse(&response(
            402,
            r#"{"error":"Payment required","code":"PAYMENT_FAILED","declineCode":"card_declined"}"#,
        ))
        .unwrap_err();
    let Error::Api(api) = &e else { panic!() };
    assert_eq!(
        (e.kind(), api.extra["declineCode"].as_str()),
        (ErrorKind::OtherStatus, Some("card_declined"))
    );
    // A 2xx that is not JSON is a decode error.
    assert_eq!(
        l.parse(&response(200, "not json")).unwrap_err().kind(),
        ErrorKind::Decode
    );
}

/// The ids the contract always returns are required: an answer without one is a decode error
/// naming the id's JSON path, never a `None`. The message is words; serde's text (with its line
/// and column) is kept apart in `detail`.
#[test]
fn a_missing_id_is_a_decode_error_with_its_path() {
    let decode = |r: Result<(), Error>| match r {
        Err(Error::Decode(d)) => d,
        other => panic!("{other:?}"),
    };
    let create = |body: &str| {
        CreateNumber::new("x", "+5511999999999")
            .parse(&response(201, body))
            .map(drop)
    };
    let d = decode(create(
        r#"{"instance":{"name":"Loja","state":"CONNECTING"},"pairingCode":"ABCD-1234"}"#,
    ));
    assert_eq!(
        (d.status, d.path.as_str(), d.message.as_str()),
        (201, "instance.id", "is missing")
    );
    assert!(
        d.detail.contains("missing field `id`") && d.detail.contains("line 1"),
        "{d:?}"
    );
    let e = create(r#"{"instance":{"name":"Loja"}}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "could not decode the 201 response: `instance.id` is missing"
    );
    assert!(!e.to_string().contains("line"), "{e}");
    assert_eq!(decode(create(r#"{"qrcodeBase64":null}"#)).path, "instance");
    assert_eq!(
        decode(create(r#"{"instance":{"id":null}}"#)).path,
        "instance.id"
    );

    let list = |body: &str| ListNumbers::new().parse(&response(200, body)).map(drop);
    assert_eq!(decode(list(r#"[{"id":"a"},{"name":"b"}]"#)).path, "[1].id");
    assert_eq!(
        decode(list(r#"{"data":[{"id":"a"},{"name":"b"}]}"#)).path,
        "data[1].id"
    );
    assert_eq!(
        decode(list(r#"{"numbers":[{"name":"b"}]}"#)).path,
        "numbers[0].id"
    );
    let get = GetNumber::new("wa_1").parse(&response(200, r#"{"name":"x"}"#));
    assert_eq!(decode(get.map(drop)).path, "id");

    let hook = |body: &str| {
        GetWebhook::new("wh_1")
            .parse(&response(200, body))
            .map(drop)
    };
    assert_eq!(decode(hook(r#"{"url":"https://a.example/h"}"#)).path, "id");
    assert_eq!(
        decode(hook(r#"{"webhook":{"url":"https://a.example/h"}}"#)).path,
        "webhook.id"
    );
    let created = CreateWebhook::new("https://a.example/h", ["*"])
        .parse(&response(201, r#"{"data":{"events":["*"]}}"#));
    assert_eq!(decode(created.map(drop)).path, "data.id");
    let updated = UpdateWebhook::new("wh_1")
        .active(false)
        .parse(&response(200, r#"{"active":false}"#));
    assert_eq!(decode(updated.map(drop)).path, "id");
    let hooks = ListWebhooks::new().parse(&response(
        200,
        r#"{"data":[{"url":"https://a.example/h"}]}"#,
    ));
    assert_eq!(decode(hooks.map(drop)).path, "data[0].id");

    // A PILOT_STATUS link always names its number; a META link may not (the number is picked
    // in Meta's dialog later).
    let rp = CreateRemotePairing::pilot_status("a", "+5511999999999").parse(&response(
        201,
        r#"{"remotePairingUrl":"https://x.example/connect/t1","messageSent":false}"#,
    ));
    let d = decode(rp.map(drop));
    assert_eq!(
        (d.path.as_str(), d.message.as_str()),
        ("numberId", "is missing")
    );
    let rp = CreateRemotePairing::pilot_status("a", "+5511999999999")
        .parse(&response(201, r#"{"instance":{"state":"CLOSE"}}"#));
    assert_eq!(decode(rp.map(drop)).path, "instance.id");
    let meta = CreateRemotePairing::meta()
        .parse(&response(
            201,
            r#"{"provider":"META","remotePairingUrl":"https://x.example/connect/t2"}"#,
        ))
        .unwrap();
    assert_eq!((meta.token(), meta.number_id()), (Some("t2"), None));

    // Not JSON at all: the whole body, in words.
    let d = decode(list(r#"[{"id":"a""#));
    assert_eq!(
        (d.path.as_str(), d.message.as_str()),
        ("", "is not valid JSON")
    );
    assert_eq!(
        Error::Decode(d).to_string(),
        "could not decode the 200 response: the body is not valid JSON"
    );
}

#[test]
fn branding_fixtures() {
    // GET and PUT answer the same documented shape: `{ "branding": { … } }`.
    let fixture = include_str!("fixtures/branding_200.json");
    let want = Branding {
        logo_url: Some("https://cdn.acme.example/logo.png".into()),
        primary_color: Some("#0A84FF".into()),
        background_color: Some("#FFFFFF".into()),
        company_name: Some("Acme".into()),
        subtitle: Some("Conecte seu WhatsApp".into()),
        support_url: Some("https://acme.example/ajuda".into()),
        default_redirect_url: Some("https://app.acme.example/conectado".into()),
        hide_pilot_status_branding: Some(true),
        extra: [(
            "updatedAt".to_owned(),
            serde_json::json!("2026-06-01T12:00:00.000Z"),
        )]
        .into_iter()
        .collect(),
    };
    let got = GetBranding::new().parse(&response(200, fixture)).unwrap();
    assert_eq!(got, want);
    let put = UpdateBranding::new().company_name("Acme");
    assert_eq!(put.parse(&response(200, fixture)).unwrap(), want);
    // Unknown fields survive a round trip; unset fields are not written.
    let again: Branding = serde_json::from_str(&serde_json::to_string(&got).unwrap()).unwrap();
    assert_eq!(again, got);
    assert_eq!(
        serde_json::to_value(Branding {
            company_name: Some("Acme".into()),
            ..Branding::default()
        })
        .unwrap(),
        serde_json::json!({"companyName": "Acme"})
    );

    // A tenant that set nothing: `{}`, or `null` under the key.
    let empty = include_str!("fixtures/branding_200_empty.json");
    assert_eq!(
        GetBranding::new().parse(&response(200, empty)).unwrap(),
        Branding::default()
    );
    assert_eq!(
        GetBranding::new()
            .parse(&response(200, r#"{"branding":null}"#))
            .unwrap(),
        Branding::default()
    );
    // The plausible undocumented variant: the branding object bare.
    let bare = GetBranding::new()
        .parse(&response(
            200,
            r##"{"companyName":"Acme","primaryColor":"#000000"}"##,
        ))
        .unwrap();
    assert_eq!(
        (bare.company_name.as_deref(), bare.primary_color.as_deref()),
        (Some("Acme"), Some("#000000"))
    );
    assert!(bare.extra.is_empty());
}

#[test]
fn branding_is_lenient_field_by_field() {
    // A field of the wrong type reads as None; the others are kept.
    let b = GetBranding::new()
        .parse(&response(
            200,
            r##"{"branding":{"companyName":42,"subtitle":"Ok","hidePilotStatusBranding":"yes","logoUrl":null,"primaryColor":["#000000"]}}"##,
        ))
        .unwrap();
    assert_eq!(
        b,
        Branding {
            subtitle: Some("Ok".into()),
            ..Branding::default()
        }
    );
    // What is not a branding at all is a decode error with its path.
    for (body, path) in [
        (r#"{"branding":"acme"}"#, "branding"),
        (r#"{"branding":[1]}"#, "branding"),
        ("[1]", ""),
        ("\"acme\"", ""),
    ] {
        let e = GetBranding::new().parse(&response(200, body)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{body}");
        let Error::Decode(d) = &e else { panic!() };
        assert_eq!(d.path, path, "{body}: {e}");
    }
    assert_eq!(
        GetBranding::new()
            .parse(&response(200, "{not json"))
            .unwrap_err()
            .kind(),
        ErrorKind::Decode
    );
}

#[test]
fn branding_errors() {
    // A number key: 403 NUMBER_SCOPE_NOT_ALLOWED (contract §9.4).
    for e in [
        GetBranding::new()
            .parse(&response(
                403,
                include_str!("fixtures/error_403_number_scope.json"),
            ))
            .unwrap_err(),
        UpdateBranding::new()
            .company_name("Acme")
            .parse(&response(
                403,
                include_str!("fixtures/error_403_number_scope.json"),
            ))
            .unwrap_err(),
    ] {
        assert_eq!(
            e.kind(),
            ErrorKind::Forbidden(ForbiddenScope::NumberKeyNotAllowed)
        );
        assert_eq!(e.code(), Some(&ErrorCode::NumberScopeNotAllowed));
    }
    let e = UpdateBranding::new()
        .primary_color("#000000")
        .parse(&response(400, include_str!("fixtures/error_400.json")))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
}

#[test]
fn remote_pairing_info_reads_the_snapshot_under_either_name() {
    let info = |body: &str| RemotePairingInfo::new("t").parse(&response(200, body));
    let acme = Branding {
        company_name: Some("Acme".into()),
        ..Branding::default()
    };
    // The fixture: no snapshot.
    let plain = info(include_str!("fixtures/remote_pairing_info_200.json")).unwrap();
    assert_eq!(plain.branding, None);
    for name in ["branding", "brandingOverride"] {
        let got = info(&format!(
            r#"{{"valid":true,"{name}":{{"companyName":"Acme"}}}}"#
        ))
        .unwrap();
        assert_eq!(got.branding.as_ref(), Some(&acme), "{name}");
        assert!(got.extra.is_empty(), "{name}: {:?}", got.extra);
        // Serialised back under the canonical name.
        assert_eq!(
            serde_json::to_value(&got).unwrap()["branding"],
            serde_json::json!({"companyName": "Acme"})
        );
    }
    // Both names at once (what a server that keeps both of our names may echo): no duplicate
    // field error; `branding` wins, `brandingOverride` stays as received.
    let both = info(
        r#"{"valid":true,"brandingOverride":{"companyName":"Other"},"branding":{"companyName":"Acme"}}"#,
    )
    .unwrap();
    assert_eq!(both.branding.as_ref(), Some(&acme));
    assert_eq!(
        both.extra["brandingOverride"],
        serde_json::json!({"companyName": "Other"})
    );
    // A snapshot that is not an object does not fail the answer.
    let odd = info(r#"{"valid":true,"branding":"acme"}"#).unwrap();
    assert!(odd.valid && odd.branding.is_none());
    // The answer's own required field still is.
    let Error::Decode(d) = info(r#"{"branding":{}}"#).unwrap_err() else {
        panic!()
    };
    assert_eq!(d.path, "valid");
}
