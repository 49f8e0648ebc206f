package frontend

import (
	"fmt"
	"net/http"
	"time"

	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
)

// Chart geometry, in the SVG's units: bars stand on y = 180 and are at most
// 160 high.
const (
	chartLeft   = 44
	chartWidth  = 700
	chartBottom = 180
	chartHeight = 160
)

// figures shows the shop's on-time rate per day and its capacity against
// the orders falling due, for a period of days (default: the last 14 and
// the next 14).
func (p *pages) figures(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	ctx, a := r.Context(), fulfillment.ActorFrom(r.Context())
	pg := p.page(w, r, "")
	lang := pg.Lang
	pg.Title = T(lang, "nav.figures")
	now := p.svc.Now().In(models.ChinaTime)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, models.ChinaTime)
	from, to := today.AddDate(0, 0, -14), today.AddDate(0, 0, 14)
	if t, err := time.ParseInLocation(time.DateOnly, r.URL.Query().Get("from"), models.ChinaTime); err == nil {
		from = t
	}
	if t, err := time.ParseInLocation(time.DateOnly, r.URL.Query().Get("to"), models.ChinaTime); err == nil {
		to = t.AddDate(0, 0, 1)
	}
	v := FiguresView{From: from.Format(time.DateOnly), To: to.AddDate(0, 0, -1).Format(time.DateOnly)}
	figs, err := p.svc.ShopMetrics(ctx, a, 0, from, to)
	if err != nil {
		if models.ErrorCodeOf(err) == models.CodeInternal || models.ErrorCodeOf(err) == models.CodeForbidden {
			p.fail(w, r, lang, err)
			return
		}
		v.Error = errorText(lang, models.ErrorCodeOf(err))
		p.render(w, r, http.StatusUnprocessableEntity, figuresPage(pg, v))
		return
	}
	caps, err := p.svc.ShippingCapacity(ctx, a, 0, from, to)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	percent := func(r *float64) string {
		if r == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", *r*100)
	}
	t := figs.Total
	v.OnTimeRate, v.PickupRate = percent(t.OnTimeRate()), percent(t.PickupAnomalyRate())
	for _, f := range []struct {
		key string
		n   int64
	}{{"figures.due", t.Due}, {"figures.onTime", t.OnTime}, {"figures.late", t.Late}, {"figures.notYetDue", t.NotYetDue},
		{"figures.exemptReport", t.ExemptByReport}, {"figures.exemptAnnouncement", t.ExemptByAnnouncement},
		{"figures.shipped", t.Shipped}, {"figures.anomalies", t.PickupAnomalies}} {
		v.Totals = append(v.Totals, Fact{Label: T(lang, f.key), Value: fmt.Sprint(f.n)})
	}
	n := max(len(figs.Days), 1)
	step := chartWidth / n
	for i, d := range figs.Days {
		label := d.Day[5:]
		if i%max(1, n/10) != 0 {
			label = ""
		}
		b := Bar{X: chartLeft + i*step, W: max(step-2, 1), Label: label}
		if rate := d.OnTimeRate(); rate != nil {
			b.H = int(*rate * chartHeight)
			b.Title = fmt.Sprintf("%s %s (%d/%d)", d.Day, percent(rate), d.OnTime, d.OnTime+d.Late)
		} else {
			b.Title = d.Day + " —"
		}
		b.Y = chartBottom - b.H
		v.RateBars = append(v.RateBars, b)
	}
	var top int64 = 1
	var capacity *int64
	for _, c := range caps {
		top = max(top, c.Due)
		capacity = c.Capacity
	}
	if capacity != nil {
		top = max(top, *capacity)
		v.Capacity = fmt.Sprintf("%s %d", T(lang, "figures.dailyCapacity"), *capacity)
		v.CapacityLine = chartBottom - int(*capacity*chartHeight/top)
	} else {
		v.Capacity = T(lang, "figures.noCapacity")
	}
	step = chartWidth / max(len(caps), 1)
	for i, c := range caps {
		label := c.Day[5:]
		if i%max(1, len(caps)/10) != 0 {
			label = ""
		}
		h := int(c.Due * chartHeight / top)
		v.CapacityBars = append(v.CapacityBars, Bar{X: chartLeft + i*step, Y: chartBottom - h, W: max(step-2, 1), H: h, Label: label,
			Title: fmt.Sprintf("%s %d", c.Day, c.Due), Over: c.Overloaded})
	}
	p.render(w, r, http.StatusOK, figuresPage(pg, v))
}
