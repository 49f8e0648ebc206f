package frontend

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"

	"github.com/fahuo/fahuo/batchfile"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
)

func (p *pages) batchForm(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	pg := p.page(w, r, "")
	pg.Title = T(pg.Lang, "nav.batch")
	p.render(w, r, http.StatusOK, batchPage(pg, BatchView{}))
}

// batch runs an uploaded batch file (ship or append) and shows the answer
// row by row, with the refused rows to download.
func (p *pages) batch(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	pg := p.page(w, r, "")
	lang := pg.Lang
	pg.Title = T(lang, "nav.batch")
	view := BatchView{Kind: r.PostFormValue("kind")}
	fail := func(err error) {
		code := models.ErrorCodeOf(err)
		if code == models.CodeInternal {
			p.fail(w, r, lang, err)
			return
		}
		view.Error = ruleText(lang, err)
		p.render(w, r, http.StatusUnprocessableEntity, batchPage(pg, view))
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		fail(models.Errorf(models.CodeInvalidFile, "no file"))
		return
	}
	defer file.Close()
	f, err := batchfile.ReadFrom(header.Filename, file, batchfile.ShipmentSpec())
	if err != nil {
		fail(err)
		return
	}
	rows := fulfillment.BatchRowsOf(f)
	run := p.svc.BatchShipOrders
	if view.Kind == "append" {
		run = p.svc.BatchAppendPackages
	}
	res, err := run(r.Context(), fulfillment.ActorFrom(r.Context()), rows, "")
	if err != nil {
		fail(err)
		return
	}
	view.Succeeded, view.Failed = res.Succeeded, res.Failed
	var refused bytes.Buffer
	cw := csv.NewWriter(&refused)
	_ = cw.Write([]string{"订单号", "快递公司", "快递单号", "原因"})
	for i, row := range res.Rows {
		v := BatchRowView{Line: row.Line, OrderNumber: row.OrderNumber, OK: row.OK()}
		if row.OK() {
			v.Outcome = T(lang, "batch.ok")
			if row.Package != nil {
				v.Package = row.Package.CarrierCode + " " + row.Package.TrackingNumber
			}
		} else {
			v.Outcome = errorText(lang, row.Err.Code)
			v.Message = row.Err.Message
			_ = cw.Write([]string{rows[i].OrderNumber, rows[i].Carrier, rows[i].TrackingNumber, v.Outcome + "：" + row.Err.Message})
		}
		view.Rows = append(view.Rows, v)
	}
	cw.Flush()
	if res.Failed > 0 {
		// With a BOM, so that Excel opens the Chinese text as UTF-8.
		view.RefusedCSV = "data:text/csv;charset=utf-8," + url.PathEscape("\ufeff"+refused.String())
	}
	p.render(w, r, http.StatusOK, batchPage(pg, view))
}
