//! Attachment types, detected from the bytes (the client's content type is not trusted).

/// An accepted attachment type (with the `serde` feature: serialized as its MIME type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// PDF.
    Pdf,
    /// Word (DOCX, an Office Open XML zip).
    Docx,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
    /// WebP image.
    Webp,
    /// MP3 audio.
    Mp3,
    /// MPEG-4 audio (M4A).
    M4a,
    /// Ogg audio.
    Ogg,
    /// WAV audio.
    Wav,
}

impl FileType {
    /// Every accepted type.
    pub const ALL: [FileType; 9] = [
        FileType::Pdf,
        FileType::Docx,
        FileType::Png,
        FileType::Jpeg,
        FileType::Webp,
        FileType::Mp3,
        FileType::M4a,
        FileType::Ogg,
        FileType::Wav,
    ];

    /// MIME type sent on download.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
            FileType::Webp => "image/webp",
            FileType::Mp3 => "audio/mpeg",
            FileType::M4a => "audio/mp4",
            FileType::Ogg => "audio/ogg",
            FileType::Wav => "audio/wav",
        }
    }

    /// Parses a MIME type as stored.
    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.mime() == mime)
    }
}

/// With the `serde` feature a file type serializes as its MIME type, the form storage keeps.
#[cfg(feature = "serde")]
impl serde::Serialize for FileType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.mime())
    }
}

/// Parses the MIME type through [`FileType::from_mime`]; any other type is refused.
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for FileType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mime = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        FileType::from_mime(&mime).ok_or_else(|| serde::de::Error::custom(format_args!("unsupported file type {mime:?}")))
    }
}

/// Detects the type from the first bytes. A DOCX is a zip whose entries include `word/`.
pub fn sniff(bytes: &[u8]) -> Option<FileType> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"%PDF-") {
        Some(FileType::Pdf)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else if starts(b"\xFF\xD8\xFF") {
        Some(FileType::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(FileType::Webp)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        Some(FileType::Wav)
    } else if starts(b"OggS") {
        Some(FileType::Ogg)
    } else if starts(b"ID3") || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some(FileType::Mp3)
    } else if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && (&bytes[8..11] == b"M4A" || &bytes[8..12] == b"mp42" || &bytes[8..12] == b"isom")
    {
        Some(FileType::M4a)
    } else if starts(b"PK\x03\x04") && contains(bytes, b"word/") {
        Some(FileType::Docx)
    } else {
        None
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Checks and cleans a file name: 1–200 characters, no path separators or control characters.
pub fn clean_file_name(raw: &str) -> Option<String> {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) || name == "." || name == ".." {
        None
    } else {
        Some(name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileType::Png));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some(FileType::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(FileType::Webp));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(FileType::Wav));
        assert_eq!(sniff(b"ID3\x04"), Some(FileType::Mp3));
        assert_eq!(sniff(b"PK\x03\x04....[Content_Types].xml....word/document.xml"), Some(FileType::Docx));
        assert_eq!(sniff(b"PK\x03\x04....xl/workbook.xml"), None, "a spreadsheet is not accepted");
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(FileType::from_mime("application/pdf"), Some(FileType::Pdf));
        assert_eq!(clean_file_name("C:\\Users\\a\\Nghị quyết.pdf").as_deref(), Some("Nghị quyết.pdf"));
        assert_eq!(clean_file_name("../"), None);
    }
}
