//! One way to build a Markdown table: [`Table`] (a header, then rows of cells) and the
//! number formats the cells use. Every table of the report is made with it.
use std::fmt;

#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are left empty, extra cells are a bug of the caller.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        let mut cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        debug_assert!(cells.len() <= self.header.len(), "{cells:?}");
        cells.resize(self.header.len(), String::new());
        self.rows.push(cells);
        self
    }
}

impl fmt::Display for Table {
    /// `| a | b |`, `|---|---|`, one line per row, then a blank line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |cells: &[String]| format!("| {} |", cells.join(" | "));
        writeln!(f, "{}", line(&self.header))?;
        writeln!(f, "|{}", "---|".repeat(self.header.len()))?;
        for r in &self.rows {
            writeln!(f, "{}", line(r))?;
        }
        writeln!(f)
    }
}

/// Three decimals, or `–` for a number that is not there.
pub fn num3(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{x:.3}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_and_pads_short_rows() {
        let mut t = Table::new(["a", "b"]);
        t.row(["1", "2"]).row([num3(Some(0.12345))]);
        assert_eq!(
            t.to_string(),
            "| a | b |\n|---|---|\n| 1 | 2 |\n| 0.123 |  |\n\n"
        );
        assert_eq!(num3(None), "–");
    }
}
