// Command generate runs gqlgen for this module (as `go tool gqlgen
// generate` does) and then lets lists of plain objects marshal in the
// caller's goroutine.
//
// gqlgen marshals every element of a list of objects in a goroutine of its
// own, so that the elements' resolvers (which may wait on a dataloader) run
// side by side. For an object none of whose fields can wait — no resolver,
// no method that takes a context, and no such object below it — that
// goroutine only costs: starting it and growing its stack took a tenth of
// the server's CPU on the merchant's order page (two order lines per order,
// fifty orders). This command finds those object types in gqlgen's own
// model of the schema and, in the generated file, has their lists marshaled
// by marshalSliceInline (graph/inline.go) instead of
// graphql.MarshalSliceConcurrently. Every other list stays concurrent, so
// dataloaders batch as before.
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
	"os"
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
	for _, o := range data.Objects {
		if o.Definition.Kind == ast.Object && !o.IsReserved() && !o.Root && !mayWait(o.Name) {
			p.plain = append(p.plain, o.Name)
		}
	}
	slices.Sort(p.plain)
	return nil
}

var marshalList = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) marshal[NO](\w+?)2ᚕ[^(]*\(ctx context\.Context, sel ast\.SelectionSet, v [^)]*\) graphql\.Marshaler \{\n\tret := graphql\.MarshalSliceConcurrently\(ctx, len\(v\), \d+, (?:true|false), `)

// rewrite has the lists of plain objects in the generated file marshaled
// inline, and fails when the file does not look as expected, so that a
// gqlgen upgrade that changes it is noticed.
func (p *plainLists) rewrite(filename string) error {
	src, err := os.ReadFile(filename)
	if err != nil {
		return err
	}
	if !bytes.Contains(src, []byte("graphql.MarshalSliceConcurrently(")) {
		return fmt.Errorf("%s has no graphql.MarshalSliceConcurrently: gqlgen's generated code changed", filename)
	}
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
	out, err = format.Source(out)
	if err != nil {
		return err
	}
	return os.WriteFile(filename, out, 0o644)
}
