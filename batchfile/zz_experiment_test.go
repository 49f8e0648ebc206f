package batchfile_test

import (
	"fmt"
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/fahuo/fahuo/batchfile"
)

func expZip(t *testing.T, parts map[string]func(io.Writer)) []byte {
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, p := range bombParts {
		if _, ok := parts[p.name]; ok {
			continue
		}
		w, _ := zw.Create(p.name)
		io.WriteString(w, p.body)
	}
	for name, fn := range parts {
		w, _ := zw.Create(name)
		fn(w)
	}
	zw.Close()
	return out.Bytes()
}

func repeat(w io.Writer, head, unit, tail string, size int) {
	io.WriteString(w, head)
	block := strings.Repeat(unit, 4096)
	for n := 0; n < size; n += len(block) {
		io.WriteString(w, block)
	}
	io.WriteString(w, tail)
}

func measure(t *testing.T, name string, data []byte) {
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
			time.Sleep(100 * time.Microsecond)
		}
	}()
	start := time.Now()
	_, err := batchfile.Read("x.xlsx", data, batchfile.ShipmentSpec())
	took := time.Since(start)
	close(done)
	t.Logf("%s: %d KB file, %v, peak +%d MB, err %v", name, len(data)>>10, took, (<-peak-base)>>20, err)
}

const sheetOneRow = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`

func TestExperiment(t *testing.T) {
	wbRels := `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`
	sst := expZip(t, map[string]func(io.Writer){
		"xl/_rels/workbook.xml.rels": func(w io.Writer) { io.WriteString(w, wbRels) },
		"xl/worksheets/sheet1.xml":   func(w io.Writer) { io.WriteString(w, sheetOneRow) },
		"xl/sharedStrings.xml": func(w io.Writer) {
			repeat(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`, `<si><t>a</t></si>`, `</sst>`, 17*187000-17*4096)
		},
	})
	measure(t, "sst 16MB", sst)
	styles := expZip(t, map[string]func(io.Writer){
		"xl/_rels/workbook.xml.rels": func(w io.Writer) { io.WriteString(w, wbRels) },
		"xl/worksheets/sheet1.xml":   func(w io.Writer) { io.WriteString(w, sheetOneRow) },
		"xl/styles.xml": func(w io.Writer) {
			repeat(w, `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>`, `<xf/>`, `</cellXfs></styleSheet>`, 5*149000-5*4096)
		},
	})
	measure(t, "styles 16MB", styles)
	empty := expZip(t, map[string]func(io.Writer){
		"xl/worksheets/sheet1.xml": func(w io.Writer) {
			repeat(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`, `<row/>`, `</sheetData></worksheet>`, 6*1040000)
		},
	})
	measure(t, "sheet 60MB empty rows", empty)
	cells := expZip(t, map[string]func(io.Writer){
		"xl/worksheets/sheet1.xml": func(w io.Writer) {
			repeat(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`, `<c/>`, `</row></sheetData></worksheet>`, 4*2990000-4*4096)
		},
	})
	measure(t, "sheet of empty cells in one row", cells)
	var rows [][]any
	hdr := []any{"订单号", "快递公司", "运单号"}
	for j := 3; j < 60; j++ {
		hdr = append(hdr, fmt.Sprintf("列%d", j))
	}
	rows = append(rows, hdr)
	for i := 0; i < 5000; i++ {
		r := []any{fmt.Sprintf("69%017d", i), "顺丰", fmt.Sprintf("SF%013d", i)}
		for j := 3; j < 60; j++ {
			if j < 20 {
				r = append(r, fmt.Sprintf("广东省深圳市南山区某某路%d号 %d", i, j))
			} else {
				r = append(r, fmt.Sprintf("状态%d", (i+j)%7))
			}
		}
		rows = append(rows, r)
	}
	measure(t, "legit 60-column export", buildXLSX(t, rows))
}
