package atlas

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// MaxItemsPerPage is the largest page Atlas serves.
const MaxItemsPerPage = 500

// ListOptions selects a page of a list call. Zero values leave Atlas's
// defaults (page 1, 100 items).
type ListOptions struct {
	PageNum      int // 1-based page number
	ItemsPerPage int // 1 to MaxItemsPerPage
	// IncludeCount asks for totalCount (includeCount=true). Atlas counts by
	// default; the stream workspace list does not declare the parameter, so
	// it is sent only when set.
	IncludeCount bool
}

// StreamWorkspacePage is one page of stream workspaces (the API's
// PaginatedApiStreamsTenantView).
type StreamWorkspacePage struct {
	Results    []StreamWorkspace `json:"results"`
	TotalCount int               `json:"totalCount,omitempty"`
	Links      []Link            `json:"links,omitempty"`
}

// hasNext reports whether the page links to a next page.
func (p *StreamWorkspacePage) hasNext() bool {
	for _, l := range p.Links {
		if l.Rel == "next" {
			return true
		}
	}
	return false
}

// streamsPath is the create and list path for a project, relative to the
// API base.
func streamsPath(groupID string) string {
	return "groups/" + url.PathEscape(groupID) + "/streams"
}

// streamPath is the path of one workspace, relative to the API base.
func streamPath(groupID, name string) string {
	return streamsPath(groupID) + "/" + url.PathEscape(name)
}

// createBody is what a create request carries: only the fields a client
// may write, so a workspace read from Atlas can be passed back in.
func createBody(w *StreamWorkspace) *StreamWorkspace {
	b := &StreamWorkspace{Name: w.Name}
	if r := w.DataProcessRegion; r != nil {
		b.DataProcessRegion = &DataProcessRegion{CloudProvider: r.CloudProvider, Region: r.Region}
	}
	if sc := w.StreamConfig; sc != nil {
		b.StreamConfig = &StreamConfig{Tier: sc.Tier, MaxTierSize: sc.MaxTierSize}
	}
	if s := w.SampleConnections; s != nil {
		b.SampleConnections = &SampleConnections{Solar: s.Solar}
	}
	return b
}

// PreviewCreate returns exactly what [Client.CreateStreamWorkspace] would
// send for w, without sending anything: the method, the absolute path
// ("/api/atlas/v2/groups/<groupID>/streams", query parameters aside) and the
// JSON body, produced by the same encoding. It validates first, like the
// create call.
func PreviewCreate(groupID string, w *StreamWorkspace) (method, path string, body []byte, err error) {
	if err := ValidateCreate(groupID, w); err != nil {
		return "", "", nil, err
	}
	body, err = encodeJSON(createBody(w))
	if err != nil {
		return "", "", nil, fmt.Errorf("atlas: encode create body: %w", err)
	}
	return http.MethodPost, "/" + apiPath + streamsPath(groupID), body, nil
}

// CreateStreamWorkspace creates a stream workspace in project groupID and
// returns it as Atlas answers (200). The input is checked with
// [ValidateCreate] first; nothing is sent if it fails. Only the writable
// fields of w are sent (see [PreviewCreate]).
//
// The request is repeated only after a 429, which Atlas sends before doing
// anything. After any other failure, including a timeout, the workspace may
// or may not exist: GET it by name to learn what is true.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-creategroupstreamworkspace
func (c *Client) CreateStreamWorkspace(ctx context.Context, groupID string, w *StreamWorkspace, opts ...CallOption) (*StreamWorkspace, error) {
	if err := ValidateCreate(groupID, w); err != nil {
		return nil, err
	}
	return send[StreamWorkspace](ctx, c, http.MethodPost, withQuery(streamsPath(groupID), nil, opts), createBody(w))
}

// GetStreamWorkspace returns the stream workspace called name in project
// groupID. A missing workspace or project is an [APIError] that matches
// [ErrNotFound].
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-getgroupstreamworkspace
func (c *Client) GetStreamWorkspace(ctx context.Context, groupID, name string, opts ...CallOption) (*StreamWorkspace, error) {
	if err := validateGroupAndName(groupID, name); err != nil {
		return nil, err
	}
	return send[StreamWorkspace](ctx, c, http.MethodGet, withQuery(streamPath(groupID, name), nil, opts), nil)
}

