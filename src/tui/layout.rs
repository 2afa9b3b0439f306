//! Where each pane goes for a terminal size. Shared by the view (to draw)
//! and the App (to page by the list's height and to hit-test mouse clicks),
//! so both always agree.

use ratatui::layout::{Margin, Rect};

/// Below this the screen says it is too small instead of drawing panes.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;
/// From this width on, list and details sit side by side.
pub const TWO_COLUMNS_FROM: u16 = 80;

/// The panes of the main screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Panes {
    /// The list's bordered block.
    pub list: Rect,
    /// The column headings inside the list.
    pub list_header: Rect,
    /// One line per profile, below the headings.
    pub list_rows: Rect,
    /// The details' bordered block.
    pub details: Rect,
    /// The one-line status bar at the bottom.
    pub status: Rect,
}

/// The panes for a screen of `area`, or `None` when it is too small to draw them.
pub fn panes(area: Rect) -> Option<Panes> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let body = Rect {
        height: area.height - 1,
        ..area
    };
    let status = Rect {
        y: body.bottom(),
        height: 1,
        ..area
    };
    let (list, details) = if area.width >= TWO_COLUMNS_FROM {
        // Wide enough for the time-left bars (and scopes, on wide screens).
        let list_width = (area.width / 2).clamp(40, 64);
        let list = Rect {
            width: list_width,
            ..body
        };
        let details = Rect {
            x: body.x + list_width,
            width: body.width - list_width,
            ..body
        };
        (list, details)
    } else {
        // One column: a short list on top, details below.
        let list_height = (body.height * 2 / 5).max(4);
        let list = Rect {
            height: list_height,
            ..body
        };
        let details = Rect {
            y: body.y + list_height,
            height: body.height - list_height,
            ..body
        };
        (list, details)
    };
    // Border plus one column of padding on each side.
    let inner = list.inner(Margin::new(2, 1));
    let list_header = Rect { height: 1, ..inner };
    let list_rows = Rect {
        y: inner.y + 1,
        height: inner.height.saturating_sub(1),
        ..inner
    };
    Some(Panes {
        list,
        list_header,
        list_rows,
        details,
        status,
    })
}

/// How many profile rows fit in the list for a terminal of this size.
pub fn list_height(width: u16, height: u16) -> usize {
    panes(Rect::new(0, 0, width, height)).map_or(1, |p| usize::from(p.list_rows.height.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_sizes_give_no_panes() {
        for (w, h) in [(0, 0), (1, 1), (39, 30), (120, 9), (20, 5)] {
            assert_eq!(panes(Rect::new(0, 0, w, h)), None, "{w}x{h}");
        }
    }

    #[test]
    fn two_columns_from_80_one_below() {
        let wide = panes(Rect::new(0, 0, 80, 24)).expect("fits");
        assert_eq!(wide.list.y, wide.details.y);
        assert_eq!(wide.list.right(), wide.details.x);
        assert_eq!(wide.details.right(), 80);
        assert_eq!(wide.status, Rect::new(0, 23, 80, 1));
        let narrow = panes(Rect::new(0, 0, 79, 24)).expect("fits");
        assert_eq!(narrow.list.bottom(), narrow.details.y);
        assert_eq!(narrow.details.bottom(), 23);
    }

    #[test]
    fn every_size_keeps_panes_inside_the_screen() {
        for w in 0..130 {
            for h in 0..45 {
                let area = Rect::new(0, 0, w, h);
                if let Some(p) = panes(area) {
                    for r in [p.list, p.list_header, p.list_rows, p.details, p.status] {
                        assert_eq!(r.intersection(area), r, "{w}x{h}");
                    }
                    assert!(p.list_rows.height >= 1, "{w}x{h}");
                }
                assert!(list_height(w, h) >= 1);
            }
        }
    }
}
