package batchfile

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/htmlindex"
)

// Unpacking limits. A batch sheet of 5000 rows unpacks to a few megabytes;
// excelize's own defaults (16 GB) would let a 100 KB upload unpack to
// gigabytes. A worksheet or shared-string table over the XML limit goes to a
// temporary file instead of memory; every other part must stay under it.
const (
	unzipSizeLimit    = 64 << 20
	unzipXMLSizeLimit = 16 << 20
	maxParts          = 1000
)

// Markup limits, counted as '<' plus '=' (elements plus attributes) in each
// XML part. Bytes alone do not bound the cost: excelize decodes the styles
// and the shared strings into structs at a few hundred bytes per element,
// so 16 MB of "<xf/>" (an 86 KB upload) took over 1 GB, and every element of
// the sheet costs CPU in both passes over it. The sheet limit fits a
// 5000-row order export of 60 columns; the shared strings, 150,000 distinct
// texts; no other part of a real batch file comes near its limit.
const (
	maxSheetMarkup   = 3_000_000
	maxStringsMarkup = 750_000
	maxPartMarkup    = 150_000
	// maxSheetRows is Excel's own row limit: a sheet past it was not made
	// by a spreadsheet, and rows without numbers could go on forever.
	maxSheetRows = 1 << 20
)

// readXLSX reads the workbook's first visible sheet. The archive is checked
// before excelize sees it — declared sizes, duplicates, and every part
// unpacked once into nothing — because excelize trusts declared sizes and
// ignores unpacking errors, and a lying archive would otherwise be read as a
// silently shortened sheet.
func readXLSX(data []byte, t *table) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return damaged()
	}
	parts, err := checkZip(zr)
	if err != nil {
		return err
	}
	name, sheet, err := firstSheet(parts)
	if err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    unzipSizeLimit,
		UnzipXMLSizeLimit: unzipXMLSizeLimit,
	})
	if f != nil {
		defer f.Close()
	}
	if err != nil {
		return damaged()
	}
	if err := readRows(f, name, t); err != nil {
		return err
	}
	return checkSheet(sheet, t)
}

// readRows streams the sheet's rows with raw cell values: number formats
// would show what a cell looks like, and a long number formatted "0" looks
// like a valid order number while its digits are already rounded.
func readRows(f *excelize.File, sheet string, t *table) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return damaged()
	}
	defer rows.Close()
	line := 0
	for rows.Next() {
		if line++; line > maxSheetRows {
			return damagedAt(line)
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return damagedAt(line)
		}
		if err := t.add(line, cells); err != nil {
			return err
		}
	}
	if rows.Error() != nil {
		return damaged()
	}
	return nil
}

// checkSheet reads the sheet's XML a second time, on its own, for what
// excelize's row iterator does not tell: whether the long digit strings are
// stored as numbers or as text, and whether the XML was cut short (the
// iterator stops at a syntax error as if the sheet had ended).
func checkSheet(sheet *zip.File, t *table) error {
	rc, err := sheet.Open()
	if err != nil {
		return damaged()
	}
	defer rc.Close()
	d := newXMLDecoder(rc)
	line, col, inData := 0, 0, false
	for {
		// RawToken: element names are all that is needed, and namespace
		// resolution would double the cost of this pass.
		tok, err := d.RawToken()
		if err != nil {
			if err == io.EOF && !inData {
				return nil
			}
			return damagedAt(line)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch {
			case el.Name.Local == "sheetData":
				inData = true
			case !inData:
			case el.Name.Local == "row":
				if n, _ := strconv.Atoi(attr(el, "r", false)); n != 0 {
					line = n
				} else {
					line++
				}
				col = 0
			case el.Name.Local == "c":
				col++
				if ref := attr(el, "r", false); ref != "" {
					if c, _, err := excelize.CellNameToCoordinates(ref); err == nil {
						col = c
					}
				}
				if c, ok := t.long[cellKey{line, col}]; ok {
					if typ := attr(el, "t", false); typ == "" || typ == "n" {
						t.markNumber(c)
					}
				}
			}
		case xml.EndElement:
			if el.Name.Local == "sheetData" {
				return nil
			}
		}
	}
}

