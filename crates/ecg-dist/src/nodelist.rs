//! SLURM's compressed host lists (`SLURM_JOB_NODELIST`): `gpu[01-04,07],cpu3`,
//! `rack[1-2]-n[01-02]`. Zero padding of a range is kept (`gpu[08-10]` → gpu08, gpu09, gpu10).

/// The first host of a list, without expanding the rest.
pub fn first_host(list: &str) -> Result<String, String> {
    let first = split_top_level(list)?
        .into_iter()
        .next()
        .ok_or_else(|| "the node list is empty".to_owned())?;
    Ok(expand_host(&first)?.into_iter().next().unwrap_or_default())
}

/// Every host of a list, in order.
pub fn expand_nodelist(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in split_top_level(list)? {
        out.extend(expand_host(&item)?);
    }
    Ok(out)
}

/// Splits at commas outside brackets.
fn split_top_level(list: &str) -> Result<Vec<String>, String> {
    let (mut items, mut cur, mut depth) = (Vec::new(), String::new(), 0usize);
    for c in list.trim().chars() {
        match c {
            '[' if depth > 0 => return Err(format!("nested '[' in node list {list:?}")),
            '[' => depth = 1,
            ']' if depth == 0 => return Err(format!("unbalanced ']' in node list {list:?}")),
            ']' => depth = 0,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if depth != 0 {
        return Err(format!("unclosed '[' in node list {list:?}"));
    }
    items.push(cur);
    if items.iter().any(|i| i.trim().is_empty()) {
        return Err(format!("empty host name in node list {list:?}"));
    }
    Ok(items.into_iter().map(|i| i.trim().to_owned()).collect())
}

/// One host pattern with any number of bracket groups → its hosts (cartesian product).
fn expand_host(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        return Ok(vec![pattern.to_owned()]);
    };
    let close = open
        + pattern[open..]
            .find(']')
            .ok_or_else(|| format!("unclosed '[' in {pattern:?}"))?;
    let (prefix, body, rest) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let tails = expand_host(rest)?;
    let mut out = Vec::new();
    for value in expand_ranges(body).map_err(|e| format!("{e} in {pattern:?}"))? {
        for tail in &tails {
            out.push(format!("{prefix}{value}{tail}"));
        }
    }
    Ok(out)
}

/// `01-04,07` → 01, 02, 03, 04, 07 (width of the range's start kept).
fn expand_ranges(body: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for part in body.split(',') {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(lo) || !digits(hi) {
            return Err(format!("bad range {part:?}"));
        }
        let (a, b): (u64, u64) = (
            lo.parse().map_err(|_| format!("bad range {part:?}"))?,
            hi.parse().map_err(|_| format!("bad range {part:?}"))?,
        );
        if b < a {
            return Err(format!("descending range {part:?}"));
        }
        for v in a..=b {
            out.push(format!("{v:0width$}", width = lo.len()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_hosts_of_every_form() {
        let cases = [
            ("node7", "node7"),
            ("gpu[01-04,07],cpu3", "gpu01"),
            ("cpu3,gpu[01-04]", "cpu3"),
            ("rack[2-3]-n[08-10]", "rack2-n08"),
            ("a[5]", "a5"),
            (" n1 ", "n1"),
            ("gpu-[003-004]-ib", "gpu-003-ib"),
        ];
        for (list, want) in cases {
            assert_eq!(first_host(list).expect(list), want, "{list}");
        }
    }

    #[test]
    fn expands_ranges_keeping_padding() {
        assert_eq!(
            expand_nodelist("gpu[01-03,07],cpu3").expect("list"),
            ["gpu01", "gpu02", "gpu03", "gpu07", "cpu3"]
        );
        assert_eq!(
            expand_nodelist("n[08-10]").expect("list"),
            ["n08", "n09", "n10"]
        );
        assert_eq!(
            expand_nodelist("r[1-2]-n[1-2]").expect("list"),
            ["r1-n1", "r1-n2", "r2-n1", "r2-n2"]
        );
    }

    #[test]
    fn malformed_lists_are_errors() {
        for bad in [
            "",
            "gpu[01-04",
            "gpu]01",
            "gpu[a-b]",
            "gpu[4-1]",
            "gpu[]",
            "a,,b",
            "g[1[2]]",
        ] {
            assert!(first_host(bad).is_err(), "{bad:?} accepted");
        }
    }
}
