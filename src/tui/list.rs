//! Which profiles the list shows, which one is selected, and which slice of
//! them fits on screen.
//!
//! The filtered index list is kept here and rebuilt only when the filter or
//! the profiles change, so drawing never walks every profile.

/// The list's view of the profiles. Positions are indices into
/// [`ProfileList::visible`]; row indices are indices into the App's rows.
#[derive(Debug, Default)]
pub struct ProfileList {
    filter: String,
    /// Row indices that match the filter, in display order.
    visible: Vec<usize>,
    /// Position of the selected row in `visible` (0 when empty).
    selected: usize,
    /// Position of the first row drawn.
    offset: usize,
    /// How many rows fit on screen; at least 1.
    height: usize,
}

impl ProfileList {
    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    /// Position of the selected row among the visible ones.
    pub fn selected_position(&self) -> usize {
        self.selected
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The selected row index, if any row is visible.
    pub fn selected_row(&self) -> Option<usize> {
        self.visible.get(self.selected).copied()
    }

    pub fn set_filter(&mut self, filter: String) {
        self.filter = filter;
    }

    /// Recomputes the visible rows from every row's name, in row order.
    /// Keeps `prefer` selected when it is still visible; otherwise keeps the
    /// position, clamped to the new length.
    pub fn rebuild<'a>(&mut self, names: impl Iterator<Item = &'a str>, prefer: Option<usize>) {
        self.rebuild_with(names, |_| true, |_| (), prefer);
    }

    /// As `rebuild`, showing only the rows `keep` accepts (besides the
    /// name filter), ordered by `key` (rows with equal keys stay in row
    /// order).
    pub fn rebuild_with<'a, K: Ord>(
        &mut self,
        names: impl Iterator<Item = &'a str>,
        keep: impl Fn(usize) -> bool,
        key: impl Fn(usize) -> K,
        prefer: Option<usize>,
    ) {
        let needle = self.filter.to_lowercase();
        self.visible = names
            .enumerate()
            .filter(|(_, name)| needle.is_empty() || name.to_lowercase().contains(&needle))
            .map(|(index, _)| index)
            .filter(|&index| keep(index))
            .collect();
        self.visible.sort_by_cached_key(|&index| key(index));
        match prefer.and_then(|row| self.visible.iter().position(|&i| i == row)) {
            Some(position) => self.selected = position,
            None => self.selected = self.selected.min(self.visible.len().saturating_sub(1)),
        }
        self.scroll_to_selection();
    }

    /// The number of rows the list can show, from the layout.
    pub fn set_height(&mut self, height: usize) {
        self.height = height.max(1);
        self.scroll_to_selection();
    }

    pub fn page(&self) -> usize {
        self.height.max(1)
    }

    /// Moves the selection by `delta` positions, stopping at either end.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.scroll_to_selection();
    }

    pub fn select_first(&mut self) {
        self.select_position(0);
    }

    pub fn select_last(&mut self) {
        self.select_position(usize::MAX);
    }

    /// Selects a position, clamped to the visible rows.
    pub fn select_position(&mut self, position: usize) {
        self.selected = position.min(self.visible.len().saturating_sub(1));
        self.scroll_to_selection();
    }

    /// Keeps the selection inside the drawn window, and the window full.
    fn scroll_to_selection(&mut self) {
        let height = self.height.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset.saturating_add(height) {
            self.offset = self.selected.saturating_add(1).saturating_sub(height);
        }
        // After the list shrank, pull the window up so it does not end in blank rows.
        self.offset = self.offset.min(self.visible.len().saturating_sub(height));
    }
}

/// The first position to draw so that `selected` is inside a window of
/// `height` rows starting near `offset`. The view uses it in case the
/// screen it draws on differs from the size the App last heard of.
pub fn window_start(offset: usize, selected: usize, height: usize, len: usize) -> usize {
    let height = height.max(1);
    let start = if selected < offset {
        selected
    } else if selected >= offset.saturating_add(height) {
        selected.saturating_add(1).saturating_sub(height)
    } else {
        offset
    };
    start.min(len.saturating_sub(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[&str], height: usize) -> ProfileList {
        let mut list = ProfileList::default();
        list.set_height(height);
        list.rebuild(names.iter().copied(), None);
        list
    }

    #[test]
    fn filter_is_a_case_insensitive_substring() {
        let names = ["alpha", "beta", "Alpaca", "gamma"];
        let mut l = list(&names, 10);
        l.set_filter("AL".into());
        l.rebuild(names.iter().copied(), None);
        assert_eq!(l.visible(), [0, 2]);
    }

    #[test]
    fn rebuild_keeps_the_preferred_row_or_clamps() {
        let names = ["a1", "b1", "a2", "a3"];
        let mut l = list(&names, 10);
        l.select_position(3);
        l.set_filter("a".into());
        l.rebuild(names.iter().copied(), Some(3));
        assert_eq!(l.selected_row(), Some(3));
        l.set_filter("b".into());
        l.rebuild(names.iter().copied(), Some(3));
        assert_eq!(l.selected_row(), Some(1));
        l.set_filter("zzz".into());
        l.rebuild(names.iter().copied(), Some(1));
        assert_eq!(l.selected_row(), None);
        assert_eq!(l.selected_position(), 0);
    }

    #[test]
    fn rebuild_with_orders_and_keeps_the_same_row_selected() {
        let names = ["a", "b", "c", "d"];
        let left = [30, 10, 20, 10];
        let mut l = list(&names, 10);
        l.select_position(2); // c
        l.rebuild_with(names.iter().copied(), |_| true, |i| left[i], Some(2));
        assert_eq!(l.visible(), [1, 3, 2, 0], "ties stay in name order");
        assert_eq!(l.selected_row(), Some(2));
        assert_eq!(l.selected_position(), 2);
        // c is left out: the position stays, on what is now there.
        l.rebuild_with(names.iter().copied(), |i| i != 2, |i| left[i], Some(2));
        assert_eq!(l.visible(), [1, 3, 0]);
        assert_eq!(l.selected_row(), Some(0));
        l.rebuild_with(names.iter().copied(), |i| i == 9, |i| left[i], Some(0));
        assert_eq!(l.selected_row(), None);
    }

    #[test]
    fn window_follows_the_selection() {
        let names: Vec<String> = (0..20).map(|i| format!("p{i:02}")).collect();
        let mut l = ProfileList::default();
        l.set_height(5);
        l.rebuild(names.iter().map(String::as_str), None);
        l.move_by(7);
        assert_eq!((l.selected_position(), l.offset()), (7, 3));
        l.move_by(-5);
        assert_eq!((l.selected_position(), l.offset()), (2, 2));
        l.select_last();
        assert_eq!((l.selected_position(), l.offset()), (19, 15));
        l.move_by(100);
        assert_eq!(l.selected_position(), 19);
        l.move_by(-100);
        assert_eq!((l.selected_position(), l.offset()), (0, 0));
    }

    #[test]
    fn window_start_clamps_for_any_input() {
        assert_eq!(window_start(0, 0, 0, 0), 0);
        assert_eq!(window_start(10, 2, 5, 20), 2);
        assert_eq!(window_start(0, 9, 5, 20), 5);
        assert_eq!(window_start(18, 19, 5, 20), 15);
        assert_eq!(window_start(usize::MAX, usize::MAX, usize::MAX, 3), 0);
    }
}
