package web

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/copycat-video/copycat/models"
)

type openapiOperation struct {
	OperationID string                     `json:"operationId"`
	Roles       []models.Role              `json:"x-roles"`
	Security    []map[string]any           `json:"security"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

// TestOpenAPIMatchesRoutes checks that the document and the route table
// describe the same API: every route is documented with its roles, every
// documented operation exists, operation ids are unique and every $ref
// resolves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI    string                                 `json:"openapi"`
		Paths      map[string]map[string]openapiOperation `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	s := &Server{}
	s.routes = s.routeTable()
	documented := map[string]openapiOperation{}
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := strings.ToUpper(method) + " " + path
			documented[key] = op
			if op.OperationID == "" || ids[op.OperationID] {
				t.Errorf("%s: missing or duplicate operationId %q", key, op.OperationID)
			}
			ids[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", key)
			}
		}
	}
	for _, rt := range s.routes {
		key := rt.method + " " + rt.pattern
		op, ok := documented[key]
		if !ok {
			t.Errorf("route %s is not in openapi.json", key)
			continue
		}
		delete(documented, key)
		want, got := slices.Clone(rt.roles), slices.Clone(op.Roles)
		sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		if !slices.Equal(want, got) {
			t.Errorf("%s: x-roles %v, route table %v", key, got, want)
		}
		if secured := len(op.Security) > 0; secured != (rt.roles != nil) {
			t.Errorf("%s: security %v but route roles %v", key, op.Security, rt.roles)
		}
		for _, code := range []string{"401", "403"} {
			if _, has := op.Responses[code]; has != (rt.roles != nil) {
				t.Errorf("%s: response %s documented=%v, but route is protected=%v", key, code, has, rt.roles != nil)
			}
		}
	}
	for key := range documented {
		t.Errorf("openapi.json documents %s, which is not a route", key)
	}
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/schemas/([A-Za-z]+)"`).FindAllStringSubmatch(string(openapiDoc), -1) {
		if _, ok := doc.Components.Schemas[m[1]]; !ok {
			t.Errorf("$ref to undefined schema %s", m[1])
		}
	}
}

// TestOpenAPIServed checks the document is served as is.
func TestOpenAPIServed(t *testing.T) {
	e := newTestEnv(t, envOptions{})
	r := e.do("GET", "/openapi.json", "", "", nil)
	if r.status != 200 || string(r.body) != string(openapiDoc) || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /openapi.json = %d %s (%d bytes)", r.status, r.header.Get("Content-Type"), len(r.body))
	}
}
