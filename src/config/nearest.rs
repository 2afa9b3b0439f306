//! "Did you mean": the configured names nearest to a name that is not one,
//! by edit distance (a transposition counts as one edit, as in `prdo`).

/// The names nearest to `wanted`, sorted: every one at the smallest
/// distance found, if that distance is small for the name's length (a
/// third of it, at least 1, and less than all of it), and at most `MAX`. A name that differs only
/// in case is always nearest.
pub fn nearest<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    const MAX: usize = 3;
    let wanted_lower = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(1);
    let mut best = usize::MAX;
    let mut found: Vec<&str> = Vec::new();
    for name in names {
        if name.chars().count().abs_diff(wanted.chars().count()) > limit {
            continue;
        }
        let distance = if name.to_lowercase() == wanted_lower {
            0
        } else {
            distance(&wanted_lower, &name.to_lowercase())
        };
        // A name with every letter changed is not a near one (`b` for `a`).
        if distance > limit || distance >= wanted.chars().count() || distance > best {
            continue;
        }
        if distance < best {
            best = distance;
            found.clear();
        }
        found.push(name);
    }
    found.sort_unstable();
    found.dedup();
    found.truncate(MAX);
    found
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of two neighbours, each one edit.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: the one before the previous (for swaps), the previous, this.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// `did you mean prod? `, or `... prod-eu or prod-us? `; empty when none is near.
pub fn did_you_mean(wanted: &str, names: &[String]) -> String {
    let near = nearest(wanted, names.iter().map(String::as_str));
    match near.as_slice() {
        [] => String::new(),
        [one] => format!("did you mean {one}? "),
        [first @ .., last] => format!("did you mean {} or {last}? ", first.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_swaps_and_case_count_as_near() {
        assert_eq!(distance("prod", "prod"), 0);
        assert_eq!(distance("prdo", "prod"), 1);
        assert_eq!(distance("prd", "prod"), 1);
        assert_eq!(distance("prods", "prod"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        let names = ["dev", "prod", "prod-eu", "staging"];
        assert_eq!(nearest("prdo", names), ["prod"]);
        assert_eq!(nearest("PROD", names), ["prod"]);
        assert_eq!(nearest("stagin", names), ["staging"]);
        assert!(nearest("zzz", names).is_empty(), "nothing near is suggested");
        assert!(
            nearest("qa", names).is_empty(),
            "two edits in a short name are too many"
        );
        assert!(nearest("b", ["a"]).is_empty(), "nothing in common");
    }

    #[test]
    fn several_equally_near_names_are_all_given_sorted() {
        let names = ["prod4", "prod2", "prod3", "prod1", "dev"];
        assert_eq!(
            nearest("prod", names),
            ["prod1", "prod2", "prod3"],
            "at most three"
        );
        let owned: Vec<String> = ["prod-us", "prod-eu"].map(String::from).to_vec();
        assert_eq!(
            did_you_mean("prod-u", &owned),
            "did you mean prod-eu or prod-us? "
        );
        assert_eq!(did_you_mean("prod-uss", &owned), "did you mean prod-us? ");
        assert_eq!(did_you_mean("x", &owned), "");
    }
}
