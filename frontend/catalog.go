package frontend

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
)

// catalog lists the shop's shipping templates and products, with the form
// for a new product.
func (p *pages) catalog(w http.ResponseWriter, r *http.Request) {
	p.showCatalog(w, r, http.StatusOK, "")
}

func (p *pages) showCatalog(w http.ResponseWriter, r *http.Request, status int, notice string) {
	if !loggedIn(w, r) {
		return
	}
	ctx, a := r.Context(), fulfillment.ActorFrom(r.Context())
	pg := p.page(w, r, "")
	lang := pg.Lang
	pg.Title = T(lang, "nav.templates")
	ts, err := p.svc.ShippingTemplates(ctx, a)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	ps, err := p.svc.Products(ctx, a)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	var ids []int64
	names := map[int64]string{}
	for _, t := range ts {
		ids = append(ids, t.ID)
		names[t.ID] = t.Name
	}
	usage, err := p.svc.TemplateUsage(ctx, a, ids)
	if err != nil {
		p.fail(w, r, lang, err)
		return
	}
	var trs []TemplateRow
	for _, t := range ts {
		var nd []string
		for _, c := range t.NonDeliveryRegions {
			nd = append(nd, regions.FullName(c))
		}
		unit := T(lang, "unit."+string(t.Pricing))
		trs = append(trs, TemplateRow{ID: t.ID, Name: t.Name, Pricing: T(lang, "pricing."+string(t.Pricing)), ShipFrom: regions.FullName(t.ShipFromRegion),
			Default:     fmt.Sprintf("%d%s %s, +%d%s %s", t.Default.FirstUnits, unit, yuan(t.Default.FirstFeeCents), t.Default.ExtraUnits, unit, yuan(t.Default.ExtraFeeCents)),
			NonDelivery: strings.Join(nd, "、"), Products: usage[t.ID]})
	}
	var prs []ProductRow
	for _, pr := range ps {
		promise := T(lang, "promise."+string(pr.PromiseMode))
		switch pr.PromiseMode {
		case models.PromisePresale:
			promise += fmt.Sprintf(" %d%s", pr.PresaleDays, T(lang, "unit.days"))
		case models.PromiseTiered:
			promise += fmt.Sprintf(" %s %d · %d%s", T(lang, "product.spotStock"), pr.SpotStock, pr.PresaleDays, T(lang, "unit.days"))
		}
		row := ProductRow{ID: pr.ID, Title: pr.Title, SKU: pr.SKU, Price: yuan(pr.PriceCents), Stock: pr.Stock, Promise: promise}
		if pr.TemplateID != nil {
			row.Template = names[*pr.TemplateID]
		}
		prs = append(prs, row)
	}
	p.render(w, r, status, catalogPage(pg, trs, prs, fulfillment.Allowed(a, fulfillment.OpCreateShippingTemplate), fulfillment.Allowed(a, fulfillment.OpCreateProduct), notice))
}

// createProduct adds a product from the catalog page's form.
func (p *pages) createProduct(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	lang := langOf(w, r)
	title, sku := r.PostFormValue("title"), r.PostFormValue("sku")
	price := cents(r.PostFormValue("price"))
	weight, _ := strconv.ParseInt(r.PostFormValue("weight"), 10, 64)
	stock, _ := strconv.ParseInt(r.PostFormValue("stock"), 10, 64)
	tmpl, _ := strconv.ParseInt(r.PostFormValue("template"), 10, 64)
	days, _ := strconv.Atoi(r.PostFormValue("presaleDays"))
	spot, _ := strconv.ParseInt(r.PostFormValue("spotStock"), 10, 64)
	promise := fulfillment.PromiseInput{Mode: models.PromiseMode(r.PostFormValue("mode")), PresaleDays: days, SpotStock: spot}
	if promise.Mode == models.PromiseSpot {
		promise.PresaleDays, promise.SpotStock = 0, 0
	}
	_, err := p.svc.CreateProduct(r.Context(), fulfillment.ActorFrom(r.Context()), fulfillment.ProductInput{
		Title: &title, SKU: &sku, PriceCents: &price, WeightGrams: &weight, Stock: &stock, TemplateID: &tmpl, Promise: &promise})
	if err != nil {
		if models.ErrorCodeOf(err) == models.CodeInternal {
			p.fail(w, r, lang, err)
			return
		}
		msg := ruleText(lang, err)
		p.showCatalog(w, r, http.StatusUnprocessableEntity, msg)
		return
	}
	http.Redirect(w, r, "/templates", http.StatusSeeOther)
}

// cents reads a yuan amount typed in a form (12.34) as cents; anything
// unreadable becomes -1, which the domain refuses.
func cents(v string) int64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e9 {
		return -1
	}
	return int64(math.Round(f * 100))
}

