package batchfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/fahuo/fahuo/models"
	"github.com/xuri/excelize/v2"
)

// column is a Column made ready for matching and for messages.
type column struct {
	key    string
	zh, en string
	names  map[string]bool
}

// cellKey is a cell's place in the sheet: the row's line and the 1-based
// column, as XLSX cell references count them.
type cellKey struct{ line, col int }

// longCell points at a value that may be a rounded number: the row (index
// into table.rows) and the expected column (index into table.cols).
type longCell struct{ row, col int }

// table turns a stream of spreadsheet rows, whatever the format, into Rows:
// one place decides what a header is and what a valid value is, so CSV and
// XLSX never disagree about the same sheet.
type table struct {
	cols    []column
	maxRows int
	strict  bool
	xlsx    bool

	started bool
	header  bool
	index   []int  // expected column → cell index
	used    []bool // cell index → read as an expected column
	rows    []Row
	long    map[cellKey]longCell
}

func newTable(spec Spec) (*table, error) {
	if len(spec.Columns) == 0 {
		return nil, errors.New("batchfile: spec has no columns")
	}
	t := &table{maxRows: spec.MaxRows, strict: spec.StrictColumns, long: map[cellKey]longCell{}}
	if t.maxRows <= 0 {
		t.maxRows = models.MaxBatchRows
	}
	seen := map[string]bool{}
	for _, c := range spec.Columns {
		if c.Key == "" || seen[c.Key] {
			return nil, fmt.Errorf("batchfile: spec column key %q is empty or repeated", c.Key)
		}
		seen[c.Key] = true
		col := column{key: c.Key, names: map[string]bool{}}
		for _, h := range c.Headers {
			if n := normalizeHeader(h); n != "" {
				col.names[n] = true
			}
			if col.zh == "" && !isASCII(h) {
				col.zh = h
			}
			if col.en == "" && isASCII(h) {
				col.en = h
			}
		}
		if col.zh == "" {
			col.zh = c.Key
		}
		if col.en == "" {
			col.en = c.Key
		}
		t.cols = append(t.cols, col)
	}
	return t, nil
}

// add takes one spreadsheet row at its line. The first non-empty row may be
// the header; after that every non-empty row is a data row, and the one past
// the limit stops the whole file.
func (t *table) add(line int, cells []string) error {
	if blank(cells) {
		return nil
	}
	if !t.started {
		t.started = true
		isHeader, err := t.detectHeader(line, cells)
		if err != nil || isHeader {
			return err
		}
	}
	if len(t.rows) >= t.maxRows {
		return models.Errorf(models.CodeBatchTooLarge, "文件超过 %d 行数据 / The file has more than %d data rows", t.maxRows, t.maxRows)
	}
	t.rows = append(t.rows, t.row(line, cells))
	return nil
}

// detectHeader decides whether the first non-empty row is a header and maps
// the columns. A row that names no expected column is taken as data only
// when it looks like data; otherwise it is most likely a header with names
// we do not know, and reading it by position would ship the wrong values.
func (t *table) detectHeader(line int, cells []string) (bool, error) {
	index := make([]int, len(t.cols))
	for k := range index {
		index[k] = -1
	}
	found := false
	for j, c := range cells {
		k := t.lookup(c)
		if k < 0 {
			continue
		}
		if index[k] >= 0 {
			col := t.cols[k]
			return false, fileError(
				fmt.Sprintf("表头中「%s」列出现了两次（第 %s 列和第 %s 列）", col.zh, columnName(index[k]), columnName(j)),
				fmt.Sprintf("the header names the %q column twice (columns %s and %s)", col.en, columnName(index[k]), columnName(j)))
		}
		index[k] = j
		found = true
	}
	if !found {
		if !t.dataLike(cells) {
			zh, en := t.names(t.cols)
			return false, fileError(
				fmt.Sprintf("第%d行既不是表头也不是数据，表头须包含 %s", line, zh),
				fmt.Sprintf("line %d is neither a header nor data; the header must name %s", line, en))
		}
		for k := range index {
			index[k] = k
		}
		t.setIndex(index)
		return false, nil
	}
	var missing []column
	for k, j := range index {
		if j < 0 {
			missing = append(missing, t.cols[k])
		}
	}
	if len(missing) > 0 {
		zh, en := t.names(missing)
		return false, fileError("表头缺少 "+zh+" 列", "the header lacks the "+en+plural(len(missing), " column", " columns"))
	}
	t.header = true
	t.setIndex(index)
	return true, nil
}

