//! Golden requests: method, path, headers and exact JSON body for every endpoint, and the
//! validation that runs before anything is sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use common::{config, BASE, KEY};
use pilot_connect::endpoints::*;
use pilot_connect::model::Branding;
use pilot_connect::validate::ValidationError;
use pilot_connect::{
    ApiKey, Auth, Config, Error, HttpRequest, Link, MetaAccessToken, MetaAppSecret, Method,
};

fn body(req: &HttpRequest) -> &str {
    std::str::from_utf8(&req.body).unwrap()
}

fn header_names(req: &HttpRequest) -> Vec<&str> {
    req.headers.iter().map(|h| h.name).collect()
}

#[test]
fn create_number_golden() {
    let req = CreateNumber::new("My WhatsApp", "+5511999999999")
        .link_to_api_key(true)
        .to_request(&config())
        .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url(), format!("{BASE}/v1/numbers"));
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("accept"), Some("application/json"));
    assert_eq!(
        body(&req),
        r#"{"name":"My WhatsApp","number":"+5511999999999","linkToApiKey":true}"#
    );
    // Same body as the seed's curl example.
    let seed: serde_json::Value = serde_json::from_str(
        r#"{"name": "My WhatsApp", "number": "+5511999999999", "linkToApiKey": true}"#,
    )
    .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&req.body).unwrap(),
        seed
    );
}

#[test]
fn create_number_minimal_and_settings() {
    let req = CreateNumber::new("  Loja  ", "+55 (11) 99999-9999")
        .to_request(&config())
        .unwrap();
    assert_eq!(body(&req), r#"{"name":"Loja","number":"+5511999999999"}"#);

    let settings = NumberSettings {
        history_import_enabled: Some(false),
        reject_call: Some(None),
        msg_reject_call: Some(Some("Call later".into())),
        ..NumberSettings::default()
    };
    let req = CreateNumber::new("Loja", "+5511999999999")
        .settings(settings)
        .to_request(&config())
        .unwrap();
    assert_eq!(
        body(&req),
        r#"{"name":"Loja","number":"+5511999999999","settings":{"historyImportEnabled":false,"rejectCall":null,"msgRejectCall":"Call later"}}"#
    );
}

#[test]
fn create_number_validation() {
    let cfg = config();
    for (name, number, field) in [
        ("", "+5511999999999", "name"),
        ("   ", "+5511999999999", "name"),
        ("Bad\u{7}", "+5511999999999", "name"),
        ("Ok", "5511999999999", "number"),
        ("Ok", "+55119", "number"),
        ("Ok", "+551199999999999999", "number"),
        ("Ok", "+0511999999999", "number"),
        ("Ok", "+55 11 9999x9999", "number"),
        ("Ok", "", "number"),
    ] {
        let err = CreateNumber::new(name, number)
            .to_request(&cfg)
            .unwrap_err();
        let Error::Validation(v) = &err else {
            panic!("{name:?}/{number:?}: expected validation error, got {err:?}")
        };
        let got = match v {
            ValidationError::Empty { field }
            | ValidationError::ControlCharacters { field }
            | ValidationError::Phone { field, .. } => *field,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(got, field, "{name:?}/{number:?}");
        assert!(!err.to_string().is_empty());
    }
    let long = "x".repeat(1001);
    let settings = NumberSettings {
        msg_reject_call: Some(Some(long)),
        ..NumberSettings::default()
    };
    let err = CreateNumber::new("Ok", "+5511999999999")
        .settings(settings)
        .to_request(&cfg)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::TooLong { max: 1000, .. })
    ));
}

