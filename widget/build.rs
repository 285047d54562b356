//! Minifies widget.css into OUT_DIR (the source stays readable, the wasm carries no comments or
//! indentation), and writes the sRGB → linear table of the contrast checks.

use std::{env, fs, path::Path};

fn minify(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        if c == '/' && chars.peek() == Some(&'*') {
            chars.next();
            let mut prev = ' ';
            for d in chars.by_ref() {
                if prev == '*' && d == '/' {
                    break;
                }
                prev = d;
            }
            continue;
        }
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let tight = |x: char| matches!(x, '{' | '}' | ';' | ':' | ',' | '>' | '(' | ')');
        if pending_space && !out.is_empty() {
            let last = out.chars().last().unwrap_or(' ');
            // Keep spaces that CSS needs (`a b`, `0 0`, `and (`, `) and`, and a descendant
            // before a pseudo-class, `.psw[x] :is(.title)`: without it the selector means the
            // `.psw` that is a `.title`). A space after a `:` goes (`color: red`).
            if !(tight(last) && last != ')' || tight(c) && c != '(' && c != ':') {
                out.push(' ');
            }
        }
        pending_space = false;
        out.push(c);
    }
    out.replace(";}", "}")
}

/// WCAG 2's linear value of each sRGB byte, scaled to `u16`: the widget's contrast checks need
/// `powf`, which `no_std` wasm does not have, for 256 values only.
fn srgb_linear_table() -> String {
    let mut out = String::from("/// WCAG 2's linear value of each sRGB byte, × 65535.\npub(crate) const LINEAR: [u16; 256] = [");
    for i in 0..256 {
        let c = f64::from(i) / 255.0;
        let l = if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        };
        out.push_str(&format!("{},", (l * 65535.0).round() as u16));
    }
    out.push_str("];\n");
    out
}

fn main() {
    println!("cargo:rerun-if-changed=src/widget.css");
    let css = fs::read_to_string("src/widget.css").unwrap_or_default();
    let dir = env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let _ = fs::write(Path::new(&dir).join("widget.min.css"), minify(&css));
    let _ = fs::write(Path::new(&dir).join("srgb_linear.rs"), srgb_linear_table());
}
