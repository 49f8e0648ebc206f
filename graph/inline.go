package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSliceInline marshals the elements of a list one after another in
// the caller's goroutine, with the field context and panic handling that
// graphql.MarshalSliceConcurrently gives each element. The generator
// (internal/generate) uses it for lists of objects that cannot wait on
// anything, where a goroutine per element costs more than the element.
func marshalSliceInline(ctx context.Context, n int, marshal func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, n)
	for i := range n {
		ret[i] = marshalElement(graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i}), i, marshal)
	}
	return ret
}

func marshalElement(ctx context.Context, i int, marshal func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			m = graphql.Null
		}
	}()
	return marshal(ctx, i)
}
