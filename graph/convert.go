package graph

import (
	"fmt"

	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/graph/model"
	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/regions"
)

// Conversions between GraphQL inputs and the domain's types. They decode;
// they decide nothing.

func cny(cents int64) *models.Money { return &models.Money{Cents: cents, Currency: models.CurrencyCNY} }

// regionList turns codes into regions, keeping unknown codes visible by code
// rather than dropping them.
func regionList(codes []string) []*regions.Region {
	out := make([]*regions.Region, 0, len(codes))
	for _, c := range codes {
		r, ok := regions.Lookup(c)
		if !ok {
			r = regions.Region{Code: c, Name: c}
		}
		out = append(out, &r)
	}
	return out
}

func feeRule(in *model.FeeRuleInput) models.FeeRule {
	if in == nil {
		return models.FeeRule{}
	}
	return models.FeeRule{FirstUnits: in.FirstUnits, FirstFeeCents: in.FirstFee, ExtraUnits: in.ExtraUnits, ExtraFeeCents: in.ExtraFee}
}

func templateInput(in model.ShippingTemplateInput) fulfillment.TemplateInput {
	out := fulfillment.TemplateInput{
		Name: in.Name, ShipFromRegion: in.ShipFromRegionCode, Pricing: in.Pricing, Default: feeRule(in.DefaultRule),
		FreeExcludedRegions: in.FreeShippingExcludedRegionCodes, NonDeliveryRegions: in.NonDeliveryRegionCodes,
	}
	for _, r := range in.RegionRules {
		out.RegionRules = append(out.RegionRules, models.RegionFeeRule{Regions: r.RegionCodes, FeeRule: feeRule(r.Rule)})
	}
	for _, f := range in.FreeShippingRules {
		out.FreeRules = append(out.FreeRules, models.FreeShippingRule{Regions: f.RegionCodes, Kind: f.Kind, Threshold: f.Threshold})
	}
	return out
}

func productInput(in model.UpdateProductInput) (fulfillment.ProductInput, error) {
	out := fulfillment.ProductInput{Title: in.Title, SKU: in.Sku, PriceCents: in.Price, WeightGrams: in.WeightGrams, Stock: in.Stock}
	if in.ShippingTemplateID != nil {
		id, err := parseID("ShippingTemplate", *in.ShippingTemplateID, "shippingTemplateId")
		if err != nil {
			return out, err
		}
		out.TemplateID = &id
	}
	if in.Promise != nil {
		p := fulfillment.PromiseInput{Mode: in.Promise.Mode}
		if in.Promise.PresaleDays != nil {
			p.PresaleDays = int(*in.Promise.PresaleDays)
		}
		if in.Promise.SpotStock != nil {
			p.SpotStock = *in.Promise.SpotStock
		}
		out.Promise = &p
	}
	return out, nil
}

func orderItems(in []*model.OrderItemInput) ([]fulfillment.QuoteItem, error) {
	out := make([]fulfillment.QuoteItem, len(in))
	for i, it := range in {
		id, err := parseID("Product", it.ProductID, "items", fmt.Sprint(i), "productId")
		if err != nil {
			return nil, err
		}
		out[i] = fulfillment.QuoteItem{ProductID: id, Quantity: it.Quantity}
	}
	return out, nil
}

func standing(s models.Shop) *model.ShopStanding {
	return &model.ShopStanding{Shop: &s, Score: float64(s.ScoreHundredths) / 100, SpotOrderShare: float64(s.SpotShareBP) / 10000}
}

// nilIfNotFound answers null for an object the caller may not see or that
// does not exist, as API.md asks of single-object queries.
func nilIfNotFound[T any](v *T, err error) (*T, error) {
	if models.ErrorCodeOf(err) == models.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// withPrefixExcept is withPrefix for payloads whose errors may also point
// at a top-level argument (such as id), which keeps its own name.
func withPrefixExcept(ue []*models.Error, prefix, except string) []*models.Error {
	for _, e := range ue {
		if len(e.Field) > 0 && e.Field[0] != except {
			e.Field = append([]string{prefix}, e.Field...)
		}
	}
	return ue
}

func orderFilter(in *model.OrderFilter) (fulfillment.OrderFilter, error) {
	var f fulfillment.OrderFilter
	if in == nil {
		return f, nil
	}
	f.Statuses, f.PromisedFrom, f.PromisedTo = in.Statuses, in.PromisedFrom, in.PromisedTo
	if in.ProductID != nil {
		id, err := parseID("Product", *in.ProductID, "filter", "productId")
		if err != nil {
			return f, err
		}
		f.ProductID = id
	}
	if in.BuyerID != nil {
		id, err := parseID("User", *in.BuyerID, "filter", "buyerId")
		if err != nil {
			return f, err
		}
		f.BuyerID = id
	}
	for dst, src := range map[*string]*string{&f.RegionCode: in.RegionCode, &f.Number: in.Number, &f.TrackingNumber: in.TrackingNumber} {
		if src != nil {
			*dst = *src
		}
	}
	return f, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// orderRef is the order an id or a number names; field names the id's
// argument in errors.
func orderRef(id, number *string, field string) (fulfillment.OrderRef, error) {
	var ref fulfillment.OrderRef
	if id != nil {
		n, err := parseID("Order", *id, field)
		if err != nil {
			return ref, err
		}
		ref.ID = n
	}
	ref.Number = deref(number)
	return ref, nil
}

func packageInputs(in []*model.PackageInput) ([]fulfillment.PackageInput, error) {
	out := make([]fulfillment.PackageInput, len(in))
	for i, p := range in {
		out[i] = fulfillment.PackageInput{Carrier: p.Carrier, TrackingNumber: p.TrackingNumber}
		for j, l := range p.Lines {
			id, err := parseID("OrderLine", l.OrderLineID, "packages", fmt.Sprint(i), "lines", fmt.Sprint(j), "orderLineId")
			if err != nil {
				return nil, err
			}
			out[i].Lines = append(out[i].Lines, fulfillment.LineQuantity{OrderLineID: id, Quantity: l.Quantity})
		}
	}
	return out, nil
}
