package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
	"github.com/vektah/gqlparser/v2/ast"
)

// primeOrders reads, for orders a resolver has just fetched, every related
// list the query asks for — lines, packages, the packages' lines, shops and
// buyers — one statement each, and puts the rows into the request's loaders.
// The child resolvers then find them there. This makes the number of
// statements a query costs fixed by its shape, never by the page size or by
// how the child resolvers happen to be scheduled against the loaders' wait.
// pre holds what was read already with the orders. When that is all the
// query asks below the orders, it marks them loaded, and gqlgen resolves
// them without a goroutine a field (resolveNow).
func primeOrders(ctx context.Context, svc *fulfillment.Service, orders []*models.Order, sel ast.SelectionSet, pre preread) error {
	if len(orders) == 0 || len(sel) == 0 {
		return nil
	}
	if err := prime(ctx, svc, orders, sel, pre); err != nil {
		return err
	}
	if primedBelow(graphql.GetOperationContext(ctx), "Order", sel) {
		l := loadersFrom(ctx)
		for _, o := range orders {
			l.markLoaded(o)
		}
	}
	return nil
}

// primedFields are, by object type, the fields that may wait
// (waitingFields) that prime reads in advance when the query asks for
// them, or that read nothing at all.
var primedFields = map[string][]string{
	"Order":       {"shop", "buyer", "recipient", "lines", "packages", "history", "delayReport", "trackingToken"},
	"Package":     {"lines", "events"},
	"PackageLine": {"orderLine"},
	"Shop":        {"id"},
	"DelayReport": {"id", "shop", "regions", "overdue", "orderCount", "orders", "evidence"},
	"Evidence":    {"id"},
}

// primedBelow tells whether every field that may wait in sel, a selection
// of an object of type typ, at any depth, is one of primedFields.
func primedBelow(opCtx *graphql.OperationContext, typ string, sel ast.SelectionSet) bool {
	for _, f := range collectFields(opCtx, sel, nil) {
		if slices.Contains(waitingFields[typ], f.Name) && !slices.Contains(primedFields[typ], f.Name) {
			return false
		}
		if len(f.Selections) > 0 && !primedBelow(opCtx, f.Definition.Type.Name(), f.Selections) {
			return false
		}
	}
	return true
}

// prime puts what the query asks below orders into the loaders.
func prime(ctx context.Context, svc *fulfillment.Service, orders []*models.Order, sel ast.SelectionSet, pre preread) error {
	l := loadersFrom(ctx)
	a := fulfillment.ActorFrom(ctx)
	opCtx := graphql.GetOperationContext(ctx)
	fields := fieldsOf(opCtx, sel)
	keys := make([]fulfillment.Key, len(orders))
	var shopIDs, buyerIDs []int64
	for i, o := range orders {
		keys[i] = fulfillment.KeyOf(*o)
		if !slices.Contains(shopIDs, o.ShopID) {
			shopIDs = append(shopIDs, o.ShopID)
		}
		if !slices.Contains(buyerIDs, o.BuyerID) {
			buyerIDs = append(buyerIDs, o.BuyerID)
		}
	}
	_, wantLines := fields.field("lines")
	pf, wantPackages := fields.field("packages")
	wantPackageLines, wantEvents := false, false
	if wantPackages {
		pfields := fieldsOf(opCtx, pf.Selections)
		_, wantPackageLines = pfields.field("lines")
		_, wantEvents = pfields.field("events")
	}
	var (
		shipments []fulfillment.Key
		waybills  []fulfillment.TrackingKey
	)
	if wantPackages {
		pkgs, plines := pre.packages, pre.packageLines
		var err error
		switch {
		case pkgs != nil && (plines != nil || !wantPackageLines):
		case wantPackageLines:
			pkgs, plines, err = svc.PackagesWithLines(ctx, a, keys)
		default:
			pkgs, err = svc.Packages(ctx, a, keys)
		}
		if err != nil {
			return err
		}
		for _, k := range keys {
			l.Packages.Prime(ctx, k, pkgs[k])
			for _, p := range pkgs[k] {
				if wantEvents {
					waybills = append(waybills, fulfillment.TrackingKey{ShopID: p.ShopID, CarrierCode: p.CarrierCode, TrackingNumber: p.TrackingNumber})
				}
				if wantPackageLines && p.Kind == models.PackageShipment {
					pk := fulfillment.Key{ShopID: p.ShopID, ID: p.ID}
					shipments = append(shipments, pk)
					l.PackageLines.Prime(ctx, pk, plines[pk])
				}
			}
		}
	}
	// The orders' lines answer the lines field and the order lines that
	// package lines name.
	if wantLines || len(shipments) > 0 {
		lines := pre.lines
		if lines == nil {
			var err error
			if lines, err = svc.OrderLines(ctx, a, keys); err != nil {
				return err
			}
		}
		for _, k := range keys {
			l.Lines.Prime(ctx, k, lines[k])
			for _, line := range lines[k] {
				l.LinesByID.Prime(ctx, fulfillment.Key{ShopID: line.ShopID, ID: line.ID}, line)
			}
		}
	}
	if len(waybills) > 0 {
		if err := l.Scans.primeAll(ctx, waybills); err != nil {
			return err
		}
	}
	if _, ok := fields.field("history"); ok {
		if err := l.History.primeAll(ctx, keys); err != nil {
			return err
		}
	}
	if rf, ok := fields.field("delayReport"); ok {
		reports, err := svc.ReportsOfOrders(ctx, a, keys)
		if err != nil {
			return err
		}
		// Orders of one report share it: each report once.
		var found []*models.DelayReport
		seen := map[fulfillment.Key]bool{}
		for _, k := range keys {
			l.Reports.Prime(ctx, k, reports[k])
			rep, ok := reports[k]
			if rk := (fulfillment.Key{ShopID: rep.ShopID, ID: rep.ID}); ok && !seen[rk] {
				seen[rk] = true
				found = append(found, &rep)
			}
		}
		if err := primeReports(ctx, svc, found, rf.Selections); err != nil {
			return err
		}
	}
	if _, ok := fields.field("shop"); ok {
		if err := l.Shops.primeAll(ctx, shopIDs); err != nil {
			return err
		}
	}
	if _, ok := fields.field("buyer"); ok {
		if err := l.Buyers.primeAll(ctx, buyerIDs); err != nil {
			return err
		}
	}
	return nil
}

