//! Every format written from one Vietnamese sample report and read back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use chrono::{DateTime, NaiveDate, Utc};
use report_render::model::{Cell, Chart, Column, ColumnKind, Fact, Note, Report, Section, Series, Signature};
use report_render::{numbers, render_to_vec};
use reports::Format;

const MEMBERS: [&str; 4] = ["Nguyễn Thị Hằng", "Trần Văn Đức", "Lê Thị Ánh Tuyết", "Phạm Quốc Việt"];

fn col(key: &str, header: &str, kind: ColumnKind) -> Column {
    Column { key: key.to_owned(), header: header.to_owned(), kind }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The member table: one row per member, every kind of column, totals.
fn members_section() -> Section {
    let columns = vec![
        col("name", "Họ và tên", ColumnKind::Text),
        col("joined", "Ngày vào Đảng", ColumnKind::Date),
        col("meetings", "Số buổi dự họp", ColumnKind::Integer),
        col("attendance_rate", "Tỉ lệ dự họp", ColumnKind::Percent),
        col("points", "Điểm học tập bình quân", ColumnKind::Decimal),
        col("note", "Ghi chú", ColumnKind::Text),
    ];
    let rows = MEMBERS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let i = i as i64;
            vec![
                Cell::Text((*name).to_owned()),
                Cell::Date(date(1990 + i as i32, 3 + i as u32, 2 + i as u32)),
                Cell::Int(10 + i),
                Cell::Percent(0.75 + 0.0625 * i as f64),
                Cell::Decimal(7.5 + i as f64 / 4.0),
                if i == 1 { Cell::Empty } else { Cell::Text(format!("Đảng viên \"chính thức\", tổ {}; <b>&</b>", i + 1)) },
            ]
        })
        .collect();
    Section {
        sheet: "Đảng viên".to_owned(),
        title: "Kết quả của từng đảng viên".to_owned(),
        columns,
        rows,
        totals: Some(vec![
            Cell::Text("Tổng cộng".to_owned()),
            Cell::Empty,
            Cell::Int(46),
            Cell::Percent(0.84375),
            Cell::Decimal(7.875),
            Cell::Empty,
        ]),
    }
}

/// A long table (~200 rows) with a sheet name that Excel refuses as it is.
fn long_section() -> Section {
    let columns = vec![
        col("stt", "STT", ColumnKind::Integer),
        col("unit", "Chi bộ", ColumnKind::Text),
        col("held", "Số buổi sinh hoạt đã tổ chức trong kỳ", ColumnKind::Integer),
        col("rate", "Tỉ lệ", ColumnKind::Percent),
        col("date", "Ngày họp gần nhất", ColumnKind::Date),
        col("mean", "Điểm", ColumnKind::Decimal),
    ];
    let rows = (0..200)
        .map(|i: i64| {
            vec![
                Cell::Int(i + 1),
                Cell::Text(format!("Chi bộ Thôn Đông Hưng số {} — khu dân cư Ấp Mỹ Lộc, xã Hòa Bình Thạnh", i + 1)),
                Cell::Int(1000 + i * 37),
                if i % 17 == 0 { Cell::Empty } else { Cell::Percent((i % 100) as f64 / 100.0) },
                Cell::Date(date(2026, 1 + (i % 12) as u32, 1 + (i % 28) as u32)),
                Cell::Decimal(i as f64 / 8.0),
            ]
        })
        .collect();
    Section {
        sheet: "Chi bộ: theo thôn/ấp [toàn bộ danh sách]".to_owned(),
        title: "Kết quả theo chi bộ".to_owned(),
        columns,
        rows,
        totals: None,
    }
}

