package app_test

import (
	"slices"
	"testing"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/regions"
	"gorm.io/gorm"
)

const createTemplate = `mutation($in: ShippingTemplateInput!) { createShippingTemplate(input: $in) {
	shippingTemplate { id name pricing defaultRule { firstUnits firstFee { cents } } nonDeliveryRegions { code } productCount }
	userErrors { code field message } } }`

type userError struct {
	Code    string
	Field   []string
	Message string
}

type templatePayload struct {
	CreateShippingTemplate struct {
		ShippingTemplate *struct {
			ID, Name, Pricing  string
			NonDeliveryRegions []struct{ Code string }
			ProductCount       int
		}
		UserErrors []userError
	}
}

func fee(first, firstFee, extra, extraFee int) map[string]any {
	return map[string]any{"firstUnits": first, "firstFee": firstFee, "extraUnits": extra, "extraFee": extraFee}
}

func templateIn(name string, extra map[string]any) map[string]any {
	in := map[string]any{"name": name, "shipFromRegionCode": "440305", "pricing": "BY_PIECE", "defaultRule": fee(1, 1000, 1, 500)}
	for k, v := range extra {
		in[k] = v
	}
	return in
}

// mustTemplate creates a template and returns its id.
func mustTemplate(t *testing.T, a *apptest.App, token string, in map[string]any) string {
	t.Helper()
	return mustTemplateTB(t, a, token, in)
}

func mustTemplateTB(t testing.TB, a *apptest.App, token string, in map[string]any) string {
	t.Helper()
	var r templatePayload
	a.MustDo(t, token, createTemplate, &r, map[string]any{"in": in})
	if r.CreateShippingTemplate.ShippingTemplate == nil {
		t.Fatalf("create template: %+v", r.CreateShippingTemplate.UserErrors)
	}
	return r.CreateShippingTemplate.ShippingTemplate.ID
}

func countRows(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestShippingTemplateRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		id := mustTemplate(t, a, owner, templateIn("标准快递", map[string]any{
			"regionRules":            []any{map[string]any{"regionCodes": []string{"650000"}, "rule": fee(1, 2000, 1, 1000)}},
			"nonDeliveryRegionCodes": []string{"810000", "540000"},
		}))
		before := countRows(t, db, "shipping_templates")
		for _, c := range []struct {
			name  string
			in    map[string]any
			code  string
			field []string
		}{
			{"unknown region", templateIn("a", map[string]any{"nonDeliveryRegionCodes": []string{"999999"}}), "INVALID_REGION", []string{"input", "nonDeliveryRegions"}},
			{"unknown ship-from", templateIn("a", map[string]any{"shipFromRegionCode": "44"}), "INVALID_REGION", []string{"input", "shipFromRegion"}},
			{"district priced, its province non-delivery", templateIn("a", map[string]any{
				"regionRules":            []any{map[string]any{"regionCodes": []string{"440305"}, "rule": fee(1, 100, 1, 100)}},
				"nonDeliveryRegionCodes": []string{"440000"}}), "TEMPLATE_CONFLICT", []string{"input", "nonDeliveryRegions"}},
			{"province priced, its district non-delivery", templateIn("a", map[string]any{
				"regionRules":            []any{map[string]any{"regionCodes": []string{"440000"}, "rule": fee(1, 100, 1, 100)}},
				"nonDeliveryRegionCodes": []string{"440305"}}), "TEMPLATE_CONFLICT", []string{"input", "nonDeliveryRegions"}},
			{"a region priced twice", templateIn("a", map[string]any{"regionRules": []any{
				map[string]any{"regionCodes": []string{"440000"}, "rule": fee(1, 100, 1, 100)},
				map[string]any{"regionCodes": []string{"440000"}, "rule": fee(1, 200, 1, 100)}}}), "TEMPLATE_CONFLICT", []string{"input", "regionRules", "1", "regions"}},
			{"negative first fee", templateIn("a", map[string]any{"defaultRule": fee(1, -1, 1, 0)}), "INVALID_ARGUMENT", []string{"input", "defaultRule"}},
			{"negative extra fee in a rule", templateIn("a", map[string]any{"regionRules": []any{
				map[string]any{"regionCodes": []string{"110000"}, "rule": fee(1, 100, 1, -5)}}}), "INVALID_ARGUMENT", []string{"input", "regionRules", "0"}},
			{"zero step", templateIn("a", map[string]any{"defaultRule": fee(0, 100, 1, 0)}), "INVALID_ARGUMENT", []string{"input", "defaultRule"}},
			{"taken name", templateIn("标准快递", nil), "INVALID_ARGUMENT", []string{"input", "name"}},
			{"empty name", templateIn(" ", nil), "INVALID_ARGUMENT", []string{"input", "name"}},
			{"free threshold 0", templateIn("a", map[string]any{"freeShippingRules": []any{map[string]any{"kind": "COUNT", "threshold": 0}}}), "INVALID_ARGUMENT", []string{"input", "freeShippingRules", "0", "threshold"}},
		} {
			var r templatePayload
			a.MustDo(t, owner, createTemplate, &r, map[string]any{"in": c.in})
			ue := r.CreateShippingTemplate.UserErrors
			if r.CreateShippingTemplate.ShippingTemplate != nil || len(ue) != 1 || ue[0].Code != c.code || !slices.Equal(ue[0].Field, c.field) {
				t.Errorf("%s: %+v, want %s at %v", c.name, r.CreateShippingTemplate, c.code, c.field)
			}
		}
		if after := countRows(t, db, "shipping_templates"); after != before {
			t.Errorf("refused templates changed the table: %d → %d", before, after)
		}
		// The same name is fine in another shop.
		mustTemplate(t, a, a.Login(t, ownerB), templateIn("标准快递", nil))

		// Update, and its refusals.
		const update = `mutation($id: ID!, $in: ShippingTemplateInput!) { updateShippingTemplate(id: $id, input: $in) {
			shippingTemplate { name nonDeliveryRegions { code } } userErrors { code field } } }`
		var u struct {
			UpdateShippingTemplate struct {
				ShippingTemplate *struct {
					Name               string
					NonDeliveryRegions []struct{ Code string }
				}
				UserErrors []userError
			}
		}
		a.MustDo(t, owner, update, &u, map[string]any{"id": id, "in": templateIn("标准快递（新）", map[string]any{"nonDeliveryRegionCodes": []string{"710000"}})})
		if u.UpdateShippingTemplate.ShippingTemplate == nil || u.UpdateShippingTemplate.ShippingTemplate.Name != "标准快递（新）" {
			t.Fatalf("update: %+v", u)
		}
		a.MustDo(t, a.Login(t, ownerB), update, &u, map[string]any{"id": id, "in": templateIn("x", nil)})
		if ue := u.UpdateShippingTemplate.UserErrors; len(ue) != 1 || ue[0].Code != "NOT_FOUND" {
			t.Errorf("update by shop B: %+v", u)
		}

		// Delete: refused while in use (T5), done when unused.
		const del = `mutation($id: ID!) { deleteShippingTemplate(id: $id) { deletedId userErrors { code } } }`
		var d struct {
			DeleteShippingTemplate struct {
				DeletedID  *string
				UserErrors []userError
			}
		}
		var used string
		db.Raw("SELECT template_id FROM products WHERE sku = 'QC-5J'").Scan(&used)
		a.MustDo(t, owner, del, &d, map[string]any{"id": "gid://fahuo/ShippingTemplate/" + used})
		if ue := d.DeleteShippingTemplate.UserErrors; len(ue) != 1 || ue[0].Code != "TEMPLATE_IN_USE" {
			t.Errorf("delete in use: %+v", d)
		}
		a.MustDo(t, owner, del, &d, map[string]any{"id": id})
		if d.DeleteShippingTemplate.DeletedID == nil || *d.DeleteShippingTemplate.DeletedID != id {
			t.Errorf("delete unused: %+v", d)
		}
		var q struct{ ShippingTemplate *struct{ ID string } }
		a.MustDo(t, owner, `query($id: ID!) { shippingTemplate(id: $id) { id } }`, &q, map[string]any{"id": id})
		if q.ShippingTemplate != nil {
			t.Error("the deleted template is still there")
		}
	})
}

