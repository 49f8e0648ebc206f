package fulfillment

import (
	"context"
	"fmt"
	"slices"

	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
	"gorm.io/gorm"
)

// QuoteItem is a product and how many of it.
type QuoteItem struct {
	ProductID int64
	Quantity  int64
}

// FreightPart is what one template charges for its products in a quote.
type FreightPart struct {
	Template   models.ShippingTemplate
	ProductIDs []int64
	FeeCents   int64
	// Free tells that a free-shipping condition of the template was met.
	Free bool
	// First tells that this template's first fee was charged (see
	// combineFreight).
	First bool
}

// FreightQuote is the freight of some products to one region.
type FreightQuote struct {
	TotalCents int64
	Parts      []FreightPart
	// Undeliverable lists the products whose template does not deliver to
	// the region (T2); with any, the order cannot be placed.
	Undeliverable []int64
}

// Bounds on an order's or a quote's items.
const (
	maxItems    = 50
	maxQuantity = 9999
)

// FreightQuote prices delivering the items to the region (T4). Anyone may
// ask, as anyone may see a product page.
//
// Errors: INVALID_REGION for a code that is no region; INVALID_ARGUMENT for
// no items, too many, a quantity out of 1-9999, a product twice, or
// products of more than one shop; NOT_FOUND for a product that does not
// exist.
func (s *Service) FreightQuote(ctx context.Context, items []QuoteItem, regionCode string) (FreightQuote, error) {
	if !regions.Valid(regionCode) {
		return FreightQuote{}, models.FieldError(models.CodeInvalidRegion, []string{"regionCode"}, "%q is not a region code", regionCode)
	}
	if err := validateItems(items); err != nil {
		return FreightQuote{}, err
	}
	products, templates, err := loadForQuote(s.db.WithContext(ctx), items, false)
	if err != nil {
		return FreightQuote{}, err
	}
	return quoteFreight(items, products, templates, regionCode), nil
}

func validateItems(items []QuoteItem) error {
	if len(items) == 0 || len(items) > maxItems {
		return models.FieldError(models.CodeInvalidArgument, []string{"items"}, "an order has 1 to %d items", maxItems)
	}
	seen := map[int64]bool{}
	for i, it := range items {
		if it.Quantity < 1 || it.Quantity > maxQuantity {
			return models.FieldError(models.CodeInvalidArgument, []string{"items", fmt.Sprint(i), "quantity"}, "a quantity is 1 to %d", maxQuantity)
		}
		if seen[it.ProductID] {
			return models.FieldError(models.CodeInvalidArgument, []string{"items", fmt.Sprint(i), "productId"}, "a product is listed twice; add up its quantities")
		}
		seen[it.ProductID] = true
	}
	return nil
}

// loadForQuote reads the items' products (locked for update when placing
// an order, in id order so that concurrent orders lock alike) and their
// templates. All products must be of one shop.
func loadForQuote(tx *gorm.DB, items []QuoteItem, lock bool) (map[int64]models.Product, map[int64]models.ShippingTemplate, error) {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	q := tx.Where("id IN ?", ids).Order("id")
	if lock {
		q = q.Clauses(lockForUpdate)
	}
	var ps []models.Product
	if err := q.Find(&ps).Error; err != nil {
		return nil, nil, err
	}
	products := map[int64]models.Product{}
	for _, p := range ps {
		products[p.ID] = p
	}
	var templateIDs []int64
	for i, it := range items {
		p, ok := products[it.ProductID]
		if !ok {
			return nil, nil, models.FieldError(models.CodeNotFound, []string{"items", fmt.Sprint(i), "productId"}, "no such product")
		}
		if p.ShopID != ps[0].ShopID {
			return nil, nil, models.FieldError(models.CodeInvalidArgument, []string{"items", fmt.Sprint(i), "productId"}, "an order's products come from one shop")
		}
		if p.TemplateID != nil && !slices.Contains(templateIDs, *p.TemplateID) {
			templateIDs = append(templateIDs, *p.TemplateID)
		}
	}
	templates := map[int64]models.ShippingTemplate{}
	if len(templateIDs) > 0 {
		var ts []models.ShippingTemplate
		if err := tx.Where("shop_id = ? AND id IN ?", ps[0].ShopID, templateIDs).Find(&ts).Error; err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			templates[t.ID] = t
		}
	}
	return products, templates, nil
}

