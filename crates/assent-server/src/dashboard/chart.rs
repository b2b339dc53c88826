//! Charts as inline SVG, drawn on the server: axes with tick labels, a legend, every value as a `<title>`
//! tooltip, and the same numbers in a table for screen readers. Colours come from CSS classes (`s1`…`s4`), so
//! the light and dark themes and the CSP (no inline style) hold.

use core::fmt::Write as _;

use super::html::Html;

/// One series of values, one per label.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// A value per label.
    pub values: Vec<f64>,
}

/// How the series are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A line per series.
    Lines,
    /// Bars stacked per label.
    Stacked,
    /// Bars side by side per label.
    Grouped,
}

/// A chart.
#[derive(Clone, Debug)]
pub struct Chart<'a> {
    /// Element id prefix (unique on the page).
    pub id: &'a str,
    /// Caption.
    pub title: &'a str,
    /// What the x positions are (`Day`, `Category`): the data table's first column header.
    pub axis: &'a str,
    /// One label per x position.
    pub labels: Vec<String>,
    /// The series.
    pub series: Vec<Series>,
    /// How to draw them.
    pub kind: Kind,
    /// Values are percentages (axis 0–100 %).
    pub percent: bool,
}

const W: f64 = 720.0;
const H: f64 = 240.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 44.0;

