//! The package's model interfaces (`index.d.ts`, the `<models>` block) are generated from the
//! core's Rust types: their fields, names, optionality and doc comments are read from the
//! source with `syn`, the way serde sees them. A field added to a core type reaches the
//! TypeScript on the next `PILOT_BLESS=1`, and this test fails until it does.
//!
//! What is not a Rust struct stays hand-written outside the block: the unions the operations
//! compose (`ConnectResult`, `CreateRemotePairingInput`, `UpdateWebhookInput`, `ProvisionEdge*`).
#![cfg(not(target_arch = "wasm32"))]
// Tests fail by panicking.
#![allow(clippy::panic)]

mod common;
use common::generated_block;

use syn::{Attribute, Expr, Fields, GenericArgument, Item, Lit, Meta, PathArguments, Type};

const BEGIN: &str = "// <models> generated from the core's types (server/tests/models.rs)";
const END: &str = "// </models>";

/// Which way a type crosses: answers are what serde serializes (a field is optional when it
/// may be skipped), inputs what serde accepts (a field is optional when it may be missing).
/// `Built`: an answer the package writes field by field (it holds a secret, which has no
/// `Serialize`), read by the core with serde: a field is optional when it is an `Option`.
#[derive(Clone, Copy, PartialEq)]
enum Way {
    Out,
    In,
    Built,
}

/// One interface: its TypeScript name, the Rust struct (file under the repository root,
/// struct name), its doc when the Rust one speaks of Rust (builders), fields the package adds
/// after serializing (`name?: type`, doc), and fields whose type the JS side changes (`name`,
/// what follows the name, and the doc when it changes too).
struct Model {
    ts: &'static str,
    file: &'static str,
    rust: &'static str,
    way: Way,
    doc: Option<&'static str>,
    added: &'static [(&'static str, &'static str)],
    types: &'static [(&'static str, &'static str, Option<&'static str>)],
}

const READY_NUMBER: &str =
    "**Use this** to know whether the number is connected (list/get; absent on `createMeta`'s\n\
`number`): `isFullyConnected` when the server sends it, else `state === \"OPEN\"`.\n\
`isFullyConnected` itself is the raw upstream field.";
const READY_STATUS: &str =
    "**THE answer to \"is it connected?\"** — for the link asked about (primary unless\n\
`{ link: \"secondary\" }`), by the core's rule (`NumberStatus::is_link_connected`): on a dual\n\
number that link's own `state === \"OPEN\"` (`isFullyConnected` speaks for both links); on a\n\
single link `isFullyConnected` when present, else `state === \"OPEN\"`.";

const NUMBER_ID: &str = "`numberId`, else `instance.id`. A string for a PILOT_STATUS link (see\n\
`PilotStatusRemotePairingLink`); `null` possible only for a META link, whose number is\n\
picked in Meta's signup dialog after the link is made.";

const fn out(ts: &'static str, file: &'static str, rust: &'static str) -> Model {
    Model {
        ts,
        file,
        rust,
        way: Way::Out,
        doc: None,
        added: &[],
        types: &[],
    }
}

