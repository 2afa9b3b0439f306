//! The bytes of a file the user gives wktui (the config file, an import
//! file or stdin) as text, in the encodings editors and shells write:
//! UTF-8 with or without a byte order mark, and UTF-16 (either byte order)
//! with one, which is what Windows PowerShell 5.1's `>` and `Out-File`
//! write. The mark is dropped, so that line and column numbers count from
//! the first character a person sees. Anything else is refused with its
//! line and how to save the file as UTF-8.

use std::path::{Path, PathBuf};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const UTF16_LE_BOM: &[u8] = b"\xFF\xFE";
const UTF16_BE_BOM: &[u8] = b"\xFE\xFF";

/// How a file's text was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8WithBom,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    /// The encoding a file's first bytes announce (UTF-8 when none does).
    pub fn announced_by(start: &[u8]) -> Encoding {
        if start.starts_with(UTF8_BOM) {
            Encoding::Utf8WithBom
        } else if start.starts_with(UTF16_LE_BOM) {
            Encoding::Utf16Le
        } else if start.starts_with(UTF16_BE_BOM) {
            Encoding::Utf16Be
        } else {
            Encoding::Utf8
        }
    }

    pub fn is_utf16(self) -> bool {
        matches!(self, Encoding::Utf16Le | Encoding::Utf16Be)
    }

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8WithBom => "UTF-8 with a byte order mark",
            Encoding::Utf16Le => "UTF-16 LE",
            Encoding::Utf16Be => "UTF-16 BE",
        }
    }
}

/// A file whose bytes are not text wktui reads.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} is not UTF-8 text: {why}; save it as UTF-8 (in PowerShell: `(Get-Content FILE) | Set-Content -Encoding utf8 FILE`; elsewhere: `iconv -f {from} -t utf-8 FILE > NEW`)",
    path.display()
)]
pub struct NotText {
    pub path: PathBuf,
    pub why: String,
    /// What the bytes most likely are, in iconv's words.
    pub from: &'static str,
}

/// `bytes` as text, without a byte order mark; `path` is for the message.
pub fn decode(bytes: Vec<u8>, path: &Path) -> Result<(String, Encoding), NotText> {
    let encoding = Encoding::announced_by(&bytes);
    let refuse = |why: String, from: &'static str| NotText {
        path: path.to_path_buf(),
        why,
        from,
    };
    let utf16 = if encoding == Encoding::Utf16Be {
        "utf-16be"
    } else {
        "utf-16le"
    };
    let text = match encoding {
        Encoding::Utf8 | Encoding::Utf8WithBom => {
            let mut bytes = bytes;
            if encoding == Encoding::Utf8WithBom {
                bytes.drain(..UTF8_BOM.len());
            }
            String::from_utf8(bytes).map_err(|e| {
                let bytes = e.as_bytes();
                let at = e.utf8_error().valid_up_to();
                refuse(
                    format!(
                        "line {} has a byte that is not UTF-8 (0x{:02X})",
                        line_of(&bytes[..at]),
                        bytes[at]
                    ),
                    "latin1",
                )
            })?
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let body = &bytes[UTF16_LE_BOM.len()..];
            let unit = |pair: &[u8]| match encoding {
                Encoding::Utf16Le => u16::from_le_bytes([pair[0], pair[1]]),
                _ => u16::from_be_bytes([pair[0], pair[1]]),
            };
            let pairs = body.chunks_exact(2);
            if !pairs.remainder().is_empty() {
                return Err(refuse(
                    format!(
                        "its byte order mark says {}, but it ends in half a character",
                        encoding.name()
                    ),
                    utf16,
                ));
            }
            let mut text = String::with_capacity(body.len() / 2);
            for c in char::decode_utf16(pairs.map(unit)) {
                let c = c.map_err(|_| {
                    refuse(
                        format!(
                            "its byte order mark says {}, but line {} is not",
                            encoding.name(),
                            text.matches('\n').count() + 1
                        ),
                        utf16,
                    )
                })?;
                text.push(c);
            }
            text
        }
    };
    // UTF-16 without its mark is valid UTF-8, every other byte a NUL, which
    // TOML refuses with a column that helps no one.
    if let Some(at) = text.find('\0') {
        return Err(refuse(
            format!(
                "line {} holds NUL bytes (UTF-16 without a byte order mark?)",
                line_of(&text.as_bytes()[..at])
            ),
            utf16,
        ));
    }
    Ok((text, encoding))
}

/// The encoding `path`'s first bytes announce, or `None` when it cannot be
/// opened as a regular file (missing, a FIFO...).
pub fn encoding_of_file(path: &Path) -> Option<Encoding> {
    use std::io::Read;
    let file = crate::platform::fs::open_regular(path).ok()?;
    let mut start = Vec::with_capacity(UTF8_BOM.len());
    file.take(UTF8_BOM.len() as u64).read_to_end(&mut start).ok()?;
    Some(Encoding::announced_by(&start))
}

fn line_of(before: &[u8]) -> usize {
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8]) -> Result<String, String> {
        decode(bytes.to_vec(), Path::new("f.toml"))
            .map(|(text, _)| text)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn every_accepted_encoding_gives_the_same_text_without_its_mark() {
        let text = "a = \"zürich\"\n";
        let mut utf8_bom = UTF8_BOM.to_vec();
        utf8_bom.extend(text.as_bytes());
        let mut le = UTF16_LE_BOM.to_vec();
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = UTF16_BE_BOM.to_vec();
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [text.as_bytes().to_vec(), utf8_bom, le, be] {
            assert_eq!(decoded(&bytes).as_deref(), Ok(text));
        }
        assert_eq!(decoded(b"").as_deref(), Ok(""));
    }

    #[test]
    fn other_bytes_are_refused_with_their_line() {
        let latin1 = decoded(b"a = 1\nb = \"z\xfcrich\"\n").expect_err("refused");
        assert!(
            latin1.starts_with("f.toml is not UTF-8 text: line 2 has a byte that is not UTF-8 (0xFC)"),
            "{latin1}"
        );
        let lone_surrogate = decoded(&[0xFF, 0xFE, b'a', 0, b'\n', 0, 0x00, 0xD8]).expect_err("refused");
        assert!(
            lone_surrogate.contains("says UTF-16 LE, but line 2 is not"),
            "{lone_surrogate}"
        );
        // The advice names what the bytes most likely are.
        assert!(latin1.contains("iconv -f latin1 "), "{latin1}");
        assert!(lone_surrogate.contains("iconv -f utf-16le "), "{lone_surrogate}");
        let no_mark = decoded(&[b'a', 0, b'\n', 0]).expect_err("refused");
        assert!(no_mark.contains("iconv -f utf-16le "), "{no_mark}");
    }
}
