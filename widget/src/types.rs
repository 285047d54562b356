//! The package's generated TypeScript types (`pkg-templates/widget/types.d.ts`), from the Rust lists
//! they must agree with: phases, error kinds, message keys, events. A native test writes the
//! file with `PILOT_BLESS=1` and otherwise fails when it differs, so the shipped types cannot
//! drift from the widget. (wasm-bindgen's own `.d.ts` is not shipped: it exposes `free()`.)

use alloc::string::String;

use crate::machine::{ErrorKind, Mode, Phase, EVENTS, EVENT_DETAILS, NUMBER_OPTIONS};
use crate::messages::TS_MESSAGES;
use pilot_connect_wire::{BrandingField, BrandingRule};

fn union(out: &mut String, name: &str, items: impl Iterator<Item = &'static str>) {
    out.push_str("export type ");
    out.push_str(name);
    out.push_str(" =");
    for (i, item) in items.enumerate() {
        out.push_str(if i == 0 { " \"" } else { " | \"" });
        out.push_str(item);
        out.push_str("\"");
    }
    out.push_str(";\n");
}

/// The options `update()` changes in place, each with what stands for "not given" in the React
/// component and the element (a removed prop goes back to it), as JS. One list: their tables and
/// the `UpdateOptions` type are generated from it.
pub const LOOK: [(&str, &str); 6] = [
    ("locale", "\"auto\""),
    ("mode", "\"auto\""),
    ("messages", "{}"),
    ("appearance", "{}"),
    ("branding", "{}"),
    ("nextStep", "null"),
];

/// The longest `nextStep.label`.
pub const NEXT_LABEL_MAX: usize = 80;

/// The whole `types.d.ts`.
#[must_use]
pub fn typescript() -> String {
    let mut out = String::from(
        "// Generated from the widget's Rust source (widget/src/types.rs); do not edit.\n\
         // `cargo test -p pilot-connect-widget --test machine` checks it; PILOT_BLESS=1 rewrites it.\n\n",
    );
    out.push_str("/** A widget's state (`data-state`, `statechange`, `handle.state`). */\n");
    union(
        &mut out,
        "WidgetState",
        Phase::ALL.iter().map(|p| p.as_str()),
    );
    out.push_str("/** What kind of failure `onError` reports. */\n");
    union(
        &mut out,
        "ErrorKind",
        ErrorKind::ALL.iter().map(|k| k.as_str()),
    );
    out.push_str(
        "/** Which way of linking leads: `auto` (the pairing code on a touch phone, the QR elsewhere), `qr` or `code`. */\n",
    );
    union(&mut out, "WidgetMode", Mode::ALL.iter().map(|m| m.as_str()));
    out.push_str("/** The name of each event (`pilot-connect:<name>` and `pilotconnect<name>` on the element). */\n");
    union(
        &mut out,
        "PilotConnectEventName",
        EVENTS.iter().map(|e| e.0),
    );
    out.push_str("/** Each event's callback option. */\n");
    out.push_str("export interface PilotConnectCallbackNames {\n");
    for (name, callback) in EVENTS {
        out.push_str("  ");
        out.push_str(name);
        out.push_str(": \"");
        out.push_str(callback);
        out.push_str("\";\n");
    }
    out.push_str("}\n");
    out.push_str("/** Each event's detail: the `CustomEvent`'s and the callback's argument (`undefined`: none). */\n");
    out.push_str("export interface PilotConnectEventDetails {\n");
    for ((name, _), detail) in EVENTS.iter().zip(EVENT_DETAILS) {
        out.push_str("  ");
        out.push_str(name);
        out.push_str(": ");
        if detail != "undefined" {
            out.push_str("import(\"./index.js\").");
        }
        out.push_str(detail);
        out.push_str(";\n");
    }
    out.push_str("}\n");
    out.push_str(TS_MESSAGES);
    out.push_str(
        "/** A tenant's branding, as Pilot Status names it (`GET /v1/branding`): the page's `branding` option wins over the tenant's, field by field. A value that breaks its rule makes `mount()` throw. */\n",
    );
    out.push_str("export interface PilotConnectBranding {\n");
    for f in BrandingField::ALL {
        out.push_str("  /**");
        out.push_str(f.doc());
        out.push_str(" Must be ");
        out.push_str(match f.rule() {
            BrandingRule::Text(60) => "1 to 60 characters.",
            BrandingRule::Text(_) => "1 to 120 characters.",
            BrandingRule::HttpsUrl => "an `https://` URL.",
            BrandingRule::Color => "`#RRGGBB`.",
        });
        out.push_str(" */\n  ");
        out.push_str(f.wire());
        out.push_str("?: string | null;\n");
    }
    out.push_str("}\n");
    out.push_str("/** The options `update()` changes in place. */\n");
    union(&mut out, "UpdatableOption", LOOK.iter().map(|l| l.0));
    out
}

/// Marks the generated lists in `index.js` and `react.js`.
pub const JS_BEGIN: &str =
    "// <tables> generated from the widget's Rust tables (widget/src/types.rs): edit them there";
/// Ends them.
pub const JS_END: &str = "// </tables>";

fn js_list(out: &mut String, items: impl Iterator<Item = &'static str>) {
    out.push_str("[");
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("\"");
        out.push_str(item);
        out.push_str("\"");
    }
    out.push_str("]");
}

/// `index.js`'s block: `CALLBACKS` (the callback options, in event order) and `FIXED` (the
/// options fixed at mount: a change re-mounts).
#[must_use]
pub fn index_js_block() -> String {
    let mut out = String::from(JS_BEGIN);
    out.push_str("\n/** The callback options of `mount()`, in the widget's event order. */\nexport const CALLBACKS = Object.freeze(");
    js_list(&mut out, EVENTS.iter().map(|e| e.1));
    out.push_str(");\n// `options` fields fixed at mount: a change re-mounts.\nconst FIXED = ");
    js_list(
        &mut out,
        ["endpoint", "token"]
            .into_iter()
            .chain(NUMBER_OPTIONS.iter().map(|o| o.key)),
    );
    out.push_str(";\n");
    look_js(&mut out);
    out.push_str(JS_END);
    out
}

/// `LOOK`: the options `update()` changes in place, each with what stands for "not given".
fn look_js(out: &mut String) {
    out.push_str("// The options update() changes in place, each with what stands for \"not given\".\nconst LOOK = { ");
    for (i, (key, default)) in LOOK.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(key);
        out.push_str(": ");
        out.push_str(default);
    }
    out.push_str(" };\n");
}

/// `react.js`'s block: `NUMBERS` (the numeric options, all fixed at mount).
#[must_use]
pub fn react_js_block() -> String {
    let mut out = String::from(JS_BEGIN);
    out.push_str(
        "\n// The numeric options, all fixed at mount: a change re-mounts.\nconst NUMBERS = ",
    );
    js_list(&mut out, NUMBER_OPTIONS.iter().map(|o| o.key));
    out.push_str(";\n");
    look_js(&mut out);
    out.push_str(JS_END);
    out
}
