use super::*;

#[test]
fn round_trips_exact_text() {
    for text in [
        "2014",
        "2014-01",
        "2014-01-25",
        "2014-01-25T10:30:00Z",
        "2014-01-25T10:30:00.1230+10:00",
        "2014-01-25T10:30:00-00:00",
    ] {
        assert_eq!(parse_date_time(text).unwrap().to_string(), text);
    }
    assert_eq!(
        parse_instant("2015-02-07T13:28:17.239+02:00")
            .unwrap()
            .to_string(),
        "2015-02-07T13:28:17.239+02:00"
    );
    assert_eq!(Time::parse("10:30:00.5").unwrap().to_string(), "10:30:00.5");
    assert_eq!(
        parse_date_time_fhirpath("2015T").unwrap().to_string(),
        "2015T"
    );
    assert_eq!(
        parse_date_time_fhirpath("2014-01-01T10")
            .unwrap()
            .to_string(),
        "2014-01-01T10"
    );
}

#[test]
fn rejects_malformed_values() {
    for bad in [
        "",
        "14",
        "0000",
        "2014-13",
        "2014-02-30",
        "2014-1-01",
        "2014-01-01T10:30Z",
        "2014-01-01T10:30:00",
        "2014-01T10:00:00Z",
        "2014-01-01T24:00:00Z",
        "2014-01-01T10:00:00+15:00",
        "2014-01-01T10:00:00.Z",
        "2014-01-01 ",
    ] {
        assert!(parse_date_time(bad).is_err(), "{bad:?} should be rejected");
    }
    assert!(parse_date("2014-01-01T10:00:00Z").is_err());
    assert!(parse_instant("2014-01-01").is_err());
    assert!(Time::parse("10:30").is_err());
    assert!(Time::parse("25:00:00").is_err());
    assert!(Time::parse_fhirpath("10:3").is_err());
    assert_eq!(parse_date("2016-02-29").unwrap().day, 29);
    assert!(parse_date("2015-02-29").is_err());
}

#[test]
fn compares_with_partial_precision() {
    let a = parse_date_time_fhirpath("2012-01").unwrap();
    let b = parse_date_time_fhirpath("2012-01-15").unwrap();
    assert_eq!(a.partial_cmp_fhirpath(&b), None);
    let c = parse_date_time_fhirpath("2013-01-15").unwrap();
    assert_eq!(a.partial_cmp_fhirpath(&c), Some(Ordering::Less));
    let x = parse_date_time_fhirpath("2017-11-05T01:30:00.0-04:00").unwrap();
    let y = parse_date_time_fhirpath("2017-11-05T05:30:00.0Z").unwrap();
    assert_eq!(x.partial_cmp_fhirpath(&y), Some(Ordering::Equal));
    let s1 = Time::parse_fhirpath("10:30:00").unwrap();
    let s2 = Time::parse_fhirpath("10:30:00.000").unwrap();
    assert_eq!(s1.partial_cmp_fhirpath(&s2), Some(Ordering::Equal));
    assert_eq!(
        Time::parse_fhirpath("10")
            .unwrap()
            .partial_cmp_fhirpath(&s1),
        None
    );
}

#[test]
fn ranges_for_search() {
    let day = parse_date("1970-01-02").unwrap();
    assert_eq!(day.low_epoch_millis(), 86_400_000);
    assert_eq!(day.high_epoch_millis(), 2 * 86_400_000 - 1);
    let month = parse_date("2016-02").unwrap();
    assert_eq!(
        month.high_epoch_millis() - month.low_epoch_millis() + 1,
        29 * 86_400_000
    );
    let shifted = parse_date_time("1970-01-01T01:00:00+01:00").unwrap();
    assert_eq!(shifted.low_epoch_millis(), 0);
}

#[test]
fn calendar_arithmetic() {
    let date = parse_date("2014-01-31").unwrap();
    assert_eq!(
        date.add_calendar(1, CalendarUnit::Month)
            .unwrap()
            .to_string(),
        "2014-02-28"
    );
    assert_eq!(
        date.add_calendar(-1, CalendarUnit::Year)
            .unwrap()
            .to_string(),
        "2013-01-31"
    );
    assert_eq!(
        date.add_calendar(1, CalendarUnit::Week)
            .unwrap()
            .to_string(),
        "2014-02-07"
    );
    let year = parse_date("2014").unwrap();
    assert_eq!(
        year.add_calendar(25, CalendarUnit::Month)
            .unwrap()
            .to_string(),
        "2016"
    );
    let time = parse_date_time("2014-01-31T23:30:00Z").unwrap();
    assert_eq!(
        time.add_calendar(45, CalendarUnit::Minute)
            .unwrap()
            .to_string(),
        "2014-02-01T00:15:00Z"
    );
    assert!(parse_date("9999")
        .unwrap()
        .add_calendar(1, CalendarUnit::Year)
        .is_none());
}

#[test]
fn offset_on_one_side_only_is_not_comparable() {
    let with = parse_date_time_fhirpath("2012-04-15T15:00:00Z").unwrap();
    let without = parse_date_time_fhirpath("2012-04-15T10:00:00").unwrap();
    assert_eq!(with.partial_cmp_fhirpath(&without), None);
    // Dates without a time compare whatever the offsets.
    let date = parse_date_time_fhirpath("2012-04-14").unwrap();
    assert_eq!(
        date.partial_cmp_fhirpath(&parse_date_time_fhirpath("2012-04-15").unwrap()),
        Some(Ordering::Less)
    );
}