#[test]
fn create_meta_number_golden_matches_seed_example() {
    let req = CreateMetaNumber::new(
        "Atendimento",
        "5511999999999",
        "123456789012345",
        "987654321098765",
        MetaAccessToken::new("EAAG...").unwrap(),
        MetaAppSecret::new("a1b2c3...").unwrap(),
        "100200300400500",
    )
    .to_request(&config())
    .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.path_and_query(), "/v1/numbers/meta");
    assert_eq!(
        body(&req),
        include_str!("fixtures/create_meta_number_request.json").trim()
    );

    let req = CreateMetaNumber::new(
        "Atendimento",
        "+5511999999999",
        "1",
        "2",
        MetaAccessToken::new("EAAG").unwrap(),
        MetaAppSecret::new("s").unwrap(),
        "3",
    )
    .link_to_api_key(false)
    .to_request(&config())
    .unwrap();
    assert_eq!(
        body(&req),
        r#"{"name":"Atendimento","number":"+5511999999999","metaPhoneId":"1","metaWabaId":"2","metaAccessToken":"EAAG","metaAppSecret":"s","metaAppId":"3","linkToApiKey":false}"#
    );
}

#[test]
fn create_meta_number_validation() {
    let mk = |number: &str, phone_id: &str| {
        CreateMetaNumber::new(
            "A",
            number,
            phone_id,
            "2",
            MetaAccessToken::new("t").unwrap(),
            MetaAppSecret::new("s").unwrap(),
            "3",
        )
        .to_request(&config())
    };
    assert!(mk("12345678", "1").is_ok(), "8 digits without + is allowed");
    assert!(matches!(
        mk("1234567", "1"),
        Err(Error::Validation(ValidationError::Phone { .. }))
    ));
    assert!(matches!(
        mk("12345678", " "),
        Err(Error::Validation(ValidationError::Empty {
            field: "metaPhoneId"
        }))
    ));
    assert!(MetaAccessToken::new("").is_err());
    assert!(MetaAppSecret::new("a b").is_err());
}

#[test]
fn connect_status_golden() {
    let cfg = config();
    let req = Connect::new("wa_abc").to_request(&cfg).unwrap();
    assert_eq!(
        (req.method, req.url()),
        (Method::Get, format!("{BASE}/v1/numbers/wa_abc/connect"))
    );
    assert!(req.body.is_empty());
    assert_eq!(header_names(&req), ["accept", "x-api-key"]);

    let req = Connect::new("wa_abc")
        .link(Link::Secondary)
        .to_request(&cfg)
        .unwrap();
    assert_eq!(
        req.path_and_query(),
        "/v1/numbers/wa_abc/connect?link=secondary"
    );

    let req = GetStatus::new("wa_abc").to_request(&cfg).unwrap();
    assert_eq!(
        (req.method, req.path_and_query()),
        (Method::Get, "/v1/numbers/wa_abc/status")
    );
    let req = GetStatus::new("wa_abc")
        .link(Link::Secondary)
        .to_request(&cfg)
        .unwrap();
    assert_eq!(
        req.path_and_query(),
        "/v1/numbers/wa_abc/status?link=secondary"
    );

    let err = GetStatus::new("wa_abc")
        .link(Link::parse("tertiary"))
        .to_request(&cfg)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Validation(ValidationError::Id { field: "link", .. })
    ));
}

#[test]
fn list_get_delete_restore_purge_golden() {
    let cfg = config();
    let cases: Vec<(HttpRequest, Method, &str)> = vec![
        (
            ListNumbers::new().to_request(&cfg).unwrap(),
            Method::Get,
            "/v1/numbers",
        ),
        (
            GetNumber::new("wa_abc").to_request(&cfg).unwrap(),
            Method::Get,
            "/v1/numbers/wa_abc",
        ),
        (
            GetNumber::new("wa_abc")
                .refresh(true)
                .to_request(&cfg)
                .unwrap(),
            Method::Get,
            "/v1/numbers/wa_abc?refresh=1",
        ),
        (
            DeleteNumber::new("wa_abc").to_request(&cfg).unwrap(),
            Method::Delete,
            "/v1/numbers/wa_abc",
        ),
        (
            RestoreNumber::new("wa_abc").to_request(&cfg).unwrap(),
            Method::Post,
            "/v1/numbers/wa_abc/restore",
        ),
        (
            PurgeNumber::new("wa_abc").to_request(&cfg).unwrap(),
            Method::Delete,
            "/v1/numbers/wa_abc/purge",
        ),
    ];
    for (req, method, path) in cases {
        assert_eq!((req.method, req.path_and_query()), (method, path));
        assert!(req.body.is_empty(), "{path} has no body");
        assert_eq!(req.header("content-type"), None);
        assert_eq!(req.header("x-api-key"), Some(KEY));
    }
}

