//! The results as a Markdown table and as JSON.

use std::time::Duration;

use serde_json::{Value, json};

use crate::drive::{Op, Outcome};
use crate::push::PushOutcome;

/// What the run measured besides the operations.
pub struct Run {
    pub started: String,
    pub cores: usize,
    pub instances: usize,
    pub users: usize,
    pub notifications: usize,
    pub instance_wide: usize,
    pub statuses_set: usize,
    pub load_seconds: f64,
    pub seconds: f64,
    pub concurrency: usize,
    /// Instances in Herald's account and in the moto server when
    /// `ListInstances` ran (with `--moto`).
    pub listed_instances: Option<usize>,
    pub rss_after_load_kib: Option<u64>,
    pub peak_memory_kib: Option<u64>,
    pub outcomes: Vec<Outcome>,
    /// The second, larger data set's pass (`--large-notifications`).
    pub large: Option<Box<Run>>,
    /// The Chime push decision (`--push-members`).
    pub push: Option<PushOutcome>,
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "unknown".into(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

impl Run {
    fn ceiling(&self) -> Option<f64> {
        self.outcomes
            .iter()
            .find(|o| o.op == Op::Health)
            .map(Outcome::per_second)
            .filter(|r| *r > 0.0)
    }

    pub(crate) fn outcome(&self, op: Op) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.op == op)
    }

    /// The share of the ceiling, for the operations Herald served.
    pub(crate) fn of_ceiling(&self, o: &Outcome) -> Option<f64> {
        if o.op == Op::ListInstancesMoto {
            return None;
        }
        self.ceiling().map(|c| o.per_second() / c)
    }

    /// p50 of the instance-wide create over p50 of the single-recipient one.
    pub(crate) fn instance_wide_p50_ratio(&self) -> Option<f64> {
        let wide = self
            .outcome(Op::CreateNotificationInstanceWide)?
            .quantile(0.5);
        let one = self.outcome(Op::CreateNotification)?.quantile(0.5);
        (!one.is_zero()).then(|| wide.as_secs_f64() / one.as_secs_f64())
    }

