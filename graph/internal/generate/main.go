// Command generate runs gqlgen for this module (as `go tool gqlgen
// generate` does) and then edits the generated executor where gqlgen's
// general machinery costs the most and this schema does not need it.
//
// gqlgen marshals every element of a list of objects in a goroutine of its
// own, and resolves every field with a resolver in another, so that loads
// that wait on a dataloader run side by side. Starting those goroutines and
// growing their stacks took a sixth of the server's CPU on the merchant's
// order page (fifty orders, two lines and a package or two each). The
// command finds, in gqlgen's own model of the schema, the object types
// none of whose fields can wait — no resolver, no method that takes a
// context, and no such object below — and:
//
//   - has their lists marshaled by marshalSliceInline (graph/inline.go)
//     instead of graphql.MarshalSliceConcurrently;
//   - has the other lists of objects marshaled by marshalSlice, and the
//     objects with fields that may wait ask resolveNow and schedule those
//     fields through resolveConcurrently: a subtree whose data a resolver
//     read in advance (primeOrders) resolves in the caller's goroutine,
//     everything else concurrently as before, so dataloaders batch;
//   - has objects build their group of @defer'd fields, whose response path
//     gqlgen computes eagerly, only when a field is deferred
//     (newDeferredGroup);
//   - has plain scalar and enum fields (read from the model, no resolver,
//     argument or directive) marshaled straight from the model, without
//     gqlgen's field context, closures and resolver middleware: a fifth of
//     the allocations of a page of orders. A field whose marshaler can
//     report an error (a non-null time that is zero) keeps gqlgen's
//     resolution, so that the error carries the field's path. Field
//     middleware (a graphql.FieldInterceptor) would not see these fields;
//     the server registers none (graph/server.go);
//   - has objects without deferred fields written by objectOf, which
//     writes the members in the order of the query without the map of
//     written names and the copy of each field that graphql.FieldSet's
//     writer makes;
//   - has objects collect their fields through collectFields
//     (graph/collect.go), which remembers across requests what gqlgen
//     collects anew, under a key it hashes anew, for every object;
//   - writes the table of fields that may wait (generated_waiting.go).
//
// Every edit checks that the generated code has the shape it expects, so
// that a gqlgen upgrade that changes it fails the generation loudly.
//
// Run through `go generate ./graph`.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"log"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	log.SetFlags(0)
	cfg, err := config.LoadConfigFromDefaultLocations()
	if errors.Is(err, fs.ErrNotExist) {
		log.Fatal("generate: no gqlgen.yml above this directory")
	}
	if err != nil {
		log.Fatalf("generate: %v", err)
	}
	p := &plainLists{}
	if err := api.Generate(cfg, api.AddPlugin(p)); err != nil {
		log.Fatalf("generate: %v", err)
	}
	if err := p.rewrite(cfg.Exec.Filename); err != nil {
		log.Fatalf("generate: %v", err)
	}
}

// plainLists is a gqlgen plugin that records which object types cannot
// wait; rewrite then edits the generated file.
type plainLists struct {
	plain []string
	// waiting are, by object type, the fields gqlgen resolves
	// concurrently: those that may wait.
	waiting map[string][]string
	// leaves are the plain scalar and enum fields ("_Order_number"): read
	// from the model with no resolver, context, error, argument or
	// directive, and not lists (whose elements' marshaler neverNull does
	// not look at).
	leaves map[string]bool
}

func (p *plainLists) Name() string { return "plainlists" }

// GenerateCode runs before gqlgen writes its files, with its model of the
// schema: each object with its fields, and whether a field is resolved
// concurrently (a resolver, or a model method that takes a context).
func (p *plainLists) GenerateCode(data *codegen.Data) error {
	objects := map[string]*codegen.Object{}
	for _, o := range data.Objects {
		objects[o.Name] = o
	}
	state := map[string]int{} // 0 unknown, 1 visiting, 2 plain, 3 may wait
	var mayWait func(name string) bool
	mayWait = func(name string) bool {
		switch state[name] {
		case 1:
			// A cycle. Calling it "may wait" keeps every type on the cycle
			// concurrent; calling it plain could settle a type as plain
			// before a field of the cycle further on turns out to wait.
			return true
		case 2:
			return false
		case 3:
			return true
		}
		o, ok := objects[name]
		if !ok {
			return true
		}
		state[name] = 1
		wait := false
		for _, f := range o.Fields {
			if f.IsResolver || f.MethodHasContext {
				wait = true
				break
			}
			def := data.Schema.Types[f.Type.Name()]
			if def == nil {
				wait = true
				break
			}
			switch def.Kind {
			case ast.Object:
				wait = mayWait(def.Name)
			case ast.Interface, ast.Union:
				wait = true
			}
			if wait {
				break
			}
		}
		state[name] = 2
		if wait {
			state[name] = 3
		}
		return wait
	}
	p.waiting = map[string][]string{}
	p.leaves = map[string]bool{}
	for _, o := range data.Objects {
		if o.Definition.Kind != ast.Object || o.IsReserved() || o.Root {
			continue
		}
		if !mayWait(o.Name) {
			p.plain = append(p.plain, o.Name)
		}
		for _, f := range o.Fields {
			if f.IsConcurrent() {
				p.waiting[o.Name] = append(p.waiting[o.Name], f.Name)
			}
			kind := f.TypeReference.Definition.Kind
			if !f.IsResolver && !f.MethodHasContext && (f.NoErr || f.GoFieldType == codegen.GoFieldVariable) && len(f.Args) == 0 &&
				len(f.Directives) == 0 && !f.Stream && f.Type.Elem == nil && (kind == ast.Scalar || kind == ast.Enum) {
				p.leaves["_"+o.Name+"_"+f.Name] = true
			}
		}
	}
	slices.Sort(p.plain)
	return nil
}