fn sample() -> Report {
    Report {
        title: "Báo cáo sinh hoạt chi bộ tháng".to_owned(),
        unit_name: "Chi bộ Thôn Đông Hưng".to_owned(),
        superior_name: Some("Đảng bộ xã Hòa Bình Thạnh".to_owned()),
        period_label: "tháng 10/2026".to_owned(),
        period: "2026-10".to_owned(),
        place: "Thôn Đông Hưng".to_owned(),
        date: date(2026, 11, 6),
        generated_at: instant("2026-11-06T02:15:00Z"),
        data_cutoff: instant("2026-11-06T02:00:00Z"),
        summary: vec![
            Fact { label: "Số đảng viên".to_owned(), value: Cell::Int(1234) },
            Fact { label: "Tỉ lệ dự họp".to_owned(), value: Cell::Percent(0.875) },
            Fact { label: "Điểm học tập bình quân".to_owned(), value: Cell::Decimal(8.25) },
            Fact { label: "Ngày họp".to_owned(), value: Cell::Date(date(2026, 10, 5)) },
            Fact { label: "Chủ trì".to_owned(), value: Cell::Text("Nguyễn Thị Hằng".to_owned()) },
        ],
        sections: vec![members_section(), long_section(), members_section()],
        charts: vec![
            Chart::Line {
                title: "Tỉ lệ dự họp theo tháng".to_owned(),
                x_labels: (1..=10).map(|m| format!("T{m}")).collect(),
                series: vec![
                    Series {
                        name: "Chi bộ Thôn Đông Hưng".to_owned(), values: (1..=10).map(|m| Some(0.7 + m as f64 / 50.0)).collect()
                    },
                    Series {
                        name: "Đảng bộ xã".to_owned(),
                        values: (1..=10).map(|m| if m == 4 { None } else { Some(0.8 - m as f64 / 100.0) }).collect(),
                    },
                ],
                percent: true,
            },
            Chart::Bar {
                title: "Số chi bộ theo mức tỉ lệ dự họp".to_owned(),
                labels: vec!["< 50%".to_owned(), "50–85%".to_owned(), "> 85%".to_owned()],
                values: vec![2.0, 7.0, 12.0],
            },
        ],
        notes: vec![Note {
            heading: "Nghị quyết".to_owned(),
            text: "Chi bộ thống nhất: tiếp tục vận động đảng viên Lê Thị Ánh Tuyết và Phạm Quốc Việt hoàn thành chương trình học tập; \
                   tăng cường kiểm tra, giám sát việc thực hiện nhiệm vụ được giao.\nBiểu quyết: 12/12 tán thành."
                .to_owned(),
        }],
        signature: Some(Signature {
            on_behalf: "T/M CHI ỦY".to_owned(),
            title: "BÍ THƯ".to_owned(),
            name: Some("Trần Văn Đức".to_owned()),
        }),
        primary: 0,
    }
}

#[test]
fn every_format_is_deterministic() {
    let report = sample();
    for format in Format::ALL {
        let a = render_to_vec(&report, format).unwrap();
        let b = render_to_vec(&report, format).unwrap();
        assert!(!a.is_empty(), "{format:?}");
        assert!(a == b, "{format:?}: two renders of the same report differ");
    }
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_is_the_primary_section_with_a_bom() {
    let report = sample();
    let bytes = render_to_vec(&report, Format::Csv).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.contains("\r\n"));
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let records: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    let section = &report.sections[report.primary];
    let header: Vec<String> = section.columns.iter().map(|c| c.header.clone()).collect();
    assert_eq!(records[0], header);
    let expected: Vec<Vec<String>> =
        section.rows.iter().chain(section.totals.iter()).map(|row| row.iter().map(numbers::csv_cell).collect()).collect();
    assert_eq!(&records[1..], &expected[..]);
    // The documented conventions, spelled out once.
    assert_eq!(records[1], ["Nguyễn Thị Hằng", "02/03/1990", "10", "75.0%", "7.5", "Đảng viên \"chính thức\", tổ 1; <b>&</b>"]);
    assert_eq!(records[2][5], "");
    assert_eq!(records[5], ["Tổng cộng", "", "46", "84.4%", "7.9", ""]);
}

#[test]
fn csv_of_the_long_section() {
    let mut report = sample();
    report.primary = 1;
    let bytes = render_to_vec(&report, Format::Csv).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(&bytes[3..]);
    assert_eq!(reader.headers().unwrap().get(2), Some("Số buổi sinh hoạt đã tổ chức trong kỳ"));
    assert_eq!(reader.records().count(), 200);
    report.primary = 9;
    assert!(render_to_vec(&report, Format::Csv).is_err());
}

// ---------------------------------------------------------------- XLSX

fn excel_serial(d: NaiveDate) -> f64 {
    (d - date(1899, 12, 30)).num_days() as f64
}

