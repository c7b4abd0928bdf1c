//! The ratio table: criterion's estimates (`<criterion>/<group>/<bench>/
//! <runtime>/<which>/{benchmark,estimates}.json`) as one Markdown row per
//! phase and benchmark, with Kiln ÷ wasmtime and Kiln ÷ wasmi (times, so
//! below 1 means Kiln is faster) and the geometric mean of each ratio per
//! phase. The median of each benchmark's samples is used: these machines
//! are noisy, and the median shrugs off the odd descheduled sample.
//!
//! A second table compares each engine with itself in another
//! configuration: a runtime id `<engine>-<variant>` (e.g. `kiln-epochs`)
//! over `<engine>` on the same benchmark, i.e. what the variant costs.

use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The runtimes a row has a column for, Kiln first.
pub const RUNTIMES: [&str; 3] = ["kiln", "wasmtime", "wasmi"];

/// One criterion benchmark's estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// The criterion group: the phase (`compile`, `execute`, ...).
    pub phase: String,
    /// The benchmark (criterion's function id).
    pub bench: String,
    /// The runtime (criterion's value string).
    pub runtime: String,
    /// The median time of one iteration, in nanoseconds.
    pub nanos: f64,
}

/// Read one estimate from the contents of criterion's `benchmark.json`
/// and `estimates.json`.
pub fn parse_estimate(benchmark_json: &str, estimates_json: &str) -> Result<Estimate> {
    let id: Value = serde_json::from_str(benchmark_json).context("benchmark.json")?;
    let est: Value = serde_json::from_str(estimates_json).context("estimates.json")?;
    let field = |key: &str| -> Result<String> {
        id.get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .with_context(|| format!("benchmark.json has no string `{key}`"))
    };
    let nanos = est
        .pointer("/median/point_estimate")
        .and_then(Value::as_f64)
        .context("estimates.json has no median.point_estimate")?;
    Ok(Estimate {
        phase: field("group_id")?,
        bench: field("function_id")?,
        runtime: field("value_str")?,
        nanos,
    })
}

/// Every estimate below `criterion_dir` from the run named `which`
/// (`new` for the latest, or a `--save-baseline` name), sorted.
pub fn collect(criterion_dir: &Path, which: &str) -> Result<Vec<Estimate>> {
    let mut out = Vec::new();
    let mut stack = vec![criterion_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == which) {
                let (b, e) = (path.join("benchmark.json"), path.join("estimates.json"));
                if b.is_file() && e.is_file() {
                    let read = |p: &Path| {
                        std::fs::read_to_string(p)
                            .with_context(|| format!("reading {}", p.display()))
                    };
                    out.push(
                        parse_estimate(&read(&b)?, &read(&e)?)
                            .with_context(|| format!("in {}", path.display()))?,
                    );
                }
            } else {
                stack.push(path);
            }
        }
    }
    out.sort_by(|a, b| (&a.phase, &a.bench, &a.runtime).cmp(&(&b.phase, &b.bench, &b.runtime)));
    Ok(out)
}

/// One phase and benchmark: the median time per runtime (`RUNTIMES`
/// order), `None` where that runtime has no estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub phase: String,
    pub bench: String,
    pub nanos: [Option<f64>; 3],
}

impl Row {
    /// Kiln's time over the peer's (`peer` = 1 for wasmtime, 2 for wasmi).
    pub fn ratio(&self, peer: usize) -> Option<f64> {
        Some(self.nanos[0]? / self.nanos[peer]?)
    }
}

/// Group estimates into rows, sorted by phase then benchmark. Estimates of
/// other runtimes are ignored.
pub fn rows(estimates: &[Estimate]) -> Vec<Row> {
    let mut map: BTreeMap<(String, String), [Option<f64>; 3]> = BTreeMap::new();
    for e in estimates {
        let Some(i) = RUNTIMES.iter().position(|r| *r == e.runtime) else {
            continue;
        };
        map.entry((e.phase.clone(), e.bench.clone())).or_default()[i] = Some(e.nanos);
    }
    map.into_iter()
        .map(|((phase, bench), nanos)| Row {
            phase,
            bench,
            nanos,
        })
        .collect()
}