// templateForm shows the editor: a new template, or the one in the URL.
func (p *pages) templateForm(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	pg := p.page(w, r, "")
	pg.Title = T(pg.Lang, "template.edit")
	f := TemplateForm{Pricing: "BY_PIECE", FirstUnits: "1", FirstFee: "8.00", ExtraUnits: "1", ExtraFee: "3.00", ShipFrom: "440305"}
	var checked []string
	if id := r.PathValue("id"); id != "" && id != "new" {
		n, _ := strconv.ParseInt(id, 10, 64)
		t, err := p.svc.ShippingTemplate(r.Context(), fulfillment.ActorFrom(r.Context()), n)
		if err != nil {
			p.fail(w, r, pg.Lang, err)
			return
		}
		f = TemplateForm{ID: t.ID, Name: t.Name, ShipFrom: t.ShipFromRegion, Pricing: string(t.Pricing),
			FirstUnits: fmt.Sprint(t.Default.FirstUnits), FirstFee: fmt.Sprintf("%.2f", float64(t.Default.FirstFeeCents)/100),
			ExtraUnits: fmt.Sprint(t.Default.ExtraUnits), ExtraFee: fmt.Sprintf("%.2f", float64(t.Default.ExtraFeeCents)/100)}
		for _, fr := range t.FreeRules {
			if fr.Kind == models.FreeByAmount && len(fr.Regions) == 0 {
				f.FreeAmount = fmt.Sprintf("%.2f", float64(fr.Threshold)/100)
			}
		}
		checked = t.NonDeliveryRegions
	}
	f.Provinces = picker(checked)
	p.render(w, r, http.StatusOK, templateFormPage(pg, f))
}

// picker is the region tree with the given regions checked and the
// branches above them open.
func picker(checked []string) []PickerRegion {
	isChecked := func(code string) bool { return slices.Contains(checked, code) }
	partly := func(code string) bool {
		for _, c := range checked {
			if c != code && regions.Covers(code, c) {
				return true
			}
		}
		return false
	}
	var out []PickerRegion
	for _, prov := range regions.Provinces() {
		pr := PickerRegion{Code: prov.Code, Name: prov.Name, Checked: isChecked(prov.Code), Partly: partly(prov.Code)}
		for _, city := range regions.Children(prov.Code) {
			cr := PickerRegion{Code: city.Code, Name: city.Name, Checked: isChecked(city.Code), Partly: partly(city.Code)}
			for _, d := range regions.Children(city.Code) {
				cr.Children = append(cr.Children, PickerRegion{Code: d.Code, Name: d.Name, Checked: isChecked(d.Code)})
			}
			pr.Children = append(pr.Children, cr)
		}
		out = append(out, pr)
	}
	return out
}

// saveTemplate creates or replaces a template from the editor.
func (p *pages) saveTemplate(w http.ResponseWriter, r *http.Request) {
	if !loggedIn(w, r) {
		return
	}
	ctx, a := r.Context(), fulfillment.ActorFrom(r.Context())
	units := func(k string) int64 { n, _ := strconv.ParseInt(r.PostFormValue(k), 10, 64); return n }
	in := fulfillment.TemplateInput{Name: r.PostFormValue("name"), ShipFromRegion: strings.TrimSpace(r.PostFormValue("shipFrom")),
		Pricing: models.PricingMode(r.PostFormValue("pricing")),
		Default: models.FeeRule{FirstUnits: units("firstUnits"), FirstFeeCents: cents(r.PostFormValue("firstFee")),
			ExtraUnits: units("extraUnits"), ExtraFeeCents: cents(r.PostFormValue("extraFee"))},
		NonDeliveryRegions: r.PostForm["nd"]}
	if v := strings.TrimSpace(r.PostFormValue("freeAmount")); v != "" {
		in.FreeRules = []models.FreeShippingRule{{Kind: models.FreeByAmount, Threshold: cents(v)}}
	}
	var err error
	if id := r.PathValue("id"); id == "new" {
		_, err = p.svc.CreateShippingTemplate(ctx, a, in)
	} else {
		n, _ := strconv.ParseInt(id, 10, 64)
		_, err = p.svc.EditShippingTemplate(ctx, a, n, in)
	}
	if err != nil {
		lang := langOf(w, r)
		code := models.ErrorCodeOf(err)
		if code == models.CodeInternal || code == models.CodeForbidden {
			p.fail(w, r, lang, err)
			return
		}
		pg := p.page(w, r, T(lang, "template.edit"))
		f := TemplateForm{Name: in.Name, ShipFrom: in.ShipFromRegion, Pricing: string(in.Pricing), FirstUnits: r.PostFormValue("firstUnits"),
			FirstFee: r.PostFormValue("firstFee"), ExtraUnits: r.PostFormValue("extraUnits"), ExtraFee: r.PostFormValue("extraFee"),
			FreeAmount: r.PostFormValue("freeAmount"), Provinces: picker(r.PostForm["nd"]), Error: ruleText(lang, err)}
		p.render(w, r, http.StatusUnprocessableEntity, templateFormPage(pg, f))
		return
	}
	http.Redirect(w, r, "/templates", http.StatusSeeOther)
}