#[test]
fn ids_cannot_walk_into_another_route() {
    let cfg = config();
    let req = Connect::new("n 9/restore?x=1").to_request(&cfg).unwrap();
    assert_eq!(
        req.path_and_query(),
        "/v1/numbers/n%209%2Frestore%3Fx%3D1/connect"
    );
    let req = DeleteNumber::new("../../v1/api-keys#x")
        .to_request(&cfg)
        .unwrap();
    assert_eq!(
        req.path_and_query(),
        "/v1/numbers/..%2F..%2Fv1%2Fapi-keys%23x"
    );
    let req = GetNumber::new("100%").to_request(&cfg).unwrap();
    assert_eq!(req.path_and_query(), "/v1/numbers/100%25");
    let req = GetNumber::new("ação").to_request(&cfg).unwrap();
    assert_eq!(req.path_and_query(), "/v1/numbers/a%C3%A7%C3%A3o");
    for bad in ["", ".", "..", "a\nb"] {
        let err = PurgeNumber::new(bad).to_request(&cfg).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Validation(ValidationError::Id { field: "id", .. })
            ),
            "{bad:?}"
        );
    }
    let long = "a".repeat(257);
    assert!(GetNumber::new(long).to_request(&cfg).is_err());
    let req = RemotePairingStatus::new("rp_1/../x")
        .to_request(&cfg)
        .unwrap();
    assert_eq!(
        req.path_and_query(),
        "/v1/remote-pairing/rp_1%2F..%2Fx/status"
    );
}

#[test]
fn remote_pairing_golden() {
    let cfg = config();
    let req = CreateRemotePairing::pilot_status("Customer João", "+5511999999999")
        .send_via_whatsapp(true)
        .to_request(&cfg)
        .unwrap();
    assert_eq!(
        (req.method, req.path_and_query()),
        (Method::Post, "/v1/numbers/remote-pairing")
    );
    assert_eq!(
        body(&req),
        r#"{"name":"Customer João","number":"+5511999999999","sendViaWhatsApp":true}"#
    );
    let req = CreateRemotePairing::meta()
        .meta_flow("embedded")
        .redirect_url("https://app.example/done")
        .external_ref("cust-42")
        .branding(Branding {
            company_name: Some("Acme".into()),
            ..Branding::default()
        })
        .to_request(&cfg)
        .unwrap();
    // The snapshot goes under both names the documentation uses (contract §11 item 7).
    assert_eq!(
        body(&req),
        r#"{"provider":"META","metaFlow":"embedded","redirectUrl":"https://app.example/done","externalRef":"cust-42","branding":{"companyName":"Acme"},"brandingOverride":{"companyName":"Acme"}}"#
    );
    assert!(CreateRemotePairing::pilot_status("", "+5511999999999")
        .to_request(&cfg)
        .is_err());
}

