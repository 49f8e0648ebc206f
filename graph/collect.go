package graph

import (
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// collectFields is graphql.CollectFields, remembered across requests where
// the answer cannot change between them. The generator (internal/generate)
// has every object's marshaler call it, and the advance reads ask it what
// a selection holds (graph/prime.go).
//
// gqlgen collects the fields of a selection set for every object it
// writes, and remembers them only for the request, under a key it hashes
// anew for every object (an allocation or two each, and the collection's
// own on a miss): a page of 50 orders collects for some 700 objects. The
// fields collected from a selection set depend only on the set, the type's
// interfaces and, through @skip, @include and @defer, on the request's
// variables; a set without directives, in its fragments neither, gives the
// same fields for every request.
//
// Sets are told apart by the address of their first selection: parsed
// documents are cached (graph.NewServer's query cache), so a query sent
// again comes with the same sets, and the fields collected from a
// remembered set hold its fields' selection sets, which are then the same
// from request to request too. Only such sets are remembered (the
// operation's own, and those of remembered fields), and each is held by
// its entry, so that its address cannot name another set while remembered.
func collectFields(op *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	if len(sel) == 0 {
		return graphql.CollectFields(op, sel, satisfies)
	}
	key := collectKey{first: &sel[0], n: len(sel)}
	if len(satisfies) > 0 {
		key.satisfies = &satisfies[0]
	}
	if c, ok := collected.fields.Load(key); ok {
		return c.(collectedSet).fields
	}
	fields := graphql.CollectFields(op, sel, satisfies)
	if !collected.stable(op, sel) || !withoutDirectives(op.Doc, sel, map[string]bool{}) {
		return fields
	}
	collected.remember(key, sel, fields)
	return fields
}

// collectKey names a selection set collected for a type (by its list of
// implemented names), or for none (satisfies nil: fragments on a type
// left out).
type collectKey struct {
	first     *ast.Selection
	n         int
	satisfies *string
}

// collectedSet is a remembered set with the fields collected from it.
type collectedSet struct {
	sel    ast.SelectionSet
	fields []graphql.CollectedField
}

// maxCollected bounds the sets remembered: past it they are all
// forgotten, and remembered again as queries come.
const maxCollected = 20_000

var collected collectedSets

// collectedSets are the remembered sets (fields) and the selection sets
// of their fields (children), which are remembered when they are
// collected in turn.
type collectedSets struct {
	mu       sync.Mutex
	fields   sync.Map // collectKey → collectedSet
	children sync.Map // *ast.Selection → ast.SelectionSet
	n        int      // sets and children stored, under mu
}

// stable reports whether sel is a set that comes the same with every
// request that sends the same query: the operation's own, or one of the
// fields of a remembered set.
func (c *collectedSets) stable(op *graphql.OperationContext, sel ast.SelectionSet) bool {
	if op.Operation != nil && len(op.Operation.SelectionSet) > 0 && &op.Operation.SelectionSet[0] == &sel[0] {
		return true
	}
	child, ok := c.children.Load(&sel[0])
	return ok && len(child.(ast.SelectionSet)) == len(sel)
}

func (c *collectedSets) remember(key collectKey, sel ast.SelectionSet, fields []graphql.CollectedField) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n += 1 + len(fields); c.n > maxCollected {
		c.fields.Clear()
		c.children.Clear()
		c.n = 1 + len(fields)
	}
	for _, f := range fields {
		if len(f.Selections) > 0 {
			c.children.Store(&f.Selections[0], f.Selections)
		}
	}
	c.fields.Store(key, collectedSet{sel: sel, fields: fields})
}

// withoutDirectives reports whether no selection of sel, nor of the
// fragments it holds or spreads, carries a directive.
func withoutDirectives(doc *ast.QueryDocument, sel ast.SelectionSet, spread map[string]bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if len(s.Directives) > 0 {
				return false
			}
		case *ast.InlineFragment:
			if len(s.Directives) > 0 || !withoutDirectives(doc, s.SelectionSet, spread) {
				return false
			}
		case *ast.FragmentSpread:
			if len(s.Directives) > 0 {
				return false
			}
			if spread[s.Name] {
				continue
			}
			spread[s.Name] = true
			f := doc.Fragments.ForName(s.Name)
			if f == nil || len(f.Directives) > 0 || !withoutDirectives(doc, f.SelectionSet, spread) {
				return false
			}
		default:
			return false
		}
	}
	return true
}
