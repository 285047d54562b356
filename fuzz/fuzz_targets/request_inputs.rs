//! Builder validation on arbitrary ids, names and phones: an id can never leave its path
//! segment (no walking into another route), and validation never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pilot_connect::endpoints::*;
use pilot_connect::{ApiKey, Auth, Config};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    let cfg = Config::new(Auth::ApiKey(ApiKey::new("ps_fuzz_key").unwrap()))
        .with_base_url("https://pilotstatus.com.br")
        .unwrap();
    for (req, suffix) in [
        (Connect::new(s).to_request(&cfg), "/connect"),
        (GetStatus::new(s).to_request(&cfg), "/status"),
        (RestoreNumber::new(s).to_request(&cfg), "/restore"),
        (GetNumber::new(s).to_request(&cfg), ""),
    ] {
        if let Ok(req) = req {
            let p = req.path_and_query();
            let rest = p
                .strip_prefix("/v1/numbers/")
                .expect("stays under /v1/numbers/");
            let segment = rest.strip_suffix(suffix).expect("keeps its own suffix");
            assert!(!segment.is_empty());
            assert!(
                !segment.contains(['/', '?', '#', ' ']),
                "id escaped its segment: {p}"
            );
            assert!(segment != "." && segment != "..");
        }
    }
    let (name, phone) = s.split_once('\n').unwrap_or((s, s));
    if let Ok(req) = CreateNumber::new(name, phone).to_request(&cfg) {
        assert_eq!(req.path_and_query(), "/v1/numbers");
    }
    // Branding text: refused or sent as checked JSON (trimmed, https, #RRGGBB), never a panic.
    let update = UpdateBranding::new()
        .logo_url(name)
        .primary_color(phone)
        .company_name(phone)
        .subtitle(name);
    if let Ok(req) = update.to_request(&cfg) {
        let body = core::str::from_utf8(&req.body).expect("UTF-8 body");
        assert!(body.starts_with(r#"{"logoUrl":"https://"#), "{body}");
        assert_eq!(req.path_and_query(), "/v1/branding");
    }
});