func (t *table) setIndex(index []int) {
	t.index = index
	for _, j := range index {
		for len(t.used) <= j {
			t.used = append(t.used, false)
		}
		t.used[j] = true
	}
}

func (t *table) lookup(cell string) int {
	n := normalizeHeader(clean(cell))
	if n == "" {
		return -1
	}
	for k, c := range t.cols {
		if c.names[n] {
			return k
		}
	}
	return -1
}

// dataLike tells whether a row without known header names can be data: one
// of the cells where an expected column would be holds an identifier.
func (t *table) dataLike(cells []string) bool {
	for j := 0; j < len(t.cols) && j < len(cells); j++ {
		if identifierLike(clean(cells[j])) {
			return true
		}
	}
	return false
}

func (t *table) names(cols []column) (zh, en string) {
	var z, e []string
	for _, c := range cols {
		z = append(z, "「"+c.zh+"」")
		e = append(e, fmt.Sprintf("%q", c.en))
	}
	return strings.Join(z, "、"), strings.Join(e, ", ")
}

// row reads one data row; the first problem found is the row's error.
func (t *table) row(line int, cells []string) Row {
	r := Row{Line: line, Values: make(map[string]string, len(t.cols))}
	empty := true
	for k, col := range t.cols {
		v := ""
		if j := t.index[k]; j < len(cells) {
			v = clean(cells[j])
		}
		r.Values[col.key] = v
		if v == "" {
			continue
		}
		empty = false
		if r.Err == nil {
			r.Err = checkValue(line, col, v)
		}
		if r.Err == nil && t.xlsx && longDigits(v) {
			t.long[cellKey{line, t.index[k] + 1}] = longCell{len(t.rows), k}
		}
	}
	if r.Err == nil && t.strict {
		for j, c := range cells {
			if j < len(t.used) && t.used[j] {
				continue
			}
			if v := clean(c); v != "" {
				zh, en := t.names(t.cols)
				r.Err = rowError(line, nil,
					fmt.Sprintf("只能填写%s，第 %s 列还有内容 %s", zh, columnName(j), quote(v)),
					fmt.Sprintf("only %s may be filled in, column %s holds %s", en, columnName(j), quote(v)))
				break
			}
		}
	}
	if r.Err == nil && empty {
		zh, en := t.names(t.cols)
		r.Err = rowError(line, nil, zh+plural(len(t.cols), "是空的", "都是空的"), en+plural(len(t.cols), " is empty", " are all empty"))
	}
	return r
}

// markNumber refuses the rows whose long digit strings the sheet stores as
// numbers: a spreadsheet keeps 15 significant digits, so the digits after
// the 15th may already be wrong, and a wrong order number could ship
// someone else's order.
func (t *table) markNumber(c longCell) {
	r := &t.rows[c.row]
	if r.Err != nil {
		return
	}
	col := t.cols[c.col]
	v := r.Values[col.key]
	r.Err = rowError(r.Line, []string{col.key},
		fmt.Sprintf("%s %s 是数字格式，超过 15 位的数字会被 Excel 改动，请将该列设为文本后重新填写", col.zh, v),
		fmt.Sprintf("%s %s is stored as a number and Excel keeps only 15 digits; format the column as text and enter it again", col.en, v))
}

// excelErrors are the error values a formula cell shows; such a cell holds
// no identifier at all.
var excelErrors = map[string]bool{
	"#N/A": true, "#VALUE!": true, "#REF!": true, "#DIV/0!": true, "#NUM!": true,
	"#NAME?": true, "#NULL!": true, "#SPILL!": true, "#CALC!": true, "#GETTING_DATA": true,
}

