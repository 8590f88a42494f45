//! Timestamps on the wire: epoch seconds (with fractions) in JSON bodies,
//! HTTP-dates in headers, as the AWS SDKs send and expect them.

use jiff::Timestamp;

use super::AwsError;

/// Epoch seconds for a JSON body. Herald keeps milliseconds.
pub fn to_epoch_seconds(at: Timestamp) -> f64 {
    at.as_millisecond() as f64 / 1000.0
}

pub fn from_epoch_seconds(seconds: f64, member: &str) -> Result<Timestamp, AwsError> {
    let millis = seconds * 1000.0;
    if !millis.is_finite() || millis.abs() > 8.0e15 {
        return Err(AwsError::invalid_parameter(format!(
            "{member} is not a valid timestamp: {seconds}."
        )));
    }
    Timestamp::from_millisecond(millis.round() as i64).map_err(|_| {
        AwsError::invalid_parameter(format!("{member} is not a valid timestamp: {seconds}."))
    })
}

/// An HTTP-date header (`Tue, 29 Apr 2014 18:30:38 GMT`); epoch seconds are
/// accepted too, as some clients send them.
pub fn from_header(value: &str, header: &str) -> Result<Timestamp, AwsError> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return from_epoch_seconds(seconds, header);
    }
    jiff::fmt::rfc2822::parse(value)
        .map(|zoned| zoned.timestamp())
        .map_err(|_| {
            AwsError::invalid_request(format!(
                "{header} is not an HTTP-date (e.g. 'Tue, 29 Apr 2014 18:30:38 GMT'): '{value}'."
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_round_trip_milliseconds() {
        let at = from_epoch_seconds(1_700_000_000.123, "T").expect("valid");
        assert_eq!(at.as_millisecond(), 1_700_000_000_123);
        assert_eq!(to_epoch_seconds(at), 1_700_000_000.123);
        assert!(from_epoch_seconds(f64::NAN, "T").is_err());
        assert!(from_epoch_seconds(1e300, "T").is_err());
    }

    #[test]
    fn http_dates_parse() {
        let at = from_header("Tue, 29 Apr 2014 18:30:38 GMT", "x").expect("valid");
        assert_eq!(at.as_second(), 1_398_796_238);
        assert!(from_header("yesterday", "x").is_err());
    }
}