func TestNonDeliveryRegionsCollapse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerB) // shop B's demo template excludes 710000, 810000, 820000
		var shenzhen []string
		for _, d := range regions.Children("440300") {
			shenzhen = append(shenzhen, d.Code)
		}
		mustTemplate(t, a, owner, templateIn("一", map[string]any{"nonDeliveryRegionCodes": shenzhen}))
		mustTemplate(t, a, owner, templateIn("二", map[string]any{"nonDeliveryRegionCodes": []string{"650000", "650100", "110105"}}))
		var resp struct{ NonDeliveryRegions []struct{ Code string } }
		a.MustDo(t, owner, `{ nonDeliveryRegions { code } }`, &resp, nil)
		var got []string
		for _, r := range resp.NonDeliveryRegions {
			got = append(got, r.Code)
		}
		want := []string{"110105", "440300", "650000", "710000", "810000", "820000"}
		if !slices.Equal(got, want) {
			t.Errorf("nonDeliveryRegions = %v, want %v", got, want)
		}
	})
}

func TestNonDeliveryEverywhereCollapsesToTheProvinces(t *testing.T) {
	// Every leaf region of the country (districts, and cities or provinces
	// with nothing below them) names all 34 provinces.
	_, url := dbtest.SQLite(t)
	a := apptest.New(t, url)
	var leaves []string
	for _, r := range regions.All() {
		if len(regions.Children(r.Code)) == 0 {
			leaves = append(leaves, r.Code)
		}
	}
	owner := a.Login(t, ownerA)
	mustTemplate(t, a, owner, templateIn("全国不配送", map[string]any{"nonDeliveryRegionCodes": leaves}))
	var resp struct{ NonDeliveryRegions []struct{ Code string } }
	a.MustDo(t, owner, `{ nonDeliveryRegions { code } }`, &resp, nil)
	var got, want []string
	for _, r := range resp.NonDeliveryRegions {
		got = append(got, r.Code)
	}
	for _, p := range regions.Provinces() {
		want = append(want, p.Code)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %d regions %v, want the 34 provinces", len(got), got)
	}
}
