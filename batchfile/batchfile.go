// Package batchfile reads the spreadsheets merchants upload for batch work —
// batch shipping and batch appending (order number, carrier, tracking
// number) and delay reports (order numbers only) — as CSV or XLSX.
//
// The files come from Chinese Excel, WPS and third-party order tools, so the
// package tolerates what those tools do (GBK CSV, BOMs, Excel's ="…" text
// trick, tab or semicolon separators, columns in any order) and refuses what
// would make a batch act on the wrong order: identifiers that a spreadsheet
// already rounded (1.23457E+17, 18-digit numbers stored as numbers) are
// refused row by row instead of guessed. Whole-file problems (not a
// spreadsheet, too many rows, a header without a needed column, a zip bomb)
// refuse the file before anything is processed, so a batch never half-runs
// on a file it misunderstood.
package batchfile

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/fahuo/fahuo/models"
)

// Column describes one expected column: its key and the header texts that
// name it (case-insensitive, trimmed; e.g. "订单号", "订单编号", "order
// number", "orderNumber", "order_no"). Header texts are compared after
// dropping spaces, '*', '_', '-', '.', ':' and anything in brackets, so a
// template's "*订单号(必填)" still names the column. The first Chinese header
// and the first ASCII header are the column's name in messages.
type Column struct {
	Key     string
	Headers []string
}

// Spec says what a file must contain. Callers keep one per kind of batch;
// ShipmentSpec and DelayReportSpec are the platform's own.
type Spec struct {
	Columns []Column
	// MaxRows is the number of data rows allowed; one more makes the whole
	// file BATCH_TOO_LARGE, because a batch is accepted or refused as a
	// unit of work the merchant planned. Zero or less means
	// models.MaxBatchRows, so a forgotten limit is never "no limit".
	MaxRows int
	// StrictColumns: a non-empty cell beyond the expected columns makes that
	// row an error (delay reports must contain order numbers and nothing
	// else); otherwise extra columns are ignored, since merchants often
	// upload a full order export with the needed columns in it.
	StrictColumns bool
}

// Row is one data row. A row that cannot be read keeps its values, so the
// answer can show the merchant which order the refusal is about.
type Row struct {
	// Line is the row's number as the merchant sees it in their
	// spreadsheet (1-based, header and blank rows counted), so that "第3行"
	// leads them to the right row.
	Line int
	// Values holds each expected column's cell by Column.Key, trimmed and
	// unwrapped from ="…"; a missing cell is "". Whether an empty value is
	// acceptable is the caller's rule, not the file's.
	Values map[string]string
	// Err, when not nil, says why this row cannot be read (INVALID_FILE);
	// the other rows stand on their own.
	Err *models.Error
}

// File is a whole upload, read.
type File struct {
	// Format is FormatCSV or FormatXLSX, decided by content, not by name.
	Format string
	// Header tells whether the first non-empty row was a header.
	Header bool
	Rows   []Row
}

// The formats Read recognises.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

var (
	zipMagic      = []byte("PK\x03\x04")
	emptyZipMagic = []byte("PK\x05\x06")
	oleMagic      = []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
)

// MaxFileBytes is the largest upload ReadFrom reads.
const MaxFileBytes = 10 << 20

// ReadFrom reads an upload of at most MaxFileBytes and then the file as
// Read does. A larger upload is refused whole (INVALID_FILE), never cut
// short: a file cut in the middle of a row could end in a shortened but
// valid-looking order number.
func ReadFrom(name string, r io.Reader, spec Spec) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, models.Errorf(models.CodeInvalidFile, "the file could not be read")
	}
	if len(data) > MaxFileBytes {
		return nil, models.Errorf(models.CodeInvalidFile, "the file is larger than %d MB", MaxFileBytes>>20)
	}
	return Read(name, data, spec)
}

// Read reads a whole upload. name is the uploaded file name, used only as a
// hint in messages: the content decides the format, because merchants
// rename files and other systems export text under an .xls name. data is
// the upload; callers cap its size before calling (ReadFrom does).
//
// A whole-file refusal is a *models.Error with code INVALID_FILE (not a
// CSV or XLSX, damaged, empty, no data rows, a header lacking a column) or
// BATCH_TOO_LARGE (more than spec.MaxRows data rows; reading stops at the
// first row too many). A Spec that cannot work (no columns, empty or
// repeated keys) is a plain error: it is a programming mistake.
func Read(name string, data []byte, spec Spec) (*File, error) {
	t, err := newTable(spec)
	if err != nil {
		return nil, err
	}
	format := FormatCSV
	switch {
	case len(bytes.TrimSpace(data)) == 0:
		return nil, fileError("文件是空的", "The file is empty")
	case bytes.HasPrefix(data, zipMagic), bytes.HasPrefix(data, emptyZipMagic):
		format = FormatXLSX
		t.xlsx = true
		err = readXLSX(data, t)
	case bytes.HasPrefix(data, oleMagic):
		return nil, oleError(data)
	default:
		err = readCSV(name, data, t)
	}
	if err != nil {
		return nil, err
	}
	if len(t.rows) == 0 {
		if t.header {
			return nil, fileError("文件只有表头，没有数据行", "The file has a header but no data rows")
		}
		return nil, fileError("文件中没有数据行", "The file has no data rows")
	}
	return &File{Format: format, Header: t.header, Rows: t.rows}, nil
}

// oleError explains an OLE compound file: either a legacy .xls workbook or
// an .xlsx that Excel encrypted with a password (which it stores the same
// way), and the fix differs.
func oleError(data []byte) *models.Error {
	if bytes.Contains(data, utf16le("EncryptedPackage")) {
		return fileError("文件设置了打开密码，请取消密码后另存为 .xlsx 或 .csv 再上传",
			"The workbook is password-protected; remove the password, save as .xlsx or .csv and upload again")
	}
	return fileError("不支持旧版 Excel (.xls) 文件，请另存为 .xlsx 或 .csv 后再上传",
		"Legacy Excel (.xls) files are not supported; save as .xlsx or .csv and upload again")
}

func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
}

// fileError is a whole-file refusal; messages are short and bilingual
// because the same text reaches the web pages and API clients.
func fileError(zh, en string) *models.Error {
	return models.Errorf(models.CodeInvalidFile, "%s / %s", zh, en)
}

// rowError refuses one row; field names the column concerned, if one is.
func rowError(line int, field []string, zh, en string) *models.Error {
	return models.FieldError(models.CodeInvalidFile, field, "第%d行: %s / Line %d: %s", line, zh, line, en)
}

// extension gives the uploaded name's extension in a form safe to echo in a
// message: the name is the merchant's text and may hold anything.
func extension(name string) string {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, "\\", "/")))
	if len(ext) < 2 || len(ext) > 10 {
		return ""
	}
	for _, c := range ext[1:] {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return ""
		}
	}
	return ext
}

// quote shows a cell value in a message, shortened so that a pasted essay
// does not become the message.
func quote(v string) string {
	const max = 40
	r := []rune(v)
	if len(r) > max {
		v = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", v)
}