// leafFunc matches gqlgen's resolution of a field read from the model with
// no middleware: its name, the object's type, the read and the marshaler.
var leafFunc = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) (_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj (\*[\w.]+)\) \(ret graphql\.Marshaler\) \{
	return graphql\.ResolveField\(
		ctx,
		ec\.OperationContext,
		field,
		func\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
			return ec\.fieldContext_\w+\(ctx, field\)
		\},
		func\(ctx context\.Context\) \(any, error\) \{
			return (obj(?:\.\w+)+(?:\(\))?), nil
		\},
		nil,
		func\(ctx context\.Context, selections ast\.SelectionSet, v [^)]+\) graphql\.Marshaler \{
			return ec\.(marshal[^(\s]+)\(ctx, selections, v\)
		\},
		true,
		(?:true|false),
	\)
\}
`)

// neverNull tells whether the generated marshaler reports no error of its
// own: a nullable one (whose null is a value), or a non-null one around a
// marshaler that never gives null. A marshaler that reports one (a zero
// time in a non-null field) needs the field's own context for the
// error's path, so its field keeps gqlgen's resolution.
func neverNull(src []byte, marshal string) bool {
	body := regexp.MustCompile(`(?ms)^func \(ec \*executionContext\) ` + regexp.QuoteMeta(marshal) + `\(.*?^}\n`).Find(src)
	if body == nil {
		return false
	}
	if strings.HasPrefix(marshal, "marshalO") {
		return !bytes.Contains(body, []byte("AddInvalidNull")) && !bytes.Contains(body, []byte("AddError"))
	}
	for _, m := range []string{"MarshalString(", "MarshalID(", "MarshalInt64(", "MarshalInt(", "MarshalInt32(", "MarshalBoolean("} {
		if bytes.Contains(body, []byte("res := graphql."+m)) {
			return true
		}
	}
	return false
}

// objectFunc matches the marshaler of one object type, up to its end.
var objectFunc = regexp.MustCompile(`(?ms)^func \(ec \*executionContext\) _\w+\(ctx context\.Context, sel ast\.SelectionSet, obj \*[^)]*\) graphql\.Marshaler \{\n.*?^}\n`)

var marshalList = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) marshal[NO](\w+?)2ᚕ[^(]*\(ctx context\.Context, sel ast\.SelectionSet, v [^)]*\) graphql\.Marshaler \{\n\tret := graphql\.MarshalSliceConcurrently\(ctx, len\(v\), \d+, (?:true|false), `)