// checkValue refuses identifiers that a spreadsheet has turned into
// numbers: every expected column holds an identifier (order number, carrier
// code or name, tracking number), and none of them is ever written in
// scientific notation, with a decimal point or with thousands separators.
func checkValue(line int, col column, v string) *models.Error {
	field := []string{col.key}
	if excelErrors[strings.ToUpper(v)] {
		return rowError(line, field, fmt.Sprintf("%s单元格是公式错误 %s", col.zh, v),
			fmt.Sprintf("the %s cell holds the formula error %s", col.en, v))
	}
	const (
		zhFix = "，请将该列设为文本后重新导出或填写"
		enFix = "; format the column as text and export or enter it again"
	)
	switch numberShape(v) {
	case scientific:
		return rowError(line, field, fmt.Sprintf("%s是数字格式 %s，已丢失位数%s", col.zh, v, zhFix),
			fmt.Sprintf("%s is in number format (%s) and has lost digits%s", col.en, v, enFix))
	case decimal:
		return rowError(line, field, fmt.Sprintf("%s %s 带小数点%s", col.zh, v, zhFix),
			fmt.Sprintf("%s %s has a decimal point%s", col.en, v, enFix))
	case grouped:
		return rowError(line, field, fmt.Sprintf("%s %s 带千位分隔符%s", col.zh, v, zhFix),
			fmt.Sprintf("%s %s has thousands separators%s", col.en, v, enFix))
	}
	return nil
}

// shape is what kind of number a cell's text is, if any.
type shape int

const (
	notNumber shape = iota
	integer
	decimal
	scientific
	grouped
)

// numberShape classifies text the way a spreadsheet would have written a
// number: 123, 1.5, 1.23457E+17, 1,234,567. Scientific notation needs its
// exponent sign, as spreadsheets always write it, so that a code like
// "12E34" is not mistaken for a number.
func numberShape(s string) shape {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	lead := digits(s[i:])
	if lead == 0 {
		return notNumber
	}
	i += lead
	isGrouped := false
	for i < len(s) && s[i] == ',' {
		if lead > 3 || digits(s[i+1:]) != 3 {
			return notNumber
		}
		i += 4
		isGrouped = true
	}
	isDecimal := false
	if i < len(s) && s[i] == '.' {
		n := digits(s[i+1:])
		if n == 0 {
			return notNumber
		}
		i += 1 + n
		isDecimal = true
	}
	switch {
	case i == len(s) && isGrouped:
		return grouped
	case i == len(s) && isDecimal:
		return decimal
	case i == len(s):
		return integer
	case s[i] != 'e' && s[i] != 'E':
		return notNumber
	}
	i++
	if i >= len(s) || (s[i] != '+' && s[i] != '-') {
		return notNumber
	}
	i++
	n := digits(s[i:])
	if n == 0 || i+n != len(s) {
		return notNumber
	}
	return scientific
}

// digits counts the leading ASCII digits of s.
func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// longDigits tells whether v is a digit string longer than a spreadsheet
// number can hold exactly (15 significant digits).
func longDigits(v string) bool {
	return digits(v) == len(v) && len(strings.TrimLeft(v, "0")) > 15
}

// identifierLike tells whether v could be an order or tracking number:
// letters, digits and the punctuation numbers are written with, and at
// least one digit. Header words ("订单号", "Order ID") are not.
func identifierLike(v string) bool {
	hasDigit := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			hasDigit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_', c == '.', c == '+', c == ',':
		default:
			return false
		}
	}
	return hasDigit
}

// clean trims a cell and unwraps Excel's ="…" form, which exports use to
// keep long numbers as text.
func clean(v string) string {
	v = strings.TrimFunc(v, isBlank)
	if len(v) >= 3 && v[0] == '=' && v[1] == '"' && v[len(v)-1] == '"' {
		v = strings.TrimFunc(strings.ReplaceAll(v[2:len(v)-1], `""`, `"`), isBlank)
	}
	return v
}

// isBlank also covers the zero-width characters that copying from web pages
// leaves around numbers, invisible to the merchant.
func isBlank(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff':
		return true
	}
	return unicode.IsSpace(r)
}

func blank(cells []string) bool {
	for _, c := range cells {
		if clean(c) != "" {
			return false
		}
	}
	return true
}

// normalizeHeader reduces a header text to what matters for matching:
// full-width forms folded, lower case, without spaces, '*', '_', '-', '.',
// ':' and bracketed remarks such as (必填) or 【必填】.
func normalizeHeader(s string) string {
	s = strings.ToLower(width.Fold.String(s))
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '[', '【', '〔', '〖':
			depth++
			continue
		case ')', ']', '】', '〕', '〗':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth > 0 || isBlank(r) {
			continue
		}
		switch r {
		case '*', '_', '-', '.', ':', '：':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// columnName is the spreadsheet letter of a 0-based cell index, which is how
// merchants find a column in Excel or WPS.
func columnName(j int) string {
	name, err := excelize.ColumnNumberToName(j + 1)
	if err != nil {
		return fmt.Sprint(j + 1)
	}
	return name
}
