package graph

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSliceInline marshals the elements of a list one after another in
// the caller's goroutine, with the field context and panic handling that
// graphql.MarshalSliceConcurrently gives each element. The generator
// (internal/generate) uses it for lists of objects that cannot wait on
// anything, and marshalSlice for lists whose objects were loaded in
// advance: there a goroutine per element costs more than the element.
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

// newDeferredGroup is graphql.NewDeferredGroup for an object with fields:
// an empty group, without the object's path, when none of the fields is
// deferred. The generated code touches the group's path, field set and
// defers only for a deferred field (graphql.FieldSet.ResolveConcurrently)
// or when it holds defers.
func newDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{Context: ctx}
}

// Resolving now what is loaded already.
//
// gqlgen resolves every field that has a resolver in a goroutine of its
// own, and every element of a list of such objects in another, so that
// loads wait side by side and the dataloaders batch them. When a resolver
// has read everything below its orders in advance and primed the loaders
// with it (primeOrders), nothing below can wait, and the goroutines only
// cost: starting them and growing their stacks took a sixth of the CPU of
// the merchant's order page. The generator (internal/generate) has the
// object and list marshalers ask resolveNow and marshalSlice, which resolve
// such a subtree in the caller's goroutine, and schedule everything else as
// gqlgen does.
//
// Results never depend on it: a field resolved now that was not loaded
// after all waits for its loader's batch, alone, as a slower answer.

// nowKey marks a context whose objects resolve every field now.
type nowKey struct{}

// resolveNow tells whether the fields of obj resolve now: below an object
// that does, or for an object a resolver marked loaded (markLoaded). For a
// marked object it returns the context its fields and children resolve in.
func resolveNow(ctx context.Context, obj any) (context.Context, bool) {
	if ctx.Value(nowKey{}) != nil {
		return ctx, true
	}
	if l, ok := ctx.Value(loadersKey{}).(*Loaders); ok && l.isLoaded(obj) {
		return context.WithValue(ctx, nowKey{}, true), true
	}
	return ctx, false
}

// resolveConcurrently is graphql.FieldSet.ResolveConcurrently that, when
// now is true and the field is not deferred, resolves the field at once:
// the same value, panic handling and count of invalid results, without the
// goroutine.
func resolveConcurrently(ctx context.Context, now bool, out *graphql.FieldSet, oc *graphql.OperationContext, deferred *graphql.DeferredGroup,
	field graphql.CollectedField, i int, recoverFromPanic, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	if !now || field.IsDeferred() {
		out.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		return
	}
	v := resolveRecovering(ctx, oc, recoverFromPanic, resolve)
	out.Values[i] = v
	invalid := graphql.RequiredNull
	if nonNull {
		invalid = graphql.Null
	}
	if v == invalid {
		atomic.AddUint32(&out.Invalids, 1)
	}
}

func resolveRecovering(ctx context.Context, oc *graphql.OperationContext, recoverFromPanic bool, resolve func(ctx context.Context) graphql.Marshaler) (v graphql.Marshaler) {
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				v = graphql.Null
			}
		}()
	}
	return resolve(ctx)
}

// marshalSlice is graphql.MarshalSliceConcurrently for a list of objects
// whose fields may wait, that marshals the elements inline below an object
// that resolves now, or when a resolver marked every element loaded.
func marshalSlice[E any](ctx context.Context, v []*E, workerLimit int64, omitPanicHandler bool,
	marshal func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if len(v) == 0 || ctx.Value(nowKey{}) != nil {
		return marshalSliceInline(ctx, len(v), marshal)
	}
	if l, ok := ctx.Value(loadersKey{}).(*Loaders); ok && allLoaded(l, v) {
		return marshalSliceInline(context.WithValue(ctx, nowKey{}, true), len(v), marshal)
	}
	return graphql.MarshalSliceConcurrently(ctx, len(v), workerLimit, omitPanicHandler, marshal)
}

// objectOf is what an object marshals as once its fields are resolved: out
// itself when a field is deferred (a deferred payload takes values from
// it), else an object that writes the values in the fields' order.
func objectOf(out *graphql.FieldSet, fields []graphql.CollectedField, deferred *graphql.DeferredGroup) graphql.Marshaler {
	if len(deferred.Defers) > 0 {
		return out
	}
	return &object{fields: fields, values: out.Values}
}

// object writes its members as graphql.FieldSet does: each response name
// once, the first time it comes. Response names are GraphQL names, which
// need no escaping.
type object struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o *object) MarshalGQL(w io.Writer) {
	io.WriteString(w, "{")
	written := 0
	for i := range o.fields {
		if seenAlias(o.fields[:i], o.fields[i].Alias) {
			continue
		}
		if written > 0 {
			io.WriteString(w, ",")
		}
		written++
		io.WriteString(w, `"`)
		io.WriteString(w, o.fields[i].Alias)
		io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	io.WriteString(w, "}")
}

func seenAlias(fields []graphql.CollectedField, alias string) bool {
	for i := range fields {
		if fields[i].Alias == alias {
			return true
		}
	}
	return false
}
