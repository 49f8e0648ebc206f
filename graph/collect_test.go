package graph

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// A selection set without directives is collected once for all requests
// that send its query, down through its fields' sets; one with a directive
// is collected for each request, and a set built for one request is not
// remembered.
func TestCollectFieldsRemembersSetsWithoutDirectives(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	doc, errs := gqlparser.LoadQuery(schema, `query($n: Boolean!) {
		plain: order(number: "1") { number packages { trackingNumber } }
		directed: order(number: "2") { number @include(if: $n) } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	// Each request has an operation context of its own (gqlgen remembers
	// collected sets for the request in it).
	request := func(n bool) *graphql.OperationContext {
		return &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{"n": n}}
	}
	twice := func(sel func() ast.SelectionSet, satisfies []string) (a, b []graphql.CollectedField) {
		return collectFields(request(true), sel(), satisfies), collectFields(request(true), sel(), satisfies)
	}
	root, again := twice(func() ast.SelectionSet { return doc.Operations[0].SelectionSet }, queryImplementors)
	if &again[0] != &root[0] {
		t.Error("the operation's set was collected again")
	}
	plain, directed := root[0].Selections, root[1].Selections
	first, again := twice(func() ast.SelectionSet { return plain }, orderImplementors)
	if &again[0] != &first[0] {
		t.Error("a set without directives was collected again")
	}
	if pkgs, again := twice(func() ast.SelectionSet { return first[1].Selections }, packageImplementors); &again[0] != &pkgs[0] {
		t.Error("the set of a remembered field was collected again")
	}
	if a, b := twice(func() ast.SelectionSet { return directed }, orderImplementors); &a[0] == &b[0] {
		t.Error("a set with a directive was remembered")
	}
	if a, b := twice(func() ast.SelectionSet { return append(plain[:0:0], plain...) }, orderImplementors); &a[0] == &b[0] {
		t.Error("a set made for one request was remembered")
	}
	if got := collectFields(request(false), directed, orderImplementors); len(got) != 0 {
		t.Errorf("with the directive off: %d fields", len(got))
	}
}
