//! Criterion benches for the sans-IO core: building each endpoint's request, parsing its
//! documented answer, the connect round trip (target ≤ 5 µs natively), and the per-request
//! work of the edge worker (token verify + connect build/parse + public answer).
//!
//! Run with `cargo bench --bench core` (or `bash tools/bench.sh`, which records the figures).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

/// Criterion does not run on wasm32; `cargo clippy --target wasm32 --all-targets` still builds this.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::hint::black_box;

    use criterion::{criterion_group, Criterion};
    use pilot_connect::connect_token::{self, ConnectClaims, VerifyOptions};
    use pilot_connect::endpoints::*;
    use pilot_connect::public::qr_answer;
    use pilot_connect::webhook;
    use pilot_connect::{
        ApiKey, Auth, Config, ConnectTokenSecret, HttpResponse, MetaAccessToken, MetaAppSecret,
        WebhookSecret,
    };

    const KEY: &str = "ps_bench_0123456789abcdef";
    const ID: &str = "wa_0001YA3MC9N7JW";

    fn config() -> Config {
        Config::new(Auth::ApiKey(ApiKey::new(KEY).unwrap()))
            .with_base_url("https://pilotstatus.com.br")
            .unwrap()
    }

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            status,
            vec![("content-type".into(), "application/json".into())],
            body.as_bytes().to_vec(),
        )
    }

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../tests/fixtures/", $name))
        };
    }

    fn meta() -> CreateMetaNumber {
        CreateMetaNumber::new(
            "Loja",
            "5511999999999",
            "123456789012345",
            "987654321098765",
            MetaAccessToken::new("EAAG-meta-token").unwrap(),
            MetaAppSecret::new("meta-app-secret").unwrap(),
            "verify-token",
        )
    }

    /// One bench per endpoint for the build and one for the parse of its documented example.
    fn endpoints(c: &mut Criterion) {
        let cfg = config();
        let mut g = c.benchmark_group("build");
        g.bench_function("create_number", |b| {
            b.iter(|| {
                CreateNumber::new(black_box("Loja"), black_box("+55 11 99999-9999"))
                    .link_to_api_key(true)
                    .to_request(&cfg)
                    .unwrap()
            })
        });
        g.bench_function("create_meta_number", |b| {
            let m = meta();
            b.iter(|| black_box(&m).to_request(&cfg).unwrap())
        });
        g.bench_function("connect", |b| {
            b.iter(|| Connect::new(black_box(ID)).to_request(&cfg).unwrap())
        });
        g.bench_function("status", |b| {
            b.iter(|| GetStatus::new(black_box(ID)).to_request(&cfg).unwrap())
        });
        g.bench_function("list", |b| {
            b.iter(|| ListNumbers::new().to_request(black_box(&cfg)).unwrap())
        });
        g.bench_function("get", |b| {
            b.iter(|| GetNumber::new(black_box(ID)).to_request(&cfg).unwrap())
        });
        g.bench_function("delete", |b| {
            b.iter(|| DeleteNumber::new(black_box(ID)).to_request(&cfg).unwrap())
        });
        g.bench_function("restore", |b| {
            b.iter(|| RestoreNumber::new(black_box(ID)).to_request(&cfg).unwrap())
        });
        g.bench_function("purge", |b| {
            b.iter(|| PurgeNumber::new(black_box(ID)).to_request(&cfg).unwrap())
        });
        g.bench_function("remote_pairing", |b| {
            b.iter(|| {
                CreateRemotePairing::pilot_status(black_box("Loja"), black_box("+5511999999999"))
                    .to_request(&cfg)
                    .unwrap()
            })
        });
        let anon = Config::anonymous();
        g.bench_function("remote_pairing_info", |b| {
            b.iter(|| {
                RemotePairingInfo::new(black_box("tok_abc"))
                    .to_request(&anon)
                    .unwrap()
            })
        });
        g.bench_function("remote_pairing_status", |b| {
            b.iter(|| {
                RemotePairingStatus::new(black_box("tok_abc"))
                    .to_request(&anon)
                    .unwrap()
            })
        });
        g.bench_function("remote_pairing_connect", |b| {
            b.iter(|| {
                RemotePairingConnect::new(black_box("tok_abc"))
                    .to_request(&anon)
                    .unwrap()
            })
        });
        g.finish();

        let mut g = c.benchmark_group("parse");
        macro_rules! parse {
            ($name:literal, $endpoint:expr, $status:expr, $file:literal) => {{
                let e = $endpoint;
                let r = response($status, fixture!($file));
                g.bench_function($name, |b| b.iter(|| e.parse(black_box(&r)).unwrap()));
            }};
        }
        parse!(
            "create_number",
            CreateNumber::new("x", "+5511999999999"),
            201,
            "create_number_201.json"
        );
        parse!(
            "create_meta_number",
            meta(),
            201,
            "create_meta_number_201.json"
        );
        parse!("connect", Connect::new(ID), 200, "connect_200.json");
        parse!(
            "connect_409",
            Connect::new(ID),
            409,
            "error_409_exists.json"
        );
        parse!("status", GetStatus::new(ID), 200, "status_sdk.json");
        parse!("list", ListNumbers::new(), 200, "list_200.json");
        parse!("get", GetNumber::new(ID), 200, "get_200.json");
        parse!("delete", DeleteNumber::new(ID), 200, "delete_200_soft.json");
        parse!("restore", RestoreNumber::new(ID), 200, "restore_200.json");
        parse!("purge", PurgeNumber::new(ID), 200, "purge_200.json");
        parse!(
            "remote_pairing",
            CreateRemotePairing::pilot_status("x", "+5511999999999"),
            201,
            "remote_pairing_guide_201.json"
        );
        parse!(
            "remote_pairing_info",
            RemotePairingInfo::new("t"),
            200,
            "remote_pairing_info_200.json"
        );
        parse!(
            "remote_pairing_status",
            RemotePairingStatus::new("t"),
            200,
            "remote_pairing_status_200.json"
        );
        parse!(
            "remote_pairing_connect",
            RemotePairingConnect::new("t"),
            200,
            "remote_pairing_connect_200.json"
        );
        let (e, r) = (
            GetStatus::new(ID),
            response(429, fixture!("error_429.json")),
        );
        g.bench_function("error_429", |b| {
            b.iter(|| e.parse(black_box(&r)).unwrap_err())
        });
        g.finish();
    }

    /// The connect round trip with a real sandbox answer (a 390×390 QR PNG, ~2.6 KB of JSON),
    /// and the edge worker's whole per-request core work.
    fn round_trips(c: &mut Criterion) {
        let cfg = config();
        let sandbox = response(200, include_str!("fixtures/connect_200_sandbox.json"));
        let mut g = c.benchmark_group("round_trip");
        g.bench_function("connect (build + parse, real QR)", |b| {
            b.iter(|| {
                let e = Connect::new(black_box(ID));
                let req = e.to_request(&cfg).unwrap();
                black_box(&req);
                e.parse(black_box(&sandbox)).unwrap()
            })
        });

        let secret = ConnectTokenSecret::new("bench-connect-token-secret-0123456789").unwrap();
        let now = 1_790_000_000;
        let token = connect_token::mint(
            &secret,
            &ConnectClaims::new(ID, "pilot-connect-bench", now, 600)
                .with_origin("https://app.example"),
        )
        .unwrap();
        g.bench_function("token verify", |b| {
            let opts = VerifyOptions::new("pilot-connect-bench", now, Some("https://app.example"));
            b.iter(|| connect_token::verify(&secret, black_box(&token), &opts).unwrap())
        });
        g.bench_function(
            "worker /v1/qr core (verify + build + parse + public JSON)",
            |b| {
                let opts =
                    VerifyOptions::new("pilot-connect-bench", now, Some("https://app.example"));
                b.iter(|| {
                    let claims = connect_token::verify(&secret, black_box(&token), &opts).unwrap();
                    let e = Connect::new(claims.sub);
                    black_box(e.to_request(&cfg).unwrap());
                    let outcome = e.parse(black_box(&sandbox)).unwrap();
                    qr_answer(outcome, 20_000).unwrap().to_json().to_string()
                })
            },
        );

        let hook = WebhookSecret::new("whsec_bench_webhook_secret").unwrap();
        let body = fixture!("webhook_number_connected.json").as_bytes();
        let sig = webhook::sign(&hook, body);
        g.bench_function("webhook verify + parse", |b| {
            b.iter(|| webhook::verify_and_parse(&hook, black_box(body), Some(&sig)).unwrap())
        });
        g.finish();
    }

    criterion_group!(benches, endpoints, round_trips);
}
