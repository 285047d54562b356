//! Readable colours whatever the brand: WCAG 2 contrast of the colours as rendered (the view
//! reads them back from the page's computed styles, so a page's own CSS counts too), and the
//! smallest change that makes a failing one pass. Pure, tested natively.
//!
//! Text (the body, the muted lines, and the brand colour, which labels the outlined actions and
//! the help link) needs 4.5:1 against the background; the brand colour then also passes the
//! 3:1 of controls (borders, focus rings). The label on a filled action is white, WhatsApp's ink
//! or black, whichever reads on the (adjusted) brand colour.

use alloc::string::String;

include!(concat!(env!("OUT_DIR"), "/srgb_linear.rs"));

/// WCAG 2 AA for text.
pub const TEXT_MIN: f64 = 4.5;
/// WCAG 2 AA for controls and graphics.
pub const CONTROL_MIN: f64 = 3.0;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// White.
pub const WHITE: Rgb = Rgb(255, 255, 255);
/// Black.
pub const BLACK: Rgb = Rgb(0, 0, 0);
/// WhatsApp's ink (the default text).
pub const INK: Rgb = Rgb(0x11, 0x1b, 0x21);

impl Rgb {
    /// WCAG 2 relative luminance.
    #[must_use]
    pub fn luminance(self) -> f64 {
        let l = |c: u8| f64::from(LINEAR[usize::from(c)]) / 65535.0;
        0.2126 * l(self.0) + 0.7152 * l(self.1) + 0.0722 * l(self.2)
    }

    /// `#rrggbb`.
    #[must_use]
    pub fn hex(self) -> String {
        const DIGITS: &str = "0123456789abcdef";
        let mut s = String::with_capacity(7);
        s.push_str("#");
        for c in [self.0, self.1, self.2] {
            for n in [usize::from(c >> 4), usize::from(c & 15)] {
                s.push_str(DIGITS.get(n..=n).unwrap_or("0"));
            }
        }
        s
    }

    /// A colour as `getComputedStyle` gives it (`rgb(r, g, b)`, `rgba(r, g, b, a)`): `None` for
    /// anything else, or a colour that is not opaque (what is under it is unknown). Bytes, not
    /// `str::parse`: a small loop instead of float parsing in the wasm.
    #[must_use]
    pub fn parse(css: &str) -> Option<Self> {
        let css = css.trim_ascii();
        let inner = css
            .strip_prefix("rgba(")
            .or_else(|| css.strip_prefix("rgb("))?
            .strip_suffix(")")?;
        // Up to four numbers; a fraction is dropped (channels), or marks a partial alpha.
        let mut nums = [0u32; 4];
        let (mut count, mut digits, mut fraction, mut partial) = (0usize, false, false, false);
        for b in inner.bytes() {
            match b {
                b'0'..=b'9' if fraction => partial |= count == 3 && b != b'0',
                b'0'..=b'9' => {
                    let n = nums.get_mut(count)?;
                    *n = n.saturating_mul(10).saturating_add(u32::from(b - b'0'));
                    digits = true;
                }
                b'.' => fraction = true,
                b',' | b' ' | b'/' => {
                    if digits || fraction {
                        count += 1;
                    }
                    (digits, fraction) = (false, false);
                }
                _ => return None,
            }
        }
        if digits || fraction {
            count += 1;
        }
        let channel = |n: u32| u8::try_from(n).ok();
        let opaque = count == 3 || (count == 4 && nums[3] == 1 && !partial);
        if !opaque {
            return None;
        }
        Some(Self(
            channel(nums[0])?,
            channel(nums[1])?,
            channel(nums[2])?,
        ))
    }

    /// This colour moved `t` (0…1) of the way to `to`.
    #[must_use]
    // max/min, not clamp: no assertion (and panic path) in the widget's wasm.
    #[allow(clippy::manual_clamp)]
    pub fn mix(self, to: Self, t: f64) -> Self {
        let m = |a: u8, b: u8| {
            let v = f64::from(a) + (f64::from(b) - f64::from(a)) * t + 0.5;
            v.max(0.0).min(255.0) as u8
        };
        Self(m(self.0, to.0), m(self.1, to.1), m(self.2, to.2))
    }
}

/// WCAG 2 contrast ratio (1…21).
#[must_use]
pub fn ratio(a: Rgb, b: Rgb) -> f64 {
    let (x, y) = (a.luminance(), b.luminance());
    let (hi, lo) = if x > y { (x, y) } else { (y, x) };
    (hi + 0.05) / (lo + 0.05)
}

/// `c` itself when it reaches `min` against `bg`; else the least change toward black or white
/// (whichever contrasts more with `bg`) that does. Keeps the hue as far as it can.
#[must_use]
pub fn fit(c: Rgb, bg: Rgb, min: f64) -> Rgb {
    if ratio(c, bg) >= min {
        return c;
    }
    let target = if ratio(BLACK, bg) >= ratio(WHITE, bg) {
        BLACK
    } else {
        WHITE
    };
    // Bisection on the mix: 16 steps are finer than a byte.
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..16 {
        let mid = (lo + hi) / 2.0;
        if ratio(c.mix(target, mid), bg) >= min {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    c.mix(target, hi)
}

/// The colours as rendered, read back from the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The card's background.
    pub bg: Rgb,
    /// The body text.
    pub text: Rgb,
    /// The secondary text.
    pub muted: Rgb,
    /// The brand (primary) colour.
    pub primary: Rgb,
}

/// The colours to render instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fitted {
    /// The body text.
    pub text: Rgb,
    /// The secondary text.
    pub muted: Rgb,
    /// The brand colour, as text and controls on the background.
    pub primary: Rgb,
    /// The label on a filled brand action.
    pub on_primary: Rgb,
}

/// Makes what was seen readable (each colour changed only if it fails).
#[must_use]
pub fn readable(s: &Seen) -> Fitted {
    let primary = fit(s.primary, s.bg, TEXT_MIN);
    let on_primary = [WHITE, INK]
        .into_iter()
        .find(|c| ratio(*c, primary) >= TEXT_MIN)
        .unwrap_or(if ratio(WHITE, primary) >= ratio(BLACK, primary) {
            WHITE
        } else {
            BLACK
        });
    Fitted {
        text: fit(s.text, s.bg, TEXT_MIN),
        muted: fit(s.muted, s.bg, TEXT_MIN),
        primary,
        on_primary,
    }
}