const MODELS: &[Model] = &[
    out("LinkInfo", "src/model.rs", "LinkInfo"),
    out("LinkCredentials", "src/model.rs", "LinkCredentials"),
    out("ApiKeyInfo", "src/model.rs", "ApiKeyInfo"),
    out("NumberInstance", "src/model.rs", "NumberInstance"),
    Model {
        added: &[("ready?: boolean", READY_NUMBER)],
        ..out("PilotNumber", "src/model.rs", "Number")
    },
    Model {
        way: Way::In,
        doc: Some("Evolution-GO fields accept `null` to reset to the provider default. Unknown keys are refused."),
        ..out(
            "NumberSettings",
            "src/endpoints/create_number.rs",
            "NumberSettings",
        )
    },
    Model {
        way: Way::In,
        doc: Some("What `numbers.create` takes. Unknown keys are refused."),
        ..out(
            "CreateNumberInput",
            "src/endpoints/create_number.rs",
            "CreateNumber",
        )
    },
    Model {
        added: &[(
            "id: string",
            "The new number's id: `instance.id`, lifted. Always there (a `decode` error otherwise).",
        )],
        ..out(
            "CreatedNumber",
            "src/endpoints/create_number.rs",
            "CreatedNumber",
        )
    },
    Model {
        way: Way::In,
        doc: Some("What `numbers.createMeta` takes: every field but `linkToApiKey` is required by the API.\nUnknown keys are refused."),
        ..out(
            "CreateMetaNumberInput",
            "server/src/ops.rs",
            "CreateMetaArgs",
        )
    },
    Model {
        way: Way::Built,
        // The JS side wraps the token so that logging the result does not print it.
        types: &[(
            "verifyToken",
            "?: Secret | null",
            Some("Configure it in your Meta app: `verifyToken.reveal()`."),
        )],
        ..out(
            "MetaNumberWebhook",
            "src/endpoints/create_meta_number.rs",
            "MetaNumberWebhook",
        )
    },
    Model {
        way: Way::Built,
        ..out(
            "CreatedMetaNumber",
            "src/endpoints/create_meta_number.rs",
            "CreatedMetaNumber",
        )
    },
    Model {
        added: &[("ready: boolean", READY_STATUS)],
        ..out("NumberStatus", "src/endpoints/status.rs", "NumberStatus")
    },
    out("Deleted", "src/endpoints/delete_number.rs", "Deleted"),
    out("Restored", "src/endpoints/restore_number.rs", "Restored"),
    out("OkResult", "src/model.rs", "OkResult"),
    Model {
        added: &[(
            "token: string | null",
            "`remotePairingToken`, else the last segment of `remotePairingUrl`.",
        )],
        types: &[(
            "numberId",
            ": string | null",
            Some(NUMBER_ID),
        )],
        ..out(
            "RemotePairingLink",
            "src/endpoints/remote_pairing.rs",
            "RemotePairingLink",
        )
    },
    out(
        "RemotePairingInfo",
        "src/endpoints/remote_pairing_info.rs",
        "RemotePairingInfoResult",
    ),
    Model {
        added: &[(
            "ready: boolean",
            "**THE answer to \"is it connected?\"**, by the same rule as `NumberStatus.ready`.",
        )],
        ..out(
            "RemotePairingStatus",
            "src/endpoints/remote_pairing_status.rs",
            "RemotePairingStatusResult",
        )
    },
    out("Webhook", "src/model.rs", "Webhook"),
    Model {
        way: Way::In,
        doc: Some("What `webhooks.create` takes. Unknown keys are refused. The signing secret is not returned:\nit comes from the dashboard."),
        types: &[("events", ": [string, ...string[]]", None)],
        ..out(
            "CreateWebhookInput",
            "src/endpoints/create_webhook.rs",
            "CreateWebhook",
        )
    },
    out("WebhookLog", "src/model.rs", "WebhookLog"),
    out("Branding", "src/model.rs", "Branding"),
    Model {
        way: Way::In,
        doc: Some("What `branding.update` takes: a field set to a value changes it, `null` clears it, a field\nleft out is left as it is. At least one. Unknown keys are refused."),
        ..out(
            "UpdateBrandingInput",
            "src/endpoints/update_branding.rs",
            "UpdateBranding",
        )
    },
];

/// Rust types that are strings, numbers or open enums on the JSON side.
fn leaf(name: &str) -> Option<&'static str> {
    Some(match name {
        "String" | "str" | "QrImage" | "PairingCode" | "MetaAccessToken" | "MetaAppSecret" => {
            "string"
        }
        "bool" => "boolean",
        "u8" | "u16" | "u32" | "u64" | "i32" | "i64" | "f64" | "usize" => "number",
        "Value" => "unknown",
        "NumberState" => "NumberState",
        "Provider" => "Provider",
        "Link" => "Link",
        _ => return None,
    })
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) => p.path.segments.last(),
        Type::Reference(r) => last_segment(&r.elem),
        _ => None,
    }
}

