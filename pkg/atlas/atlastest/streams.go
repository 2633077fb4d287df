package atlastest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/streambot/streambot/pkg/atlas"
)

// listStreams is GET /api/atlas/v2/groups/{groupId}/streams.
func (a *Atlas) listStreams(w http.ResponseWriter, c *call) {
	groupID := c.params["groupId"]
	a.mu.Lock()
	p := a.projects[groupID]
	var all []atlas.StreamWorkspace
	if p != nil {
		a.sweepLocked(p)
		for _, ws := range p.workspaces {
			all = append(all, a.render(c.r, ws, false))
		}
	}
	a.mu.Unlock()
	if p == nil {
		a.groupNotFound(w, c.r, groupID)
		return
	}
	a.ok(w, c.r, http.StatusOK, paginate(c.r, all))
}

// createStream is POST /api/atlas/v2/groups/{groupId}/streams.
func (a *Atlas) createStream(w http.ResponseWriter, c *call) {
	groupID := c.params["groupId"]
	var in atlas.StreamWorkspace
	if err := json.Unmarshal(c.body, &in); err != nil {
		a.badRequest(w, c.r, err)
		return
	}
	if !a.projectExists(groupID) {
		a.groupNotFound(w, c.r, groupID)
		return
	}
	if in.StreamConfig == nil {
		in.StreamConfig = &atlas.StreamConfig{}
	}
	if in.StreamConfig.Tier == "" {
		in.StreamConfig.Tier = DefaultTier
	}
	if err := atlas.ValidateCreate(groupID, &in); err != nil {
		a.invalid(w, c.r, err)
		return
	}
	id := newID()
	stored := atlas.StreamWorkspace{
		ID:                id,
		GroupID:           groupID,
		Name:              in.Name,
		DataProcessRegion: &atlas.DataProcessRegion{CloudProvider: in.DataProcessRegion.CloudProvider, Region: in.DataProcessRegion.Region},
		StreamConfig:      &atlas.StreamConfig{Tier: in.StreamConfig.Tier, MaxTierSize: in.StreamConfig.MaxTierSize},
		Hostnames:         []string{hostname(id, in.DataProcessRegion)},
	}
	if in.SampleConnections != nil {
		stored.SampleConnections = &atlas.SampleConnections{Solar: in.SampleConnections.Solar}
		if in.SampleConnections.Solar != nil && *in.SampleConnections.Solar {
			stored.Connections = []atlas.Connection{{Name: "sample_stream_solar", Type: "Sample"}}
		}
	}
	a.mu.Lock()
	p := a.projectLocked(groupID)
	a.sweepLocked(p)
	if slices.ContainsFunc(p.workspaces, func(w *workspace) bool { return w.ws.Name == in.Name }) {
		a.mu.Unlock()
		a.fail(w, c.r, http.StatusConflict, CodeDuplicateName,
			fmt.Sprintf("A stream workspace named %s already exists in project %s.", in.Name, groupID), nil)
		return
	}
	ws := &workspace{ws: stored, hiddenGets: a.hostDelay}
	p.workspaces = append(p.workspaces, ws)
	if a.sampleProcessors && len(stored.Connections) > 0 {
		a.addSampleProcessorsLocked(groupID, ws)
	}
	out := a.render(c.r, ws, true)
	a.mu.Unlock()
	a.ok(w, c.r, http.StatusOK, out)
}

// getStream is GET /api/atlas/v2/groups/{groupId}/streams/{tenantName}.
func (a *Atlas) getStream(w http.ResponseWriter, c *call) {
	a.withWorkspace(w, c, func(ws *workspace) (int, any) {
		out := a.render(c.r, ws, c.r.URL.Query().Get("includeConnections") == "true")
		if ws.hiddenGets > 0 {
			ws.hiddenGets--
		}
		return http.StatusOK, out
	})
}

// updateRequest is the API's StreamsTenantUpdateRequest, as far as the
// simulator applies it.
type updateRequest struct {
	CloudProvider atlas.Provider      `json:"cloudProvider"`
	Region        string              `json:"region"`
	StreamConfig  *atlas.StreamConfig `json:"streamConfig"`
}

