use super::*;

fn d(text: &str) -> Decimal {
    Decimal::parse(text).unwrap()
}

#[test]
fn keeps_digits_and_text() {
    assert_eq!(d("1.10").to_string(), "1.10");
    assert_eq!(d("1.10").precision(), 2);
    assert_eq!(d("-0.5").to_string(), "-0.5");
    assert_eq!(d("1.5e3").to_string(), "1.5e3");
    assert_eq!(d("1.5e3").canonical_text(), "1500");
    assert_eq!(d("1.5E-2").canonical_text(), "0.015");
}

#[test]
fn rejects_malformed_text() {
    for bad in [
        "",
        "-",
        "01",
        "1.",
        ".5",
        "1.2.3",
        "1e",
        "+1",
        "1 ",
        "abc",
        "1e99999",
        "123456789012345678901234567890123456789",
    ] {
        assert!(Decimal::parse(bad).is_err(), "{bad:?} should be rejected");
    }
    assert!(Decimal::parse_lenient("007").is_ok());
}

#[test]
fn compares_exactly() {
    assert_eq!(d("1.0"), d("1.00"));
    assert_eq!(d("0.1").checked_add(&d("0.2")).unwrap(), d("0.3"));
    assert_eq!(d("2").cmp_value(&d("10")), Ordering::Less);
    assert_eq!(d("-2.5").cmp_value(&d("-2.45")), Ordering::Less);
}

#[test]
fn arithmetic() {
    assert_eq!(d("1.2").checked_mul(&d("1.5")).unwrap().to_string(), "1.80");
    assert_eq!(
        d("1").checked_div(&d("3")).unwrap().to_string(),
        "0.33333333"
    );
    assert_eq!(d("1").checked_div(&d("2")).unwrap().to_string(), "0.5");
    assert!(d("1").checked_div(&d("0")).is_none());
    assert_eq!(d("5.5").checked_rem(&d("0.7")).unwrap(), d("0.6"));
    assert_eq!(d("5").checked_div_trunc(&d("2")).unwrap(), d("2"));
    assert_eq!(d("-1.5").floor(), d("-2"));
    assert_eq!(d("1.1").ceiling(), d("2"));
    assert_eq!(d("2.345").rescale(2).unwrap().to_string(), "2.35");
    assert_eq!(d("-2.345").rescale(2).unwrap().to_string(), "-2.35");
    assert_eq!(d("3.0").to_i64_exact(), Some(3));
    assert_eq!(d("3.5").to_i64_exact(), None);
}

#[test]
fn overflow_is_none_not_panic() {
    let big = d("99999999999999999999999999999999999999");
    assert!(big.checked_mul(&big).is_none());
    assert!(big.checked_add(&big).is_none());
}