    /// Herald's `ListInstances` throughput over the moto server's.
    pub(crate) fn list_instances_ratio(&self) -> Option<f64> {
        let herald = self.outcome(Op::ListInstances)?.per_second();
        let moto = self.outcome(Op::ListInstancesMoto)?.per_second();
        (moto > 0.0).then(|| herald / moto)
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{} instance(s), {} users, {} notifications stored ({} instance-wide), \
             {} statuses set; loaded in {:.1} s. Each operation {} s at {} in flight, \
             {} cores, started {}.\n\n",
            self.instances,
            self.users,
            self.notifications,
            self.instance_wide,
            self.statuses_set,
            self.load_seconds,
            self.seconds,
            self.concurrency,
            self.cores,
            self.started,
        ));
        out.push_str("| operation | requests/s | of ceiling | p50 | p99 | p99.9 | errors |\n");
        out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for o in &self.outcomes {
            let ratio = match self.of_ceiling(o) {
                Some(r) => format!("{:.1} %", 100.0 * r),
                None => "–".into(),
            };
            out.push_str(&format!(
                "| {} | {:.0} | {} | {} | {} | {} | {} |\n",
                o.op.name(),
                o.per_second(),
                ratio,
                ms(o.quantile(0.50)),
                ms(o.quantile(0.99)),
                ms(o.quantile(0.999)),
                o.errors,
            ));
        }
        out.push('\n');
        if let Some(r) = self.instance_wide_p50_ratio() {
            out.push_str(&format!(
                "Instance-wide CreateNotification p50 is {r:.2}× the single-recipient one's \
                 (target: at most 1.2×).\n"
            ));
        }
        if let (Some(r), Some(n)) = (self.list_instances_ratio(), self.listed_instances) {
            out.push_str(&format!(
                "Herald's ListInstances throughput is {r:.1}× the moto server's \
                 (target: at least 20×); page of 10 of {n} instances on each.\n"
            ));
        }
        out.push_str(&format!(
            "Server memory: {} resident after loading, peak (VmHWM) {}.\n",
            mib(self.rss_after_load_kib),
            mib(self.peak_memory_kib),
        ));
        if let Some(large) = &self.large {
            out.push('\n');
            out.push_str(&self.scale_markdown(large));
        }
        if let Some(push) = &self.push {
            out.push('\n');
            out.push_str(&push_markdown(push));
        }
        out
    }

    /// The second data set's table, then each operation's p50 there as a
    /// multiple of its p50 here.
    fn scale_markdown(&self, large: &Run) -> String {
        let mut out = format!("Second data set, on a fresh server. {}", large.markdown());
        out.push_str(&format!(
            "\n| operation | p50 at {} stored | p50 at {} stored | ratio |\n| --- | ---: | ---: | ---: |\n",
            self.notifications, large.notifications
        ));
        for (op, small, big, ratio) in self.scale_ratios(large) {
            out.push_str(&format!(
                "| {} | {} | {} | {ratio:.2}× |\n",
                op.name(),
                ms(small),
                ms(big)
            ));
        }
        out.push_str("\n(Target: within 1.3× for listing, status update and describe.)\n");
        out
    }

    /// (operation, p50 here, p50 in `large`, their ratio) for each
    /// operation compared across sizes ([`Op::SCALED`]) measured in both.
    pub(crate) fn scale_ratios(&self, large: &Run) -> Vec<(Op, Duration, Duration, f64)> {
        large
            .outcomes
            .iter()
            .filter(|o| Op::SCALED.contains(&o.op))
            .filter_map(|big| {
                let small = self.outcome(big.op)?.quantile(0.5);
                let big_p50 = big.quantile(0.5);
                (!small.is_zero()).then(|| {
                    (
                        big.op,
                        small,
                        big_p50,
                        big_p50.as_secs_f64() / small.as_secs_f64(),
                    )
                })
            })
            .collect()
    }

    pub fn json(&self) -> Value {
        let operations: Vec<Value> = self
            .outcomes
            .iter()
            .map(|o| {
                json!({
                    "operation": o.op.key(),
                    "ok": o.ok,
                    "errors": o.errors,
                    "seconds": o.elapsed.as_secs_f64(),
                    "requests_per_second": o.per_second(),
                    "ratio_of_ceiling": self.of_ceiling(o),
                    "server": if o.op == Op::ListInstancesMoto { "moto" } else { "herald" },
                    "p50_ms": o.quantile(0.50).as_secs_f64() * 1000.0,
                    "p99_ms": o.quantile(0.99).as_secs_f64() * 1000.0,
                    "p999_ms": o.quantile(0.999).as_secs_f64() * 1000.0,
                    "first_error": o.first_error,
                })
            })
            .collect();
        json!({
            "started": self.started,
            "cores": self.cores,
            "data_set": {
                "instances": self.instances,
                "users": self.users,
                "notifications": self.notifications,
                "instance_wide": self.instance_wide,
                "statuses_set": self.statuses_set,
                "load_seconds": self.load_seconds,
            },
            "seconds_per_operation": self.seconds,
            "concurrency": self.concurrency,
            "server_rss_after_load_kib": self.rss_after_load_kib,
            "server_peak_memory_kib": self.peak_memory_kib,
            "operations": operations,
            "listed_instances": self.listed_instances,
            "instance_wide_create_p50_ratio": self.instance_wide_p50_ratio(),
            "list_instances_herald_over_moto": self.list_instances_ratio(),
            "large": self.large.as_ref().map(|large| {
                let ratios: Vec<Value> = self
                    .scale_ratios(large)
                    .into_iter()
                    .map(|(op, _, _, ratio)| json!({ "operation": op.key(), "p50_ratio": ratio }))
                    .collect();
                json!({ "run": large.json(), "p50_ratios": ratios })
            }),
            "push_decision": self.push.as_ref().map(push_json),
        })
    }

    /// Why the run failed, if it did: an operation with errors, or with no
    /// successful request.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        for o in &self.outcomes {
            if o.errors > 0 {
                failures.push(format!(
                    "{}: {} errors (first: {})",
                    o.op.name(),
                    o.errors,
                    o.first_error.as_deref().unwrap_or("?")
                ));
            } else if o.ok == 0 {
                failures.push(format!("{}: no successful request", o.op.name()));
            }
        }
        if let Some(large) = &self.large {
            failures.extend(
                large
                    .failures()
                    .into_iter()
                    .map(|f| format!("second data set: {f}")),
            );
        }
        failures
    }
}

fn push_markdown(push: &PushOutcome) -> String {
    let mut out = format!(
        "Chime push decision, in process on SQLite: a {}-member channel (each member \
         with an endpoint; a mix of no preference, ALL, NONE and FILTERED rules) → {} \
         deliveries, {} rounds (set up in {:.1} s).\n\n\
         | push decision | p50 | p99 |\n| --- | ---: | ---: |\n",
        push.members, push.deliveries, push.rounds, push.setup_seconds
    );
    for (what, q) in [
        ("read the audience whole", push.read),
        ("decide", push.decide),
        ("first send after a start (whole read + decide)", push.whole),
        (
            "after a member's change (version, changes read, audience patched, decide)",
            push.changed,
        ),
        ("warm (audience version read, audience kept)", push.warm),
    ] {
        out.push_str(&format!("| {what} | {} | {} |\n", ms(q.p50), ms(q.p99)));
    }
    out.push_str("\n(Target: under 10 ms.)\n");
    out
}

fn push_json(push: &PushOutcome) -> Value {
    let q = |q: crate::push::Quantiles| {
        json!({
            "p50_ms": q.p50.as_secs_f64() * 1000.0,
            "p99_ms": q.p99.as_secs_f64() * 1000.0,
        })
    };
    json!({
        "members": push.members,
        "deliveries": push.deliveries,
        "rounds": push.rounds,
        "setup_seconds": push.setup_seconds,
        "read": q(push.read),
        "decide": q(push.decide),
        "whole": q(push.whole),
        "changed": q(push.changed),
        "warm": q(push.warm),
    })
}