// updateStream is PATCH /api/atlas/v2/groups/{groupId}/streams/{tenantName}.
func (a *Atlas) updateStream(w http.ResponseWriter, c *call) {
	var in updateRequest
	if err := json.Unmarshal(c.body, &in); err != nil {
		a.badRequest(w, c.r, err)
		return
	}
	var invalid error
	a.withWorkspace(w, c, func(ws *workspace) (int, any) {
		region := *ws.ws.DataProcessRegion
		if in.CloudProvider != "" {
			region.CloudProvider = in.CloudProvider
		}
		if in.Region != "" {
			region.Region = in.Region
		}
		config := *ws.ws.StreamConfig
		if in.StreamConfig != nil {
			if in.StreamConfig.Tier != "" {
				config.Tier = in.StreamConfig.Tier
			}
			if in.StreamConfig.MaxTierSize != "" {
				config.MaxTierSize = in.StreamConfig.MaxTierSize
			}
		}
		if invalid = errors.Join(atlas.ValidateRegion(region.CloudProvider, region.Region),
			atlas.ValidateTiers(config.Tier, config.MaxTierSize)); invalid != nil {
			return 0, nil
		}
		ws.ws.DataProcessRegion, ws.ws.StreamConfig = &region, &config
		return http.StatusOK, a.render(c.r, ws, true)
	})
	if invalid != nil {
		a.invalid(w, c.r, invalid)
	}
}

// deleteStream is DELETE /api/atlas/v2/groups/{groupId}/streams/{tenantName}:
// 202, and the workspace is gone after the delete delay, its processors and
// connections with it. While a processor runs, Atlas refuses: 409
// [CodeProcessorsRunning], nothing deleted.
func (a *Atlas) deleteStream(w http.ResponseWriter, c *call) {
	running := ""
	a.withWorkspace(w, c, func(ws *workspace) (int, any) {
		if set := a.setLocked(c.params["groupId"], c.params["tenantName"], ws, false); set != nil && ws.deleteAfter.IsZero() {
			for _, p := range set.processors {
				if p.state == atlas.ProcessorStarted {
					running = p.name
					return 0, nil
				}
			}
		}
		if ws.deleteAfter.IsZero() {
			ws.deleteAfter = a.now().Add(a.deleteDelay)
		}
		return http.StatusAccepted, map[string]any{}
	})
	if running != "" {
		a.fail(w, c.r, http.StatusConflict, CodeProcessorsRunning,
			fmt.Sprintf("Cannot delete stream workspace %s while stream processor %s is running; stop its processors first.",
				c.params["tenantName"], running), nil)
	}
}

// withWorkspace runs f on the named workspace under the lock and answers
// its result, or answers 404 for an unknown project or workspace. A status
// of 0 from f means f's caller answers.
func (a *Atlas) withWorkspace(w http.ResponseWriter, c *call, f func(*workspace) (int, any)) {
	groupID, name := c.params["groupId"], c.params["tenantName"]
	a.mu.Lock()
	p := a.projects[groupID]
	ws := a.findLocked(groupID, name)
	var status int
	var out any
	if ws != nil {
		status, out = f(ws)
	}
	a.mu.Unlock()
	switch {
	case p == nil:
		a.groupNotFound(w, c.r, groupID)
	case ws == nil:
		a.fail(w, c.r, http.StatusNotFound, CodeWorkspaceNotFound,
			fmt.Sprintf("Stream workspace %s not found in project %s.", name, groupID), nil)
	case status != 0:
		a.ok(w, c.r, status, out)
	}
}

// findLocked returns the named workspace, deleted or not, after removing
// those whose deletion has completed.
func (a *Atlas) findLocked(groupID, name string) *workspace {
	p := a.projects[groupID]
	if p == nil {
		return nil
	}
	a.sweepLocked(p)
	for _, ws := range p.workspaces {
		if ws.ws.Name == name {
			return ws
		}
	}
	return nil
}

func (a *Atlas) sweepLocked(p *project) {
	now := a.now()
	p.workspaces = slices.DeleteFunc(p.workspaces, func(ws *workspace) bool {
		return !ws.deleteAfter.IsZero() && !now.Before(ws.deleteAfter)
	})
}

func (a *Atlas) projectExists(groupID string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.projects[groupID] != nil
}

func (a *Atlas) groupNotFound(w http.ResponseWriter, r *http.Request, groupID string) {
	a.fail(w, r, http.StatusNotFound, CodeGroupNotFound, fmt.Sprintf("No group with ID %s exists.", groupID), nil)
}

// invalid answers the atlas package's validation errors as a
// VALIDATION_ERROR naming every field.
func (a *Atlas) invalid(w http.ResponseWriter, r *http.Request, err error) {
	var fields []fieldViolation
	var parts []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var ve *atlas.ValidationError
		if errors.As(e, &ve) {
			fields = append(fields, fieldViolation{Field: ve.Field, Description: ve.Message})
			parts = append(parts, ve.Field+": "+ve.Message)
		}
	}
	walk(err)
	a.fail(w, r, http.StatusBadRequest, CodeValidationError, "Invalid request: "+strings.Join(parts, "; ")+".", fields)
}