/// The geometric mean, or `None` for no values.
pub fn geomean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + v.ln(), n + 1));
    (n > 0).then(|| (sum / n as f64).exp())
}

/// The geometric means of Kiln ÷ wasmtime and Kiln ÷ wasmi, each with the
/// number of benchmarks it covers.
pub type Geomeans = [Option<(f64, usize)>; 2];

/// Per phase: the geometric mean of Kiln ÷ wasmtime and of Kiln ÷ wasmi
/// over the rows that have both times, and how many rows each covers.
pub fn summaries(rows: &[Row]) -> Vec<(String, Geomeans)> {
    let mut phases: Vec<&str> = rows.iter().map(|r| r.phase.as_str()).collect();
    phases.dedup();
    phases
        .into_iter()
        .map(|phase| {
            let per = |peer| {
                let ratios: Vec<f64> = rows
                    .iter()
                    .filter(|r| r.phase == phase)
                    .filter_map(|r| r.ratio(peer))
                    .collect();
                geomean(ratios.iter().copied()).map(|g| (g, ratios.len()))
            };
            (phase.to_string(), [per(1), per(2)])
        })
        .collect()
}

/// A time in the unit that suits it.
pub fn format_time(nanos: f64) -> String {
    if nanos < 1e3 {
        format!("{nanos:.1} ns")
    } else if nanos < 1e6 {
        format!("{:.2} µs", nanos / 1e3)
    } else if nanos < 1e9 {
        format!("{:.2} ms", nanos / 1e6)
    } else {
        format!("{:.3} s", nanos / 1e9)
    }
}

fn cell(v: Option<String>) -> String {
    v.unwrap_or_else(|| "—".to_string())
}

/// The Markdown report: the geometric means per phase, then every row.
pub fn markdown(rows: &[Row]) -> String {
    let mut s = String::new();
    let ratio = |v: Option<f64>| cell(v.map(|r| format!("{r:.2}")));
    s.push_str("| phase | Kiln ÷ wasmtime (geomean) | Kiln ÷ wasmi (geomean) | benchmarks |\n");
    s.push_str("|---|---:|---:|---:|\n");
    for (phase, [wt, wi]) in summaries(rows) {
        let n = rows.iter().filter(|r| r.phase == phase).count();
        let _ = writeln!(
            s,
            "| {phase} | {} | {} | {n} |",
            ratio(wt.map(|x| x.0)),
            ratio(wi.map(|x| x.0))
        );
    }
    s.push('\n');
    s.push_str(
        "| phase | benchmark | Kiln | wasmtime | wasmi | Kiln ÷ wasmtime | Kiln ÷ wasmi |\n",
    );
    s.push_str("|---|---|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let t = |i: usize| cell(r.nanos[i].map(format_time));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.phase,
            r.bench,
            t(0),
            t(1),
            t(2),
            ratio(r.ratio(1)),
            ratio(r.ratio(2))
        );
    }
    s.push_str(
        "\nTimes are criterion's median per iteration; ratios are Kiln's time over the peer's \
         (below 1: Kiln is faster; for compile, the inverse of the throughput ratio).\n",
    );
    s
}

/// One benchmark of an engine run in another configuration: its time
/// over the same engine's default run.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantRow {
    pub phase: String,
    pub bench: String,
    /// The variant's runtime id, `<engine>-<variant>`.
    pub variant: String,
    pub ratio: f64,
}

