package graph

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Inline marshaling gives each element its index in the field context, as
// gqlgen does, and a panic in one element becomes an error on that
// element's path and a null, without losing the others.
func TestMarshalSliceInline(t *testing.T) {
	recovered := func(_ context.Context, err any) error { return fmt.Errorf("internal: %v", err) }
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, recovered)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "lines"}}})
	got := marshalSliceInline(ctx, 3, func(ctx context.Context, i int) graphql.Marshaler {
		if fc := graphql.GetFieldContext(ctx); fc.Index == nil || *fc.Index != i {
			t.Errorf("element %d sees index %v", i, fc.Index)
		}
		if i == 1 {
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	var buf bytes.Buffer
	got.MarshalGQL(&buf)
	if buf.String() != "[0,null,2]" {
		t.Errorf("marshaled %s", buf.String())
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 || errs[0].Path.String() != "lines[1]" {
		t.Errorf("errors %v", errs)
	}
}

// The generator (internal/generate) turned the lists of plain objects —
// order lines among them — to inline marshaling, the lists of objects whose
// fields wait on dataloaders (orders, packages) to marshalSlice, which is
// concurrent unless they were loaded in advance, and has the objects with
// such fields ask resolveNow.
func TestPlainListsMarshalInline(t *testing.T) {
	src, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"OrderLine": "marshalSliceInline", "UserError": "marshalSliceInline",
		"TrackingEvent": "marshalSliceInline", "Order": "marshalSlice", "Package": "marshalSlice", "PackageLine": "marshalSlice"} {
		re := regexp.MustCompile(`func \(ec \*executionContext\) marshalN` + name + `2ᚕ[^\n]*\n\tret := (\w+(?:\.\w+)?)\(`)
		m := re.FindSubmatch(src)
		if m == nil {
			t.Errorf("no list of %s in generated.go", name)
			continue
		}
		if string(m[1]) != want {
			t.Errorf("a list of %s is marshaled by %s, want %s", name, m[1], want)
		}
	}
	for _, name := range []string{"Order", "Package", "PackageLine"} {
		re := regexp.MustCompile(`func \(ec \*executionContext\) _` + name + `\(ctx[^\n]*\n(?:[^\n]*\n){4}\tctx, now := resolveNow\(ctx, obj\)\n`)
		if !re.Match(src) {
			t.Errorf("_%s does not ask resolveNow", name)
		}
	}
}

// A field resolved now gets the value, the count of invalid results and
// the panic handling that gqlgen's scheduling gives it; a field not
// resolved now is scheduled, and so is a deferred one.
func TestResolveConcurrently(t *testing.T) {
	recovered := func(_ context.Context, err any) error { return fmt.Errorf("internal: %v", err) }
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, recovered)
	oc := &graphql.OperationContext{RecoverFunc: recovered}
	ctx = graphql.WithOperationContext(ctx, oc)
	field := func(name string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Name: name, Alias: name}}
	}
	later := field("e")
	later.Deferrables = []*graphql.Deferrable{{Label: "later"}}
	fields := []graphql.CollectedField{field("a"), field("b"), field("c"), field("d"), later}
	out := graphql.NewFieldSet(fields)
	deferred := newDeferredGroup(ctx, fields)
	calls := 0
	value := func(m graphql.Marshaler) func(context.Context) graphql.Marshaler {
		return func(context.Context) graphql.Marshaler { calls++; return m }
	}
	resolveConcurrently(ctx, true, out, oc, &deferred, fields[0], 0, true, true, value(graphql.MarshalInt(1)))
	resolveConcurrently(ctx, true, out, oc, &deferred, fields[1], 1, true, true, value(graphql.Null))
	resolveConcurrently(ctx, true, out, oc, &deferred, fields[2], 2, true, false,
		func(context.Context) graphql.Marshaler { panic("boom") })
	if calls != 2 || out.Values[0] == nil || out.Values[1] != graphql.Null || out.Values[2] != graphql.Null {
		t.Fatalf("resolved now: %d calls, values %v", calls, out.Values[:3])
	}
	if out.Invalids != 1 {
		t.Errorf("a null in a non-null field counts once, counted %d", out.Invalids)
	}
	if errs := graphql.GetErrors(ctx); len(errs) != 1 {
		t.Errorf("the panic gave %v", errs)
	}
	resolveConcurrently(ctx, false, out, oc, &deferred, fields[3], 3, true, true, value(graphql.MarshalInt(4)))
	if calls != 2 || out.Values[3] != nil {
		t.Fatalf("a field not resolved now ran at once")
	}
	resolveConcurrently(ctx, true, out, oc, &deferred, fields[4], 4, true, true, value(graphql.MarshalInt(5)))
	if calls != 2 || out.Values[4] != graphql.Null || len(deferred.Defers) != 1 {
		t.Fatalf("a deferred field was not left to its payload: %d calls, %v, %d defers", calls, out.Values[4], len(deferred.Defers))
	}
	out.Dispatch(ctx)
	if calls != 3 || out.Values[3] == nil {
		t.Errorf("the scheduled field did not run on dispatch")
	}
	var buf bytes.Buffer
	out.MarshalGQL(&buf)
	if buf.String() != `{"a":1,"b":null,"c":null,"d":4,"e":null}` {
		t.Errorf("marshaled %s", buf.String())
	}
}