#[test]
fn public_token_endpoints_send_no_key() {
    let anon = Config::anonymous().with_base_url(BASE).unwrap();
    let cases = [
        (
            RemotePairingInfo::new("rp_01").to_request(&anon).unwrap(),
            Method::Get,
            "/v1/remote-pairing/rp_01",
        ),
        (
            RemotePairingStatus::new("rp_01").to_request(&anon).unwrap(),
            Method::Get,
            "/v1/remote-pairing/rp_01/status",
        ),
        (
            RemotePairingConnect::new("rp_01")
                .to_request(&anon)
                .unwrap(),
            Method::Post,
            "/v1/remote-pairing/rp_01/connect",
        ),
    ];
    for (req, method, path) in cases {
        assert_eq!((req.method, req.path_and_query()), (method, path));
        assert_eq!(header_names(&req), ["accept"]);
    }
    // Even with a key configured, the public endpoints do not send it.
    let req = RemotePairingStatus::new("rp_01")
        .to_request(&config())
        .unwrap();
    assert_eq!(req.header("x-api-key"), None);
    // Authenticated endpoints refuse to build without credentials.
    assert!(matches!(
        ListNumbers::new().to_request(&anon),
        Err(Error::Validation(ValidationError::MissingCredentials))
    ));
}

#[test]
fn key_id_number_header_and_user_agent() {
    let cfg = Config::new(Auth::ApiKeyId("key_01HZX".into()))
        .with_whatsapp_number_id("wa_abc")
        .with_user_agent("acme/1.0")
        .with_base_url("https://example.test/")
        .unwrap();
    let req = GetStatus::new("wa_abc").to_request(&cfg).unwrap();
    assert_eq!(req.url(), "https://example.test/v1/numbers/wa_abc/status");
    assert_eq!(req.header("x-api-key-id"), Some("key_01HZX"));
    assert_eq!(req.header("x-api-key"), None);
    assert_eq!(req.header("x-whatsapp-number-id"), Some("wa_abc"));
    assert_eq!(req.header("user-agent"), Some("acme/1.0"));
}

