//! A large countdown: digits from a 3×5 pixel font drawn with half blocks,
//! three lines tall.

/// Pixel rows of each glyph, top to bottom; bit 2 is the left column.
fn glyph(c: char) -> Option<&'static [u8; 5]> {
    Some(match c {
        '0' => &[0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => &[0b110, 0b010, 0b010, 0b010, 0b111],
        '2' => &[0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => &[0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => &[0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => &[0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => &[0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => &[0b111, 0b001, 0b001, 0b001, 0b001],
        '8' => &[0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => &[0b111, 0b101, 0b111, 0b001, 0b111],
        ':' => &[0b000, 0b010, 0b000, 0b010, 0b000],
        '-' => &[0b000, 0b000, 0b111, 0b000, 0b000],
        _ => return None,
    })
}

/// One terminal cell holding two pixel rows.
fn half_block(top: bool, bottom: bool) -> char {
    match (top, bottom) {
        (true, true) => '█',
        (true, false) => '▀',
        (false, true) => '▄',
        (false, false) => ' ',
    }
}

/// The three lines of `text` in big digits, glyphs one column apart; `None`
/// when it holds a character the font lacks.
pub fn render(text: &str) -> Option<[String; 3]> {
    let glyphs: Vec<&[u8; 5]> = text.chars().map(glyph).collect::<Option<_>>()?;
    let mut lines: [String; 3] = Default::default();
    for (n, rows) in glyphs.iter().enumerate() {
        // Colons are narrow: only their middle column.
        let columns: &[u8] = if text.chars().nth(n) == Some(':') {
            &[0b010]
        } else {
            &[0b100, 0b010, 0b001]
        };
        for (line_no, line) in lines.iter_mut().enumerate() {
            if n > 0 {
                line.push(' ');
            }
            let top = rows[line_no * 2];
            let bottom = rows.get(line_no * 2 + 1).copied().unwrap_or(0);
            for &bit in columns {
                line.push(half_block(top & bit != 0, bottom & bit != 0));
            }
        }
    }
    Some(lines)
}

/// Columns `render(text)` takes.
pub fn width(text: &str) -> usize {
    let chars = text.chars().count();
    let colons = text.chars().filter(|c| *c == ':').count();
    (chars * 3 + chars.saturating_sub(1)).saturating_sub(colons * 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_countdown_in_three_lines() {
        let lines = render("09:59").expect("known glyphs");
        assert_eq!(
            lines,
            [
                "█▀█ █▀█ ▄ █▀▀ █▀█".to_owned(),
                "█ █ ▀▀█ ▄ ▀▀█ ▀▀█".to_owned(),
                "▀▀▀ ▀▀▀   ▀▀▀ ▀▀▀".to_owned(),
            ]
        );
        assert_eq!(width("09:59"), lines[0].chars().count());
        assert_eq!(
            width("1:00:00"),
            render("1:00:00").map_or(0, |l| l[0].chars().count())
        );
        assert!(render("expired").is_none());
    }
}
