package frontend

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fahuo/fahuo/batchfile"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
)

// reports lists the shop's delay reports, newest first, by status.
func (p *pages) reports(w http.ResponseWriter, r *http.Request) {
	p.reportList(w, r, false)
}

// reviewQueue is the platform's desk: pending reports, oldest first, with
// their due time and an overdue mark.
func (p *pages) reviewQueue(w http.ResponseWriter, r *http.Request) {
	p.reportList(w, r, true)
}

func (p *pages) reportList(w http.ResponseWriter, r *http.Request, queue bool) {
	if !loggedIn(w, r) {
		return
	}
	ctx, a := r.Context(), fulfillment.ActorFrom(r.Context())
	pg := p.page(w, r, "")
	lang := pg.Lang
	q := r.URL.Query()
	l := ReportList{Heading: T(lang, "nav.reports"), CanFile: fulfillment.Allowed(a, fulfillment.OpCreateDelayReport),
		Base: "/reports", Types: reportTypes(lang), Status: q.Get("status"), Type: q.Get("type"), From: q.Get("from"), To: q.Get("to")}
	if queue {
		l.Heading, l.Base = T(lang, "nav.review"), "/review"
		if l.Status == "" {
			l.Status = string(models.ReportPending)
		}
	}
	pg.Title = l.Heading
	var f fulfillment.ReportFilter
	if slices.Contains([]models.ReportStatus{models.ReportPending, models.ReportApproved, models.ReportRejected}, models.ReportStatus(l.Status)) {
		f.Statuses = []models.ReportStatus{models.ReportStatus(l.Status)}
	} else {
		l.Status = "ALL"
	}
	var bad []string
	if l.Type != "" {
		if slices.Contains(models.DelayReportTypes, models.DelayReportType(l.Type)) {
			f.Types = []models.DelayReportType{models.DelayReportType(l.Type)}
		} else {
			bad = append(bad, T(lang, "report.type"))
		}
	}
	// Days are China days; "to" includes its whole day.
	for _, d := range []struct {
		value string
		into  **time.Time
		next  bool
		label string
	}{{l.From, &f.SubmittedFrom, false, "report.from"}, {l.To, &f.SubmittedTo, true, "report.to"}} {
		if d.value == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.value, models.ChinaTime)
		if err != nil {
			bad = append(bad, T(lang, d.label))
			continue
		}
		if d.next {
			t = t.AddDate(0, 0, 1)
		}
		*d.into = &t
	}
	if len(bad) > 0 {
		l.Error = errorText(lang, models.CodeInvalidArgument) + "：" + strings.Join(bad, "、")
		p.render(w, r, http.StatusUnprocessableEntity, reportsPage(pg, l.withTabs(lang)))
		return
	}
	page, err := p.svc.DelayReports(ctx, a, f, 50, q.Get("after"))
	if err != nil {
		if models.ErrorCodeOf(err) == models.CodeInternal {
			p.fail(w, r, lang, err)
			return
		}
		l.Error = errorText(lang, models.ErrorCodeOf(err))
	}
	keys := make([]fulfillment.Key, len(page.Reports))
	var shopIDs []int64
	for i, rep := range page.Reports {
		keys[i] = fulfillment.Key{ShopID: rep.ShopID, ID: rep.ID}
		shopIDs = append(shopIDs, rep.ShopID)
	}
	shops, err := p.svc.ShopsByID(ctx, a, shopIDs)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	sizes, err := p.svc.ReportOrderCounts(ctx, a, keys)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	for i, rep := range page.Reports {
		l.Rows = append(l.Rows, ReportRow{ID: rep.ID, Shop: shops[rep.ShopID].Name, Type: T(lang, "reportType."+string(rep.Type)),
			Status: T(lang, "reportStatus."+string(rep.Status)), Submitted: chinaTime(rep.SubmittedAt), Due: chinaTime(rep.DueAt),
			Reason: rep.Reason, Orders: int(sizes[keys[i]]), Overdue: p.svc.Overdue(rep)})
	}
	if page.HasNextPage {
		v := l.query()
		v.Set("after", fulfillment.EncodeReportCursor(page.Reports[len(page.Reports)-1]))
		l.NextHref = l.Base + "?" + v.Encode()
	}
	p.render(w, r, http.StatusOK, reportsPage(pg, l.withTabs(lang)))
}

// query is the list's filters as URL parameters.
func (l ReportList) query() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"status": l.Status, "type": l.Type, "from": l.From, "to": l.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// withTabs adds the status tabs, each keeping the other filters.
func (l ReportList) withTabs(lang Lang) ReportList {
	for _, st := range []string{"ALL", string(models.ReportPending), string(models.ReportApproved), string(models.ReportRejected)} {
		label := T(lang, "list.all")
		if st != "ALL" {
			label = T(lang, "reportStatus."+st)
		}
		v := l.query()
		v.Set("status", st)
		l.Tabs = append(l.Tabs, StatusTab{Label: label, Href: l.Base + "?" + v.Encode(), Active: st == l.Status})
	}
	return l
}

