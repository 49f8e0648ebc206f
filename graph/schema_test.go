package graph

import (
	"slices"
	"testing"

	"github.com/fahuo/fahuo/models"
)

// The ErrorCode enum of the schema and the codes of the domain must be the
// same list, so that no rule's code is missing from the API.
func TestErrorCodeEnumMatchesTheDomain(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	enum := schema.Types["ErrorCode"]
	if enum == nil {
		t.Fatal("no ErrorCode enum in the schema")
	}
	var inSchema []string
	for _, v := range enum.EnumValues {
		inSchema = append(inSchema, v.Name)
	}
	var inDomain []string
	for _, c := range models.ErrorCodes {
		inDomain = append(inDomain, string(c))
	}
	if !slices.Equal(inSchema, inDomain) {
		t.Errorf("schema ErrorCode %v\ndomain codes     %v", inSchema, inDomain)
	}
}

func TestGlobalIDs(t *testing.T) {
	id := globalID("Order", 42)
	if id != "gid://fahuo/Order/42" {
		t.Fatalf("globalID = %q", id)
	}
	if n, err := parseID("Order", id); err != nil || n != 42 {
		t.Errorf("parseID(%q) = %d, %v", id, n, err)
	}
	for _, bad := range []string{"", "42", "gid://fahuo/Package/42", "gid://fahuo/Order/", "gid://fahuo/Order/-1", "gid://fahuo/Order/0", "gid://fahuo/Order/1x"} {
		if _, err := parseID("Order", bad); models.ErrorCodeOf(err) != models.CodeInvalidArgument {
			t.Errorf("parseID(%q): %v", bad, err)
		}
	}
}
