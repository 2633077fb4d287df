package atlas

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Resource versions of the processor and connection operations. Each call
// sends its operation's own version in Accept (and Content-Type), whatever
// [WithAPIVersion] says for stream workspaces: Atlas answers a date with the
// newest version on or before it, and these operations have no version
// before their own.
const (
	// ProcessorsAPIVersion is the version of the stream processor
	// operations (list, get, :start, :stop).
	ProcessorsAPIVersion = "2024-05-30"
	// StartWithAPIVersion is the version of :startWith.
	StartWithAPIVersion = "2025-03-12"
	// ConnectionsAPIVersion is the version of the connection operations.
	ConnectionsAPIVersion = "2023-02-01"
)

// MaxProcessorNameLen is the longest processor name streambot accepts.
// Atlas documents no limit; this one keeps names readable in Slack.
const MaxProcessorNameLen = 128

// maxStreamPages bounds the All… list calls of this file against a server
// that never ends: 100 pages of [MaxItemsPerPage]. A variable so that a
// test can lower it.
var maxStreamPages = 100

// processorNamePattern is what streambot accepts as a processor name: ASCII
// letters, digits, hyphens, underscores and dots (MongoDB's manual names
// hyphens and full stops as characters a name may hold), not starting with
// a dot so that no name reads as a path segment like "..". Spaces,
// slashes, colons (which start a custom method such as :start) and
// non-ASCII letters are refused.
var processorNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]*$`)

// ValidateProcessorName checks a stream processor name before it is put in
// a URL path: 1 to [MaxProcessorNameLen] ASCII letters, digits, hyphens,
// underscores and dots, not starting with a dot.
func ValidateProcessorName(name string) error {
	switch {
	case name == "":
		return &ValidationError{Field: "processorName", Value: name, Message: "a processor name is required"}
	case len(name) > MaxProcessorNameLen:
		return &ValidationError{Field: "processorName", Value: name,
			Message: fmt.Sprintf("a processor name has at most %d characters", MaxProcessorNameLen)}
	case !processorNamePattern.MatchString(name):
		return &ValidationError{Field: "processorName", Value: name,
			Message: "a processor name uses only ASCII letters, digits, hyphens, underscores and dots (no spaces), and does not start with a dot"}
	}
	return nil
}

// StreamProcessorPage is one page of stream processors (the API's
// PaginatedApiStreamsStreamProcessorWithStatsView).
type StreamProcessorPage struct {
	Results    []StreamProcessor `json:"results"`
	TotalCount int               `json:"totalCount,omitempty"`
	Links      []Link            `json:"links,omitempty"`
}

// StreamConnectionPage is one page of connections (the API's
// PaginatedApiStreamsConnectionView).
type StreamConnectionPage struct {
	Results    []StreamConnection `json:"results"`
	TotalCount int                `json:"totalCount,omitempty"`
	Links      []Link             `json:"links,omitempty"`
}

// StartOptions are the options of [Client.StartStreamProcessorWith] (the
// API's StreamsStartStreamProcessorWith, as far as streambot sends it).
type StartOptions struct {
	// Tier runs the processor on this tier instead of the workspace's.
	Tier Tier `json:"tier,omitempty"`
	// ResumeFromCheckpoint false starts fresh; nil or true resumes from the
	// last checkpoint.
	ResumeFromCheckpoint *bool `json:"resumeFromCheckpoint,omitempty"`
}

// workspacePath is the path of one workspace, for the calls below it.
func workspacePath(groupID, workspace string) string {
	return "groups/" + url.PathEscape(groupID) + "/streams/" + url.PathEscape(workspace)
}

// processorPath is the path of one processor; verb, when not empty, is a
// custom method such as "start" (…/processor/{name}:start).
func processorPath(groupID, workspace, name, verb string) string {
	p := workspacePath(groupID, workspace) + "/processor/" + url.PathEscape(name)
	if verb != "" {
		p += ":" + verb
	}
	return p
}

// validateWorkspace checks the path parameters every call of this file has.
func validateWorkspace(groupID, workspace string) error {
	if err := ValidateGroupID(groupID); err != nil {
		return err
	}
	return ValidateName(workspace)
}

// validateProcessor checks the path parameters of a single-processor call.
func validateProcessor(groupID, workspace, name string) error {
	if err := validateWorkspace(groupID, workspace); err != nil {
		return err
	}
	return ValidateProcessorName(name)
}

// sendVersioned is the per-call version mechanism: it builds a request with
// [Client.NewRequest], replaces the client-wide version in Accept (and in
// Content-Type when there is a body) with version, sends it with
// [Client.Do] and decodes the answer into v (v may be nil).
func (c *Client) sendVersioned(ctx context.Context, method, path, version string, body, v any) error {
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", mediaType(version))
	if body != nil {
		req.Header.Set("Content-Type", mediaType(version))
	}
	_, err = c.Do(req, v)
	return err
}

// ListStreamProcessors returns one page of the stream processors in
// workspace, with their stats; lo may be nil for the first page with
// Atlas's default size. See [Client.AllStreamProcessors] for every page.
// It sends version [ProcessorsAPIVersion].
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-getgroupstreamprocessors
func (c *Client) ListStreamProcessors(ctx context.Context, groupID, workspace string, lo *ListOptions, opts ...CallOption) (*StreamProcessorPage, error) {
	if err := validateWorkspace(groupID, workspace); err != nil {
		return nil, err
	}
	q, err := lo.values()
	if err != nil {
		return nil, err
	}
	var page StreamProcessorPage
	path := withQuery(workspacePath(groupID, workspace)+"/processors", q, opts)
	if err := c.sendVersioned(ctx, http.MethodGet, path, ProcessorsAPIVersion, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// AllStreamProcessors returns every stream processor in workspace,
// following the pages (at most 100 of [MaxItemsPerPage]) until a short
// page, a page without a "next" link, or totalCount reached.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-getgroupstreamprocessors
func (c *Client) AllStreamProcessors(ctx context.Context, groupID, workspace string) ([]StreamProcessor, error) {
	all, err := allPages(func(lo *ListOptions) ([]StreamProcessor, int, []Link, error) {
		p, err := c.ListStreamProcessors(ctx, groupID, workspace, lo)
		if err != nil {
			return nil, 0, nil, err
		}
		return p.Results, p.TotalCount, p.Links, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list stream processors of %q: %w", workspace, err)
	}
	return all, nil
}

// GetStreamProcessor returns the processor called name in workspace, with
// its stats. A missing processor, workspace or project is an [APIError]
// that matches [ErrNotFound]. It sends version [ProcessorsAPIVersion].
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-getgroupstreamprocessor
func (c *Client) GetStreamProcessor(ctx context.Context, groupID, workspace, name string, opts ...CallOption) (*StreamProcessor, error) {
	if err := validateProcessor(groupID, workspace, name); err != nil {
		return nil, err
	}
	var p StreamProcessor
	path := withQuery(processorPath(groupID, workspace, name, ""), nil, opts)
	if err := c.sendVersioned(ctx, http.MethodGet, path, ProcessorsAPIVersion, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// StartStreamProcessor starts the processor called name in workspace
// (POST …/processor/{name}:start, version [ProcessorsAPIVersion]). Atlas
// answers 200 without a body; read the processor afterwards for its state.
// Like every POST, it is repeated only after a 429.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-startgroupstreamprocessor
func (c *Client) StartStreamProcessor(ctx context.Context, groupID, workspace, name string, opts ...CallOption) error {
	if err := validateProcessor(groupID, workspace, name); err != nil {
		return err
	}
	path := withQuery(processorPath(groupID, workspace, name, "start"), nil, opts)
	return c.sendVersioned(ctx, http.MethodPost, path, ProcessorsAPIVersion, nil, nil)
}

// StartStreamProcessorWith starts the processor called name in workspace
// with options, such as another tier (POST …/processor/{name}:startWith,
// version [StartWithAPIVersion]). A tier outside [Tiers] is refused before
// anything is sent.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-startgroupstreamprocessorwith
func (c *Client) StartStreamProcessorWith(ctx context.Context, groupID, workspace, name string, start *StartOptions, opts ...CallOption) error {
	body, err := startWithBody(groupID, workspace, name, start)
	if err != nil {
		return err
	}
	path := withQuery(processorPath(groupID, workspace, name, "startWith"), nil, opts)
	return c.sendVersioned(ctx, http.MethodPost, path, StartWithAPIVersion, body, nil)
}

// startWithBody validates a :startWith call and returns its body.
func startWithBody(groupID, workspace, name string, start *StartOptions) (*StartOptions, error) {
	if err := validateProcessor(groupID, workspace, name); err != nil {
		return nil, err
	}
	body := &StartOptions{}
	if start != nil {
		*body = *start
	}
	if body.Tier != "" && body.Tier.Rank() < 0 {
		return nil, &ValidationError{Field: "tier", Value: string(body.Tier), Message: "the tier is one of " + joinStrings(Tiers)}
	}
	return body, nil
}

// PreviewStart returns exactly what a start would send, without sending
// anything, after the same validation: with start nil,
// [Client.StartStreamProcessor]'s POST …/processor/{name}:start without a
// body; otherwise [Client.StartStreamProcessorWith]'s POST …:startWith and
// its JSON body, produced by the same encoding. The path is absolute
// ("/api/atlas/v2/groups/…").
func PreviewStart(groupID, workspace, name string, start *StartOptions) (method, path string, body []byte, err error) {
	if start == nil {
		if err := validateProcessor(groupID, workspace, name); err != nil {
			return "", "", nil, err
		}
		return http.MethodPost, "/" + apiPath + processorPath(groupID, workspace, name, "start"), nil, nil
	}
	b, err := startWithBody(groupID, workspace, name, start)
	if err != nil {
		return "", "", nil, err
	}
	if body, err = encodeJSON(b); err != nil {
		return "", "", nil, fmt.Errorf("atlas: encode start body: %w", err)
	}
	return http.MethodPost, "/" + apiPath + processorPath(groupID, workspace, name, "startWith"), body, nil
}

// PreviewStop returns exactly what [Client.StopStreamProcessor] would send
// (a POST …/processor/{name}:stop without a body), after the same
// validation.
func PreviewStop(groupID, workspace, name string) (method, path string, err error) {
	if err := validateProcessor(groupID, workspace, name); err != nil {
		return "", "", err
	}
	return http.MethodPost, "/" + apiPath + processorPath(groupID, workspace, name, "stop"), nil
}

// StopStreamProcessor stops the processor called name in workspace
// (POST …/processor/{name}:stop, version [ProcessorsAPIVersion]). Stopping
// interrupts a pipeline; callers confirm first.
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-stopgroupstreamprocessor
func (c *Client) StopStreamProcessor(ctx context.Context, groupID, workspace, name string, opts ...CallOption) error {
	if err := validateProcessor(groupID, workspace, name); err != nil {
		return err
	}
	path := withQuery(processorPath(groupID, workspace, name, "stop"), nil, opts)
	return c.sendVersioned(ctx, http.MethodPost, path, ProcessorsAPIVersion, nil, nil)
}

// allPages calls list for pages 1, 2, … of [MaxItemsPerPage] items until a
// short page, a page whose links hold no "next", or totalCount reached, and
// gives up after maxStreamPages.
func allPages[T any](list func(*ListOptions) (results []T, total int, links []Link, err error)) ([]T, error) {
	const perPage = MaxItemsPerPage
	var all []T
	for n := 1; n <= maxStreamPages; n++ {
		results, total, links, err := list(&ListOptions{PageNum: n, ItemsPerPage: perPage})
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", n, err)
		}
		all = append(all, results...)
		switch {
		case len(results) < perPage,
			len(links) > 0 && !hasRel(links, "next"),
			total > 0 && len(all) >= total:
			return all, nil
		}
	}
	return nil, fmt.Errorf("more than %d pages", maxStreamPages)
}

// hasRel reports whether links hold one with the relation rel.
func hasRel(links []Link, rel string) bool {
	for _, l := range links {
		if strings.EqualFold(l.Rel, rel) {
			return true
		}
	}
	return false
}