// quoteFreight prices the items; see combineFreight for how templates
// combine.
func quoteFreight(items []QuoteItem, products map[int64]models.Product, templates map[int64]models.ShippingTemplate, region string) FreightQuote {
	type group struct {
		t                     models.ShippingTemplate
		ids                   []int64
		units, amount, pieces int64
	}
	var order []int64
	groups := map[int64]*group{}
	var q FreightQuote
	for _, it := range items {
		p := products[it.ProductID]
		if p.TemplateID == nil {
			continue // a product without a template ships free
		}
		t := templates[*p.TemplateID]
		if t.NonDeliveryRegions != nil && coversAny(t.NonDeliveryRegions, region) {
			q.Undeliverable = append(q.Undeliverable, p.ID)
			continue
		}
		g, ok := groups[t.ID]
		if !ok {
			g = &group{t: t}
			groups[t.ID] = g
			order = append(order, t.ID)
		}
		g.ids = append(g.ids, p.ID)
		g.pieces += it.Quantity
		g.amount += it.Quantity * p.PriceCents
		if t.Pricing == models.PricingByWeight {
			g.units += it.Quantity * p.WeightGrams
		} else {
			g.units += it.Quantity
		}
	}
	var charged []chargedGroup
	for _, id := range order {
		g := groups[id]
		part := FreightPart{Template: g.t, ProductIDs: g.ids}
		if freeShipping(g.t, region, g.amount, g.pieces) {
			part.Free = true
		} else {
			charged = append(charged, chargedGroup{part: len(q.Parts), rule: ruleFor(g.t, region), units: g.units})
		}
		q.Parts = append(q.Parts, part)
	}
	for i, fee := range combineFreight(charged) {
		p := &q.Parts[charged[i].part]
		p.FeeCents = fee
		p.First = i == firstOf(charged)
		q.TotalCents += fee
	}
	return q
}

type chargedGroup struct {
	part  int
	rule  models.FeeRule
	units int64
}

// combineFreight prices the templates of one order together the way Chinese
// shop platforms do (Taobao/Tmall's 运费模板 rule, which Douyin and Kuaishou
// shops follow): when items of one shop use different templates, the
// template with the highest first fee (首费) charges its first fee, and
// every template charges its further fees (续费) for the rest of its units —
// the other templates for all their units, as if their first step were
// already paid. Items of one template are priced together, so two pieces
// under one template pay one first fee. It returns each group's share.
func combineFreight(groups []chargedGroup) []int64 {
	fees := make([]int64, len(groups))
	first := firstOf(groups)
	for i, g := range groups {
		r := g.rule
		if i == first {
			fees[i] = r.FirstFeeCents + steps(g.units-r.FirstUnits, r.ExtraUnits)*r.ExtraFeeCents
		} else {
			fees[i] = steps(g.units, r.ExtraUnits) * r.ExtraFeeCents
		}
	}
	return fees
}

// firstOf picks the group whose first fee is charged: the highest first fee,
// the earlier group on a tie. -1 when there is none.
func firstOf(groups []chargedGroup) int {
	first := -1
	for i, g := range groups {
		if first < 0 || g.rule.FirstFeeCents > groups[first].rule.FirstFeeCents {
			first = i
		}
	}
	return first
}

// steps is how many further steps of size step units make up: a part of a
// step counts as a whole one.
func steps(units, step int64) int64 {
	if units <= 0 {
		return 0
	}
	return (units + step - 1) / step
}

// ruleFor is the fee rule for a region: the region rule whose region lies
// deepest among those covering it (a district's own rule beats its
// province's), else the default.
func ruleFor(t models.ShippingTemplate, region string) models.FeeRule {
	best, depth := t.Default, 0
	for _, r := range t.RegionRules {
		for _, code := range r.Regions {
			if regions.Covers(code, region) {
				if d := len(regions.Path(code)); d > depth {
					best, depth = r.FeeRule, d
				}
			}
		}
	}
	return best
}

// freeShipping tells whether a free-shipping condition of the template
// covers the region and is met, unless the region is excluded from free
// shipping (不包邮区域).
func freeShipping(t models.ShippingTemplate, region string, amount, pieces int64) bool {
	if coversAny(t.FreeExcludedRegions, region) {
		return false
	}
	for _, f := range t.FreeRules {
		if len(f.Regions) > 0 && !coversAny(f.Regions, region) {
			continue
		}
		switch {
		case f.Kind == models.FreeByAmount && amount >= f.Threshold:
			return true
		case f.Kind == models.FreeByCount && pieces >= f.Threshold:
			return true
		}
	}
	return false
}

func coversAny(codes []string, region string) bool {
	for _, c := range codes {
		if regions.Covers(c, region) {
			return true
		}
	}
	return false
}
