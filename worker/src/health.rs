//! What the edge needs, in one table: every binding and setting it reads, what each is for and
//! when it is required. `/healthz` and the one log line per isolate that names what is missing
//! come from it; the pure part ([`assess`]) is tested natively.

use serde_json::{json, Value};

/// How a dependency reaches the worker.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// `wrangler secret put` (or a var: both are read the same way).
    Secret,
    /// A `vars` entry.
    Var,
    /// A Durable Object namespace.
    DurableObject,
    /// A queue producer.
    Queue,
    /// A `ratelimits` binding.
    RateLimiter,
}

/// When a dependency must be there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Need {
    /// Nothing works without it: `/healthz` answers 503.
    Required,
    /// Works without it, worse: named as missing, `/healthz` stays 200.
    Recommended,
    /// Needed only when `FORWARD_WEBHOOK_URL` is set (edge in front); the dead-letter store
    /// also when `ADMIN_SECRET` is (its routes read it).
    Forward,
    /// A setting with a default, or a feature's switch.
    Optional,
}

/// One binding or setting.
#[derive(Debug)]
pub struct Dep {
    /// Its name in the Worker's env.
    pub name: &'static str,
    /// How it is bound.
    pub kind: Kind,
    /// When it is required.
    pub need: Need,
    /// Another name that stands for it (`PS_API_KEY_ID` for `PS_API_KEY`).
    pub or: Option<&'static str>,
}

macro_rules! deps {
    ($($name:ident: $kind:ident, $need:ident $(, or $or:ident)?, $what:literal;)*) => {
        /// Every binding and setting the edge reads.
        pub const DEPS: &[Dep] = &[$(Dep {
            name: stringify!($name),
            kind: Kind::$kind,
            need: Need::$need,
            or: deps!(@or $($or)?),
        }),*];

        /// What each is, for people: the package's types and the template's binding list are
        /// generated from it (natively: the words stay out of the wasm).
        #[cfg(test)]
        pub(crate) fn what(name: &str) -> &'static str {
            match name {
                $(stringify!($name) => $what,)*
                _ => "",
            }
        }
    };
    (@or) => { None };
    (@or $or:ident) => { Some(stringify!($or)) };
}

deps! {
    NUMBER_SESSIONS: DurableObject, Required,
        "The sessions: one Durable Object per number (class `NumberSession`, SQLite-backed). It single-flights Pilot Status calls for every viewer, keeps the budget and pushes to widgets.";
    PS_API_KEY: Secret, Required, or PS_API_KEY_ID,
        "Your Pilot Status key (`ps_…`, a tenant key). Never reaches a browser.";
    PS_API_KEY_ID: Secret, Optional,
        "Instead of `PS_API_KEY`: the id of one of your keys, sent as `x-api-key-id` (Pilot Status resolves the id to the key; the docs say no more). Prefer `PS_API_KEY`.";
    CONNECT_TOKEN_SECRET: Secret, Required,
        "The HS256 secret of connect tokens, shared with the backend that mints them (`mintConnectToken`): at least 32 bytes, e.g. `openssl rand -base64 48`.";
    CONNECT_TOKEN_SECRETS: Secret, Optional,
        "More accepted connect-token secrets, comma-separated: the old one while the secret rotates.";
    CONNECT_RATE_LIMITER: RateLimiter, Recommended,
        "Rate limit per token subject and client address (a `ratelimits` binding, period 10 or 60 s). Without it tokens are not rate limited.";
    ALLOWED_ORIGINS: Var, Recommended,
        "The exact origins of the pages that embed the widget, comma-separated (`https://app.example.com`). Without them every browser is refused.";
    PS_WEBHOOK_SECRET: Secret, Optional,
        "The signing secret of the Pilot Status webhook that points at this edge: the webhook receiver is offered when it (or `PS_WEBHOOK_SECRETS`) is set.";
    PS_WEBHOOK_SECRETS: Secret, Optional,
        "More webhook signing secrets, comma-separated: one per webhook, or old and new while rotating.";
    FORWARD_WEBHOOK_URL: Var, Optional,
        "Edge in front: your own receiver, where every verified delivery is forwarded (needs `WEBHOOK_FORWARD` and `DEAD_LETTERS`).";
    WEBHOOK_FORWARD: Queue, Forward,
        "Edge in front: the forward queue (`pilot-connect-forward`, consumed by this edge, dead letters to `pilot-connect-forward-dlq`).";
    DEAD_LETTERS: DurableObject, Forward,
        "Edge in front: forwards that ran out of retries (class `DeadLetters`, SQLite-backed), listed and replayed with `ADMIN_SECRET`.";
    ADMIN_SECRET: Secret, Optional,
        "Bearer secret of the dead-letter routes (at least 32 bytes); unset, they are not offered.";
    PS_BASE_URL: Var, Optional,
        "Pilot Status's URL (default `https://pilotstatus.com.br`).";
    CONNECT_TOKEN_AUDIENCE: Var, Optional,
        "The `aud` connect tokens must carry. Default: this edge's own URL (its origin and base path), the widget's `endpoint`.";
    BASE_PATH: Var, Optional,
        "The path the edge answers under (`/pilot`); mounted with `routePilotConnectRequest`, its `prefix`. Default: the root.";
    QR_REFRESH_MS: Var, Optional,
        "How often the widget asks for a new QR (ms, default 20000).";
    UPSTREAM_TIMEOUT_MS: Var, Optional,
        "Timeout of one Pilot Status attempt (ms, default 8000).";
    UPSTREAM_BUDGET_MS: Var, Optional,
        "Bound of one Pilot Status call, retries included (ms, default 20000).";
    RATE_LIMIT_PERIOD_SECS: Var, Optional,
        "The rate limiter's period (10 or 60, default 60): the `Retry-After` of its 429s.";
    STATUS_TTL_MS: Var, Optional,
        "How long one status answer serves every viewer of a number (ms, default 2000).";
    STATUS_POLL_MS: Var, Optional,
        "How often a watched, unconnected number's session checks its status without webhooks (ms, default 2500).";
    WEBHOOK_TRUST_MS: Var, Optional,
        "How long a webhook for a number keeps its session from polling (ms, default 600000).";
    PAIRING_CODE_TTL_MS: Var, Optional,
        "How long a pairing code stays valid, if you know it (ms, at most 3600000). Default: unknown until observed.";
    BRANDING_TTL_MS: Var, Optional,
        "How long the tenant's branding (`GET /v1/branding`, read at most once per isolate per this, sent to widgets beside the answers) is reused (ms, default 600000, at most 86400000; `0`: never read).";
    FORWARD_RETRY_BASE_SECS: Var, Optional,
        "Edge in front: first wait before a failed forward is retried (s, default 5).";
}