/// A round axis maximum at or above `max`.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// A value as text: integers without decimals, percentages with one.
pub fn format_value(v: f64, percent: bool) -> String {
    if percent {
        format!("{v:.1} %")
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl Chart<'_> {
    fn max(&self) -> f64 {
        if self.percent {
            return 100.0;
        }
        let max = match self.kind {
            Kind::Stacked => (0..self.labels.len())
                .map(|i| self.series.iter().map(|s| s.values[i]).sum::<f64>())
                .fold(0.0, f64::max),
            _ => self
                .series
                .iter()
                .flat_map(|s| s.values.iter().copied())
                .fold(0.0, f64::max),
        };
        nice_max(max)
    }

    /// Writes the figure: SVG, legend and data table.
    pub fn render(&self, h: &mut Html) {
        let max = self.max();
        let plot_w = W - LEFT - RIGHT;
        let plot_h = H - TOP - BOTTOM;
        let n = self.labels.len().max(1);
        let slot = plot_w / n as f64;
        let y = |v: f64| TOP + plot_h - (v / max * plot_h).clamp(0.0, plot_h);
        let title_id = format!("{}-title", self.id);
        h.open("figure", &[("class", "chart"), ("id", self.id)]);
        h.el("figcaption", &[], self.title);
        h.open(
            "svg",
            &[
                ("viewBox", &format!("0 0 {W} {H}")),
                ("role", "img"),
                ("aria-labelledby", &title_id),
                ("xmlns", "http://www.w3.org/2000/svg"),
            ],
        );
        h.el("title", &[("id", &title_id)], self.title);
        let mut svg = String::new();
        // Grid and y ticks.
        for i in 0..=4 {
            let v = max * f64::from(i) / 4.0;
            let yy = y(v);
            let _ = write!(
                svg,
                "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
                 <text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                W - RIGHT,
                LEFT - 6.0,
                yy + 4.0,
                super::html::escape(&format_value(v, self.percent))
            );
        }
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{:.1}\"/>\
             <line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
            TOP + plot_h,
            W - RIGHT,
            TOP + plot_h,
            TOP + plot_h
        );
        // X labels: at most 8, evenly spread.
        let every = n.div_ceil(8).max(1);
        for (i, label) in self.labels.iter().enumerate() {
            if i % every == 0 {
                let x = LEFT + slot * (i as f64 + 0.5);
                let _ = write!(
                    svg,
                    "<text class=\"tick\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    H - BOTTOM + 18.0,
                    super::html::escape(label)
                );
            }
        }
        h.raw(&svg);
        self.marks(h, slot, &y);
        h.close("svg");
        // Legend.
        h.open("ul", &[("class", "legend")]);
        for (k, s) in self.series.iter().enumerate() {
            h.open("li", &[])
                .open("span", &[("class", &format!("swatch s{}", k % 4 + 1))])
                .close("span")
                .text(&s.name)
                .close("li");
        }
        h.close("ul");
        self.table(h);
        h.close("figure");
    }

    fn marks(&self, h: &mut Html, slot: f64, y: &dyn Fn(f64) -> f64) {
        let mut svg = String::new();
        let tip = |label: &str, name: &str, v: f64| {
            super::html::escape(&format!(
                "{label}, {name}: {}",
                format_value(v, self.percent)
            ))
        };
        match self.kind {
            Kind::Lines => {
                for (k, s) in self.series.iter().enumerate() {
                    let class = format!("s{}", k % 4 + 1);
                    let points: Vec<String> = s
                        .values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| format!("{:.1},{:.1}", LEFT + slot * (i as f64 + 0.5), y(*v)))
                        .collect();
                    let _ = write!(
                        svg,
                        "<polyline class=\"line {class}\" points=\"{}\"/>",
                        points.join(" ")
                    );
                    for (i, v) in s.values.iter().enumerate() {
                        let _ = write!(
                            svg,
                            "<circle class=\"dot {class}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}</title></circle>",
                            LEFT + slot * (i as f64 + 0.5),
                            y(*v),
                            tip(&self.labels[i], &s.name, *v)
                        );
                    }
                }
            }
            Kind::Stacked => {
                let bar = (slot * 0.7).max(1.0);
                for i in 0..self.labels.len() {
                    let mut base = 0.0;
                    let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
                    for (k, s) in self.series.iter().enumerate() {
                        let v = s.values[i];
                        let (top, bottom) = (y(base + v), y(base));
                        let _ = write!(
                            svg,
                            "<rect class=\"bar s{}\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{:.1}\"><title>{}</title></rect>",
                            k % 4 + 1,
                            (bottom - top).max(0.0),
                            tip(&self.labels[i], &s.name, v)
                        );
                        base += v;
                    }
                }
            }
            Kind::Grouped => {
                let k_count = self.series.len().max(1) as f64;
                let bar = (slot * 0.8 / k_count).max(1.0);
                for i in 0..self.labels.len() {
                    for (k, s) in self.series.iter().enumerate() {
                        let v = s.values[i];
                        let x = LEFT + slot * i as f64 + slot * 0.1 + bar * k as f64;
                        let top = y(v);
                        let _ = write!(
                            svg,
                            "<rect class=\"bar s{}\" x=\"{x:.1}\" y=\"{top:.1}\" width=\"{bar:.1}\" height=\"{:.1}\"><title>{}</title></rect>",
                            k % 4 + 1,
                            (y(0.0) - top).max(0.0),
                            tip(&self.labels[i], &s.name, v)
                        );
                    }
                }
            }
        }
        h.raw(&svg);
    }

    fn table(&self, h: &mut Html) {
        h.open("details", &[("class", "data")])
            .el("summary", &[], &format!("Table: {}", self.title))
            .open("table", &[])
            .open("thead", &[])
            .open("tr", &[])
            .el("th", &[("scope", "col")], self.axis);
        for s in &self.series {
            h.el("th", &[("scope", "col")], &s.name);
        }
        h.close("tr").close("thead").open("tbody", &[]);
        for (i, label) in self.labels.iter().enumerate() {
            h.open("tr", &[]).el("th", &[("scope", "row")], label);
            for s in &self.series {
                h.el("td", &[], &format_value(s.values[i], self.percent));
            }
            h.close("tr");
        }
        h.close("tbody").close("table").close("details");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round_and_values_are_in_titles_and_table() {
        assert!((nice_max(7.0) - 10.0).abs() < 1e-9);
        assert!((nice_max(130.0) - 200.0).abs() < 1e-9);
        assert!((nice_max(0.0) - 1.0).abs() < 1e-9);
        let chart = Chart {
            id: "c",
            title: "Records <per> day",
            axis: "Day",
            labels: vec!["1 Dec".into(), "2 Dec".into()],
            series: vec![Series {
                name: "records".into(),
                values: vec![3.0, 12.0],
            }],
            kind: Kind::Lines,
            percent: false,
        };
        let mut h = Html::new();
        chart.render(&mut h);
        let out = h.finish();
        assert!(out.contains("<title>2 Dec, records: 12</title>"), "{out}");
        assert!(out.contains("<td>12</td>"));
        assert!(out.contains("Records &lt;per&gt; day"));
        assert!(!out.contains("style="));
    }
}