#[test]
fn xlsx_reads_back_as_the_model() {
    use calamine::{Data, DataType, Reader, Xlsx};

    let report = sample();
    let bytes = render_to_vec(&report, Format::Xlsx).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names, ["Tổng hợp", "Đảng viên", "Chi bộ_ theo thôn_ấp _toàn bộ d", "Đảng viên (2)"]);
    assert_eq!(names, report_render::xlsx::sheet_names(&report));

    let summary = book.worksheet_range("Tổng hợp").unwrap();
    let texts: Vec<String> = summary.cells().filter_map(|(_, _, c)| c.get_string().map(str::to_owned)).collect();
    for expected in [
        "Báo cáo sinh hoạt chi bộ tháng",
        "Chi bộ Thôn Đông Hưng",
        "Đảng bộ xã Hòa Bình Thạnh",
        "tháng 10/2026",
        "06/11/2026 09:15",
        "Tỉ lệ dự họp",
    ] {
        assert!(texts.iter().any(|t| t == expected), "{expected} missing from {texts:?}");
    }
    let rate = summary.rows().find(|r| r[0] == Data::String("Tỉ lệ dự họp".to_owned())).unwrap();
    assert_eq!(rate[1], Data::Float(0.875));

    for (section, name) in report.sections.iter().zip(&names[1..]) {
        let range = book.worksheet_range(name).unwrap();
        assert_eq!(range.start(), Some((0, 0)), "{name}");
        let rows: Vec<&[Data]> = range.rows().collect();
        let expected_rows: Vec<&Vec<Cell>> = section.rows.iter().chain(section.totals.iter()).collect();
        assert_eq!(rows.len(), 1 + expected_rows.len(), "{name}");
        for (c, column) in section.columns.iter().enumerate() {
            assert_eq!(rows[0][c], Data::String(column.header.clone()), "{name}");
        }
        for (r, (got, want)) in rows[1..].iter().zip(expected_rows).enumerate() {
            for (c, cell) in want.iter().enumerate() {
                let got = got.get(c).cloned().unwrap_or(Data::Empty);
                let ok = match (cell, &got) {
                    (Cell::Empty, Data::Empty) => true,
                    (Cell::Text(s), Data::String(g)) => s == g,
                    (Cell::Int(n), Data::Float(g)) => *n as f64 == *g,
                    (Cell::Int(n), Data::Int(g)) => n == g,
                    (Cell::Decimal(x) | Cell::Percent(x), Data::Float(g)) => x == g,
                    (Cell::Date(d), Data::DateTime(g)) => g.as_f64() == excel_serial(*d),
                    _ => false,
                };
                assert!(ok, "{name} row {} column {c}: {cell:?} written as {got:?}", r + 1);
            }
        }
    }
}

#[test]
fn xlsx_number_formats_and_totals() {
    // The number formats and the bold totals row, read from the sheet's XML through calamine's
    // date detection: a date column comes back as a DateTime, numbers as floats.
    use calamine::{Data, Reader, Xlsx};
    let report = sample();
    let bytes = render_to_vec(&report, Format::Xlsx).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Đảng viên").unwrap();
    match range.get((1, 1)) {
        Some(Data::DateTime(d)) => assert_eq!(d.as_f64(), excel_serial(date(1990, 3, 2))),
        other => panic!("not a date: {other:?}"),
    }
    assert_eq!(range.get((5, 0)), Some(&Data::String("Tổng cộng".to_owned())));
    assert_eq!(range.get((5, 3)), Some(&Data::Float(0.84375)));
}

// ---------------------------------------------------------------- HTML