/// Every estimate whose runtime is `<engine>-<variant>` for an engine of
/// [`RUNTIMES`] that has an estimate of its own on the same phase and
/// benchmark, as a ratio to it; sorted by phase, variant, benchmark.
pub fn variant_rows(estimates: &[Estimate]) -> Vec<VariantRow> {
    let base = |e: &Estimate| {
        RUNTIMES.iter().find(|r| {
            e.runtime
                .strip_prefix(*r)
                .is_some_and(|v| v.starts_with('-'))
        })
    };
    let mut out: Vec<VariantRow> = estimates
        .iter()
        .filter_map(|e| {
            let engine = base(e)?;
            let plain = estimates
                .iter()
                .find(|p| p.phase == e.phase && p.bench == e.bench && p.runtime == *engine)?;
            Some(VariantRow {
                phase: e.phase.clone(),
                bench: e.bench.clone(),
                variant: e.runtime.clone(),
                ratio: e.nanos / plain.nanos,
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.phase, &a.variant, &a.bench).cmp(&(&b.phase, &b.variant, &b.bench)));
    out
}

/// The variants' table: per phase and variant the geometric mean of its
/// ratios, then each benchmark's. Empty without variants.
pub fn variants_markdown(rows: &[VariantRow]) -> String {
    let mut s = String::new();
    if rows.is_empty() {
        return s;
    }
    s.push_str("\n| phase | variant ÷ default | geomean | benchmarks |\n|---|---|---:|---:|\n");
    let mut keys: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.phase.as_str(), r.variant.as_str()))
        .collect();
    keys.dedup();
    for (phase, variant) in keys {
        let ratios: Vec<f64> = rows
            .iter()
            .filter(|r| r.phase == phase && r.variant == variant)
            .map(|r| r.ratio)
            .collect();
        let engine = variant.split('-').next().unwrap_or(variant);
        let g = geomean(ratios.iter().copied()).unwrap_or(f64::NAN);
        let _ = writeln!(
            s,
            "| {phase} | {variant} ÷ {engine} | {g:.3} | {} |",
            ratios.len()
        );
    }
    s.push_str("\n| phase | benchmark | variant | ratio |\n|---|---|---|---:|\n");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.3} |",
            r.phase, r.bench, r.variant, r.ratio
        );
    }
    s
}