// rewrite edits the generated file as the command's doc says, and fails
// when the file does not look as expected, so that a gqlgen upgrade that
// changes it is noticed.
func (p *plainLists) rewrite(filename string) error {
	src, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	if !bytes.Contains(src, []byte("graphql.MarshalSliceConcurrently(")) {
		return fmt.Errorf("%s has no graphql.MarshalSliceConcurrently: gqlgen's generated code changed", filename)
	}
	// Every object makes a group for its @defer'd fields, and gqlgen's
	// NewDeferredGroup builds the object's response path to label the
	// group's payloads: a tenth of the allocations of a page of orders,
	// for a directive hardly any query uses. newDeferredGroup
	// (graph/inline.go) builds it only when a field of the object is
	// deferred.
	const newGroup = "deferred := graphql.NewDeferredGroup(ctx)"
	groups := bytes.Count(src, []byte(newGroup))
	if groups == 0 || groups != bytes.Count(src, []byte("fields := graphql.CollectFields(")) {
		return fmt.Errorf("%s: %d deferred groups, not one an object: gqlgen's generated code changed", filename, groups)
	}
	src = bytes.ReplaceAll(src, []byte(newGroup), []byte("deferred := newDeferredGroup(ctx, fields)"))
	// Objects collect their fields through collectFields (graph/collect.go).
	const collect = "fields := graphql.CollectFields(ec.OperationContext, sel, "
	if n := bytes.Count(src, []byte(collect)); n != groups {
		return fmt.Errorf("%s: %d objects collect their fields as expected, %d make a deferred group: gqlgen's generated code changed", filename, n, groups)
	}
	src = bytes.ReplaceAll(src, []byte(collect), []byte("fields := collectFields(ec.OperationContext, sel, "))
	// Objects without deferred fields are written by objectOf, without the
	// map and the copy a field that graphql.FieldSet's writer makes.
	const ret = "\n\treturn out\n}\n"
	if n := bytes.Count(src, []byte(ret)); n != groups {
		return fmt.Errorf("%s: %d objects return their field set, %d make a deferred group: gqlgen's generated code changed", filename, n, groups)
	}
	src = bytes.ReplaceAll(src, []byte(ret), []byte("\n\treturn objectOf(out, fields, &deferred)\n}\n"))
	n := 0
	out := marshalList.ReplaceAllFunc(src, func(m []byte) []byte {
		name := string(marshalList.FindSubmatch(m)[1])
		if !slices.Contains(p.plain, name) {
			return m
		}
		n++
		head, _, _ := strings.Cut(string(m), "\tret := ")
		return []byte(head + "\tret := marshalSliceInline(ctx, len(v), ")
	})
	if n == 0 && len(p.plain) > 0 {
		return fmt.Errorf("no list of %v found in %s: gqlgen's generated code changed", p.plain, filename)
	}
	// The other lists of objects marshal through marshalSlice, inline
	// when their elements were loaded in advance (graph/inline.go).
	lists := 0
	out = marshalList.ReplaceAllFunc(out, func(m []byte) []byte {
		if !bytes.Contains(m, []byte(", v []*")) {
			return m
		}
		lists++
		return bytes.Replace(m, []byte("graphql.MarshalSliceConcurrently(ctx, len(v), "), []byte("marshalSlice(ctx, v, "), 1)
	})
	if lists == 0 {
		return fmt.Errorf("no concurrent list of objects found in %s: gqlgen's generated code changed", filename)
	}
	// Objects with fields that may wait ask resolveNow whether they
	// resolve now, and schedule those fields through resolveConcurrently.
	objects := 0
	out = objectFunc.ReplaceAllFunc(out, func(m []byte) []byte {
		const schedule = "out.ResolveConcurrently(ec.OperationContext, &deferred, i,"
		if !bytes.Contains(m, []byte(schedule)) {
			return m
		}
		objects++
		m = bytes.Replace(m, []byte("deferred := newDeferredGroup(ctx, fields)\n"),
			[]byte("deferred := newDeferredGroup(ctx, fields)\n\tctx, now := resolveNow(ctx, obj)\n"), 1)
		return bytes.ReplaceAll(m, []byte(schedule), []byte("resolveConcurrently(ctx, now, out, ec.OperationContext, &deferred, field, i,"))
	})
	if objects != len(p.waiting) {
		return fmt.Errorf("%s: %d objects schedule fields, gqlgen's model has %d with fields that may wait: gqlgen's generated code changed",
			filename, objects, len(p.waiting))
	}
	// Leaves are marshaled straight from the model.
	leaves := 0
	out = leafFunc.ReplaceAllFunc(out, func(m []byte) []byte {
		sub := leafFunc.FindSubmatch(m)
		name, objType, value, marshal := string(sub[1]), string(sub[2]), string(sub[3]), string(sub[4])
		if !p.leaves[name] || !neverNull(out, marshal) {
			return m
		}
		leaves++
		return fmt.Appendf(nil, "func (ec *executionContext) %s(ctx context.Context, field graphql.CollectedField, obj %s) (ret graphql.Marshaler) {\n"+
			"\treturn ec.%s(ctx, field.Selections, %s)\n}\n", name, objType, marshal, value)
	})
	if leaves == 0 {
		return fmt.Errorf("no plain scalar field found in %s: gqlgen's generated code changed", filename)
	}
	out, err = format.Source(out)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filename, out, 0o644); err != nil {
		return err
	}
	return p.writeWaiting(filepath.Join(filepath.Dir(filename), "generated_waiting.go"))
}

// writeWaiting writes the table of fields that may wait, for the check of
// what a resolver's advance reads cover (graph/prime.go).
func (p *plainLists) writeWaiting(filename string) error {
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/generate. DO NOT EDIT.\n\npackage graph\n\n")
	b.WriteString("// waitingFields are, by object type, the fields gqlgen resolves concurrently\n// because they may wait: resolvers and methods that take a context.\n")
	b.WriteString("var waitingFields = map[string][]string{\n")
	names := slices.Sorted(maps.Keys(p.waiting))
	for _, name := range names {
		fmt.Fprintf(&b, "\t%q: {", name)
		for i, f := range p.waiting[name] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", f)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(filename, src, 0o644)
}
