package atlas

import (
	"context"
	"fmt"
	"net/http"
)

// Connection types Atlas reports (the spec's StreamsConnection.type).
const (
	ConnectionKafka   = "Kafka"
	ConnectionCluster = "Cluster"
	ConnectionSample  = "Sample"
)

// StreamConnection is a connection in a workspace's connection registry
// (the API's StreamsConnection and its per-type variants), as far as
// streambot shows it: what identifies the connection, per type.
//
// It deliberately has no field for "authentication", for Kafka's "config"
// or for an HTTPS connection's "headers": those hold or may hold secrets,
// and what is never decoded cannot be rendered or logged. Write-only fields
// (passwords, keys) are never sent by Atlas in the first place.
//
// See https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-listgroupstreamconnections
type StreamConnection struct {
	Name string `json:"name"`
	// Type is Kafka, Cluster, Sample, Https, AWSLambda, S3, … (see the
	// Connection… constants); kept as a string so new types still decode.
	Type string `json:"type"`
	// State is PENDING, READY, DELETING or FAILED when Atlas reports it.
	State  string `json:"state,omitempty"`
	Region string `json:"region,omitempty"`

	// Kafka: the comma-separated bootstrap servers and the transport.
	BootstrapServers string         `json:"bootstrapServers,omitempty"`
	Security         *KafkaSecurity `json:"security,omitempty"`

	// Cluster: the cluster and, when it is in another project, its project.
	ClusterName    string `json:"clusterName,omitempty"`
	ClusterGroupID string `json:"clusterGroupId,omitempty"`

	Links []Link `json:"links,omitempty"`
}

// KafkaSecurity is the transport of a Kafka connection (the API's
// StreamsKafkaSecurity, without the broker certificate).
type KafkaSecurity struct {
	// Protocol is SASL_PLAINTEXT, SASL_SSL or SSL.
	Protocol string `json:"protocol,omitempty"`
}

// ListStreamConnections returns one page of the connections of workspace;
// lo may be nil for the first page with Atlas's default size. The
// operation declares no includeCount, so lo.IncludeCount is not sent. It
// sends version [ConnectionsAPIVersion].
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-listgroupstreamconnections
func (c *Client) ListStreamConnections(ctx context.Context, groupID, workspace string, lo *ListOptions, opts ...CallOption) (*StreamConnectionPage, error) {
	if err := validateWorkspace(groupID, workspace); err != nil {
		return nil, err
	}
	q, err := lo.values()
	if err != nil {
		return nil, err
	}
	q.Del("includeCount")
	var page StreamConnectionPage
	path := withQuery(workspacePath(groupID, workspace)+"/connections", q, opts)
	if err := c.sendVersioned(ctx, http.MethodGet, path, ConnectionsAPIVersion, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// AllStreamConnections returns every connection of workspace, following
// the pages like [Client.AllStreamProcessors].
//
// Atlas reference: https://www.mongodb.com/docs/api/doc/atlas-admin-api-v2/operation/operation-listgroupstreamconnections
func (c *Client) AllStreamConnections(ctx context.Context, groupID, workspace string) ([]StreamConnection, error) {
	all, err := allPages(func(lo *ListOptions) ([]StreamConnection, int, []Link, error) {
		p, err := c.ListStreamConnections(ctx, groupID, workspace, lo)
		if err != nil {
			return nil, 0, nil, err
		}
		return p.Results, p.TotalCount, p.Links, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list stream connections of %q: %w", workspace, err)
	}
	return all, nil
}
