package atlasspec

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streambot/streambot/pkg/atlas/atlasroute"
)

// The table the simulator routes by without loading the spec
// (atlasroute.Operations) is every operation of the excerpts, with its
// method, path and success media types.
func TestRouteTable(t *testing.T) {
	s := mustLoad(t)
	seen := map[string]bool{}
	var want []atlasroute.Operation
	for _, doc := range s.docs {
		for path, item := range doc.Paths.Map() {
			// Undo splitVerbs: the table holds the spec's own paths.
			path = strings.Replace(path, verbSegment, ":", 1)
			for method, op := range item.Operations() {
				if seen[method+" "+path] {
					continue // PATCH and DELETE of a workspace are in two excerpts
				}
				seen[method+" "+path] = true
				want = append(want, atlasroute.Operation{ID: op.OperationID, Method: method, Path: path,
					Success: slices.Sorted(maps.Keys(successContent(op)))})
			}
		}
	}
	byID := func(ops []atlasroute.Operation) {
		slices.SortFunc(ops, func(a, b atlasroute.Operation) int { return strings.Compare(a.Method+a.Path, b.Method+b.Path) })
	}
	got := atlasroute.Operations()
	byID(want)
	byID(got)
	if diff := cmp.Diff(want, got); diff != "" {
		var b strings.Builder
		for _, op := range want {
			fmt.Fprintf(&b, "\t{%q, %q, %q, %#v},\n", op.ID, op.Method, op.Path, op.Success)
		}
		t.Errorf("atlasroute's table and the spec differ (-spec +table):\n%s\nthe spec's operations:\n%s", diff, b.String())
	}
}

// routeCases are requests on and around every documented path: the
// simulator's router must agree with kin-openapi's on all of them.
func routeCases() []struct{ method, path string } {
	var cases []struct{ method, path string }
	add := func(method, path string) { cases = append(cases, struct{ method, path string }{method, path}) }
	values := strings.NewReplacer("{groupId}", "32b6e34b3d91647abb20e7b8", "{tenantName}", "ws-1",
		"{processorName}", "p%2F1", "{connectionName}", "c.1", "{orgId}", "o1", "{userName}", "a@example.com")
	for _, op := range atlasroute.Operations() {
		p := values.Replace(op.Path)
		for _, m := range []string{op.Method, "GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "get"} {
			add(m, p)
			add(m, p+"/")
			add(m, p+"//")
			add(m, p+"/extra")
			add(m, p+"x")
			add(m, p[:strings.LastIndexByte(p, '/')])
			add(m, strings.Replace(p, "ws-1", "", 1))
			add(m, strings.Replace(p, "ws-1", "a%2Fb", 1))
			add(m, strings.Replace(p, "ws-1", "a:start", 1))
			if i := strings.LastIndexByte(p, ':'); i > 0 {
				add(m, p[:i]+"/"+p[i:])     // the routed form spelled literally
				add(m, p[:i]+"%3A"+p[i+1:]) // an escaped colon is no verb
				add(m, p[:i]+":")           // no verb after the colon
				add(m, p[:i]+":bogus")      // an undocumented verb
				add(m, strings.Replace(p, "p%2F1", "", 1))
			}
		}
	}
	add("GET", "/api/atlas/v2/")
	add("GET", "/api/atlas/v2")
	add("GET", "/")
	return cases
}

func TestRouteAgreesWithKin(t *testing.T) {
	s := mustLoad(t)
	for _, c := range routeCases() {
		checkRoute(t, s, c.method, c.path)
	}
}

// FuzzRoute checks the simulator's router against kin-openapi's on any
// method token and path.
func FuzzRoute(f *testing.F) {
	for _, c := range routeCases() {
		f.Add(c.method, c.path)
	}
	s, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		if method == "" || strings.ContainsFunc(method, func(r rune) bool { return r < 'A' || r > 'z' || (r > 'Z' && r < 'a') }) {
			t.Skip("not a method token net/http would pass on")
		}
		checkRoute(t, s, method, path)
	})
}

func checkRoute(t *testing.T, s *Spec, method, path string) {
	t.Helper()
	u, err := url.Parse("http://127.0.0.1" + path)
	if err != nil || u.Host != "127.0.0.1" || !strings.HasPrefix(u.Path, "/") {
		return // not a path a server receives
	}
	r := &http.Request{Method: method, URL: u, Header: http.Header{}}
	route, kinParams, kinErr := s.route(r)
	op, params, err := atlasroute.Route(r)
	switch {
	case kinErr != nil && err != nil:
	case kinErr != nil || err != nil:
		t.Errorf("%s %s: kin-openapi: %v; atlasroute: %q, %v", method, path, kinErr, op.ID, err)
	case route.Operation.OperationID != op.ID || !maps.Equal(kinParams, params):
		t.Errorf("%s %s: kin-openapi routes to %s %v, atlasroute to %s %v", method, path,
			route.Operation.OperationID, kinParams, op.ID, params)
	}
}

// The simulator's media types are the spec's.
func TestRouteResponseMediaType(t *testing.T) {
	s := mustLoad(t)
	for _, c := range routeCases() {
		for _, accept := range []string{"application/vnd.atlas.2023-01-01+json", v20230201, "application/vnd.atlas.2024-05-30+json",
			"application/vnd.atlas.2025-02-19+json", v20250312, "application/vnd.atlas.2030-01-01+json", "application/json", ""} {
			u, err := url.Parse("http://127.0.0.1" + c.path)
			if err != nil {
				t.Fatal(err)
			}
			r := &http.Request{Method: c.method, URL: u, Header: http.Header{"Accept": {accept}}}
			want, wantErr := s.ResponseMediaType(r)
			got, err := atlasroute.ResponseMediaType(r)
			if got != want || (err == nil) != (wantErr == nil) {
				t.Errorf("%s %s in %q: atlasroute %q, %v; the spec %q, %v", c.method, c.path, accept, got, err, want, wantErr)
			}
		}
	}
}
