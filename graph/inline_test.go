package graph

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/99designs/gqlgen/graphql"
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
// order lines among them — to inline marshaling and left the lists of
// objects whose fields wait on dataloaders (orders, packages) concurrent.
func TestPlainListsMarshalInline(t *testing.T) {
	src, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	for name, inline := range map[string]bool{"OrderLine": true, "UserError": true, "TrackingEvent": true,
		"Order": false, "Package": false, "PackageLine": false} {
		re := regexp.MustCompile(`func \(ec \*executionContext\) marshalN` + name + `2ᚕ[^\n]*\n\tret := (\w+(?:\.\w+)?)\(`)
		m := re.FindSubmatch(src)
		if m == nil {
			t.Errorf("no list of %s in generated.go", name)
			continue
		}
		if got := string(m[1]) == "marshalSliceInline"; got != inline {
			t.Errorf("a list of %s is marshaled by %s", name, m[1])
		}
	}
}