// render is how Atlas shows a stored workspace: with links, hostnames
// unless they are still hidden, and connections only when asked for.
// The caller holds the lock.
func (a *Atlas) render(r *http.Request, ws *workspace, connections bool) atlas.StreamWorkspace {
	out := cloneWorkspace(ws.ws)
	self := origin(r) + "/api/atlas/v2/groups/" + out.GroupID + "/streams/" + url.PathEscape(out.Name)
	links := []atlas.Link{{Href: self, Rel: "self"}}
	out.Links = links
	out.DataProcessRegion.Links = links
	out.StreamConfig.Links = links
	if out.SampleConnections != nil {
		out.SampleConnections.Links = links
	}
	if ws.hiddenGets > 0 {
		out.Hostnames = nil
	}
	if !connections {
		out.Connections = nil
	}
	for i := range out.Connections {
		out.Connections[i].Links = []atlas.Link{{Href: self + "/connections/" + url.PathEscape(out.Connections[i].Name), Rel: "self"}}
	}
	return out
}

func cloneWorkspace(ws atlas.StreamWorkspace) atlas.StreamWorkspace {
	out := ws
	if ws.DataProcessRegion != nil {
		r := *ws.DataProcessRegion
		out.DataProcessRegion = &r
	}
	if ws.StreamConfig != nil {
		c := *ws.StreamConfig
		out.StreamConfig = &c
	}
	if ws.SampleConnections != nil {
		s := *ws.SampleConnections
		out.SampleConnections = &s
	}
	out.Hostnames = slices.Clone(ws.Hostnames)
	out.Connections = slices.Clone(ws.Connections)
	out.Links = slices.Clone(ws.Links)
	return out
}

// hostname returns a hostname in Atlas's style, e.g.
// atlas-stream-65f1c0ffee0123456789abcd-a1b2c.virginia-usa.a.query.mongodb.net.
// AWS regions read like the AWS example; Azure and GCP regions get a
// provider label (the simulator's guess).
func hostname(id string, r *atlas.DataProcessRegion) string {
	region := strings.ToLower(strings.ReplaceAll(r.Region, "_", "-"))
	if r.CloudProvider != atlas.ProviderAWS {
		region += "." + strings.ToLower(string(r.CloudProvider))
	}
	return "atlas-stream-" + id + "-" + randomLower(hostnameSuffixSize) + "." + region + "." + hostnameDomain
}

func randomLower(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	h := randomHex(2 * n)
	b := make([]byte, n)
	for i := range b {
		v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		b[i] = alphabet[int(v)%len(alphabet)]
	}
	return string(b)
}

// origin is the scheme and host the client reached the simulator at, so
// links (a list's next page above all) lead back to it.
func origin(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

// paginate returns the page of items r asks for (pageNum, itemsPerPage,
// includeCount) in the shape of the API's Paginated...View, with self,
// previous and next links.
func paginate[T any](r *http.Request, items []T) map[string]any {
	q := r.URL.Query()
	pageNum, perPage := intParam(q, "pageNum", 1), intParam(q, "itemsPerPage", 100)
	start := len(items) // a page far past the end, without overflowing
	if pageNum-1 <= len(items)/perPage {
		start = min((pageNum-1)*perPage, len(items))
	}
	end := min(start+perPage, len(items))
	page := append([]T{}, items[start:end]...)
	link := func(n int, rel string) atlas.Link {
		lq := url.Values{}
		for k, v := range q {
			lq[k] = v
		}
		lq.Set("pageNum", strconv.Itoa(n))
		lq.Set("itemsPerPage", strconv.Itoa(perPage))
		return atlas.Link{Href: origin(r) + r.URL.Path + "?" + lq.Encode(), Rel: rel}
	}
	links := []atlas.Link{link(pageNum, "self")}
	if pageNum > 1 && start > 0 {
		links = append(links, link(pageNum-1, "previous"))
	}
	if end < len(items) {
		links = append(links, link(pageNum+1, "next"))
	}
	out := map[string]any{"links": links, "results": page}
	if q.Get("includeCount") != "false" {
		out["totalCount"] = len(items)
	}
	return out
}

// intParam reads a query parameter the spec has already checked.
func intParam(q url.Values, name string, def int) int {
	if n, err := strconv.Atoi(q.Get(name)); err == nil && n > 0 {
		return n
	}
	return def
}