/// What `/healthz` reports.
#[derive(Debug, PartialEq, Eq)]
pub struct Health {
    /// Every required dependency is there (and the settings are valid).
    pub ok: bool,
    /// Push to widgets (the session objects).
    pub push: bool,
    /// The webhook receiver (a signing secret is set).
    pub webhooks: bool,
    /// Edge in front: `FORWARD_WEBHOOK_URL` with its queue and dead-letter store.
    pub forward: bool,
    /// The per-token rate limit.
    pub rate_limit: bool,
    /// The dead-letter routes.
    pub admin: bool,
    /// The names of what is missing: required, recommended, and what a switched-on feature
    /// needs. Never a value.
    pub missing: Vec<&'static str>,
}

/// What the edge can do with the dependencies for which `present` says yes.
pub fn assess(present: impl Fn(&Dep) -> bool) -> Health {
    let has = |name: &str| DEPS.iter().any(|d| d.name == name && present(d));
    let forward_on = has("FORWARD_WEBHOOK_URL");
    let admin_on = has("ADMIN_SECRET");
    let mut missing = Vec::new();
    let mut ok = true;
    for d in DEPS {
        let there = present(d) || d.or.is_some_and(has);
        if there {
            continue;
        }
        match d.need {
            Need::Required => {
                ok = false;
                missing.push(d.name);
            }
            Need::Recommended => missing.push(d.name),
            Need::Forward if forward_on || (admin_on && d.kind == Kind::DurableObject) => {
                missing.push(d.name);
            }
            _ => {}
        }
    }
    Health {
        ok,
        push: has("NUMBER_SESSIONS"),
        webhooks: has("PS_WEBHOOK_SECRET") || has("PS_WEBHOOK_SECRETS"),
        forward: forward_on && has("WEBHOOK_FORWARD") && has("DEAD_LETTERS"),
        rate_limit: has("CONNECT_RATE_LIMITER"),
        admin: admin_on && has("DEAD_LETTERS"),
        missing,
    }
}

impl Health {
    /// The `/healthz` body; `config_error` names an unusable setting (never its value).
    pub fn to_json(&self, version: &str, config_error: Option<&str>) -> Value {
        let mut body = json!({
            "ok": self.ok && config_error.is_none(),
            "version": version,
            "features": {
                "push": self.push,
                "webhooks": self.webhooks,
                "forward": self.forward,
                "rateLimit": self.rate_limit,
                "admin": self.admin,
            },
            "missing": self.missing,
        });
        if let (Some(e), Some(o)) = (config_error, body.as_object_mut()) {
            o.insert("error".into(), e.into());
        }
        body
    }

