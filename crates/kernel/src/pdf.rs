//! Printable PDF documents (справки, result documents): A4 pages of headings, paragraphs, labelled
//! fields and QR codes, in DejaVu Sans embedded as a subset, so Cyrillic prints everywhere.

use printpdf::{
    Color, IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference, Rect, Rgb,
};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN: f32 = 20.0;

/// One block of a document, laid out top to bottom.
#[derive(Debug, Clone)]
pub enum Block {
    /// A large bold line.
    Heading(String),
    /// A paragraph, wrapped to the page.
    Text(String),
    /// «Label: value», the value in bold (e.g. a login or a temporary password).
    Field(String, String),
    /// A QR code of the text, about 40 mm wide, with a caption beside it.
    Qr { payload: String, caption: String },
    /// Empty space, in millimetres.
    Space(f32),
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("pdf: {0}")]
    Pdf(String),
    #[error("qr: {0}")]
    Qr(String),
}

struct Pen {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    /// The baseline of the next line, from the bottom of the page.
    y: f32,
}

impl Pen {
    fn need(&mut self, height: f32) {
        if self.y - height < MARGIN {
            let (page, layer) = self.doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "Слой");
            self.layer = self.doc.get_page(page).get_layer(layer);
            self.y = PAGE_H - MARGIN;
        }
    }

    fn line(&mut self, text: &str, size: f32, bold: bool, x: f32) {
        let h = size * 0.3528 * 1.35;
        self.need(h);
        self.y -= h;
        let font = if bold { &self.bold } else { &self.regular };
        self.layer.use_text(text, size, Mm(x), Mm(self.y), font);
    }
}

/// Wraps `text` into lines of at most `width` characters, at spaces where it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let len = line.chars().count();
            if len > 0 && len + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// Renders the blocks into a PDF.
pub fn render(title: &str, blocks: &[Block]) -> Result<Vec<u8>, PdfError> {
    let err = |e: printpdf::Error| PdfError::Pdf(e.to_string());
    let (doc, page, layer) = PdfDocument::new(title, Mm(PAGE_W), Mm(PAGE_H), "Слой");
    let regular = doc
        .add_external_font(std::io::Cursor::new(REGULAR))
        .map_err(err)?;
    let bold = doc
        .add_external_font(std::io::Cursor::new(BOLD))
        .map_err(err)?;
    let layer = doc.get_page(page).get_layer(layer);
    let mut pen = Pen {
        doc,
        layer,
        regular,
        bold,
        y: PAGE_H - MARGIN,
    };
    // DejaVu Sans at 11 pt averages about 2.2 mm a character.
    let chars_per_line = ((PAGE_W - 2.0 * MARGIN) / 2.2) as usize;
    for b in blocks {
        match b {
            Block::Heading(t) => {
                for l in wrap(t, chars_per_line * 11 / 16) {
                    pen.line(&l, 16.0, true, MARGIN);
                }
                pen.y -= 2.0;
            }
            Block::Text(t) => {
                for l in wrap(t, chars_per_line) {
                    pen.line(&l, 11.0, false, MARGIN);
                }
            }
            Block::Field(label, value) => {
                pen.line(label, 9.0, false, MARGIN);
                for l in wrap(value, chars_per_line * 11 / 13) {
                    pen.line(&l, 13.0, true, MARGIN);
                }
                pen.y -= 1.5;
            }
            Block::Qr { payload, caption } => {
                let code = qrcode::QrCode::new(payload.as_bytes())
                    .map_err(|e| PdfError::Qr(e.to_string()))?;
                let n = code.width();
                let quiet = 2;
                let side = 40.0;
                let module = side / (n + 2 * quiet) as f32;
                pen.need(side + 4.0);
                let top = pen.y - 2.0;
                pen.layer
                    .set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
                for (i, c) in code.to_colors().iter().enumerate() {
                    if *c == qrcode::Color::Dark {
                        let (col, row) = ((i % n + quiet) as f32, (i / n + quiet) as f32);
                        let x = MARGIN + col * module;
                        let y = top - (row + 1.0) * module;
                        pen.layer
                            .add_rect(Rect::new(Mm(x), Mm(y), Mm(x + module), Mm(y + module)));
                    }
                }
                let mut y = top - 6.0;
                for l in wrap(caption, (chars_per_line as f32 * 0.7) as usize) {
                    pen.layer
                        .use_text(&l, 10.0, Mm(MARGIN + side + 6.0), Mm(y), &pen.regular);
                    y -= 5.0;
                }
                pen.y = top - side - 2.0;
            }
            Block::Space(mm) => pen.y -= mm,
        }
    }
    pen.doc.save_to_bytes().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_at_spaces_and_keeps_paragraphs() {
        let lines = wrap("один два три четыре\nпять", 9);
        assert_eq!(lines, vec!["один два", "три", "четыре", "пять"]);
    }

    #[test]
    fn a_document_with_cyrillic_text_and_a_qr_code_is_a_pdf_with_the_font_embedded() {
        let pdf = render(
            "Справка",
            &[
                Block::Heading("Справка о регистрации".into()),
                Block::Field("Логин (СНИЛС)".into(), "018-159-083 49".into()),
                Block::Text("Смените пароль при первом входе. ".repeat(20)),
                Block::Qr {
                    payload: "https://okno.example.ru/login".into(),
                    caption: "Отсканируйте, чтобы войти".into(),
                },
            ],
        )
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "a PDF header");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("FontFile2"), "the TrueType font is embedded");
        assert!(text.contains("DejaVu"), "DejaVu Sans is named");
        assert!(
            pdf.len() < 400_000,
            "subset fonts keep it small: {} bytes",
            pdf.len()
        );
    }

    #[test]
    fn a_long_document_continues_on_a_second_page() {
        let blocks: Vec<Block> = (0..120)
            .map(|i| Block::Text(format!("Строка {i}")))
            .collect();
        let pdf = render("Длинный", &blocks).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(
            text.matches("/Type /Page").count() >= 2 || text.matches("/Type/Page").count() >= 2
        );
    }
}