// An object's group of deferred fields is built in full, with the
// object's path, only when one of its fields is deferred.
func TestNewDeferredGroup(t *testing.T) {
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "order"}}})
	plain := []graphql.CollectedField{{Field: &ast.Field{Name: "number"}}}
	if g := newDeferredGroup(ctx, plain); g.FieldSet != nil || g.Path != nil || g.Context != ctx {
		t.Errorf("a group without deferred fields: %+v", g)
	}
	deferred := append(plain, graphql.CollectedField{Field: &ast.Field{Name: "lines"}, Deferrables: []*graphql.Deferrable{{Label: "l"}}})
	if g := newDeferredGroup(ctx, deferred); g.FieldSet == nil || g.Defers == nil || g.Path.String() != "order" {
		t.Errorf("a group with a deferred field: %+v", g)
	}
}

// Orders are marked loaded only when everything the query asks below them
// that may wait is read in advance.
func TestPrimedBelow(t *testing.T) {
	for q, want := range map[string]bool{
		`{ orders { nodes { id number buyer { id name } recipient { name } shop { id name }
			lines { id sku } packages { id carrier { code } lines { quantity orderLine { id } } } } } }`: true,
		`{ orders { nodes { ...o } } } fragment o on Order { packages { lines { orderLine { sku } } } }`:                       true,
		`{ orders { nodes { number history { action } } } }`:                                                                   true,
		`{ orders { nodes { packages { events { description } } } } }`:                                                         true,
		`{ orders { nodes { number delayReport { id orderCount evidence { id } orders { number } } } } }`:                      true,
		`{ orders { nodes { ... on Order { packages { events { at } } } } } }`:                                                 true,
		`{ orders { nodes { delayReport { regions { fullName } } } } }`:                                                        false,
		`{ orders { nodes { delayReport { orders { lines { sku } delayReport { regions { code children { code } } } } } } } }`: false,
	} {
		doc, errs := gqlparser.LoadQuery(parsedSchema, q)
		if errs != nil {
			t.Fatalf("%s: %v", q, errs)
		}
		oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
		nodes := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field)
		if got := primedBelow(oc, "Order", nodes.SelectionSet); got != want {
			t.Errorf("%s: primed below %v, want %v", q, got, want)
		}
	}
}

// The generator marshals plain scalar fields straight from the model, and
// leaves to gqlgen the fields that need their own context: a resolver's, a
// non-null time's (a zero time is an error on the field's path), an
// object's.
func TestLeavesMarshalFromTheModel(t *testing.T) {
	src, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	for name, direct := range map[string]bool{"_Order_number": true, "_Order_status": true, "_OrderLine_id": true,
		"_Package_trackingNumber": true, "_Package_deliveredAt": true, "_Money_cents": true,
		"_Order_placedAt": false, "_Order_lines": false, "_Order_total": false, "_Product_id": false} {
		re := regexp.MustCompile(`func \(ec \*executionContext\) ` + name + `\(ctx[^\n]*\n\treturn (\S+)\(`)
		m := re.FindSubmatch(src)
		if m == nil {
			t.Errorf("no %s in generated.go", name)
			continue
		}
		if got := string(m[1]) != "graphql.ResolveField"; got != direct {
			t.Errorf("%s returns %s(…)", name, m[1])
		}
	}
}

// An object writes its members in the query's order, each response name
// once, as graphql.FieldSet does; with a deferred field it stays the field
// set.
func TestObjectOf(t *testing.T) {
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Name: alias, Alias: alias}}
	}
	fields := []graphql.CollectedField{field("b"), field("a"), field("b"), field("c")}
	out := graphql.NewFieldSet(fields)
	for i := range fields {
		out.Values[i] = graphql.MarshalInt(i)
	}
	var got, want bytes.Buffer
	objectOf(out, fields, &graphql.DeferredGroup{}).MarshalGQL(&got)
	out.MarshalGQL(&want)
	if got.String() != `{"b":0,"a":1,"c":3}` || got.String() != want.String() {
		t.Errorf("object %s, field set %s", got.String(), want.String())
	}
	deferred := graphql.DeferredGroup{Defers: map[string]*graphql.FieldSetView{"l": nil}}
	if m := objectOf(out, fields, &deferred); m != graphql.Marshaler(out) {
		t.Errorf("with a deferred field: %T", m)
	}
}