/// Reads the page as XML: fails on any unbalanced or malformed markup; returns the elements' names.
fn xml_elements(html: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(html);
    reader.config_mut().check_end_names = true;
    let mut names = Vec::new();
    let mut depth = 0_i32;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                names.push(e.name().0.to_owned());
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Empty(e)) => names.push(e.name().0.to_owned()),
            Ok(Event::GeneralRef(r)) => {
                // Every entity must be one XML knows.
                let known = ["amp", "lt", "gt", "quot", "apos"].contains(&r.as_ref()) || r.resolve_char_ref().unwrap().is_some();
                assert!(known, "unknown entity &{};", r.as_ref());
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("malformed HTML at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    names
}

#[test]
fn html_is_one_self_contained_page() {
    let report = sample();
    let html = String::from_utf8(render_to_vec(&report, Format::Html).unwrap()).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("<meta charset=\"utf-8\"/>"));
    assert!(html.contains("@page { size: A4;"));
    let names = xml_elements(&html);
    assert_eq!(names.iter().filter(|n| *n == "svg").count(), report.charts.len());
    assert_eq!(html.matches("<svg").count(), report.charts.len());
    assert_eq!(names.iter().filter(|n| *n == "table").count(), 1 + report.sections.len());
    assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("script") || n.eq_ignore_ascii_case("link")));
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"));
    assert!(!lower.contains("http://") && !lower.contains("https://") && !lower.contains("url("), "an external URL");
    for text in [
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "CHI BỘ THÔN ĐÔNG HƯNG",
        "ĐẢNG BỘ XÃ HÒA BÌNH THẠNH",
        "Thôn Đông Hưng, ngày 06 tháng 11 năm 2026",
        "tháng 10/2026",
    ] {
        assert!(html.contains(text), "{text} missing");
    }
    for name in MEMBERS {
        assert!(html.contains(&format!("<td>{name}</td>")), "{name} missing");
    }
    // Text is escaped, numbers are printed the Vietnamese way.
    assert!(html.contains("Đảng viên &quot;chính thức&quot;, tổ 1; &lt;b&gt;&amp;&lt;/b&gt;"));
    assert!(html.contains("<td class=\"num\">87,5%</td>"));
    assert!(html.contains("<td class=\"num\">1.234</td>"));
    assert!(html.contains("<td class=\"num\">8,2</td>")); // 8.25: the tie goes to the even digit
    assert!(
        html.contains(
            "<tr class=\"totals\"><td>Tổng cộng</td><td class=\"date\">—</td><td class=\"num\">46</td><td class=\"num\">84,4%</td>"
        )
    );
    assert!(html.contains("T/M CHI ỦY") && html.contains("BÍ THƯ") && html.contains("<p>Trần Văn Đức</p>"));
    assert!(html.contains("Biểu quyết: 12/12 tán thành."));
    // Chart texts are there too (the legend and the labels).
    assert!(html.contains("Tỉ lệ dự họp theo tháng") && html.contains("&lt; 50%"));
}

#[test]
fn html_without_signature_charts_or_summary() {
    let mut report = sample();
    report.signature = None;
    report.charts.clear();
    report.summary.clear();
    report.superior_name = None;
    let html = String::from_utf8(render_to_vec(&report, Format::Html).unwrap()).unwrap();
    let names = xml_elements(&html);
    assert!(!names.iter().any(|n| n == "svg"));
    assert!(!html.contains("class=\"signature\""));
    assert_eq!(names.iter().filter(|n| *n == "table").count(), report.sections.len());
}

#[test]
#[ignore = "writes the sample in every format to $HANDBOOK_RENDER_OUT for a look"]
fn write_samples() {
    let dir = std::env::var("HANDBOOK_RENDER_OUT").unwrap_or_else(|_| "/tmp".to_owned());
    for format in Format::ALL {
        let bytes = render_to_vec(&sample(), format).unwrap();
        std::fs::write(format!("{dir}/report-render-sample.{}", format.code()), bytes).unwrap();
    }
}

// ---------------------------------------------------------------- PDF

/// The PDF's text through `pdftotext` (Debian: poppler-utils), or `None` when the tool is
/// missing and `HANDBOOK_SKIP_PDFTOTEXT=1`; missing without it is a failure.
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("report-render-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    let result = std::process::Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&path).arg("-").output();
    std::fs::remove_dir_all(&dir).ok();
    match result {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var("HANDBOOK_SKIP_PDFTOTEXT").as_deref() == Ok("1") {
                eprintln!("pdftotext is missing: the PDF's text is not checked (HANDBOOK_SKIP_PDFTOTEXT=1)");
                None
            } else {
                panic!("pdftotext is missing: install poppler-utils (apt-get install -y poppler-utils) or set HANDBOOK_SKIP_PDFTOTEXT=1");
            }
        }
        Err(e) => panic!("pdftotext could not run: {e}"),
    }
}

fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

/// The number of pages, from the page objects.
fn page_count(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf).replace("/Type /", "/Type/");
    text.matches("/Type/Page").count() - text.matches("/Type/Pages").count()
}