// checkZip refuses archives that are not workbooks or that would unpack to
// more than the limits, and proves that every part unpacks to exactly its
// declared size with the right checksum (archive/zip checks both), at the
// cost of one pass that keeps nothing in memory.
func checkZip(zr *zip.Reader) (map[string]*zip.File, error) {
	if len(zr.File) > maxParts {
		return nil, notWorkbook()
	}
	parts := make(map[string]*zip.File, len(zr.File))
	seen := make(map[string]bool, len(zr.File))
	var total uint64
	for _, zf := range zr.File {
		name := strings.ReplaceAll(zf.Name, "\\", "/")
		lower := strings.ToLower(name)
		if seen[lower] {
			return nil, damaged()
		}
		seen[lower] = true
		parts[name] = zf
		size := zf.UncompressedSize64
		if size > unzipSizeLimit {
			return nil, tooLargeUnzipped()
		}
		if total += size; total > unzipSizeLimit {
			return nil, tooLargeUnzipped()
		}
		if size > unzipXMLSizeLimit && !strings.HasPrefix(lower, "xl/worksheets/sheet") && lower != "xl/sharedstrings.xml" {
			return nil, tooLargeUnzipped()
		}
	}
	if !seen["[content_types].xml"] {
		return nil, notWorkbook()
	}
	for _, zf := range zr.File {
		if err := checkPart(zf); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// checkPart unpacks one part into nothing, counting the markup of XML parts
// and stopping as soon as it passes the part's limit.
func checkPart(zf *zip.File) error {
	rc, err := zf.Open()
	if err != nil {
		return damaged()
	}
	defer rc.Close()
	w := &markupCounter{limit: -1}
	lower := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
	switch {
	case !strings.HasSuffix(lower, ".xml") && !strings.HasSuffix(lower, ".rels"):
	case strings.HasPrefix(lower, "xl/worksheets/"):
		w.limit = maxSheetMarkup
	case lower == "xl/sharedstrings.xml":
		w.limit = maxStringsMarkup
	default:
		w.limit = maxPartMarkup
	}
	if _, err := io.Copy(w, rc); err != nil {
		if errors.Is(err, errTooMuchMarkup) {
			return fileError("工作簿内容过多，请只保留需要的工作表、行和列后另存为新文件",
				"the workbook holds too much; keep only the sheet, rows and columns needed and save it as a new file")
		}
		return damaged()
	}
	return nil
}

var errTooMuchMarkup = errors.New("batchfile: too much markup")

// markupCounter counts elements and attributes of what is written to it;
// a negative limit counts nothing.
type markupCounter struct{ n, limit int }

func (c *markupCounter) Write(p []byte) (int, error) {
	if c.limit < 0 {
		return len(p), nil
	}
	c.n += bytes.Count(p, []byte("<")) + bytes.Count(p, []byte("="))
	if c.n > c.limit {
		return 0, errTooMuchMarkup
	}
	return len(p), nil
}

// firstSheet finds the first visible worksheet, by the same path rules as
// excelize, so that checkSheet reads the part the rows came from. The first
// visible sheet is the one the merchant sees on opening the file; a hidden
// first sheet is usually a template's lookup list.
func firstSheet(parts map[string]*zip.File) (string, *zip.File, error) {
	var workbook string
	for _, rel := range relationships(parts["_rels/.rels"]) {
		if strings.HasSuffix(rel.typ, "/officeDocument") {
			workbook = strings.TrimPrefix(rel.target, "/")
			break
		}
	}
	if parts[workbook] == nil {
		return "", nil, notWorkbook()
	}
	dir := path.Dir(workbook)
	relsPath := strings.TrimPrefix(dir+"/_rels/"+path.Base(workbook)+".rels", "./")
	targets := map[string]string{}
	for _, rel := range relationships(parts[relsPath]) {
		targets[rel.id] = rel.target
	}
	type sheet struct{ name, state, id string }
	var sheets []sheet
	root := ""
	walkXML(parts[workbook], func(el xml.StartElement) {
		if root == "" {
			root = el.Name.Local
		}
		if el.Name.Local == "sheet" {
			sheets = append(sheets, sheet{attr(el, "name", false), attr(el, "state", false), attr(el, "id", true)})
		}
	})
	if root != "workbook" {
		// A Word or PowerPoint file is packaged the same way.
		return "", nil, notWorkbook()
	}
	if len(sheets) == 0 {
		return "", nil, fileError("工作簿里没有工作表", "the workbook has no worksheet")
	}
	chosen := sheets[0]
	for _, s := range sheets {
		if s.state == "" || s.state == "visible" {
			chosen = s
			break
		}
	}
	target, ok := targets[chosen.id]
	if !ok {
		return "", nil, damaged()
	}
	p := strings.TrimPrefix(path.Clean(dir+"/"+target), "/")
	if strings.HasPrefix(target, "/") {
		p = strings.TrimPrefix(path.Clean(target), "/")
	}
	if parts[p] == nil {
		return "", nil, damaged()
	}
	return chosen.name, parts[p], nil
}

type relationship struct{ id, typ, target string }

func relationships(zf *zip.File) []relationship {
	var rels []relationship
	walkXML(zf, func(el xml.StartElement) {
		if el.Name.Local == "Relationship" {
			rels = append(rels, relationship{attr(el, "Id", false), attr(el, "Type", false), attr(el, "Target", false)})
		}
	})
	return rels
}

// walkXML calls fn for each element of a small part; a missing or broken
// part yields what was read, and the caller judges what is missing.
func walkXML(zf *zip.File, fn func(xml.StartElement)) {
	if zf == nil {
		return
	}
	rc, err := zf.Open()
	if err != nil {
		return
	}
	defer rc.Close()
	d := newXMLDecoder(rc)
	for {
		tok, err := d.Token()
		if err != nil {
			return
		}
		if el, ok := tok.(xml.StartElement); ok {
			fn(el)
		}
	}
}

// newXMLDecoder accepts the legacy encodings that some tools declare in
// their XML, as excelize does.
func newXMLDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = func(label string, input io.Reader) (io.Reader, error) {
		enc, err := htmlindex.Get(label)
		if err != nil {
			return nil, err
		}
		return enc.NewDecoder().Reader(input), nil
	}
	return d
}

// attr finds an attribute by local name; namespaced asks for one in a
// namespace (r:id), whatever prefix or namespace URI the producer used.
func attr(el xml.StartElement, local string, namespaced bool) string {
	for _, a := range el.Attr {
		if a.Name.Local == local && (a.Name.Space != "") == namespaced {
			return a.Value
		}
	}
	return ""
}

func damaged() error {
	return fileError("文件已损坏，无法作为 .xlsx 打开，请用 Excel 重新保存后再上传",
		"the file is damaged and cannot be opened as .xlsx; save it again from Excel and upload it")
}

func damagedAt(line int) error {
	return fileError(fmt.Sprintf("文件在第%d行附近已损坏，请用 Excel 重新保存后再上传", line),
		fmt.Sprintf("the file is damaged near line %d; save it again from Excel and upload it", line))
}

func notWorkbook() error {
	return fileError("压缩文件不是 Excel 工作簿 (.xlsx)，请上传 .xlsx 或 .csv 文件",
		"the ZIP archive is not an Excel workbook (.xlsx); upload an .xlsx or .csv file")
}

func tooLargeUnzipped() error {
	return fileError("文件解压后过大（超过 64 MB），请只保留需要的行和列",
		"the workbook unpacks to more than 64 MB; keep only the rows and columns needed")
}