// ListStreamWorkspaces returns one page of the stream workspaces in project
// groupID; lo may be nil for the first page with Atlas's default size. See
// [Client.AllStreamWorkspaces] for every page.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-listgroupstreamworkspaces
func (c *Client) ListStreamWorkspaces(ctx context.Context, groupID string, lo *ListOptions, opts ...CallOption) (*StreamWorkspacePage, error) {
	if err := ValidateGroupID(groupID); err != nil {
		return nil, err
	}
	q, err := lo.values()
	if err != nil {
		return nil, err
	}
	return send[StreamWorkspacePage](ctx, c, http.MethodGet, withQuery(streamsPath(groupID), q, opts), nil)
}

// maxPages bounds AllStreamWorkspaces against a server that never ends.
const maxPages = 1000

// AllStreamWorkspaces returns every stream workspace in project groupID,
// following the pages until a short page, a page without a "next" link, or
// totalCount reached.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-listgroupstreamworkspaces
func (c *Client) AllStreamWorkspaces(ctx context.Context, groupID string) ([]StreamWorkspace, error) {
	const perPage = MaxItemsPerPage
	var all []StreamWorkspace
	for n := 1; n <= maxPages; n++ {
		page, err := c.ListStreamWorkspaces(ctx, groupID, &ListOptions{PageNum: n, ItemsPerPage: perPage})
		if err != nil {
			return nil, fmt.Errorf("list stream workspaces page %d: %w", n, err)
		}
		all = append(all, page.Results...)
		switch {
		case len(page.Results) < perPage,
			len(page.Links) > 0 && !page.hasNext(),
			page.TotalCount > 0 && len(all) >= page.TotalCount:
			return all, nil
		}
	}
	return nil, fmt.Errorf("list stream workspaces: more than %d pages", maxPages)
}

// DeleteStreamWorkspace deletes the stream workspace called name in project
// groupID. Atlas accepts the request (202) and removes the workspace
// shortly after.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-deletegroupstreamworkspace
func (c *Client) DeleteStreamWorkspace(ctx context.Context, groupID, name string, opts ...CallOption) error {
	if err := validateGroupAndName(groupID, name); err != nil {
		return err
	}
	req, err := c.NewRequest(ctx, http.MethodDelete, withQuery(streamPath(groupID, name), nil, opts), nil)
	if err != nil {
		return err
	}
	_, err = c.Do(req, nil)
	return err
}

// send builds a request with [Client.NewRequest], sends it with [Client.Do]
// and returns the answer decoded into a new T.
func send[T any](ctx context.Context, c *Client, method, path string, body any) (*T, error) {
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	var out T
	if _, err := c.Do(req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// validateGroupAndName checks the path parameters of a single-workspace
// call.
func validateGroupAndName(groupID, name string) error {
	if err := ValidateGroupID(groupID); err != nil {
		return err
	}
	return ValidateName(name)
}

// values returns lo as query parameters, or an error for an invalid value.
func (lo *ListOptions) values() (url.Values, error) {
	q := url.Values{}
	if lo == nil {
		return q, nil
	}
	if lo.PageNum < 0 {
		return nil, &ValidationError{Field: "pageNum", Value: strconv.Itoa(lo.PageNum), Message: "the page number is 1 or more"}
	}
	if lo.ItemsPerPage < 0 || lo.ItemsPerPage > MaxItemsPerPage {
		return nil, &ValidationError{Field: "itemsPerPage", Value: strconv.Itoa(lo.ItemsPerPage),
			Message: fmt.Sprintf("items per page is between 1 and %d", MaxItemsPerPage)}
	}
	if lo.PageNum > 0 {
		q.Set("pageNum", strconv.Itoa(lo.PageNum))
	}
	if lo.ItemsPerPage > 0 {
		q.Set("itemsPerPage", strconv.Itoa(lo.ItemsPerPage))
	}
	if lo.IncludeCount {
		q.Set("includeCount", "true")
	}
	return q, nil
}
