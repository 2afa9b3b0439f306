//! Work over many items on two threads: `list` reads, checks and looks at
//! thousands of small files, each a few system calls, and this machine has
//! two cores.

/// `work` over `items`, its results in the order of `items`: on this thread
/// alone unless `two_threads`, else the second half on another thread. A
/// half whose thread panicked gives `lost` for each of its items (nothing
/// the callers do panics; the results stay in line with `items`).
pub fn in_halves<T: Sync, R: Send + Clone>(
    items: &[T],
    two_threads: bool,
    lost: R,
    work: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    if !two_threads {
        return work(items);
    }
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| work(second));
        let mut results = work(first);
        results.extend(other.join().unwrap_or_else(|_| vec![lost; second.len()]));
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_give_the_results_in_order() {
        let items: Vec<u32> = (0..101).collect();
        let double = |half: &[u32]| half.iter().map(|i| i * 2).collect::<Vec<_>>();
        let expected: Vec<u32> = (0..101).map(|i| i * 2).collect();
        assert_eq!(in_halves(&items, false, 0, double), expected);
        assert_eq!(in_halves(&items, true, 0, double), expected);
    }
}