// primeReports does for delay reports what primeOrders does for orders:
// it reads what the query asks below them — order counts, orders (and what
// is asked below those), evidence, shops — one statement each for all of
// them, into the request's loaders.
func primeReports(ctx context.Context, svc *fulfillment.Service, reports []*models.DelayReport, sel ast.SelectionSet) error {
	if len(reports) == 0 || len(sel) == 0 {
		return nil
	}
	l := loadersFrom(ctx)
	a := fulfillment.ActorFrom(ctx)
	fields := fieldsOf(graphql.GetOperationContext(ctx), sel)
	keys := make([]fulfillment.Key, len(reports))
	var shopIDs []int64
	for i, r := range reports {
		keys[i] = fulfillment.Key{ShopID: r.ShopID, ID: r.ID}
		if !slices.Contains(shopIDs, r.ShopID) {
			shopIDs = append(shopIDs, r.ShopID)
		}
	}
	if _, ok := fields.field("orderCount"); ok {
		if err := l.ReportSizes.primeAll(ctx, keys); err != nil {
			return err
		}
	}
	if of, ok := fields.field("orders"); ok {
		orders, err := svc.ReportOrdersOf(ctx, a, keys)
		if err != nil {
			return err
		}
		// The resolver answers with pointers into the slices primed here,
		// so the orders primeOrders marks are the ones it returns.
		var all []*models.Order
		for _, k := range keys {
			os := orders[k]
			l.ReportOrders.Prime(ctx, k, os)
			for i := range os {
				all = append(all, &os[i])
			}
		}
		if err := primeOrders(ctx, svc, all, of.Selections, preread{}); err != nil {
			return err
		}
	}
	if _, ok := fields.field("evidence"); ok {
		if err := l.Evidence.primeAll(ctx, keys); err != nil {
			return err
		}
	}
	if _, ok := fields.field("shop"); ok {
		return l.Shops.primeAll(ctx, shopIDs)
	}
	return nil
}

// preread is what a resolver read together with its orders, keyed by order
// (package lines by package); a nil map was not read.
type preread struct {
	lines        map[fulfillment.Key][]models.OrderLine
	packages     map[fulfillment.Key][]models.Package
	packageLines map[fulfillment.Key][]models.PackageLine
}

// fieldsOf is the fields of a selection set, fragments included, as
// collectFields remembers them: to be read, never changed.
func fieldsOf(opCtx *graphql.OperationContext, sel ast.SelectionSet) selected {
	return collectFields(opCtx, sel, nil)
}

// selected is the fields of a selection set.
type selected []graphql.CollectedField

// field returns the field of that name, the last one where aliases ask
// for it more than once.
func (s selected) field(name string) (graphql.CollectedField, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i].Name == name {
			return s[i], true
		}
	}
	return graphql.CollectedField{}, false
}

// nodeSelections is the selection set of the orders in a connection:
// under nodes, or under edges.node.
func nodeSelections(ctx context.Context) ast.SelectionSet {
	opCtx := graphql.GetOperationContext(ctx)
	var sel ast.SelectionSet
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "nodes":
			sel = append(sel, f.Selections...)
		case "edges":
			for _, e := range collectFields(opCtx, f.Selections, nil) {
				if e.Name == "node" {
					sel = append(sel, e.Selections...)
				}
			}
		}
	}
	return sel
}