#[test]
fn base_url_validation_and_default() {
    let cfg = Config::new(Auth::ApiKey(ApiKey::new(KEY).unwrap()));
    assert_eq!(cfg.base_url(), "https://pilotstatus.com.br");
    assert_eq!(
        ListNumbers::new().to_request(&cfg).unwrap().url(),
        "https://pilotstatus.com.br/v1/numbers"
    );
    for bad in [
        "",
        "pilotstatus.com.br",
        "ftp://x",
        "http://",
        "https://x?y=1",
        "https://x#f",
        "http:///x",
        "https://a b",
    ] {
        assert!(cfg.clone().with_base_url(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn branding_get_and_update_golden() {
    let cfg = config();
    let req = GetBranding::new().to_request(&cfg).unwrap();
    assert_eq!(
        (req.method, req.url()),
        (Method::Get, format!("{BASE}/v1/branding"))
    );
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert!(req.body.is_empty());
    assert_eq!(GetBranding, GetBranding::new());

    // Set, clear (null), and the rest not sent at all; values trimmed.
    let req = UpdateBranding::new()
        .company_name("  Acme  ")
        .primary_color("#0a84ff")
        .clear_logo_url()
        .hide_pilot_status_branding(true)
        .to_request(&cfg)
        .unwrap();
    assert_eq!(
        (req.method, req.path_and_query()),
        (Method::Put, "/v1/branding")
    );
    assert_eq!(req.method.as_str(), "PUT");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        body(&req),
        r##"{"logoUrl":null,"primaryColor":"#0a84ff","companyName":"Acme","hidePilotStatusBranding":true}"##
    );

    // Every field, set; then every field, cleared. The last call for a field wins.
    let all = UpdateBranding::new()
        .logo_url("https://cdn.acme.example/logo.png")
        .primary_color("#0A84FF")
        .background_color("#FFFFFF")
        .company_name("Acme")
        .subtitle("Conecte seu WhatsApp")
        .support_url("https://acme.example/ajuda")
        .default_redirect_url("https://app.acme.example/ok")
        .hide_pilot_status_branding(false);
    assert_eq!(
        body(&all.clone().to_request(&cfg).unwrap()),
        r##"{"logoUrl":"https://cdn.acme.example/logo.png","primaryColor":"#0A84FF","backgroundColor":"#FFFFFF","companyName":"Acme","subtitle":"Conecte seu WhatsApp","supportUrl":"https://acme.example/ajuda","defaultRedirectUrl":"https://app.acme.example/ok","hidePilotStatusBranding":false}"##
    );
    let cleared = all
        .clear_logo_url()
        .clear_primary_color()
        .clear_background_color()
        .clear_company_name()
        .clear_subtitle()
        .clear_support_url()
        .clear_default_redirect_url()
        .clear_hide_pilot_status_branding();
    assert_eq!(
        body(&cleared.to_request(&cfg).unwrap()),
        r#"{"logoUrl":null,"primaryColor":null,"backgroundColor":null,"companyName":null,"subtitle":null,"supportUrl":null,"defaultRedirectUrl":null,"hidePilotStatusBranding":null}"#
    );
    let req = UpdateBranding::new()
        .clear_subtitle()
        .subtitle("Again")
        .to_request(&cfg)
        .unwrap();
    assert_eq!(body(&req), r#"{"subtitle":"Again"}"#);
}

#[test]
fn branding_update_from_json_input() {
    // What bindings pass through: null clears, an absent key is left as it is.
    let from_json: UpdateBranding = serde_json::from_str(
        r##"{"logoUrl":null,"companyName":"Acme","hidePilotStatusBranding":true}"##,
    )
    .unwrap();
    assert_eq!(
        from_json,
        UpdateBranding::new()
            .clear_logo_url()
            .company_name("Acme")
            .hide_pilot_status_branding(true)
    );
    assert_eq!(
        body(&from_json.to_request(&config()).unwrap()),
        r#"{"logoUrl":null,"companyName":"Acme","hidePilotStatusBranding":true}"#
    );
    for bad in [
        r#"{"companyNmae":"Acme"}"#,
        r#"{"companyName":5}"#,
        r#"{"hidePilotStatusBranding":"yes"}"#,
    ] {
        assert!(
            serde_json::from_str::<UpdateBranding>(bad).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn branding_update_validation() {
    let cfg = config();
    let invalid = |u: UpdateBranding| match u.to_request(&cfg) {
        Err(Error::Validation(e)) => e,
        other => panic!("expected a validation error, got {other:?}"),
    };
    // Nothing to change.
    assert!(matches!(
        invalid(UpdateBranding::new()),
        ValidationError::Invalid {
            field: "branding",
            ..
        }
    ));
    // URLs: absolute https only.
    for (u, field) in [
        (
            UpdateBranding::new().logo_url("http://cdn.example/l.png"),
            "logoUrl",
        ),
        (
            UpdateBranding::new().support_url("http://acme.example/help"),
            "supportUrl",
        ),
        (
            UpdateBranding::new().default_redirect_url("http://acme.example/"),
            "defaultRedirectUrl",
        ),
    ] {
        assert_eq!(
            invalid(u),
            ValidationError::Invalid {
                field,
                reason: "must be an absolute https:// URL"
            }
        );
    }
    for raw in [
        "cdn.example/logo.png",
        "https://",
        "https://a b",
        "javascript:alert(1)",
        "",
    ] {
        assert!(
            matches!(
                invalid(UpdateBranding::new().logo_url(raw)),
                ValidationError::Invalid {
                    field: "logoUrl",
                    ..
                }
            ),
            "{raw:?}"
        );
    }
    // Colours: #RRGGBB.
    for raw in ["#FFF", "0A84FF", "#0A84FG", "#0A84FF00", "blue", ""] {
        assert!(
            matches!(
                invalid(UpdateBranding::new().background_color(raw)),
                ValidationError::Invalid {
                    field: "backgroundColor",
                    ..
                }
            ),
            "{raw:?}"
        );
    }
    assert!(matches!(
        invalid(UpdateBranding::new().primary_color("red")),
        ValidationError::Invalid {
            field: "primaryColor",
            ..
        }
    ));
    // Lengths count characters, not bytes: 60 "é" (120 bytes) is a valid company name.
    let req = UpdateBranding::new()
        .company_name("é".repeat(MAX_COMPANY_NAME))
        .subtitle("ã".repeat(MAX_SUBTITLE))
        .to_request(&cfg);
    assert!(req.is_ok(), "{req:?}");
    assert_eq!(
        invalid(UpdateBranding::new().company_name("é".repeat(MAX_COMPANY_NAME + 1))),
        ValidationError::TooLong {
            field: "companyName",
            max: 60
        }
    );
    assert_eq!(
        invalid(UpdateBranding::new().subtitle("x".repeat(MAX_SUBTITLE + 1))),
        ValidationError::TooLong {
            field: "subtitle",
            max: 120
        }
    );
    // Empty text is refused (clearing is explicit), so are control characters.
    assert_eq!(
        invalid(UpdateBranding::new().company_name("  ")),
        ValidationError::Empty {
            field: "companyName"
        }
    );
    assert_eq!(
        invalid(UpdateBranding::new().subtitle("a\nb")),
        ValidationError::ControlCharacters { field: "subtitle" }
    );
    // A bad field among good ones still refuses the whole update; credentials are required.
    assert!(matches!(
        invalid(
            UpdateBranding::new()
                .company_name("Acme")
                .primary_color("#12345")
        ),
        ValidationError::Invalid {
            field: "primaryColor",
            ..
        }
    ));
    let anon = Config::anonymous().with_base_url(BASE).unwrap();
    assert!(matches!(
        GetBranding::new().to_request(&anon),
        Err(Error::Validation(ValidationError::MissingCredentials))
    ));
    assert!(matches!(
        UpdateBranding::new().company_name("Acme").to_request(&anon),
        Err(Error::Validation(ValidationError::MissingCredentials))
    ));
}

#[test]
fn remote_pairing_branding_snapshot_is_checked_and_sent_under_both_names() {
    let cfg = config();
    let mut snapshot = Branding {
        logo_url: Some(" https://cdn.acme.example/logo.png ".into()),
        primary_color: Some("#0A84FF".into()),
        hide_pilot_status_branding: Some(true),
        ..Branding::default()
    };
    // A field this version does not know travels as it is.
    snapshot
        .extra
        .insert("fontFamily".into(), serde_json::json!("Inter"));
    let req = CreateRemotePairing::pilot_status("Cliente", "+5511999999999")
        .branding(snapshot.clone())
        .to_request(&cfg)
        .unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    let want = serde_json::json!({
        "logoUrl": "https://cdn.acme.example/logo.png",
        "primaryColor": "#0A84FF",
        "hidePilotStatusBranding": true,
        "fontFamily": "Inter",
    });
    assert_eq!(sent["branding"], want);
    assert_eq!(sent["brandingOverride"], want);
    // Without a snapshot, neither name is sent.
    let req = CreateRemotePairing::pilot_status("Cliente", "+5511999999999")
        .to_request(&cfg)
        .unwrap();
    assert!(!body(&req).contains("branding") && !body(&req).contains("brandingOverride"));
    // Checked like an update, before sending.
    for (bad, field) in [
        (
            Branding {
                logo_url: Some("http://cdn.example/l.png".into()),
                ..Branding::default()
            },
            "logoUrl",
        ),
        (
            Branding {
                primary_color: Some("#abc".into()),
                ..Branding::default()
            },
            "primaryColor",
        ),
        (
            Branding {
                company_name: Some("x".repeat(61)),
                ..Branding::default()
            },
            "companyName",
        ),
    ] {
        match CreateRemotePairing::meta().branding(bad).to_request(&cfg) {
            Err(Error::Validation(
                ValidationError::Invalid { field: f, .. }
                | ValidationError::TooLong { field: f, .. },
            )) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}
