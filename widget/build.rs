//! Minifies widget.css into OUT_DIR: the source stays readable, the wasm carries no
//! comments or indentation.

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
            // Keep spaces that CSS needs (`a b`, `0 0`, `and (`, `) and`).
            if !(tight(last) && last != ')' || tight(c) && c != '(') {
                out.push(' ');
            }
        }
        pending_space = false;
        out.push(c);
    }
    out.replace(";}", "}")
}

fn main() {
    println!("cargo:rerun-if-changed=src/widget.css");
    let css = fs::read_to_string("src/widget.css").unwrap_or_default();
    let dir = env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    let _ = fs::write(Path::new(&dir).join("widget.min.css"), minify(&css));
}