    /// 200 when the edge can serve, 503 otherwise.
    pub fn status(&self, config_error: Option<&str>) -> u16 {
        if self.ok && config_error.is_none() {
            200
        } else {
            503
        }
    }

    /// What the log says once per isolate: one line per missing dependency, with what it costs.
    pub fn log_lines(&self) -> Vec<String> {
        self.missing
            .iter()
            .filter_map(|name| DEPS.iter().find(|d| d.name == *name))
            .map(|d| {
                let cost = match d.need {
                    Need::Required => "required: every request answers config_error",
                    Need::Recommended if d.kind == Kind::RateLimiter => {
                        "recommended: tokens are not rate limited"
                    }
                    Need::Recommended => "recommended: every browser origin is refused",
                    Need::Forward => {
                        "FORWARD_WEBHOOK_URL is set: deliveries are refused (Pilot Status retries) until it is bound"
                    }
                    Need::Optional => "optional",
                };
                format!(
                    "pilot-connect edge: missing {} {} ({cost})",
                    kind_word(d.kind),
                    d.name
                )
            })
            .collect()
    }
}

/// The `<env>` block of the edge package's `index.d.ts`: `PilotConnectEnv`, from [`DEPS`].
#[cfg(test)]
pub(crate) fn env_block() -> String {
    let mut s = String::from(
        "// <env> generated from the edge's table of bindings and settings (worker/src/health.rs)\n\
         /** The bindings and settings the edge reads, by the edge's names (`options.env` renames them). */\n\
         export interface PilotConnectEnv {\n",
    );
    for d in DEPS {
        let ty = match d.kind {
            Kind::Secret | Kind::Var => "string",
            Kind::DurableObject => "DurableObjectNamespace",
            Kind::Queue => "Queue",
            Kind::RateLimiter => "RateLimit",
        };
        let need = match (d.need, d.or) {
            (Need::Required, Some(or)) => format!(" Required (or `{or}`)."),
            (Need::Required, None) => " Required.".to_owned(),
            (Need::Recommended, _) => " Recommended.".to_owned(),
            _ => String::new(),
        };
        let optional = if d.need == Need::Required && d.or.is_none() {
            ""
        } else {
            "?"
        };
        s.push_str(&format!(
            "  /** {}{need} */\n  {}{optional}: {ty};\n",
            what(d.name),
            d.name
        ));
    }
    s.push_str("}\n// </env>");
    s
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Secret => "secret",
        Kind::Var => "var",
        Kind::DurableObject => "Durable Object binding",
        Kind::Queue => "queue binding",
        Kind::RateLimiter => "rate-limit binding",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(names: &[&str]) -> Health {
        assess(|d| names.contains(&d.name))
    }

    const REQUIRED: [&str; 3] = ["NUMBER_SESSIONS", "PS_API_KEY", "CONNECT_TOKEN_SECRET"];

    #[test]
    fn the_required_ones_decide_ok() {
        let h = with(&REQUIRED);
        assert!(h.ok);
        assert_eq!(h.missing, ["CONNECT_RATE_LIMITER", "ALLOWED_ORIGINS"]);
        assert!(h.push && !h.rate_limit && !h.forward && !h.webhooks && !h.admin);
        for gone in REQUIRED {
            let rest: Vec<&str> = REQUIRED.iter().copied().filter(|n| *n != gone).collect();
            let h = with(&rest);
            assert!(!h.ok, "{gone}");
            assert!(h.missing.contains(&gone), "{gone}");
            assert_eq!(h.status(None), 503);
        }
        // The key id stands for the key.
        assert!(with(&["NUMBER_SESSIONS", "PS_API_KEY_ID", "CONNECT_TOKEN_SECRET"]).ok);
        assert_eq!(h.status(Some("invalid setting STATUS_POLL_MS")), 503);
        assert_eq!(h.status(None), 200);
    }

    #[test]
    fn forward_needs_its_queue_and_store_only_when_switched_on() {
        let mut names = REQUIRED.to_vec();
        names.extend(["CONNECT_RATE_LIMITER", "ALLOWED_ORIGINS"]);
        assert!(with(&names).missing.is_empty());
        names.push("FORWARD_WEBHOOK_URL");
        let h = with(&names);
        assert!(h.ok, "forwarding half-configured still serves browsers");
        assert!(!h.forward);
        assert_eq!(h.missing, ["WEBHOOK_FORWARD", "DEAD_LETTERS"]);
        names.push("WEBHOOK_FORWARD");
        assert_eq!(with(&names).missing, ["DEAD_LETTERS"]);
        names.push("DEAD_LETTERS");
        let h = with(&names);
        assert!(h.forward && h.missing.is_empty());
        // Admin routes need the dead-letter store.
        let mut admin = REQUIRED.to_vec();
        admin.push("ADMIN_SECRET");
        let h = with(&admin);
        assert!(!h.admin);
        assert!(h.missing.contains(&"DEAD_LETTERS"));
    }

    #[test]
    fn the_body_names_and_never_values() {
        let h = with(&["NUMBER_SESSIONS", "PS_API_KEY", "PS_WEBHOOK_SECRETS"]);
        let body = h.to_json("1.2.3", None);
        assert_eq!(body["ok"], false);
        assert_eq!(body["version"], "1.2.3");
        assert_eq!(body["features"]["webhooks"], true);
        assert_eq!(body["features"]["rateLimit"], false);
        assert_eq!(
            body["missing"],
            json!([
                "CONNECT_TOKEN_SECRET",
                "CONNECT_RATE_LIMITER",
                "ALLOWED_ORIGINS"
            ])
        );
        let lines = h.log_lines();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].contains("secret CONNECT_TOKEN_SECRET"),
            "{lines:?}"
        );
        assert!(lines[1].contains("rate-limit binding CONNECT_RATE_LIMITER"));
        let invalid = with(&REQUIRED).to_json("1", Some("invalid setting QR_REFRESH_MS"));
        assert_eq!(invalid["ok"], false);
        assert_eq!(invalid["error"], "invalid setting QR_REFRESH_MS");
    }

    /// `PilotConnectEnv` in the edge package's types is the table (`PILOT_BLESS=1` rewrites it).
    #[test]
    fn the_package_env_type_is_the_table() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../pkg-templates/edge/index.d.ts"
        );
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let (begin, end) = ("// <env>", "// </env>");
        let (Some(a), Some(b)) = (text.find(begin), text.find(end)) else {
            unreachable!("{path} has no {begin} … {end} block")
        };
        let want = env_block();
        if text[a..b + end.len()] != want {
            if std::env::var_os("PILOT_BLESS").is_some() {
                let fixed = format!("{}{want}{}", &text[..a], &text[b + end.len()..]);
                std::fs::write(path, fixed).unwrap_or_default();
            } else {
                unreachable!(
                    "{path}'s <env> block is out of date (PILOT_BLESS=1 rewrites it):\n{want}"
                );
            }
        }
    }

    /// The template's `.dev.vars.example` lists exactly the required secrets, and its
    /// `package.json#cloudflare.bindings` describes each required and recommended one with the
    /// table's words (`PILOT_BLESS=1` rewrites the descriptions).
    #[test]
    fn the_template_declares_the_table() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../templates/pilot-connect-edge"
        );
        let example =
            std::fs::read_to_string(format!("{dir}/.dev.vars.example")).unwrap_or_default();
        let listed: Vec<&str> = example
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
            .collect();
        let required: Vec<&str> = DEPS
            .iter()
            .filter(|d| d.need == Need::Required && d.kind == Kind::Secret)
            .map(|d| d.name)
            .collect();
        assert_eq!(listed, required, ".dev.vars.example");

        let path = format!("{dir}/package.json");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut want = String::from("{\n");
        let described: Vec<&Dep> = DEPS
            .iter()
            .filter(|d| matches!(d.need, Need::Required | Need::Recommended))
            .collect();
        for (i, d) in described.iter().enumerate() {
            let comma = if i + 1 < described.len() { "," } else { "" };
            want.push_str(&format!(
                "      {}: {{\n        \"description\": {}\n      }}{comma}\n",
                serde_json::Value::from(d.name),
                serde_json::Value::from(what(d.name))
            ));
        }
        want.push_str("    }");
        let key = "\"bindings\": ";
        let start = text.find(key).map(|i| i + key.len()).unwrap_or_default();
        let mut depth = 0usize;
        let mut end = start;
        for (i, c) in text[start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = start + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        if text[start..end] != want {
            if std::env::var_os("PILOT_BLESS").is_some() {
                let fixed = format!("{}{want}{}", &text[..start], &text[end..]);
                std::fs::write(&path, fixed).unwrap_or_default();
            } else {
                unreachable!("{path}: cloudflare.bindings is out of date (PILOT_BLESS=1 rewrites it):\n{want}");
            }
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, d) in DEPS.iter().enumerate() {
            assert!(DEPS[i + 1..].iter().all(|e| e.name != d.name), "{}", d.name);
        }
    }
}