#[test]
fn pdf_has_the_header_names_and_page_numbers() {
    let report = sample();
    let pdf = render_to_vec(&report, Format::Pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let pages = page_count(&pdf);
    assert!(pages >= 2, "the 200-row table needs several pages, got {pages}");
    let Some(text) = pdftotext(&pdf) else { return };
    let text = nfc(&text);
    let pages_text: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(pages_text.len(), pages);
    for expected in [
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "CHI BỘ THÔN ĐÔNG HƯNG",
        "ĐẢNG BỘ XÃ HÒA BÌNH THẠNH",
        "Thôn Đông Hưng, ngày 06 tháng 11 năm 2026",
        "BÁO CÁO SINH HOẠT CHI BỘ THÁNG",
        "Tỉ lệ dự họp: 87,5%",
        "Số đảng viên: 1.234",
        "Nghị quyết",
        "T/M CHI ỦY",
        "BÍ THƯ",
    ] {
        assert!(text.contains(&nfc(expected)), "{expected} missing from the PDF's text");
    }
    for name in MEMBERS {
        assert!(text.contains(&nfc(name)), "{name} missing from the PDF's text");
    }
    for (i, page) in pages_text.iter().enumerate() {
        assert!(page.contains(&format!("Trang {}/{pages}", i + 1)), "page {} has no number", i + 1);
    }
    // The long table's header is repeated on the pages it runs over.
    let repeated = pages_text.iter().filter(|p| p.contains("STT")).count();
    assert!(repeated >= 2, "the header row is on {repeated} page(s)");
    // Every row of the long table is there.
    for i in [1, 100, 200] {
        assert!(text.contains(&format!("Chi bộ Thôn Đông Hưng số {i} ")), "row {i} missing");
    }
}

#[test]
fn pdf_of_a_wide_table_shrinks_and_stays_on_the_page() {
    let mut report = sample();
    let wide = Section {
        sheet: "Rộng".to_owned(),
        title: "Bảng tổng hợp kết quả đảng viên trong năm".to_owned(),
        columns: (0..12)
            .map(|i| {
                col(
                    &format!("c{i}"),
                    &format!("Chỉ tiêu số {i} của đảng viên"),
                    if i == 0 { ColumnKind::Text } else { ColumnKind::Percent },
                )
            })
            .collect(),
        rows: MEMBERS
            .iter()
            .map(|m| std::iter::once(Cell::Text((*m).to_owned())).chain((1..12).map(|i| Cell::Percent(i as f64 / 12.0))).collect())
            .collect(),
        totals: None,
    };
    report.sections = vec![wide];
    report.signature = None;
    let pdf = render_to_vec(&report, Format::Pdf).unwrap();
    assert_eq!(page_count(&pdf), 1);
    let Some(text) = pdftotext(&pdf) else { return };
    let text = nfc(&text);
    for name in MEMBERS {
        assert!(text.contains(&nfc(name)), "{name} missing");
    }
    assert!(text.contains("91,7%"));
    assert!(!text.contains("BÍ THƯ"));
}

// ---------------------------------------------------------------- size

#[test]
fn a_large_sheet_streams() {
    // 6,000 rows × 25 columns, as the largest roll-ups: written in constant memory, read back.
    use calamine::{Data, Reader, Xlsx};
    let mut report = sample();
    let columns: Vec<Column> = (0..25)
        .map(|i| match i % 5 {
            0 => col(&format!("t{i}"), &format!("Tên {i}"), ColumnKind::Text),
            1 => col(&format!("i{i}"), &format!("Số {i}"), ColumnKind::Integer),
            2 => col(&format!("d{i}"), &format!("Điểm {i}"), ColumnKind::Decimal),
            3 => col(&format!("p{i}"), &format!("Tỉ lệ {i}"), ColumnKind::Percent),
            _ => col(&format!("n{i}"), &format!("Ngày {i}"), ColumnKind::Date),
        })
        .collect();
    let rows: Vec<Vec<Cell>> = (0..6000_i64)
        .map(|r| {
            (0..25)
                .map(|i| match i % 5 {
                    0 => Cell::Text(format!("Chi bộ Ấp {r}")),
                    1 => Cell::Int(r * 25 + i),
                    2 => Cell::Decimal(r as f64 / 10.0),
                    3 => Cell::Percent((r % 1000) as f64 / 1000.0),
                    _ => Cell::Date(date(2026, 1, 1) + chrono::Days::new((r % 365) as u64)),
                })
                .collect()
        })
        .collect();
    report.sections = vec![Section { sheet: "Lớn".to_owned(), title: "Bảng lớn".to_owned(), columns, rows, totals: None }];
    let bytes = render_to_vec(&report, Format::Xlsx).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Lớn").unwrap();
    assert_eq!(range.get_size(), (6001, 25));
    assert_eq!(range.get((6000, 0)), Some(&Data::String("Chi bộ Ấp 5999".to_owned())));
    assert_eq!(range.get((6000, 1)), Some(&Data::Float((5999 * 25 + 1) as f64)));
    let csv = render_to_vec(&report, Format::Csv).unwrap();
    assert_eq!(csv.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count(), 6001);
}