func reportTypes(lang Lang) []CarrierOption {
	var out []CarrierOption
	for _, t := range models.DelayReportTypes {
		out = append(out, CarrierOption{Code: string(t), Name: T(lang, "reportType."+string(t))})
	}
	return out
}

func (p *pages) reportForm(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	pg := p.page(w, r, "")
	pg.Title = T(pg.Lang, "report.new")
	f := ReportForm{Types: reportTypes(pg.Lang), NewShipBy: p.svc.Now().In(models.ChinaTime).Add(7 * 24 * time.Hour).Format("2006-01-02T15:04")}
	p.render(w, r, http.StatusOK, reportFormPage(pg, f))
}

// createReport files a report from the form: typed or uploaded order
// numbers, regions as codes, and evidence files; the answer lists refused
// orders or re-shows the form with the reasons.
func (p *pages) createReport(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	ctx, a := r.Context(), fulfillment.ActorFrom(r.Context())
	pg := p.page(w, r, "")
	lang := pg.Lang
	pg.Title = T(lang, "report.new")
	form := ReportForm{Types: reportTypes(lang), Type: r.PostFormValue("type"), Reason: r.PostFormValue("reason"),
		Remark: r.PostFormValue("remark"), NewShipBy: r.PostFormValue("newShipBy"), Regions: r.PostFormValue("regions"),
		OrderNumbers: r.PostFormValue("orderNumbers")}
	in := fulfillment.DelayReportInput{Type: models.DelayReportType(form.Type), Reason: form.Reason, Remark: form.Remark,
		OrderNumbers: strings.Fields(strings.NewReplacer(",", " ", "，", " ").Replace(form.OrderNumbers))}
	if t, err := time.ParseInLocation("2006-01-02T15:04", form.NewShipBy, models.ChinaTime); err == nil {
		in.NewShipBy = t
	}
	for _, c := range strings.Fields(strings.NewReplacer(",", " ", "，", " ").Replace(form.Regions)) {
		in.Regions = append(in.Regions, c)
	}
	if fh, hdr, err := r.FormFile("orderFile"); err == nil {
		f, err := batchfile.ReadFrom(hdr.Filename, fh, batchfile.DelayReportSpec())
		fh.Close()
		if err != nil {
			form.Errors = append(form.Errors, ruleText(lang, err))
			p.render(w, r, http.StatusUnprocessableEntity, reportFormPage(pg, form))
			return
		}
		in.AddOrderFile(f)
		for _, e := range in.FileErrors {
			form.Errors = append(form.Errors, e.Message)
		}
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["evidence"] {
			f, err := fh.Open()
			if err != nil {
				continue
			}
			data, _ := io.ReadAll(io.LimitReader(f, models.MaxEvidenceBytes+1))
			f.Close()
			in.Evidence = append(in.Evidence, fulfillment.EvidenceFile{Filename: fh.Filename, Data: data})
		}
	}
	report, results, err := p.svc.CreateDelayReport(ctx, a, in)
	for _, res := range results {
		if res.Err != nil {
			form.Refused = append(form.Refused, res.OrderNumber+"："+errorText(lang, res.Err.Code))
		}
	}
	if err != nil {
		code := models.ErrorCodeOf(err)
		if code == models.CodeInternal {
			p.fail(w, r, lang, err)
			return
		}
		msg := ruleText(lang, err)
		form.Errors = append(form.Errors, msg)
		p.render(w, r, http.StatusUnprocessableEntity, reportFormPage(pg, form))
		return
	}
	http.Redirect(w, r, "/reports/"+strconv.FormatInt(report.ID, 10), http.StatusSeeOther)
}

// report shows one report with its orders and evidence; the platform gets
// the approve and reject forms.
func (p *pages) report(w http.ResponseWriter, r *http.Request) {
	p.showReport(w, r, http.StatusOK, "")
}

