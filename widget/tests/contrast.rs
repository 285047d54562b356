//! The widget's readable colours: WCAG 2 contrast, and the least change that makes a failing
//! brand colour pass, on the colours as a page renders them.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use pilot_connect_widget::contrast::{
    fit, ratio, readable, Rgb, Seen, BLACK, CONTROL_MIN, INK, TEXT_MIN, WHITE,
};
use proptest::prelude::*;

const DEFAULT_LIGHT: Seen = Seen {
    bg: WHITE,
    text: INK,
    muted: Rgb(0x54, 0x65, 0x6f),
    primary: Rgb(0x00, 0x80, 0x69),
};

#[test]
fn ratios_match_wcag() {
    assert!((ratio(BLACK, WHITE) - 21.0).abs() < 0.01);
    assert!((ratio(WHITE, WHITE) - 1.0).abs() < 1e-9);
    // WCAG's own example pair: #777777 on white is 4.48:1 (fails AA for text).
    assert!((ratio(Rgb(0x77, 0x77, 0x77), WHITE) - 4.48).abs() < 0.01);
}

#[test]
fn the_defaults_pass_and_are_left_alone() {
    let f = readable(&DEFAULT_LIGHT);
    assert_eq!(f.primary, DEFAULT_LIGHT.primary);
    assert_eq!(f.text, DEFAULT_LIGHT.text);
    assert_eq!(f.muted, DEFAULT_LIGHT.muted);
    assert_eq!(f.on_primary, WHITE);
    let dark = Seen {
        bg: INK,
        text: Rgb(0xe9, 0xed, 0xef),
        muted: Rgb(0xae, 0xba, 0xc1),
        primary: Rgb(0x25, 0xd3, 0x66),
    };
    let f = readable(&dark);
    assert_eq!(
        (f.primary, f.text, f.muted),
        (dark.primary, dark.text, dark.muted)
    );
    assert_eq!(
        f.on_primary, INK,
        "white on WhatsApp green fails: the ink reads"
    );
}

#[test]
fn yellow_on_white_is_darkened_just_enough() {
    let yellow = Rgb(0xff, 0xff, 0x00);
    assert!(ratio(yellow, WHITE) < 1.1);
    let f = readable(&Seen {
        primary: yellow,
        ..DEFAULT_LIGHT
    });
    let r = ratio(f.primary, WHITE);
    assert!(r >= TEXT_MIN, "{:?} at {r}", f.primary);
    assert!(r < TEXT_MIN + 0.2, "the least change, not black: {r}");
    assert_eq!(
        f.primary.0, f.primary.1,
        "still a yellow (olive): red = green"
    );
    assert_eq!(f.primary.2, 0);
    assert!(ratio(f.on_primary, f.primary) >= TEXT_MIN);
}

#[test]
fn near_black_on_black_is_lightened() {
    let f = readable(&Seen {
        bg: BLACK,
        text: Rgb(0x11, 0x11, 0x11),
        muted: Rgb(0x22, 0x22, 0x22),
        primary: Rgb(0x11, 0x11, 0x11),
    });
    for c in [f.text, f.muted, f.primary] {
        let r = ratio(c, BLACK);
        assert!((TEXT_MIN..TEXT_MIN + 0.3).contains(&r), "{c:?} at {r}");
        assert!(c.0 > 0x11);
    }
    assert!(ratio(f.on_primary, f.primary) >= TEXT_MIN);
}

#[test]
fn computed_colours_are_read_and_translucent_ones_are_not() {
    assert_eq!(Rgb::parse("rgb(0, 128, 105)"), Some(Rgb(0, 128, 105)));
    assert_eq!(Rgb::parse(" rgba(255, 255, 0, 1) "), Some(Rgb(255, 255, 0)));
    assert_eq!(Rgb::parse("rgb(12.6 3 4)"), Some(Rgb(12, 3, 4)));
    assert_eq!(Rgb::parse("rgb(1 2 3 / 1.0)"), Some(Rgb(1, 2, 3)));
    for bad in [
        "rgba(0, 0, 0, 0)",
        "rgba(0, 0, 0, 0.5)",
        "rgba(0, 0, 0, 1.5)",
        "transparent",
        "#fff",
        "rgb(256, 0, 0)",
        "rgb(1, 2)",
        "oklch(0.5 0.1 30)",
        "",
    ] {
        assert_eq!(Rgb::parse(bad), None, "{bad}");
    }
    assert_eq!(Rgb(0, 0x80, 0x69).hex(), "#008069");
}

proptest! {
    #[test]
    fn whatever_the_colours_what_is_rendered_passes(
        bg in any::<(u8, u8, u8)>(), text in any::<(u8, u8, u8)>(), primary in any::<(u8, u8, u8)>()
    ) {
        let c = |(r, g, b): (u8, u8, u8)| Rgb(r, g, b);
        let seen = Seen { bg: c(bg), text: c(text), muted: c(text), primary: c(primary) };
        let f = readable(&seen);
        prop_assert!(ratio(f.text, seen.bg) >= TEXT_MIN);
        prop_assert!(ratio(f.primary, seen.bg) >= TEXT_MIN.max(CONTROL_MIN));
        prop_assert!(ratio(f.on_primary, f.primary) >= TEXT_MIN);
        if ratio(seen.primary, seen.bg) >= TEXT_MIN {
            prop_assert_eq!(f.primary, seen.primary, "a passing colour is kept");
        }
        prop_assert_eq!(fit(f.primary, seen.bg, TEXT_MIN), f.primary, "fitting is stable");
    }
}