fn inner(seg: &syn::PathSegment) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// The TypeScript of a Rust field type (not counting an outer `Option`).
fn ts_type(ty: &Type, at: &str) -> String {
    let seg = last_segment(ty).unwrap_or_else(|| panic!("{at}: unsupported type"));
    let name = seg.ident.to_string();
    if let Some(t) = leaf(&name) {
        return t.to_string();
    }
    match name.as_str() {
        "Vec" => {
            let t = ts_type(inner(seg).unwrap_or_else(|| panic!("{at}: Vec<?>")), at);
            format!("{t}[]")
        }
        "Option" => {
            let t = ts_type(inner(seg).unwrap_or_else(|| panic!("{at}: Option<?>")), at);
            format!("{t} | null")
        }
        "Map" => "Record<string, unknown>".into(),
        _ => MODELS
            .iter()
            .find(|m| m.rust == name)
            .map(|m| m.ts.to_string())
            .unwrap_or_else(|| {
                panic!("{at}: no TypeScript for Rust type {name}: add it to MODELS")
            }),
    }
}

fn docs(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(l) => match &l.lit {
                    Lit::Str(s) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .map(|l| l.strip_prefix(' ').unwrap_or(&l).to_string())
        .collect()
}

fn derives(attrs: &[Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        a.parse_nested_meta(|m| {
            if let Some(last) = m.path.segments.last() {
                out.push(last.ident.to_string());
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("#[derive] attribute: {e}"));
    }
    out
}

/// Rustdoc's intra-doc links become their text: `[`X`](crate::X)` → `` `X` ``.
fn unlink(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|i| open + i) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[close + 1..];
        // `[text](target)`: drop the target too.
        if let Some(target) = rest.strip_prefix('(') {
            match target.find(')') {
                Some(end) => rest = &target[end + 1..],
                None => break,
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first paragraph of a doc comment as JSDoc, indented.
fn jsdoc(lines: &[String], indent: &str) -> String {
    let para: Vec<String> = lines
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| unlink(l.trim_end()))
        .collect();
    match para.as_slice() {
        [] => String::new(),
        [one] => format!("{indent}/** {one} */\n"),
        many => {
            let mut s = format!("{indent}/**\n");
            for l in many {
                s.push_str(&format!("{indent} * {l}\n"));
            }
            s.push_str(&format!("{indent} */\n"));
            s
        }
    }
}

/// What `#[serde(...)]` says about a field or a struct, as flags and `rename_all`.
#[derive(Default)]
struct Serde {
    rename_all_camel: bool,
    default: bool,
    skip_if: bool,
    flatten: bool,
    skip: bool,
    rename: Option<String>,
}

fn serde_attrs(attrs: &[Attribute]) -> Serde {
    let mut s = Serde::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        a.parse_nested_meta(|m| {
            let key = m
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let value = if m.input.peek(syn::Token![=]) {
                let v: Expr = m.value()?.parse()?;
                match v {
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Str(s), ..
                    }) => Some(s.value()),
                    _ => None,
                }
            } else {
                None
            };
            match key.as_str() {
                "rename_all" => {
                    s.rename_all_camel = value.as_deref() == Some("camelCase");
                    if !s.rename_all_camel {
                        panic!("rename_all = {value:?} is not supported here");
                    }
                }
                "default" => s.default = true,
                "skip_serializing_if" => s.skip_if = true,
                "flatten" => s.flatten = true,
                "skip" => s.skip = true,
                "rename" => s.rename = value,
                // Do not change the JSON's shape (an alias is one more name accepted on
                // input; the interface names the field as serde writes it).
                "deny_unknown_fields"
                | "alias"
                | "deserialize_with"
                | "serialize_with"
                | "with"
                | "transparent" => {}
                other => panic!("#[serde({other})] is not understood by the TypeScript generator"),
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("#[serde] attribute: {e}"));
    }
    s
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn find_struct(m: &Model) -> syn::ItemStruct {
    let path = format!("{}/../{}", env!("CARGO_MANIFEST_DIR"), m.file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    file.items
        .into_iter()
        .find_map(|i| match i {
            Item::Struct(s) if s.ident == m.rust => Some(s),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{path} has no struct {}", m.rust))
}

fn interface(m: &Model) -> String {
    let s = find_struct(m);
    let derive = match m.way {
        Way::Out => "Serialize",
        Way::In | Way::Built => "Deserialize",
    };
    assert!(
        derives(&s.attrs).iter().any(|d| d == derive),
        "{}: the package's {} is what serde does with it, and it does not derive {derive}",
        m.rust,
        m.ts
    );
    let top = serde_attrs(&s.attrs);
    let Fields::Named(fields) = &s.fields else {
        panic!("{}: not a struct with named fields", m.rust)
    };
    let mut extends = false;
    let mut body = String::new();
    for f in &fields.named {
        let rust_name = f
            .ident
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let at = format!("{}.{rust_name}", m.rust);
        let attrs = serde_attrs(&f.attrs);
        if attrs.skip {
            continue;
        }
        if attrs.flatten {
            assert!(
                last_segment(&f.ty).is_some_and(|s| s.ident == "Map"),
                "{at}: only a flattened Map (unknown fields) is supported"
            );
            extends = true;
            continue;
        }
        let name = attrs.rename.clone().unwrap_or_else(|| {
            if top.rename_all_camel {
                camel(&rust_name)
            } else {
                rust_name.clone()
            }
        });
        let seg = last_segment(&f.ty).unwrap_or_else(|| panic!("{at}: unsupported type"));
        let is_option = seg.ident == "Option";
        let value = if is_option {
            inner(seg).unwrap_or_else(|| panic!("{at}: Option<?>"))
        } else {
            &f.ty
        };
        let optional = match m.way {
            Way::Out => attrs.skip_if,
            Way::In => is_option || attrs.default || top.default,
            Way::Built => is_option,
        };
        let retyped = m.types.iter().find(|(n, _, _)| *n == name);
        let doc = match retyped {
            Some((_, _, Some(d))) => d.lines().map(str::to_string).collect(),
            _ => docs(&f.attrs),
        };
        let typed = match retyped {
            Some((_, t, _)) => format!("{name}{t}"),
            None => {
                let mut ty = ts_type(value, &at);
                if is_option && !optional {
                    ty.push_str(" | null");
                }
                format!("{name}{}: {ty}", if optional { "?" } else { "" })
            }
        };
        body.push_str(&jsdoc(&doc, "  "));
        body.push_str(&format!("  {typed};\n"));
    }
    for (field, doc) in m.added {
        let lines: Vec<String> = doc.lines().map(str::to_string).collect();
        body.push_str(&jsdoc(&lines, "  "));
        body.push_str(&format!("  {field};\n"));
    }
    for (name, _, _) in m.types {
        assert!(
            body.contains(&format!("  {name}")),
            "{}: no field {name} to retype",
            m.ts
        );
    }
    let doc = match m.doc {
        Some(d) => jsdoc(&d.lines().map(str::to_string).collect::<Vec<_>>(), ""),
        None => jsdoc(&docs(&s.attrs), ""),
    };
    let head = if extends {
        format!("export interface {} extends Extra {{\n", m.ts)
    } else {
        format!("export interface {} {{\n", m.ts)
    };
    format!("{doc}{head}{body}}}\n")
}

fn models_block() -> String {
    let mut s = format!("{BEGIN}: edit the Rust types there\n");
    for m in MODELS {
        s.push('\n');
        s.push_str(&interface(m));
    }
    s.push('\n');
    s.push_str(END);
    s
}

#[test]
fn the_model_interfaces_are_the_core_types() {
    generated_block("index.d.ts", BEGIN, END, &models_block());
}

/// The generator fails loudly on what it cannot translate, rather than guessing.
#[test]
#[should_panic(expected = "no TypeScript for Rust type Instant")]
fn an_unknown_type_fails_the_generator() {
    let ty: Type = syn::parse_quote!(Option<Instant>);
    let _ = ts_type(&ty, "X.y");
}

#[test]
fn rustdoc_links_become_their_text() {
    assert_eq!(
        unlink("a [`DecodeError`](crate::DecodeError) at [`id`](Self::id)."),
        "a `DecodeError` at `id`."
    );
    assert_eq!(unlink("see [`Config`] and [x]"), "see `Config` and x");
    assert_eq!(camel("whatsapp_number_id"), "whatsappNumberId");
}