func (p *pages) showReport(w http.ResponseWriter, r *http.Request, status int, failure string) {
	if !loggedIn(w, r) {
		return
	}
	ctx, a := r.Context(), fulfillment.ActorFrom(r.Context())
	pg := p.page(w, r, "")
	lang := pg.Lang
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		p.fail(w, r, lang, models.Errorf(models.CodeNotFound, "no such report"))
		return
	}
	rep, err := p.svc.DelayReport(ctx, a, id)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	orders, err := p.svc.ReportOrders(ctx, a, rep)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	evs, err := p.svc.EvidenceOf(ctx, a, rep)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	shops, err := p.svc.ShopsByID(ctx, a, []int64{rep.ShopID})
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	v := ReportView{ID: rep.ID, Shop: shops[rep.ShopID].Name, Type: T(lang, "reportType."+string(rep.Type)),
		Status: T(lang, "reportStatus."+string(rep.Status)), Reason: rep.Reason, Remark: rep.Remark, NewShipBy: chinaTime(rep.NewShipBy),
		Submitted: chinaTime(rep.SubmittedAt) + " · " + rep.SubmittedBy, Due: chinaTime(rep.DueAt), Overdue: p.svc.Overdue(rep),
		CanReview: fulfillment.CanReview(a, rep), Error: failure}
	pg.Title = v.Type
	if rep.ReviewedAt != nil {
		v.Reviewed = chinaTime(*rep.ReviewedAt)
		if rep.ReviewedBy != nil {
			v.Reviewed += " · " + *rep.ReviewedBy
		}
	}
	if rep.RejectReason != nil {
		v.RejectReason = *rep.RejectReason
	}
	if rep.EffectiveAt != nil {
		v.EffectiveAt = chinaTime(*rep.EffectiveAt)
		if rep.EffectiveConfirmed != nil && !*rep.EffectiveConfirmed {
			v.EffectiveAt += " " + T(lang, "report.unconfirmed")
		}
	}
	for _, code := range rep.Regions {
		v.Regions = append(v.Regions, regions.FullName(code))
	}
	for _, o := range orders {
		v.Orders = append(v.Orders, o.Number)
	}
	for _, ev := range evs {
		v.Evidence = append(v.Evidence, EvidenceView{ID: ev.ID, Filename: ev.Filename, Size: fmt.Sprintf("%.1f KB", float64(ev.Size)/1024),
			Image: strings.HasPrefix(ev.ContentType, "image/")})
	}
	p.render(w, r, status, reportPage(pg, v))
}

func (p *pages) reviewReport(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	a := fulfillment.ActorFrom(r.Context())
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	_, err := p.svc.ReviewDelayReport(r.Context(), a, id, r.PostFormValue("decision") == "APPROVE", r.PostFormValue("rejectReason"))
	if err != nil {
		lang := langOf(w, r)
		code := models.ErrorCodeOf(err)
		if code == models.CodeInternal || code == models.CodeForbidden || code == models.CodeNotFound {
			p.fail(w, r, lang, err)
			return
		}
		p.showReport(w, r, http.StatusUnprocessableEntity, errorText(lang, code))
		return
	}
	http.Redirect(w, r, "/reports/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}

// evidence serves an evidence file to the report's shop and the platform,
// with its type as detected at upload and nothing the browser may sniff
// into something else.
func (p *pages) evidence(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	ev, err := p.svc.EvidenceFileByID(r.Context(), fulfillment.ActorFrom(r.Context()), id)
	if err != nil {
		p.fail(w, r, langOf(w, r), err)
		return
	}
	w.Header().Set("Content-Type", ev.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
	w.Header().Set("Content-Disposition", "inline; filename*=UTF-8''"+url.PathEscape(ev.Filename))
	_, _ = w.Write(ev.Data)
}

func (p *pages) announcements(w http.ResponseWriter, r *http.Request) {
	p.showAnnouncements(w, r, http.StatusOK, "")
}

func (p *pages) showAnnouncements(w http.ResponseWriter, r *http.Request, status int, failure string) {
	if !loggedIn(w, r) {
		return
	}
	a := fulfillment.ActorFrom(r.Context())
	pg := p.page(w, r, "")
	pg.Title = T(pg.Lang, "nav.announcements")
	anns, err := p.svc.Announcements(r.Context(), a)
	if err != nil {
		p.fail(w, r, pg.Lang, err)
		return
	}
	var rows []AnnouncementRow
	for _, an := range anns {
		var names []string
		for _, c := range an.Regions {
			names = append(names, regions.FullName(c))
		}
		rows = append(rows, AnnouncementRow{Title: an.Title, Regions: strings.Join(names, "、"),
			Range: chinaTime(an.StartsAt) + " – " + chinaTime(an.EndsAt), Published: chinaTime(an.PublishedAt)})
	}
	p.render(w, r, status, announcementsPage(pg, rows, fulfillment.Allowed(a, fulfillment.OpPublishAnnouncement), failure))
}

func (p *pages) publishAnnouncement(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	parse := func(v string) time.Time {
		t, _ := time.ParseInLocation("2006-01-02T15:04", v, models.ChinaTime)
		return t
	}
	codes := strings.Fields(strings.NewReplacer(",", " ", "，", " ").Replace(r.PostFormValue("regions")))
	_, err := p.svc.PublishAnnouncement(r.Context(), fulfillment.ActorFrom(r.Context()), r.PostFormValue("title"), codes,
		parse(r.PostFormValue("from")), parse(r.PostFormValue("to")))
	if err != nil {
		code := models.ErrorCodeOf(err)
		if code == models.CodeInternal || code == models.CodeForbidden {
			p.fail(w, r, langOf(w, r), err)
			return
		}
		p.showAnnouncements(w, r, http.StatusUnprocessableEntity, errorText(langOf(w, r), code))
		return
	}
	http.Redirect(w, r, "/announcements", http.StatusSeeOther)
}
