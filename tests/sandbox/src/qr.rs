//! WhatsApp-like QR material: refs shaped like WhatsApp Web's `2@…` payloads, rendered as a
//! real QR code in a PNG (dark on light, 4-module quiet zone), and 8-character pairing codes
//! in WhatsApp's alphabet.

use base64::Engine as _;
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module.
const SCALE: usize = 6;
/// Quiet zone in modules (the QR spec minimum).
const QUIET: usize = 4;

fn random_b64(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| fastrand::u8(..)).collect();
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// A fresh ref: `2@<ref>,<noise key>,<identity key>,<adv secret>`.
pub fn new_ref() -> String {
    format!(
        "2@{},{},{},{}",
        random_b64(36),
        random_b64(32),
        random_b64(32),
        random_b64(32)
    )
}

/// WhatsApp's link-with-phone-number alphabet (Crockford base32 without 0/I/O/U).
const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTVWXYZ";

/// A fresh 8-character pairing code, shown as `XXXX-XXXX`.
pub fn new_pairing_code() -> String {
    let mut s = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            s.push('-');
        }
        s.push(char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]));
    }
    s
}

/// Renders `payload` as a QR code PNG.
///
/// # Errors
/// When the payload does not fit a QR code or PNG encoding fails.
pub fn render_png(payload: &str) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|e| e.to_string())?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for dy in 0..SCALE {
                let row = (my * SCALE + dy) * side;
                pixels[row + mx * SCALE..row + mx * SCALE + SCALE].fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let side32 = u32::try_from(side).map_err(|e| e.to_string())?;
        let mut enc = png::Encoder::new(&mut out, side32, side32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Best);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&pixels).map_err(|e| e.to_string())?;
    }
    Ok(out)
}