/// Two runtimes side by side (e.g. `kiln-explicit` against
/// `kiln-explicit-nospectre`, a Kiln configuration against another): one
/// row per phase and benchmark both ran, with both medians and `a ÷ b`,
/// then each phase's geometric mean of the ratios. `None` if no benchmark
/// has both.
pub fn pair_markdown(estimates: &[Estimate], a: &str, b: &str) -> Option<String> {
    let mut pairs: BTreeMap<(&str, &str), [Option<f64>; 2]> = BTreeMap::new();
    for e in estimates {
        let i = match e.runtime.as_str() {
            r if r == a => 0,
            r if r == b => 1,
            _ => continue,
        };
        pairs.entry((&e.phase, &e.bench)).or_default()[i] = Some(e.nanos);
    }
    let rows: Vec<(&str, &str, f64, f64)> = pairs
        .into_iter()
        .filter_map(|((phase, bench), [x, y])| Some((phase, bench, x?, y?)))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mut s = format!("| phase | {a} ÷ {b} (geomean) | benchmarks |\n|---|---:|---:|\n");
    let mut phases: Vec<&str> = rows.iter().map(|r| r.0).collect();
    phases.dedup();
    for phase in phases {
        let ratios: Vec<f64> = rows
            .iter()
            .filter(|r| r.0 == phase)
            .map(|r| r.2 / r.3)
            .collect();
        let g = geomean(ratios.iter().copied()).unwrap_or(f64::NAN);
        let _ = writeln!(s, "| {phase} | {g:.3} | {} |", ratios.len());
    }
    let _ = write!(
        s,
        "\n| phase | benchmark | {a} | {b} | {a} ÷ {b} |\n|---|---|---:|---:|---:|\n"
    );
    for (phase, bench, x, y) in rows {
        let _ = writeln!(
            s,
            "| {phase} | {bench} | {} | {} | {:.3} |",
            format_time(x),
            format_time(y),
            x / y
        );
    }
    s.push_str("\nTimes are criterion's median per iteration; above 1: the first is slower.\n");
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate_json(phase: &str, bench: &str, runtime: &str, median: f64) -> (String, String) {
        let b = format!(
            r#"{{"group_id":"{phase}","function_id":"{bench}","value_str":"{runtime}",
                "throughput":null,"full_id":"{phase}/{bench}/{runtime}",
                "directory_name":"{phase}/{bench}/{runtime}","title":"{phase}/{bench}/{runtime}"}}"#
        );
        let e = format!(
            r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0}},"point_estimate":2.0,"standard_error":0.1}},
                "median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0}},"point_estimate":{median},"standard_error":0.1}},
                "median_abs_dev":null,"slope":null,"std_dev":null}}"#
        );
        (b, e)
    }

    /// Parse `estimates` (phase, bench, runtime, median ns) through the
    /// JSON path and check the rows' ratios and each phase's geomeans.
    #[allow(clippy::type_complexity)]
    fn check(
        estimates: &[(&str, &str, &str, f64)],
        want_rows: &[(&str, &str, Option<f64>, Option<f64>)],
        want_geomeans: &[(&str, Option<f64>, Option<f64>)],
    ) {
        let parsed: Vec<Estimate> = estimates
            .iter()
            .map(|&(p, b, r, m)| {
                let (bj, ej) = estimate_json(p, b, r, m);
                parse_estimate(&bj, &ej).unwrap()
            })
            .collect();
        let rows = rows(&parsed);
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9 * b.abs().max(1.0),
            (None, None) => true,
            _ => false,
        };
        assert_eq!(rows.len(), want_rows.len(), "rows: {rows:?}");
        for (row, &(phase, bench, wt, wi)) in rows.iter().zip(want_rows) {
            assert_eq!((row.phase.as_str(), row.bench.as_str()), (phase, bench));
            assert!(
                close(row.ratio(1), wt),
                "{row:?}: Kiln ÷ wasmtime, want {wt:?}"
            );
            assert!(
                close(row.ratio(2), wi),
                "{row:?}: Kiln ÷ wasmi, want {wi:?}"
            );
        }
        let sums = summaries(&rows);
        assert_eq!(sums.len(), want_geomeans.len(), "summaries: {sums:?}");
        for ((phase, [wt, wi]), &(want_phase, want_wt, want_wi)) in sums.iter().zip(want_geomeans) {
            assert_eq!(phase, want_phase);
            assert!(
                close(wt.map(|x| x.0), want_wt),
                "{phase}: geomean ÷ wasmtime {wt:?}"
            );
            assert!(
                close(wi.map(|x| x.0), want_wi),
                "{phase}: geomean ÷ wasmi {wi:?}"
            );
        }
    }

    #[test]
    fn ratios_and_geomeans() {
        // Two benches: ratios 2 and 0.5 to wasmtime, geomean 1.
        check(
            &[
                ("execute", "a", "kiln", 200.0),
                ("execute", "a", "wasmtime", 100.0),
                ("execute", "a", "wasmi", 1000.0),
                ("execute", "b", "kiln", 50.0),
                ("execute", "b", "wasmtime", 100.0),
                ("execute", "b", "wasmi", 500.0),
            ],
            &[
                ("execute", "a", Some(2.0), Some(0.2)),
                ("execute", "b", Some(0.5), Some(0.1)),
            ],
            &[("execute", Some(1.0), Some((0.2f64 * 0.1).sqrt()))],
        );
    }

    #[test]
    fn missing_runtimes_and_phases() {
        // Kiln only (no peers): no ratios; a peer-only bench (Kiln lacks
        // the feature): no ratio; unknown runtimes are ignored; phases sort.
        check(
            &[
                ("instantiate", "x", "kiln", 10.0),
                ("execute", "splay", "wasmtime", 10.0),
                ("execute", "y", "kiln", 30.0),
                ("execute", "y", "wasmtime", 10.0),
                ("execute", "y", "v8", 1.0),
            ],
            &[
                ("execute", "splay", None, None),
                ("execute", "y", Some(3.0), None),
                ("instantiate", "x", None, None),
            ],
            &[("execute", Some(3.0), None), ("instantiate", None, None)],
        );
    }

    #[test]
    fn collect_walks_the_criterion_tree() {
        let root = std::env::temp_dir().join(format!("kiln-report-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (p, b, r, m, which) in [
            ("compile", "m", "kiln", 4.0, "new"),
            ("compile", "m", "wasmtime", 2.0, "new"),
            ("compile", "m", "kiln", 8.0, "main"),
        ] {
            let dir = root.join(p).join(b).join(r).join(which);
            std::fs::create_dir_all(&dir).unwrap();
            let (bj, ej) = estimate_json(p, b, r, m);
            std::fs::write(dir.join("benchmark.json"), bj).unwrap();
            std::fs::write(dir.join("estimates.json"), ej).unwrap();
        }
        std::fs::create_dir_all(root.join("report")).unwrap();
        let new = collect(&root, "new").unwrap();
        let main = collect(&root, "main").unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(new.len(), 2);
        assert_eq!(rows(&new)[0].ratio(1), Some(2.0));
        assert_eq!(main.len(), 1);
        assert_eq!(main[0].nanos, 8.0);
    }

    #[test]
    fn pairs_of_runtimes() {
        let parsed: Vec<Estimate> = [
            ("execute", "a", "kiln-x", 110.0),
            ("execute", "a", "kiln-y", 100.0),
            ("execute", "b", "kiln-x", 90.0),
            ("execute", "b", "kiln-y", 100.0),
            ("execute", "c", "kiln-x", 5.0),
            ("execute", "c", "kiln", 1.0),
        ]
        .iter()
        .map(|&(p, b, r, m)| {
            let (bj, ej) = estimate_json(p, b, r, m);
            parse_estimate(&bj, &ej).unwrap()
        })
        .collect();
        let md = pair_markdown(&parsed, "kiln-x", "kiln-y").unwrap();
        // `c` lacks kiln-y: left out; geomean of 1.1 and 0.9.
        let g = (1.1f64 * 0.9).sqrt();
        assert!(md.contains(&format!("| execute | {g:.3} | 2 |")), "{md}");
        assert!(
            md.contains("| execute | a | 110.0 ns | 100.0 ns | 1.100 |"),
            "{md}"
        );
        assert!(!md.contains("| c |"), "{md}");
        assert_eq!(pair_markdown(&parsed, "kiln-x", "wasmtime"), None);
    }

    #[test]
    fn bad_json_is_an_error() {
        let (b, _) = estimate_json("p", "b", "kiln", 1.0);
        assert!(parse_estimate(&b, "{}").is_err());
        assert!(parse_estimate("{", "{}").is_err());
    }

    #[test]
    fn variants_are_ratios_to_their_engine() {
        let estimates: Vec<Estimate> = [
            ("execute", "a", "kiln", 100.0),
            ("execute", "a", "kiln-epochs", 104.0),
            ("execute", "b", "kiln", 50.0),
            ("execute", "b", "kiln-epochs", 52.0),
            ("execute", "a", "wasmtime", 80.0),
            ("execute", "a", "wasmtime-epochs", 88.0),
            // No default run of the engine: no ratio.
            ("execute", "c", "kiln-epochs", 1.0),
            // Not an engine of the table.
            ("execute", "a", "v8-epochs", 1.0),
        ]
        .iter()
        .map(|&(p, b, r, m)| {
            let (bj, ej) = estimate_json(p, b, r, m);
            parse_estimate(&bj, &ej).unwrap()
        })
        .collect();
        let rows = variant_rows(&estimates);
        let got: Vec<(&str, &str, f64)> = rows
            .iter()
            .map(|r| (r.bench.as_str(), r.variant.as_str(), r.ratio))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "kiln-epochs", 1.04),
                ("b", "kiln-epochs", 1.04),
                ("a", "wasmtime-epochs", 1.1),
            ]
        );
        let md = variants_markdown(&rows);
        assert!(
            md.contains("| execute | kiln-epochs ÷ kiln | 1.040 | 2 |"),
            "{md}"
        );
        assert!(
            md.contains("| execute | a | wasmtime-epochs | 1.100 |"),
            "{md}"
        );
        assert_eq!(variants_markdown(&[]), "");
    }

    #[test]
    fn markdown_has_the_rows_and_dashes() {
        let rows = vec![Row {
            phase: "execute".into(),
            bench: "fib".into(),
            nanos: [Some(1.5e6), Some(1.0e6), None],
        }];
        let md = markdown(&rows);
        assert!(
            md.contains("| execute | fib | 1.50 ms | 1.00 ms | — | 1.50 | — |"),
            "{md}"
        );
        assert!(md.contains("| execute | 1.50 | — | 1 |"), "{md}");
    }
}
