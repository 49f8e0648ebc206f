package models

import (
	"strconv"

	"github.com/fahuo/fahuo/carriers"
)

// GlobalID is the opaque id of an object in the API and the audit log:
// gid://fahuo/Order/123, the form tool authors know from Shopify.
func GlobalID(kind string, id int64) string {
	return "gid://fahuo/" + kind + "/" + strconv.FormatInt(id, 10)
}

// The API's ids of the rows a page of orders holds most of. They are plain
// methods, not resolvers, so that the GraphQL executor writes them inline
// instead of starting a goroutine for each (hundreds on a page of 50).

// GID is the order's id in the API.
func (o *Order) GID() string { return GlobalID("Order", o.ID) }

// GID is the line's id in the API.
func (l *OrderLine) GID() string { return GlobalID("OrderLine", l.ID) }

// ProductGID is the id in the API of the line's product.
func (l *OrderLine) ProductGID() string { return GlobalID("Product", l.ProductID) }

// GID is the package's id in the API.
func (p *Package) GID() string { return GlobalID("Package", p.ID) }

// Money is an amount in the API: cents and an ISO 4217 currency.
type Money struct {
	Cents    int64
	Currency string
}

// TotalMoney is what the buyer paid, freight included.
func (o *Order) TotalMoney() *Money { return &Money{Cents: o.TotalCents, Currency: o.Currency} }

// FreightMoney is the order's freight.
func (o *Order) FreightMoney() *Money { return &Money{Cents: o.FreightCents, Currency: o.Currency} }

// UnitPriceMoney is the line's unit price.
func (l *OrderLine) UnitPriceMoney() *Money {
	return &Money{Cents: l.UnitPriceCents, Currency: CurrencyCNY}
}

// LineTotalMoney is the line's price times its quantity.
func (l *OrderLine) LineTotalMoney() *Money {
	return &Money{Cents: l.UnitPriceCents * l.Quantity, Currency: CurrencyCNY}
}

// Carrier is the package's carrier from the carrier list, shared by every
// package of that carrier (see carriers.Shared): read it, never modify it.
func (p *Package) Carrier() (*carriers.Carrier, error) {
	c, ok := carriers.Shared(p.CarrierCode)
	if !ok {
		return nil, Errorf(CodeInternal, "package %d names carrier %q, which is not in the carrier list", p.ID, p.CarrierCode)
	}
	return c, nil
}

// TrackingURL is the carrier's tracking page for the package, or "" for a
// carrier that has none.
func (p *Package) TrackingURL() string {
	c, ok := carriers.Shared(p.CarrierCode)
	if !ok {
		return ""
	}
	return c.TrackingURL(p.TrackingNumber)
}
