//! Chime push filter rules: `FilterRule::parse` on the text before the
//! first NUL byte, then, when it parses, `matches` against the message
//! attributes after it, one `name=value,value` per line (as
//! SendChannelMessage's `MessageAttributes` become them), size-checked as
//! a send does.
#![no_main]

use herald_domain::chime::filter_rule::{
    FilterRule, MessageAttributes, validate_message_attributes,
};
use libfuzzer_sys::fuzz_target;

fn attributes(text: &str) -> MessageAttributes {
    let mut attributes = MessageAttributes::new();
    for line in text.lines() {
        let (name, values) = line.split_once('=').unwrap_or((line, ""));
        attributes.entry(name.to_owned()).or_default().extend(
            values
                .split(',')
                .filter(|value| !value.is_empty())
                .map(str::to_owned),
        );
    }
    attributes
}

fuzz_target!(|data: &[u8]| {
    let (rule, rest) = herald_fuzz::split_once(data, 0);
    let Ok(rule) = std::str::from_utf8(rule) else {
        return;
    };
    let Ok(rule) = FilterRule::parse(rule) else {
        return;
    };
    let attributes = attributes(&String::from_utf8_lossy(rest));
    if validate_message_attributes(&attributes).is_ok() {
        let _ = rule.matches(&attributes);
    }
});
