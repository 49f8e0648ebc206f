package batchfile_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/fahuo/fahuo/batchfile"
	"github.com/fahuo/fahuo/models"
)

// rowWant is one expected row: its line, its values in spec column order,
// and a piece of its error message ("" when the row must read cleanly).
type rowWant struct {
	line int
	vals []string
	err  string
}

type readCase struct {
	name   string
	file   string
	data   []byte
	spec   batchfile.Spec
	format string
	header bool
	rows   []rowWant
}

func ship() batchfile.Spec  { return batchfile.ShipmentSpec() }
func delay() batchfile.Spec { return batchfile.DelayReportSpec() }

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utf16(t testing.TB, order xunicode.Endianness, s string) []byte {
	t.Helper()
	b, err := xunicode.UTF16(order, xunicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// num is a cell stored as a number with exactly this text in the sheet XML,
// as Excel and other tools write numbers (1.23456789012346E+17, 1.5).
type num string

// buildXLSX writes rows into the first sheet: string → text cell, num → a
// number cell written verbatim, anything else through SetCellValue (ints
// and floats become number cells), nil → no cell.
func buildXLSX(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				t.Fatal(err)
			}
			switch v := v.(type) {
			case nil:
			case string:
				err = f.SetCellStr("Sheet1", cell, v)
			case num:
				err = f.SetCellDefault("Sheet1", cell, string(v))
			default:
				err = f.SetCellValue("Sheet1", cell, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// shipmentRows makes n data rows with realistic identifiers: 19-digit order
// numbers (as text, as they must be) and SF tracking numbers.
func shipmentRows(n int, header bool) [][]any {
	var rows [][]any
	if header {
		rows = append(rows, []any{"订单号", "快递公司", "运单号"})
	}
	for i := range n {
		rows = append(rows, []any{fmt.Sprintf("69%017d", i), "顺丰", fmt.Sprintf("SF%013d", i)})
	}
	return rows
}

func shipmentCSV(n int, header bool) []byte {
	var b bytes.Buffer
	for _, r := range shipmentRows(n, header) {
		fmt.Fprintf(&b, "%s,%s,%s\r\n", r...)
	}
	return b.Bytes()
}

func checkRows(t *testing.T, f *batchfile.File, spec batchfile.Spec, format string, header bool, want []rowWant) {
	t.Helper()
	if f.Format != format || f.Header != header {
		t.Errorf("Format, Header = %q, %v; want %q, %v", f.Format, f.Header, format, header)
	}
	if len(f.Rows) != len(want) {
		for _, r := range f.Rows {
			t.Logf("row %d %v %v", r.Line, r.Values, r.Err)
		}
		t.Fatalf("%d rows, want %d", len(f.Rows), len(want))
	}
	for i, w := range want {
		r := f.Rows[i]
		if r.Line != w.line {
			t.Errorf("row %d: Line = %d, want %d", i, r.Line, w.line)
		}
		for k, col := range spec.Columns {
			if got := r.Values[col.Key]; got != w.vals[k] {
				t.Errorf("line %d: %s = %q, want %q", r.Line, col.Key, got, w.vals[k])
			}
		}
		switch {
		case w.err == "" && r.Err != nil:
			t.Errorf("line %d: unexpected error %v", r.Line, r.Err)
		case w.err != "" && r.Err == nil:
			t.Errorf("line %d: no error, want one containing %q", r.Line, w.err)
		case w.err != "" && (r.Err.Code != models.CodeInvalidFile || !strings.Contains(r.Err.Message, w.err)):
			t.Errorf("line %d: error %v, want INVALID_FILE containing %q", r.Line, r.Err, w.err)
		}
	}
}

func runReadCases(t *testing.T, cases []readCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := batchfile.Read(c.file, c.data, c.spec)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			checkRows(t, f, c.spec, c.format, c.header, c.rows)
		})
	}
}

func TestReadCSV(t *testing.T) {
	const zhHeader = "订单号,快递公司,运单号\n"
	body := "1001,顺丰,SF1234567890123\n1002,中通,78451236985214\n"
	twoRows := []rowWant{
		{2, []string{"1001", "顺丰", "SF1234567890123"}, ""},
		{3, []string{"1002", "中通", "78451236985214"}, ""},
	}
	runReadCases(t, []readCase{
		{name: "utf-8 with header", file: "a.csv", data: []byte(zhHeader + body), spec: ship(), format: "csv", header: true, rows: twoRows},
		{
			name: "without header", file: "a.csv", data: []byte(body), spec: ship(), format: "csv",
			rows: []rowWant{{1, []string{"1001", "顺丰", "SF1234567890123"}, ""}, {2, []string{"1002", "中通", "78451236985214"}, ""}},
		},
		{name: "utf-8 BOM and CRLF", file: "a.csv", data: []byte("\ufeff" + strings.ReplaceAll(zhHeader+body, "\n", "\r\n")), spec: ship(), format: "csv", header: true, rows: twoRows},
		{name: "GB18030 without BOM", file: "发货.csv", data: gbk(t, zhHeader+body), spec: ship(), format: "csv", header: true, rows: twoRows},
		{name: "UTF-8 BOM before GB18030", file: "发货.csv", data: cat([]byte("\xEF\xBB\xBF"), gbk(t, zhHeader+body)), spec: ship(), format: "csv", header: true, rows: twoRows},
		{name: "GB18030 BOM", file: "发货.csv", data: gbk(t, "\ufeff"+zhHeader+body), spec: ship(), format: "csv", header: true, rows: twoRows},
		{name: "UTF-16LE tab text", file: "a.txt", data: utf16(t, xunicode.LittleEndian, strings.ReplaceAll(zhHeader+body, ",", "\t")), spec: ship(), format: "csv", header: true, rows: twoRows},
		{name: "UTF-16BE", file: "a.txt", data: utf16(t, xunicode.BigEndian, zhHeader+body), spec: ship(), format: "csv", header: true, rows: twoRows},
		{name: "tab-delimited", file: "a.tsv", data: []byte(strings.ReplaceAll(zhHeader+body, ",", "\t")), spec: ship(), format: "csv", header: true, rows: twoRows},
		{name: "semicolon-delimited", file: "a.csv", data: []byte(strings.ReplaceAll(zhHeader+body, ",", ";")), spec: ship(), format: "csv", header: true, rows: twoRows},
		{
			name: `="…" unwrapped`, file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte(zhHeader + `="123456789012345678",顺丰,="78451236985214"` + "\n" + `"=""1002""",SF, ="SF 1" ` + "\n"),
			rows: []rowWant{
				{2, []string{"123456789012345678", "顺丰", "78451236985214"}, ""},
				{3, []string{"1002", "SF", "SF 1"}, ""},
			},
		},
		{name: "blank trailing lines", file: "a.csv", data: []byte(zhHeader + body + "\n\n,,\n \t \n\r\n"), spec: ship(), format: "csv", header: true, rows: twoRows},
		{
			name: "blank lines inside count as rows", file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte("\n" + zhHeader + "1001,SF,1\n\n,,\n1002,SF,2\n"),
			rows: []rowWant{{3, []string{"1001", "SF", "1"}, ""}, {6, []string{"1002", "SF", "2"}, ""}},
		},
		{
			name: "multi-line cell is one row", file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte("订单号,快递公司,运单号,备注\n1001,SF,1,\"第一行\n第二行\"\n1002,SF,2,\n"),
			rows: []rowWant{{2, []string{"1001", "SF", "1"}, ""}, {3, []string{"1002", "SF", "2"}, ""}},
		},
		{
			name: "ragged rows", file: "a.csv", spec: ship(), format: "csv",
			data: []byte("1001,SF\n1002,SF,123,extra,more\n1003\n"),
			rows: []rowWant{
				{1, []string{"1001", "SF", ""}, ""},
				{2, []string{"1002", "SF", "123"}, ""},
				{3, []string{"1003", "", ""}, ""},
			},
		},
		{
			name: "header columns in another order, extras ignored", file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte("运单号,备注,订单号,快递公司\nYT123,加急,1001,圆通\n,,1002\n"),
			rows: []rowWant{{2, []string{"1001", "圆通", "YT123"}, ""}, {3, []string{"1002", "", ""}, ""}},
		},
		{
			name: "template header with remarks", file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte("订单号(必填),*快递公司（编码或名称）, 运单号【必填】 \n1001,SF,1\n"),
			rows: []rowWant{{2, []string{"1001", "SF", "1"}, ""}},
		},
		{
			name: "English header variants", file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte("ORDER_NO,Carrier Code,Tracking No.\n1001,SF,1\n"),
			rows: []rowWant{{2, []string{"1001", "SF", "1"}, ""}},
		},
	})
}

func TestReadCSVRowErrors(t *testing.T) {
	runReadCases(t, []readCase{
		{
			name: "scientific notation", file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte("订单号,快递公司,运单号\n1.23457E+17,顺丰,SF1\n1002,顺丰,7.84512E+13\n1003,顺丰,SF3\n1004,顺丰,12E34\n"),
			rows: []rowWant{
				{2, []string{"1.23457E+17", "顺丰", "SF1"}, "第2行: 订单号是数字格式 1.23457E+17"},
				{3, []string{"1002", "顺丰", "7.84512E+13"}, "Line 3: tracking number is in number format (7.84512E+13)"},
				{4, []string{"1003", "顺丰", "SF3"}, ""},
				{5, []string{"1004", "顺丰", "12E34"}, ""},
			},
		},
		{
			name: "decimal point and thousands separators", file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte("订单号,快递公司,运单号\n1001,SF,78451236985214.0\n1.5,SF,1\n\"1,234,567\",SF,1\n"),
			rows: []rowWant{
				{2, []string{"1001", "SF", "78451236985214.0"}, "运单号 78451236985214.0 带小数点"},
				{3, []string{"1.5", "SF", "1"}, "decimal point"},
				{4, []string{"1,234,567", "SF", "1"}, "千位分隔符"},
			},
		},
		{
			name: "formula error", file: "a.csv", spec: ship(), format: "csv",
			data: []byte("1001,#N/A,1\n"),
			rows: []rowWant{{1, []string{"1001", "#N/A", "1"}, "公式错误 #N/A"}},
		},
		{
			name: "expected columns empty", file: "a.csv", spec: ship(), format: "csv", header: true,
			data: []byte("订单号,快递公司,运单号,备注\n,,,合计\n1001,SF,1,\n"),
			rows: []rowWant{{2, []string{"", "", ""}, "都是空的"}, {3, []string{"1001", "SF", "1"}, ""}},
		},
	})
}

func TestStrictColumns(t *testing.T) {
	runReadCases(t, []readCase{
		{
			name: "with header", file: "a.csv", spec: delay(), format: "csv", header: true,
			data: []byte("订单号\n1001\n1002,多余\n1003,\n1004, ,\n"),
			rows: []rowWant{
				{2, []string{"1001"}, ""},
				{3, []string{"1002"}, "第3行: 只能填写「订单号」，第 B 列还有内容"},
				{4, []string{"1003"}, ""},
				{5, []string{"1004"}, ""},
			},
		},
		{
			name: "without header", file: "a.csv", spec: delay(), format: "csv",
			data: []byte("1001\n1002,,,x\n,1003\n"),
			rows: []rowWant{
				{1, []string{"1001"}, ""},
				{2, []string{"1002"}, "Line 2: only \"order number\" may be filled in, column D holds \"x\""},
				{3, []string{""}, "第 B 列"},
			},
		},
		{
			name: "unknown header column", file: "a.csv", spec: delay(), format: "csv", header: true,
			data: []byte("备注,订单号\n,1001\n说明,1002\n"),
			rows: []rowWant{{2, []string{"1001"}, ""}, {3, []string{"1002"}, "第 A 列"}},
		},
		{
			name: "xlsx", file: "a.xlsx", spec: delay(), format: "xlsx", header: true,
			data: buildXLSX(t, [][]any{{"订单号"}, {"1001"}, {"1002", nil, "x"}, {"1003", ""}}),
			rows: []rowWant{{2, []string{"1001"}, ""}, {3, []string{"1002"}, "第3行: 只能填写「订单号」，第 C 列"}, {4, []string{"1003"}, ""}},
		},
	})
}

func TestReadXLSX(t *testing.T) {
	hidden := func() []byte {
		f := excelize.NewFile()
		defer f.Close()
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		idx, err := f.NewSheet("发货")
		must(err)
		f.SetActiveSheet(idx)
		must(f.SetSheetRow("Sheet1", "A1", &[]any{"快递公司列表", "顺丰"}))
		must(f.SetSheetRow("发货", "A1", &[]any{"订单号", "快递公司", "运单号"}))
		must(f.SetSheetRow("发货", "A2", &[]any{"1001", "SF", "1"}))
		must(f.SetSheetVisible("Sheet1", false))
		buf, err := f.WriteToBuffer()
		must(err)
		return buf.Bytes()
	}
	runReadCases(t, []readCase{
		{
			name: "text cells", file: "a.xlsx", spec: ship(), format: "xlsx", header: true,
			data: buildXLSX(t, [][]any{{"订单号", "快递公司", "运单号"}, {"6912345678901234567", "顺丰", "SF1234567890123"}, {"0012", "中通", "78451236985214"}}),
			rows: []rowWant{
				{2, []string{"6912345678901234567", "顺丰", "SF1234567890123"}, ""},
				{3, []string{"0012", "中通", "78451236985214"}, ""},
			},
		},
		{
			name: "14-digit tracking number stored as a number", file: "a.xlsx", spec: ship(), format: "xlsx", header: true,
			data: buildXLSX(t, [][]any{{"订单号", "快递公司", "运单号"}, {"1001", "中通", 78451236985214}, {"1002", "中通", float64(78451236985215)}}),
			rows: []rowWant{{2, []string{"1001", "中通", "78451236985214"}, ""}, {3, []string{"1002", "中通", "78451236985215"}, ""}},
		},
		{
			name: "long numbers stored as numbers", file: "a.xlsx", spec: ship(), format: "xlsx", header: true,
			data: buildXLSX(t, [][]any{
				{"订单号", "快递公司", "运单号"},
				{int64(123456789012345678), "顺丰", "SF1"},
				{"123456789012345678", "顺丰", "SF2"},
				{float64(123456789012345678), "顺丰", "SF3"},
				{num("1.23456789012346E+17"), "顺丰", "SF4"},
				{num("000000000000000012"), "顺丰", "SF5"},
				{"1006", "顺丰", "SF6"},
			}),
			rows: []rowWant{
				{2, []string{"123456789012345678", "顺丰", "SF1"}, "第2行: 订单号 123456789012345678 是数字格式，超过 15 位"},
				{3, []string{"123456789012345678", "顺丰", "SF2"}, ""},
				{4, []string{"123456789012345000", "顺丰", "SF3"}, "is stored as a number"},
				{5, []string{"1.23456789012346E+17", "顺丰", "SF4"}, "订单号是数字格式 1.23456789012346E+17"},
				{6, []string{"000000000000000012", "顺丰", "SF5"}, ""},
				{7, []string{"1006", "顺丰", "SF6"}, ""},
			},
		},
		{
			name: "decimal values", file: "a.xlsx", spec: ship(), format: "xlsx",
			data: buildXLSX(t, [][]any{{1.5, "SF", "1"}, {"1002", "SF", num("78451236985214.0")}, {"1003", "SF", "3"}}),
			rows: []rowWant{
				{1, []string{"1.5", "SF", "1"}, "订单号 1.5 带小数点"},
				{2, []string{"1002", "SF", "78451236985214.0"}, "tracking number 78451236985214.0 has a decimal point"},
				{3, []string{"1003", "SF", "3"}, ""},
			},
		},
		{
			name: "line numbers with gaps and columns in another order", file: "a.xlsx", spec: ship(), format: "xlsx", header: true,
			data: buildXLSX(t, [][]any{nil, {nil, "运单号", "订单号", "物流公司"}, {nil, "1", "1001", "SF"}, nil, {nil, "  ", ""}, {nil, "2", "1002", "YTO"}}),
			rows: []rowWant{{3, []string{"1001", "SF", "1"}, ""}, {6, []string{"1002", "YTO", "2"}, ""}},
		},
		{
			name: "first visible sheet", file: "a.xlsx", spec: ship(), format: "xlsx", header: true, data: hidden(),
			rows: []rowWant{{2, []string{"1001", "SF", "1"}, ""}},
		},
		{
			name: "hand-written workbook, inline strings, rows without numbers", file: "a.xlsx", spec: ship(), format: "xlsx", header: true,
			data: handWorkbook(t, "<sheetData>"+strings.ReplaceAll(inlineRow(0, "订单号", "快递公司", "运单号")+inlineRow(0, "1001", "SF", "1"), ` r="0"`, "")+
				inlineRow(5, "1002", "SF", "2")+`<row><c r="A6" t="str"><v>123456789012345678</v></c><c r="C6"><v>123456789012345678</v></c></row></sheetData></worksheet>`),
			rows: []rowWant{
				{2, []string{"1001", "SF", "1"}, ""},
				{5, []string{"1002", "SF", "2"}, ""},
				{6, []string{"123456789012345678", "", "123456789012345678"}, "运单号 123456789012345678 是数字格式"},
			},
		},
	})
}

func TestMaxRows(t *testing.T) {
	const max = 5000
	for _, format := range []string{"csv", "xlsx"} {
		for _, header := range []bool{true, false} {
			build := func(n int) []byte {
				if format == "xlsx" {
					return buildXLSX(t, shipmentRows(n, header))
				}
				return shipmentCSV(n, header)
			}
			t.Run(fmt.Sprintf("%s header=%v", format, header), func(t *testing.T) {
				spec := ship()
				spec.MaxRows = max
				f, err := batchfile.Read("batch."+format, build(max), spec)
				if err != nil {
					t.Fatalf("exactly MaxRows: %v", err)
				}
				if len(f.Rows) != max || f.Header != header {
					t.Fatalf("%d rows, header %v", len(f.Rows), f.Header)
				}
				first := 1
				if header {
					first = 2
				}
				if f.Rows[0].Line != first || f.Rows[max-1].Line != max+first-1 {
					t.Errorf("lines %d…%d", f.Rows[0].Line, f.Rows[max-1].Line)
				}
				_, err = batchfile.Read("batch."+format, build(max+1), spec)
				wantCode(t, err, models.CodeBatchTooLarge, "5000")
			})
		}
	}
}

// TestTooLargeStopsEarly reads a 12 MB CSV of 300,000 rows: refusing it must
// not parse the rows after the first one too many.
func TestTooLargeStopsEarly(t *testing.T) {
	data := shipmentCSV(300_000, true)
	before := totalAlloc()
	_, err := batchfile.Read("big.csv", data, ship())
	allocated := totalAlloc() - before
	wantCode(t, err, models.CodeBatchTooLarge, "")
	t.Logf("%d MB file refused after allocating %d KB", len(data)>>20, allocated>>10)
	if allocated > 8<<20 {
		t.Errorf("allocated %d MB: the rest of the file was read", allocated>>20)
	}
}

func wantCode(t *testing.T, err error, code models.ErrorCode, msg string) {
	t.Helper()
	e, ok := models.AsError(err)
	if !ok {
		t.Fatalf("error %v, want a *models.Error %s", err, code)
	}
	if e.Code != code || !strings.Contains(e.Message, msg) {
		t.Fatalf("error %v, want %s containing %q", e, code, msg)
	}
	if !strings.Contains(e.Message, " / ") {
		t.Errorf("message %q is not bilingual", e.Message)
	}
}

func TestReadRefusesFile(t *testing.T) {
	valid := buildXLSX(t, shipmentRows(50, true))
	png := cat([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), bytes.Repeat([]byte{0, 1, 2, 200}, 64))
	ole := cat([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 504))
	encrypted := cat(ole, utf16le("EncryptedPackage"))
	zipOf := func(files map[string]string) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for name, body := range files {
			w, err := zw.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, body)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	cases := []struct {
		name, file string
		data       []byte
		spec       batchfile.Spec
		msg        string
	}{
		{"empty", "a.csv", nil, ship(), "文件是空的"},
		{"only blank lines", "a.csv", []byte("\r\n\n  \n"), ship(), "empty"},
		{"only separators", "a.csv", []byte(",,\n,,\n"), ship(), "没有数据行"},
		{"only a header", "a.csv", []byte("订单号,快递公司,运单号\n\n"), ship(), "只有表头"},
		{"only a header in xlsx", "a.xlsx", buildXLSX(t, shipmentRows(0, true)), ship(), "no data rows"},
		{"PNG renamed .csv", "photo.csv", png, ship(), "(.csv) is not a CSV or XLSX"},
		{"binary without name", "", []byte("abc\x00def"), ship(), "不是 CSV 或 XLSX"},
		{"legacy xls", "a.xls", ole, ship(), "另存为 .xlsx 或 .csv"},
		{"encrypted xlsx", "a.xlsx", encrypted, ship(), "password"},
		{"HTML table saved as .xls", "export.xls", []byte("<html><body><table><tr><td>订单号</td></tr></table></body></html>"), ship(), "HTML"},
		{"header lacks a column", "a.csv", []byte("订单号,快递公司\n1001,SF\n"), ship(), "表头缺少 「运单号」 列"},
		{"header lacks two columns", "a.csv", []byte("订单号,备注\n1001,SF\n"), ship(), `lacks the "carrier", "tracking number" columns`},
		{"header names nothing", "a.csv", []byte("编号,公司,号码\n1001,SF,1\n"), ship(), "第1行既不是表头也不是数据"},
		{"title row above header", "a.xlsx", buildXLSX(t, [][]any{{"批量发货模板"}, {"订单号", "快递公司", "运单号"}, {"1", "SF", "1"}}), ship(), "neither a header nor data"},
		{"column named twice", "a.csv", []byte("订单号,订单编号,快递公司,运单号\n1,2,SF,1\n"), ship(), "第 A 列和第 B 列"},
		{"undecodable GBK", "a.csv", []byte("订单号,\x81\x30\n1,2\n"), ship(), "编码"},
		{"zip that is not a workbook", "a.xlsx", zipOf(map[string]string{"readme.txt": "hello"}), ship(), "不是 Excel 工作簿"},
		{"zip without workbook", "a.xlsx", zipOf(map[string]string{"[Content_Types].xml": "<Types/>"}), ship(), "not an Excel workbook"},
		{"empty zip", "a.xlsx", zipOf(nil), ship(), "not an Excel workbook"},
		{"Word document", "a.xlsx", zipOf(map[string]string{
			"[Content_Types].xml": "<Types/>",
			"_rels/.rels":         `<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
			"word/document.xml":   `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>`,
		}), ship(), "不是 Excel 工作簿"},
		{"truncated xlsx", "a.xlsx", valid[:len(valid)/2], ship(), "damaged"},
		{"corrupted sheet data", "a.xlsx", corruptSheet(t, valid), ship(), "damaged"},
		{
			"sheet XML cut short", "a.xlsx",
			handWorkbook(t, "<sheetData>"+inlineRow(1, "订单号", "快递公司", "运单号")+inlineRow(2, "1001", "SF", "1")+`<row r="3"><c t="inlineStr"><is><t>10`),
			ship(), "第3行附近已损坏",
		},
		{"row past Excel's last row", "a.xlsx", handWorkbook(t, "<sheetData>"+inlineRow(1048577, "1001", "SF", "1")+"</sheetData></worksheet>"), ship(), "damaged"},
		{
			"styles that would unpack into gigabytes of structs", "a.xlsx",
			handWorkbook(t, "<sheetData>"+inlineRow(1, "1001", "SF", "1")+"</sheetData></worksheet>",
				[2]string{"xl/styles.xml", `<styleSheet><cellXfs>` + strings.Repeat("<xf/>", 200_000) + `</cellXfs></styleSheet>`}),
			ship(), "holds too much",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := batchfile.Read(c.file, c.data, c.spec)
			if err == nil {
				t.Fatalf("Read accepted the file: %+v", f)
			}
			wantCode(t, err, models.CodeInvalidFile, c.msg)
		})
	}
}

func TestReadRefusesBadSpec(t *testing.T) {
	for _, spec := range []batchfile.Spec{
		{},
		{Columns: []batchfile.Column{{Key: "a"}, {Key: "a"}}},
		{Columns: []batchfile.Column{{Headers: []string{"订单号"}}}},
	} {
		_, err := batchfile.Read("a.csv", []byte("1\n"), spec)
		if err == nil || models.ErrorCodeOf(err) != models.CodeInternal {
			t.Errorf("spec %+v: error %v, want a plain error", spec, err)
		}
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, c := range []byte(s) {
		b = append(b, c, 0)
	}
	return b
}

// corruptSheet flips a byte in the middle of the first sheet's compressed
// data, where only the checksum can tell.
func corruptSheet(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet1.xml" {
			off, err := zf.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			out := bytes.Clone(data)
			out[off+int64(zf.CompressedSize64)/2] ^= 0x55
			return out
		}
	}
	t.Fatal("no sheet1.xml")
	return nil
}

// bombParts are the smallest workbook that points at sheet1.xml, so that
// only the sheet's size can give the bomb away.
var bombParts = []struct{ name, body string }{
	{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
	{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
	{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
	{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
}

// handWorkbook is a workbook written part by part, for what excelize would
// never write: sheet XML as given, extra parts.
func handWorkbook(t *testing.T, sheet string, extra ...[2]string) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	parts := [][2]string{{"xl/worksheets/sheet1.xml", sheetHead + sheet}}
	for _, p := range bombParts {
		parts = append(parts, [2]string{p.name, p.body})
	}
	for _, p := range append(parts, extra...) {
		w, err := zw.Create(p[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p[1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`

func inlineRow(r int, vals ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, r)
	for _, v := range vals {
		fmt.Fprintf(&b, `<c t="inlineStr"><is><t>%s</t></is></c>`, v)
	}
	return b.String() + "</row>"
}

// writeBombSheet writes a sheet of about size bytes of rows, one repeated
// block at a time, so that making it costs no memory.
func writeBombSheet(t testing.TB, w io.Writer, size int) {
	t.Helper()
	block := []byte(strings.Repeat(`<row><c t="inlineStr"><is><t>1001</t></is></c></row>`, 1<<10))
	must := func(_ int, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(io.WriteString(w, sheetHead+`<sheetData>`))
	for n := 0; n < size; n += len(block) {
		must(w.Write(block))
	}
	must(io.WriteString(w, `</sheetData></worksheet>`))
}

// bombXLSX builds a workbook whose sheet unpacks to size bytes. With lie
// the archive claims the sheet is 4 KB, as a crafted bomb would, to get
// past checks that trust declared sizes.
func bombXLSX(t testing.TB, size int, lie bool) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	for _, p := range bombParts {
		w, err := zw.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.body)
	}
	const sheet = "xl/worksheets/sheet1.xml"
	if !lie {
		w, err := zw.Create(sheet)
		if err != nil {
			t.Fatal(err)
		}
		writeBombSheet(t, w, size)
	} else {
		var compressed bytes.Buffer
		fw, err := flate.NewWriter(&compressed, flate.BestSpeed)
		if err != nil {
			t.Fatal(err)
		}
		crc := crc32.NewIEEE()
		writeBombSheet(t, io.MultiWriter(fw, crc), size)
		if err := fw.Close(); err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name: sheet, Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(compressed.Len()), UncompressedSize64: 4 << 10,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(compressed.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestZipBomb(t *testing.T) {
	const size = 200 << 20
	for _, lie := range []bool{false, true} {
		t.Run(fmt.Sprintf("declared size lies=%v", lie), func(t *testing.T) {
			start := time.Now()
			data := bombXLSX(t, size, lie)
			built := time.Since(start)
			before, start := totalAlloc(), time.Now()
			_, err := batchfile.Read("bomb.xlsx", data, ship())
			took, allocated := time.Since(start), totalAlloc()-before
			t.Logf("%d KB file unpacking to %d MB: built in %v, refused in %v after allocating %d KB",
				len(data)>>10, size>>20, built.Round(time.Millisecond), took.Round(time.Microsecond), allocated>>10)
			msg := "unpacks to more than 64 MB"
			if lie {
				msg = "damaged"
			}
			wantCode(t, err, models.CodeInvalidFile, msg)
			if allocated > 32<<20 {
				t.Errorf("allocated %d MB refusing a bomb", allocated>>20)
			}
		})
	}
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// TestReadXLSXMemory logs the heap that reading a full 5000-row workbook
// takes, sampled while Read runs (runtime/metrics needs no stop-the-world).
func TestReadXLSXMemory(t *testing.T) {
	data := buildXLSX(t, shipmentRows(5000, true))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		high := base
		for {
			select {
			case <-done:
				peak <- high
				return
			default:
			}
			metrics.Read(sample)
			high = max(high, sample[0].Value.Uint64())
			time.Sleep(50 * time.Microsecond)
		}
	}()
	before, start := totalAlloc(), time.Now()
	f, err := batchfile.Read("batch.xlsx", data, ship())
	took, allocated := time.Since(start), totalAlloc()-before
	close(done)
	high := <-peak
	if err != nil || len(f.Rows) != 5000 {
		t.Fatalf("Read: %v", err)
	}
	t.Logf("%d KB xlsx, 5000 rows: %v, allocated %.1f MB, peak heap objects %.1f MB above a %.1f MB base",
		len(data)>>10, took.Round(time.Millisecond), float64(allocated)/(1<<20), float64(high-base)/(1<<20), float64(base)/(1<<20))
}

func BenchmarkReadXLSX5000(b *testing.B) {
	data := buildXLSX(b, shipmentRows(5000, true))
	spec := ship()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := batchfile.Read("batch.xlsx", data, spec)
		if err != nil || len(f.Rows) != 5000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadCSV5000(b *testing.B) {
	data := shipmentCSV(5000, true)
	spec := ship()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		f, err := batchfile.Read("batch.csv", data, spec)
		if err != nil || len(f.Rows) != 5000 {
			b.Fatal(err)
		}
	}
}

// ReadFrom refuses an upload over the cap whole, and never reads a file cut
// short at the cap: its last row could be a shortened order number.
func TestReadFromRefusesOversizedUploads(t *testing.T) {
	f, err := batchfile.ReadFrom("orders.csv", strings.NewReader("订单号\n123456\n"), delay())
	if err != nil || len(f.Rows) != 1 || f.Rows[0].Values[batchfile.KeyOrderNumber] != "123456" {
		t.Fatalf("a small file: %+v, %v", f, err)
	}
	big := io.MultiReader(strings.NewReader("订单号\n"), strings.NewReader(strings.Repeat("123456\n", batchfile.MaxFileBytes/7+1)))
	if _, err := batchfile.ReadFrom("orders.csv", big, delay()); models.ErrorCodeOf(err) != models.CodeInvalidFile {
		t.Errorf("a file over %d bytes: %v", batchfile.MaxFileBytes, err)
	}
}
