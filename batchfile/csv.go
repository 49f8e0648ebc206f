package batchfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

var (
	utf8BOM    = []byte("\xEF\xBB\xBF")
	gb18030BOM = []byte("\x84\x31\x95\x33")
)

// readCSV reads delimited text record by record, so that a file with too
// many rows stops at the first one too many.
func readCSV(name string, data []byte, t *table) error {
	src, decoded, err := decodeText(name, data)
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(src, 64<<10)
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(br)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	// line counts rows as a spreadsheet shows them: the blank lines that
	// encoding/csv skips are rows there, and a quoted cell spanning several
	// lines is still one row.
	line, end := 0, 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(err, errEncoding) {
				return fileError(fmt.Sprintf("第%d行不是有效的 CSV", pe.StartLine),
					fmt.Sprintf("line %d is not valid CSV", pe.StartLine))
			}
			return encodingError()
		}
		start, _ := cr.FieldPos(0)
		line += start - end
		end = start
		for _, f := range rec {
			end += strings.Count(f, "\n")
		}
		if decoded && garbled(rec) {
			return encodingError()
		}
		if err := t.add(line, rec); err != nil {
			return err
		}
	}
}

// errEncoding marks a decoder failure that encoding/csv wrapped in a
// ParseError: the text, not the CSV, is at fault.
var errEncoding = errors.New("batchfile: undecodable text")

func encodingError() error {
	return fileError("无法识别文件的文字编码，请另存为 UTF-8 或 GBK 编码的 CSV",
		"the file's text encoding is not recognised; save it as a UTF-8 or GBK CSV")
}

// decodeText turns the upload into UTF-8. Chinese Excel saves CSV in GBK
// (GB18030 is its superset) and Excel's "Unicode text" is UTF-16 with a BOM;
// everyone else writes UTF-8, with or without a BOM. Valid UTF-8 is taken as
// UTF-8 because GBK text is practically never valid UTF-8. decoded reports
// that a decoder runs, whose output must then be checked for garbage.
func decodeText(name string, data []byte) (r io.Reader, decoded bool, err error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xFF\xFE")):
		return decoderReader(data, xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()), true, nil
	case bytes.HasPrefix(data, []byte("\xFE\xFF")):
		return decoderReader(data, xunicode.UTF16(xunicode.BigEndian, xunicode.ExpectBOM).NewDecoder()), true, nil
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	data = bytes.TrimRight(data, "\x1a") // DOS end-of-file mark
	if binary(data) {
		return nil, false, notSpreadsheet(name)
	}
	if markup(data) {
		return nil, false, fileError("这是网页或 XML 格式的表格（常见于其他系统导出的 .xls），请用 Excel 打开后另存为 .xlsx 或 .csv",
			"this is an HTML or XML table (often exported as .xls); open it in Excel and save as .xlsx or .csv")
	}
	if utf8.Valid(data) {
		return bytes.NewReader(data), false, nil
	}
	data = bytes.TrimPrefix(data, gb18030BOM)
	return decoderReader(data, simplifiedchinese.GB18030.NewDecoder()), true, nil
}

func decoderReader(data []byte, t transform.Transformer) io.Reader {
	return &encodingErrReader{transform.NewReader(bytes.NewReader(data), t)}
}

// encodingErrReader tags decoder errors so that readCSV can tell them from
// CSV syntax errors.
type encodingErrReader struct{ r io.Reader }

func (e *encodingErrReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		err = errors.Join(errEncoding, err)
	}
	return n, err
}

// binary tells whether data holds control bytes that no spreadsheet text
// contains (NUL first of all): images, PDFs, archives. Neither UTF-8 nor
// GBK uses bytes below 0x20 inside a character, so the test is exact.
func binary(data []byte) bool {
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f' || c == 0x7f {
			return true
		}
	}
	return false
}

// garbled tells whether decoded text holds replacement or control
// characters, which means the guessed encoding was wrong or the file was
// not text at all.
func garbled(rec []string) bool {
	for _, f := range rec {
		if strings.ContainsFunc(f, func(r rune) bool {
			return r == utf8.RuneError || r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\v' && r != '\f' || r == 0x7f
		}) {
			return true
		}
	}
	return false
}

// markup recognises the HTML and XML "spreadsheets" that many back offices
// export under an .xls name.
func markup(data []byte) bool {
	head := bytes.TrimLeft(data[:min(len(data), 512)], " \t\r\n")
	head = bytes.ToLower(head)
	for _, p := range []string{"<!doctype", "<html", "<table", "<?xml", "<meta", "<head", "<body", "<!--"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return true
		}
	}
	return false
}

func notSpreadsheet(name string) error {
	if ext := extension(name); ext != "" {
		return fileError(fmt.Sprintf("文件（%s）的内容不是 CSV 或 XLSX 表格，请上传 .xlsx 或 .csv 文件", ext),
			fmt.Sprintf("the file (%s) is not a CSV or XLSX spreadsheet; upload an .xlsx or .csv file", ext))
	}
	return fileError("文件的内容不是 CSV 或 XLSX 表格，请上传 .xlsx 或 .csv 文件",
		"the file is not a CSV or XLSX spreadsheet; upload an .xlsx or .csv file")
}

// sniffDelimiter picks the separator that occurs most often, outside
// quotes, in the first non-empty line: European Excel writes ';', Excel's
// text export and many tools write tabs. Comma wins ties and empty lines.
func sniffDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(br.Size())
	candidates := []byte{',', '\t', ';'}
	counts := make([]int, len(candidates))
	inQuote, content := false, false
scan:
	for _, c := range head {
		switch {
		case c == '"':
			inQuote = !inQuote
			content = true
		case inQuote:
		case c == '\n':
			if content {
				break scan
			}
			clear(counts)
		default:
			for i, d := range candidates {
				if c == d {
					counts[i]++
				}
			}
			if c != ' ' && c != '\r' {
				content = true
			}
		}
	}
	best := 0
	for i := range candidates {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return rune(candidates[best])
}
